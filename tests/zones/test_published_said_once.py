"""After publishing, "已发布，按通告生效时间…" was said twice, in the flash and in the page's
header (walk_vulnerable): the header says it, once, with the notice's time when it counts
from it; a publication from now says its own time, once."""

import datetime

import pytest
from django.utils import timezone

from fangkong.zones.actions import publish as pub
from fangkong.zones.actions.policy import install_presets
from fangkong.zones.models import ZoneType
from tests.conftest import actor_for

pytestmark = pytest.mark.django_db


def _draft(w, at):
    install_presets()
    staff = actor_for(w.users.staff)
    n = pub.create_notice(staff, w.community, {"number": "第19号", "issued_by": "桥东街道", "title": "封控通告",
                                               "effective_at": at.isoformat()})
    adj = pub.draft(staff, w.community, "封控", notice=n)
    pub.add_item(staff, adj, pub.Op.CREATE, w.building, ZoneType.objects.get(policy__is_active=True, code="sealed"))
    return adj


@pytest.mark.parametrize("chosen", ["notice", "now"])
def test_publishing_says_it_once(world, login, chosen):
    at = (timezone.localtime() - datetime.timedelta(hours=1)).replace(second=0, microsecond=0)
    adj = _draft(world, at)
    c = login(world.users.staff)
    page = c.post(f"/zones/adjustments/{adj.id}/publish/", {"confirm": "1", "from": chosen},
                  follow=True).content.decode()
    assert page.count("已发布，") == 1 and "已发布：" not in page, page  # the header only, not a flash too
    head = page.split('id="published"')[1].split("</p>")[0]
    assert ("按通告生效时间" in head) is (chosen == "notice") and "户" in head, head
    if chosen == "notice":
        assert f"{at:%H:%M}" in head and "发布于" in head
