import collections
import contextlib
import email
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from unittest.mock import patch

import dkim
from lxml import etree

from odoo import Command, fields
from odoo.tests import new_test_user

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

from ..tools import evidence, reconciliation
from .servers import LoopbackDNS, zone

DATA = Path(__file__).parent / "data"
EINVOICE_MARK = b"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
ALIAS_DOMAIN = "receiver.test"
RECEIVER_ADDRESS = f"supplier-bills@{ALIAS_DOMAIN}"
TRUSTED_SENDER = "billing@supplier.example"
# supplier.example's SPF record allows the IP that build_mail's entry hop names:
# with this envelope sender, a mail is authenticated (SPF pass, aligned).
SPF_PASS = ("Return-Path", "<bounces@supplier.example>")


def read_data(name):
    return (DATA / name).read_bytes()


def build_mail(
    *,
    to=RECEIVER_ADDRESS,
    sender=TRUSTED_SENDER,
    subject="Invoice Snippet1",
    body="Please find our invoice attached.",
    attachments=(),
    headers=None,
    received="from mail.supplier.example (mail.supplier.example [192.0.2.10]) "
    "by mx.receiver.test (Postfix) with ESMTPS id 4AB12; Mon, 23 Nov 2026 09:00:00 +0000",
    message_id=None,
    below=(),
):
    """An RFC 822 message as a supplier's mail server would deliver it to us.

    ``attachments`` are ``(filename, bytes, mimetype)``; ``headers`` a list of
    ``(name, value)`` added below our entry hop, as the sender's side wrote
    them (several Received or From allowed), except ``Authentication-Results``,
    which stand above it, as our MTA's milter prepends them; ``below`` puts
    headers (such an Authentication-Results too) below the entry hop.
    """
    message = EmailMessage()
    ours = [(n, v) for n, v in headers or () if n.lower() == "authentication-results"]
    for name, value in ours:
        message[name] = value
    if received:
        message["Received"] = received
    for name, value in [*(h for h in headers or () if h not in ours), *below]:
        message[name] = value
    if sender is not None:
        message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(fields.Datetime.now().replace(tzinfo=None).astimezone())
    message["Message-Id"] = message_id or make_msgid(domain="supplier.example")
    message.set_content(body)
    for filename, content, mimetype in attachments:
        maintype, subtype = mimetype.split("/", 1)
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()


