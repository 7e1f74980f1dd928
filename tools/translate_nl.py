"""Fill i18n/nl.po from the .pot and the Dutch glossary in tools/nl_glossary.py.

Run after tools/i18n.sh; it reports every msgid that has no translation, and
exits non-zero then, so that a new string cannot ship untranslated.
"""

import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

from nl_glossary import HTML, NL  # noqa: E402


def translate(msgid):
    if msgid in NL:
        return NL[msgid]
    if msgid.lstrip().startswith("<table"):
        text = msgid
        for english, dutch in HTML:
            text = text.replace(english, dutch)
        return text if text != msgid else None
    return None


def main():
    pot = polib.pofile(str(ROOT / "i18n" / "account_email_receiver.pot"))
    po = polib.POFile(wrapwidth=78)
    po.metadata = dict(
        pot.metadata, Language="nl", **{"Plural-Forms": "nplurals=2; plural=(n != 1);"}
    )
    missing = []
    for entry in pot:
        msgstr = translate(entry.msgid)
        if msgstr is None:
            missing.append(entry.msgid)
            msgstr = ""
        po.append(
            polib.POEntry(
                msgid=entry.msgid,
                msgstr=msgstr,
                occurrences=entry.occurrences,
                comment=entry.comment,
                tcomment=entry.tcomment,
                flags=entry.flags,
            )
        )
    po.save(str(ROOT / "i18n" / "nl.po"))
    for msgid in missing:
        print(f"untranslated: {msgid[:100]!r}")
    print(f"nl.po: {len(pot) - len(missing)}/{len(pot)} translated")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
