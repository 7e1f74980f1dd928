"""make screenshots: regenerate the pictures in static/description/screenshots/.

Creates a fresh demo database (the addon with its demo data), feeds it mail
through the real gateway (accepted invoices and held mail, backdated over a few
days so that the charts have a history), serves it, and drives Chromium over
the Chrome DevTools Protocol as two restricted users: an English bookkeeper
and a Dutch one. The three supplier-facing mails are rendered by Odoo's own
templates and photographed the same way.

Usage: .venv/bin/python dev/screenshots.py [odoo options] (make screenshots passes them).
Environment: SCREENSHOTS_KEEP=1 keeps the database.
"""

import base64
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
import websocket

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / ".odoo" / "usr" / "lib" / "python3" / "dist-packages"
sys.path.insert(0, str(SITE))

from common import ODOO, create_database  # noqa: E402

import odoo  # noqa: E402
from odoo.modules.registry import Registry  # noqa: E402
from odoo.tools import config  # noqa: E402

DB = f"aer_screenshots_{os.getpid()}"
PORT = int(os.environ.get("SCREENSHOTS_PORT", "8179"))
BASE = f"http://127.0.0.1:{PORT}"
OUT = ROOT / "static" / "description" / "screenshots"
UBL = (ROOT / "tests" / "data" / "base-example.xml").read_bytes()
NEW_IBAN = "NL20INGB0001234567"
FULL_HEIGHT = """Math.max(document.documentElement.scrollHeight, ...[
    ...document.querySelectorAll(".o_content")
].map((e) => Math.ceil(e.getBoundingClientRect().top + e.scrollHeight)))"""
RECEIVED = (
    "from mail.supplier.example (mail.supplier.example [192.0.2.10]) by mx.localhost "
    "(account_email_receiver relay) with ESMTPS id {n}; Mon, 23 Nov 2026 09:00:00 +0000"
)


# --------------------------------------------------
# Demo content, through the real gateway
# --------------------------------------------------


def ubl(number, issued, buyer="Buyer Official Name", iban="IBAN32423940"):
    due = issued + datetime.timedelta(days=30)
    return (
        UBL.replace(
            b"<cbc:ID>Snippet1</cbc:ID>", f"<cbc:ID>INV-2026-{number:03d}</cbc:ID>".encode(), 1
        )
        .replace(b"2017-11-13", issued.isoformat().encode())
        .replace(b"2017-12-01", due.isoformat().encode())
        .replace(b"Buyer Official Name", buyer.encode())
        .replace(b"IBAN32423940", iban.encode())
    )


def second_company(env, company):
    """A Benelux branch with its own receiver, so that the dashboard has two companies."""
    other = env["res.company"].create(
        {
            "name": "YourCompany Benelux",
            "currency_id": env.ref("base.EUR").id,
            "alias_domain_id": company.alias_domain_id.id,
        }
    )
    other.partner_id.lang = "nl_NL"
    env["account.chart.template"].try_loading("generic_coa", other, install_demo=False)
    group = env["account.tax.group"].create({"name": "VAT 25%", "company_id": other.id})
    env["account.tax"].create(
        {
            "name": "VAT 25%",
            "amount": 25,
            "type_tax_use": "purchase",
            "company_id": other.id,
            "tax_group_id": group.id,
        }
    )
    # Created by a Dutch bookkeeper: Odoo writes its first chatter line in Dutch.
    receiver = (
        env["email.receiver"]
        .with_context(lang="nl_NL")
        .create(
            {
                "name": "SupplierOfficialName bills (Benelux)",
                "company_id": other.id,
                "partner_id": env.ref("account_email_receiver.demo_partner_supplier").id,
                "contact_email": "accounts@supplier.example",
                "rule_ids": [(0, 0, {"rule_type": "domain", "value": "supplier.example"})],
            }
        )
    )
    receiver.state = "active"
    return other, receiver


def trusted_mail(to, number, issued, build_mail, **ubl_values):
    return build_mail(
        to=to,
        sender="SupplierOfficialName Ltd <billing@supplier.example>",
        subject=f"Invoice INV-2026-{number:03d}",
        received=RECEIVED.format(n=number),
        attachments=[
            (f"INV-2026-{number:03d}.xml", ubl(number, issued, **ubl_values), "application/xml")
        ],
    )


