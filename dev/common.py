"""What the benchmark scripts share: a fresh database with the addon."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ODOO = str(ROOT / ".odoo" / "usr" / "bin" / "odoo")


def create_database(db, odoo_args, demo=False):
    print(f"bench: creating the database {db} (about a minute)", flush=True)
    subprocess.run(
        [
            sys.executable,
            ODOO,
            *odoo_args,
            "-d",
            db,
            "-i",
            "account_email_receiver",
            "--stop-after-init",
            *(["--with-demo"] if demo else []),
            "--log-level",
            "warn",
            "--log-handler",
            "py.warnings:ERROR",
        ],
        check=True,
    )
