"""make concurrency: parallel deliveries through the real HTTP endpoint.

Creates a fresh database, starts Odoo with --workers 2 on a free port, and
POSTs 200 distinct UBL mails to one receiver from 8 threads, plus 20
re-deliveries of already sent Message-Ids (with another trace header, as a
second relay would add). A 503 is retried after a pause, as the relay does.
Then it waits for the follow-up job (one cron worker runs it beside the
deliveries) and checks: exactly 200 log records, exactly 200 bills and none
of them empty (an import that failed on a race), every mail accepted (none
held as an error), every follow-up done, no request lost.

Usage: .venv/bin/python dev/bench_concurrency.py [odoo options]
Environment: CONC_MAILS (default 200), CONC_THREADS (default 8), BENCH_KEEP=1.
"""

import concurrent.futures
import os
import random
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / ".odoo" / "usr" / "lib" / "python3" / "dist-packages"
sys.path.insert(0, str(SITE))

from common import create_database  # noqa: E402

MAILS = int(os.environ.get("CONC_MAILS", "200"))
THREADS = int(os.environ.get("CONC_THREADS", "8"))
REDELIVERIES = min(20, MAILS)
DB = f"aer_conc_{os.getpid()}"
UBL = (ROOT / "tests" / "data" / "base-example.xml").read_bytes()


SETUP = """
env.company.alias_domain_id = env["mail.alias.domain"].create({"name": "conc.test"})
env["account.tax"].create({"name": "VAT 25%", "amount": 25, "type_tax_use": "purchase"})
supplier = env["res.partner"].create({"name": "SupplierOfficialName Ltd"})
receiver = env["email.receiver"].create({
    "name": "conc",
    "alias_name": "conc-bills",
    "partner_id": supplier.id,
    "contact_email": "ap@supplier.example",
    "rule_ids": [(0, 0, {"rule_type": "domain", "value": "supplier.example"})],
})
receiver.action_activate()
env.cr.commit()
"""


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def psql(sql):
    return subprocess.run(
        ["psql", "-d", DB, "-tAc", sql], check=True, capture_output=True, text=True
    ).stdout.strip()


def build(number):
    from email.message import EmailMessage  # noqa: PLC0415

    message = EmailMessage()
    message["Received"] = (
        "from mail.supplier.example by mx.conc.test with ESMTPS; Mon, 23 Nov 2026 09:00:00 +0000"
    )
    message["From"] = "billing@supplier.example"
    message["To"] = "conc-bills@conc.test"
    message["Subject"] = f"Invoice C-{number}"
    message["Date"] = "Mon, 23 Nov 2026 09:00:00 +0000"
    message["Message-Id"] = f"<conc-{number}@supplier.example>"
    message.set_content("Invoice attached.")
    ubl = UBL.replace(b"<cbc:ID>Snippet1</cbc:ID>", f"<cbc:ID>C-{number}</cbc:ID>".encode(), 1)
    message.add_attachment(ubl, maintype="application", subtype="xml", filename="invoice.xml")
    return message.as_bytes()


def post(url, secret, raw):
    """Deliver like the relay: retry on 503 or a connection problem, never drop."""
    for attempt in range(30):
        request = urllib.request.Request(
            url,
            data=raw,
            method="POST",
            headers={
                "Authorization": f"Bearer {secret}",
                "X-Odoo-Database": DB,
                "Content-Type": "message/rfc822",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=300) as response:  # noqa: S310
                return response.status, attempt
        except urllib.error.HTTPError as error:
            if error.code not in (500, 502, 503):
                return error.code, attempt
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5 + random.random())
    return None, attempt


