"""The audit log's vocabulary: what each action code, detail key and stored value is called
in the reader's language. `present.py` uses it; the rows keep their codes.

Every action any code records has its label here (tests/audit/test_words.py reads every
`record(actor, "…")` in fangkong/ and fails on one without), and so does every key a
`record` call writes literally. Values are said through the models' own choices, named as
"app_label.Model.field" (looked up by name, so the audit app imports no app above it),
or through the words below.
"""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


def k(text):
    """A detail's name (context "audit detail": the same English word may be said otherwise
    elsewhere)."""
    return pgettext_lazy("audit detail", text)


ACTIONS = {
    # personal data shown or handed out
    "resident.view_phones": _("Residents' phone numbers shown"),
    "volunteer.view_phones": _("Volunteers' phone numbers shown"),
    "resident.reveal_id": _("ID number shown in full"),
    "resident.export_ids": _("ID numbers exported"),
    "resident.view_codes": _("Personal codes shown"),
    "resident.print_cards": _("Code cards printed"),
    "resident.reissue_code": _("Personal code replaced"),
    "volunteers.export_hours": _("Volunteer hours exported"),
    "services.manifest.export": _("Delivery list exported"),
    "services.owed.export": _("List of doors owed exported"),
    "services.disinfection.export": _("Disinfection list exported"),
    "zones.gate.export": _("Checkpoint list exported"),
    "audit.export": _("Audit log exported"),
    # the registry
    "resident.create": _("Resident added"),
    "resident.update": _("Resident changed"),
    "resident.move": _("Resident moved to another household"),
    "household.create": _("Household added"),
    "household.update": _("Household changed"),
    "place.create": _("Place added"),
    "place.rename": _("Place renamed"),
    "place.move": _("Place moved"),
    "registry.import": _("Roster imported"),
    # accounts
    "user.create": _("Account created"),
    "membership.grant": _("Role given"),
    "membership.revoke": _("Role taken away"),
    "login.locked": _("Account locked after wrong passwords"),
    "token.create": _("API key created"),
    "token.revoke": _("API key revoked"),
    "totp.enable": _("Two-step login turned on"),
    "totp.disable": _("Two-step login turned off"),
    "totp.recovery_codes": _("New recovery codes made"),
    "totp.recovery_code_used": _("Logged in with a recovery code"),
    "user.password_reset": _("Password reset by the office"),
    "user.unlock": _("Account unlocked"),
    "user.password_change": _("Own password changed"),
    "user.logged_out_elsewhere": _("Logged out everywhere else after a new password"),
    # testing
    "screening.round.plan": _("Testing round planned"),
    "screening.round.status": _("Testing round started, ended or reopened"),
    "screening.round.emergency_team": _("Round's emergency team set"),
    "screening.point.set": _("Sampling point set"),
    "screening.sampler.assign": _("Sampler put at a table"),
    "screening.sampler.remove": _("Sampler taken off a table"),
    "screening.results": _("Lab results entered"),
    "screening.conflict.resolve": _("Station problem settled"),
    "screening.exempt.add": _("Person exempted"),
    "screening.exempt.remove": _("Exemption withdrawn"),
    "screening.sync": _("Station scans sent"),
    "screening.code.observe": _("Health code colour seen at the station"),
    "screening.tube.take_over": _("Empty tube taken on by another table"),
    "screening.tube.release": _("Empty tube set aside when its table opened the next"),
    "screening.box.create": _("Transport box opened"),
    "screening.box.pack": _("Tubes packed into a box"),
    "screening.box.handover": _("Box handed over"),
    "screening.antigen.kits": _("Antigen kits handed out"),
    "screening.antigen.result": _("Antigen result recorded"),
    "screening.home.assign": _("Home visits given to a sampler"),
    "screening.home.generate": _("Home sampling list made"),
    "screening.home.add": _("Added to the home sampling list"),
    "screening.home.status": _("Home sampling visit updated"),
    "screening.retest.sample": _("Single re-test sampled"),
    "screening.hold.overdue": _("Staff told: held past the time without a single re-test result"),
    "screening.round.overrun": _("Staff told: round still running past its planned end"),
    "screening.antigen.remind": _("Families reminded to report their antigen results"),
    # volunteers
    "volunteer.register": _("Volunteer registered"),
    "volunteer.reregister": _("Volunteer registered again"),
    "volunteer.approve": _("Volunteer approved"),
    "volunteer.reject": _("Volunteer rejected"),
    "volunteer.lend": _("Volunteer lent to another community"),
    "volunteer.end_loan": _("Volunteer's loan ended"),
    "volunteers.join_link": _("Volunteer sign-up link made"),
    "call.create": _("Urgent call made"),
    "call.publish": _("Urgent call sent out"),
    "call.slots": _("Places on a call changed"),
    "call.close": _("Urgent call closed"),
    "call.cancel_call": _("Urgent call cancelled"),
    "call.message": _("Message sent to a call's volunteers"),
    "call.change": _("Urgent call moved (time or place)"),
    "call.assign": _("Volunteer put on a call"),
    "call.sign_up": _("Volunteer answered a call"),
    "call.cancel": _("Volunteer's place on a call cancelled"),
    "call.promote": _("Volunteer moved up from the waiting list"),
    "call.promote_skip": _("Volunteer passed over on the waiting list (a clash)"),
    "call.check_in": _("Volunteer checked in"),
    "call.check_out": _("Volunteer checked out"),
    "call.correct_minutes": _("Volunteer hours corrected"),
    "call.confirm_attendance": _("Attendance confirmed"),
    "team.create": _("Team made"),
    "team.add_member": _("Volunteer added to a team"),
    "team.remove_member": _("Volunteer taken off a team"),
    "team.leader": _("Team leader changed"),
    # notifications
    "notify.retry": _("Message sent again"),
    "notify.group_add": _("Group chat added for announcements"),
    "notify.group_active": _("Group chat turned on or off"),
    # zones
    "zones.policy.activate": _("Zone policy switched"),
    "zones.type.update": _("Zone rules changed"),
    "zones.type.schedule": _("Zone rules change scheduled"),
    "zones.type.cancel_change": _("Scheduled zone rules change cancelled"),
    "zones.notice.create": _("Zone notice recorded"),
    "zones.notice.withdraw": _("Zone notice withdrawn or marked as corrected"),
    "zones.adjustment.draft": _("Zone change drafted"),
    "zones.adjustment.proposed": _("Zone change proposed after a case"),
    "zones.adjustment.item": _("Place added to a zone change"),
    "zones.adjustment.item_removed": _("Place taken out of a zone change"),
    "zones.adjustment.notice": _("Notice attached to a zone change"),
    "zones.adjustment.schedule": _("Zone change scheduled"),
    "zones.adjustment.unschedule": _("Scheduled zone change called off"),
    "zones.adjustment.cancel": _("Zone change cancelled"),
    "zones.adjustment.failed": _("Zone change could not be published"),
    "zones.adjustment.publish": _("Zone change published"),
    "zones.case": _("Case recorded"),
    "zones.health_code": _("Health code colour recorded"),
    "zones.gate": _("Passed the checkpoint"),
    "zones.shapes": _("Map outlines imported"),
    "zones.shape": _("Map outline drawn"),
    "zones.shape.remove": _("Map outline removed"),
    # services
    "services.supplier.create": _("Supplier added"),
    "services.item.create": _("Item added to a supplier's list"),
    "services.item.update": _("Supplier's item changed"),
    "services.order.place": _("Order placed"),
    "services.order.cancel": _("Order cancelled"),
    "services.group_order.create": _("Building group order opened"),
    "services.group_order.enter": _("Building group order entered"),
    "services.batch.create": _("Delivery announced"),
    "services.manifest.import": _("Delivery list imported"),
    "services.line.check": _("Delivery line checked"),
    "services.batch.receive_rest": _("Rest of the delivery received"),
    "services.batch.supplier_sign": _("Supplier signed the hand-off"),
    "services.batch.sign": _("Delivery signed for"),
    "services.batch.split": _("Delivery split into runs by building"),
    "services.run.assign": _("Delivery run given to a team"),
    "services.stop.confirm": _("Door delivery confirmed"),
    "services.stop.photo": _("Delivery photo added"),
    "services.problem.resolve": _("Delivery problem settled"),
    "services.request.raise": _("Service request raised"),
    "services.request.assign": _("Service request handed to someone"),
    "services.request.taken": _("Service request taken"),
    "services.request.done": _("Service request done"),
    "services.request.confirmed": _("Service request confirmed by the household"),
    "services.request.reopen": _("Service request sent back: not resolved, said the household"),
    "services.request.cancelled": _("Service request cancelled"),
    "services.request.escalated": _("Overdue service request escalated"),
    "services.category.edit": _("Request category changed"),
    "services.check_in": _("Morning check-in recorded"),
    "services.pet.add": _("Pet recorded"),
    "services.feeding.assign": _("Pet feeding given to a volunteer"),
    "services.feeding.done": _("Pet fed"),
    "services.disinfection.schedule": _("Disinfection scheduled"),
    "services.disinfection.terminal": _("Disinfection after a case ordered"),
    "services.disinfection.done": _("Disinfection done"),
    # reports
    "report.submit": _("Nightly report submitted"),
    "report.correct": _("Nightly report corrected"),
    "report.approved": _("Nightly report approved"),
    "report.returned": _("Nightly report returned"),
    "report.remind": _("Reminder sent to report"),
    # operations
    "ops.erase.community": _("Community's personal data erased"),
    "ops.erase.round": _("Testing round's personal data erased"),
    "demo.build": _("Demo data built"),
}

