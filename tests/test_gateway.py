import email
import re
from types import MappingProxyType
from unittest.mock import patch

from odoo import Command, fields
from odoo.exceptions import ConcurrencyError, UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..models.email_receiver_routing import RoutingTable
from ..tools.incoming_mail import IncomingMail
from .common import DATA, TRUSTED_SENDER, EmailReceiverCommon, read_data

TRUSTED_AR = "mx.receiver.test"
# Well-formed XML, but no invoice Odoo can import.
ORDER = b'<?xml version="1.0"?><Order xmlns="urn:example:order"><ID>42</ID></Order>'


@tagged("post_install", "-at_install")
class TestGatewayAccept(EmailReceiverCommon):
    def test_ubl_becomes_bill(self):
        raw = self.mail()
        self.process(raw)
        log = self.last_log()
        self.assertRecordValues(
            log,
            [
                {
                    "state": "accepted",
                    "reason": False,
                    "sender": TRUSTED_SENDER,
                    "used_tls": True,
                    "auth_result": "none",
                }
            ],
        )
        bill = log.move_ids
        self.assertEqual(len(bill), 1)
        self.assertRecordValues(
            bill,
            [
                {
                    "move_type": "in_invoice",
                    "state": "draft",
                    "partner_id": self.supplier.id,
                    "journal_id": self.receiver.journal_id.id,
                    "company_id": self.company.id,
                    "amount_total": 1656.25,
                    "ref": "Snippet1",
                }
            ],
        )
        self.assertEqual(bill.currency_id.name, "EUR")
        self.assertIn("Trusted sender: Supplier bills", "\n".join(bill.message_ids.mapped("body")))
        # TLS evidence switched the option on, and the chatter says so.
        self.assertTrue(self.receiver.tls_only)
        self.assertIn("first mail over TLS", "\n".join(self.receiver.message_ids.mapped("body")))

    def test_xml_sent_as_octet_stream_or_text(self):
        for mimetype in ("application/octet-stream", "text/plain"):
            # Two invoices (a second Snippet1 would be held as a duplicate invoice,
            # whatever MIME type it came as).
            raw = self.mail(attachments=[("factuur", self.invoice(mimetype), mimetype)])
            self.process(raw)
            self.assertEqual(self.last_log().move_ids.amount_total, 1656.25, mimetype)

    def test_xml_plus_its_pdf_is_one_bill(self):
        pdf = _pdf("Invoice Snippet1")
        raw = self.mail(
            attachments=[
                ("Snippet1.xml", self.ubl, "application/xml"),
                ("Snippet1.pdf", pdf, "application/pdf"),
            ]
        )
        self.process(raw)
        bills = self.last_log().move_ids
        self.assertEqual(len(bills), 1)
        self.assertEqual(bills.amount_total, 1656.25)
        self.assertIn("Snippet1.pdf", bills.attachment_ids.mapped("name"))

    def test_pdf_without_invoice_text_becomes_flagged_empty_bill(self):
        raw = self.mail(attachments=[("scan.pdf", _pdf("A scanned invoice"), "application/pdf")])
        self.process(raw)
        bill = self.last_log().move_ids
        self.assertEqual(len(bill), 1)
        self.assertEqual(bill.partner_id, self.supplier)
        self.assertEqual(bill.amount_total, 0.0)
        self.assertEqual(self.last_log().state, "review")
        self.assertIn("did not find the Invoice number", bill.email_receiver_review)

    def test_xml_never_switches_the_supplier(self):
        other = self.env["res.partner"].create({"name": "Another Supplier"})
        self.receiver.partner_id = other
        self.process(self.mail())
        bill = self.last_log().move_ids
        self.assertEqual(bill.partner_id, other)
        self.assertEqual(bill.amount_total, 1656.25)

    def test_a_partner_with_the_senders_address_is_not_the_supplier(self):
        # Odoo's alias takes the partner whose email is the sender's; a
        # receiver's documents are always its supplier's.
        sender = "pat@supplier.example"  # trusted: the whole domain is
        self.env["res.partner"].create({"name": "Private Person", "email": sender})
        for name, content in (("invoice.xml", self.ubl), ("order.xml", ORDER)):
            self.process(self.mail(sender=sender, attachments=[(name, content, "application/xml")]))
            bill = self.last_log().move_ids
            self.assertEqual(bill.partner_id, self.supplier, name)

    def test_a_document_odoo_cannot_import_is_a_draft_of_the_supplier(self):
        # Well-formed XML, but no invoice Odoo knows: an empty draft with the
        # XML on its chatter, of the receiver's supplier (set by the follow-up).
        self.process(
            self.mail(
                sender="orders@supplier.example",  # no partner has this address
                attachments=[("order.xml", ORDER, "application/xml")],
            )
        )
        log = self.last_log()
        self.assertEqual(log.state, "accepted")
        bill = log.move_ids
        self.assertEqual(len(bill), 1)
        self.assertRecordValues(
            bill, [{"partner_id": self.supplier.id, "amount_total": 0.0, "state": "draft"}]
        )
        self.assertIn("order.xml", bill.message_ids.attachment_ids.mapped("name"))

    def test_credit_note(self):
        raw = self.mail(
            attachments=[
                (
                    "credit.xml",
                    read_data("base-creditnote-correction.xml"),
                    "application/xml",
                )
            ]
        )
        self.process(raw)
        credit = self.last_log().move_ids
        self.assertRecordValues(credit, [{"move_type": "in_refund", "amount_total": 1656.25}])

    def test_whitelisted_supplier_is_not_stopped_by_loop_guard(self):
        self.env["ir.config_parameter"].sudo().set_param("mail.gateway.loop.threshold", 5)
        for number in range(8):
            ubl = self.ubl.replace(
                b"<cbc:ID>Snippet1</cbc:ID>",
                f"<cbc:ID>INV-{number}</cbc:ID>".encode(),
                1,
            )
            self.process(
                self.mail(
                    subject=f"Invoice {number}",
                    attachments=[("i.xml", ubl, "application/xml")],
                )
            )
        logs = self.logs()
        self.assertEqual(len(logs), 8)
        self.assertEqual(set(logs.mapped("state")), {"accepted"})
        self.assertEqual(len(logs.move_ids), 8)

    def test_notify_members_and_processing_report(self):
        self.receiver.write({"notify_members": True, "send_processing_report": True})
        subtype = self.env.ref("account_email_receiver.mt_invoice_received")
        follower = self.receiver.message_follower_ids.filtered(
            lambda f: f.partner_id == self.bookkeeper.partner_id
        )
        self.assertIn(subtype, follower.subtype_ids)
        self.process(self.mail())
        notice = self.receiver.message_ids.filtered(lambda m: m.subtype_id == subtype)
        self.assertEqual(len(notice), 1)
        self.assertIn(self.bookkeeper.partner_id, notice.notified_partner_ids)
        # The report goes to the contact: the From of this unauthenticated
        # mail may be forged (tests/test_manual.py has the authenticated case).
        self.assertFalse(self.outgoing(TRUSTED_SENDER))
        report = self.outgoing(self.receiver.contact_email)
        self.assertEqual(len(report), 1)
        self.assertIn("Snippet1", report.body_html)
        self.assertIn("1,656.25", report.body_html)
        # Written by the follow-up job, yet as the mail's own user, not the cron's OdooBot.
        self.assertEqual(report.author_id, self.gateway_user.partner_id)
        self.assertEqual(notice.author_id, self.gateway_user.partner_id)


