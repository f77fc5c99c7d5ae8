"""Give a role on a place from the command line: the very first command account of a new
installation (nobody can log in to give it yet), or a lab's.

    manage.py grant_role command 迎泽区 --name 王建华 [--phone 139…]
    manage.py grant_role command 迎泽区/桥东街道 --user cmd-k3m9p2xq
    manage.py grant_role lab 42 --name 韩磊

PLACE is a place's id or its path of names from the top ("迎泽区/桥东街道"). --name makes a
new account: a random username and a one-time password, printed once; the person chooses
their own password at the first login. --user gives the role to an existing account (its
username or phone). The role must sit on the place's kind (command: a district or a
street; accounts.access.ROLE_PLACES). Audited as done from the command line.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from fangkong.accounts import actions
from fangkong.accounts.access import ROLE_PLACES
from fangkong.accounts.backends import find_user
from fangkong.accounts.queries import place_by_id, place_children
from fangkong.accounts.roles import Role
from fangkong.core.actor import Actor
from fangkong.core.errors import FangkongError


def find_place(text: str):
    text = text.strip().strip("/")
    if text.isdigit():
        place = place_by_id(int(text))
        if place is None:
            raise CommandError(f"no place with id {text}")
        return place
    place = None
    for name in [n.strip() for n in text.split("/") if n.strip()]:
        found = list(place_children(place, name)[:2])
        if len(found) != 1:
            where = f"under {place.name}" if place else "at the top"
            raise CommandError(f"no single place called {name!r} {where}"
                               + (f" (there: {', '.join(place_children(place).values_list('name', flat=True)[:20])})"
                                  if not found else ""))
        place = found[0]
    if place is None:
        raise CommandError("name a place: its id or its path, e.g. 迎泽区/桥东街道")
    return place


class Command(BaseCommand):
    help = "Give a role on a place to a new or an existing account (the first command account)."

    def add_arguments(self, parser):
        parser.add_argument("role", choices=[r for r in Role.values if r != Role.RESIDENT])
        parser.add_argument("place", help="the place's id, or its path of names: 迎泽区/桥东街道")
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--name", help="make a new account for this person (their name)")
        who.add_argument("--user", help="an existing account's username or phone")
        parser.add_argument("--phone", default="", help="the new account's mobile (to log in with)")

    def handle(self, *args, **options):
        role, place = options["role"], find_place(options["place"])
        if place.kind not in ROLE_PLACES[role]:
            raise CommandError(f"a {role} role sits on a {' or a '.join(ROLE_PLACES[role])}, "
                               f"not on {place.name} ({place.kind})")
        actor = Actor.system(via="cli")
        try:
            with transaction.atomic():
                if options["user"]:
                    user = find_user(options["user"])
                    if user is None:
                        raise CommandError(f"no account {options['user']!r}")
                    actions.grant(actor, user, role, place)
                    self.stdout.write(self.style.SUCCESS(
                        f"{user.username} ({user}) is now {role} at {place.name}."))
                    return
                m, password = actions.add_person(
                    actor, username="", password="", display_name=options["name"],  # nosec B106 — empty: made up, shown once
                    phone=options["phone"], role=role, place=place)
        except FangkongError as e:
            details = "; ".join(f"{k}: {m}" for k, ms in e.fields.items() for m in ms)
            raise CommandError(f"{e.message} {details}".strip()) from None
        self.stdout.write(self.style.SUCCESS(f"{m.user} is now {role} at {place.name}."))
        self.stdout.write(f"username: {m.user.username}")
        if m.user.phone:
            self.stdout.write(f"or phone: {m.user.phone}")
        self.stdout.write(f"one-time password: {password}")
        self.stdout.write("Shown only this once. At the first login they choose their own password.")
