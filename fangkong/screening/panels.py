"""The testing panel on a place's page: the running rounds that cover it, with how far
sampling has got there, one tap from the live page and the missing list; and the planned
ones not over yet ("明天 07:00–14:00 第4轮核酸：应检 500 人"), so the night before is enough."""

from django.conf import settings
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.accounts.roles import Perm
from fangkong.core.tree import ancestor_ids, under

from . import access, figures, queries, status
from .access import round_q
from .models import Round, RoundKind, RoundStatus


def place_panel(request, place):
    """The running rounds covering the place: those within their planned window under
    "Testing now" with how far sampling has got; one still running past its planned end
    (`Round.overrun`, nobody ended it) apart, flagged "已过计划结束时间 HH:MM，请结束本轮" with
    the end button for whoever may run it — never listed as today's testing."""
    scope = request.scope
    if not scope.allows(Perm.SCREENING_VIEW, place):
        return None
    covering = Q(place_id__in=ancestor_ids(place)) | under(place)
    # running, and planned not over: the grid worker reads tonight what tomorrow's round asks
    shown = Q(status=RoundStatus.RUNNING) | Q(status=RoundStatus.PLANNED, ends_at__gt=timezone.now())
    both = list(Round.objects.filter(round_q(scope, Perm.SCREENING_VIEW), covering, shown)
                .select_related("place").order_by("-starts_at", "-id")[:9])  # one query
    rounds = [r for r in both if r.status == RoundStatus.RUNNING][:6]
    coming = [r for r in both if r.status == RoundStatus.PLANNED][::-1][:3]  # the soonest first
    if not rounds and not coming:
        return None
    rows = [(r, figures.coverage(r, place)) for r in rounds if not r.overrun][:3]
    late = [(r, status.overrun_text(r), scope.allows(Perm.SCREENING_RUN, r)) for r in rounds if r.overrun]
    planned = [(r, status.window_text(r), figures.to_sample_at(r, [place])[place.id]) for r in coming]
    return render_to_string("screening/_place_panel.html",
                            {"rows": rows, "late": late, "planned": planned, "place": place}, request=request)


def building_panel(request, place):
    """`place_panel` on a compound's, building's or unit's page (FANGKONG_PLACE_ALERTS: no
    panels there), a building leader's home: the round planned for tomorrow morning and
    the ones running, with the building's figure."""
    from fangkong.registry.models import LEVELS

    if place.kind not in LEVELS[LEVELS.index("compound"):]:
        return None
    return place_panel(request, place)


def positive_alert(request, place):
    """At the top of a place's page (every level, a building leader's too): the people
    held by a positive pooled tube or antigen test that nobody has re-sampled yet, with
    who and where (in red, how long, once held past FANGKONG_HOLD_OVERDUE_HOURS), until
    someone does; per round, how many held people have no single re-test result past that
    time (`queries.overdue_holds`, `figures.overdue_q`); below, for a day, whoever's single re-test
    came back positive (a case); then, per running round, how many people there are to be
    sampled again because the lab found their tube invalid, with their list. Polls itself
    every minute (htmx), so a result that arrives while the page is open shows without a
    reload. None for users who may not see testing there."""
    from fangkong.registry.models import LEVELS

    scope = request.scope
    if place.kind not in LEVELS or not scope.allows(Perm.SCREENING_VIEW, place):
        return None
    rows, total = queries.awaiting_positives(scope, place)
    cases = queries.recent_cases(scope, place)
    drafted = status.escalations(scope, [f.resident_id for f in cases])
    for f in cases:  # the case's zone escalation, drafted for staff to check and publish
        f.escalation = drafted.get(f.resident_id)
    groups = {}  # by the positive tube (an antigen positive is one person): who, where
    for f in rows:
        f.overdue_text = status.overdue_text(f, f.hours) if f.overdue else ""
        key = (f.round_id, f.tube_id or f"antigen-{f.id}")
        groups.setdefault(key, {"first": f, "people": []})["people"].append(f)
    overdue = [(r, n, scope.allows(Perm.SCREENING_RUN, r)) for r, n in queries.overdue_holds(scope, place)]
    resample, at_lab = _after_lab(scope, place)
    return render_to_string("screening/_positive_alert.html",
                            {"groups": list(groups.values()), "shown": len(rows), "total": total,
                             "cases": cases, "place": place, "resample": resample, "at_lab": at_lab,
                             "lab_hours": settings.FANGKONG_LAB_NO_RESULT_HOURS,
                             "overdue": overdue, "overdue_hours": settings.FANGKONG_HOLD_OVERDUE_HOURS},
                            request=request)


