"""Maintainer tool: write translations from a {msgid: msgstr} table into a .po file.

    python scripts/po_fill.py TABLE.py locale/zh_Hans/LC_MESSAGES/web.po

TABLE.py defines TRANSLATIONS = {...}; plural entries map msgid to a list of forms.
Only needed when adding strings; the set-up compiles the .po files with compilemessages_py.
"""

import runpy
import sys

import polib


def main(table_path, po_path):
    table = runpy.run_path(table_path)["TRANSLATIONS"]
    po = polib.POFile(wrapwidth=0)
    po.metadata = {"Content-Type": "text/plain; charset=UTF-8", "Language": "zh_Hans",
                   "Plural-Forms": "nplurals=1; plural=0;"}
    for msgid, msgstr in table.items():
        if isinstance(msgstr, list):
            singular, plural, form = msgid, msgstr[0], msgstr[1]
            po.append(polib.POEntry(msgid=singular, msgid_plural=plural, msgstr_plural={0: form}))
        else:
            po.append(polib.POEntry(msgid=msgid, msgstr=msgstr))
    po.save(po_path)


if __name__ == "__main__":
    main(*sys.argv[1:])
