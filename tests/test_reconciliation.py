"""The bill equals the invoice (#15): each document is compared with the figures
its e-invoice declares; what differs is shown, never silently accepted.

The examples are the public EN 16931 ones (ConnectingEurope/eInvoicing-EN16931,
ubl/examples and cii/examples) and the OpenPEPPOL BIS 3 ones
(peppol-bis-invoice-3, rules/examples), unchanged, in tests/data/examples/.
"""

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from ..tools import evidence, reconciliation
from .common import DATA, EmailReceiverCommon

EXAMPLES = sorted((DATA / "examples").glob("*/*.xml"))
CURRENCIES = ("EUR", "NOK", "DKK", "SEK", "GBP", "HUF", "USD")


@tagged("post_install", "-at_install")
class TestReconciliation(EmailReceiverCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.currency"].search(
            [("name", "in", CURRENCIES), ("active", "=", False)]
        ).active = True

    def test_every_example_reconciles_or_is_flagged(self):
        """No silent discrepancy: accepted means equal to the cent."""
        self.assertGreaterEqual(len(EXAMPLES), 40)
        outcomes = {}
        for path in EXAMPLES:
            xml = path.read_bytes()
            doc = reconciliation.declared(evidence.safe_xml_tree(xml))
            # Each example goes to the company it is addressed to.
            self.company.write({"vat": doc.buyer_vat or False, "name": doc.buyer_name or "Buyer"})
            log = self.receive(xml=xml, subject=path.name, authenticated=True).with_user(
                self.bookkeeper
            )
            outcomes[path.name] = log.state
            if log.state == "held":
                # Only what a receiver must hold: an invoice already in Odoo.
                self.assertIn(log.reason, ("duplicate_invoice",), path.name)
                continue
            move = log.move_ids
            self.assertEqual(len(move), 1, path.name)
            created = {
                "total": move.amount_total,
                "untaxed": move.amount_untaxed,
                "tax": move.amount_tax,
                "residual": move.amount_total,
                "currency": move.currency_id.name,
            }
            found = reconciliation.differences(doc, created, move.currency_id.rounding)
            if log.state == "accepted":
                self.assertFalse(found, f"{path.name}: accepted, yet differs: {found}")
                self.assertFalse(move.email_receiver_review, path.name)
            else:
                self.assertEqual(log.state, "review", path.name)
                self.assertTrue(move.email_receiver_review, path.name)
                activity = move.activity_ids.filtered(
                    lambda a: a.summary.startswith("Needs review")
                )
                self.assertTrue(activity, path.name)
                for what, declared, ours in found:
                    for where in (activity.note, log.explanation):
                        self.assertIn(str(declared), where, f"{path.name} {what}")
                        self.assertIn(str(ours), where, f"{path.name} {what}")
        self.assertIn("accepted", outcomes.values())
        self.assertIn("review", outcomes.values())

    def test_missing_tax_is_flagged_and_a_tax_mapping_fixes_it(self):
        xml = (DATA / "examples" / "en16931" / "ubl-tc434-example3.xml").read_bytes()
        self.company.vat = "NO987654321MVA"
        ours = self.env["account.tax"].search(
            [("company_id", "=", self.company.id), ("amount", "=", 25)]
        )
        ours.active = False
        log = self.receive(xml=xml, subject="no 25% tax", authenticated=True).with_user(
            self.bookkeeper
        )
        bill = log.move_ids
        self.assertEqual(log.state, "review")
        self.assertIn("Could not retrieve the tax", bill.email_receiver_review)
        self.assertIn("2005.0", bill.email_receiver_review)
        self.assertEqual(bill.state, "draft")
        # The account it asks payment to was new: a person checks and trusts it.
        self.env["res.partner.bank"].browse(bill.partner_bank_id.id).allow_out_payment = True
        # The bookkeeper maps this supplier's 25% to a tax of its own; the
        # company's own 25% is back, and Odoo alone would pick that one.
        ours.active = True
        foreign = self.env["account.tax"].create(
            {
                "name": "Foreign VAT 25% (not deductible)",
                "amount": 25,
                "type_tax_use": "purchase",
                "company_id": self.company.id,
                "sequence": 99,
            }
        )
        ten = self.env["account.tax"].create(
            {
                "name": "Foreign VAT 10%",
                "amount": 10,
                "type_tax_use": "purchase",
                "company_id": self.company.id,
            }
        )
        self.receiver.with_user(self.accountant).write(
            {
                "tax_map_ids": [
                    Command.create({"rate": 25, "tax_id": foreign.id}),
                    Command.create({"rate": 10, "tax_id": ten.id}),
                ]
            }
        )
        log = self.receive(
            xml=xml.replace(b"TOSL108", b"TOSL108-B"), subject="mapped", authenticated=True
        ).with_user(self.bookkeeper)
        bill = log.move_ids
        self.assertEqual(log.state, "accepted", bill.email_receiver_review)
        self.assertEqual(bill.amount_total, 2005.0)
        self.assertEqual(bill.invoice_line_ids.tax_ids, foreign | ten)

    def test_reminder_is_held_as_duplicate_invoice(self):
        first = (
            self.receive(xml=self.ubl, subject="Invoice Snippet1", authenticated=True)
            .with_user(self.bookkeeper)
            .move_ids
        )
        self.assertEqual(first.amount_total, 1656.25)
        reminder = self.receive(
            xml=self.ubl, subject="Reminder: invoice Snippet1", authenticated=True
        ).with_user(self.bookkeeper)
        self.assertRecordValues(
            reminder,
            [{"state": "held", "reason": "duplicate_invoice", "duplicate_of_id": first.id}],
        )
        self.assertFalse(reminder.move_ids, "no second bill")
        self.assertIn(first.display_name, reminder.explanation)
        with self.assertRaisesRegex(UserError, "Release as a new invoice"):
            reminder.with_user(self.accountant).action_release()
        reminder.with_user(self.accountant).action_release_duplicate_invoice()
        self.assertEqual(len(reminder.move_ids), 1, "an explicit choice makes a second bill")

    def test_new_bank_account_is_flagged(self):
        xml = self.ubl.replace(b"IBAN32423940", b"NL91ABNA0417164300")
        log = self.receive(xml=xml, subject="pay elsewhere", authenticated=True).with_user(
            self.bookkeeper
        )
        bill = log.move_ids
        self.assertEqual(log.state, "review")
        self.assertIn("New bank account: NL91ABNA0417164300", bill.email_receiver_review)
        self.assertEqual(bill.state, "draft")
        self.assertFalse(bill.partner_bank_id.allow_out_payment, "never trusted for payments")
        self.assertIn("Needs review", " ".join(bill.activity_ids.mapped("summary")))
        # The known account is no news.
        self.assertEqual(
            self.receive(xml=self.invoice("Snippet2"), subject="usual account", authenticated=True)
            .with_user(self.bookkeeper)
            .state,
            "accepted",
        )

    def test_flagged_customer_invoice_is_neither_posted_nor_sent(self):
        self._use_for_customer_invoices()
        xml = self.ubl.replace(
            b'<cbc:PayableAmount currencyID="EUR">1656.25</cbc:PayableAmount>',
            b'<cbc:PayableAmount currencyID="EUR">1600.00</cbc:PayableAmount>',
        )
        log = self.receive(xml=xml, subject="payable differs", authenticated=True).with_user(
            self.bookkeeper
        )
        invoice = log.move_ids
        self.assertEqual(log.auth_result, "pass")
        self.assertEqual(log.state, "review")
        self.assertEqual(invoice.state, "draft")
        self.assertFalse(self.outgoing("lj@buyer.se"), "never sent")
        self.assertIn("1600.0", invoice.email_receiver_review)

    def test_invoice_for_another_company_is_held(self):
        xml = self.ubl.replace(b"SE4598375937", b"SE5560000000")
        log = self.receive(xml=xml, subject="for someone else", authenticated=True).with_user(
            self.bookkeeper
        )
        self.assertRecordValues(log, [{"state": "held", "reason": "not_addressed"}])
        self.assertFalse(log.move_ids)
        self.assertIn("SE5560000000", log.explanation)
        self.assertIn("SE4598375937", log.explanation)
        # A different name alone is flagged, not held.
        self.company.vat = False
        xml = self.ubl.replace(b"<cbc:CompanyID>SE4598375937</cbc:CompanyID>", b"")
        log = self.receive(
            xml=xml.replace(b"Snippet1", b"Snippet2"), subject="by name only", authenticated=True
        ).with_user(self.bookkeeper)
        self.assertEqual(log.state, "review")
        self.assertIn("addressed to Buyer Official Name", log.move_ids.email_receiver_review)

    def test_report_and_dashboard_show_needs_review(self):
        xml = self.ubl.replace(b"IBAN32423940", b"NL91ABNA0417164300")
        log = self.receive(xml=xml, subject="report", authenticated=True).with_user(self.bookkeeper)
        report = self.outgoing("accounts@supplier.example").filtered(
            lambda mail: "report" in (mail.subject or "")
        )
        self.assertIn("needs review", report.body_html)
        self.assertNotIn("NL91ABNA0417164300", report.body_html, "details stay inside")
        state = self.env["email.receiver.log"].with_user(self.bookkeeper).get_dashboard_state()
        self.assertEqual(state["review_count"], 1)
        self.assertEqual(log.state, "review")

    def test_hostile_figures_end_in_one_log(self):
        """Amounts that are no amounts ("inf", "NaN", text) compare as absent:
        one log, one bill, nothing raised."""
        for number, value in (("H1", b"inf"), ("H2", b"NaN"), ("H3", b"12,34 EUR")):
            xml = self.invoice(number).replace(
                b'<cbc:TaxInclusiveAmount currencyID="EUR">1656.25<',
                b'<cbc:TaxInclusiveAmount currencyID="EUR">' + value + b"<",
            )
            before = len(self.logs())
            log = self.receive(xml=xml, subject=f"hostile {number}", authenticated=True).with_user(
                self.bookkeeper
            )
            self.assertEqual(len(self.logs()), before + 1, number)
            self.assertIn(log.state, ("accepted", "review"), number)
            self.assertEqual(len(log.move_ids), 1, number)
