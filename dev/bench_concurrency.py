"""make concurrency: parallel deliveries through the real HTTP endpoint.

Creates a fresh database, starts Odoo with --workers 2 on a free port, and
POSTs 200 distinct UBL mails to one receiver from 8 threads, plus 20
re-deliveries of already sent Message-Ids (with another trace header, as a
second relay would add). A 503 is retried after a pause, as the relay does.
Then it waits for the follow-up job (one cron worker runs it beside the
deliveries) and checks: exactly 200 log records, exactly 200 bills and none
of them empty (an import that failed on a race), every mail accepted (none
held as an error), every follow-up done, no request lost.

Beside them, CONC_RELEASES mails from strangers (held: not on the
whitelist, but authenticated by our own MX's Authentication-Results) are
released with "Release and trust sender" over XML-RPC by 4 threads while
the deliveries and the follow-up job run on the two workers and the cron
worker: no released mail may post itself (the supplier auto-posts bills,
and its accepted bills do), and each is followed up once (#35 item 7).

Usage: .venv/bin/python dev/bench_concurrency.py [odoo options]
Environment: CONC_MAILS (default 200), CONC_THREADS (default 8),
CONC_RELEASES (default 20), BENCH_KEEP=1.
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
import xmlrpc.client
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / ".odoo" / "usr" / "lib" / "python3" / "dist-packages"
sys.path.insert(0, str(SITE))

from common import create_database, start_server, wait_healthy  # noqa: E402

MAILS = int(os.environ.get("CONC_MAILS", "200"))
THREADS = int(os.environ.get("CONC_THREADS", "8"))
REDELIVERIES = min(20, MAILS)
RELEASES = int(os.environ.get("CONC_RELEASES", "20"))
DB = f"aer_conc_{os.getpid()}"
UBL = (ROOT / "tests" / "data" / "base-example.xml").read_bytes()
# Logs whose follow-up has not finished (accepted, or queued for the job).
UNFINISHED = "select count(*) from email_receiver_log where stage in ('accepted', 'queued')"


SETUP = """
env.company.alias_domain_id = env["mail.alias.domain"].create({"name": "conc.test"})
env.company.autopost_bills = True
env.ref("base.EUR").active = True  # the Peppol sample's currency
env.company.vat = "SE4598375937"  # the buyer of the Peppol sample
env["account.tax"].create({"name": "VAT 25%", "amount": 25, "type_tax_use": "purchase"})
# Our own MX's authentication results count (Settings: trusted authserv-ids).
env["ir.config_parameter"].set_param("account_email_receiver.authserv_ids", "mx.conc.test")
supplier = env["res.partner"].create(
    {"name": "SupplierOfficialName Ltd", "autopost_bills": "always"}
)
# The account its invoices ask payment to, trusted by a person.
bank = env["res.partner.bank"].create({"acc_number": "IBAN32423940", "partner_id": supplier.id})
bank.with_user(env.ref("base.user_admin")).allow_out_payment = True  # Odoo's own right
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


def build(number, sender="billing@supplier.example", pdf=None):
    """Mail our MX authenticated (its Authentication-Results above its
    Received); each invoice of its own number and date (no possible duplicate).
    ``pdf``: ``(file name, bytes)`` of a PDF invoice instead of the UBL."""
    from email.message import EmailMessage  # noqa: PLC0415

    domain = sender.rpartition("@")[2]
    message = EmailMessage()
    message["Authentication-Results"] = (
        f"mx.conc.test; spf=pass smtp.mailfrom={domain}; dmarc=pass header.from={domain}"
    )
    message["Received"] = (
        "from mail.supplier.example by mx.conc.test with ESMTPS; Mon, 23 Nov 2026 09:00:00 +0000"
    )
    message["From"] = sender
    message["To"] = "conc-bills@conc.test"
    message["Subject"] = f"Invoice {'P' if pdf else 'C'}-{number}"
    message["Date"] = "Mon, 23 Nov 2026 09:00:00 +0000"
    message["Message-Id"] = f"<conc-{number}@supplier.example>"
    message.set_content("Invoice attached.")
    if pdf:
        message.add_attachment(pdf[1], maintype="application", subtype="pdf", filename=pdf[0])
        return message.as_bytes()
    issued = (date(2017, 1, 1) + timedelta(days=number)).isoformat()
    ubl = UBL.replace(b"<cbc:ID>Snippet1</cbc:ID>", f"<cbc:ID>C-{number}</cbc:ID>".encode(), 1)
    ubl = ubl.replace(b">2017-11-13<", f">{issued}<".encode(), 1)
    message.add_attachment(ubl, maintype="application", subtype="xml", filename="invoice.xml")
    return message.as_bytes()


def redelivered(raw):
    """``raw`` as a second relay of our MX delivers it again: its own trace
    and authentication results on top."""
    return (
        b"Authentication-Results: mx.conc.test; spf=pass smtp.mailfrom=supplier.example; "
        b"dmarc=pass header.from=supplier.example\r\n"
        b"Received: from relay2 by mx.conc.test with ESMTPS; "
        b"Mon, 23 Nov 2026 09:01:00 +0000\r\n" + raw
    )


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


def drop_unless_kept():
    """The database goes, unless BENCH_KEEP=1 keeps it to look into."""
    if os.environ.get("BENCH_KEEP") != "1":
        subprocess.run(["dropdb", "--if-exists", DB], check=False)


