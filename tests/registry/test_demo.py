"""The demo data: the story's communities, valid people, one account per role, determinism."""

import re
from collections import Counter
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import Count
from django.test import override_settings

from fangkong.accounts.models import Membership, User
from fangkong.accounts.roles import Role
from fangkong.core import bulk, pii
from fangkong.core.text import name_keys
from fangkong.demo import accounts as demo_accounts
from fangkong.demo import registry as demo_registry
from fangkong.registry.models import LEVEL_FIELDS, Household, Kind, Place, Relation, Resident
from fangkong.registry.queries import duty_phone_for

pytestmark = pytest.mark.django_db


def build(*args):
    call_command("demo", *args, verbosity=0)


def community(name):
    return Place.objects.get(kind=Kind.COMMUNITY, name=name)


def test_standard_demo_follows_the_story(client):
    build()
    assert Place.objects.filter(kind=Kind.DISTRICT).get().code == "140106"
    assert Place.objects.filter(kind=Kind.STREET).count() == 2
    assert Place.objects.filter(kind=Kind.COMMUNITY).count() == 4

    # 光明小区: 308 households, average age over 70, many alone / bedridden / on dialysis.
    guangming = Place.objects.get(kind=Kind.COMPOUND, name="光明小区")
    # every community has a duty phone (值班电话): a household there has a number to call
    assert not Place.objects.filter(kind=Kind.COMMUNITY, duty_phone="").exists()
    duty = duty_phone_for(Household.objects.filter(compound_id=guangming.id).first())
    assert duty.kind == Kind.COMMUNITY and duty.name == "光明社区" and duty.duty_phone.startswith("0351")
    assert Household.objects.filter(compound_id=guangming.id).count() == 308
    old = list(Resident.objects.filter(compound_id=guangming.id))
    assert sum(r.age for r in old) / len(old) > 70
    tags = Counter(t for r in old for t in r.tag_list)
    assert tags["elderly_alone"] > 80 and tags["bedridden"] >= 3 and tags["dialysis"] >= 1
    assert tags["limited_mobility"] > 20
    assert sum(not r.has_smartphone for r in old) > len(old) / 3

    # 惠泽苑社区: 4 grids, 11 compounds, ~960 households, ~3,000 residents.
    huize = community("惠泽苑社区")
    assert Place.objects.filter(community_id=huize.id, kind=Kind.GRID).count() == 4
    assert Place.objects.filter(community_id=huize.id, kind=Kind.COMPOUND).count() == 11
    assert 940 <= Household.objects.filter(community_id=huize.id).count() <= 990
    assert 2900 <= Resident.objects.filter(community_id=huize.id).count() <= 3200
    doors = set(Household.objects.filter(community_id=huize.id).values_list("door", flat=True))
    assert {"101", "602"} <= doors and all(re.fullmatch(r"[1-9]0[1-4]", d) for d in doors)

    # Every person: a valid ID agreeing with sex and birth date; derived fields as the
    # actions set them; a plausible mobile number.
    people = list(Resident.objects.all())
    assert len(people) > 4000
    for r in people:
        idn = pii.decrypt(r.id_enc)
        assert pii.validate_id_number(idn) == idn
        assert pii.id_sex(idn) == r.sex and pii.id_birth_date(idn) == r.birth_date
        assert (r.id_hash, r.id_head, r.id_tail) == (pii.lookup_hash(idn), idn[:4], idn[-4:])
        assert (r.pinyin, r.initials) == name_keys(r.name)
        assert 2 <= len(r.name) <= 3
        assert r.phone == "" or re.fullmatch(r"1[3-9]\d{9}", r.phone)
        assert r.phone_tail == r.phone[-4:]
        assert r.district_id and r.community_id and r.building_id
    phones = [r.phone for r in people if r.phone]
    assert len(set(phones)) == len(phones)
    assert len({r.token for r in people}) == len(people)
    # Realistic mixes.
    assert Counter(r.name[0] for r in people).most_common(1)[0][0] in "王李张"
    assert 0.85 < sum(r.presence == "home" for r in people) / len(people) < 0.97
    assert {r.relation for r in people} >= set(Relation.values) - {"sibling", "tenant"}
    heads = Resident.objects.filter(relation=Relation.HEAD).values("household_id").annotate(n=Count("id"))
    assert all(h["n"] == 1 for h in heads)
    assert len(heads) == Household.objects.count()

    # One demo account per role, each able to log in.
    roles = set(Membership.objects.filter(user__username__in=demo_accounts.DEMO_USERNAMES)
                .values_list("role", flat=True))
    assert roles == set(Role.values)
    grid_users = User.objects.filter(memberships__role=Role.GRID,
                                     memberships__place__community_id=huize.id)
    assert grid_users.count() == 4
    for username in demo_accounts.DEMO_USERNAMES:
        assert client.login(username=username, password=demo_accounts.DEMO_PASSWORD), username
        client.logout()
    resident = User.objects.get(username="resident_demo")
    assert client.login(username=resident.phone, password=demo_accounts.DEMO_PASSWORD)

    # --if-empty does nothing the second time; without it the command refuses.
    before = (Place.objects.count(), Resident.objects.count(), User.objects.count())
    build("--if-empty")
    assert (Place.objects.count(), Resident.objects.count(), User.objects.count()) == before
    with pytest.raises(CommandError):
        build()

    out = StringIO()
    call_command("demo_logins", "--url", "http://127.0.0.1:8123/", stdout=out)
    text = out.getvalue()
    assert "http://127.0.0.1:8123/" in text and demo_accounts.DEMO_PASSWORD in text
    for username in demo_accounts.DEMO_USERNAMES:
        assert username in text
    # the port of a server started by hand; without any address, never a guessed port
    out = StringIO()
    call_command("demo_logins", "--port", "8124", stdout=out)
    assert "http://127.0.0.1:8124/" in out.getvalue()
    with override_settings(FANGKONG_PUBLIC_URL=""):
        out = StringIO()
        call_command("demo_logins", stdout=out)
    assert "dev.py start" in out.getvalue() and ":8000" not in out.getvalue()


