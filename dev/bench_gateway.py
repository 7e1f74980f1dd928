"""make bench: the mail gateway, stock Odoo against our receivers, side by side.

Creates a fresh database, then measures in one run, interleaving the paths so
that both see the same machine state (the order rotates each round, and a
full garbage collection precedes each mail):

1. ms per accepted UBL mail through Odoo's stock purchase-journal alias, and
   through a receiver, and their ratio (target <= 1.00, #38), on a database with
   the addon and its dependencies (account, no demo data), a distinct UBL
   invoice per mail, delivered over TLS at our entry hop. Every mail is
   DKIM-signed by supplier.example, whose key, SPF and DMARC (p=reject) a real
   DNS server on loopback serves: the receiver verifies it in process;
2. ms per held (not whitelisted) mail as a ratio of an accepted one
   (target <= 0.20), and the DNS questions it cost (target 0);
3. ms per accepted mail with 10 receivers, and with 10,000 receivers holding
   100,000 rules (target ratio <= 1.10). The database is cloned after (1) and
   (2), the clone gets the 9,990 extra receivers, and mails alternate between
   the two, so that both see the same history and the same machine state;
   a receiver path's ms is the mail's own transaction; the follow-up job it
   triggers (the robot's reading, posting, notices, the report) is timed apart;
3b. ms per accepted PDF mail of 1 page and of 20 pages (target ratio <= 1.10:
   no PDF is read on the mail's path), and the job's ms that reads each;
4. ms per mail of the reconciliation, and of the auto-post decision with its
   chatter note (target <= 5% of the receiver path), each on its own.

Usage: .venv/bin/python dev/bench_gateway.py [odoo options] (make bench passes them).
Environment: BENCH_MAILS (mails per path, default 30), BENCH_KEEP=1 keeps the database.
"""

import datetime
import gc
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / ".odoo" / "usr" / "lib" / "python3" / "dist-packages"
sys.path.insert(0, str(SITE))

from common import create_database  # noqa: E402

import odoo  # noqa: E402
from odoo.modules.registry import Registry  # noqa: E402
from odoo.tools import config  # noqa: E402

KEY = None  # supplier.example's DKIM key (made in main, with the DNS server)

MAILS = int(os.environ.get("BENCH_MAILS", "30"))
DB = f"aer_bench_{os.getpid()}"
UBL = (ROOT / "tests" / "data" / "base-example.xml").read_bytes()


def ubl(number):
    """A distinct invoice: its own number and issue date.

    Odoo counts a bill with the same partner, amount and date as a possible
    duplicate, and the receiver then schedules a review activity; distinct
    invoices measure the normal path.
    """
    issued = (datetime.date(2017, 11, 13) + datetime.timedelta(days=number % 3000)).isoformat()
    return UBL.replace(
        b"<cbc:ID>Snippet1</cbc:ID>", f"<cbc:ID>BENCH-{number}</cbc:ID>".encode(), 1
    ).replace(
        b"<cbc:IssueDate>2017-11-13</cbc:IssueDate>",
        f"<cbc:IssueDate>{issued}</cbc:IssueDate>".encode(),
        1,
    )


def clone_database(source, target):
    """``createdb -T`` with the filestore, so that the clone is the same database."""
    odoo.sql_db.close_db(source)
    subprocess.run(["createdb", "-T", source, target], check=True)
    filestore = Path(config.filestore(source))
    if filestore.exists():
        shutil.copytree(filestore, config.filestore(target))


def drop_database(db):
    Registry.delete(db)
    odoo.sql_db.close_db(db)
    subprocess.run(["dropdb", "--if-exists", db], check=False)
    shutil.rmtree(config.filestore(db), ignore_errors=True)


def timed(env, raw):
    start = time.perf_counter()
    env["mail.thread"].message_process(None, raw)
    env.cr.commit()
    return (time.perf_counter() - start) * 1000


def timed_job(env):
    """ms of the follow-up job the mail triggered (the robot's reading,
    posting, notices, the processing report), run as the cron worker runs it."""
    start = time.perf_counter()
    env["email.receiver.log"]._cron_follow_up()
    env.cr.commit()
    return (time.perf_counter() - start) * 1000


