"""Each hole of the trust boundary, tried as the attacker would: with the real
account type (portal, internal, invoicing user, manager of another company),
through the ORM and through JSON-RPC over HTTP. Every test asserts on what the
attack would have produced: no verified address, no trusted mail, no leaked
text, no mail to the From, no second bill."""

import email
import io
import time
from pathlib import Path
from unittest.mock import patch

from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged
from odoo.tests.common import JsonRpcException
from odoo.tools import mute_logger
from odoo.tools.pdf import OdooPdfFileReader, OdooPdfFileWriter

from ..models import email_receiver_follow_up as follow_up_module
from ..tools import authentication
from ..tools.grants import earn
from .common import (
    RECEIVER_ADDRESS,
    SPF_PASS,
    TRUSTED_SENDER,
    EmailReceiverCommon,
    read_data,
)
from .test_sending_domain import SendingDomainCommon, _address

ACCESS = "odoo.exceptions.AccessError"
USER = "odoo.exceptions.UserError"


@tagged("post_install", "-at_install")
class TestSecurity(EmailReceiverCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.portal = cls.env["res.users"].create(
            {
                "name": "Pat Portal",
                "login": "portal_attacker",
                "password": "portal_attacker",
                "email": "pat@portal.test",
                "group_ids": [(6, 0, [cls.env.ref("base.group_portal").id])],
            }
        )
        cls.internal = cls._new_user("internal", "", name="Ivo Internal", email="ivo@company.test")
        cls.Address = cls.env["email.receiver.user.address"]

    def rpc(self, user, model, method, args, kwargs=None, context=None):
        """call_kw over JSON-RPC, as the web client does, logged in as ``user``."""
        self.authenticate(user.login, user.login)
        return self.make_jsonrpc_request(
            f"/web/dataset/call_kw/{model}/{method}",
            {
                "model": model,
                "method": method,
                "args": args,
                "kwargs": {**(kwargs or {}), "context": context or {}},
            },
        )

    def assertRefused(self, name, call):  # noqa: N802 - unittest style
        with self.assertRaises(JsonRpcException) as caught, mute_logger("odoo.http"):
            call()
        self.assertEqual(caught.exception.args[0], name)

    # 1. A portal user creates a verified extra address through res.users.

    def test_1_portal_user_gets_no_extra_address(self):
        command = [[0, 0, {"email": "attacker@evil.test", "verified": True}]]
        self.assertRefused(
            ACCESS,
            lambda: self.rpc(
                self.portal,
                "res.users",
                "write",
                [[self.portal.id], {"email_receiver_address_ids": command}],
            ),
        )
        with self.assertRaises(AccessError):
            self.portal.with_user(self.portal).write(
                {"email_receiver_address_ids": [(0, 0, {"email": "attacker@evil.test"})]}
            )
        self.assertFalse(self.Address.sudo().search([("email", "=", "attacker@evil.test")]))
        self.assertFalse(self.outgoing("attacker@evil.test"), "no confirmation link mailed")

    # 2. An internal user verifies their own address, or moves one.

    def test_2_internal_user_cannot_self_verify(self):
        self.assertRefused(
            ACCESS,
            lambda: self.rpc(
                self.internal,
                "email.receiver.user.address",
                "create",
                [{"email": "ivo@home.test", "verified": True}],
            ),
        )
        address_id = self.rpc(
            self.internal, "email.receiver.user.address", "create", [{"email": "ivo@home.test"}]
        )
        self.assertRefused(
            ACCESS,
            lambda: self.rpc(
                self.internal,
                "email.receiver.user.address",
                "write",
                [[address_id], {"verified": True}],
            ),
        )
        self.assertRefused(
            ACCESS,
            lambda: self.rpc(
                self.internal,
                "email.receiver.user.address",
                "write",
                [[address_id], {"user_id": self.accountant.id}],
            ),
        )
        # The same through res.users, which writes its own record as sudo.
        self.assertRefused(
            ACCESS,
            lambda: self.rpc(
                self.internal,
                "res.users",
                "write",
                [
                    [self.internal.id],
                    {"email_receiver_address_ids": [[1, address_id, {"verified": True}]]},
                ],
            ),
        )
        address = self.Address.sudo().browse(address_id)
        self.assertRecordValues(address, [{"verified": False, "user_id": self.internal.id}])
        # At most a handful of links waiting at once.
        for n in range(4):
            self.Address.with_user(self.internal).create({"email": f"ivo{n}@home.test"})
        with self.assertRaises(UserError):
            self.Address.with_user(self.internal).create({"email": "ivo-too-many@home.test"})

    # 3. The "verified users" rule: exact matching, confirmed addresses only.

    def test_3_verified_users_match_exactly(self):
        self.receiver.rule_ids = [(5, 0, 0), (0, 0, {"rule_type": "verified_users"})]
        alice = self._new_user("alice@outlook.test", "", name="Alice")
        confirmed = self.Address.with_user(alice).create({"email": "alice@home.test"})
        self.Address._confirm(confirmed.id, confirmed.sudo().token)  # her link, clicked
        self.Address.with_user(alice).create({"email": "alice@other.test"})
        alice.with_user(alice).email = "ceo@supplier.example"  # her profile, hers to change
        cases = {
            "alice@outlook.test": "accepted",  # her login
            "alice@home.test": "accepted",  # confirmed
            "al_ce@outlook.test": "held",  # _ is no wildcard
            "al%e@outlook.test": "held",
            "alice@other.test": "held",  # not confirmed, though another one is
            "ceo@supplier.example": "held",  # a profile email proves nothing
        }
        for sender, state in cases.items():
            self.process(self.mail(sender, sender=sender, subject=sender))
            self.assertEqual(self.last_log().state, state, sender)

    def other_company_receiver(self, **values):
        """A manager of another company, and a receiver they made there."""
        other = self.setup_other_company()["company"]
        manager_b = self._new_user("manager_b", "account.group_account_manager", company=other)
        other.alias_domain_id = self.alias_domain
        receiver_b = (
            self.env["email.receiver"]
            .with_user(manager_b)
            .create(
                {
                    "name": "B bills",
                    "alias_name": "b-bills",
                    "contact_email": "ap@b.test",
                    "company_id": other.id,
                    **values,
                }
            )
        )
        return manager_b, receiver_b

    # 4. A manager of another company moves a rule, or reads another attachment.

    def test_4_other_company_manager(self):
        manager_b, receiver_b = self.other_company_receiver(
            rule_ids=[(0, 0, {"rule_type": "everyone"})]
        )
        rule_b = receiver_b.rule_ids
        self.assertRefused(
            ACCESS,
            lambda: self.rpc(
                manager_b,
                "email.receiver.rule",
                "write",
                [rule_b.ids, {"receiver_id": self.receiver.id}],
            ),
        )
        self.assertEqual(self.receiver.rule_ids.mapped("rule_type"), ["domain"])
        # A log's kept mail is the gateway's to set: nobody writes it, and its
        # preview never reads another attachment.
        secret = self.env["ir.attachment"].create(
            {"name": "payroll.eml", "raw": b"Subject: payroll\n\nsalaries of company A"}
        )
        self.process(
            self.mail(attachments=(), sender="x@stranger.test", to="b-bills@receiver.test")
        )
        log_b = self.last_log(receiver_b)
        self.assertRefused(
            ACCESS,
            lambda: self.rpc(
                manager_b,
                "email.receiver.log",
                "write",
                [log_b.ids, {"raw_attachment_id": secret.id}],
            ),
        )
        log_b.sudo().raw_attachment_id = secret  # even if it were set
        preview = self.rpc(manager_b, "email.receiver.log", "read", [log_b.ids, ["preview_text"]])
        self.assertNotIn("salaries", preview[0]["preview_text"] or "")

    # 5. The processing report never goes to a From that may be forged.

    def test_5_no_report_to_a_forged_from(self):
        self.receiver.rule_ids = [(5, 0, 0), (0, 0, {"rule_type": "everyone"})]
        self.receiver.write({"everyone_confirmed": True, "send_processing_report": True})
        self.process(self.mail(sender="victim@anywhere.test", subject="Attacker-chosen subject"))
        self.assertEqual(self.last_log().state, "accepted")
        self.assertFalse(self.outgoing("victim@anywhere.test"))
        self.assertEqual(len(self.outgoing(self.receiver.contact_email)), 1)

    # 6. Release: a manager's right for the dangerous reasons; once; never twice a bill.

    def test_6_release_rights_and_once(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "account_email_receiver.authserv_ids", "mx.receiver.test"
        )
        forged = self.receive(
            sender=TRUSTED_SENDER,
            headers=[
                (
                    "Authentication-Results",
                    "mx.receiver.test; dmarc=fail header.from=supplier.example",
                )
            ],
        )
        self.assertEqual(forged.reason, "forged")
        self.assertRefused(
            ACCESS,
            lambda: self.rpc(self.bookkeeper, "email.receiver.log", "action_release", [forged.ids]),
        )
        self.assertEqual(forged.state, "held")
        self.assertFalse(forged.move_ids)
        # An untrusted sender: a bookkeeper may release it, once.
        stranger = self.receive(sender="billing@evil.test", subject="from a stranger")
        self.assertEqual(stranger.reason, "not_whitelisted")
        self.rpc(self.bookkeeper, "email.receiver.log", "action_release", [stranger.ids])
        stranger.invalidate_recordset()
        self.assertEqual(stranger.state, "released")
        self.assertEqual(len(stranger.move_ids), 1)
        self.assertRefused(
            USER,
            lambda: self.rpc(
                self.bookkeeper, "email.receiver.log", "action_release", [stranger.ids]
            ),
        )
        self.assertEqual(len(stranger.move_ids), 1, "no second bill")
        # Documents made before a failure (Odoo's mid-way commit): not released again.
        other = self.receive(sender="billing@evil.test", subject="half done")
        earn(self.env["account.move"]).create(  # as the gateway made it
            {"move_type": "in_invoice", "email_receiver_log_id": other.id}
        )
        with self.assertRaises(UserError):
            other.with_user(self.accountant).action_release()
        self.assertEqual(len(other.move_ids), 1)

    # 7. Authentication-Results: only above our entry hop; a trusted fail counts.

    def test_7_authentication_results_placement_and_fail(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "account_email_receiver.authserv_ids", "mx.receiver.test"
        )
        self.receiver.require_authentication = True
        below = self.mail(
            subject="written by the sender",
            below=[
                (
                    "Authentication-Results",
                    "mx.receiver.test; dmarc=pass header.from=supplier.example",
                )
            ],
        )
        self.process(below)
        self.assertRecordValues(
            self.last_log(),
            [{"state": "held", "reason": "unauthenticated", "auth_result": "none"}],
        )
        self.receiver.require_authentication = False
        for method in (
            "dkim=fail header.d=supplier.example",
            "spf=fail smtp.mailfrom=b@supplier.example",
        ):
            self.process(
                self.mail(
                    subject=method,
                    headers=[("Authentication-Results", f"mx.receiver.test; {method}")],
                )
            )
            self.assertRecordValues(
                self.last_log(), [{"state": "held", "reason": "forged", "auth_result": "fail"}]
            )

    # 8. Release is not a context key any RPC caller can set.

    def test_8_release_context_cannot_be_forged(self):
        raw = self.mail(sender="billing@evil.test")
        self.rpc(
            self.bookkeeper,
            "res.partner",
            "message_process",
            ["account.move", raw.decode()],
            {
                "custom_values": {
                    **self.receiver._alias_defaults(),
                    # where our own gateway hands Odoo its delivery
                    "email_receiver_delivery": {"release": self.receiver.id, "alias_ids": [1]},
                }
            },
            context={
                "email_receiver_release": self.receiver.id,
                "email_receiver_release_log": 1,
                "email_receiver_earned": True,
                "email_receiver_delivery": {"release": self.receiver.id, "alias_ids": [1]},
            },
        )
        log = self.last_log()
        self.assertRecordValues(log, [{"state": "held", "reason": "not_whitelisted"}])
        self.assertFalse(log.move_ids)
        self.assertFalse(
            self.env["account.move"].search([("partner_id", "=", self.supplier.id)]),
            "no bill from the forged release",
        )
        # Odoo's message_new is public too: called with a receiver's values and
        # a delivery of the caller's making, it is stock Odoo's, tied to no log.
        held = self.env["email.receiver.log"].search([("state", "=", "held")], limit=1)
        move_id = self.rpc(
            self.bookkeeper,
            "account.move",
            "message_new",
            [{"subject": "forged", "from": "billing@evil.test", "body": "x"}],
            {
                "custom_values": {
                    **self.receiver._alias_defaults(),
                    "email_receiver_delivery": {"log_ids": {str(self.receiver.id): held.id}},
                }
            },
        )
        move = self.env["account.move"].browse(move_id)
        self.assertRecordValues(move, [{"email_receiver_log_id": False, "state": "draft"}])
        self.assertFalse(held.move_ids)

    # 9. A tax mapping decides what a supplier's bills book; a duplicate invoice
    # makes a second bill only by an administrator's choice.

    def test_9_tax_mapping_and_duplicate_release_rights(self):
        tax = self.env["account.tax"].search(
            [("company_id", "=", self.company.id), ("type_tax_use", "=", "purchase")], limit=1
        )
        values = {"receiver_id": self.receiver.id, "rate": 25, "tax_id": tax.id}
        for user in (self.portal, self.internal, self.bookkeeper):
            self.assertRefused(
                ACCESS,
                lambda user=user: self.rpc(user, "email.receiver.tax.map", "create", [values]),
            )
        other = self.setup_other_company()["company"]
        manager_b = self._new_user("manager_b", "account.group_account_manager", company=other)
        self.assertRefused(
            ACCESS, lambda: self.rpc(manager_b, "email.receiver.tax.map", "create", [values])
        )
        self.assertFalse(self.receiver.tax_map_ids, "no mapping was made")
        # A reminder of a bill that exists: held; only an administrator makes a second bill.
        first = self.receive(sender=TRUSTED_SENDER, subject="first").move_ids
        reminder = self.receive(sender=TRUSTED_SENDER, subject="reminder")
        self.assertEqual((reminder.reason, reminder.duplicate_of_id), ("duplicate_invoice", first))
        self.assertRefused(
            ACCESS,
            lambda: self.rpc(
                self.bookkeeper,
                "email.receiver.log",
                "action_release_duplicate_invoice",
                [reminder.ids],
            ),
        )
        self.assertRefused(
            USER,
            lambda: self.rpc(
                self.accountant, "email.receiver.log", "action_release", [reminder.ids]
            ),
        )
        reminder.invalidate_recordset()
        self.assertEqual(reminder.state, "held")
        self.assertFalse(reminder.move_ids, "no second bill")

    def test_10_the_robot_layout_is_not_a_users_to_teach(self):
        # What the conversion robot read teaches a receiver where its supplier's
        # fields stand; faking it, or the layout itself, is refused over RPC.
        pdf = (Path(__file__).parent / "data" / "pdf" / "kwik-1.pdf").read_bytes()
        self.process(
            self.mail(attachments=[("kwik-1.pdf", pdf, "application/pdf")], headers=[SPF_PASS])
        )
        bill = self.last_log().move_ids
        fake = {"pages": 1, "lines": [[1, 10.0, [[0.0, 40.0, "Nonsense"], [50.0, 90.0, "X-1"]]]]}
        for values in ({"email_receiver_pdf_text": fake}, {"email_receiver_pdf": {"fields": {}}}):
            self.assertRefused(
                ACCESS,
                lambda values=values: self.rpc(
                    self.bookkeeper, "account.move", "write", [bill.ids, values]
                ),
            )
        self.assertRefused(
            ACCESS,
            lambda: self.rpc(
                self.bookkeeper,
                "account.move",
                "create",
                [{"move_type": "in_invoice", "email_receiver_pdf_text": fake}],
            ),
        )
        anchor = {"receiver_id": self.receiver.id, "field": "number", "label": "Nonsense"}
        other = self.setup_other_company()["company"]
        manager_b = self._new_user("manager_b", "account.group_account_manager", company=other)
        for user in (self.portal, self.internal, self.bookkeeper, manager_b):
            self.assertRefused(
                ACCESS,
                lambda user=user: self.rpc(user, "email.receiver.pdf.anchor", "create", [anchor]),
            )
        bill.invalidate_recordset()
        self.assertNotIn("Nonsense", str(bill.email_receiver_pdf_text))
        self.assertFalse(self.receiver.pdf_anchor_ids, "nothing was learned or made")

    # --------------------------------------------------
    # Round two (#26)
    # --------------------------------------------------

    # 3. Trace headers count only when the mail gateway wrote them.

    def test_11_trace_headers_of_a_users_own_making_count_for_nothing(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "account_email_receiver.authserv_ids", "mx.receiver.test"
        )

        def forged(subject, number):
            return self.mail(
                number,
                subject=subject,
                headers=[
                    (
                        "Authentication-Results",
                        "mx.receiver.test; dkim=pass header.d=supplier.example; "
                        "dmarc=pass header.from=supplier.example",
                    ),
                    SPF_PASS,
                ],
            ).decode()

        # The bookkeeper hands Odoo a mail with trace headers of their own making.
        self.rpc(self.bookkeeper, "mail.thread", "message_process", [False, forged("rpc", "R-1")])
        log = self.last_log()
        self.assertRecordValues(
            log,
            [
                {
                    "state": "accepted",
                    "through_gateway": False,
                    "auth_result": "none",
                    "used_tls": False,
                }
            ],
        )
        self.assertIn("not received through the mail gateway", log.auth_details)
        self.assertEqual(log.move_ids.state, "draft")
        self.assertFalse(self.receiver.tls_only, "an injected mail switches nothing on")
        # The same mail from odoo-mailgate's login (the Mail gateway group) counts.
        self.rpc(self.gateway_user, "mail.thread", "message_process", [False, forged("gw", "R-2")])
        self.assertRecordValues(
            self.last_log(),
            [{"state": "accepted", "through_gateway": True, "auth_result": "pass"}],
        )
        # Nobody grants themselves the group.
        group = self.env.ref("account_email_receiver.group_mail_gateway")
        self.assertRefused(
            ACCESS,
            lambda: self.rpc(
                self.accountant,
                "res.users",
                "write",
                [[self.accountant.id], {"group_ids": [[4, group.id]]}],
            ),
        )
        self.assertNotIn(group, self.accountant.group_ids)

    def test_12_injected_customer_invoice_is_never_posted_or_sent(self):
        self._use_for_customer_invoices()
        self.env["ir.config_parameter"].sudo().set_param(
            "account_email_receiver.authserv_ids", "mx.receiver.test"
        )
        raw = self.mail(
            headers=[
                (
                    "Authentication-Results",
                    "mx.receiver.test; dkim=pass header.d=supplier.example",
                )
            ]
        ).decode()
        self.rpc(self.accountant, "mail.thread", "message_process", [False, raw])
        log = self.last_log()
        self.assertRecordValues(log, [{"state": "accepted", "auth_result": "none"}])
        self.assertRecordValues(log.move_ids, [{"state": "draft", "is_move_sent": False}])

    # 4. A tax mapping or a learned PDF layout of another company moved onto ours.

    def test_13_no_link_moves_onto_another_companys_receiver(self):
        manager_b, receiver_b = self.other_company_receiver(
            pdf_anchor_ids=[(0, 0, {"field": "total", "label": "Nonsense"})]
        )
        tax_b = self.env["account.tax"].search(
            [("company_id", "=", receiver_b.company_id.id), ("type_tax_use", "=", "purchase")],
            limit=1,
        )
        receiver_b.with_user(manager_b).tax_map_ids = [(0, 0, {"rate": 25.0, "tax_id": tax_b.id})]
        for model, record in (
            ("email.receiver.tax.map", receiver_b.tax_map_ids),
            ("email.receiver.pdf.anchor", receiver_b.pdf_anchor_ids),
        ):
            self.assertRefused(
                ACCESS,
                lambda model=model, record=record: self.rpc(
                    manager_b, model, "write", [record.ids, {"receiver_id": self.receiver.id}]
                ),
            )
        self.assertFalse(self.receiver.tax_map_ids, "our bills take no mapping of theirs")
        self.assertFalse(self.receiver.pdf_anchor_ids, "nor their layout")

    # 5. Links that only the gateway makes.

    def test_14_a_user_links_no_document_to_a_received_mail(self):
        self.process(self.mail(sender="x@stranger.test"))
        held = self.last_log()
        self.assertEqual(held.state, "held")
        bill = {"move_type": "in_invoice", "partner_id": self.supplier.id}
        own = self.env["account.move"].with_user(self.bookkeeper).create(bill)
        fake = {"pages": 1, "lines": [[1, 10.0, [[0.0, 40.0, "Nonsense"], [50.0, 90.0, "X-1"]]]]}
        attempts = [
            ("create", [{**bill, "email_receiver_log_id": held.id}], {}),
            ("create", [bill], {"default_email_receiver_log_id": held.id}),
            ("write", [own.ids, {"email_receiver_log_id": held.id}], {}),
            # what the robot read, with the robot's old context key
            (
                "write",
                [own.ids, {"email_receiver_pdf_text": fake}],
                {"email_receiver_filling": True},
            ),
        ]
        for method, args, context in attempts:
            self.assertRefused(
                ACCESS,
                lambda method=method, args=args, context=context: self.rpc(
                    self.bookkeeper, "account.move", method, args, context=context
                ),
            )
        held.invalidate_recordset()
        self.assertFalse(held.move_ids)
        held.with_user(self.accountant).action_release()
        self.assertRecordValues(held, [{"state": "released"}])
        self.assertEqual(held.move_ids.amount_total, 1656.25, "the held mail is still released")

    # 6. A release makes documents through the released receiver only, once.

    def test_15_release_routes_to_the_released_receiver_only(self):
        journal = self.company_data["default_journal_purchase"]
        journal.alias_name = "vendor-bills"
        stock_alias = journal.alias_id.alias_full_name
        journal.alias_id.alias_status = "valid"  # it has received mail before
        Move = self.env["account.move"]
        start = Move.search_count([("journal_id", "=", journal.id)])
        held = self.receive(
            sender="billing@evil.test", to=f"supplier-bills@receiver.test, {stock_alias}"
        )
        self.assertEqual(held.reason, "not_whitelisted")
        before = Move.search_count([("journal_id", "=", journal.id)])
        self.assertEqual(before, start + 1, "the journal's own alias took the mail (stock Odoo)")
        held.with_user(self.bookkeeper).action_release()
        self.assertEqual(len(held.move_ids), 1)
        self.assertEqual(
            Move.search_count([("journal_id", "=", journal.id)]),
            before + 1,
            "the journal's alias makes no second bill from the released mail",
        )

    def test_16_the_recheck_never_releases_what_a_person_released(self):
        self.receiver.require_authentication = True
        self.process(self.mail(subject="DNS was silent"))
        log = self.last_log()
        log.sudo().write({"reason": "unverified"})  # as when DNS did not answer
        mail = log._kept_mail()
        log.with_user(self.accountant).action_release()
        self.assertEqual(len(log.move_ids), 1)
        # The cron had decided to release it before the bookkeeper's click.
        log.sudo()._release_automatically(
            {"auth_result": "pass", "auth_details": "dkim=pass", "auth_header": False}, mail
        )
        log.invalidate_recordset()
        self.assertEqual(len(log.move_ids), 1, "no second bill")
        self.assertEqual(log.state, "released")

    # 8, 9, 13. The same invoice again, whatever its packaging; no currency.

    def test_17_an_invoice_resent_differently_is_a_duplicate(self):
        first = self.receive(
            attachments=[("a.xml", self.invoice("CASE-9"), "application/xml")], subject="first"
        )
        self.assertEqual(first.move_ids.ref, "CASE-9")
        again = self.receive(
            attachments=[("b.xml", self.invoice(" case-9 "), "application/xml")], subject="again"
        )
        self.assertRecordValues(again, [{"state": "held", "reason": "duplicate_invoice"}])
        # A payable rounding (BT-114): Odoo books it as a line of its own.
        rounded = self.invoice("ROUND-1").replace(
            b'<cbc:PayableAmount currencyID="EUR">1656.25</cbc:PayableAmount>',
            b'<cbc:PayableRoundingAmount currencyID="EUR">0.05</cbc:PayableRoundingAmount>'
            b'<cbc:PayableAmount currencyID="EUR">1656.30</cbc:PayableAmount>',
        )
        self.assertEqual(
            self.receive(
                attachments=[("r.xml", rounded, "application/xml")], subject="rounded"
            ).state,
            "accepted",
        )
        second = self.receive(
            attachments=[("r2.xml", rounded, "application/xml")], subject="rounded again"
        )
        self.assertRecordValues(second, [{"state": "held", "reason": "duplicate_invoice"}])
        self.assertEqual(self.env["account.move"].search_count([("ref", "=ilike", "round-1")]), 1)

    def test_18_a_facturx_pdf_sent_twice_is_a_duplicate(self):
        # Odoo's CII sample charges 21% and 12% VAT: the bill equals the invoice.
        self.env["account.tax"].create(
            [
                {"name": f"VAT {rate}% (purchase)", "amount": rate, "type_tax_use": "purchase"}
                for rate in (21, 12)
            ]
        )
        corpus = email.message_from_bytes(read_data("corpus/accepted__facturx.eml"))
        pdf = next(
            part.get_payload(decode=True)
            for part in corpus.walk()
            if part.get_content_type() == "application/pdf"
        )
        first = self.receive(
            attachments=[("facturx.pdf", pdf, "application/pdf")], subject="Factur-X"
        )
        self.assertEqual(first.move_ids.ref, "INV/2017/01/0003", first.explanation)
        again = self.receive(
            attachments=[("facturx.pdf", pdf, "application/pdf")], subject="Factur-X reminder"
        )
        self.assertRecordValues(again, [{"state": "held", "reason": "duplicate_invoice"}])
        self.assertFalse(again.move_ids)

    def test_19_a_document_without_currency_is_flagged(self):
        raw = self.invoice("NOCUR-1").replace(
            b"<cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>", b""
        )
        bill = self.receive(
            attachments=[("n.xml", raw, "application/xml")], subject="no currency"
        ).move_ids
        self.assertEqual(len(bill), 1)
        self.assertIn("The invoice states no currency", bill.email_receiver_review)

    # 12. The processing report: rate-limited per contact, in our own words.

    def test_20_processing_reports_are_bounded(self):
        self.receiver.send_processing_report = True
        long_name = "Pay now at https evil.example " * 10 + ".xml"
        with patch.object(follow_up_module, "REPORTS_PER_HOUR", 3):
            for number in range(5):
                self.process(
                    self.mail(
                        subject=f"URGENT wire to IBAN XX99 EVIL {number}",
                        attachments=[(long_name, self.invoice(f"RL-{number}"), "application/xml")],
                    )
                )
        self.assertEqual(len(self.logs().move_ids), 5, "every mail made its bill")
        reports = self.outgoing(self.receiver.contact_email)
        self.assertEqual(len(reports), 3, "at most three reports an hour to one contact")
        for report in reports:
            self.assertNotIn("EVIL", report.subject, "not the sender's subject")
            self.assertIn("Processing report", report.subject)
            self.assertNotIn("EVIL", report.body_html)
            self.assertNotIn(long_name, report.body_html, "file names bounded")

    # 7. A release runs the document checks that the hold came before.

    def test_21_a_release_checks_the_documents_too(self):
        other_buyer = self.invoice("NA-1").replace(b"SE4598375937", b"SE1111111111")
        self.process(
            self.mail(
                sender="billing@evil.test",
                subject="not for us",
                attachments=[("i.xml", other_buyer, "application/xml")],
            )
        )
        held = self.last_log()
        self.assertEqual(held.reason, "not_whitelisted")
        with self.assertRaisesRegex(UserError, "SE1111111111"):
            held.with_user(self.bookkeeper).action_release()
        held.invalidate_recordset()
        self.assertRecordValues(held, [{"state": "held", "reason": "not_whitelisted"}])
        self.assertFalse(held.move_ids)
        held.with_user(self.accountant).action_release()  # the administrator's decision
        self.assertEqual(held.state, "released")
        # An invoice already in Odoo, held for its sender: a duplicate on release.
        first = self.receive(
            attachments=[("a.xml", self.invoice("DUP-7"), "application/xml")], subject="first"
        )
        self.assertEqual(first.move_ids.ref, "DUP-7")
        self.process(
            self.mail("DUP-7", sender="billing@evil.test", subject="again from a stranger")
        )
        again = self.last_log()
        for user in (self.bookkeeper, self.accountant):
            with self.assertRaisesRegex(UserError, "already in Odoo"):
                again.with_user(user).action_release()
        again.with_user(self.accountant).action_release_duplicate_invoice()
        self.assertEqual(len(again.move_ids), 1, "by explicit choice only")

    # 8. What a Factur-X PDF shows and what it embeds.

    def test_22_a_facturx_pdf_that_shows_another_total_is_flagged(self):
        self.receiver.processing = "both"
        # A real PDF (total 1,092.63 on its page) embedding an e-invoice of 1,656.25.
        visible = read_data("pdf/reportlab-en-classic.pdf")
        writer = OdooPdfFileWriter()
        writer.cloneReaderDocumentRoot(OdooPdfFileReader(io.BytesIO(visible), strict=False))
        writer.add_attachment("factur-x.xml", self.invoice("FX-22"), subtype="text/xml")
        stream = io.BytesIO()
        writer.write(stream)
        log = self.receive(
            attachments=[("fx.pdf", stream.getvalue(), "application/pdf")], subject="Factur-X"
        )
        bill = log.move_ids
        self.assertRecordValues(bill, [{"ref": "FX-22", "amount_total": 1656.25}])
        self.assertIn("The PDF shows a total of 1092.63", bill.email_receiver_review)
        self.assertEqual(log.state, "review")

    # 10. The HTTP endpoint: the recipients signed with the body, and no replay.

    def test_23_a_signed_delivery_is_neither_redirected_nor_replayed(self):
        set_param = self.env["ir.config_parameter"].sudo().set_param
        self.env["email.receiver.inbound"]._generate_secret()
        secret = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("account_email_receiver.inbound_secret")
        )
        set_param("account_email_receiver.inbound_hmac_key", "sign-key")
        raw = self.mail(to="accounts@elsewhere.test", authenticated=True)
        now = str(int(time.time()))

        def post(signature):
            return self.url_open(
                "/email_receiver/inbound",
                data=raw,
                method="POST",
                timeout=60,
                headers={
                    "Content-Type": "message/rfc822",
                    "Authorization": f"Bearer {secret}",
                    "X-Email-Receiver-Timestamp": now,
                    "X-Email-Receiver-Signature": signature,
                    "X-Email-Receiver-Recipients": RECEIVER_ADDRESS,
                },
            )

        # Signed for a mail to nobody of ours; an attacker adds our receiver.
        self.assertEqual(
            post(authentication.delivery_signature("sign-key", now, "", raw)).status_code, 403
        )
        self.assertFalse(self.logs())
        signed = authentication.delivery_signature("sign-key", now, RECEIVER_ADDRESS, raw)
        self.assertEqual(post(signed).status_code, 202)
        self.assertEqual(post(signed).status_code, 403, "the same request again: a replay")
        self.assertEqual(len(self.logs()), 1)
        self.assertEqual(self.logs().move_ids.amount_total, 1656.25)

    # 11. The whitelabel From (tests/test_sending_domain.py serves its DNS records).

    # 24. Read again: only a user of the bill's company who may edit it.

    def test_24_read_again_is_the_bills_companys(self):
        Move = type(self.env["account.move"])
        trouble = RuntimeError("the worker ran out of memory")
        pdf = read_data("pdf/reportlab-nl-rates.pdf")
        with patch.object(Move, "_email_receiver_read_pdf", side_effect=trouble):
            log = self.receive(
                attachments=[("invoice.pdf", pdf, "application/pdf")], authenticated=True
            )
        bill = log.move_ids
        self.assertRecordValues(bill, [{"email_receiver_reading": "failed"}])
        manager_b, _receiver_b = self.other_company_receiver()
        for user in (self.portal, manager_b):
            with self.subTest(user=user.login):
                self.assertRefused(
                    ACCESS,
                    lambda user=user: self.rpc(
                        user, "account.move", "action_email_receiver_read_again", [bill.ids]
                    ),
                )
        self.assertRecordValues(bill, [{"email_receiver_reading": "failed"}])
        self.rpc(self.bookkeeper, "account.move", "action_email_receiver_read_again", [bill.ids])
        self.assertRecordValues(bill, [{"email_receiver_reading": "queued"}])


