"""Roster import: an .xlsx or .csv roster into places, households and residents.

Check first, then write what was shown. All or nothing. `run_import` first reads and checks every row (the rules of
`registry.checks`, plus the rules only a whole file can break: duplicates, people
registered elsewhere, places that do not match the import place); if anything is wrong
the job is "rejected", with errors per row and column, and nothing is written. Otherwise
it stops "checked" with a summary of what the write will do (`Plan.summary`, counted by
the same plan that writes), and nothing is written until someone confirms it
(`confirm_import`; `discard_import` drops it). Confirming plans again and, if the summary
is the same, writes everything in one transaction: missing places, missing households, new
residents, and updates of existing residents (matched by ID number, or by household and
name when the row has no ID number). Importing the same file twice changes nothing.

The work is done with a fixed number of queries whatever the size of the file: one for
the places under the import place, one for its households, one for its residents, a few
for ID numbers registered elsewhere, then bulk inserts and updates in batches.

The package: `columns` (the roster's columns and accepted spellings, error helpers),
`files` (opening .xlsx/.csv, header row, merged cells, encodings), `rows` (reading and
checking every row; nothing written), `writer` (planning and writing places, households,
residents), `job` (create, run, reject or finish), `queue` (start, confirm, discard: inline
or in the task worker).

Column layout, accepted spellings and every error message: docs/import.md.
"""

from .columns import COLUMN, COLUMNS, TEMPLATE_KEYS
from .job import create_job, run_import
from .queue import confirm_import, discard_import, start_import
from .rows import RosterRow, count_data_rows, parse_roster

__all__ = ["COLUMN", "COLUMNS", "TEMPLATE_KEYS", "RosterRow", "confirm_import", "count_data_rows",
           "create_job", "discard_import", "parse_roster", "run_import", "start_import"]