def pdf_invoice(pages):
    """A real-looking PDF invoice of ``pages`` pages: the robot's English
    sample invoice, then pages of terms and conditions (reportlab, pypdfium2)."""
    import io  # noqa: PLC0415

    import pypdfium2  # noqa: PLC0415
    from reportlab.pdfgen import canvas  # noqa: PLC0415

    invoice = (ROOT / "tests" / "data" / "pdf" / "reportlab-en-classic.pdf").read_bytes()
    if pages == 1:
        return invoice
    terms = io.BytesIO()
    sheet = canvas.Canvas(terms)
    for page in range(2, pages + 1):
        for line in range(50):
            sheet.drawString(
                50, 800 - line * 15, f"Article {page}.{line}: terms of delivery and payment."
            )
        sheet.showPage()
    sheet.save()
    document = pypdfium2.PdfDocument(invoice)
    document.import_pages(pypdfium2.PdfDocument(terms.getvalue()))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


class Bench:
    def __init__(self, env):
        self.env = env
        self.counter = 0
        company = env.company
        domain = env["mail.alias.domain"].create({"name": "bench.test"})
        company.alias_domain_id = domain
        env["account.tax"].create(
            {"name": "VAT 25%", "amount": 25, "type_tax_use": "purchase", "company_id": company.id}
        )
        self.supplier = env["res.partner"].create(
            {
                "name": "SupplierOfficialName Ltd",
                "is_company": True,
                # The account its invoices ask payment to: known, not a new one.
                "bank_ids": [(0, 0, {"acc_number": "IBAN32423940"})],
            }
        )
        # A person confirmed that account (the trust boundary): the bills are
        # the normal path, not held in review for a bank account nobody trusted.
        self.supplier.bank_ids.allow_out_payment = True
        company.vat = "SE4598375937"  # the invoices' buyer
        journal = env["account.journal"].search(
            [("type", "=", "purchase"), ("company_id", "=", company.id)], limit=1
        )
        journal.alias_name = "stock-bills"
        journal.alias_id.alias_contact = "everyone"
        self.receiver = self.new_receiver("bench-bills", "supplier.example")
        # Like for like with the stock alias, which mails nobody: no processing report.
        self.quiet = self.new_receiver("bench-quiet", "supplier.example", report=False)
        self.pdf = self.new_receiver("bench-pdf", "supplier.example", processing="pdf")
        self.pdfs = {pages: pdf_invoice(pages) for pages in (1, 20)}
        env.cr.commit()

    def new_receiver(self, alias, domain, report=True, processing="xml"):
        receiver = self.env["email.receiver"].create(
            {
                "name": alias,
                "partner_id": self.supplier.id,
                "alias_name": alias,
                "contact_email": "ap@supplier.example",
                "send_processing_report": report,
                "processing": processing,
                "rule_ids": [(0, 0, {"rule_type": "domain", "value": domain})],
            }
        )
        receiver.action_activate()
        return receiver

    def mail(self, to, sender="billing@supplier.example", pages=None):
        """A DKIM-signed mail with a distinct UBL invoice, or (``pages``) a
        distinct PDF invoice of that many pages."""
        from odoo.addons.account_email_receiver.tests.common import build_mail  # noqa: PLC0415

        self.counter += 1
        if pages:
            content = self.pdfs[pages] + f"\n% {self.counter}\n".encode()  # no cached reading
            attachment = ("invoice.pdf", content, "application/pdf")
        else:
            attachment = ("invoice.xml", ubl(self.counter), "application/xml")
        raw = build_mail(
            to=to, sender=sender, subject=f"Invoice {self.counter}", attachments=[attachment]
        )
        return KEY.sign(raw)

    def run_then_read(self, pairs, rounds=MAILS):
        """Like ``run`` for PDF mails, but their jobs run after all the mails
        (each timed on its own), so that a job's seconds of reading in its
        child process never sit between two timed mails."""
        results = {path[0]: [] for path in pairs}
        results.update({f"{path[0]} job": [] for path in pairs})
        waiting = []
        for number in range(rounds):
            shift = number % len(pairs)
            for label, env, to, sender, *pages in pairs[shift:] + pairs[:shift]:
                raw = self.mail(to, sender, *pages)
                gc.collect()
                results[label].append(timed(env, raw))
                if to.startswith("bench-pdf@"):  # the stock alias has no job
                    log = env["email.receiver.log"].search([], order="id desc", limit=1)
                    waiting.append((label, env, log))
        for label, env, log in waiting:
            start = time.perf_counter()
            log._follow_up()
            env.cr.commit()
            results[f"{label} job"].append((time.perf_counter() - start) * 1000)
        return {label: statistics.median(values) for label, values in results.items() if values}

    def run(self, pairs, rounds=MAILS, dns=None):
        """Interleave the paths: [(label, env, to, sender[, pages])] -> {label:
        median ms of the mail's own transaction, label + " job": median ms of
        the follow-up job it triggered}; with ``dns``, also {label + " dns":
        questions the DNS server got}."""
        results = {path[0]: [] for path in pairs}
        results.update({f"{path[0]} job": [] for path in pairs})
        questions = dict.fromkeys((path[0] for path in pairs), 0)
        for number in range(rounds):
            # Each path takes each place in the round in turn, so that none
            # always follows the same one (e.g. the report path's mail queue);
            # a full garbage collection before each mail, so that none pays
            # for the garbage of the one before it.
            shift = number % len(pairs)
            for label, env, to, sender, *pages in pairs[shift:] + pairs[:shift]:
                raw = self.mail(to, sender, *pages)
                before = dns.requests if dns else 0
                gc.collect()
                results[label].append(timed(env, raw))
                questions[label] += (dns.requests if dns else 0) - before
                results[f"{label} job"].append(timed_job(env))
        medians = {label: statistics.median(values) for label, values in results.items()}
        medians.update({f"{label} dns": count for label, count in questions.items()})
        return medians

    def reconciliation_ms(self, env, count=MAILS):
        """ms per mail of the reconciliation steps alone: the documents check
        before routing (parse, addressee, duplicate search) and the comparison
        of a made bill with its declared figures."""
        from odoo.addons.account_email_receiver.tools import evidence  # noqa: PLC0415

        bill = self.receiver.log_ids.move_ids[:1]
        start = time.perf_counter()
        for number in range(count):
            xml = ubl(100000 + number)
            self.receiver._gateway_documents(
                [("invoice.xml", xml)], self.receiver._gateway_policy()
            )
            bill._email_receiver_reconcile(evidence.safe_xml_tree(xml))
        env.cr.rollback()
        return (time.perf_counter() - start) * 1000 / count

    def autopost_ms(self, env, count=MAILS):
        """ms per mail of the auto-post decision and its chatter note (the
        supplier on "ask": Odoo's posting itself is the bookkeeper's click
        anyway, and is not the receiver's cost)."""
        log = self.quiet.log_ids.filtered("move_ids")[:1]
        moves = log.move_ids.filtered(lambda move: move.state == "draft")
        start = time.perf_counter()
        for _number in range(count):
            log._autopost(moves, moves.browse())
        env.cr.rollback()
        return (time.perf_counter() - start) * 1000 / count

    @staticmethod
    def add_receivers(env, count, rules_each):
        """Bulk receivers and rules (the ORM for receivers and aliases, SQL for rules)."""
        existing = env["email.receiver"].search_count([])
        batch = 500
        for start in range(existing, existing + count, batch):
            size = min(batch, existing + count - start)
            env["email.receiver"].create(
                [
                    {
                        "name": f"Supplier {n}",
                        "alias_name": f"supplier-{n}",
                        "contact_email": f"ap@supplier{n}.example",
                        "state": "active",
                    }
                    for n in range(start, start + size)
                ]
            )
            env.cr.commit()
        env.cr.execute(
            """
            INSERT INTO email_receiver_rule (receiver_id, company_id, rule_type, value, sequence)
            SELECT r.id, r.company_id, 'domain', 'supplier' || r.id || '-' || g || '.example', 10
              FROM email_receiver r CROSS JOIN generate_series(1, %s) g
             WHERE r.name LIKE 'Supplier %%'
               AND NOT EXISTS (SELECT 1 FROM email_receiver_rule x WHERE x.receiver_id = r.id)
            """,
            [rules_each],
        )
        env.cr.execute("ANALYZE email_receiver_rule; ANALYZE mail_alias; ANALYZE email_receiver")
        env.cr.commit()


