"""What the benchmark scripts share: a fresh database with the addon."""

import subprocess
import sys
import time
import urllib.error
import urllib.request
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


def start_server(odoo_args, db, port, log_path, options, log_handlers=()):
    """An Odoo server on ``db`` only, at ``port``, its log in ``log_path``:
    ``options`` its workers and cron threads, ``log_handlers`` more
    ``--log-handler`` values (warnings and errors only by default)."""
    handlers = [arg for handler in log_handlers for arg in ("--log-handler", handler)]
    return subprocess.Popen(
        [
            sys.executable,
            ODOO,
            *odoo_args,
            "-d",
            db,
            "--db-filter",
            f"^{db}$",
            "--http-port",
            str(port),
            *options,
            "--log-level",
            "warn",
            "--log-handler",
            "py.warnings:ERROR",
            *handlers,
            "--limit-time-real",
            "600",
            "--limit-time-cpu",
            "600",
        ],
        stdout=subprocess.DEVNULL,
        stderr=open(log_path, "w"),  # noqa: SIM115 - the server's, closed with it
    )


def wait_healthy(port, seconds=120):
    """Until the server at ``port`` answers /web/health."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/web/health", timeout=2)  # noqa: S310
            return
        except (urllib.error.URLError, OSError):
            time.sleep(0.5)
    raise RuntimeError(f"the Odoo server on port {port} did not start")
