"""Found on the walk of a sealed building's vulnerable people (wip/walk_vulnerable.md, defect
8): the case message said "请按病例处置流程管控该户。" and nothing of the building's terminal
disinfection due within 4 hours, nor who does it. Now the message says by when, and which
team — or that no team can go out for it, so staff arrange it."""

from django.utils import timezone
from django.utils.formats import date_format

from fangkong.notify.models import Notification
from fangkong.services.models import Disinfection
from fangkong.zones.models import ZoneCase


def test_the_case_message_says_when_the_terminal_disinfection_is_due_and_that_no_team_can_go(world, presets, client):
    w = world
    client.force_login(w.users.street)
    r = client.post("/api/v1/zones/cases", {"resident": w.xia.id, "source": "区疾控中心报告"},
                    content_type="application/json")
    assert r.status_code == 201, r.content
    d = Disinfection.objects.get(case=ZoneCase.objects.get())
    due = date_format(timezone.localtime(d.due_at), "H:i")
    for user in (w.users.staff, w.users.grid, w.users.street):
        (m,) = Notification.objects.filter(user=user, kind="zones.case")
        _procedure, rest = m.body.split("请按病例处置流程管控该户。")
        assert rest.strip().startswith(f"1号楼终末消杀须在{due}前完成，但现在没有能外出的消杀队伍"), m.body

