"""Build README.md and DEVELOPMENT.md from the fragments in readme/ (as the
OCA's readme generator does): edit the fragments, then run
``.venv/bin/python dev/readme.py``. README.md is for the integrator and the
bookkeeper (readme/*.md, at most about 300 lines); DEVELOPMENT.md holds the
rest (readme/develop/*.md). ``--check`` (pre-commit, tests) fails when either
is not the build of its fragments, or when the README grows past its limit."""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README_LINES = 300
DOCUMENTS = {
    "README.md": (
        "# account_email_receiver\n\n",
        "readme",
        ("DESCRIPTION", "INSTALL", "CONFIGURE", "USAGE", "SECURITY", "ROADMAP", "CONTRIBUTORS"),
    ),
    "DEVELOPMENT.md": (
        "# account_email_receiver: development notes\n\n"
        "For developers and maintainers; the user's documentation is README.md.\n\n",
        "readme/develop",
        ("develop", "how-it-works", "install", "configure", "limits"),
    ),
}
NOTE = "<!-- Built by dev/readme.py from {folder}/*.md: edit those files, not this one. -->\n\n"


INCLUDE = re.compile(r"^<!-- include: (?P<path>[\w./-]+) -->$", re.MULTILINE)
FENCES = {".py": "python", ".cf": "", ".conf": "", ".sh": "sh"}


def _include(match):
    """A file the tests use, shown as it is: the documentation cannot differ."""
    path = ROOT / match["path"]
    return f"```{FENCES.get(path.suffix, '')}\n{path.read_text().rstrip()}\n```"


def build(name):
    head, folder, fragments = DOCUMENTS[name]
    parts = [
        INCLUDE.sub(_include, (ROOT / folder / f"{fragment}.md").read_text().strip("\n"))
        for fragment in fragments
    ]
    return head + NOTE.format(folder=folder) + "\n\n".join(parts) + "\n"


def main(argv):
    failed = 0
    for name in DOCUMENTS:
        path, text = ROOT / name, build(name)
        if "--check" not in argv:
            path.write_text(text)
        elif not path.exists() or path.read_text() != text:
            print(f"{name} is not built from its fragments: run .venv/bin/python dev/readme.py")
            failed = 1
    lines = build("README.md").count("\n")
    if lines > README_LINES:
        print(
            f"README.md has {lines} lines, more than {README_LINES}: move details to "
            "readme/develop/"
        )
        failed = 1
    return failed


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
