"""Check i18n/nl.po, the source of the Dutch text (make lint runs this).

Fails on a string of the .pot that nl.po lacks, leaves empty or marks fuzzy,
and on a msgstr whose placeholders differ from its msgid's. It never writes
the file: a translator (or Weblate) edits nl.po, and this only checks it.
"""

import re
import sys
from pathlib import Path

import polib

I18N = Path(__file__).resolve().parent.parent / "i18n"
PLACEHOLDER = re.compile(r"%\([a-z_]+\)s|%s|%d")


def problems():
    po = polib.pofile(str(I18N / "nl.po"))
    pot = polib.pofile(str(I18N / "account_email_receiver.pot"))
    translations = {entry.msgid: entry for entry in po if not entry.obsolete}
    for entry in pot:
        nl = translations.get(entry.msgid)
        if nl is None or not nl.msgstr:
            yield f"untranslated: {entry.msgid[:90]!r}"
        elif "fuzzy" in nl.flags:
            yield f"fuzzy: {entry.msgid[:90]!r}"
        elif sorted(PLACEHOLDER.findall(entry.msgid)) != sorted(PLACEHOLDER.findall(nl.msgstr)):
            yield f"placeholders differ: {entry.msgid[:90]!r}"


def main():
    found = list(problems())
    for line in found:
        print(f"nl.po: {line}")
    total = len(polib.pofile(str(I18N / "account_email_receiver.pot")))
    print(f"nl.po: {total - len(found)}/{total} strings translated and checked")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
