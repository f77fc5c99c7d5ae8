"""A volunteer passed over on a waitlist because of a clash: the staff's roster keeps the
reason on her row, and she is told before and when she takes the overlapping place (found
on the re-walk: call 4's page showed 田晓燕 on the 候补名单 with no reason — it had only been
a one-time flash — and signing up for 明早7点全员核酸 did not say it would skip her there)."""

from django.urls import reverse

from fangkong.volunteers.actions import answers
from tests.conftest import actor_for

from .test_waitlist_words import blocked_on_waitlist, new_call


def test_the_staff_roster_says_why_a_waiting_volunteer_is_passed_over(world, make_volunteer, login):
    call, other, second = blocked_on_waitlist(world, make_volunteer)
    page = login(world.users.staff).get(reverse("volunteers_call", args=[call.id])).content.decode()
    waitlist = page[page.index('id="waitlisted"'):]
    row = waitlist[:waitlist.index("</ol>")]
    assert second.name in row and "passed-over" in row and other.title in row


def test_signing_up_for_an_overlapping_call_says_the_waitlist_skips_her(world, make_volunteer, login):
    first, second = make_volunteer(1), make_volunteer(2)
    call = new_call(world)
    other = new_call(world, hours=4, title="明早7点全员核酸", slots=3)
    answers.sign_up(actor_for(first.user), call)
    assert answers.sign_up(actor_for(second.user), call).status == "waitlisted"
    client = login(second.user)
    before = client.get(reverse("volunteers_call", args=[other.id])).content.decode()
    assert 'id="skips"' in before and call.title in before
    after = client.post(reverse("volunteers_call_sign_up", args=[other.id]), follow=True).content.decode()
    assert call.title in after and ("passed over" in after or "跳过" in after)
