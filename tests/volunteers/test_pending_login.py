"""A volunteer still waiting for approval asks for a login code (walk "vol", item 8: the page
said only "if the phone belongs to an approved volunteer, a code was sent", and nothing came).
Now that phone gets a text saying the registration waits for approval; the page answers the
same as for any phone, so whoever types a number learns nothing about who is registered."""

import re

from django.test import Client

from fangkong.core import pii
from fangkong.notify.models import Delivery
from fangkong.volunteers.actions import registration

from .conftest import form


def _page(phone):
    body = Client().post("/volunteers/login/", {"phone": phone}).content.decode()
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body)
    body = re.sub(r'"X-CSRFToken": "[^"]+"', "", body)
    return body.replace(phone, "PHONE")


def test_a_pending_volunteer_is_texted_and_the_page_says_the_same_as_for_anyone(world, make_volunteer):
    pending = make_volunteer(9, approve=False)
    phone = pending.phone
    stranger = pii.normalize_phone(form(world, 77)["phone"])
    page = _page(phone)
    assert page == _page(stranger)  # nothing on the page tells them apart
    assert "还未审核" in page or "等待审核" in page  # and it says what a pending person gets
    told = list(Delivery.objects.filter(kind=registration.PENDING_NOTICE, target=phone))
    assert told and "光明社区" in told[0].body and "等待" in told[0].body
    assert not Delivery.objects.filter(target=stranger).exists()
    assert not Delivery.objects.filter(target=phone, kind="volunteers.code.login").exists()
    n = len(told)
    assert _page(phone) == page  # asked again: the same answer, and no second text
    assert Delivery.objects.filter(kind=registration.PENDING_NOTICE, target=phone).count() == n