@tagged("post_install", "-at_install")
class TestGatewayReject(EmailReceiverCommon):
    def test_not_whitelisted_is_held_and_contact_warned(self):
        raw = self.mail(sender="billing@evilsupplier.example")
        moves_before = self.env["account.move"].search_count([])
        log = self.assertHeld(self.receive(raw), "not_whitelisted")
        self.assertTrue(log.used_tls, "held mail shows its TLS evidence too")
        self.assertEqual(self.env["account.move"].search_count([]), moves_before)
        self.assertFalse(
            self.outgoing("evilsupplier.example"),
            "no bounce to a possibly forged sender",
        )
        notice = self.outgoing("accounts@supplier.example")
        self.assertEqual(len(notice), 1)
        self.assertIn("from billing@evilsupplier.example", notice.subject)
        self.assertNotIn("Invoice Snippet1", notice.subject, "never the sender's own words")
        self.assertIn("We could not confirm that this mail comes from you.", notice.body_html)
        self.assertTrue(log.notice_sent)
        # A second mail with the same reason within the hour: no second notice.
        self.process(
            self.mail(attachments=(), sender="billing@evilsupplier.example", subject="again")
        )
        self.assertEqual(len(self.outgoing("accounts@supplier.example")), 1)

    def test_lookalike_domains_never_match(self):
        for sender in (
            "a@supplier.example.evil.test",
            "a@evilsupplier.example",
            "a@sub.supplier.example",
        ):
            self.assertHeld(
                self.receive(self.mail(attachments=(), sender=sender, subject=sender)),
                "not_whitelisted",
            )

    def test_subdomains_when_allowed(self):
        self.receiver.rule_ids.include_subdomains = True
        self.process(self.mail(sender="a@billing.supplier.example"))
        self.assertEqual(self.last_log().state, "accepted")

    def test_the_whitelist_follows_its_rules_at_once(self):
        """Each receiver's whitelist is cached; every change of a rule counts
        from the very next mail (the accountant edits the rules)."""

        def deliver(number, sender="billing@new-supplier.example"):
            self.process(self.mail(number, sender=sender, subject=f"Invoice {number}"))
            return self.last_log().reason or self.last_log().state

        self.assertEqual(deliver("N1"), "not_whitelisted")
        receiver = self.receiver.with_user(self.accountant)
        receiver.write(
            {
                "rule_ids": [
                    Command.create({"rule_type": "email", "value": "billing@new-supplier.example"})
                ]
            }
        )
        self.assertEqual(deliver("N2"), "accepted")
        rule = receiver.rule_ids.filtered(lambda r: r.rule_type == "email")
        rule.value = "other@new-supplier.example"
        self.assertEqual(deliver("N3"), "not_whitelisted")
        rule.write({"rule_type": "domain", "value": "new-supplier.example"})
        self.assertEqual(deliver("N4"), "accepted")
        self.assertEqual(deliver("N5", "a@eu.new-supplier.example"), "not_whitelisted")
        rule.include_subdomains = True
        self.assertEqual(deliver("N6", "a@eu.new-supplier.example"), "accepted")
        rule.unlink()
        self.assertEqual(deliver("N7"), "not_whitelisted")

    def test_inactive_receiver(self):
        self.receiver.action_deactivate()
        self.assertHeld(
            self.receive(self.mail()),
            "inactive",
        )

    def test_hostile_headers_end_in_one_log(self):
        """Headers Python's own parser raises on, or bytes PostgreSQL refuses:
        the mail is held with its one log, nothing raises out of the gateway
        (which would make the MTA bounce to a possibly forged sender)."""
        raw = self.mail()
        cases = {
            "a Content-Type parameter without a value": re.sub(
                rb'(Content-Type: multipart/mixed;\s*boundary="[^"]+")', rb"\1; a*", raw, count=1
            ),
            "an 8-bit From": raw.replace(f"From: {TRUSTED_SENDER}".encode(), b"From: :\x80;A\\", 1),
        }
        for name, hostile in cases.items():
            self.assertNotEqual(hostile, raw, name)
            before = len(self.logs())
            self.process(hostile)
            logs = self.logs()
            self.assertEqual(len(logs), before + 1, name)
            self.assertRecordValues(logs[-1:], [{"state": "held"}])
            self.assertFalse(logs[-1].move_ids, name)
            self.assertTrue(logs[-1].raw_attachment_id, f"{name}: the mail is kept")

    def test_malformed_from(self):
        two_froms = self.mail(attachments=(), subject="two From headers")
        two_froms = two_froms.replace(b"\nFrom: ", b"\nFrom: other@supplier.example\nFrom: ", 1)
        self.assertHeld(self.receive(two_froms), "malformed_from")
        for value in (
            b"a@supplier.example, b@supplier.example",
            b"undisclosed-recipients:;",
            b"billing@",
            b"",
        ):
            raw = self.mail(
                attachments=(), sender="placeholder@supplier.example", subject=str(value)
            )
            self.assertHeld(
                self.receive(raw.replace(b"placeholder@supplier.example", value, 1)),
                "malformed_from",
            )

    def test_forged_and_unaligned(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "account_email_receiver.authserv_ids", TRUSTED_AR
        )
        cases = {
            "dmarc fail": f"{TRUSTED_AR}; dmarc=fail (p=reject) header.from=supplier.example",
            "unaligned dkim": f"{TRUSTED_AR}; dkim=pass header.d=evil.test; "
            "spf=pass smtp.mailfrom=x@evil.test",
            "lookalike": f"{TRUSTED_AR}; dkim=pass header.d=supplier.example.evil.test",
        }
        for subject, value in cases.items():
            raw = self.mail(
                attachments=(), subject=subject, headers=[("Authentication-Results", value)]
            )
            log = self.assertHeld(self.receive(raw), "forged")
            self.assertEqual(log.auth_result, "fail")

    def test_authentication_trusted_only_from_our_servers(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "account_email_receiver.authserv_ids", TRUSTED_AR
        )
        self.receiver.require_authentication = True
        forged = self.mail(
            attachments=(),
            subject="forged pass",
            headers=[
                (
                    "Authentication-Results",
                    "mx.evil.test; dmarc=pass header.from=supplier.example",
                )
            ],
        )
        self.assertHeld(self.receive(forged), "unauthenticated")
        aligned = self.mail(
            subject="aligned",
            headers=[
                (
                    "Authentication-Results",
                    f"{TRUSTED_AR}; dkim=pass (signature ok, d=evil.test) "
                    "header.d=mail.supplier.example",
                )
            ],
        )
        self.process(aligned)
        self.assertRecordValues(self.last_log(), [{"state": "accepted", "auth_result": "pass"}])

    def test_no_tls_when_required(self):
        self.receiver.tls_only = True
        lower_hop_claims_tls = (
            "from mail.supplier.example by mx.receiver.test with ESMTP (comment: with ESMTPS); "
            "Mon, 23 Nov 2026 09:00:00 +0000"
        )
        raw = self.mail(
            attachments=(),
            received=lower_hop_claims_tls,
            headers=[
                (
                    "Received",
                    "from x by mail.supplier.example with ESMTPS; Mon, 23 Nov 2026 08:59:00 +0000",
                )
            ],
        )
        log = self.assertHeld(self.receive(raw), "no_tls")
        self.assertFalse(log.used_tls)
        self.assertHeld(
            self.receive(self.mail(attachments=(), received=None, subject="no received")), "no_tls"
        )
        self.assertHeld(
            self.receive(
                self.mail(attachments=(), received="garbled ((( header", subject="garbled")
            ),
            "no_tls",
        )

    def test_entry_host_setting(self):
        self.receiver.tls_only = True
        self.env["ir.config_parameter"].sudo().set_param(
            "account_email_receiver.entry_host", "mx.receiver.test"
        )
        raw = self.mail(
            received="from relay.internal by spamfilter.receiver.test with ESMTP; "
            "Mon, 23 Nov 2026 09:00:01 +0000",
            headers=[
                (
                    "Received",
                    "from mail.supplier.example by mx.receiver.test with ESMTPS; "
                    "Mon, 23 Nov 2026 09:00:00 +0000",
                )
            ],
        )
        self.process(raw)
        self.assertRecordValues(
            self.last_log(),
            [{"state": "accepted", "used_tls": True, "tls_protocol": "ESMTPS"}],
        )

    def test_no_invoice(self):
        self.assertHeld(
            self.receive(self.mail(attachments=[("photo.png", b"\x89PNG\r\n\x1a\n", "image/png")])),
            "no_invoice",
        )
        self.assertHeld(
            self.receive(
                self.mail(
                    subject="not a pdf",
                    attachments=[("invoice.pdf", b"hello", "application/pdf")],
                )
            ),
            "no_invoice",
        )
        self.assertHeld(
            self.receive(
                self.mail(subject="empty", attachments=[("invoice.xml", b"", "application/xml")])
            ),
            "no_invoice",
        )
        self.receiver.processing = "xml"
        self.assertHeld(
            self.receive(
                self.mail(
                    subject="pdf for xml receiver",
                    attachments=[("scan.pdf", _pdf("scan"), "application/pdf")],
                )
            ),
            "no_invoice",
        )

    def test_hostile_xml_is_never_expanded(self):
        for name in ("no_invoice__billion_laughs", "no_invoice__external_entity"):
            raw = (DATA / "corpus" / f"{name}.eml").read_bytes()
            attachment = next(
                part.get_payload(decode=True)
                for part in email.message_from_bytes(raw).walk()
                if part.get_filename()
            )
            # The decoders never get a tree: refused before any parsing with a DTD.
            file_data = {"name": "x.xml", "raw": attachment, "mimetype": "application/xml"}
            self.assertIsNone(self.env["account.move"]._get_xml_tree(file_data), name)
            log = self.assertHeld(self.receive(raw), "no_invoice")
            self.assertFalse(log.move_ids)
        self.assertFalse(self.env["account.move"].search([("ref", "ilike", "root:")]))

    def test_too_large(self):
        self.env["ir.config_parameter"].sudo().set_param("account_email_receiver.max_size_mb", 1)
        big = self.mail(
            attachments=[
                ("i.xml", self.ubl, "application/xml"),
                ("big.pdf", b"%PDF-1.4\n" + b"0" * 1_200_000, "application/pdf"),
            ]
        )
        self.process(big)
        log = self.last_log()
        self.assertEqual((log.state, log.reason), ("held", "too_large"))
        kept = log.raw_attachment_id.raw
        self.assertTrue(big.startswith(kept), "its headers only: no copy of what is too large")
        self.assertIn(b"Subject: Invoice Snippet1", kept)
        self.assertLess(len(kept), 2000)
        with self.assertRaisesRegex(UserError, "Only the headers of this oversize mail"):
            log.with_user(self.accountant).action_release()

    def test_auto_submitted_and_bounces_get_no_notice(self):
        self.process(
            self.mail(
                attachments=(),
                sender="robot@evil.test",
                headers=[("Auto-Submitted", "auto-replied")],
            )
        )
        self.assertEqual(self.last_log().reason, "not_whitelisted")
        self.assertFalse(self.last_log().notice_sent)
        self.process(
            self.mail(attachments=(), sender="MAILER-DAEMON@evil.test", subject="Undelivered")
        )
        self.assertFalse(self.outgoing("accounts@supplier.example"))

    def test_no_notice_to_the_receivers_own_address(self):
        self.receiver.contact_email = self.receiver.alias_full_name
        self.process(self.mail(attachments=(), sender="x@evil.test"))
        self.assertFalse(self.last_log().notice_sent)


