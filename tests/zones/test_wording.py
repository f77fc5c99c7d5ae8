"""Words a street officer found wrong walking the demo: the hint about "安排" shown to command
users who have no 安排 buttons; "比通告日期晚 0 天" / "0 days after the notice's date" when a
notice of this morning is published this afternoon; a dashboard heading "居民" over a figure
named "居民" ("居民 957 居民")."""

import datetime

from django.utils import timezone

from fangkong.zones.models import Adjustment, ZoneType
from tests.zones.test_rules import designate

HINT_ZH = "点“安排”会打开"
HINT_EN = "“Plan” opens the round-planning form"


def test_the_plan_hint_is_shown_only_beside_plan_buttons(world, presets, client):
    w = world
    designate(w, w.unit1, "sealed")
    client.force_login(w.users.street)  # command: reads the plan, plans no round
    page = client.get(f"/zones/p/{w.compound.id}/").content.decode()
    assert "未来7天各区域应做的检测" in page and "/screening/?plan=1" not in page
    assert HINT_ZH not in page
    client.cookies["django_language"] = "en"
    assert HINT_EN not in client.get(f"/zones/p/{w.compound.id}/").content.decode()
    client.force_login(w.users.staff)  # staff plan rounds there: buttons and the hint
    client.cookies["django_language"] = "zh-hans"
    page = client.get(f"/zones/p/{w.compound.id}/").content.decode()
    assert "/screening/?plan=1" in page and HINT_ZH in page


def _publish_step(client, w, noon, notice_at):
    client.post(f"/zones/p/{w.community.id}/adjust/", {"title": "2单元"})
    adj = Adjustment.objects.order_by("-id").first()
    client.post(f"/zones/adjustments/{adj.id}/items/",
                {"place": w.unit2.id, "zone_type": ZoneType.objects.get(policy__is_active=True, code="sealed").id})
    client.post(f"/zones/adjustments/{adj.id}/notice/", {
        "number": f"第{adj.id}号", "issued_by": "指挥部", "title": "封控",
        "effective_at": timezone.localtime(notice_at).strftime("%Y-%m-%dT%H:%M")})
    return client.post(f"/zones/adjustments/{adj.id}/publish/").content.decode()


def test_a_notice_of_this_morning_published_now_says_no_zero_days(world, presets, client, monkeypatch):
    w = world
    noon = timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0)
    monkeypatch.setattr(timezone, "now", lambda: noon)
    client.force_login(w.users.staff)
    step = _publish_step(client, w, noon, noon.replace(hour=5))
    assert "从现在起算" in step and "晚 0 天" not in step
    assert "即通告当天" in step, step
    client.cookies["django_language"] = "en"
    Adjustment.objects.all().delete()
    step = _publish_step(client, w, noon, noon.replace(hour=5))
    assert "0 days after" not in step and "0 day after" not in step
    assert "the notice&#x27;s own date" in step, step
    # a notice of yesterday still says how many days after it: one day, in the singular
    Adjustment.objects.all().delete()
    step = _publish_step(client, w, noon, noon.replace(hour=5) - datetime.timedelta(days=1))
    assert "1 day after the notice&#x27;s date." in step, step


def test_a_dashboard_heading_never_repeats_its_figures_name():
    """Each group's heading differs from every figure under it (was 居民 over 居民 957)."""
    from django.conf import settings
    from django.utils.module_loading import import_string
    from django.utils.translation import override

    for lang in ("zh-hans", "en"):
        with override(lang):
            for path in settings.FANGKONG_FIGURE_PROVIDERS:
                for f in import_string(path).figures:
                    assert str(f.label) != str(f.group), (lang, path, f.key, str(f.label))
