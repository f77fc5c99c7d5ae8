"""Re-walk "re" defects 1, 6 and 8: a sealed family's round message says to wait at home (as
their page does); a positive person on the PCR missing list is marked and offered the door
swab, not away/hospital/exempt; the family page after a positive names the duty phone."""

import datetime

from django.utils import timezone, translation

from fangkong.core.actor import Actor
from fangkong.notify.models import Notification
from fangkong.screening.actions import planning
from tests.zones.conftest import presets  # noqa: F401 - the zone types
from tests.zones.test_rules import designate


def at(day, hh, mm=0):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hh, mm)))


def test_a_sealed_family_is_told_to_wait_at_home_for_the_round(world, system, presets):  # noqa: F811
    w = world
    designate(w, w.unit1, "sealed")  # the resident's household (101) is in unit 1
    d = timezone.localdate() + datetime.timedelta(days=1)
    planning.plan_round(Actor.system(w.users.staff), w.community, {
        "name": "第4轮核酸", "starts_at": at(d, 7).isoformat(), "ends_at": at(d, 14).isoformat(),
        "pool_size": 10})
    n = Notification.objects.get(kind="screening.round_family", user=w.users.resident)
    assert "在家等候" in n.body and "上门采样" in n.body, n.body
    assert "带上核酸码到采样点" not in n.body
    with translation.override("en"):
        body = n.said()[1]
    assert "Stay at home between 07:00 and 14:00" in body and "Go to the sampling point" not in body


def test_a_family_with_a_positive_is_told_to_wait_at_home_for_the_next_round(world, system):
    """Review: a household not sealed but holding someone with a positive antigen test was
    told "go to the sampling point" by the round's message, right after being told not to
    go out; its swab is taken at the door, as the no-contact rule says."""
    from fangkong.screening.actions import antigen as antigen_actions
    from tests.conftest import actor_for

    from .photos import png
    from .test_antigen import running_antigen_round

    w = world
    ag = running_antigen_round(w, system)
    antigen_actions.record_result(actor_for(w.users.resident), ag, w.su, "positive", photo=png())
    d = timezone.localdate() + datetime.timedelta(days=1)
    planning.plan_round(Actor.system(w.users.staff), w.community, {
        "name": "第5轮核酸", "starts_at": at(d, 7).isoformat(), "ends_at": at(d, 14).isoformat(),
        "pool_size": 10})
    n = Notification.objects.get(kind="screening.round_family", user=w.users.resident, title__startswith="核酸检测")
    assert "在家等候" in n.body and "带上核酸码到采样点" not in n.body, n.body


def test_after_a_positive_the_family_page_names_the_duty_phone_not_a_staff_phone(world, system, login):
    from django.urls import reverse

    from fangkong.registry import actions as reg
    from fangkong.screening.actions import antigen as antigen_actions
    from tests.conftest import actor_for

    from .photos import png
    from .test_antigen import running_antigen_round

    w = world
    w.users.staff.phone = "13703510003"
    w.users.staff.save(update_fields=["phone"])
    ag = running_antigen_round(w, system)
    antigen_actions.record_result(actor_for(w.users.resident), ag, w.su, "positive", photo=png())
    url = reverse("household", args=[w.hh101.id])
    page = login(w.users.resident).get(url).content.decode()
    panel = page[page.index('id="testing-now"'):]
    assert "有问题请打社区电话" in panel  # no duty phone set: the office's staff, as before
    reg.set_duty_phone(Actor.system(w.users.staff), w.community, "03514120999")
    page = login(w.users.resident).get(url).content.decode()
    panel = page[page.index('id="testing-now"'):]
    assert 'id="panel-duty"' in panel and "03514120999" in panel, panel
    assert "有问题请打社区电话" not in panel and "13703510003" not in panel


def test_a_positive_person_on_the_pcr_missing_list_is_marked_with_the_door_swab(world, system, rnd, client):
    from fangkong.screening.actions import antigen as antigen_actions
    from tests.conftest import actor_for

    from .photos import png
    from .test_antigen import running_antigen_round

    w = world
    ag = running_antigen_round(w, system)
    antigen_actions.record_result(actor_for(w.users.resident), ag, w.su, "positive", photo=png())
    client.force_login(w.users.staff)
    page = client.get(f"/screening/rounds/{rnd.id}/missing/?place={w.community.id}").content.decode()
    row = page[page.index(f'id="m-{w.su.id}"'):]
    row = row[:row.index("</li>")]
    assert "抗原阳性" in row and "上门单人单管采样" in row, row  # marked, with the next step
    assert "无接触" in row  # the household's no-contact mark
    # never away nor exempt; a transfer to hospital (120) is still recorded (`access.HELD_OUTCOMES`)
    assert 'value="away"' not in row and 'value="exempt"' not in row
    # a housemate not held is still offered them, with the household's no-contact mark
    yu = page[page.index(f'id="m-{w.yu.id}"'):]
    yu = yu[:yu.index("</li>")]
    assert 'value="exempt"' in yu and "无接触" in yu and "上门单人单管" not in yu