def _after_lab(scope, place) -> tuple[list[tuple], list[tuple]]:
    """For the running PCR rounds covering `place` that the user sees: [(round, how many)]
    people under it whose swab the lab made void (`figures.to_resample`), and [(round, how
    many)] tubes holding a swab of someone under it at the lab longer than
    FANGKONG_LAB_NO_RESULT_HOURS without a result (`queries.at_lab_no_result_count`)."""
    covering = Q(place_id__in=ancestor_ids(place)) | under(place)
    rounds = list(Round.objects.filter(round_q(scope, Perm.SCREENING_VIEW), covering, status=RoundStatus.RUNNING)
                  .exclude(kind=RoundKind.ANTIGEN).order_by("-starts_at")[:3])
    return ([(r, n) for r in rounds if (n := figures.to_resample(r, place))],
            [(r, n) for r in rounds if (n := queries.at_lab_no_result_count(r, place))])


def household_panel(request, household):
    """At the top of a household's page (FANGKONG_HOUSEHOLD_PANELS): each person's testing
    now in plain words (`status.household_now`). The family's own login reads what to do
    next and whom to call; staff who see testing there read what is theirs to do, with
    the follow-up page and a case's zone escalation one tap away. None for anyone else."""
    from fangkong.accounts.queries import office_contacts
    from fangkong.core.actor import actor_of
    from fangkong.core.text import join_words
    from fangkong.registry import queries as reg_queries

    scope = request.scope
    own = household.id in access.resident_households(scope)
    if not own and not scope.allows(Perm.SCREENING_VIEW, household):
        return None
    people = list(reg_queries.residents(scope).filter(household=household)
                  .filter(reg_queries.counts()).order_by("relation", "id"))
    now = status.household_now(household, people)
    lines = now["lines"]
    pressing = any(line["tone"] in ("case", "held") for line in lines)
    # more than one round asks something now: each line names its round
    named = len({x["round"].id for line in lines for x in [line, *line["more"]] if x["round"]}) > 1
    if own:  # the family reads one block for people in the same case: "苏霞、于海涛 …"
        groups = {}
        for line in lines:
            for x in [line, *line["more"]]:  # each round open now that asks something of them
                rid = x["round"].id if named and x["round"] else None
                anchor = f"st{x['person'].id}" if x is line else f"st{x['person'].id}-{rid}"
                groups.setdefault((rid, x["code"], str(x["label"]), str(x["step"])),
                                  {**x, "anchor": anchor, "people": []})["people"].append(x["person"].name)
        lines = [{**g, "names": join_words(g["people"])} for g in groups.values()]
    ctx = {"hh": household, "own": own, **now, "lines": lines, "pressing": pressing, "named": named,
           "coming": status.coming_lines(household, now["zone"]),
           "contacts": [], "duty": None}
    if own and pressing:  # whom to call: the place's duty phone (the page's top says the same);
        # the community staff's own phones only where no duty phone is set
        ctx["duty"] = reg_queries.duty_phone_for(household)
        if ctx["duty"] is None:
            ctx["contacts"] = office_contacts(scope, limit=2, communities=[household.community_id])
    if not own:
        actor = actor_of(request)
        drafted = status.escalations(scope, [line["person"].id for line in lines if line["code"] == "positive"])
        reports = {}  # whether someone in the household reports for them: asked once
        for line in lines:
            rnd = line["round"]
            line["can_follow_up"] = rnd is not None and line["followup"] is not None \
                and access.can_follow_up(actor, rnd)
            line["escalation"] = drafted.get(line["person"].id)
            for x in [line, *line["more"]]:
                _door_words(actor, household, x, reports)
    return render_to_string("screening/_household_panel.html", ctx, request=request)


def _door_words(actor, household, line, reports):
    """An antigen round open now and no result from someone nobody can report for: an
    elderly person living alone, or someone without a smartphone in a household where
    nobody else can report either (`antigen.household_reports`: no family login — which
    reports for every member — and no member at home with a smartphone). The staff read
    that someone goes to the door, with the round's door page for the household when they
    may work it (it had said only "还没有上报抗原结果"). `reports`: the household's answer,
    kept for the panel's other lines."""
    from django.urls import reverse

    from fangkong.registry.models import Tag

    from .antigen import household_reports

    p, rnd = line["person"], line["round"]
    if line["code"] != "not_sampled" or not line["antigen"] or rnd is None or not rnd.open_now:
        return
    if Tag.ELDERLY_ALONE.value not in getattr(p, "tag_list", ()):
        if p.has_smartphone is not False:
            return
        if "yes" not in reports:
            reports["yes"] = household_reports(household.id)
        if reports["yes"]:
            return
    line["staff"] = _("Cannot report on their own (no smartphone or living alone): someone goes to the "
                      "door with a kit and enters the result on the door page.")
    if access.can_sample(actor, rnd):
        line["door_url"] = reverse("screening_antigen_door", args=[rnd.id]) + f"?household={household.id}"
