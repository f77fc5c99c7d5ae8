"""Volunteer test helpers: codes captured from the notification channel, volunteers made
through the registration and approval actions."""

import datetime

import pytest

from fangkong.core import pii
from fangkong.core.actor import Actor
from fangkong.volunteers.actions import registration
from tests.conftest import actor_for


@pytest.fixture
def codes(monkeypatch):
    """Phone → the last code sent to it (the real sender still runs)."""
    sent = {}
    real = registration.deliver_code

    def capture(phone, code, purpose, place=None):
        sent[phone] = code
        real(phone, code, purpose, place)

    monkeypatch.setattr(registration, "deliver_code", capture)
    return sent


def anon():
    from fangkong.accounts.scope import Scope

    return Actor(user=None, scope=Scope(user=None), via="web")


def form(world, n, **over):
    data = {
        "name": f"志愿者{n}", "phone": f"139{n:08d}",
        "id_number": pii.make_id_number("140106", datetime.date(1980, 1, 1) + datetime.timedelta(days=n), n),
        "household": world.hh101.id, "work_unit": "太原二电厂" if n % 2 else "迎泽区医院",
        "party_member": "1" if n % 3 == 0 else "", "party_branch": "第一支部" if n % 3 == 0 else "",
        "skills": ["driving"] if n % 4 == 0 else [], "days": ["mon", "sat"],
        "hours_from": "07:00", "hours_to": "19:00", "consent": "1",
    }
    data.update(over)
    return data


def register(world, codes, n, link=None, **over):
    link = link or registration.join_link(actor_for(world.users.staff), world.community)
    data = form(world, n, **over)
    registration.send_code(anon(), data["phone"])
    data["code"] = codes[pii.normalize_phone(data["phone"])]
    v, _created = registration.register(anon(), link.token, data)
    return v


@pytest.fixture
def make_volunteer(world, codes):
    """approved volunteer number n (its account logs in)."""
    staff = actor_for(world.users.staff)

    def make(n, approve=True, **over):
        v = register(world, codes, n, **over)
        if approve:
            v = registration.approve(staff, v)
        return v

    return make
