"""Recording a single re-test at the door (walk_lab 5): one tap wrote it with no question and
no identity check, the recorded person jumped to the bottom so the row under the finger
changed, and the sampler's "录入复核试管" link opened the top of the list. Now the tube and the
person are asked first (with "check it is this person"), a double tap records once, the list
keeps its order, and the link opens at the person's row."""

import pytest

from fangkong.screening.models import FollowUp, Tube
from tests.screening.test_followup_tasks import _give, _sampler, positive_pool

pytestmark = pytest.mark.django_db


def test_asked_first_recorded_once_and_the_list_keeps_its_order(world, rnd, client):
    positive_pool(world, rnd)
    client.force_login(world.users.staff)
    url = f"/screening/rounds/{rnd.id}/followups/"
    page = client.get(url).content.decode()
    before = sorted((page.index(f'id="fu-r{r.id}"'), r.name) for r in (world.su, world.yu))
    su = FollowUp.objects.get(round=rnd, resident=world.su)
    cid = page.split(f'name="followup" value="{su.id}"><input type="hidden" name="client_id" value="')[1][:36]
    form = {"followup": su.id, "barcode": "rt0001", "client_id": cid}
    asked = client.post(url, form).content.decode()
    assert "将试管 RT0001 记为 苏霞 的单采复核？" in asked and "请先核对是否本人" in asked
    assert "光明小区" in asked  # where she lives, to check against
    assert not Tube.objects.filter(barcode="RT0001").exists()
    bad = client.post(url, {"followup": su.id, "barcode": "x"}, follow=True).content.decode()
    assert "将试管" not in bad  # a barcode that is none is said at once, nothing asked
    for _ in range(2):  # a double tap on "yes"
        assert client.post(url, {**form, "confirm": "1"}).status_code == 302
    assert Tube.objects.filter(round=rnd, retest=True).count() == 1
    after = client.get(url).content.decode()
    now = sorted((after.index(f'id="fu-r{r.id}"'), r.name) for r in (world.su, world.yu))
    assert [n for _i, n in now] == [n for _i, n in before]  # the recorded row did not move


def test_the_samplers_link_opens_at_the_persons_row(world, rnd, client):
    positive_pool(world, rnd)
    s = _sampler(world, rnd)
    _give(world, rnd, s, world.su)
    client.force_login(world.users.volunteer)
    home = client.get("/volunteers/").content.decode()
    assert f"/screening/rounds/{rnd.id}/followups/#fu-r{world.su.id}" in home