# An export of residents' phones is recorded as phones shown, at a place that is an export.
PHONES_EXPORTED = _("Residents' phone numbers exported")

VIA = {"web": _("web page"), "api": _("API"), "import": _("import"),
       "cli": _("command line"), "task": _("background job")}

# Where a page, answer or export showed personal data (the `where` the views record, its
# head before ":"), and what the number after it names.
WHERE = {
    "board": (_("building roster"), "place"), "search": (_("search"), None),
    "household": (_("household page"), "household"), "list": (_("list of residents"), "place"),
    "vulnerable": (_("vulnerable people list"), "place"),
    "screening.missing": (_("list of people not yet tested"), "round"),
    "screening.missing_export": (_("list of people not yet tested"), "round"),
    "screening.followups": (_("positive follow-up list"), "round"),
    "screening.home": (_("home sampling list"), "round"),
    "screening.retest": (_("single re-test"), "round"),
    "services.check_ins": (_("morning check-ins"), "place"),
    "services.problems": (_("delivery exceptions"), "place"),
    "services.run": (_("delivery run"), "place"),
    "volunteers": (_("volunteer list"), "place"), "volunteer": (_("volunteer's page"), None),
    "team": (_("team page"), "team"), "export": (_("export"), None),
    "households": (_("list of households"), None), "residents": (_("list of residents"), None),
    "resident": (_("resident's page"), None),
}
# The `where` of an export (its head): the filter "exports" and the words "exported: …".
EXPORT_WHERE = ("export", "screening.missing_export")
EXPORT_ACTIONS = ("resident.export_ids", "resident.print_cards", "volunteers.export_hours",
                  "services.manifest.export", "services.owed.export", "services.disinfection.export",
                  "zones.gate.export",
                  "audit.export")

