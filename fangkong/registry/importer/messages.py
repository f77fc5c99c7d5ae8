"""The import's messages, kept as codes and parameters (`core.said`) and said in the
language of whoever reads them.

An import runs in the language of the request (or task) that started it, but its report is
read later by anyone who may see it: a row error or the summary stored as finished text
read in the wrong language. So each error row keeps, beside its `message` (the text as
written then), its `code` and `params`, and the job its summary as pieces (`ImportJob.said`);
the page, the API and the command say them again here (`error_rows`, `job_message`). Rows
kept before this have only their text, which is shown as it was.

The codes of the checks the import shares with forms and the API are defined where those
messages are made (`registry.checks`, `core.pii`); the import's own are here.
"""

from django.utils.translation import gettext, gettext_noop, ngettext_lazy, pgettext

from fangkong.core.said import define, kept, say

# --- reading the file and its rows -------------------------------------------------------

NO_PEOPLE = define("import.no_people", gettext_noop(
    "The file has a header row but no people below it."))
TOO_MANY_ROWS = define("import.too_many_rows", gettext_noop(
    "The file has more than %(max)d rows; split it into several files."))
NO_HEADER = define("import.no_header", gettext_noop(
    "No header row found: the first %(n)d rows of every sheet were searched for column names "
    "such as 姓名, 身份证号, 楼栋, 门牌号. Use the import template."))
NO_HEADER_CSV = define("import.no_header_csv", gettext_noop(
    "No header row found in this CSV file. Either its text encoding is not supported (save it "
    "as “CSV UTF-8” or as GBK/GB18030 CSV from Excel or WPS), or it has no row of column names "
    "such as 姓名, 楼栋, 门牌号 in its first %(n)d rows."))
COLUMNS_TWICE = define("import.columns_twice", gettext_noop(
    "Two columns mean the same thing (%(a)s and %(b)s): keep one of them."))
COLUMN_SPELLINGS = define("import.column_spellings", gettext_noop(
    "%(column)s (accepted spellings: %(spellings)s)"))
COLUMNS_MISSING = define("import.columns_missing", gettext_noop("Required column missing: %(columns)s."))
BELOW_TOTALS = define("import.below_totals", gettext_noop(
    "This row is below the totals row (row %(totals)d). Move it above the totals row, or delete "
    "the totals row."))
ID_HIDDEN = define("import.id_hidden", gettext_noop(
    "This ID number is partly hidden (****). Type the full number, or leave the cell empty."))
PHONE_HIDDEN = define("import.phone_hidden", gettext_noop(
    "This phone number is partly hidden (****). Type the full number."))
ID_TWICE = define("import.id_twice", gettext_noop("The same ID number is already on row %(row)d."))
PERSON_TWICE = define("import.person_twice", gettext_noop(
    "The same person (same address and name) is already on row %(row)d."))

# --- places and people (the plan) ---------------------------------------------------------

PLACES_AMBIGUOUS = define("import.places_ambiguous", gettext_noop(
    "Several places under %(parent)s match “%(name)s” (%(names)s): write the name exactly as "
    "one of them."))
PLACE_MISMATCH = define("import.place_mismatch", gettext_noop(
    "“%(value)s” does not match the place you are importing into (%(place)s): leave the cell "
    "empty or write “%(name)s”."))
COMPOUND_REQUIRED_COMMUNITY = define("import.compound_required_community", gettext_noop(
    "The compound (小区) is required when importing into a community."))
COMPOUND_REQUIRED_GRID = define("import.compound_required_grid", gettext_noop(
    "The compound (小区) is required when importing into a grid."))
COMPOUND_NOT_IN_GRID = define("import.compound_not_in_grid", gettext_noop(
    "The compound “%(compound)s” exists in this community but not in the grid “%(grid)s”. "
    "Correct the grid, or leave the grid cell empty."))
COMPOUNDS_AMBIGUOUS = define("import.compounds_ambiguous", gettext_noop(
    "There are several compounds called “%(compound)s” in this community (in different "
    "grids): add a 网格 (grid) column to say which."))
BUILDING_REQUIRED = define("import.building_required", gettext_noop("The building (楼栋) is required."))
REGISTERED_ELSEWHERE = define("import.registered_elsewhere", gettext_noop(
    "This person is already registered in another community. Ask that community to move the "
    "person out first, then import again."))