def autoposted_mail(to, number, buyer, today, build_mail):
    """A mail our own mail server authenticated (its Authentication-Results),
    addressed to the buyer, on a date of its own (Odoo's duplicate check
    compares the amount and the date)."""
    return build_mail(
        to=to,
        sender="SupplierOfficialName Ltd <billing@supplier.example>",
        subject=f"Invoice INV-2026-{number:03d}",
        received=RECEIVED.format(n=number),
        headers=[
            (
                "Authentication-Results",
                "mx.localhost; dkim=pass header.d=supplier.example header.s=mail; "
                "dmarc=pass header.from=supplier.example",
            )
        ],
        attachments=[
            (
                f"INV-2026-{number:03d}.xml",
                ubl(number, today - datetime.timedelta(days=30), buyer=buyer),
                "application/xml",
            )
        ],
    )


def verified_domain(env):
    """A whitelabel domain verified for real, against a DNS server on loopback."""
    from odoo.addons.account_email_receiver.tests.servers import (  # noqa: PLC0415
        LoopbackDNS,
        zone,
    )

    domain = env["email.sending.domain"].create({"name": "yourcompany.example"})
    records = [
        (host + ".", "CNAME", target + ".") for _p, host, target in domain._expected_records()
    ]
    records += [
        ("yourcompany.example.", "TXT", '"v=spf1 include:sendgrid.net -all"'),
        ("_dmarc.yourcompany.example.", "TXT", '"v=DMARC1; p=quarantine"'),
    ]
    dns = LoopbackDNS(zone(records)).start()
    set_param = env["ir.config_parameter"].sudo().set_param
    try:
        set_param("account_email_receiver.dns_nameservers", dns.address)
        domain.action_verify()
    finally:
        set_param("account_email_receiver.dns_nameservers", "")
        dns.stop()
    return domain


