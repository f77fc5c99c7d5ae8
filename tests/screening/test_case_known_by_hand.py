"""A person the health authority reported by hand, then confirmed by screening's single
re-test: `case_confirmed` looked only for the re-test's own `source_ref`, so a second
ZoneCase was written, the staff and the grid worker were alarmed a second time, and a zone
escalation the staff had cancelled was drafted again. The re-test confirms the case already
known: one ZoneCase (it records the re-test's `source_ref` and an audit event says so),
nobody told again, no second proposal; the follow-up still closes as a case. The other
order (re-test first, then the notice) answers "already reported", as before. Either way
the figure `cases` counts the person once."""

from django.utils import timezone

from fangkong.audit.models import AuditEvent
from fangkong.core.actor import Actor
from fangkong.notify.models import Notification
from fangkong.screening import node_figures
from fangkong.screening.actions import followup, lab
from fangkong.screening.models import FollowUp
from fangkong.zones.actions import escalate
from fangkong.zones.actions import publish as pub
from fangkong.zones.actions.policy import install_presets
from fangkong.zones.models import Adjustment, ZoneCase
from tests.zones.test_case_reported import _controlled

from .test_alert import positive_pool

KINDS = ("zones.case", "screening.case")


def _told(w):
    return Notification.objects.filter(kind__in=KINDS, user__in=[w.users.staff, w.users.grid]).count()


def _retest_positive(w, person, barcode="S0001"):
    followup.record_retest(Actor.system(w.users.staff), FollowUp.objects.get(resident=person), barcode)
    rows = [{"_row": 1, "barcode": barcode, "result": "positive"}]
    lab.record_results(Actor.system(w.users.lab), rows, source="upload")
    return rows


def _figure(node):
    return node_figures.compute([node], timezone.now())[node.id]["cases"]


def test_a_retest_positive_of_a_person_reported_by_hand_confirms_that_case(world, rnd):
    w = world
    install_presets()
    _controlled(w)
    staff = Actor.system(w.users.staff)
    hand, proposal = escalate.record_case(staff, w.su, source="市卫健委通报")
    assert proposal is not None and _told(w) == 2  # staff and grid worker, once
    pub.cancel(staff, proposal)  # the staff decided: no escalation for it
    drafted = Adjustment.objects.count()
    positive_pool(w, rnd)
    rows = _retest_positive(w, w.su)
    fu = FollowUp.objects.get(resident=w.su)
    assert fu.status == FollowUp.Status.CASE and fu.closed_at is not None  # screening's own record
    assert list(ZoneCase.objects.filter(resident=w.su)) == [hand]  # one case
    hand.refresh_from_db()
    assert hand.source_ref == f"screening.followup:{fu.id}" and hand.source == "市卫健委通报"
    assert _told(w) == 2, list(Notification.objects.filter(kind__in=KINDS).values_list("kind", "title"))
    assert Adjustment.objects.count() == drafted  # no second proposal
    (ev,) = AuditEvent.objects.filter(action="zones.case.confirmed")
    assert ev.target_id == w.su.id and ev.changes["case"] == hand.id
    assert _figure(w.community) == 1
    # the lab's file sent again, a third notice from another source: the same case
    lab.record_results(Actor.system(w.users.lab), rows, source="upload")
    again, _p = escalate.record_case(staff, w.su, source="区疾控通报")
    assert again.reported_before and again.id == hand.id
    assert ZoneCase.objects.filter(resident=w.su).count() == 1 and _told(w) == 2
    assert AuditEvent.objects.filter(action="zones.case.confirmed").count() == 1
    assert _figure(w.community) == 1


def test_a_notice_after_the_retest_positive_is_already_reported(world, rnd, client):
    w = world
    positive_pool(w, rnd)
    _retest_positive(w, w.su)
    (case,) = ZoneCase.objects.filter(resident=w.su)
    assert case.source_ref and _told(w) == 2
    client.force_login(w.users.staff)
    r = client.post("/api/v1/zones/cases", {"resident": w.su.id, "source": "区疾控通报"},
                    content_type="application/json")
    assert r.status_code == 200 and r.json()["already_reported"] is True and r.json()["id"] == case.id
    assert ZoneCase.objects.filter(resident=w.su).count() == 1 and _told(w) == 2
    assert not AuditEvent.objects.filter(action="zones.case.confirmed").exists()
    assert _figure(w.community) == 1