@tagged("post_install", "-at_install")
class TestWhitelabelTrust(SendingDomainCommon):
    """#26, hole 11: a verified domain lends its From only to its own company's
    users, for their customer invoices, from an address that is theirs."""

    def test_profile_email_is_not_a_users_own_address(self):
        # Any user may set their profile email to the boss's address.
        self.alias_domain.default_from = "notifications"
        self.verify(self.new_domain("good.test"))
        clerk = self._new_user(
            "clerk", "account.group_account_invoice", name="Cleo Clerk", email="ceo@good.test"
        )
        message, invoice = self.send_invoice(clerk)
        self.assertEqual(_address(message["From"])[1], "notifications@receiver.test")
        alert = self.alerts(clerk, invoice)["account_email_receiver_whitelabel"]
        self.assertIn("neither", alert["message"])

    def test_a_confirmed_extra_address_is_the_users_own(self):
        self.alias_domain.default_from = "notifications"
        self.verify(self.new_domain("good.test"))
        clerk = self._new_user(
            "clerk", "account.group_account_invoice", name="Cleo Clerk", email="cleo@good.test"
        )
        # Confirmed by the link mailed to it (its token is the proof).
        address = (
            self.env["email.receiver.user.address"]
            .with_user(clerk)
            .create({"email": "cleo@good.test"})
        )
        address._confirm(address.id, address.sudo().token)
        message, _invoice = self.send_invoice(clerk)
        self.assertEqual(_address(message["From"]), ("Cleo Clerk", "cleo@good.test"))

    def test_another_company_cannot_claim_a_verified_domain(self):
        domain = self.new_domain("good.test")
        self.verify(domain)
        self.assertEqual(domain.state, "verified")
        other = self.setup_other_company()["company"]
        theirs = self.env["email.sending.domain"].create(
            {"name": "good.test", "company_id": other.id}
        )
        self.assertNotEqual(
            theirs.record_ids.mapped("host"), domain.record_ids.mapped("host"), "own records"
        )
        self.verify(theirs)
        self.assertNotEqual(theirs.state, "verified")
