"""Pages for personal code cards: print them (PDF), show a household's codes on a phone,
re-issue a lost one. Thin: `cards` and `actions` do the work (see registry/cards.py)."""


from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from fangkong.accounts.roles import Perm
from fangkong.core.access import ids
from fangkong.core.errors import Invalid, NotFound
from fangkong.core.shedding import check_rate
from fangkong.core.views import act, actor_of, page

from . import actions, cards, codes, queries
from .access import require, require_cards, require_own_cards
from .models import Kind, Presence


def _household_ids(request) -> list[int]:
    return sorted(ids(v for v in request.GET.getlist("hh") if v))


@require_GET
@page
def place_cards(request, pk):
    """Choose who gets a card under a place, then open the PDF."""
    place = queries.get_place(request.scope, pk)
    require(actor_of(request), Perm.EDIT_REGISTRY, place)
    if not place.is_level:
        raise NotFound()
    board = queries.board(request.scope, place) if place.kind in (Kind.BUILDING, Kind.UNIT) else []
    for _holder, hhs in board:
        for h in hhs:
            h.needing = sum(1 for r in h.people if r.presence != Presence.MOVED_OUT
                            and (not r.has_smartphone or r.tags))
    return render(request, "registry/code_cards.html",
                  {"place": place, "board": board, "crumbs": queries.crumbs(request.scope, place, with_self=True),
                   "per_page": cards.PER_PAGE})


@require_GET
@page
def place_cards_pdf(request, pk):
    place = queries.get_place(request.scope, pk)
    require_cards(actor_of(request), place)  # refused: 404/403 always, then the rate (429)
    check_rate(request, "export")
    ids = _household_ids(request)
    households = None
    if ids:
        households = list(queries.households(request.scope).filter(id__in=ids))
        if len(households) != len(ids):
            raise NotFound()
    try:
        pdf, filename, _n = cards.print_cards(actor_of(request), place=place, households=households,
                                              everyone=request.GET.get("everyone") == "1")
    except Invalid as e:
        messages.error(request, e.message)
        return redirect("code_cards", pk=place.id)
    return cards.pdf_response(pdf, filename)


@require_GET
@page
def household_cards_pdf(request, pk):
    hh = queries.get_household(request.scope, pk)
    require_cards(actor_of(request), hh)  # refused: 404/403 always, then the rate (429)
    check_rate(request, "export")
    try:
        pdf, filename, _n = cards.print_cards(actor_of(request), household=hh,
                                              everyone=request.GET.get("everyone") == "1")
    except Invalid as e:
        messages.error(request, e.message)
        return redirect("household", pk=hh.id)
    return cards.pdf_response(pdf, filename)


@require_GET
@page
def household_codes(request, pk):
    """The household's QR codes on screen, to show at the sampling table: for the residents
    of the household and for roles that may print cards."""
    hh = queries.get_household(request.scope, pk)
    people = cards.household_codes(actor_of(request), hh)
    for r in people:
        r.qr_uri = codes.svg_data_uri(r)
        r.typed = codes.typed_form(r)
    return render(request, "registry/codes.html", {
        "hh": hh, "people": people,
        "address": queries.address_labels([hh]).get(hh.place_id, "")})


@require_GET
@page
def household_codes_pdf(request, pk):
    """The family's own cards from its codes page: `?member=<id>` for one member's card,
    none for the whole household (the same renderer as staff's cards)."""
    hh = queries.get_household(request.scope, pk)
    require_own_cards(actor_of(request), hh)  # refused: 404/403 always, then the rate (429)
    check_rate(request, "export")
    member = None
    wanted = request.GET.get("member")
    if wanted:
        (rid,) = ids([wanted])
        member = queries.get_resident(request.scope, rid)
    try:
        pdf, filename, _n = cards.print_own_cards(actor_of(request), hh, member)
    except Invalid as e:
        messages.error(request, e.message)
        return redirect("household_codes", pk=hh.id)
    return cards.pdf_response(pdf, filename)


@require_GET
@page
def my_codes(request):
    own = [g.household_id for g in request.scope.grants if g.household_id]
    if not own:
        raise NotFound()
    return redirect("household_codes", pk=own[0])


@require_POST
@page
def resident_reissue_code(request, pk):
    r = queries.get_resident(request.scope, pk)
    return act(request, lambda actor: actions.reissue_code(actor, r),
               to=reverse("household", args=[r.household_id]) + f"#r{r.id}",
               done=_("%(name)s has a new sampling code; the old card no longer works. "
                      "Print a new card.") % {"name": r.name}, catch=())