def feed(env):
    """Mail for the demo receivers, users to look at it; returns the mails to render."""
    from odoo.addons.account_email_receiver.tests.common import build_mail  # noqa: PLC0415

    company = env.ref("base.main_company")
    env.ref("base.EUR").active = True  # the Peppol sample bills in EUR
    # Demo journals mail their own "new invoice" notice onto each bill; without
    # it, the bill's chatter opens on the received mail and its receipt facts.
    env["account.journal"].search([]).incoming_einvoice_notification_email = False
    receiver = env.ref("account_email_receiver.demo_receiver_supplier")
    to = receiver.alias_full_name
    today = datetime.date.today()
    # The Dutch screens show the Benelux company, whose language is Dutch: the
    # notes the addon stores on its bills and its trusted sender (written
    # once, in the language of the trusted sender's company) are Dutch there.
    env["res.lang"]._activate_lang("nl_NL")
    installed = env["ir.module.module"].search([("state", "=", "installed")])
    env["ir.module.module"]._load_module_terms(installed.mapped("name"), ["nl_NL"])
    other, other_receiver = second_company(env, company)
    # The supplier's account is trusted (demo data); invoice 8 names a new
    # one: the bill says so and needs review.
    mails = []
    for n in range(1, 9):
        issued = today - datetime.timedelta(days=8 - n)
        iban = NEW_IBAN if n == 8 else "IBAN32423940"
        mails.append(
            (8 - n, trusted_mail(to, n, issued, build_mail, buyer=company.name, iban=iban))
        )
    for n in range(20, 23):
        issued = today - datetime.timedelta(days=22 - n)
        mails.append(
            (
                22 - n,
                trusted_mail(
                    other_receiver.alias_full_name, n, issued, build_mail, buyer=other.name
                ),
            )
        )
    held = [
        (5, "Invoice 4471 (please pay today)", "Accounts <accounts@supplier-payments.example>", []),
        (3, "Overdue invoice", "billing@supplier.example.evil.test", []),
        (1, "Our new bank details", "someone@untrusted.example", []),
        (
            0,
            "Monthly statement",
            "billing@supplier.example",
            [("statement.txt", b"Hi", "text/plain")],
        ),
    ]
    held = [(to, *mail) for mail in held] + [
        (
            other_receiver.alias_full_name,
            1,
            "Onze nieuwe bankgegevens",
            "billing@supplier.example.evil.test",
            [],
        )
    ]
    for address, days, subject, sender, attachments in held:
        mails.append(
            (
                days,
                build_mail(
                    to=address,
                    sender=sender,
                    subject=subject,
                    received=RECEIVED.format(n=days + 100),
                    attachments=attachments
                    or [("invoice.xml", ubl(90 + days, today), "application/xml")],
                ),
            )
        )
    # A PDF invoice without an e-invoice, for the conversion robot: the
    # corpus's Dutch printer, whose VAT number and bank the supplier has.
    supplier = receiver.partner_id
    supplier.vat = "NL800003123B01"
    env["res.partner.bank"].create(
        {"acc_number": "NL91ABNA0417164300", "partner_id": supplier.id, "allow_out_payment": True}
    )
    env["account.tax"].create(
        [
            {"name": f"VAT {rate}%", "amount": rate, "type_tax_use": "purchase", "company_id": c.id}
            for rate in (21, 9)
            for c in (company, other)
        ]
    )
    pdf = (ROOT / "tests" / "data" / "pdf" / "reportlab-nl-rates.pdf").read_bytes()
    for n, address in enumerate((to, other_receiver.alias_full_name)):
        mails.append(
            (
                0,
                build_mail(
                    to=address,
                    sender="SupplierOfficialName Ltd <billing@supplier.example>",
                    subject="Factuur 2026-0502",
                    received=RECEIVED.format(n=300 + n),
                    attachments=[("factuur-2026-0502.pdf", pdf, "application/pdf")],
                ),
            )
        )
    # A bill that posted itself: the supplier set to "Always" auto-post, and a
    # mail our own mail server authenticated (its Authentication-Results).
    supplier.autopost_bills = "always"
    env["ir.config_parameter"].set_param("account_email_receiver.authserv_ids", "mx.localhost")
    for number, address, buyer in ((9, to, company), (29, other_receiver.alias_full_name, other)):
        mails.append((0, autoposted_mail(address, number, buyer.name, today, build_mail)))
    # The Benelux company's bill with the new account, for the Dutch screen.
    mails.append(
        (
            0,
            trusted_mail(
                other_receiver.alias_full_name,
                23,
                today - datetime.timedelta(days=12),  # not a duplicate of number 22
                build_mail,
                buyer=other.name,
                iban=NEW_IBAN,
            ),
        )
    )
    gateway = env["mail.thread"].with_user(
        env.ref("account_email_receiver.user_email_receiver_inbound")
    )
    for days, raw in mails:
        gateway.message_process(None, raw)
        env.cr.commit()
        log = env["email.receiver.log"].search([], order="id desc", limit=1)
        log.date = datetime.datetime.now() - datetime.timedelta(days=days, hours=days % 5)
    # The server runs without cron threads: the follow-up job (reading the
    # PDF, the processing report) runs here, as the cron would after the mail.
    env["email.receiver.log"]._cron_follow_up()
    # The bills that name a new account: they cannot be confirmed until a
    # person trusts it, and the banner says so.
    Move = env["account.move"]
    new_account_bill = Move.search([("ref", "=", "INV-2026-008")], limit=1)
    new_account_bill_nl = Move.search([("ref", "=", "INV-2026-023")], limit=1)
    env.cr.commit()
    domain = verified_domain(env)
    for login, name, lang in (
        ("bea", "Bea Bookkeeper", "en_US"),
        ("bram", "Bram Boekhouder", "nl_NL"),
    ):
        env["res.users"].create(
            {
                "login": login,
                "password": login,
                "name": name,
                "lang": lang,
                "email": f"{login}@yourcompany.example",
                "company_ids": [(6, 0, (company + other).ids)],
                "group_ids": [(4, env.ref("account.group_account_manager").id)],
            }
        )
    # A company that starts today: no sender yet, no alias domain yet.
    starter = env["res.company"].create({"name": "Fresh Start Ltd"})
    starter.alias_domain_id = False
    env["res.users"].create(
        {
            "login": "noor",
            "password": "noor",
            "name": "Noor Nieuwkomer",
            "lang": "nl_NL",
            "email": "noor@freshstart.example",
            "company_id": starter.id,
            "company_ids": [(6, 0, starter.ids)],
            "group_ids": [(4, env.ref("account.group_account_manager").id)],
        }
    )
    env["res.users"].create(
        {
            "login": "nina",
            "password": "nina",
            "name": "Nina Newcomer",
            "email": "nina@freshstart.example",
            "company_id": starter.id,
            "company_ids": [(6, 0, starter.ids)],
            "group_ids": [(4, env.ref("account.group_account_manager").id)],
        }
    )
    env.cr.commit()

    accepted = env["email.receiver.log"].search(
        [
            ("state", "in", ("accepted", "review")),
            ("receiver_id", "=", receiver.id),
            ("move_ids", "!=", False),
        ],
        order="state, id",
        limit=1,
    )
    Log = env["email.receiver.log"]
    held = Log.search([("subject", "=", "Our new bank details")], limit=1)
    held_nl = Log.search([("subject", "=", "Onze nieuwe bankgegevens")], limit=1)
    render = {
        "mail_invitation": ("mail_template_receiver_invitation", receiver),
        "mail_held_notice": ("mail_template_held_notice", held),
        "mail_processing_report": ("mail_template_processing_report", accepted),
    }
    pages = {}
    base_url = env["ir.config_parameter"].get_param("web.base.url")
    for name, (xmlid, record) in render.items():
        template = env.ref(f"account_email_receiver.{xmlid}")
        html = template._render_field("body_html", record.ids, compute_lang=True)[record.id]
        subject = template._render_field("subject", record.ids, compute_lang=True)[record.id]
        pages[name] = (subject, str(html).replace(base_url, BASE))
    # The mails as a Dutch supplier receives them.
    for name, (xmlid, record) in render.items():
        template = env.ref(f"account_email_receiver.{xmlid}").with_context(lang="nl_NL")
        pages[f"{name}_nl"] = (
            template._render_field("subject", record.ids)[record.id],
            str(template._render_field("body_html", record.ids)[record.id]).replace(base_url, BASE),
        )

    def pdf_bill(company):
        domain = [("email_receiver_pdf", "!=", False), ("company_id", "=", company.id)]
        return Move.search(domain, limit=1).id

    return {
        "receiver": receiver.id,
        "receiver_nl": other_receiver.id,
        "held": held.id,
        "held_nl": held_nl.id,
        "bill": new_account_bill.id,
        "bill_nl": new_account_bill_nl.id,
        "pdf_bill": pdf_bill(company),
        "pdf_bill_nl": pdf_bill(other),
        "autoposted": Move.search([("ref", "=", "INV-2026-009")], limit=1).id,
        "autoposted_nl": Move.search([("ref", "=", "INV-2026-029")], limit=1).id,
        "domain": domain.id,
        "companies": f"{company.id}-{other.id}",
        "starter": str(starter.id),
        "mails": pages,
    }


