"""An escalation is not filed under an unrelated, already-used notice without a word (found on
a re-walk: the draft "升级：10号楼划为封控区" was published under "19号 关于解除光明小区3号楼封控的
通告", the lift's notice, without complaint). The attach dropdown chooses no notice for the user
and names the change each one already carries; attaching, publishing and scheduling under a
notice another scheduled or published change carries warns, naming it."""

import datetime
import re

from django.utils import timezone

from fangkong.zones.actions import publish as pub
from tests.conftest import actor_for
from tests.zones.test_publish import adjust, types


def _used(w):
    staff = actor_for(w.users.staff)
    first = adjust(staff, w, [(pub.Op.CREATE, w.compound, types()["controlled"])])
    pub.publish(staff, first)
    first.refresh_from_db()
    draft = pub.draft(staff, w.community, "升级：1号楼划为封控区")
    pub.add_item(staff, draft, pub.Op.CREATE, w.building, types()["sealed"])
    return first, draft


def test_publishing_under_a_used_notice_warns_and_names_the_other_change(world, presets, client):
    w = world
    first, draft = _used(w)
    client.force_login(w.users.staff)
    page = client.get(f"/zones/adjustments/{draft.id}/").content.decode()
    select = re.search(r'<select id="f-notice".*?</select>', page, re.S).group(0)
    assert '<option value="" selected>' in select
    assert f'<option value="{first.notice_id}">{first.notice.number} 关于划定封控区的通告 · 已用于通告第18号</option>' \
        in select, select
    attached = client.post(f"/zones/adjustments/{draft.id}/notice/", {"notice": first.notice_id}, follow=True)
    said = f"通告{first.notice.number}（关于划定封控区的通告）已是“通告第18号”的通告：本次调整也会列在其下。"
    assert said in attached.content.decode()
    asked = client.post(f"/zones/adjustments/{draft.id}/publish/").content.decode()
    assert said in asked, asked
    at = (timezone.localtime() + datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    assert said in client.post(f"/zones/adjustments/{draft.id}/schedule/", {"at": at}).content.decode()


def test_a_notice_of_its_own_publishes_without_the_warning(world, presets, client):
    w = world
    staff = actor_for(w.users.staff)
    draft = adjust(staff, w, [(pub.Op.CREATE, w.compound, types()["controlled"])])
    client.force_login(w.users.staff)
    asked = client.post(f"/zones/adjustments/{draft.id}/publish/").content.decode()
    assert "本次调整也会列在其下" not in asked
