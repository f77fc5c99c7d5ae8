"""「提醒未报告的家庭」: an antigen round's staff remind, in their inbox, the family accounts
of the households whose members have not reported yet (the missing list's people, under
the staff's part of the round). Once a household within `antigen.REMIND_AGAIN_AFTER_HOURS`
(a second tap sends nothing new and says so); asked first (`confirm`); audited
(`screening.antigen.remind`). Households without any family account are not told: they
are listed for a door visit (the round's door page). The page and the API call `remind`."""

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fangkong.audit.actions import record
from fangkong.core.errors import Conflict, Invalid
from fangkong.core.text import join_words
from fangkong.core.when import short_time
from fangkong.registry.models import Place

from .. import antigen
from ..access import require_run_people
from ..models import Round, RoundStatus


def remind(actor, rnd: Round, node: Place, *, confirm=False, now=None) -> dict:
    """Tell the family accounts of the households under `node` with someone not yet
    reported. Not `confirm`: a Conflict `confirm_remind` saying how many would be told,
    nothing sent. Returns `antigen.to_remind`'s households (`told`, `recent`, `door`) and
    `notified` (accounts told now)."""
    from fangkong.notify.actions import notify
    from fangkong.notify.channels import absolute_url

    antigen.require_antigen(rnd)
    require_run_people(actor, rnd)
    now = now or timezone.now()
    if rnd.status == RoundStatus.CLOSED or rnd.past_end(now):
        raise Invalid(_("This round is over: families are no longer asked to report."))
    with transaction.atomic():
        Round.objects.select_for_update().filter(pk=rnd.pk).first()  # two taps at once: one tells
        plan = antigen.to_remind(actor.scope, rnd, node, now)
        if not confirm:
            raise Conflict(ask(plan), code="confirm_remind",
                           extra={"households": len(plan["tell"]), "recent": len(plan["recent"]),
                                  "door": len(plan["door"])})
        end = rnd.ends_at  # said in each reader's language (short_time, in the body)
        url = reverse("screening_antigen_mine")
        # "the link below" only when a text carries it (a path needs FANGKONG_PUBLIC_URL):
        # otherwise the text ends without one, and the body says where to report instead
        linked = bool(absolute_url(url))
        notified = 0
        for hh in plan["tell"]:
            notified += notify(
                actor, hh.users, kind=antigen.REMIND_KIND,
                title=lambda: _("Please report your antigen result: %(round)s") % {"round": rnd.name},
                body=lambda hh=hh: (_("No antigen result yet for %(names)s. Test now and report it with a "
                                      "photo of the cassette before %(end)s (“Antigen self-report”, "
                                      "the link below). If it is positive, stay at home.") if linked else
                                    _("No antigen result yet for %(names)s. Test now and report it with a "
                                      "photo of the cassette before %(end)s (“Antigen self-report” in the "
                                      "menu once logged in). If it is positive, stay at home."))
                % {"names": join_words(hh.names), "end": short_time(end)},
                url=url, place=rnd.place,
                key=f"{antigen.remind_key_prefix(rnd)}{hh.id}.{int(now.timestamp())}")
        if plan["tell"]:
            record(actor, "screening.antigen.remind", rnd,
                   {"place": node.name, "households": len(plan["tell"]), "notified": notified,
                    "door": len(plan["door"])}, levels_from=rnd)
    return {"told": plan["tell"], "recent": plan["recent"], "door": plan["door"], "notified": notified}


def ask(plan) -> str:
    """What a reminder now would do, in a sentence (the page's question, the API's 409)."""
    told = ngettext("%(n)d household will get a reminder in its family accounts' messages.",
                    "%(n)d households will get a reminder in their family accounts' messages.",
                    len(plan["tell"])) % {"n": len(plan["tell"])}
    return " ".join([told, *said(plan, told=False)])


def said(plan, *, told=True) -> list[str]:
    """The sentences after a reminder (or before it): who was reminded lately, who needs a visit."""
    out = []
    if told:
        out.append(ngettext("Reminded %(n)d household.", "Reminded %(n)d households.", len(plan["told"]))
                   % {"n": len(plan["told"])} if plan["told"] else _("Nobody new was reminded."))
    if plan["recent"]:
        out.append(ngettext(
            "%(n)d household was already reminded in the last %(h)d hours: not again.",
            "%(n)d households were already reminded in the last %(h)d hours: not again.",
            len(plan["recent"])) % {"n": len(plan["recent"]), "h": antigen.REMIND_AGAIN_AFTER_HOURS})
    if plan["door"]:
        out.append(ngettext("%(n)d household has no family account: visit its door.",
                            "%(n)d households have no family account: visit their doors.",
                            len(plan["door"])) % {"n": len(plan["door"])})
    return out