# --------------------------------------------------
# Chromium over the DevTools protocol
# --------------------------------------------------


class Chromium:
    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="aer_chromium_")
        self.process = subprocess.Popen(
            [
                shutil.which("chromium") or "/usr/bin/chromium",
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--remote-debugging-port=0",
                "--remote-allow-origins=*",
                f"--user-data-dir={self.profile}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port_file = Path(self.profile) / "DevToolsActivePort"
        for _ in range(100):
            if port_file.exists() and port_file.read_text().strip():
                break
            time.sleep(0.1)
        port = port_file.read_text().split()[0]
        pages = requests.get(f"http://127.0.0.1:{port}/json/list", timeout=10).json()
        url = next(page for page in pages if page["type"] == "page")["webSocketDebuggerUrl"]
        self.ws = websocket.create_connection(url, timeout=60)
        self.counter = 0

    def send(self, method, **params):
        self.counter += 1
        self.ws.send(json.dumps({"id": self.counter, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.counter:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression):
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    def login(self, login, companies):
        response = requests.post(
            f"{BASE}/web/session/authenticate",
            json={"jsonrpc": "2.0", "params": {"db": DB, "login": login, "password": login}},
            timeout=60,
        )
        response.raise_for_status()
        self.send("Network.clearBrowserCookies")
        self.send(
            "Network.setCookie",
            name="session_id",
            value=response.cookies["session_id"],
            domain="127.0.0.1",
            path="/",
        )
        # Both companies active, as a user of a multi-company database picks them.
        self.send("Network.setCookie", name="cids", value=companies, domain="127.0.0.1", path="/")

    def viewport(self, width, height):
        self.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )

    def wait_for(self, name, selector, timeout=60):
        check = (
            f"!!document.querySelector({json.dumps(selector)})"
            " && !document.querySelector('.o_loading_indicator, .o_blockUI')"
        )
        deadline = time.time() + timeout
        while not self.evaluate(check):
            if time.time() > deadline:
                raise TimeoutError(f"{name}: {selector} did not appear")
            time.sleep(0.3)

    def shoot(
        self, name, url, ready, width=1366, height=900, full_page=False, expand=None, click=None
    ):
        """Open ``url``, wait for ``ready``; ``expand``: click every group header
        it matches and wait for the rows; ``click``: (what to click, what then
        appears), e.g. a button and its dialog."""
        self.viewport(width, height)
        self.send("Page.navigate", url=url)
        self.wait_for(name, ready)
        if click:
            self.evaluate(f"document.querySelector({json.dumps(click[0])}).click()")
            self.wait_for(name, click[1])
        if expand:
            self.evaluate(
                f"document.querySelectorAll({json.dumps(expand)}).forEach(e => e.click())"
            )
            self.wait_for(name, ".o_data_row")
        time.sleep(1.5)  # chart animations, fonts
        if full_page:
            # Odoo scrolls inside .o_content, not the document: its whole height.
            self.viewport(width, self.evaluate(FULL_HEIGHT))
            time.sleep(0.5)
        data = self.send("Page.captureScreenshot", format="png")["data"]
        (OUT / f"{name}.png").write_bytes(base64.b64decode(data))
        print(f"screenshots: {name}.png")

    def close(self):
        self.ws.close()
        self.process.terminate()
        self.process.wait(10)
        shutil.rmtree(self.profile, ignore_errors=True)


def mail_page(subject, html):
    """A supplier's view of a mail: its subject above the body, as a mail client shows it."""
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'></head>"
        "<body style='margin:0;background:#fff;font-family:Arial,sans-serif;'>"
        "<div style='padding:12px 16px;border-bottom:1px solid #ddd;font-size:15px;'>"
        f"<b>{subject}</b></div>{html}</body></html>"
    )


def main():
    odoo_args = sys.argv[1:]
    OUT.mkdir(parents=True, exist_ok=True)
    create_database(DB, odoo_args, demo=True)
    config.parse_config([*odoo_args, "-d", DB, "--log-level", "warn"])
    odoo.modules.module.initialize_sys_path()
    registry = Registry(DB)
    with registry.cursor() as cr:
        ids = feed(odoo.api.Environment(cr, odoo.api.SUPERUSER_ID, {}))
    server = subprocess.Popen(
        [sys.executable, ODOO, *odoo_args, "-d", DB, "--db-filter", f"^{DB}$"]
        + ["--http-port", str(PORT), "--http-interface", "127.0.0.1", "--workers", "0"]
        + ["--max-cron-threads", "0", "--log-level", "warn", "--log-handler", "py.warnings:ERROR"],
    )
    chromium = None
    try:
        for _ in range(120):
            try:
                if requests.get(f"{BASE}/web/health", timeout=2).ok:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.5)
        chromium = Chromium()
        tmp = Path(tempfile.mkdtemp(prefix="aer_mails_"))
        for name, (subject, html) in ids["mails"].items():
            page = tmp / f"{name}.html"
            page.write_text(mail_page(subject, html), encoding="utf-8")
            chromium.shoot(name, page.as_uri(), "table", width=680, height=600, full_page=True)
        action = f"{BASE}/odoo/action-account_email_receiver"
        chromium.login("bea", ids["companies"])
        chromium.shoot(
            "dashboard",
            f"{action}.email_receiver_dashboard_action",
            ".o_email_receiver_chart_reason canvas",
        )
        chromium.shoot("senders", f"{action}.email_receiver_action", ".o_kanban_record")
        chromium.shoot(
            "sender_form",
            f"{action}.email_receiver_action/{ids['receiver']}",
            ".o_field_widget[name=alias_full_name]",
            full_page=True,  # the options, below the whitelist
        )
        chromium.shoot(
            "held_mail",
            f"{action}.email_receiver_log_action_held",
            ".o_group_header",
            expand=".o_group_header",
        )
        chromium.shoot(
            "held_mail_form",
            f"{action}.email_receiver_log_action_held/{ids['held']}",
            ".o_field_widget[name=preview_text]",
            full_page=True,
        )
        chromium.shoot(
            "held_mail_release",
            f"{action}.email_receiver_log_action_held/{ids['held']}",
            ".o_form_statusbar button[name=action_release]",
            click=(".o_form_statusbar button[name=action_release]", ".modal .modal-footer"),
        )
        chromium.shoot(
            "bill",
            f"{BASE}/odoo/action-account.action_move_in_invoice_type/{ids['bill']}",
            ".o-mail-Message",
        )
        chromium.shoot(
            "bill_autoposted",
            f"{BASE}/odoo/action-account.action_move_in_invoice_type/{ids['autoposted']}",
            ".o-mail-Message",
            full_page=True,  # the chatter, below the bill at this width
        )
        pdf_bill = f"{BASE}/odoo/action-account.action_move_in_invoice_type/{ids['pdf_bill']}"
        robot_tab = ("a[name=email_receiver_pdf]", ".o_email_receiver_pdf")
        chromium.shoot("bill_from_pdf", pdf_bill, "a[name=email_receiver_pdf]", click=robot_tab)
        chromium.shoot(
            "whitelabel_domain",
            f"{action}.email_sending_domain_action/{ids['domain']}",
            ".o_field_widget[name=record_ids] .o_data_row",
        )
        chromium.login("nina", ids["starter"])
        chromium.shoot(
            "first_run",
            f"{action}.email_receiver_dashboard_action",
            ".o_email_receiver_add_first",
        )
        chromium.login("noor", ids["starter"])
        chromium.shoot(
            "first_run_nl",
            f"{action}.email_receiver_dashboard_action",
            ".o_email_receiver_add_first",
        )
        chromium.login("bram", ids["companies"])
        chromium.shoot("senders_nl", f"{action}.email_receiver_action", ".o_kanban_record")
        chromium.shoot(
            "held_mail_nl",
            f"{action}.email_receiver_log_action_held",
            ".o_group_header",
            expand=".o_group_header",
        )
        chromium.shoot(
            "held_mail_form_nl",
            f"{action}.email_receiver_log_action_held/{ids['held_nl']}",
            ".o_field_widget[name=preview_text]",
            full_page=True,
        )
        chromium.shoot(
            "whitelabel_domain_nl",
            f"{action}.email_sending_domain_action/{ids['domain']}",
            ".o_field_widget[name=record_ids] .o_data_row",
        )
        chromium.shoot(
            "bill_nl",
            f"{BASE}/odoo/action-account.action_move_in_invoice_type/{ids['bill_nl']}",
            ".o-mail-Message",
        )
        chromium.shoot(
            "dashboard_nl",
            f"{action}.email_receiver_dashboard_action",
            ".o_email_receiver_chart_reason canvas",
        )
        chromium.shoot(
            "sender_form_nl",
            f"{action}.email_receiver_action/{ids['receiver_nl']}",
            ".o_field_widget[name=alias_full_name]",
            full_page=True,  # the options, below the whitelist
        )
        pdf_bill_nl = f"{BASE}/odoo/action-account.action_move_in_invoice_type/{ids['pdf_bill_nl']}"
        chromium.shoot(
            "bill_from_pdf_nl", pdf_bill_nl, "a[name=email_receiver_pdf]", click=robot_tab
        )
        chromium.shoot(
            "bill_autoposted_nl",
            f"{BASE}/odoo/action-account.action_move_in_invoice_type/{ids['autoposted_nl']}",
            ".o-mail-Message",
            full_page=True,  # the chatter, below the bill at this width
        )
        chromium.shoot(
            "status_dialog_nl",
            f"{action}.email_receiver_action/{ids['receiver_nl']}",
            ".o_email_receiver_status_button",
            click=(".o_email_receiver_status_button", ".modal .o_field_widget[name=state]"),
        )
    finally:
        if chromium:
            chromium.close()
        server.terminate()
        server.wait(30)
        if os.environ.get("SCREENSHOTS_KEEP") != "1":
            Registry.delete(DB)
            odoo.sql_db.close_db(DB)
            subprocess.run(["dropdb", "--if-exists", DB], check=False)
    print(f"screenshots: written to {OUT.relative_to(ROOT)}/")


if __name__ == "__main__":
    main()