# The log's kinds (the chips on the page, `kind` in the API): label and the action codes.
KINDS = {
    "ids": (_("ID numbers shown"), ("resident.reveal_id", "resident.export_ids")),
    "phones": (_("Phones shown"), ("resident.view_phones", "volunteer.view_phones")),
    "changes": (_("Changes"), ("resident.create", "resident.update", "resident.move",
                               "household.create", "household.update")),
    "imports": (_("Imports"), ("registry.import",)),
    "exports": (_("Exports"), EXPORT_ACTIONS),
    "accounts": (_("Accounts"), ("user.create", "membership.grant", "membership.revoke",
                                 "login.locked", "token.create", "token.revoke", "totp.enable",
                                 "totp.disable", "totp.recovery_codes", "totp.recovery_code_used",
                                 "user.password_reset", "user.unlock", "user.password_change",
                                 "user.logged_out_elsewhere")),
}

# Detail keys. (action prefix, key) first, then the key alone; a key of the target's model
# not listed here is named by the field's own verbose name (present.key_label).
KEYS = {
    "username": k("account"), "user": k("account"), "role": k("role"), "name": k("name"),
    "failures": k("wrong passwords"), "until": k("until"), "left": k("recovery codes left"),
    "tokens_revoked": k("API keys revoked"),
    "seed": k("seed"), "as_of": k("as of"), "residents": k("residents"),
    "households": k("households"), "before": k("before"), "after": k("after"),
    "scope": k("erased"), "counts": k("rows"), "files": k("files"), "at": k("time"),
    "parent": k("under"), "kind": k("kind"), "door": k("door"), "count": k("how many"),
    "everyone": k("for everyone"), "job": k("import"), "file": k("file"), "rows": k("rows"),
    "created": k("added"), "updated": k("changed"), "unchanged": k("unchanged"),
    "households_created": k("households added"), "places_created": k("places added"),
    "joined": k("joined occupied households"), "warnings": k("rows to check"),
    "new_places": k("new places"), "version": k("version"), "day": k("day"),
    "reason": k("reason"), "places": k("places"), "sent": k("sent"), "round": k("round"),
    "result": k("result"), "source": k("source"), "photo": k("photo"), "added": k("added"),
    "visit": k("home visit"), "status": k("status"), "tube": k("tube"), "box": k("box"),
    "tubes": k("tubes"), "stage": k("stage"), "given_by": k("handed over by"),
    "received_by": k("received by"), "saved": k("results saved"), "corrected": k("corrected"),
    "positive_pools": k("positive pools"), "followups": k("held for a re-test"),
    "lifted": k("no longer held"), "invalid_pools": k("invalid pools"),
    "resample": k("to be sampled again"), "retests": k("re-tests"), "released": k("released"),
    "cases": k("cases"), "no_receipt": k("tubes not received"), "changes": k("changed"),
    "areas": k("areas"), "pool_size": k("people per tube"), "team": k("team"),
    "point": k("sampling point"), "table": k("table"), "tables": k("tables"),
    "resident": k("resident"), "conflict": k("problem"), "colour": k("health code"),
    "barcode": k("tube"), "opened_at": k("opened at"), "next": k("next tube"),
    "samples": k("people sampled"), "conflicts": k("problems"), "events": k("scans"),
    "malformed": k("unreadable scans"), "set_aside": k("tubes set aside"), "pet": k("pet"),
    "volunteer": k("volunteer"), "run": k("run"), "delivered": k("delivered"),
    "problem": k("problem"), "resolution": k("resolution"), "id": k("number"), "case": k("case"),
    "area": k("area"), "agent": k("disinfectant"), "orders": k("orders"), "lines": k("lines"),
    "line": k("line"), "check": k("check"), "received": k("received"), "runs": k("runs"),
    "stops": k("doors"), "carrier": k("carried by"), "supplier": k("supplier"),
    "group": k("group order"), "order": k("order"), "total": k("total"),
    "medicine": k("medicine"), "why": k("why"), "assignee": k("given to"), "state": k("state"),
    "was": k("before"), "request": k("request"), "category": k("category"), "due_at": k("due"),
    "batch": k("delivery"), "late_minutes": k("minutes late"), "minutes": k("minutes"),
    "notified": k("people told"), "slots": k("places to fill"), "title": k("title"),
    "audience": k("called"), "skills": k("skills"), "party_member": k("party member"),
    "phone": k("phone"), "id_number": k("ID number"), "to": k("to"), "direction": k("direction"),
    "allowed": k("let through"), "effective_from": k("from"), "change": k("rules change"),
    "notice": k("notice"), "op": k("what"), "zone_type": k("zone"), "item": k("item"),
    "error": k("error"), "type": k("shape"), "replaced": k("replaced"), "q": k("search"),
    "published_at": k("published at"), "from_notice": k("counted from the notice's time"),
    "against_rule": k("lifted against the lifting rule"),
    "already": k("already so, left as they were"),
    "items": k("places"), "check_in_at": k("checked in"), "check_out_at": k("checked out"),
    "starts_at": k("starts"), "household": k("household"), "community": k("community"),
    "tags": k("vulnerability"), "price": k("price"), "is_active": k("on sale"),
    "priority": k("priority"), "response_minutes": k("minutes to answer"), "channel": k("channel"),
    "active": k("on"), "attempts": k("attempts"), "by": k("by"), "where": k("shown on"),
    "filters": k("filters"), "erased": k("erased"), "position": k("place on the waiting list"),
    "leader": k("team leader"), "place": k("place"), "number": k("notice number"),
    "replaced_by": k("corrected by notice"), "in_force": k("its zones still in force"),
    "actor": k("account"), "since": k("since"), "action": k("action code"),
    "shapes": k("outlines"), "role_ended": k("because a role ended"), "first": k("first login"),
    "unlocked": k("unlocked too"), "was_locked": k("was locked"), "ended": k("tasks ended"),
    "asked_from": k("asked by the neighbour at"),
    "current": k("now the person's code"), "confirmed": k("checked and confirmed at the gate"),
}
KEYS_FOR = {  # (action prefix, key): a key said otherwise in this action
    ("resident", "name"): k("name of the person"), ("volunteer", "name"): k("name of the person"),
    ("login.locked", "by"): k("locked"), ("login.locked", "until"): k("locked until"),
    ("call.message", "text"): k("message"), ("call.change", "ends_at"): k("ends"),
    ("call.cancel", "by"): k("cancelled by"), ("volunteers.export_hours", "by"): k("grouped by"),
    ("screening.antigen.kits", "count"): k("kits"), ("services.manifest.import", "released"): k("orders taken out"),
    ("screening.sync", "samples"): k("people sampled"), ("volunteer.lend", "until"): k("lent until"),
    ("services.feeding", "volunteer"): k("volunteer"), ("report.remind", "sent"): k("people told"),
    ("zones.adjustment", "at"): k("in force from"), ("screening.sampler", "user"): k("sampler"),
    ("call.sign_up", "position"): k("place on the waiting list"),
    ("screening.home.assign", "visits"): k("home visits"), ("screening.home.assign", "sampler"): k("sampler"),
    ("screening.antigen.remind", "households"): k("households reminded"),
    ("screening.antigen.remind", "door"): k("households without a family account (door visit)"),
    ("screening.round.plan", "overlaps"): k("open rounds over the same area and days (planned anyway)"),
}

