"""Reads about the doors of deliveries (never writes): which batches serve the households
under a place and their runs there (`deliveries`: a building's page, whose gate is
elsewhere), each exception with its door (`problem_rows`), how a batch or run ended
(`with_outcome`, `outcome`), a run's doors with whom to call (`checklist`) and each door's
history (`door_history`)."""

from django.db.models import Count, Q

from fangkong.core.tree import under

from . import access
from .marks import with_no_contact
from .models import Batch, Line, Order, Problem, Run, Stop
from .queries import door_labels


def deliveries(scope, place, *, limit=10) -> list[Batch]:
    """The batches that serve households under `place` or came through a gate under it,
    latest first. A batch's rows hang at its gate (a compound's), so a building's page found
    none by the batch's own levels while its run was being carried; the households' manifest
    lines say which batches serve it. Each batch with `here` (households under the place in
    it), `runs_here` (its runs to buildings under the place), `opens` (may the user open the
    batch's page) and, like each run, how it went (`with_outcome`). Who may see the place sees these: what
    came to its doors (supplier, gate, time, state), no one's data."""
    access.require(scope, access.VIEW, place)
    served = Line.objects.filter(under(place, "household__")).values("batch_id")
    found = list(Batch.objects.filter(under(place) | Q(id__in=served)).select_related("supplier", "checkpoint")
                 .order_by("-due_at", "id")[:limit])
    ids = [b.id for b in found]
    here = dict(Line.objects.filter(under(place, "household__"), batch_id__in=ids).values("batch_id")
                .annotate(n=Count("household_id", distinct=True)).order_by().values_list("batch_id", "n"))
    runs = {}
    for r in Run.objects.filter(under(place), batch_id__in=ids).select_related("place", "team") \
            .order_by("place__sort_key", "id"):
        runs.setdefault(r.batch_id, []).append(r)
    seen = set(Batch.objects.filter(access.batches_q(scope), id__in=ids).values_list("id", flat=True))
    with_outcome(found)
    for b in found:
        b.here, b.runs_here, b.opens = here.get(b.id, 0), with_outcome(runs.get(b.id, [])), b.id in seen
    return found


def problem_rows(scope, problems) -> list:
    """Each exception with what staff need to act on it (found on a phone: "未送达: 敲门无人
    应答，电话也没人接" said nothing of which door): `.address` (光明小区 3号楼 2单元 302),
    `.phones` (whom to call: `registry.queries.door_phones`, shown through the `phone` tag and
    audited by the page), `.run_id` (the run that carries or carried its door; None before
    the split) and `.opens_batch` (may the user open its batch: the link when there is no
    run), `.visit` (the visit its door raised, if any). One query each for the addresses, the
    phones, the runs, the batches and the visits."""
    from fangkong.registry.queries import door_phones

    problems = list(problems)
    homes = {p.household_id: p.household for p in problems}
    labels, phones = door_labels(homes.values()), door_phones(homes.values())
    batch_ids = {p.batch_id for p in problems}
    runs = {(b, h): r for b, h, r in Stop.objects.filter(run__batch_id__in=batch_ids, household_id__in=list(homes))
            .values_list("run__batch_id", "household_id", "run_id")}
    seen = set(Batch.objects.filter(access.batches_q(scope), id__in=batch_ids).values_list("id", flat=True))
    # the visit a door nobody answered raised (`delivery._visit`): "见到本人" shown on its exception
    from .models import Request, visit_client_id

    asked = {visit_client_id(p.stop_id): p for p in problems if p.stop_id}
    visits = {r.client_id: r for r in Request.objects.filter(client_id__in=list(asked))
              .select_related("assignee", "team")} if asked else {}
    for p in problems:
        p.visit = visits.get(visit_client_id(p.stop_id)) if p.stop_id else None
        p.address, p.phones = labels.get(p.household_id, ""), phones.get(p.household_id, [])
        p.run_id = p.stop.run_id if p.stop_id else runs.get((p.batch_id, p.household_id))
        p.opens_batch = p.batch_id in seen
    from .report_queries import problem_reports

    return problem_reports(problems)  # `.reports`: the family's "这单有问题" of its door and line


