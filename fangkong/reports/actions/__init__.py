"""Every write of the reports app, by job: nightly (prepare, remarks, submit, correct),
review (approve, return), reminders, schedule (the scheduled job's preparing)."""

from .nightly import as_of, correct, prepare, rollup, save_remarks, submit  # noqa: F401
from .reminders import remind  # noqa: F401
from .review import approve, return_report  # noqa: F401