ID_HIDDEN_NOT_HERE = define("import.id_hidden_not_here", gettext_noop(
    "This ID number is partly hidden (****) and does not belong to a person of this name in "
    "this household. Type the full number."))
NAMES_AMBIGUOUS = define("import.names_ambiguous", gettext_noop(
    "Several people called “%(name)s” live in this household: add their ID numbers to tell "
    "them apart."))
SAME_PERSON = define("import.same_person", gettext_noop("This is the same person as on row %(row)d."))
HEAD_ON_ROW = define("import.head_on_row", gettext_noop(
    "%(name)s on row %(row)d is already the head of this household. A household has one head: "
    "choose another relation on one of the two rows."))

# --- warnings: the import goes ahead, the rows are listed (`joining`) ---------------------

ALONE_JOINS = define("import.alone_joins", gettext_noop(
    "%(name)s is tagged elderly living alone but joins a household where others live "
    "(%(others)s): check the tag."))
JOINS_ALONE = define("import.joins_alone", gettext_noop(
    "%(name)s is added to a household where %(alone)s is tagged elderly living alone: check the tag."))
CHANGED_AFTER_FILE = define("import.changed_after_file", gettext_noop(
    "%(name)s's record was changed at %(changed)s, after this file was made (%(made)s): this "
    "row is not imported, the record is kept as it is now. To change it, edit the person or "
    "import a new export."))
AWAY_WHILE_SEALED = define("import.away_while_sealed", gettext_noop(
    "%(name)s's building is sealed since %(at)s: someone in it cannot be set away by a file. "
    "If they left before the seal, say so on the person's page."))
ALONE_TOO_YOUNG = define("import.alone_too_young", ngettext_lazy(
    "%(name)s is tagged elderly living alone but is %(age)s year old: check the tag.",
    "%(name)s is tagged elderly living alone but is %(age)s years old: check the tag.", "age"))
ALONE_NOT_ALONE = define("import.alone_not_alone", ngettext_lazy(
    "%(name)s is tagged elderly living alone but %(n)s person lives in the household: check the tag.",
    "%(name)s is tagged elderly living alone but %(n)s people live in the household: check the tag.", "n"))

# --- the job --------------------------------------------------------------------------------

NOT_ALLOWED = define("import.not_allowed", gettext_noop("You are not allowed to import into %(place)s."))
IMPORTED = define("import.imported", ngettext_lazy(
    "Imported %(rows)d row: %(created)d new, %(updated)d updated, %(unchanged)d unchanged.",
    "Imported %(rows)d rows: %(created)d new, %(updated)d updated, %(unchanged)d unchanged.", "rows"))
JOINED = define("import.joined", ngettext_lazy(
    "%(n)d person joined a household that already had residents: %(addresses)s.",
    "%(n)d people joined households that already had residents: %(addresses)s.", "n"))
WARNED = define("import.warned", ngettext_lazy(
    "%(n)d row to check (listed below, with its household).",
    "%(n)d rows to check (listed below, with their households).", "n"))
KEPT = define("import.kept", ngettext_lazy(
    "%(n)s row not imported: the record was changed after the file was made",
    "%(n)s rows not imported: records changed after the file was made", "n"))
COLUMNS_IGNORED = define("import.columns_ignored", gettext_noop("Columns not imported: %(columns)s."))
PROBLEMS = define("import.problems", ngettext_lazy(
    "%(n)d problem found; nothing was imported. Correct the file and import it again.",
    "%(n)d problems found; nothing was imported. Correct the file and import it again.", "n"))
WORKER_STOPPED = define("import.worker_stopped", gettext_noop(
    "The import was stopped because its worker was shut down; nothing was imported. Please "
    "import the file again."))
REGISTRY_CHANGED = define("import.registry_changed", gettext_noop(
    "The registry changed while this file was being imported (someone saved the same person "
    "or place at the same time). Nothing was imported: please import the file again."))
INTERNAL = define("import.internal", gettext_noop(
    "The import failed because of an internal error; nothing was imported. Please try again "
    "or tell your administrator."))
CHECKED = define("import.checked", ngettext_lazy(
    "Checked %(rows)d row: nothing has been saved yet. Look at what will happen, then confirm "
    "or discard.",
    "Checked %(rows)d rows: nothing has been saved yet. Look at what will happen, then confirm "
    "or discard.", "rows"))