@tagged("post_install", "-at_install")
class TestGatewayDuplicates(EmailReceiverCommon):
    def test_redelivery_is_processed_once(self):
        raw = self.mail()
        self.process(raw)
        # The same mail again, through another relay that adds its own trace header.
        self.process(
            b"Received: from relay2 by mx.receiver.test with ESMTPS; "
            b"Mon, 23 Nov 2026 09:05:00 +0000\r\n" + raw
        )
        self.assertEqual(len(self.logs()), 1)
        self.assertEqual(len(self.logs().move_ids), 1)

    def test_two_workers_same_message_the_constraint_decides(self):
        """A second worker that did not yet see the first one's log (both
        transactions open) gets past the re-delivery check; the database
        constraint stops its log, and ConcurrencyError makes Odoo retry the
        whole delivery, which then finds the message done. (make concurrency
        runs the real race through the endpoint with two workers.)"""
        raw = self.mail()
        self.process(raw)
        log = self.last_log()
        Log = self.env["email.receiver.log"].sudo()
        # Inside a savepoint, as the gateway's callers make it.
        with (
            self.assertRaises(ConcurrencyError),
            mute_logger("odoo.sql_db"),
            self.env.cr.savepoint(),
        ):
            # the second worker's log of the same mail, as the mail enters
            Log._create_entering(self.receiver, IncomingMail.parse(raw))
        self.process(raw)  # the retry
        self.assertEqual(self.logs(), log)
        self.assertEqual(len(log.move_ids), 1)

    def test_reused_message_id_with_other_content_is_held(self):
        self.process(self.mail(message_id="<real@supplier.example>"))
        forged = self.mail(message_id="<real@supplier.example>", body="Pay to this other account")
        self.process(forged)
        logs = self.logs()
        self.assertEqual(logs.mapped("reason"), [False, "duplicate"])
        self.assertEqual(len(logs.move_ids), 1)

    def test_message_id_odoo_already_has_is_held(self):
        # Odoo's gateway drops a mail whose Message-Id it already stores (here a
        # message on the supplier); for a receiver that still ends in one held log.
        self.supplier.message_post(body="Earlier mail", message_id="<known@odoo.test>")
        self.process(self.mail(message_id="<known@odoo.test>"))
        log = self.last_log()
        self.assertEqual((len(self.logs()), log.state, log.reason), (1, "held", "duplicate"))
        self.assertFalse(log.move_ids)
        self.assertTrue(log.raw_attachment_id)

    def test_same_invoice_in_a_new_mail_is_held(self):
        """A reminder: the same invoice (number and amount) with a new
        Message-Id is held as a duplicate invoice (tests/test_reconciliation.py);
        the same number with another amount is a bill of its own, flagged by
        Odoo's duplicate check."""
        self.receiver.document_type = "purchase"
        self.process(self.mail(subject="first"))
        first = self.last_log().move_ids
        first.invoice_date = first.invoice_date or fields.Date.today()
        self.process(self.mail(subject="second"))
        self.assertRecordValues(
            self.last_log(),
            [{"state": "held", "reason": "duplicate_invoice", "duplicate_of_id": first.id}],
        )
        other_amount = self.ubl.replace(
            b'<cbc:TaxInclusiveAmount currencyID="EUR">1656.25<',
            b'<cbc:TaxInclusiveAmount currencyID="EUR">1700.00<',
        )
        self.process(
            self.mail(subject="third", attachments=[("i.xml", other_amount, "application/xml")])
        )
        third = self.last_log().move_ids
        self.assertEqual(third.state, "draft")
        self.assertIn("Possible duplicate", self.last_log().explanation)
        self.assertTrue(third.activity_ids)


