"""Every action the code records has its words in both languages, and so does every detail
key a `record` call writes — read from the source, so a new action without words fails here
(found walking the demo: `screening.antigen.result 乔秀兰`, `services.batch.create Batch
object (1)`, "round: 2；result: negative；source: door；photo: False")."""

import ast
from pathlib import Path

import polib
import pytest
from django.utils import translation

from fangkong.audit import words
from fangkong.core.management.commands.compilemessages_py import merged_catalogue

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES"

# An action made by an f-string: its template → every action it can make.
F_STRINGS = {
    "f'ops.erase.{e.scope}'": ["ops.erase.community", "ops.erase.round"],
    "f'report.{status}'": ["report.approved", "report.returned"],
    "f'services.request.{to}'": ["services.request.taken", "services.request.done",
                                 "services.request.confirmed", "services.request.cancelled"],
}
RECORDERS = {"record": 1, "record_shown": 1, "event": 0}  # name → position of the action


def _actions(node) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _actions(node.body) + _actions(node.orelse)
    if isinstance(node, ast.JoinedStr):
        template = ast.unparse(node)
        assert template in F_STRINGS, f"add the actions {template} can make to F_STRINGS"
        return F_STRINGS[template]
    return []


def recorded() -> dict[str, list]:
    """{action: [(file, line, the changes' literal dict or None)]} of every audit event
    written in fangkong/ (record, record_shown, the importer's `event`, AuditEvent(action=))."""
    found = {}
    for path in sorted((ROOT / "fangkong").rglob("*.py")):
        if "migrations" in path.parts or path.parts[-2] == "audit" and path.name == "actions.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            action = changes = None
            if name == "AuditEvent":
                action = next((kw.value for kw in node.keywords if kw.arg == "action"), None)
            elif name in RECORDERS and len(node.args) > RECORDERS[name]:
                action = node.args[RECORDERS[name]]
                at = RECORDERS[name] + 2
                changes = node.args[at] if len(node.args) > at else next(
                    (kw.value for kw in node.keywords if kw.arg == "changes"), None)
            if action is None:
                continue
            codes = _actions(action)
            if name == "event" and not all("." in c for c in codes):
                continue  # another function called `event`
            for code in codes:
                found.setdefault(code, []).append((path.relative_to(ROOT), node.lineno, changes))
    return found


def test_the_source_is_read():
    found = recorded()
    # the recorders of every kind are found: a call, a conditional, an f-string, the
    # importer's helper, the sign-up's hand-made event
    for code in ("resident.update", "volunteer.reregister", "report.returned", "call.sign_up",
                 "screening.antigen.result", "services.batch.create", "demo.build"):
        assert code in found, code
    assert len(found) > 120


def test_every_recorded_action_has_words():
    missing = {code: where[0][:2] for code, where in recorded().items() if code not in words.ACTIONS}
    assert not missing, f"add these actions to fangkong/audit/words.py ACTIONS: {missing}"


def test_every_literal_detail_key_has_words():
    missing = set()
    for code, places in recorded().items():
        for path, line, changes in places:
            if not isinstance(changes, ast.Dict):
                continue
            for key in changes.keys:
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    prefixes = [".".join(code.split(".")[:n]) for n in range(1, code.count(".") + 2)]
                    if key.value not in words.KEYS and not any((p, key.value) in words.KEYS_FOR
                                                               for p in prefixes):
                        missing.add((code, key.value, f"{path}:{line}"))
    assert not missing, f"add these keys to fangkong/audit/words.py KEYS: {sorted(missing)}"


@pytest.mark.parametrize("table", ["ACTIONS", "KEYS", "KEYS_FOR", "WHERE", "KINDS", "TARGETS"])
def test_the_words_are_chinese_in_chinese_and_english_in_english(table):
    catalogue = {(e.msgctxt, e.msgid): e.msgstr for e in merged_catalogue(CATALOGUE)}
    values = getattr(words, table).values()
    untranslated = []
    for value in values:
        value = value[0] if isinstance(value, tuple) else value
        with translation.override("zh-hans"):
            zh = str(value)
        with translation.override("en"):
            en = str(value)
        if zh == en or not any("\u4e00" <= ch <= "\u9fff" for ch in zh):
            untranslated.append(en)
    assert not untranslated, f"translate in locale/zh_Hans/LC_MESSAGES/audit.po: {untranslated}"
    assert catalogue  # the catalogue was read


def test_the_audit_catalogue_has_no_untranslated_entry():
    po = polib.pofile(str(CATALOGUE / "audit.po"))
    assert [e.msgid for e in po if not e.translated() and not e.obsolete] == []
