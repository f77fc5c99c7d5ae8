"""Walker (staff_guangming, English page, 2026-12-07): a round planned from the zones' cadence
was named in the planner's language with an ambiguous date ("Sealed area PCR, 12/7", read 12
July by some) and that name was sent to Chinese-speaking families ("已安排Sealed area PCR,
12/7：…"); the cadence offered "Plan this PCR round" on a day a round already covered, and
planning it made an overlapping round without asking (the families told a second time, the
sealed building's people listed at home again). Now the name is written in the community's
language with the day as 12月7日, the families read the kind of test and its window in their
own language, a planned day says by which round, and planning one more from the cadence is
asked about first, by the day."""

import datetime
from urllib.parse import parse_qs, urlsplit

from django.utils import timezone, translation

from fangkong.core.actor import Actor
from fangkong.notify.models import Notification
from fangkong.screening.actions import planning
from fangkong.screening.areas import overlapping
from fangkong.screening.models import Round
from fangkong.zones import cadence
from fangkong.zones.models import ZoneType
from tests.zones.test_plan_from_cadence import plan_links
from tests.zones.test_rules import designate


def _today_link(client, place):
    links = plan_links(client, place)
    q = parse_qs(urlsplit(links[0]).query)  # today's (from the next full hour)
    return {k: v[0] for k, v in q.items() if k != "plan"}


def test_a_proposed_name_is_in_the_communitys_language_with_a_month_and_day(world, presets, client):
    designate(world, world.unit1, "sealed")
    day = timezone.localdate() + datetime.timedelta(days=1)
    sealed = list(ZoneType.objects.filter(policy__is_active=True, code="sealed"))
    with translation.override("en"):  # the planner reads English
        name = cadence.round_proposal(world.compound, day, "pcr", sealed)["name"]
    assert name == f"{day.month}月{day.day}日 封控区核酸", name
    client.force_login(world.users.staff)
    client.cookies["django_language"] = "en"
    data = _today_link(client, world.compound)
    today = timezone.localdate()
    assert data["name"] == f"{today.month}月{today.day}日 封控区核酸", data["name"]
    assert client.post("/screening/plan/", data).status_code == 302
    rnd = Round.objects.get()
    assert rnd.name == data["name"]
    # the family reads the kind of test and its window, in its own language (Chinese)
    note = Notification.objects.get(kind="screening.round_family", user=world.users.resident)
    assert note.title.startswith(("核酸检测：今天（", "核酸检测：明天（")), note.title
    assert "Sealed" not in note.title and "/" not in note.title
    with translation.override("en"):
        assert note.said()[0].startswith(("PCR testing: today (", "PCR testing: tomorrow (")), note.said()[0]


def test_a_day_covered_by_a_round_is_marked_and_one_more_is_asked_about(world, presets, client):
    w = world
    designate(w, w.unit1, "sealed")
    client.force_login(w.users.staff)
    data = _today_link(client, w.compound)
    # the community's round runs this morning until the hour the cadence proposes to start
    # (or past its end): the windows do not overlap, the day is covered
    start = timezone.make_aware(datetime.datetime.fromisoformat(data["starts_at"]))
    running = planning.plan_round(Actor.system(w.users.staff), w.community, {
        "name": "第3轮核酸", "kind": "pcr", "starts_at": (start - datetime.timedelta(hours=7)).isoformat(),
        "ends_at": start.isoformat(), "pool_size": 10})
    told = Notification.objects.filter(kind="screening.round_family").count()
    page = client.get(f"/zones/p/{w.compound.id}/").content.decode()
    assert "已安排：第3轮核酸" in page, page
    assert "再安排一轮核酸" in page
    assert data["cadence"] == "1"
    asked = client.post("/screening/plan/", data)
    assert asked.status_code == 200 and "第3轮核酸" in asked.content.decode()
    assert list(Round.objects.values_list("id", flat=True)) == [running.id]  # nothing planned yet
    assert Notification.objects.filter(kind="screening.round_family").count() == told
    # the API's rule is unchanged: windows that only touch are no overlap
    assert not overlapping("pcr", start, start + datetime.timedelta(hours=7), [w.community])
    # confirmed: planned, as the planner chose
    assert client.post("/screening/plan/", {**data, "confirm": "1"}).status_code == 302
    assert Round.objects.count() == 2


def test_a_day_not_covered_offers_the_round(world, presets, client):
    designate(world, world.unit1, "sealed")
    client.force_login(world.users.staff)
    page = client.get(f"/zones/p/{world.compound.id}/").content.decode()
    assert "已安排：" not in page and "安排这轮核酸" in page
    client.cookies["django_language"] = "en"
    page = client.get(f"/zones/p/{world.compound.id}/").content.decode()
    assert "Testing required by the zones (next 7 days)" in page


def test_a_day_whose_round_was_ended_is_still_covered_and_one_more_is_asked_about(world, presets, client):
    """Review (finding 2): the morning round ended by staff at 11:30 still is the day's test —
    the afternoon shift is not offered the same day's round again without being asked."""
    from fangkong.screening.models import RoundStatus

    w = world
    designate(w, w.unit1, "sealed")
    client.force_login(w.users.staff)
    data = _today_link(client, w.compound)
    start = timezone.make_aware(datetime.datetime.fromisoformat(data["starts_at"]))
    morning = planning.plan_round(Actor.system(w.users.staff), w.community, {
        "name": "第3轮核酸", "kind": "pcr", "starts_at": (start - datetime.timedelta(hours=7)).isoformat(),
        "ends_at": start.isoformat(), "pool_size": 10})
    Round.objects.filter(pk=morning.pk).update(status=RoundStatus.CLOSED)  # ended by staff
    page = client.get(f"/zones/p/{w.compound.id}/").content.decode()
    assert "已安排：第3轮核酸" in page, page
    asked = client.post("/screening/plan/", data)
    assert asked.status_code == 200 and "第3轮核酸" in asked.content.decode()
    assert list(Round.objects.values_list("id", flat=True)) == [morning.id]
    # a PCR round's own window rule is unchanged: an ended round is not asked about
    assert not overlapping("pcr", start - datetime.timedelta(hours=6), start, [w.community])