# --- how a batch or a run ended ------------------------------------------------------------
# The one definition for the pages, the manifest and the API. A run (a batch) is `done` when
# no door of it is still to confirm — confirmed delivered or not delivered: the carrying is
# over. Whether every door got its goods is counted, not stored: `failed_n` doors not
# delivered (a door "delivered after all" by staff is delivered again), `open_failed_n` of
# them whose exception is still open — unfinished work until staff settle it. Found on a
# phone: a batch with a door not delivered read "已送达 24 户" and its run "共24户，还剩0户"
# while the exception was open.

def with_outcome(rows) -> list:
    """Runs, or batches, each with `stops_n`, `pending_n`, `failed_n`, `open_failed_n`,
    `unfinished` (a door not delivered whose exception is open) and `outcome` (in words:
    `outcome`). One query."""
    from django.db.models import Exists, OuterRef

    from .models import Problem

    rows = list(rows)
    if not rows:
        return rows
    key = "run_id" if isinstance(rows[0], Run) else "run__batch_id"
    failed = Q(state=Stop.State.FAILED)
    still_open = Problem.objects.filter(stop=OuterRef("pk"), resolved_at=None)
    figures = {k: rest for k, *rest in Stop.objects.filter(**{f"{key}__in": [r.id for r in rows]})
               .values(key).annotate(stops=Count("id"), pending=Count("id", filter=Q(state=Stop.State.PENDING)),
                                     failed=Count("id", filter=failed),
                                     open=Count("id", filter=failed & Q(Exists(still_open))))
               .order_by().values_list(key, "stops", "pending", "failed", "open")}
    for r in rows:
        r.stops_n, r.pending_n, r.failed_n, r.open_failed_n = figures.get(r.id, (0, 0, 0, 0))
        r.unfinished = r.open_failed_n > 0
        r.outcome = outcome(r)
    return rows


def outcome(r) -> str:
    """A run's or batch's state in words (`with_outcome` counted it): once no door is left,
    "已全部送达" or "配送结束，1 户未送达"; a run still carried, "共 24 户，还剩 3 户"; a batch
    before that, its state ("已分楼栋派单")."""
    from django.utils.translation import gettext, ngettext

    if r.state == "done":
        if r.failed_n:
            return ngettext("Carried: %(n)d household not delivered", "Carried: %(n)d households not delivered",
                            r.failed_n) % {"n": r.failed_n}
        return gettext("Delivered to every door")
    if isinstance(r, Run):
        return ngettext("%(n)s of %(m)s door to go", "%(n)s of %(m)s doors to go", r.stops_n) % {
            "n": r.pending_n, "m": r.stops_n}
    return r.get_state_display()


# --- a run's doors ---------------------------------------------------------------------------

def checklist(scope, run: Run) -> list[dict]:
    """The run's doors in carrying order with what to carry and, once confirmed, what
    happened (`history`: `delivery_queries.door_history`), and whom to call at each
    (`phones`: `registry.queries.door_phones`, the household's phone, else a resident's
    mobile — found on a phone: 302 had no landline and its resident's mobile was not
    shown). Through `audit.disclosure`: in clear for the run's carriers while it is open
    (their task at these doors) and who may see phones there, masked for anyone else;
    `shown` lists what was shown in clear, for the page or answer to audit; `no_contact`
    (`marks.with_no_contact`): someone there is a case or held by a positive test."""
    from fangkong.audit.disclosure import show_phone
    from fangkong.registry.queries import door_phones

    stops = list(Stop.objects.filter(run=run).select_related("household", "confirmed_by").order_by("position"))
    history = door_history(stops)
    households = [s.household for s in stops]
    labels = door_labels(households)
    carrier = access.carries(scope, run)
    contacts = door_phones(households)
    lines = {}
    for ln in Line.objects.filter(batch_id=run.batch_id, household_id__in=[h.id for h in households]) \
            .order_by("id").only("household_id", "name", "quantity", "outcome", "received", "substitute",
                                  "order_note"):
        lines.setdefault(ln.household_id, []).append(ln)
    rows = []
    for s in stops:
        phones, shown = [], []
        for c in contacts.get(s.household_id, []):
            text, masked = show_phone(scope, c["of"], c["phone"], assigned=carrier)
            phones.append({"name": c["name"], "phone": text, "masked": masked})
            if not masked:
                shown.append(c["of"])
        steps = history.get(s.id, [])
        rows.append({"stop": s, "household": s.household, "household_id": s.household_id,
                     "label": labels[s.household_id],
                     "phones": phones, "shown": shown, "phone": phones[0]["phone"] if phones else "",
                     "lines": lines.get(s.household_id, []), "history": steps,
                     "after_all": any(h["state"] == "delivered_after_all" for h in steps)})
    return with_no_contact(rows)  # a door to hand over at without contact: the page and the API


