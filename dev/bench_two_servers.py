"""make concurrency-two-servers: two Odoo servers on one database.

Creates a fresh database and starts two Odoo server processes on it, each
with its own HTTP port, log file and cron thread (``--workers 0
--max-cron-threads 1``), as two machines behind one load balancer would run.
It POSTs CONC_MAILS mails (default 200) to the inbound endpoint, alternating
between the servers: half UBL e-invoices, half PDFs without e-invoice
(the corpus of tests/data/pdf, which the conversion robot reads after the
mail), each mail of its own number; then CONC_REDELIVERIES (default 20) of
them again, each to the server that did not take it first.

Then it waits for the follow-up job and checks: one log per mail, one bill
per mail (the re-deliveries make none), each PDF read exactly once (one
"reading attachment" line per bill over both servers' logs), nothing left
*Being read*, every follow-up done, and the follow-up job taken by both
servers. It prints what each server did.

Usage: .venv/bin/python dev/bench_two_servers.py [odoo options]
Environment: CONC_MAILS (default 200), CONC_REDELIVERIES (default 20),
CONC_THREADS (default 4), BENCH_KEEP=1.
"""

import collections
import concurrent.futures
import json
import os
import random
import re
import sys
import time
from pathlib import Path

import bench_concurrency as conc
from common import start_server, wait_healthy

ROOT = Path(__file__).resolve().parent.parent
MAILS = int(os.environ.get("CONC_MAILS", "200"))
REDELIVERIES = min(int(os.environ.get("CONC_REDELIVERIES", "20")), MAILS)
THREADS = int(os.environ.get("CONC_THREADS", "4"))
DB = conc.DB = f"aer_two_{os.getpid()}"
PDFS = ROOT / "tests" / "data" / "pdf"
CORPUS = json.loads((PDFS / "corpus.json").read_text())
READING = re.compile(r"email receiver: reading attachment \d+ of account\.move\((\d+),\)")
FOLLOWING = re.compile(r"email receiver: following up log (\d+)")

SETUP = conc.SETUP.replace('"contact_email"', '"processing": "both",\n    "contact_email"')


def build_pdf(number):
    """A supplier's mail with one PDF invoice of the corpus (no e-invoice in it)."""
    name = sorted(CORPUS)[number % len(CORPUS)]
    return conc.build(number, pdf=(name, (PDFS / name).read_bytes()))


