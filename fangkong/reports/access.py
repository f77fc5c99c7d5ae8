"""Who may do what with dashboards and nightly reports: the only home of these rules.

- See a node's dashboard and reports: `reports.view` at or above the node.
- Prepare, submit and correct a node's report: `reports.submit` granted ON that node (the
  community's staff for the community's report, the street's command for the street's).
- Approve or return a community's report: `reports.approve` on its street or district.
- Send reminders to the children of a node: `reports.approve` at or above it.
- Who has reported (上报情况): a street's or district's, the places whose reports add up to
  theirs; a community has none reporting to it (its grids report nothing): not found.
Anything the user cannot see raises NotFound, as if it did not exist; what they see but
may not do raises Forbidden."""

from fangkong.accounts.roles import Perm
from fangkong.core.access import require
from fangkong.core.errors import Forbidden, NotFound
from fangkong.core.tree import is_under
from fangkong.registry.models import LEVELS, Kind

from .models import REPORT_LEVELS, DailyReport

LEVEL_KINDS = [k for k, _label in REPORT_LEVELS]


def can_view(scope, place) -> bool:
    return place.kind in LEVELS and scope.allows(Perm.REPORTS_VIEW, place)


def require_view(scope, place):
    if place.kind not in LEVELS:
        raise NotFound()
    require(scope, Perm.REPORTS_VIEW, place)


def can_submit(scope, place) -> bool:
    if place.kind not in LEVEL_KINDS:
        return False
    if getattr(scope, "superuser", False):
        return True
    return any(Perm.REPORTS_SUBMIT in g.perms and g.household_id is None and g.place.id == place.id
               for g in scope.grants)


def require_submit(scope, place):
    require_view(scope, place)
    if not can_submit(scope, place):
        raise Forbidden()


# who reviews a level's report: the levels above it (a community's at its street or district,
# a street's at its district — up the tree, as DHIS2 approves data level by level)
REVIEWED_AT = {Kind.COMMUNITY: (Kind.STREET, Kind.DISTRICT), Kind.STREET: (Kind.DISTRICT,)}


def can_approve(scope, report: DailyReport) -> bool:
    """A community's report is approved or returned at its street (or district); a street's
    at its district. Never one's own level."""
    above = REVIEWED_AT.get(report.level)
    if not above:
        return False
    if getattr(scope, "superuser", False):
        return True
    return any(Perm.REPORTS_APPROVE in g.perms and g.place.kind in above
               and is_under(report, g.place) for g in scope.grants)


def require_approve(scope, report: DailyReport):
    require_view(scope, report.place)
    if not can_approve(scope, report):
        raise Forbidden()


def has_completeness(place) -> bool:
    """Does the node have places reporting to it (a street's communities, a district's
    streets)? A community's grids send no report: it has no "who has reported"."""
    return place.kind in (Kind.STREET, Kind.DISTRICT)


def require_completeness(scope, place):
    """Who has reported below a node, the page and the API alike: NotFound where nothing
    reports to it (a community, a grid: the API had answered 200 with no rows, the page 404)."""
    require_view(scope, place)
    if not has_completeness(place):
        raise NotFound()


def can_remind(scope, place) -> bool:
    return has_completeness(place) and scope.allows(Perm.REPORTS_APPROVE, place)


def require_remind(scope, place):
    require_view(scope, place)
    if not can_remind(scope, place):
        raise Forbidden()


def can_export(scope, place) -> bool:
    return can_view(scope, place)
