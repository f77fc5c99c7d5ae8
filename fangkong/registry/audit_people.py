"""The registry's part of the audit log (settings.FANGKONG_AUDIT_PEOPLE): finding the
resident to filter the log by, and saying who a resident or household id of an event is
("李卫华 · 光明小区 3号楼 1单元 301": the door tells two 李卫华 apart). The audit app sits
below the registry and reaches people only through these; every read is scoped to where
the reader may read the audit log."""

from fangkong.accounts.roles import Perm

from . import queries
from .models import Household, Resident, Tag

# The choices of the registry's stored codes that no field carries (a resident's tags).
CHOICES = {"tags": dict(Tag.choices)}


def _where(hh, labels) -> str:
    return f"{labels.get(hh.place_id, '')} {hh.door}".strip()


def find(scope, text: str, limit: int = 20) -> list[dict]:
    """Residents matching a name, pinyin, phone (or its last four digits), ID number or
    address (registry.queries.search's rule), within the reader's audit places:
    [{"id", "name", "where"}], at most `limit`."""
    _kind, qs = queries.search_queryset(scope, text)
    if qs is None:
        return []
    rows = list(qs.filter(scope.q(Perm.VIEW_AUDIT))
                .order_by("household__sort_key", "household_id", "id")[:limit])
    labels = queries.address_labels(rows)
    return [{"id": r.id, "name": r.name, "where": _where(r.household, labels)} for r in rows]


def residents(scope, ids) -> dict[int, dict]:
    """{id: {"name", "where", "household"}} of the residents among `ids` the reader may see."""
    if not ids:
        return {}
    rows = list(Resident.objects.filter(scope.q(Perm.VIEW_AUDIT), id__in=list(ids))
                .select_related("household").only("id", "name", "household__door",
                                                  "household__place_id",
                                                  "household__compound_id",
                                                  "household__building_id",
                                                  "household__unit_id"))
    labels = queries.address_labels(rows)
    return {r.id: {"name": r.name, "where": _where(r.household, labels),
                   "household": r.household_id} for r in rows}


def households(scope, ids) -> dict[int, str]:
    """{id: "光明小区 3号楼 1单元 301"} of the households among `ids` the reader may see."""
    if not ids:
        return {}
    rows = list(Household.objects.filter(scope.q(Perm.VIEW_AUDIT, household_field="id"),
                                         id__in=list(ids)))
    labels = queries.address_labels(rows)
    return {h.id: _where(h, labels) for h in rows}