# Keys that hold a list of ids, or sometimes just how many.
COUNT_KEYS = {"residents": k("people"), "households": k("households counted")}

# Values said in words: (action prefix, key) or key → "app_label.Model.field" (its choices)
# or a dict of words.
VALUES = {
    ("place.create", "kind"): "registry.Place.kind",
    ("screening.round.plan", "kind"): "screening.Round.kind",
    ("screening.conflict", "kind"): "screening.Conflict.kind",
    ("screening.conflict", "status"): "screening.Conflict.status",
    ("services.disinfection", "kind"): "services.Disinfection.kind",
    ("membership", "role"): "accounts.Membership.role",
    ("screening.antigen", "result"): "screening.AntigenResult.result",
    ("screening.antigen", "source"): "screening.AntigenResult.source",
    ("screening.home.status", "status"): "screening.HomeVisit.status",
    ("screening.round.status", "status"): "screening.Round.status",
    ("screening.exempt", "reason"): "screening.Exemption.reason",
    ("screening.box.handover", "stage"): "screening.Handover.stage",
    ("screening.code.observe", "colour"): "zones.HealthCode.colour",
    ("zones.health_code", "colour"): "zones.HealthCode.colour",
    ("zones.health_code", "source"): "zones.HealthCodeObservation.source",
    ("zones.health_code", "was"): "zones.HealthCode.colour",
    ("volunteer", "status"): "volunteers.Volunteer.status",
    ("volunteer", "skills"): "volunteers.Call.audience_skill",
    ("call.sign_up", "status"): "volunteers.Assignment.status",
    ("call.cancel", "was"): "volunteers.Assignment.status",
    ("call.close", "status"): "volunteers.Call.status",
    ("call.cancel_call", "status"): "volunteers.Call.status",
    ("call.create", "audience"): "volunteers.Call.audience",
    ("zones.adjustment.draft", "reason"): "zones.Adjustment.reason",
    ("zones.adjustment", "op"): "zones.AdjustmentItem.op",
    ("zones.adjustment", "zone_type"): "zones.PoolingRule.zone_type",
    ("zones.gate", "direction"): "zones.CheckpointEvent.direction",
    ("services.order.cancel", "why"): "services.Order.cancelled_why",
    ("services.request", "state"): "services.Request.state",
    ("services.check_in", "result"): "services.CheckIn.result",
    ("services.line.check", "check"): "services.Line.outcome",
    ("screening.results", "result"): "screening.Tube.result",
    ("notify", "status"): "notify.Delivery.status",
    ("login.locked", "by"): {"address": k("the address"), "account": k("the account")},
    ("call.cancel", "by"): {"self": k("the volunteer"), "staff": k("staff")},
    ("volunteers.export_hours", "by"): {"team": k("team"), "work_unit": k("work unit"),
                                        "party_branch": k("party branch"),
                                        "call": k("attendance of one call"),
                                        "day": k("attendance of one day")},
    ("ops.erase", "scope"): {"community": k("community"), "round": k("round")},
    ("screening.results", "source"): {"upload": k("a file uploaded"), "api": k("the API"),
                                      "demo": k("the demo")},
    ("audit", "kind"): {code: label for code, (label, _actions) in KINDS.items()},
    # a code of a table: "app_label.Model.code_field.name_field"
    ("services.request", "category"): "services.Category.code.name",
    ("services.check_in", "category"): "services.Category.code.name",
}

