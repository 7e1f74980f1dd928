"""Build README.md from the fragments in readme/ (as the OCA's readme generator
does): edit the fragments, then run ``.venv/bin/python dev/readme.py``.
``--check`` (pre-commit) fails when README.md is not the build of the fragments."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FRAGMENTS = ("DESCRIPTION", "INSTALL", "CONFIGURE", "USAGE", "DEVELOP", "ROADMAP", "CONTRIBUTORS")
HEAD = (
    "# account_email_receiver\n\n"
    "<!-- Built by dev/readme.py from readme/*.md: edit those files, not this one. -->\n\n"
)


def build():
    parts = [(ROOT / "readme" / f"{name}.md").read_text().strip("\n") for name in FRAGMENTS]
    return HEAD + "\n\n".join(parts) + "\n"


def main(argv):
    readme = ROOT / "README.md"
    text = build()
    if "--check" in argv:
        if readme.read_text() != text:
            print("README.md is not built from readme/: run .venv/bin/python dev/readme.py")
            return 1
        return 0
    readme.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
