"""One word per concept: the README's glossary is the rule (readme/DESCRIPTION.md),
and the words of its last column appear nowhere in the code, the interface or
the Dutch. A line may name an old stored value for a migration when it says so."""

import re
from pathlib import Path

import polib

from odoo.tests import BaseCase, tagged

ROOT = Path(__file__).resolve().parent.parent
GLOSSARY = ROOT / "readme" / "DESCRIPTION.md"
SCANNED = (
    "models",
    "tools",
    "views",
    "data",
    "wizard",
    "controllers",
    "security",
    "static/src",
    "tests",
    "dev",
    "i18n/nl.po",
    "readme",
    "__manifest__.py",
)
SUFFIXES = {".py", ".xml", ".js", ".po", ".md", ".csv", ".sh", ".scss"}
OLD_VALUE = "glossary: the old stored value"
I18N = ROOT / "i18n"

# The record ``email.receiver`` is a "Trusted sender" ("Vertrouwde afzender")
# in every translatable string; "Email Receiver" is only the app's name (in
# Dutch too), and ``%(receiver)s`` a placeholder.
RECEIVER = re.compile(r"\breceivers?\b", re.IGNORECASE)
ONTVANGER = re.compile(r"\b(?:e-mail)?ontvangers?\b", re.IGNORECASE)
APP_NAME = re.compile(r"\bEmail[ -]Receiver\b")  # also the X-Email-Receiver-* headers
PLACEHOLDER = re.compile(r"%\([a-z_]+\)s")
# The msgids whose English or Dutch may say receiver/ontvanger: there it is
# not the record.
RECEIVER_ALLOWED = (
    # The form's left block, about one's own organisation (company, document
    # type, journal): the manual's "Ontvanger informatie", which the README
    # names in English as "Receiver information".
    "Receiver information",
    # "Belastingtoewijzing van de ontvanger": the tax of the company that
    # receives the invoice (the buyer), under the app's name in English.
    "Email Receiver Tax Mapping",
)


def glossary_rows(text):
    """The glossary table's rows, as lists of cells."""
    lines = text.split("### Glossary", 1)[1].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows[2:]  # the header and its rule


def receiver_words(text, pattern=RECEIVER):
    """The words of ``text`` that call the record receiver/ontvanger."""
    text = APP_NAME.sub("", PLACEHOLDER.sub("", text))
    return [match.group(0) for match in pattern.finditer(text)]


def forbidden_words(rows):
    return sorted({word.strip() for row in rows for word in row[-1].split(",") if word.strip()})


@tagged("post_install", "-at_install")
class TestGlossary(BaseCase):
    def test_the_glossary_words_are_the_only_ones(self):
        text = GLOSSARY.read_text()
        rows = glossary_rows(text)
        self.assertGreaterEqual(len(rows), 8, "the glossary table is where the README says")
        words = forbidden_words(rows)
        self.assertIn("spoofed", words)
        pattern = re.compile(r"\b(%s)\b" % "|".join(map(re.escape, words)), re.IGNORECASE)
        glossary_lines = {line for line in text.splitlines() if line.startswith("|")}
        found = []
        for name in SCANNED:
            base = ROOT / name
            paths = [base] if base.is_file() else sorted(base.rglob("*"))
            for path in paths:
                if (
                    path.suffix not in SUFFIXES
                    or "corpus" in path.parts
                    or path.name == "test_glossary.py"
                ):
                    continue
                for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                    if OLD_VALUE in line or line in glossary_lines:
                        continue
                    if match := pattern.search(line):
                        found.append(f"{path.relative_to(ROOT)}:{number}: {match.group(0)}")
        self.assertEqual(found, [], "words the glossary replaces")

    def test_the_lint_reads_the_table(self):
        rows = glossary_rows(
            "### Glossary\n\nintro\n\n| concept | code | UI | Dutch | not |\n"
            "| --- | --- | --- | --- | --- |\n"
            "| a held mail | held | Held | Tegengehouden | rejected, rejection |\n\nafter\n"
        )
        self.assertEqual(forbidden_words(rows), ["rejected", "rejection"])

    def test_the_strings_call_the_record_a_trusted_sender(self):
        pot = polib.pofile(str(I18N / "account_email_receiver.pot"))
        nl = polib.pofile(str(I18N / "nl.po"))
        self.assertGreater(len(pot), 100, "the .pot holds the translatable strings")
        found = [
            f"en: {entry.msgid[:90]!r}: {words}"
            for entry in pot
            if entry.msgid not in RECEIVER_ALLOWED and (words := receiver_words(entry.msgid))
        ] + [
            f"nl: {entry.msgstr[:90]!r}: {words}"
            for entry in nl
            if entry.msgid not in RECEIVER_ALLOWED
            and (words := receiver_words(entry.msgstr, ONTVANGER))
        ]
        self.assertEqual(found, [], "the record is a trusted sender (vertrouwde afzender)")
        for msgid in RECEIVER_ALLOWED:
            self.assertIn(msgid, {entry.msgid for entry in pot}, "an allowed string still exists")

    def test_the_receiver_lint_reads_words(self):
        for text in (
            "Receiver not active",
            "The receiver %(receiver)s is not active",
            "Email Receivers",
            "Email receiver",
            "Sees the receivers and what they received",
        ):
            self.assertTrue(receiver_words(text), text)
        for text in (
            "Email Receiver: invitation",
            "Only an Email Receiver administrator can release it.",
            "%(receiver)s trusts everyone",
            "X-Email-Receiver-Timestamp",
            "object.receiver_id.company_id",
            "POST to /email_receiver/inbound",
        ):
            self.assertFalse(receiver_words(text), text)
        for text in (
            "De ontvanger %(receiver)s is niet actief",
            "E-mailontvanger: uitnodiging",
            "Stelt ontvangers, hun vertrouwde afzenders in",
            "Ontvanger: %s",
        ):
            self.assertTrue(receiver_words(text, ONTVANGER), text)
        for text in ("Ontvangen mail", "Email Receiver: uitnodiging", "%(receiver)s"):
            self.assertFalse(receiver_words(text, ONTVANGER), text)
