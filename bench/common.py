"""What the benchmarks share: the chosen places of the city, scopes, users."""

import functools
from dataclasses import dataclass

from django.db.models import Count

from fangkong.accounts.roles import ROLE_PERMS, Role
from fangkong.accounts.scope import Grant, Scope
from fangkong.demo import layout as demo
from fangkong.registry.models import Household, Kind, Place

STANDARD = {spec.name for specs in demo.STANDARD.values() for spec in specs}
# The one 10,000-resident community the screening benchmark adds to its own database
# (bench/screening.py): never chosen as the city's sample community, not counted as the
# city's residents by the harness.
BIG_COMMUNITY = "万人社区(bench)"


@dataclass
class City:
    district: Place
    street: Place
    community: Place  # a generated community of ~2,000 from the middle of the city
    building: Place  # its building with the most households


@dataclass
class Context:
    cfg: object
    report: object
    env: dict

    @functools.cached_property
    def city(self) -> City:
        ids = list(Place.objects.filter(kind=Kind.COMMUNITY).exclude(name__in=STANDARD | {BIG_COMMUNITY})
                   .order_by("id").values_list("id", flat=True))
        if ids:
            community = Place.objects.get(id=ids[len(ids) // 2])
        else:
            community = Place.objects.get(kind=Kind.COMMUNITY, name="惠泽苑社区")
        top = (Household.objects.filter(community_id=community.id).values("building_id")
               .annotate(n=Count("id")).order_by("-n", "building_id").first())
        return City(
            district=Place.objects.get(id=community.district_id),
            street=Place.objects.get(id=community.street_id),
            community=community,
            building=Place.objects.get(id=top["building_id"]),
        )

    def staff_scope(self, place: Place) -> Scope:
        """The scope of a community staff member on `place` (no database user needed)."""
        return Scope(user=None, grants=[Grant(Role.STAFF, place, None, ROLE_PERMS[Role.STAFF])])

    def describe(self) -> str:
        c = self.city
        return (f"community {c.community.name} (id {c.community.id}), street {c.street.name}, "
                f"district {c.district.name}, building {c.building.name}")


def bench_user(username: str, role: str, place: Place):
    """A benchmark account with `role` on `place` (made once, through the actions)."""
    from fangkong.accounts import actions as account_actions
    from fangkong.accounts.models import User
    from fangkong.core.actor import Actor

    user = User.objects.filter(username=username).first()
    actor = Actor.system(via="cli")
    if user is None:
        user = account_actions.create_user(actor, username, None, display_name=username,
                                           check_password=False)
    if not user.memberships.filter(role=role, place=place, is_active=True).exists():
        account_actions.grant(actor, user, role, place)
    return user
