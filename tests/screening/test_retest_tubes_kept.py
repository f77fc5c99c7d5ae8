"""A second single re-test tube silently replaced the first: the lab's positive on the first
tube found nobody, the negative of the second released her, and nobody was told (walk lab,
defect 1). A tube already with the lab is never replaced; every re-test tube of a person
is hers, and any positive one is a case, whatever order the results come in."""

import pytest

from fangkong.core.actor import Actor
from fangkong.core.errors import Invalid
from fangkong.notify.models import Notification
from fangkong.screening.actions import followup, lab
from fangkong.screening.models import FollowUp, Sample

from .conftest import api
from .test_alert import positive_pool


def test_a_second_retest_while_the_first_is_at_the_lab_is_refused_and_nothing_replaced(world, rnd, client):
    positive_pool(world, rnd)
    fu = FollowUp.objects.get(resident=world.su)
    staff = Actor.system(world.users.staff)
    followup.record_retest(staff, fu, "RT00001")
    fu.refresh_from_db()
    with pytest.raises(Invalid) as e:
        followup.record_retest(staff, fu, "RT00010")
    assert e.value.code == "retest_pending" and "RT00001" in str(e.value.message)
    fu.refresh_from_db()
    assert fu.retest_tube.barcode == "RT00001" and fu.status == FollowUp.Status.RESAMPLED
    # the API says the same, in the user's language
    client.force_login(world.users.staff)
    out = api(client, "post", f"/followups/{fu.id}/retest", {"barcode": "RT00010"})
    assert out.status_code in (400, 422) and "RT00001" in out.content.decode()
    assert not Sample.objects.filter(tube__barcode="RT00010").exists()


def test_any_positive_retest_tube_makes_a_case_whatever_order_results_come(world, rnd):
    """An invalid first tube lets a second one be taken; the lab then corrects the first to
    positive and the second comes back negative: she is a case, staff told."""
    positive_pool(world, rnd)
    staff, lab_actor = Actor.system(world.users.staff), Actor.system(world.users.lab)
    fu = FollowUp.objects.get(resident=world.su)
    followup.record_retest(staff, fu, "RT00001")
    lab.record_results(lab_actor, [{"barcode": "RT00001", "result": "invalid"}])
    fu.refresh_from_db()
    assert fu.status == FollowUp.Status.AWAITING
    followup.record_retest(staff, fu, "RT00010")  # a new tube once the first came back invalid
    fu.refresh_from_db()
    assert fu.retest_tube.barcode == "RT00010"
    # the first tube corrected to positive, the second negative, in one file
    out = lab.record_results(lab_actor, [{"barcode": "RT00001", "result": "positive"},
                                         {"barcode": "RT00010", "result": "negative"}],
                             confirm_changes=True)
    fu.refresh_from_db()
    assert fu.status == FollowUp.Status.CASE
    assert (out["cases"], out["released"]) == (1, 0)
    assert Notification.objects.filter(kind="screening.case").exists() or \
        Notification.objects.filter(kind__contains="case").exists()
    # a later negative never releases a case
    lab.record_results(lab_actor, [{"barcode": "RT00010", "result": "negative"}])
    fu.refresh_from_db()
    assert fu.status == FollowUp.Status.CASE


def test_a_negative_second_tube_does_not_release_while_the_first_is_positive_later(world, rnd):
    """The results in the other order: the second tube negative first — released — and then
    the first tube corrected to positive: a case."""
    positive_pool(world, rnd)
    staff, lab_actor = Actor.system(world.users.staff), Actor.system(world.users.lab)
    fu = FollowUp.objects.get(resident=world.su)
    followup.record_retest(staff, fu, "RT00001")
    lab.record_results(lab_actor, [{"barcode": "RT00001", "result": "invalid"}])
    fu.refresh_from_db()
    followup.record_retest(staff, fu, "RT00010")
    lab.record_results(lab_actor, [{"barcode": "RT00010", "result": "negative"}])
    fu.refresh_from_db()
    assert fu.status == FollowUp.Status.RELEASED
    out = lab.record_results(lab_actor, [{"barcode": "RT00001", "result": "positive"}], confirm_changes=True)
    fu.refresh_from_db()
    assert fu.status == FollowUp.Status.CASE and out["cases"] == 1