def main():
    global KEY  # noqa: PLW0603
    odoo_args = sys.argv[1:]
    big_db = f"{DB}_10k"
    create_database(DB, odoo_args)
    config.parse_config([*odoo_args, "-d", DB, "--log-level", "warn"])
    odoo.modules.module.initialize_sys_path()
    from odoo.addons.account_email_receiver.tests.servers import (  # noqa: PLC0415
        DkimKey,
        LoopbackDNS,
        zone,
    )

    KEY = DkimKey("supplier.example")
    dns = LoopbackDNS(
        zone(
            [
                KEY.record(),
                ("supplier.example.", "TXT", '"v=spf1 ip4:192.0.2.10 -all"'),
                ("_dmarc.supplier.example.", "TXT", '"v=DMARC1; p=reject"'),
            ]
        )
    ).start()
    to = "bench-bills@bench.test"
    sender = "billing@supplier.example"
    try:
        with Registry(DB).cursor() as cr:
            env = odoo.api.Environment(cr, odoo.api.SUPERUSER_ID, {})
            env["ir.config_parameter"].set_param(
                "account_email_receiver.dns_nameservers", dns.address
            )
            # Every mail arrives over TLS at our own entry hop (Received ...
            # by mx.receiver.test with ESMTPS): the receivers switch TLS only
            # on after the first one, and check it on every mail after.
            env["ir.config_parameter"].set_param(
                "account_email_receiver.entry_host", "mx.receiver.test"
            )
            bench = Bench(env)
            stock = ("stock", env, "stock-bills@bench.test", sender)
            receiver = ("receiver", env, to, sender)
            bench.run([stock, receiver], rounds=5)  # warm-up
            quiet = ("quiet", env, "bench-quiet@bench.test", sender)
            first = bench.run(
                [stock, receiver, quiet, ("held", env, to, "billing@stranger.example")],
                dns=dns,
            )
            pdf_to = "bench-pdf@bench.test"
            pdf_paths = [
                ("stock pdf", env, "stock-bills@bench.test", sender, 1),
                ("pdf 1", env, pdf_to, sender, 1),
                ("pdf 20", env, pdf_to, sender, 20),
            ]
            bench.run_then_read(pdf_paths, rounds=3)  # warm-up
            pdfs = bench.run_then_read(pdf_paths, rounds=max(MAILS // 2, 5))
            pdf_bills = (
                env["email.receiver.log"].search([("receiver_id", "=", bench.pdf.id)]).move_ids
            )
            pdf_read = len(pdf_bills.filtered(lambda move: move.amount_total and move.ref))
            reconcile_ms = bench.reconciliation_ms(env)
            autopost_ms = bench.autopost_ms(env)
            outcomes = {
                state: count
                for state, count in env["email.receiver.log"]._read_group(
                    [], ["state"], ["__count"]
                )
            }
            auth = {
                result: count
                for result, count in env["email.receiver.log"]._read_group(
                    [("state", "=", "accepted")], ["auth_result"], ["__count"]
                )
            }
            over_tls = env["email.receiver.log"].search_count(
                [("state", "=", "accepted"), ("used_tls", "=", True)]
            )
            tls_only = env["email.receiver"].search_count([("tls_only", "=", True)])
            installed = env["ir.module.module"].search_count([("state", "=", "installed")])
            demo = bool(env["ir.module.module"].search_count([("demo", "=", True)]))
            bench.add_receivers(env, 9, 10)
        clone_database(DB, big_db)
        with Registry(DB).cursor() as cr, Registry(big_db).cursor() as big_cr:
            env = odoo.api.Environment(cr, odoo.api.SUPERUSER_ID, {})
            big_env = odoo.api.Environment(big_cr, odoo.api.SUPERUSER_ID, {})
            started = time.perf_counter()
            bench.add_receivers(big_env, 9990, 10)
            setup_s = time.perf_counter() - started
            rules = big_env["email.receiver.rule"].search_count([])
            receivers = big_env["email.receiver"].search_count([])
            pairs = [("10 receivers", env, to, sender), ("10,000 receivers", big_env, to, sender)]
            bench.run(pairs, rounds=5)  # warm-up of the second registry
            scale = bench.run(pairs)
    finally:
        dns.stop()
        if os.environ.get("BENCH_KEEP") != "1":
            drop_database(DB)
            drop_database(big_db)

    rows = [
        ("accepted, stock journal alias", first["stock"], None, None),
        (
            "accepted, receiver, no report, DKIM verified",
            first["quiet"],
            first["quiet"] / first["stock"],
            None,
        ),
        (
            "accepted, receiver as created (report on, DKIM verified)",
            first["receiver"],
            first["receiver"] / first["stock"],
            "<= 1.00",
        ),
        ("  its follow-up job, after the mail", first["receiver job"], None, None),
        ("PDF mail, 1 page, stock journal alias (empty draft)", pdfs["stock pdf"], None, None),
        ("accepted PDF mail, 1 page", pdfs["pdf 1"], pdfs["pdf 1"] / pdfs["stock pdf"], None),
        (
            "accepted PDF mail, 20 pages",
            pdfs["pdf 20"],
            pdfs["pdf 20"] / pdfs["pdf 1"],
            "<= 1.10",
        ),
        ("  its reading and follow-up job, 1 page", pdfs["pdf 1 job"], None, None),
        ("  its reading and follow-up job, 20 pages", pdfs["pdf 20 job"], None, None),
        (
            "held (not whitelisted)",
            first["held"],
            first["held"] / first["receiver"],
            "<= 0.20",
        ),
        ("accepted, 10 receivers", scale["10 receivers"], None, None),
        (
            f"accepted, {receivers:,} receivers / {rules:,} rules",
            scale["10,000 receivers"],
            scale["10,000 receivers"] / scale["10 receivers"],
            "<= 1.10",
        ),
    ]
    print()
    print(f"Gateway benchmark: median of {MAILS} mails per path, interleaved, one run")
    print(f"| {'path':<52} | {'ms/mail':>8} | {'ratio':>6} | target  |")
    print(f"|{'-' * 54}|{'-' * 10}|{'-' * 8}|---------|")
    for label, ms, ratio, target in rows:
        ratio_text = f"{ratio:.2f}" if ratio is not None else ""
        print(f"| {label:<52} | {ms:>8.1f} | {ratio_text:>6} | {target or '':<7} |")
    print(f"(setting up 9,990 receivers and their rules took {setup_s:.0f} s)")
    print(
        "ms/mail is the mail's own transaction (the gateway's answer to the relay); "
        "a job's ms is the follow-up the mail triggered, run after it as the cron worker "
        f"runs it. PDF bills filled by the job (number and total): {pdf_read} of {len(pdf_bills)}"
    )
    print(
        f"DNS questions for {MAILS} mails each (answers cached within their TTL of 60 s): "
        f"receiver {first['receiver dns']}, no report {first['quiet dns']}, "
        f"held {first['held dns']} (target 0)"
    )
    print(f"authentication of the accepted mails: {auth}; outcomes: {outcomes}")
    print(
        f"database: account_email_receiver and its dependencies ({installed} modules), "
        f"demo data {'yes' if demo else 'no'}; accepted mails over TLS: {over_tls}, "
        f"receivers with TLS only on: {tls_only}"
    )
    print(
        f"reconciliation (documents check + comparison with the declared figures): "
        f"{reconcile_ms:.1f} ms per mail, {reconcile_ms / first['quiet']:.1%} of the receiver path"
    )
    print(
        f"auto-post (the decision and its chatter note; the posting is Odoo's own): "
        f"{autopost_ms:.1f} ms per mail, {autopost_ms / first['quiet']:.1%} of the receiver "
        "path (target <= 5%)"
    )


if __name__ == "__main__":
    main()