def part_rows() -> dict:
    """How many rows each demo part beyond the registry made (volunteers, screening)."""
    from fangkong.screening.models import Round, Sample
    from fangkong.volunteers.models import Assignment, Call, Team, Volunteer

    return {m.__name__: m.objects.count() for m in (Volunteer, Team, Call, Assignment, Round, Sample)}


def test_same_seed_same_data():
    build("--seed", "7")
    first = demo_registry.digest()
    ids = sorted(Resident.objects.values_list("id_hash", "name", "phone"))
    parts = part_rows()
    build("--seed", "7", "--flush")
    assert demo_registry.digest() == first
    assert part_rows() == parts  # every part's rows made again, none left over from before
    assert sorted(Resident.objects.values_list("id_hash", "name", "phone")) == ids
    assert User.objects.filter(username__in=demo_accounts.DEMO_USERNAMES).count() == len(demo_accounts.DEMO_USERS)
    assert Place.objects.filter(kind=Kind.DISTRICT).count() == 1
    # The digest covers the rows: change one thing and it changes.
    r = Resident.objects.order_by("id").first()
    Resident.objects.filter(pk=r.pk).update(phone="13900000000")
    assert demo_registry.digest() != first


def test_city_scale_fills_up_to_the_number_asked(monkeypatch):
    monkeypatch.setattr(demo_registry, "BIG_LOAD", 100)  # PostgreSQL: indexes built after the load
    build("--residents", "5000")
    assert Resident.objects.count() == 5000
    communities = Place.objects.filter(kind=Kind.COMMUNITY)
    assert communities.count() == 5  # the four of the story and one more
    city = communities.exclude(name__in=["光明社区", "惠泽苑社区", "双塔社区", "青年路社区"])
    for c in city:
        assert 300 <= Resident.objects.filter(community_id=c.id).count() <= 600
        assert Place.objects.filter(community_id=c.id, kind=Kind.GRID).exists()
        assert Place.objects.filter(community_id=c.id, kind=Kind.UNIT).exists()
    # Level columns agree with the parent chain everywhere.
    for p in Place.objects.exclude(parent=None).select_related("parent"):
        for f in LEVEL_FIELDS:
            expected = p.id if f == f"{p.kind}_id" else getattr(p.parent, f)
            assert getattr(p, f) == expected, (p, f)
    for hh in Household.objects.select_related("place"):
        assert hh.levels() == hh.place.levels()
    hh = Household.objects.filter(community_id=city[0].id).select_related("place").first()
    assert hh.unit_id == (hh.place_id if hh.place.kind == Kind.UNIT else None)
    assert hh.building_id in (hh.place_id, hh.place.parent_id)


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")
def test_deferred_indexes_come_back():
    def indexes():
        with connection.cursor() as cur:
            cur.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN "
                        "('registry_household', 'registry_resident') ORDER BY 1")
            return cur.fetchall()

    before = indexes()
    with transaction.atomic(), bulk.indexes_deferred(Household, Resident):
        during = indexes()
    assert indexes() == before
    assert len(during) == len([1 for name, d in before if "UNIQUE" in d or name.endswith("pkey")])
    assert len(during) < len(before)


def test_residents_must_be_positive():
    with pytest.raises(CommandError):
        build("--residents", "0")


def test_the_demo_says_what_it_loaded_with_one_district_in_the_singular(monkeypatch):
    """The standard demo has one district: English said "1 districts"."""
    from types import SimpleNamespace

    from django.utils import translation

    from fangkong.demo import driver

    monkeypatch.setattr(driver, "build", lambda **kw: SimpleNamespace(
        seconds=2.5, districts=1, streets=2, communities=4, households=1, residents=1, users=12, seed=7))
    out = StringIO()
    with translation.override("en"):
        call_command("demo", stdout=out)
    assert out.getvalue().strip() == ("Demo loaded in 2.5 s: 1 district, 2 streets, 4 communities, 1 household, "
                                      "1 resident, 12 demo accounts (seed 7).")
    out = StringIO()
    with translation.override("zh-hans"):
        call_command("demo", stdout=out)
    assert "1 个区、2 个街道、4 个社区、1 户、1 名居民、12 个演示账号（种子 7）" in out.getvalue()
