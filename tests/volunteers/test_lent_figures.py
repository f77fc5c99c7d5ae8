"""A borrowing community's figures for a volunteer lent to it add up (found on the re-walk:
双塔社区's page of 田晓燕 said 时长 2.7 above 服务记录 "暂无记录" — her hours at home —
and its people list said "已通过 (1)" where its dashboard said "0 已审核志愿者"). Her page
there totals the rows it shows (在本社区); the list and the dashboard count the community's
own volunteers, the one lent in counted apart."""

import datetime

from django.urls import reverse
from django.utils import timezone

from fangkong.volunteers import figures
from fangkong.volunteers.actions import registration
from tests.conftest import actor_for

from .test_hours_add_up import liu  # noqa: F401  (刘静: 3.0 h at home)


def test_the_borrowers_person_page_totals_only_the_rows_it_shows(world, liu, login):  # noqa: F811
    registration.lend(actor_for(world.users.staff), liu, world.other, timezone.now() + datetime.timedelta(days=2))
    page = login(world.users.other_staff).get(reverse("volunteers_person", args=[liu.id])).content.decode()
    assert '<strong>0.0</strong>' in page and "在本社区" in page
    home = login(world.users.staff).get(reverse("volunteers_person", args=[liu.id])).content.decode()
    assert '<strong>3.0</strong>' in home and "在本社区" not in home


def test_the_people_list_and_the_dashboard_count_the_same_volunteers(world, make_volunteer, login):
    v = make_volunteer(1, name="田晓燕")
    registration.lend(actor_for(world.users.staff), v, world.other, timezone.now() + datetime.timedelta(days=2))
    tile = figures.compute([world.other], timezone.now())[world.other.id]["volunteers"]
    assert tile == 0
    html = login(world.users.other_staff).get(
        reverse("volunteers_people", args=[world.other.id]) + "?status=approved").content.decode()
    assert "已通过 (0 · 借调来 1)" in html and "田晓燕" in html
    label = next(f.label for f in figures.PROVIDER.figures if f.key == "volunteers")
    assert "不含借调" in str(label)
