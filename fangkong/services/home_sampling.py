"""Home sampling asked for by a family (上门采样), the services side: who of the household is to
be sampled at home (`members`, `chosen`), the open requests a newly planned round lists
(`asked_under`, screening's read through settings.FANGKONG_HOME_SAMPLING_ASKED) and where each
person stands on the rounds' lists (`with_home_lines`, read from screening through
settings.FANGKONG_HOME_SAMPLING_LINES), with what happened at the door on the way and its
withdrawal by those who asked (`.timeline`, `timeline_entry`, `withdrawn_entry`). Reads and
checks only: the writes are `actions.requests` (raised, cancelled, withdrawn),
`actions.home_sampled` (done once sampled) and `actions.home_door` (no swab at the door).

Services and screening never import each other: the request goes to screening through
`registry.signals.home_sampling_asked`, the swab comes back through `home_sampled`, and
each side reads the other only through the two settings named above.

The need lives on the request: open, its people are listed on every PCR round planned or
running over their household (a round planned later lists them when it is planned); done
once they are all sampled at home, or closed by staff — then no round lists them again."""

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from fangkong.core.errors import Invalid
from fangkong.core.text import join_words
from fangkong.core.tree import under_any
from fangkong.registry.models import LEVEL_FIELDS, Presence, Resident, Tag

from .models import Request, RequestEvent

CODE = "home_sampling"
# who is chosen when the asker chooses nobody: who cannot go down to the sampling point
DEFAULT_TAGS = (Tag.BEDRIDDEN, Tag.LIMITED_MOBILITY, Tag.ELDERLY_ALONE)


def is_home_sampling(category) -> bool:
    return getattr(category, "code", category) == CODE


def members(household) -> list[Resident]:
    """The household's people at home (who may be sampled at its door), in the registry's order,
    each with `.default` (chosen unless the asker says otherwise: `default_ids`). One query."""
    people = list(Resident.objects.filter(household_id=household.id, presence=Presence.HOME)
                  .only("id", "name", "tags", "household_id", "presence").order_by("id"))
    chosen = default_ids(people)
    for r in people:
        r.default = r.id in chosen
    return people


def default_ids(people) -> set[int]:
    """Those tagged bedridden, limited mobility or elderly living alone; or the one person at
    home; or nobody (the asker must choose)."""
    tagged = {r.id for r in people if any(t in r.tag_list for t in DEFAULT_TAGS)}
    if tagged:
        return tagged
    return {people[0].id} if len(people) == 1 else set()


def chosen(household, raw) -> list[Resident]:
    """The people a home-sampling request is for: `raw` (resident ids from the form's ticks or
    the API's `people`), or none given, `default_ids`. Each must be of this household — anyone
    else, or an id no one has, is refused alike (it says nothing of who that is) — and at home
    (someone away, in hospital or in quarantine is not sampled at this door: said by name).
    Someone whose home sampling is already asked for and not done is refused, naming them.
    Invalid on `people`, in the asker's language."""
    values = [] if raw in (None, "") else list(raw) if isinstance(raw, (list, tuple, set)) else [raw]
    wanted = []
    for v in values:
        try:
            n = int(str(v).strip())
        except (TypeError, ValueError):
            n = 0
        if n < 1 or n > 2**63 - 1:
            raise _refused()
        if n not in wanted:
            wanted.append(n)
    if len(wanted) > 30:
        raise _refused()
    everyone = {r.id: r for r in Resident.objects.filter(household_id=household.id)
                .only("id", "name", "tags", "household_id", "presence", *LEVEL_FIELDS)}  # screening lists them
    if not wanted:
        ids = default_ids([r for r in everyone.values() if r.presence == Presence.HOME])
        if not ids:
            raise Invalid(fields={"people": [_("Choose who needs to be sampled at home.")]})
        wanted = sorted(ids)
    if any(n not in everyone for n in wanted):
        raise _refused()
    people = [everyone[n] for n in wanted]
    away = [r for r in people if r.presence != Presence.HOME]
    if away:
        raise Invalid(fields={"people": [_(
            "%(names)s is not at home in the registry (%(where)s): a sampler comes to this door only for "
            "people at home. If that is wrong, tell your grid worker.") % {
            "names": join_words(r.name for r in away),
            "where": join_words(str(r.get_presence_display()) for r in away)}]})
    asked = set(Request.people.through.objects.filter(
        resident_id__in=wanted, request__category__code=CODE, request__state__in=Request.OPEN)
        .values_list("resident_id", flat=True))
    if asked:
        raise Invalid(fields={"people": [_(
            "Home sampling for %(names)s is already asked for and not done yet: it is on its way, "
            "there is no need to ask again.") % {"names": join_words(r.name for r in people if r.id in asked)}]})
    return people


