from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangkong.accounts.roles import Perm
from fangkong.core.errors import Invalid, NotFound
from fangkong.core.paging import paginate
from fangkong.core.views import act, actor_of, next_or, page
from fangkong.registry import queries as registry_queries

from . import actions, channels, queries
from .access import require_outbox
from .models import Status


@page
def inbox(request):
    unread = request.GET.get("unread") == "1"
    pg = paginate(request, queries.inbox(request.user, unread=unread))
    return render(request, "notify/inbox.html", {"page": pg, "unread": unread})


def badge(request):
    """The unread count for the menu (loaded by htmx after the page, refreshed every
    minute); empty for anonymous users."""
    from django.http import HttpResponse

    n = queries.unread_count(request.user) if request.user.is_authenticated else 0
    return render(request, "notify/badge.html", {"n": n}) if n else HttpResponse("")


@page
def open_notification(request, pk):
    n = queries.get_notification(request.user, pk)
    actions.mark_read(request.user, [n.pk])
    if n.url and url_has_allowed_host_and_scheme(n.url, allowed_hosts={request.get_host()}):
        return redirect(n.url)
    return redirect("inbox")


@page
@require_POST
def read_all(request):
    actions.mark_read(request.user)
    return redirect("inbox")


@page
def outbox(request):
    """Staff: outbound messages in their part of the tree, failures first, and the
    group channels (WeCom robots, webhooks) set up for their places."""
    require_outbox(request.scope)
    status = request.GET.get("status") or None
    if status not in Status.values:
        status = None
    qs = queries.deliveries(request.scope, status=status).select_related("place")
    pg = paginate(request, qs)
    pg.object_list = _labelled(pg.object_list)
    places = registry_queries.places(request.scope, Perm.MANAGE_NOTIFY).filter(
        kind__in=["district", "street", "community", "grid", "compound"])
    form, errors = {}, {}
    if request.method == "POST":
        form = request.POST
        try:
            try:
                place = registry_queries.get_place(request.scope, request.POST.get("place"),
                                                   Perm.MANAGE_NOTIFY)
            except NotFound:
                raise Invalid(fields={"place": [_("Choose a place.")]}) from None
            actions.add_group_channel(actor_of(request), place,
                                      name=request.POST.get("name", ""),
                                      channel=request.POST.get("channel", ""),
                                      target=request.POST.get("target", ""))
        except Invalid as e:
            errors = e.fields or {"all": [str(e.message)]}
        else:
            messages.success(request, _("Group channel added."))
            return redirect("outbox")
    return render(request, "notify/outbox.html", {
        "page": pg, "status": status, "statuses": Status.choices,
        "counts": queries.delivery_counts(request.scope),
        "groups": _labelled(queries.group_channels(request.scope)), "places": places[:300],
        "group_channels": channels.group_channels(), "form": form, "errors": errors,
    }, status=400 if errors else 200)


def _labelled(rows) -> list:
    """Deliveries or group channels, each with its channel's name as pages say it."""
    rows = list(rows)
    for r in rows:
        r.channel_label = channels.label(r.channel)
    return rows


@page
@require_POST
def retry(request, pk):
    d = queries.get_delivery(request.scope, pk)
    return act(request, lambda actor: actions.retry(actor, d),
               to=next_or(request, "outbox"),
               done=_("The message will be sent again now."))


@page
@require_POST
def group_active(request, pk):
    g = queries.get_group_channel(request.scope, pk)
    return act(request, lambda actor: actions.set_group_channel_active(
        actor, g, request.POST.get("active") == "1"), to="outbox")
