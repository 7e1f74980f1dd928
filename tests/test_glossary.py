"""One word per concept: the README's glossary is the rule (readme/DESCRIPTION.md),
and the words of its last column appear nowhere in the code, the interface or
the Dutch. A line may name an old stored value for a migration when it says so."""

import re
from pathlib import Path

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
