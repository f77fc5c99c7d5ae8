"""The audit log as people read it: an event's action, the way it came in, where personal
data was shown and what changed, in the reader's language. The stored rows keep their codes
("resident.view_phones", "board:12") for queries and exports; only the page words them.
An action without a label here is shown as its code (nothing is hidden)."""

import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

ACTIONS = {
    # personal data shown or handed out
    "resident.view_phones": gettext_lazy("Residents' phone numbers shown"),
    "volunteer.view_phones": gettext_lazy("Volunteers' phone numbers shown"),
    "resident.reveal_id": gettext_lazy("ID number shown in full"),
    "resident.export_ids": gettext_lazy("ID numbers exported"),
    "resident.view_codes": gettext_lazy("Personal codes shown"),
    "resident.print_cards": gettext_lazy("Code cards printed"),
    "resident.reissue_code": gettext_lazy("Personal code replaced"),
    "volunteers.export_hours": gettext_lazy("Volunteer hours exported"),
    "services.manifest.export": gettext_lazy("Delivery list exported"),
    "services.owed.export": gettext_lazy("List of doors owed exported"),
    "zones.gate.export": gettext_lazy("Checkpoint list exported"),
    # the registry
    "resident.create": gettext_lazy("Resident added"),
    "resident.update": gettext_lazy("Resident changed"),
    "resident.move": gettext_lazy("Resident moved to another household"),
    "household.create": gettext_lazy("Household added"),
    "household.update": gettext_lazy("Household changed"),
    "place.create": gettext_lazy("Place added"),
    "place.rename": gettext_lazy("Place renamed"),
    "place.move": gettext_lazy("Place moved"),
    "registry.import": gettext_lazy("Roster imported"),
    # accounts
    "user.create": gettext_lazy("Account created"),
    "membership.grant": gettext_lazy("Role given"),
    "membership.revoke": gettext_lazy("Role taken away"),
    "login.locked": gettext_lazy("Account locked after wrong passwords"),
    "token.create": gettext_lazy("API key created"),
    "token.revoke": gettext_lazy("API key revoked"),
    "totp.enable": gettext_lazy("Two-step login turned on"),
    "totp.disable": gettext_lazy("Two-step login turned off"),
    # testing
    "screening.round.plan": gettext_lazy("Testing round planned"),
    "screening.round.status": gettext_lazy("Testing round started, ended or reopened"),
    "screening.results": gettext_lazy("Lab results entered"),
    "screening.conflict.resolve": gettext_lazy("Station problem settled"),
    "screening.exempt.add": gettext_lazy("Person exempted"),
    "screening.exempt.remove": gettext_lazy("Exemption withdrawn"),
    "screening.sync": gettext_lazy("Station scans sent"),
    "screening.tube.take_over": gettext_lazy("Empty tube taken on by another table"),
    "screening.tube.release": gettext_lazy("Empty tube set aside when its table opened the next"),
    # volunteers
    "volunteer.register": gettext_lazy("Volunteer registered"),
    "volunteer.approve": gettext_lazy("Volunteer approved"),
    "volunteer.reject": gettext_lazy("Volunteer rejected"),
    "call.create": gettext_lazy("Urgent call made"),
    "call.publish": gettext_lazy("Urgent call sent out"),
    "call.correct_minutes": gettext_lazy("Volunteer hours corrected"),
    "call.confirm_attendance": gettext_lazy("Attendance confirmed"),
    # zones, services, reports
    "zones.adjustment.publish": gettext_lazy("Zone change published"),
    "zones.notice.create": gettext_lazy("Zone notice recorded"),
    "services.order.place": gettext_lazy("Order placed"),
    "services.order.cancel": gettext_lazy("Order cancelled"),
    "services.request.raise": gettext_lazy("Service request raised"),
    "report.submit": gettext_lazy("Nightly report submitted"),
    "report.correct": gettext_lazy("Nightly report corrected"),
}

VIA = {"web": gettext_lazy("web page"), "api": gettext_lazy("API"), "import": gettext_lazy("import"),
       "cli": gettext_lazy("command line"), "task": gettext_lazy("background job")}

# Where a page, answer or export showed personal data (the `where` the views record).
WHERE = {
    "board": gettext_lazy("building roster"), "search": gettext_lazy("search"),
    "household": gettext_lazy("household page"), "list": gettext_lazy("list of residents"),
    "vulnerable": gettext_lazy("vulnerable people list"),
    "screening.missing": gettext_lazy("list of people not yet tested"),
    "screening.followups": gettext_lazy("positive follow-up list"),
    "screening.home": gettext_lazy("home sampling list"),
    "services.check_ins": gettext_lazy("morning check-ins"),
    "volunteers": gettext_lazy("volunteer list"), "volunteer": gettext_lazy("volunteer's page"),
    "team": gettext_lazy("team page"), "export": gettext_lazy("export"),
    "api volunteers": gettext_lazy("volunteer list (API)"),
}
ID_LISTS = ("residents", "households", "volunteers")


def action(code: str) -> str:
    return str(ACTIONS.get(code, code))


def where(text: str) -> str:
    """"board:12" → "building roster"; "export: 光明社区 名单" → "export: 光明社区 名单"."""
    head = re.split(r"[:\s]", text, maxsplit=1)[0] if text else ""
    key = "api volunteers" if text.startswith("api volunteers") else head
    if key in WHERE:
        rest = text.split(":", 1)[1].strip() if key == "export" and ":" in text else ""
        return f"{WHERE[key]}: {rest}" if rest else str(WHERE[key])
    return text


def details(changes: dict) -> list[str]:
    """The event's changes as short lines: where and how many for data shown (not the ids),
    "field: before → after" for a change, lists of ids as their number."""
    out = []
    for key, value in (changes or {}).items():
        if key == "where":
            out.append(_("shown on: %(where)s") % {"where": where(str(value))})
        elif key == "count":
            out.append(_("%(n)d people") % {"n": value})
        elif key in ID_LISTS and isinstance(value, list):
            continue  # the count says how many; the ids stay in the record
        elif isinstance(value, list) and len(value) == 2 and not isinstance(value[0], (list, dict)):
            out.append(f"{key}: {value[0] if value[0] not in (None, '') else '—'} → "
                       f"{value[1] if value[1] not in (None, '') else '—'}")
        else:
            out.append(f"{key}: {value}")
    return out


def rows(events) -> list:
    """The page's events, each with `.action_label`, `.via_label` and `.lines`."""
    events = list(events)
    for e in events:
        e.action_label = action(e.action)
        e.via_label = str(VIA.get(e.via, e.via))
        e.lines = details(e.changes)
        e.target_text = "" if "where" in (e.changes or {}) else e.target_label  # said in lines
    return events