# Keys whose number is an object's id, said as its name: key → what it names. "#n" for
# the others in ID_NUMBERS.
NAMES_FOR = {("services.run", "was"): "user", ("services.feeding", "was"): "user"}
NAMES = {"round": "round", "supplier": "supplier", "place": "place", "parent": "place",
         "areas": "place", "community": "place", "team": "team", "pet": "pet", "user": "user",
         "assignee": "user", "carrier": "user", "volunteer": "user", "resident": "resident",
         "asked_from": "household", "already": "place",
         "actor": "user"}
ID_NUMBERS = {"order", "request", "visit", "conflict", "change", "group", "line", "problem",
              "id", "job", "case", "run", "batch", "item"}
# Counts that say nothing when zero (a lab upload's summary).
QUIET_ZEROS = {"saved", "corrected", "unchanged", "positive_pools", "followups", "lifted",
               "invalid_pools", "resample", "retests", "released", "cases", "no_receipt",
               "malformed", "conflicts", "position"}
# Lists of codes said by how many there are.
COUNTED_LISTS = {"tubes", "set_aside"}
# What a target type is called, for a label Django made ("Batch object (1)").
TARGETS = {"batch": k("delivery"), "run": k("run"), "stop": k("door delivery"),
           "problem": k("delivery problem"), "request": k("service request"),
           "feeding": k("pet feeding"), "checkin": k("morning check-in")}
# A target's model, for the keys named by their field (a resident's, a zone type's…).
TARGET_MODELS = {"resident": "registry.Resident", "household": "registry.Household",
                 "place": "registry.Place", "zonetype": "zones.ZoneType",
                 "category": "services.Category"}