# --- a door's history ----------------------------------------------------------------------

def door_history(stops) -> dict[int, list[dict]]:
    """{stop id: its steps in time order}, each {"at", "state", "by", "text", "words"}: the
    carrier's confirmation (delivered, or not delivered with the reason), then, for a door
    not delivered, what staff did ("delivered" after all, or "settled" without) with their
    note. Found on a phone: a door delivered after all read "已送达: 敲门无人应答" — the
    failure's reason — and the staff's note was nowhere. One query for the exceptions."""
    from .models import Problem

    stops = [s for s in stops if s.state != Stop.State.PENDING]
    settled = {p.stop_id: p for p in Problem.objects.filter(stop_id__in=[s.id for s in stops],
                                                           kind=Problem.Kind.NOT_DELIVERED)
               .exclude(resolved_at=None).select_related("resolved_by")}
    out = {}
    for s in stops:
        p = settled.get(s.id)
        failed = s.state == Stop.State.FAILED or p is not None
        steps = [{"at": s.confirmed_at, "state": Stop.State.FAILED if failed else Stop.State.DELIVERED,
                  "by": _name(s.confirmed_by), "text": s.reason if failed else ""}]
        if p is not None:
            steps.append({"at": p.resolved_at, "by": _name(p.resolved_by), "text": p.resolution,
                          "state": "delivered_after_all" if s.state == Stop.State.DELIVERED else "settled"})
        for step in steps:
            step["words"] = step_words(step)
        out[s.id] = steps
    return out


def step_words(step) -> str:
    """One step of a door's history in words ("15:52 未送达：敲门无人应答", "18:40 赵静 补送达：
    晚上放在门口")."""
    from django.utils import timezone
    from django.utils.translation import gettext

    from fangkong.core.when import short_time

    at = timezone.localtime(step["at"]) if step["at"] else None
    words = {"time": (f"{at:%H:%M}" if at.date() == timezone.localdate() else short_time(at)) if at else "", "who": step["by"] or "–", "text": step["text"]}
    text = {Stop.State.DELIVERED: gettext("%(time)s delivered by %(who)s"),
            Stop.State.FAILED: gettext("%(time)s not delivered (%(who)s): %(text)s"),
            "delivered_after_all": gettext("%(time)s delivered after all, %(who)s: %(text)s"),
            "settled": gettext("%(time)s settled without delivery, %(who)s: %(text)s")}[step["state"]]
    return text % words


def _name(user) -> str:
    return (user.display_name or user.username) if user is not None else ""


def ends_orders(problem) -> bool:
    """Would closing `problem` without delivery end its household's orders of the batch as
    not delivered (`delivery.resolve_problem`): it is the last open exception of that door
    in the batch and an order there is still at a problem? (The confirm step says so.)"""
    others = Problem.objects.filter(batch_id=problem.batch_id, household_id=problem.household_id,
                                    resolved_at=None).exclude(pk=problem.pk)
    return not others.exists() and Order.objects.filter(
        batch_id=problem.batch_id, household_id=problem.household_id, state=Order.State.PROBLEM).exists()