@tagged("post_install", "-at_install")
class TestRelease(EmailReceiverCommon):
    def test_release_and_trust(self):
        raw = self.mail(sender="newbilling@othersupplier.example")
        self.process(raw)
        log = self.last_log()
        self.assertEqual(log.reason, "not_whitelisted")
        log.with_user(self.accountant).action_release_and_trust()
        self.assertEqual(log.state, "released")
        self.assertEqual(log.move_ids.amount_total, 1656.25)
        self.assertEqual(log.released_by_id, self.accountant)
        self.assertIn("newbilling@othersupplier.example", self.receiver.rule_ids.mapped("value"))
        self.assertIn("released", "\n".join(self.receiver.message_ids.mapped("body")))
        # From now on the same sender is trusted.
        self.process(
            self.mail("Snippet2", sender="newbilling@othersupplier.example", subject="next")
        )
        self.assertEqual(self.last_log().state, "accepted")
        self.assertEqual(len(self.logs()), 2)

    def test_bookkeeper_releases(self):
        self.process(self.mail(sender="x@unknown.example"))
        log = self.last_log()
        log.with_user(self.bookkeeper).action_release()
        self.assertEqual(log.state, "released")
        self.assertEqual(len(log.move_ids), 1)

    def test_an_alias_matched_on_its_local_part_takes_the_gateways_path(self):
        # Odoo matches an alias marked "local-part based" at any domain; the
        # gateway routes such mail like Odoo does, through the receiver.
        self.receiver.alias_id.sudo().alias_incoming_local = True
        self.process(self.mail(to="supplier-bills@elsewhere.example"))
        log = self.last_log()
        self.assertEqual((log.state, log.sender), ("accepted", TRUSTED_SENDER))
        self.assertEqual(log.move_ids.amount_total, 1656.25)

    def test_mail_around_the_gateways_path_is_held_and_never_answered(self):
        """A worker whose cached routing table does not know the receiver yet
        (another worker created it a moment ago) leaves the mail to stock
        Odoo, which still routes it to the receiver's alias. The stale cache is
        mocked: a second worker's cache cannot exist in this one process."""
        raw = self.mail()
        stranger = self.mail(
            attachments=(), sender="x@unknown.example", subject="Not from the supplier"
        )
        Receiver = type(self.env["email.receiver"])
        stale = RoutingTable(addresses=MappingProxyType({}), alias_ids=frozenset())
        with patch.object(Receiver, "_gateway_routing_table", lambda self: stale):
            self.process(raw)
            self.process(raw)  # the MTA's retry: still one log
            self.process(stranger)
        first, second = self.logs()
        self.assertEqual((second.state, second.reason), ("held", "not_whitelisted"))
        log = first
        self.assertEqual((log.state, log.reason), ("held", "error"))
        self.assertIn("before the gateway knew it", log.explanation)
        self.assertFalse(log.move_ids)
        self.assertTrue(log.raw_attachment_id, "the mail is kept")
        self.assertFalse(self.outgoing(TRUSTED_SENDER), "no answer to the sender")
        self.assertFalse(self.outgoing("unknown.example"), "no bounce to a stranger")
        # Released, it takes the gateway's path: a bill of the supplier.
        log.with_user(self.accountant).action_release()
        self.assertEqual(log.state, "released")
        self.assertRecordValues(
            log.move_ids, [{"partner_id": self.supplier.id, "amount_total": 1656.25}]
        )


def _pdf(text):
    """A small real PDF (reportlab)."""
    import io

    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.drawString(72, 720, text)
    pdf.save()
    return buffer.getvalue()