def main():
    odoo_args = sys.argv[1:]
    secret = conc.prepare(odoo_args, SETUP)
    if secret is None:
        return 1
    ports = [conc.free_port(), conc.free_port()]
    logs = [ROOT / ".run" / f"two-servers-{n}.log" for n in (1, 2)]
    servers = [
        start_server(
            odoo_args,
            DB,
            port,
            log,
            ["--workers", "0", "--max-cron-threads", "1"],
            # the two lines counted here: one per follow-up, one per reading
            [
                "odoo.addons.account_email_receiver.models.account_move_robot:INFO",
                "odoo.addons.account_email_receiver.models.email_receiver_follow_up:INFO",
            ],
        )
        for port, log in zip(ports, logs, strict=True)
    ]
    mails = [conc.build(n) if n % 2 == 0 else build_pdf(n) for n in range(MAILS)]
    # Each mail to one server, its re-delivery (another relay's trace on top) to the other.
    jobs = [(n % 2, raw) for n, raw in enumerate(mails)]
    jobs += [
        (1 - n % 2, conc.redelivered(mails[n]))
        for n in random.Random(7).sample(range(MAILS), REDELIVERIES)
    ]
    random.Random(11).shuffle(jobs)
    try:
        for port in ports:
            wait_healthy(port)
        urls = [f"http://127.0.0.1:{port}/email_receiver/inbound" for port in ports]
        started = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(THREADS) as pool:
            results = list(pool.map(lambda job: conc.post(urls[job[0]], secret, job[1]), jobs))
        delivered = time.perf_counter() - started
        for _ in range(1200):
            unfinished = conc.psql(
                f"select ({conc.UNFINISHED}) + "
                "(select count(*) from account_move where email_receiver_reading = 'queued')"
            )
            if unfinished == "0":
                break
            time.sleep(1)
        elapsed = time.perf_counter() - started
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(60)

    def figure(sql):
        return int(conc.psql(sql))

    log_count = figure("select count(*) from email_receiver_log")
    accepted = figure(
        "select count(*) from email_receiver_log where state in ('accepted', 'review')"
    )
    held = conc.psql(
        "select coalesce(string_agg(reason || ': ' || n, ', '), 'none') from (select reason, "
        "count(*) n from email_receiver_log where state not in ('accepted', 'review') "
        "group by reason) r"
    )
    bills = figure("select count(*) from account_move where email_receiver_log_id is not null")
    pdf_bills = conc.psql(
        "select string_agg(m.id::text, ' ') from account_move m join email_receiver_log l "
        "on m.email_receiver_log_id = l.id where l.subject like 'Invoice P-%'"
    ).split()
    xml_empty = figure(
        "select count(*) from account_move m join email_receiver_log l on "
        "m.email_receiver_log_id = l.id where l.subject like 'Invoice C-%' and m.amount_total = 0"
    )
    being_read = figure("select count(*) from account_move where email_receiver_reading = 'queued'")
    failed_reads = figure(
        "select count(*) from account_move where email_receiver_reading = 'failed'"
    )
    not_followed = figure(conc.UNFINISHED)
    pdf_right = 0
    for move_id in pdf_bills:
        total, name = conc.psql(
            f"select m.amount_untaxed || '|' || a.name from account_move m join ir_attachment a "
            f"on a.res_model = 'account.move' and a.res_id = m.id where m.id = {move_id} "
            "and a.mimetype = 'application/pdf' order by a.id limit 1"
        ).split("|", 1)
        pdf_right += abs(float(total) - CORPUS.get(name, {}).get("untaxed", -1)) < 0.005
    readings = collections.Counter()
    follow_ups = []
    for path in logs:
        text = path.read_text(errors="replace")
        server_reads = READING.findall(text)
        readings.update(server_reads)
        follow_ups.append((len(FOLLOWING.findall(text)), len(server_reads)))
    read_twice = sorted(move for move, count in readings.items() if count > 1)
    never_read = sorted(set(pdf_bills) - set(readings))
    statuses = collections.Counter(status for status, _attempts in results)
    conc.drop_unless_kept()
    print()
    print(
        f"Two servers, one database: {len(jobs)} POSTs ({MAILS} mails, {MAILS // 2} UBL and "
        f"{MAILS - MAILS // 2} PDF, + {REDELIVERIES} re-deliveries to the other server), "
        f"{THREADS} clients; delivered in {delivered:.0f} s, all followed up after {elapsed:.0f} s"
    )
    print(f"  HTTP statuses: {dict(statuses)}")
    for number, (port, (followed, read)) in enumerate(zip(ports, follow_ups, strict=True), 1):
        took = sum(1 for server, _raw in jobs if server == number - 1)
        print(
            f"  server {number} (port {port}): {took} POSTs, followed up {followed} mails, "
            f"read {read} PDFs"
        )
    print(f"  log records: {log_count} (expected {MAILS}), accepted: {accepted}, held: {held}")
    print(f"  bills: {bills} (expected {MAILS}); XML bills empty: {xml_empty}")
    print(
        f"  PDF bills: {len(pdf_bills)}, read once each: {len(pdf_bills) - len(read_twice)}, "
        f"read twice: {len(read_twice)}, never read: {len(never_read)}, "
        f"reading failed: {failed_reads}, untaxed amount as on the page: {pdf_right}"
    )
    print(f"  left Being read: {being_read}; not followed up: {not_followed}")
    ok = (
        log_count == MAILS
        and accepted == MAILS
        and bills == MAILS
        and len(pdf_bills) == MAILS - MAILS // 2
        and not xml_empty
        and not read_twice
        and not never_read
        and not being_read
        and not not_followed
        and all(followed for followed, _read in follow_ups)
        and statuses.get(202) == len(jobs)
    )
    print("  OK: each mail once, each PDF read once, both servers worked" if ok else "  FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
