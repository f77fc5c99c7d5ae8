"""The audit log as people read it: an event's action, the way it came in, where personal
data was shown and what changed, in the reader's language (the words: `words.py`). The
stored rows keep their codes ("resident.view_phones", "board:12") for queries and exports;
only the page, the .xlsx and the API's `lines` word them.

Ids of known objects are said as their names (rounds, places, teams, suppliers, pets,
accounts: one query per kind a page; residents and households through the registry's
FANGKONG_AUDIT_PEOPLE, scoped), stored codes through the models' choices, times in the
site's zone, yes/no as words. An action or key without words is shown as its code
(nothing is hidden; tests/audit/test_words.py keeps the list whole)."""

import datetime
import importlib
import re
from functools import cache

from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from fangkong.core.text import join_words

from . import words

ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
DJANGO_LABEL = re.compile(r"^(\w+) object \((\d+)\)$")
# Names by id, read by name ("app_label.Model.field"): no import of the apps above.
MODEL_NAMES = {"round": "screening.Round.name", "place": "registry.Place.name",
               "team": "volunteers.Team.name", "supplier": "services.Supplier.name",
               "pet": "services.Pet.name"}
# Details in one order on every database (PostgreSQL's jsonb keeps its keys sorted its own
# way): the order of words.KEYS, which follows the actions' own.
KEY_ORDER = {key: i for i, key in enumerate(words.KEYS)}
PLAIN_LISTS = {"areas", "skills", "tags", "new_places", "tubes", "residents", "households",
               "volunteers", "set_aside", "changes"}


def people():
    """The registry's module for residents and households (settings.FANGKONG_AUDIT_PEOPLE)."""
    return importlib.import_module(settings.FANGKONG_AUDIT_PEOPLE)


def separator() -> str:
    return pgettext("between the details of an audit event", "; ")


def action(code: str) -> str:
    return str(words.ACTIONS.get(code, code))


def prefixes(code: str):
    """"screening.antigen.result" → itself, "screening.antigen", "screening"."""
    parts = code.split(".")
    for n in range(len(parts), 0, -1):
        yield ".".join(parts[:n])


# --- where personal data was shown -------------------------------------------------------

def parse_where(text: str) -> tuple[str, int | None, str]:
    """(head, id, rest) of a recorded place: "api:screening.missing:3" → ("screening.missing",
    3, "3"); "export: 光明社区 居民" → ("export", None, "光明社区 居民")."""
    text = (text or "").strip()
    text = re.sub(r"^api[: ]", "", text)
    head, _sep, rest = text.partition(":")
    head, rest = head.strip(), rest.strip()
    if " " in head:  # "volunteers:3 approved" keeps its head; "search" has no colon
        head = head.split(" ", 1)[0]
    number = re.match(r"\d+", rest)
    return head, int(number.group()) if number and head != "export" else None, rest


def is_export(where: str) -> bool:
    return parse_where(where)[0] in words.EXPORT_WHERE


def where_text(where: str, names) -> str:
    """"board:12" → "building roster (1号楼)"; an unknown place as recorded."""
    head, pk, rest = parse_where(where)
    known = words.WHERE.get(head)
    if known is None:
        return where
    label, kind = known
    if head == "export":
        return rest or str(label)
    name = names.get(kind, pk) if kind and pk is not None else None
    return _("%(what)s (%(name)s)") % {"what": label, "name": name} if name else str(label)


# --- values ------------------------------------------------------------------------------

@cache
def choices(source: str) -> dict:
    """The labels of a model field's choices, named "app_label.Model.field"."""
    app, model, field = source.split(".")
    try:
        return {str(v): lbl for v, lbl in apps.get_model(app, model)._meta.get_field(field).flatchoices}
    except LookupError:
        return {}


def table_words(source: str) -> dict:
    """{code: name} of a table's rows, named "app_label.Model.code_field.name_field" (a
    request's category; read each time: the rows change)."""
    app, model, code, name = source.split(".")
    try:
        rows = apps.get_model(app, model).objects.values_list(code, name)[:500]
    except LookupError:
        return {}
    return {str(c): _(n) for c, n in rows}  # the default rows' names are msgids (categories)


def field_of(event, key):
    """The target model's field named `key` (a resident's "relation"…), or None."""
    source = words.TARGET_MODELS.get(event.target_type)
    if source is None:
        return None
    try:
        return apps.get_model(source)._meta.get_field(key)
    except (LookupError, FieldDoesNotExist):
        return None


def name_kind(action: str, key: str) -> str | None:
    """What an id under `key` names ("round", "user"…), or None."""
    for p in prefixes(action):
        if (p, key) in words.NAMES_FOR:
            return words.NAMES_FOR[(p, key)]
    return words.NAMES.get(key)


