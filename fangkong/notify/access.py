"""Who may do what with notifications: the one home of notify's permission rules.

Everyone reads and marks their own inbox. The outbox (deliveries), its retries and the
group channels need MANAGE_NOTIFY on the place: a user who sees the place's registry but
may not manage its messages is refused (403); anyone else gets NotFound.
"""

from fangkong.accounts.roles import Perm
from fangkong.core.access import require, require_somewhere


def require_manage(who, obj) -> None:
    require(who, Perm.MANAGE_NOTIFY, obj, seen=Perm.VIEW_REGISTRY)


def require_outbox(who) -> None:
    """The outbox page and list: for those who manage messages somewhere."""
    require_somewhere(who, Perm.MANAGE_NOTIFY)