def prepare(odoo_args, setup=SETUP):
    """A fresh database ``DB`` set up by ``setup`` (Odoo's shell); the
    inbound endpoint's secret, or None when the setup failed."""
    create_database(DB, odoo_args)
    shell = subprocess.run(
        [
            sys.executable,
            str(ROOT / ".odoo/usr/bin/odoo"),
            "shell",
            *odoo_args,
            "-d",
            DB,
            "--log-level",
            "error",
        ],
        input=setup,
        text=True,
        capture_output=True,
        check=False,
    )
    if shell.returncode:
        print(shell.stderr[-2000:])
        return None
    return psql(
        "select value from ir_config_parameter where key='account_email_receiver.inbound_secret'"
    )


def main():
    odoo_args = sys.argv[1:]
    secret = prepare(odoo_args)
    if secret is None:
        return 1
    port = free_port()
    # The follow-up job runs beside the deliveries (a cron worker), as in production.
    server = start_server(
        odoo_args,
        DB,
        port,
        ROOT / ".run" / "concurrency-server.log",
        ["--workers", "2", "--max-cron-threads", "1"],
    )
    url = f"http://127.0.0.1:{port}/email_receiver/inbound"
    try:
        wait_healthy(port)
        mails = [build(n) for n in range(MAILS)]
        redeliveries = [
            redelivered(mails[n]) for n in random.Random(7).sample(range(MAILS), REDELIVERIES)
        ]
        # Held first (strangers, authenticated): released below, during the deliveries.
        strangers = [
            build(MAILS + n, sender=f"billing@stranger-{n}.example") for n in range(RELEASES)
        ]
        for raw in strangers:
            post(url, secret, raw)
        held_ids = [
            int(i)
            for i in psql(
                "select id from email_receiver_log where state = 'held' order by id"
            ).split()
        ]
        rpc = f"http://127.0.0.1:{port}/xmlrpc/2/"
        uid = xmlrpc.client.ServerProxy(rpc + "common").authenticate(DB, "admin", "admin", {})

        def release(log_id):
            models = xmlrpc.client.ServerProxy(rpc + "object", allow_none=True)
            for _attempt in range(10):
                try:
                    models.execute_kw(
                        DB,
                        uid,
                        "admin",
                        "email.receiver.log",
                        "action_release_and_trust",
                        [[log_id]],
                    )
                    return True
                except xmlrpc.client.Fault as fault:
                    if "being released" not in fault.faultString:
                        print(f"  release of log {log_id}: {fault.faultString[-300:]}")
                        return False
                time.sleep(0.5)
            return False

        jobs = mails + redeliveries
        random.Random(11).shuffle(jobs)
        started = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(THREADS) as pool:
            delivered = pool.map(lambda raw: post(url, secret, raw), jobs)
            with concurrent.futures.ThreadPoolExecutor(4) as releasers:
                released = list(releasers.map(release, held_ids))
            results = list(delivered)
        elapsed = time.perf_counter() - started
        # The follow-up job (the trigger wakes the cron worker) finishes the accepted mail.
        for _ in range(240):
            if psql(UNFINISHED) == "0":
                break
            time.sleep(0.5)
    finally:
        server.terminate()
        server.wait(30)
    released_logs = int(psql("select count(*) from email_receiver_log where state = 'released'"))
    released_posted = int(
        psql(
            "select count(*) from account_move m join email_receiver_log l "
            "on m.email_receiver_log_id = l.id "
            "where l.released_by_id is not null and m.state = 'posted'"
        )
    )
    released_bills = int(
        psql(
            "select count(*) from account_move m join email_receiver_log l "
            "on m.email_receiver_log_id = l.id where l.released_by_id is not null"
        )
    )
    posted = int(
        psql(
            "select count(*) from account_move m join email_receiver_log l "
            "on m.email_receiver_log_id = l.id "
            "where l.released_by_id is null and m.state = 'posted'"
        )
    )
    statuses = [status for status, _attempts in results]
    retries = sum(attempts for _status, attempts in results)
    logs = int(psql("select count(*) from email_receiver_log")) - RELEASES
    bills = (
        int(psql("select count(*) from account_move where email_receiver_log_id is not null"))
        - released_bills
    )
    accepted = int(
        psql("select count(*) from email_receiver_log where state in ('accepted', 'review')")
    )
    held = psql(
        "select count(*) || ' ' || coalesce(string_agg(distinct reason, ','), '') "
        "from email_receiver_log where state = 'held'"
    )
    unfinished = int(psql(UNFINISHED))
    empty = int(
        psql(
            "select count(*) from account_move "
            "where email_receiver_log_id is not null and amount_total = 0"
        )
    )
    drop_unless_kept()
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
    print(f"  bills that posted themselves: {posted} of {bills}")
    print(
        f"  released during the run: {sum(released)} of {len(held_ids)} held ({RELEASES} sent), "
        f"{released_logs} logs released, {released_bills} bills, "
        f"of them posted: {released_posted} (expected 0)"
    )
    ok = (
        len(held_ids) == RELEASES
        and sum(released) == RELEASES
        and released_logs == RELEASES
        and released_bills == RELEASES
        and not released_posted
        and posted == bills  # the same mail, not released, posts itself: the check means something
        and logs == MAILS
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
