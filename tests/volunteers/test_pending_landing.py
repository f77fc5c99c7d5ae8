"""A volunteer who registered by the link waits for staff approval without an account
(tester, 2026-12-06): the page they land on said only "waiting for the community's
approval" with a 志愿者登录 button that cannot work yet, a reload posted the form again
(its code used up) and opening the link again showed an empty form. Now the registration
redirects to the link's page, which — on that phone (the session) — says "waiting for
approval by 光明社区" and what they can do meanwhile, until it is approved (then: log in)."""

import datetime

from django.test import Client
from django.utils import timezone

from fangkong.core import pii
from fangkong.volunteers.actions import registration
from fangkong.volunteers.models import PhoneCode, Volunteer
from tests.conftest import actor_for

from .conftest import anon, form


def _register(world, codes, client, n=1, **over):
    link = registration.join_link(actor_for(world.users.staff), world.community)
    data = form(world, n, **over)
    registration.send_code(anon(), data["phone"])
    data["code"] = codes[pii.normalize_phone(data["phone"])]
    return link, client.post(f"/join/{link.token}/", data)


def test_the_registered_person_sees_whom_they_wait_for_and_what_to_do_meanwhile(world, codes):
    c = Client()
    link, r = _register(world, codes, c)
    assert r.status_code == 302 and r.url == f"/join/{link.token}/"  # a reload posts nothing
    v = Volunteer.objects.get(phone=pii.normalize_phone(form(world, 1)["phone"]))
    assert v.status == "pending"
    page = c.get(r.url).content.decode()
    status = page.split('id="registration-status"')[1].split("</div>")[0]
    assert "谢谢您，志愿者1。" in status
    assert "您的报到正在等待光明社区审核。" in status
    assert "审核通过后您会收到短信；在此之前还不能登录志愿者账号。" in status
    assert "等待审核期间" in status and "等待较久？请联系光明社区居委会。" in status
    assert 'href="?again=1"' in status
    assert "/volunteers/login/" not in status  # no log-in that cannot work yet
    assert 'id="join-form"' not in page
    # opening the link again on that phone: the same status, not an empty form
    assert "您的报到正在等待光明社区审核。" in c.get(f"/join/{link.token}/").content.decode()
    # "correct my registration": the form
    assert 'id="join-form"' in c.get(f"/join/{link.token}/?again=1").content.decode()
    # another phone opening the link: the form, nobody's status
    other = Client().get(f"/join/{link.token}/").content.decode()
    assert 'id="join-form"' in other and "registration-status" not in other


def test_registering_again_says_it_was_updated_and_still_waits(world, codes):
    c = Client()
    _register(world, codes, c)
    PhoneCode.objects.update(created_at=timezone.now() - datetime.timedelta(minutes=2))  # a new code may be sent
    link, r = _register(world, codes, c, work_unit="新单位")
    page = c.get(r.url).content.decode()
    assert "报到信息已更新，正在重新等待审核。" in page
    assert "您的报到正在等待光明社区审核。" in page


def test_in_english_it_names_the_community_too(world, codes):
    c = Client()
    c.cookies["django_language"] = "en"
    link, r = _register(world, codes, c)
    page = c.get(r.url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Your registration is waiting for approval by 光明社区." in page
    assert "Meanwhile" in page


def test_once_approved_the_page_says_so_and_offers_the_log_in(world, codes):
    c = Client()
    link, r = _register(world, codes, c)
    registration.approve(actor_for(world.users.staff), Volunteer.objects.get())
    status = c.get(r.url).content.decode().split('id="registration-status"')[1].split("</div>")[0]
    assert "光明社区已审核通过您的志愿者报到。" in status
    assert 'href="/volunteers/login/"' in status


def test_a_rejected_registration_shows_the_form_again(world, codes):
    c = Client()
    link, r = _register(world, codes, c)
    registration.reject(actor_for(world.users.staff), Volunteer.objects.get(), "信息不符")
    page = c.get(r.url).content.decode()
    assert 'id="join-form"' in page and "registration-status" not in page


def test_another_communitys_link_does_not_show_this_registration(world, codes):
    c = Client()
    _register(world, codes, c)
    link_b = registration.join_link(actor_for(world.users.other_staff), world.other)
    page = c.get(f"/join/{link_b.token}/").content.decode()
    assert 'id="join-form"' in page and "registration-status" not in page
