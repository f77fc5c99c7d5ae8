"""Every write of the reports app, by job: nightly (prepare, remarks, submit, correct),
review (approve, return), reminders, schedule (the scheduled job's preparing)."""

from .nightly import (  # noqa: F401
    as_of,
    as_shown,
    check_day,
    correct,
    day_report,
    prepare,
    preview,
    require_cutoff_passed,
    rollup,
    save_remarks,
    start,
    submit,
)
from .reminders import preview as remind_preview  # noqa: F401
from .reminders import remind  # noqa: F401
from .review import approve, check_return, return_report  # noqa: F401
from .roll import roll_read_late  # noqa: F401
from .snapshots import request_refresh  # noqa: F401