def key_label(event, key: str, value=None) -> str:
    if key in words.COUNT_KEYS and isinstance(value, int):  # "households": 24, not a list
        return str(words.COUNT_KEYS[key])
    for p in prefixes(event.action):
        if (p, key) in words.KEYS_FOR:
            return str(words.KEYS_FOR[(p, key)])
    if key in words.KEYS:
        return str(words.KEYS[key])
    field = field_of(event, key)
    return str(field.verbose_name) if field is not None else key


def value_words(event, key: str) -> dict:
    """{stored code: its words} for this event's key, or {}."""
    for p in prefixes(event.action):
        source = words.VALUES.get((p, key))
        if source is not None:
            if isinstance(source, dict):
                return source
            return table_words(source) if source.count(".") == 3 else choices(source)
    if key == "tags" and event.target_type == "resident":
        return getattr(people(), "CHOICES", {}).get("tags", {})
    field = field_of(event, key)
    if field is not None and field.choices:
        return {str(v): lbl for v, lbl in field.flatchoices}
    return {}


def say(event, key: str, value, names) -> str:
    """One stored value in words."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return pgettext("audit value", "yes") if value else pgettext("audit value", "no")
    if key in words.COUNTED_LISTS and isinstance(value, list):
        return str(len(value))
    if key == "counts" and isinstance(value, dict):
        return str(sum(v for v in value.values() if isinstance(v, int)))
    if isinstance(value, dict):
        return join_words(_("%(key)s: %(value)s") % {"key": key_label(event, k), "value": say(event, k, v, names)}
                          for k, v in value.items())
    if isinstance(value, list):
        if value and isinstance(value[0], dict) and "tube" in value[0]:  # lab results changed
            table = value_words(event, "result")
            return join_words(f"{c.get('tube')} {table.get(c.get('from'), c.get('from') or '—')} → "
                              f"{table.get(c.get('to'), c.get('to') or '—')}" for c in value)
        return join_words(say(event, key, v, names) for v in value)
    kind = name_kind(event.action, key)
    if kind and isinstance(value, int) and not isinstance(value, bool):
        return names.get(kind, value) or f"#{value}"
    if key in words.ID_NUMBERS and isinstance(value, int):
        return f"#{value}"
    table = value_words(event, key)
    if str(value) in table:
        return str(table[str(value)])
    if key in ("total", "price"):
        return _("%(amount)s yuan") % {"amount": value}
    if isinstance(value, str) and ISO_TIME.match(value):
        try:
            when = datetime.datetime.fromisoformat(value)
        except ValueError:
            return value
        if timezone.is_aware(when):
            when = timezone.localtime(when)
        return formats.date_format(when, "Y-m-d H:i")
    return str(value)


def is_pair(key, value) -> bool:
    """A stored [before, after]."""
    if not isinstance(value, list) or len(value) != 2:
        return False
    if key in PLAIN_LISTS:  # a list of its own: a pair only when both sides are lists
        return all(isinstance(v, list) for v in value)
    return not any(isinstance(v, (dict, list)) for v in value)


# --- names of the ids --------------------------------------------------------------------

class Names:
    """The names of the ids a page of events mentions, read once per kind."""

    def __init__(self, scope):
        self.scope = scope
        self.wanted: dict[str, set] = {}
        self.found: dict[str, dict] = {}

    def want(self, kind, value):
        if kind is None:
            return
        values = value if isinstance(value, list) else [value]
        for v in values:
            if isinstance(v, list):
                self.want(kind, v)
            elif isinstance(v, int) and not isinstance(v, bool):
                self.wanted.setdefault(kind, set()).add(v)

    def collect(self, events, resident=None):
        for e in events:
            if e.target_type in ("resident", "household") and e.target_id:
                self.want(e.target_type, e.target_id)
            changes = e.changes or {}
            for key, value in changes.items():
                self.want(name_kind(e.action, key), value)
                if isinstance(value, dict):  # {"assignee": 12, "team": 3} as it was
                    for inner, v in value.items():
                        self.want(name_kind(e.action, inner), v)
            if "where" in changes:
                head, pk, _rest = parse_where(str(changes["where"]))
                self.want((words.WHERE.get(head) or (None, None))[1], pk)
            listed = changes.get("residents")
            if isinstance(listed, list) and len(listed) == 1:
                self.want("resident", listed)
        if resident is not None:
            self.want("resident", resident)

    def load(self):
        for kind, ids in self.wanted.items():
            if kind == "resident":
                found = {pk: person_text(p) for pk, p in people().residents(self.scope, ids).items()}
            elif kind == "household":
                found = people().households(self.scope, ids)
            elif kind == "user":
                model = apps.get_model(settings.AUTH_USER_MODEL)
                found = {pk: display or username for pk, display, username in
                         model.objects.filter(id__in=ids).values_list("id", "display_name", "username")}
            else:
                app, model, field = MODEL_NAMES[kind].split(".")
                try:
                    found = dict(apps.get_model(app, model).objects.filter(id__in=ids)
                                 .values_list("id", field))
                except LookupError:
                    found = {}
            self.found[kind] = found
        return self

    def get(self, kind, pk):
        return self.found.get(kind, {}).get(pk)


def person_text(p: dict) -> str:
    return _("%(name)s (%(where)s)") % p if p.get("where") else p["name"]


# --- an event ----------------------------------------------------------------------------

def details(event, names, resident=None) -> list[str]:
    """The event's changes as short lines: where and whose for data shown (not the ids),
    "what: before → after" for a change, each value in words."""
    changes = event.changes or {}
    if changes.get("erased"):
        return [_("The details were erased with the person's data.")]
    out = []
    where = str(changes.get("where") or "")
    shown = changes.get("residents") if isinstance(changes.get("residents"), list) else None
    count = changes.get("count") if isinstance(changes.get("count"), int) else None
    if where and is_export(where):
        head, pk, rest = parse_where(where)
        what = rest if head == "export" else where_text(where, names)
        n = count if count is not None else len(shown or [])
        out.append(ngettext("exported: %(what)s .xlsx, %(n)d person",
                            "exported: %(what)s .xlsx, %(n)d people", n) % {"what": what, "n": n})
    elif where:
        out.append(_("shown on: %(where)s") % {"where": where_text(where, names)})
    if event.action in ("resident.export_ids",) and changes.get("title"):
        out.append(ngettext("exported: %(what)s .xlsx, %(n)d person",
                            "exported: %(what)s .xlsx, %(n)d people", count or 0)
                   % {"what": changes["title"], "n": count or 0})
    for key, value in sorted(changes.items(), key=lambda kv: KEY_ORDER.get(kv[0], len(KEY_ORDER))):
        if key in ("where",) or (key == "title" and event.action == "resident.export_ids"):
            continue
        if key == "count" and (where or event.action == "resident.export_ids"):
            if where and not is_export(where):
                out.append(whose(shown, value, names, resident))
            continue
        if key in ("residents", "households", "volunteers") and isinstance(value, list):
            continue  # the count says how many; the ids stay in the record
        if (key in words.QUIET_ZEROS and value == 0) or value in (None, "", []):
            continue
        label = key_label(event, key, value)
        if is_pair(key, value):
            out.append(_("%(key)s: %(before)s → %(after)s") % {
                "key": label, "before": say(event, key, value[0], names),
                "after": say(event, key, value[1], names)})
        else:
            out.append(_("%(key)s: %(value)s") % {"key": label, "value": say(event, key, value, names)})
    return out


def whose(shown, count, names, resident=None) -> str:
    """Whose data a page showed: the one person by name and address, or how many (and that
    the person the log is filtered by is among them)."""
    if shown and len(shown) == 1 and count == 1 and names.get("resident", shown[0]):
        return _("whose: %(person)s") % {"person": names.get("resident", shown[0])}
    if resident is not None and shown and resident in shown and names.get("resident", resident):
        return _("%(n)d people, %(person)s among them") % {
            "n": count, "person": names.get("resident", resident)}
    return ngettext("%(n)d person", "%(n)d people", count) % {"n": count}


def action_label(event) -> str:
    where = str((event.changes or {}).get("where") or "")
    if event.action == "resident.view_phones" and where and is_export(where):
        return str(words.PHONES_EXPORTED)
    return action(event.action)


def target_text(event, names) -> str:
    changes = event.changes or {}
    if "where" in changes:
        return ""  # said in the lines
    if not event.target_type and event.target_label in {str(v) for v in changes.values()}:
        return ""  # a value the lines say in words (a lab upload's source)
    if event.target_type in ("resident", "household") and event.target_id:
        named = names.get(event.target_type, event.target_id)
        if named:
            return named
    label = event.target_label or ""
    made = DJANGO_LABEL.match(label)
    if made:
        word = words.TARGETS.get(event.target_type)
        return f"{word} #{made.group(2)}" if word else f"#{made.group(2)}"
    role = changes.get("role")
    if event.action.startswith("membership.") and role:
        role_word = choices("accounts.Membership.role").get(role)
        if role_word:
            label = re.sub(rf"(^|\s){re.escape(role)}(\s|$)", f" · {role_word} · ", label).strip(" ·")
    return label


def rows(events, scope, *, resident=None) -> list:
    """The events, each with `.action_label`, `.via_label`, `.target_text`, `.lines` and
    `.text` (the lines joined as the reader's language writes them). `resident`: the id
    the log is filtered by (a list of many then says the person is among them)."""
    events = list(events)
    names = Names(scope)
    names.collect(events, resident)
    names.load()
    sep = separator()
    for e in events:
        e.action_label = action_label(e)
        e.via_label = str(words.VIA.get(e.via, e.via))
        e.lines = details(e, names, resident)
        e.text = sep.join(e.lines)
        e.target_text = target_text(e, names)
        e.actor_name = (e.actor.display_name or e.actor.username) if e.actor else ""
    return events