def main():
    odoo_args = sys.argv[1:]
    python = sys.executable
    odoo = str(ROOT / ".odoo/usr/bin/odoo")
    create_database(DB, odoo_args)
    shell = subprocess.run(
        [python, odoo, "shell", *odoo_args, "-d", DB, "--log-level", "error"],
        input=SETUP,
        text=True,
        capture_output=True,
    )
    if shell.returncode:
        print(shell.stderr[-2000:])
        return 1
    secret = psql(
        "select value from ir_config_parameter where key='account_email_receiver.inbound_secret'"
    )
    port = free_port()
    server = subprocess.Popen(
        [
            python,
            odoo,
            *odoo_args,
            "-d",
            DB,
            "--db-filter",
            f"^{DB}$",
            "--http-port",
            str(port),
            "--workers",
            "2",
            "--max-cron-threads",
            "1",  # the follow-up job runs beside the deliveries, as in production
            "--log-level",
            "warn",
            "--log-handler",
            "py.warnings:ERROR",
            "--limit-time-real",
            "600",
            "--limit-time-cpu",
            "600",
        ],
        stdout=subprocess.DEVNULL,
        stderr=open(ROOT / ".run" / "concurrency-server.log", "w"),  # noqa: SIM115
    )
    url = f"http://127.0.0.1:{port}/email_receiver/inbound"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/web/health", timeout=2)  # noqa: S310
                break
            except (urllib.error.URLError, OSError):
                time.sleep(0.5)
        mails = [build(n) for n in range(MAILS)]
        redeliveries = [
            b"Received: from relay2 by mx.conc.test with ESMTPS; "
            b"Mon, 23 Nov 2026 09:01:00 +0000\r\n" + mails[n]
            for n in random.Random(7).sample(range(MAILS), REDELIVERIES)
        ]
        jobs = mails + redeliveries
        random.Random(11).shuffle(jobs)
        started = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(THREADS) as pool:
            results = list(pool.map(lambda raw: post(url, secret, raw), jobs))
        elapsed = time.perf_counter() - started
        # The follow-up job (the trigger wakes the cron worker) finishes the accepted mail.
        for _ in range(240):
            if psql("select count(*) from email_receiver_log where not followed_up") == "0":
                break
            time.sleep(0.5)
    finally:
        server.terminate()
        server.wait(30)
    statuses = [status for status, _attempts in results]
    retries = sum(attempts for _status, attempts in results)
    logs = int(psql("select count(*) from email_receiver_log"))
    bills = int(psql("select count(*) from account_move where email_receiver_log_id is not null"))
    accepted = int(
        psql("select count(*) from email_receiver_log where state in ('accepted', 'review')")
    )
    held = psql(
        "select count(*) || ' ' || coalesce(string_agg(distinct reason, ','), '') "
        "from email_receiver_log where state = 'held'"
    )
    unfinished = int(psql("select count(*) from email_receiver_log where not followed_up"))
    empty = int(
        psql(
            "select count(*) from account_move "
            "where email_receiver_log_id is not null and amount_total = 0"
        )
    )
    if os.environ.get("BENCH_KEEP") != "1":
        subprocess.run(["dropdb", "--if-exists", DB], check=False)
    print()
    print(
        f"Concurrency: {len(jobs)} POSTs ({MAILS} distinct + {REDELIVERIES} re-deliveries), "
        f"{THREADS} threads, Odoo --workers 2, {elapsed:.0f} s"
    )
    print(f"  statuses: {sorted(set(map(str, statuses)))}")
    others = len(statuses) - statuses.count(202)
    print(f"  HTTP 202: {statuses.count(202)}, other: {others}, retries after 503/5xx: {retries}")
    print(f"  log records: {logs} (expected {MAILS}), accepted: {accepted}")
    print(f"  bills: {bills} (expected {MAILS}), of them empty (an import that failed): {empty}")
    print(f"  held: {held or 0} (expected 0); not followed up after the job: {unfinished}")
    ok = (
        logs == MAILS
        and bills == MAILS
        and accepted == MAILS
        and not unfinished
        and not empty
        and statuses.count(202) == len(jobs)
    )
    print("  OK: nothing lost, nothing twice" if ok else "  FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
