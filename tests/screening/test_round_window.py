"""The round's own page says its time window and pool size at the top (as the rounds list
does); planning figures say "1" for a range with equal ends, not "1–1"."""

from django.utils import timezone


def test_round_page_shows_its_time_window_and_pool_size(world, rnd, client):
    client.force_login(world.users.staff)
    page = client.get(f"/screening/rounds/{rnd.id}/").content.decode()
    window = page[page.index('id="round-window"'):]
    window = window[:window.index("</p>")]
    assert timezone.localtime(rnd.starts_at).strftime("%m-%d %H:%M") in window
    assert "每管 3 人" in window


def test_planning_figures_say_one_not_one_to_one(world, rnd, client):
    client.force_login(world.users.staff)
    page = client.get(f"/screening/advisor/?round={rnd.id}").content.decode()
    facts = page[page.index('class="facts"'):]
    facts = facts[:facts.index("</dl>")]
    assert "1–1" not in facts and "<dd>1</dd>" in facts