class EmailReceiverCommon(AccountTestInvoicingCommon):
    """A company with an alias domain, a supplier, an active receiver for it,
    and restricted users: a bookkeeper (Invoicing), an accounting
    administrator, and the technical user that feeds the mail gateway."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        # Demo data names the development relay as entry host: use the topmost Received.
        cls.env["ir.config_parameter"].sudo().set_param("account_email_receiver.entry_host", False)
        # Odoo checks DKIM, SPF and DMARC itself: against a real DNS server on
        # loopback (the internet's DNS is mocked by it), which knows nothing
        # of supplier.example unless a test serves records for it.
        cls.dns = LoopbackDNS(zone(cls._dns_records())).start()
        cls.addClassCleanup(cls.dns.stop)
        cls._use_dns(cls.dns)
        cls.alias_domain = cls.env["mail.alias.domain"].create({"name": ALIAS_DOMAIN})
        cls.company.alias_domain_id = cls.alias_domain
        cls.company.email = "accounting@company.test"
        # The Peppol samples charge 25% VAT (category S).
        cls.env["account.tax"].create(
            [
                {
                    "name": "VAT 25% (purchase)",
                    "amount": 25,
                    "type_tax_use": "purchase",
                    "company_id": cls.company.id,
                },
                {
                    "name": "VAT 25% (sale)",
                    "amount": 25,
                    "type_tax_use": "sale",
                    "company_id": cls.company.id,
                },
            ]
        )
        cls.supplier = cls.env["res.partner"].create(
            {
                "name": "SupplierOfficialName Ltd",
                "is_company": True,
                "email": TRUSTED_SENDER,
                # The account its invoices ask payment to (base-example.xml).
                "bank_ids": [Command.create({"acc_number": "IBAN32423940"})],
            }
        )
        # ... which a person checked with the supplier and trusted for payments.
        cls.supplier.bank_ids.allow_out_payment = True
        # The Peppol samples' buyer is this company (base-example.xml).
        cls.company.vat = "SE4598375937"
        cls.bookkeeper = cls._new_user(
            "bookkeeper",
            "account.group_account_invoice",
            name="Bea Bookkeeper",
            email="bea@company.test",
        )
        cls.accountant = cls._new_user(
            "accountant",
            "account.group_account_manager",
            name="Alex Accountant",
            email="alex@company.test",
        )
        # The login odoo-mailgate uses: its mail's trace headers are our servers'.
        cls.gateway_user = cls._new_user(
            "gateway", "account_email_receiver.group_mail_gateway", name="Mail Gateway"
        )
        cls.receiver = (
            cls.env["email.receiver"]
            .with_user(cls.accountant)
            .create(
                {
                    "name": "Supplier bills",
                    "partner_id": cls.supplier.id,
                    "alias_name": "supplier-bills",
                    "contact_email": "accounts@supplier.example",
                    "rule_ids": [
                        fields.Command.create({"rule_type": "domain", "value": "supplier.example"})
                    ],
                }
            )
        )
        cls.receiver.with_user(cls.accountant).action_activate()
        cls.ubl = read_data("base-example.xml")

    def setUp(self):
        super().setUp()
        self._received = {}  # log id -> the raw mail ``receive`` delivered

    # --------------------------------------------------
    # Helpers
    # --------------------------------------------------

    @classmethod
    def _dns_records(cls):
        """``(name, type, value)`` records the loopback DNS serves."""
        return [("supplier.example.", "TXT", '"v=spf1 ip4:192.0.2.10 -all"')]

    @classmethod
    def _use_dns(cls, server, lifetime="1.0"):
        set_param = cls.env["ir.config_parameter"].sudo().set_param
        set_param("account_email_receiver.dns_nameservers", server.address)
        set_param("account_email_receiver.dns_lifetime", lifetime)

    @classmethod
    def _new_user(cls, login, groups, company=None, **values):
        """A restricted internal user of one company (never admin)."""
        company = company or cls.company
        return new_test_user(
            cls.env,
            login=login,
            groups=",".join(filter(None, ["base.group_user", groups])),
            company_id=company.id,
            company_ids=[company.id],
            **values,
        )

    @classmethod
    def _use_for_customer_invoices(cls):
        """The receiver as a customer-invoice receiver that posts documents read
        from XML and sends them on (the Peppol samples are in EUR)."""
        cls.env.ref("base.EUR").active = True
        # Here the company is the seller, not the sample's buyer (whose VAT
        # number would make Odoo take the company itself for the customer).
        cls.company.vat = False
        cls.receiver.write(
            {"document_type": "sale", "partner_id": False, "auto_send_xml": True, "tls_only": False}
        )

    def invoice(self, number):
        """The Peppol sample with its own invoice number: another invoice, not
        a reminder of the first (which is held as a duplicate invoice)."""
        return self.ubl.replace(
            b"<cbc:ID>Snippet1</cbc:ID>", f"<cbc:ID>{number}</cbc:ID>".encode(), 1
        )

    def mail(self, number=None, *, xml=None, authenticated=False, attachments=None, **kwargs):
        """The tests' one mail builder: a supplier's mail (``build_mail``) with
        the Peppol sample as its invoice (another invoice with ``number``, or
        another e-invoice ``xml``), or with ``attachments``; ``authenticated``
        adds the envelope sender whose SPF passes, aligned."""
        if attachments is None:
            content = xml or (self.invoice(number) if number else self.ubl)
            attachments = [("invoice.xml", content, "application/xml")]
        if authenticated:
            kwargs["headers"] = [*(kwargs.get("headers") or ()), SPF_PASS]
        return build_mail(attachments=attachments, **kwargs)

    def receive(self, raw=None, *, follow_up=True, receiver=None, **mail):
        """The tests' one delivery helper: ``raw`` (else ``self.mail(**mail)``)
        through Odoo's gateway, then the follow-up job; the receiver's last log."""
        raw = self.mail(**mail) if raw is None else raw
        self.process(raw, follow_up=follow_up)
        log = self.last_log(receiver)
        self._received[log.id] = raw
        return log

    def assertHeld(self, log, reason, **values):  # noqa: N802 - unittest style
        """The tests' one held-mail assertion: held for ``reason`` (with
        ``values``), no document, and the mail kept as it came."""
        self.assertRecordValues(log, [{"state": "held", "reason": reason, **values}])
        self.assertFalse(log.move_ids)
        self.assertTrue(log.raw_attachment_id, "the held mail is kept: nothing is lost")
        if log.id in self._received and reason != "too_large":
            self.assertEqual(log.raw_attachment_id.raw, self._received[log.id])
        return log

    def process(self, raw, follow_up=True):
        """Feed raw RFC 822 bytes to Odoo's gateway, as odoo-mailgate.py does,
        then (``follow_up``) run the follow-up job the gateway triggered, as
        the cron worker would a moment later."""
        result = self.env["mail.thread"].with_user(self.gateway_user).message_process(None, raw)
        if follow_up:
            self.follow_up()
        return result

    def follow_up(self):
        """Run the follow-up job (the robot's reading, posting, notices, the
        report) that the gateway triggered, as the cron worker runs it."""
        cron = self.env.ref("account_email_receiver.ir_cron_follow_up")
        self.env.flush_all()
        self.env["email.receiver.log"].with_user(cron.user_id)._cron_follow_up()
        self.env.invalidate_all()

    @contextlib.contextmanager
    def count_parses(self):
        """Count, while the block runs: the gateway's header parses, its
        receiver lookups, Odoo's own parses of a whole mail, dkimpy's, the
        parses of an e-invoice's XML (ours and Odoo's import's), and the
        readings of what an e-invoice declares (``reconciliation.declared``)."""
        counted = collections.Counter()
        Receiver = type(self.env["email.receiver"])
        parse_headers, lookup = evidence.parse_headers, Receiver._gateway_receivers_for
        message_from_bytes = email.message_from_bytes
        fromstring, declared = etree.fromstring, reconciliation.declared

        def counting(name, function, counts=lambda *args, **kwargs: True):
            def wrapper(*args, **kwargs):
                if counts(*args, **kwargs):
                    counted[name] += 1
                return function(*args, **kwargs)

            return wrapper

        def einvoice(text, *args, **kwargs):
            # an e-invoice, not a view or a template Odoo parses meanwhile
            return isinstance(text, bytes) and EINVOICE_MARK in text[:2048]

        with (
            patch.object(evidence, "parse_headers", counting("headers", parse_headers)),
            patch.object(Receiver, "_gateway_receivers_for", counting("lookups", lookup)),
            patch.object(email, "message_from_bytes", counting("odoo", message_from_bytes)),
            patch.object(dkim, "rfc822_parse", counting("dkimpy", dkim.rfc822_parse)),
            patch.object(etree, "fromstring", counting("xml", fromstring, einvoice)),
            patch.object(reconciliation, "declared", counting("declared", declared)),
        ):
            yield counted

    def logs(self, receiver=None):
        return self.env["email.receiver.log"].search(
            [("receiver_id", "=", (receiver or self.receiver).id)], order="id"
        )

    def last_log(self, receiver=None):
        return self.logs(receiver)[-1:]

    def outgoing(self, email_to):
        """Mail queued for an address, whether Odoo kept it as text or as a partner."""
        return (
            self.env["mail.mail"]
            .sudo()
            .search(
                ["|", ("email_to", "ilike", email_to), ("recipient_ids.email", "ilike", email_to)]
            )
        )
