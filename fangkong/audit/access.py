"""Who may read the audit trail: the one home of audit's permission rules. Those holding
VIEW_AUDIT somewhere read the events at or below their places (audit.queries); anyone
else gets NotFound."""

from fangkong.accounts.roles import Perm
from fangkong.core.access import require_somewhere


def require_log(who) -> None:
    require_somewhere(who, Perm.VIEW_AUDIT)
