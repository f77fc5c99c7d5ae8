"""'Add bedridden and limited-mobility people from the registry' on the home-sampling page
adds only people still to sample (not someone already sampled: that made an invisible open
visit and a count larger than what appeared), counts exactly the visits added, and labels
each with its real reason: a registry tag, or a household zone sampled at home."""

from fangkong.screening.actions import followup
from fangkong.screening.models import HomeVisit
from tests.zones.conftest import presets  # noqa: F401 - the zone types
from tests.zones.test_rules import designate

from .conftest import api, cid


def test_home_list_skips_the_sampled_counts_what_it_adds_and_says_why(world, rnd, presets, client, system):  # noqa: F811
    client.force_login(world.users.staff)
    designate(world, world.unit2, "sealed")  # 王新勇 (no tag) lives in a sealed unit
    assert api(client, "post", f"/rounds/{rnd.id}/tubes", {"barcode": "T0001"}).status_code == 201
    assert api(client, "post", f"/rounds/{rnd.id}/scan", {"client_id": cid(), "barcode": "T0001",
                                                           "person": world.su.token}).status_code == 200
    r = client.post(f"/screening/rounds/{rnd.id}/home/", {"generate": "1"}, follow=True)
    page = r.content.decode()
    assert "已添加 2 人到入户采样名单" in page  # 夏明 (卧床) and 王新勇 (sealed), not 苏霞 (sampled)
    visits = {v.resident_id: v for v in HomeVisit.objects.filter(round=rnd)}
    assert set(visits) == {world.xia.id, world.wang.id}
    assert visits[world.xia.id].source_label(rnd) == "来自台账标签"
    assert visits[world.wang.id].source_label(rnd) == "所在区域须居家采样"
    assert visits[world.wang.id].note_text() == ""
    assert followup.generate_home_list(system, rnd) == 0
