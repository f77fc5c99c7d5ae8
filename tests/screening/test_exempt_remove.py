"""Removing an exemption was one tap (tester, 2026-12-06): now it asks first, on the
codebase's confirm step (`core.views.confirm_step`), naming whose exemption goes, where they
live, why they were exempt, and what follows — they are on the round's missing list again.
Nothing is removed until "yes"; an exemption of another round is not found from this one."""

import datetime

from django.utils import timezone

from fangkong.screening import figures
from fangkong.screening.actions import planning
from fangkong.screening.models import Exemption


def test_removing_an_exemption_asks_first_and_says_who_and_what_follows(world, rnd, login, system):
    ex = planning.add_exemption(system, rnd, world.wang, "other", "在外地出差")
    c = login(world.users.grid)
    url = f"/screening/rounds/{rnd.id}/exemptions/"
    page = c.get(url).content.decode()
    assert f'name="remove" value="{ex.id}"' in page and "移除…" in page
    asked = c.post(url, {"remove": ex.id})
    assert asked.status_code == 200
    text = asked.content.decode()
    assert 'class="card confirm"' in text
    assert f"确定移除{world.wang.name}的本轮免检？" in text
    assert "光明小区 1号楼 2单元 201" in text and "其他原因" in text and "在外地出差" in text
    assert f"移除后，{world.wang.name}将重新列入本轮未检名单，直到完成采样。" in text
    assert 'name="confirm" value="1"' in text and f'name="remove" value="{ex.id}"' in text
    assert f'href="{url}"' in text  # "no, go back" goes back to the list
    assert Exemption.objects.filter(pk=ex.pk).exists()  # nothing removed yet
    assert figures.coverage(rnd, rnd.place)["exempt"] == 1
    done = c.post(url, {"remove": ex.id, "confirm": "1"}, follow=True)
    assert done.status_code == 200
    assert not Exemption.objects.filter(pk=ex.pk).exists()
    assert f"已移除{world.wang.name}的本轮免检。" in done.content.decode()
    assert figures.coverage(rnd, rnd.place)["exempt"] == 0


def test_removing_it_in_english_says_the_same(world, rnd, login, system):
    ex = planning.add_exemption(system, rnd, world.wang, "other", "出差")
    world.users.grid.language = "en"
    world.users.grid.save(update_fields=["language"])
    c = login(world.users.grid)
    text = c.post(f"/screening/rounds/{rnd.id}/exemptions/", {"remove": ex.id},
                  HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"Remove the exemption of {world.wang.name}?" in text
    assert f"{world.wang.name} will be on this round&#x27;s missing list again until sampled." in text
    assert Exemption.objects.filter(pk=ex.pk).exists()


def test_an_exemption_of_another_round_is_not_found_from_this_one(world, rnd, login, system):
    now = timezone.now()
    other = planning.plan_round(system, world.community, {
        "name": "第4轮核酸", "kind": "pcr", "starts_at": now - datetime.timedelta(hours=1),
        "ends_at": now + datetime.timedelta(hours=6), "pool_size": 3})
    ex = planning.add_exemption(system, other, world.wang, "other", "出差")
    c = login(world.users.staff)
    url = f"/screening/rounds/{rnd.id}/exemptions/"
    assert c.post(url, {"remove": ex.id}).status_code == 404
    assert c.post(url, {"remove": ex.id, "confirm": "1"}).status_code == 404
    assert Exemption.objects.filter(pk=ex.pk).exists()


def test_the_other_communitys_staff_cannot_remove_it(world, rnd, login, system):
    ex = planning.add_exemption(system, rnd, world.wang, "other", "出差")
    c = login(world.users.other_staff)
    assert c.post(f"/screening/rounds/{rnd.id}/exemptions/", {"remove": ex.id, "confirm": "1"}).status_code == 404
    assert Exemption.objects.filter(pk=ex.pk).exists()
