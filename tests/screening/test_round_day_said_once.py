"""A round whose name says its day ("12月8日 抗原自测") is not followed by the day again
("12月8日 抗原自测 12-08", walk_vulnerable): the household's test results and the staff's
household panel say it once, as the services household page does (`core.when.names_day`);
a name without its day still gets it."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from fangkong.screening.models import Round

pytestmark = pytest.mark.django_db


def _name_today(rnd, with_day):
    d = timezone.localtime(rnd.starts_at)
    rnd.name = f"{d.month}月{d.day}日 抗原自测" if with_day else "抗原自测"
    Round.objects.filter(pk=rnd.pk).update(name=rnd.name)
    return rnd.name, f"{d:%m-%d}"


@pytest.mark.parametrize("with_day", [True, False])
def test_the_test_results_page_says_the_round_s_day_once(world, rnd, login, with_day):
    name, day = _name_today(rnd, with_day)
    page = login(world.users.staff).get(f"/screening/households/{world.hh101.id}/").content.decode()
    head = re.search(r"<h2>(.*?)</h2>", page.split('class="card"', 1)[1], re.S).group(1)
    assert name in head
    assert (day in head) is not with_day, head


@pytest.mark.parametrize("with_day", [True, False])
def test_the_staff_household_panel_says_the_round_s_day_once(world, rnd, login, with_day):
    name, day = _name_today(rnd, with_day)
    html = login(world.users.staff).get(reverse("household", args=[world.hh101.id])).content.decode()
    links = re.search(r'<p class="status-links"><small>(.*?)</small>', html, re.S).group(1)
    assert name in links
    assert (day in links) is not with_day, links