def _refused() -> Invalid:
    return Invalid(fields={"people": [_("Only people of this household can be chosen for home sampling.")]})


def asked_under(keys) -> list[dict]:
    """settings.FANGKONG_HOME_SAMPLING_ASKED: the open home-sampling requests of households under
    any of `keys` (places or (kind, id) pairs: a round's areas), oldest first — a round planned
    over them lists their people (`screening.actions.home_request.for_round`). Each
    {"request": id, "household": id, "people": [resident ids], "text": the family's words}.
    Two queries."""
    reqs = list(Request.objects.filter(category__code=CODE, state__in=Request.OPEN)
                .filter(under_any(list(keys))).order_by("raised_at", "id")
                .values_list("id", "household_id", "text")[:2000])
    people = {}
    for rid, pid in Request.people.through.objects.filter(request_id__in=[r[0] for r in reqs]) \
            .values_list("request_id", "resident_id"):
        people.setdefault(rid, []).append(pid)
    return [{"request": rid, "household": hid, "people": sorted(people.get(rid, [])), "text": text}
            for rid, hid, text in reqs if people.get(rid)]


def with_home_lines(reqs) -> list:
    """Each home-sampling request of `reqs` (already read by someone allowed to) with
    `.home_people` (its people: [Resident]), `.home_lines` (each person on each round's
    list, in the reader's words: "苏霞：已列入 04-12 第3轮核酸 上门采样名单", screening's
    `home_requests.lines` through settings.FANGKONG_HOME_SAMPLING_LINES) and `.timeline`
    (what happened at the door on the way, oldest first: `timeline_entry`; then, withdrawn,
    `withdrawn_entry`); the others with none.
    No query when none is one; else three and screening's one."""
    reqs = list(reqs)
    mine = [r for r in reqs if is_home_sampling(r.category)]
    for r in reqs:
        r.home_people, r.home_lines, r.timeline = [], [], []
    if not mine:
        return reqs
    by_id = {r.id: r for r in mine}
    for link in Request.people.through.objects.filter(request_id__in=list(by_id)) \
            .select_related("resident").order_by("resident_id"):
        by_id[link.request_id].home_people.append(link.resident)
    path = getattr(settings, "FANGKONG_HOME_SAMPLING_LINES", "")
    if path:
        for rid, lines in import_string(path)(list(by_id)).items():
            by_id[rid].home_lines = lines
    for ev in RequestEvent.objects.filter(request_id__in=list(by_id)).order_by("at", "id"):
        r = by_id[ev.request_id]
        r.timeline.append(timeline_entry(ev, {p.id: p.name for p in r.home_people}))
    for r in mine:  # withdrawn by those who asked: the last thing that happened to it
        if r.withdrawn_at:
            r.timeline.append(withdrawn_entry(r))
    return reqs


def withdrawn_entry(r: Request) -> dict:
    """A withdrawn request's last timeline entry (`actions.requests.withdraw`: the family, or
    the neighbour who asked it, said it is no longer needed): {"at", "kind": "withdrawn",
    "outcome": "", "resident": None, "text"} — "住户撤回，不再需要：家人已带她去采样点", their
    words when they gave some. Kept on the request's own fields, not a `RequestEvent`."""
    what = _("withdrawn by those who asked, no longer needed")
    if r.withdraw_reason:
        what = what + pgettext("a label and what it says", ": ") + r.withdraw_reason
    return {"at": r.withdrawn_at, "kind": "withdrawn", "outcome": "", "resident": None, "text": what}


def timeline_entry(ev: RequestEvent, names: dict) -> dict:
    """An event of a request's timeline as the request page and its API say it: {"at",
    "kind", "outcome", "resident", "text"} — `text` in the reader's language ("苏霞：上门采样
    人员到门无人应答"); `names`: {resident id: name} of the request's people."""
    name = names.get(ev.resident_id, "")
    if ev.outcome == "refused":
        what = _("the home sampler came, the swab was refused")
    elif ev.outcome == "not_here":
        what = _("the home sampler came, not at this address")
    else:
        what = _("the home sampler came, nobody answered the door")
    return {"at": ev.at, "kind": ev.kind, "outcome": ev.outcome, "resident": ev.resident_id,
            "text": _("%(name)s: %(what)s") % {"name": name, "what": what} if name else what}
