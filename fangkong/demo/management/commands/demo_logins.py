"""Print where to log in and the demo accounts, in Chinese and English."""

import unicodedata

from django.core.management.base import BaseCommand
from django.utils import translation
from django.utils.translation import pgettext

from fangkong.accounts.roles import Role
from fangkong.core.tree import LEVEL_FIELDS
from fangkong.demo import accounts as demo
from fangkong.registry.models import Place

CTX = "demo logins"


def both(msgid: str) -> str:
    """'中文 English' for one message (pgettext with the demo's context)."""
    with translation.override("zh-hans"):
        zh = pgettext(CTX, msgid)
    with translation.override("en"):
        en = pgettext(CTX, msgid)
    return en if zh == en else f"{zh} {en}"


def label(choice) -> str:
    with translation.override("zh-hans"):
        zh = str(choice.label)
    with translation.override("en"):
        en = str(choice.label)
    return en if zh == en else f"{zh} {en}"


def width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, n: int) -> str:
    return text + " " * max(0, n - width(text))


class Command(BaseCommand):
    help = "Print the demo accounts (username, role, place, password) and where to log in."

    def add_arguments(self, parser):
        parser.add_argument("--url", help="the address the server will answer on")
        parser.add_argument("--port", type=int,
                            help="the port of a server on this machine (http://127.0.0.1:PORT/)")

    def handle(self, *args, **opts):
        accounts = demo.demo_accounts()
        w = self.stdout.write
        if not accounts:
            w(both("There are no demo accounts in this database (load them with "
                   "`manage.py demo`)."))
            return
        names = self._place_names(accounts)
        leads = self._teams_led(accounts)
        url = self._address(opts)
        w("")
        w(both("Fangkong demo"))
        w(f"  {both('Log in at')}: {url}")
        w(f"  {both('Password of every demo account')}: {demo.DEMO_PASSWORD}")
        w(f"  {both('You can also log in with the phone number shown.')}")
        w("")
        header = [both("Username"), both("Role"), both("Place"), both("Phone"),
                  both("Password")]
        rows = []
        for user, m in accounts:
            if m is None:
                continue
            if m.household_id:
                place = f"{names.get(m.place_id, '')} {m.household.door}".strip()
            else:
                place = names.get(m.place_id, str(m.place))
            rows.append([user.username, self._role(user, m, leads.get(user.id, [])), place, user.phone or "",
                         demo.DEMO_PASSWORD])
        widths = [max(width(r[i]) for r in [header, *rows]) + 2 for i in range(len(header))]
        w("  " + "".join(pad(c, widths[i]) for i, c in enumerate(header)).rstrip())
        w("  " + "-" * (sum(widths) - 2))
        for r in rows:
            w("  " + "".join(pad(c, widths[i]) for i, c in enumerate(r)).rstrip())
        w("")

    @staticmethod
    def _role(user, m, teams) -> str:
        """What the account is, truly (found walking the demo: the building's leader was
        listed "Building / team leader" though he leads no team — the team's leader is a
        volunteer — so a request given to the team did not reach him as the tester expected):
        a leader's role is a building's (or compound's); a volunteer leading teams says so."""
        if m.role == Role.LEADER:
            return both("Building leader")
        if teams:
            return both("Volunteer, leader of %(teams)s") % {"teams": "、".join(teams)}
        return label(Role(m.role))

    @staticmethod
    def _teams_led(accounts) -> dict[int, list[str]]:
        from fangkong.volunteers.models import Team

        out = {}
        for uid, name in Team.objects.filter(leader__user_id__in=[u.id for u, _m in accounts]) \
                .order_by("name").values_list("leader__user_id", "name"):
            out.setdefault(uid, []).append(name)
        return out

    @staticmethod
    def _address(opts) -> str:
        """Where to log in: --url, else --port on this machine, else the site's public
        address (FANGKONG_PUBLIC_URL); without any of them, the address `dev.py start`
        printed (never a guessed port)."""
        from django.conf import settings

        if opts.get("url"):
            return opts["url"]
        if opts.get("port"):
            return f"http://127.0.0.1:{opts['port']}/"
        if settings.FANGKONG_PUBLIC_URL:
            return settings.FANGKONG_PUBLIC_URL.rstrip("/") + "/"
        return both("the address `python3 dev.py start` printed")

    @staticmethod
    def _place_names(accounts) -> dict[int, str]:
        """{place id: short path}: "迎泽区 桥东街道" above a community; from the community
        down otherwise ("光明社区 光明小区 3号楼"), grids left out unless they are the place."""
        places = {m.place_id: m.place for _u, m in accounts if m is not None}
        ids = {getattr(p, f) for p in places.values() for f in LEVEL_FIELDS if getattr(p, f)}
        known = dict(Place.objects.filter(id__in=ids).values_list("id", "name"))
        out = {}
        for pid, p in places.items():
            fields = LEVEL_FIELDS[:2] if p.community_id is None else LEVEL_FIELDS[2:]
            chain = [known[getattr(p, f)] for f in fields
                     if getattr(p, f) in known and (f != "grid_id" or p.grid_id == p.id)]
            out[pid] = " ".join(chain) or p.name
        return out
