"""A sealed family learns when and how the seal can end (a resident's walk: staff read "无新增
第 0 天（需 14 天）：还差 14 天" on the lifting page, the family only "自…起"). The household's
zone panel says the same count from the same recommendation, in plain words."""

import datetime

from django.utils import timezone
from django.utils.formats import date_format

from fangkong.zones import lifting
from fangkong.zones.models import Designation
from tests.conftest import actor_for
from tests.zones.test_lift_home import _adjust


def test_the_sealed_family_reads_the_days_to_go_and_the_earliest_end(world, presets, client):
    w = world
    street = actor_for(w.users.street)
    _adjust(street, w.street, w.building, "sealed", "第18号", timezone.now() - datetime.timedelta(minutes=5),
            from_notice=True)
    d = Designation.objects.get(place=w.building, ends_at=None)
    rec = lifting.recommendations([d])[0]
    assert rec.rule is not None and rec.day == 0
    need = rec.rule.clean_days
    client.force_login(w.users.resident)
    page = client.get(f"/households/{w.hh101.id}/").content.decode()
    assert 'id="zone-lifting"' in page, page
    panel = page[page.index('id="zone-lifting"'):page.index("</div>", page.index('id="zone-lifting"'))]
    assert "接下来" in panel and "可能解除。" in panel  # nothing over it: the seal itself may end
    assert f"无新增病例第 0 天（需 {need} 天）：还差 {need} 天。" in panel, panel
    earliest = date_format(timezone.localdate() + datetime.timedelta(days=need), "MONTH_DAY_FORMAT")
    assert earliest in panel and "重新计算" in panel