SUMMARY_CHANGED = define("import.summary_changed", gettext_noop(
    "The registry of %(place)s changed after this file was checked (another import or an "
    "edit). Nothing was saved: this is what the import would do now. Check it and confirm "
    "again."))
DISCARDED = define("import.discarded", gettext_noop("Discarded: nothing was imported."))
EXPIRED = define("import.expired", ngettext_lazy(
    "Not confirmed within %(hours)d hour: discarded, nothing was imported, and the uploaded "
    "file was deleted. Import it again if it is still needed.",
    "Not confirmed within %(hours)d hours: discarded, nothing was imported, and the uploaded "
    "file was deleted. Import it again if it is still needed.", "hours"))
NOT_QUEUED = define("import.not_queued", gettext_noop(
    "The import could not be started (the background queue is not available); nothing was "
    "imported. Please try again later."))


# --- kept, and said again ------------------------------------------------------------------

def piece(message) -> dict:
    """One piece of a job's message as kept (`ImportJob.said`): a said message's code and
    parameters, or plain text."""
    return {**kept(message), "text": str(message)}


def error_piece(error: dict) -> dict:
    """A stored error row as a piece of the job's message (a file's problem said there)."""
    if error.get("code"):
        return {"code": error["code"], "params": error.get("params") or {}, "text": error["message"]}
    return {"text": error.get("message", "")}


def job_message(job) -> str:
    """The job's message in the active language (its text as written, for a job kept
    before, or whose pieces are not known any more)."""
    if not job.said:
        return job.message
    return " ".join(say(p.get("code"), p.get("params"), p.get("text", "")) for p in job.said)[:500]


def error_rows(errors) -> list[dict]:
    """Stored error rows for the page and the API: each message in the active language,
    with its `code` ("" for a row kept before codes were)."""
    return [{"row": e.get("row"), "column": e.get("column", ""), "value": e.get("value", ""),
             "message": say(e.get("code"), e.get("params"), e.get("message", "")),
             "code": e.get("code") or ""} for e in errors or []]


def warning_rows(warnings) -> list[dict]:
    """Stored warnings for the page and the API: as `error_rows`, with the household's id
    and address (the page links to it)."""
    return [{**row, "household": w.get("household"), "address": w.get("address", "")}
            for w, row in zip(warnings or [], error_rows(warnings), strict=True)]


def field_labels(fields) -> list[str]:
    """The resident's fields a summary says will change ("phone", "household"…), in the
    active language."""
    from django.core.exceptions import FieldDoesNotExist

    from ..models import Resident

    out = []
    for f in fields or []:
        if f == "household":
            out.append(gettext("moves to another household"))
        elif f == "id_number":
            out.append(gettext("ID number"))
        else:
            try:
                out.append(str(Resident._meta.get_field(f).verbose_name))
            except FieldDoesNotExist:
                out.append(f)
    return out


def change_words(diff) -> list[str]:
    """Each stored change `{field: [before, after]}` as "label: before → after" in the active
    language (choices and tags by their names; nothing as "—")."""
    from django.core.exceptions import FieldDoesNotExist

    from ..models import Resident, Tag

    def word(field, value):
        if value in (None, "", []):
            return "—"
        if field == "tags":
            return "、".join(str(Tag(t).label) if t in Tag.values else str(t) for t in value)
        if field == "has_smartphone":
            return gettext("yes") if value else gettext("no")
        try:
            choices = dict(Resident._meta.get_field(field).flatchoices)
        except FieldDoesNotExist:  # a field kept by an older version
            choices = {}
        return str(choices.get(value, value))

    return [f"{label}{pgettext('a label and what it says', ': ')}{word(f, before)} → {word(f, after)}"
            for f, label, (before, after) in ((f, field_labels([f])[0], v) for f, v in (diff or {}).items())]


def summary_out(summary) -> dict | None:
    """A job's summary (`ImportJob.summary`) for the page and the API, in the active
    language: its rows to check as `warning_rows`, each change with its fields' labels."""
    if not summary:
        return None
    return {**{k: v for k, v in summary.items() if k != "rows_to_check"},
            "changes": [{**c, "labels": field_labels(c.get("fields")), "shown": change_words(c.get("diff"))}
                        for c in summary.get("changes", [])],
            "kept": [{**c, "labels": field_labels(c.get("fields")), "shown": change_words(c.get("diff"))}
                     for c in summary.get("kept", [])],
            "rows_to_check": warning_rows(summary.get("rows_to_check"))}
