"""A held person's single re-test at home cannot be taken off the home-sampling list while
the follow-up waits: no "不再需要" button beside it (its question spoke of a sampling point
and of the missing list, both false for her), and the action refuses it for the API too."""

import pytest
from django.urls import reverse

from fangkong.core.actor import Actor
from fangkong.core.errors import Invalid
from fangkong.screening.actions import followup
from fangkong.screening.models import HomeVisit

from .test_alert import positive_pool


def test_a_held_persons_retest_visit_cannot_be_taken_off_the_list(world, rnd, client):
    positive_pool(world, rnd)
    hv = HomeVisit.objects.get(round=rnd, resident=world.su, source=HomeVisit.Source.RETEST)
    client.force_login(world.users.staff)
    url = reverse("screening_home_list", args=[rnd.id])
    page = client.get(url).content.decode()
    row = page[page.index("苏霞"):]
    row = row[:row.index("</li>")]
    assert 'value="cancelled"' not in row
    r = client.post(url, {"visit": hv.id, "status": "cancelled"}, follow=True).content.decode()
    assert "单管复核前须居家等候" in r and "采样点" not in r
    hv.refresh_from_db()
    assert hv.status == HomeVisit.Status.OPEN
    with pytest.raises(Invalid):
        followup.set_home_visit(Actor.system(world.users.staff), hv, "cancelled")
