from odoo import SUPERUSER_ID
from odoo.tests import tagged

from .common import SPF_PASS, EmailReceiverCommon


@tagged("post_install", "-at_install")
class TestSalesReceivers(EmailReceiverCommon):
    """Customer invoices: you are the supplier; the XML names the customer.
    The company is not registered on Peppol here, so sending on uses email
    with the UBL attached; tests/test_peppol.py covers the Peppol branch."""

    def setUp(self):
        super().setUp()
        self._use_for_customer_invoices()

    def test_posted_and_sent_on_with_ubl(self):
        self.process(self.mail(authenticated=True))
        invoice = self.last_log().move_ids
        self.assertRecordValues(
            invoice,
            [{"move_type": "out_invoice", "state": "posted", "amount_total": 1656.25}],
        )
        self.assertEqual(invoice.partner_id.name, "Buyer Official Name")
        sent = self.outgoing("lj@buyer.se")
        self.assertEqual(len(sent), 1)
        # The receiver's owner is the salesperson and the sender, not the cron's OdooBot.
        self.assertEqual(invoice.invoice_user_id, self.accountant)
        self.assertEqual(sent.email_from, self.accountant.email_formatted)
        self.assertTrue(
            any(a.name.endswith(".xml") for a in sent.attachment_ids),
            sent.attachment_ids.mapped("name"),
        )

    def test_sent_from_the_company_when_no_person_owns_the_receiver(self):
        # A receiver made by data (OdooBot owns it, as the demo's): its invoices
        # go out From the company, never From OdooBot's placeholder address.
        self.env.cr.execute(
            "UPDATE email_receiver SET create_uid = %s WHERE id = %s",
            [SUPERUSER_ID, self.receiver.id],
        )
        self.receiver.invalidate_recordset(["create_uid"])
        invoice = self.receive(authenticated=True).move_ids
        self.assertRecordValues(invoice, [{"state": "posted", "invoice_user_id": False}])
        sent = self.outgoing("lj@buyer.se")
        self.assertEqual(sent.email_from, self.company.email_formatted)

    def test_draft_type_stays_draft_and_is_not_sent(self):
        self.receiver.write({"document_type": "sale_draft", "auto_send_xml": False})
        self.process(self.mail(authenticated=True))
        invoice = self.last_log().move_ids
        self.assertRecordValues(invoice, [{"move_type": "out_invoice", "state": "draft"}])
        self.assertFalse(self.outgoing("lj@buyer.se"))

    def test_send_failure_leaves_an_activity(self):
        no_email = self.ubl.replace(b"<cbc:ElectronicMail>lj@buyer.se</cbc:ElectronicMail>", b"")
        self.process(
            self.mail(
                attachments=[("invoice.xml", no_email, "application/xml")], headers=[SPF_PASS]
            )
        )
        invoice = self.last_log().move_ids
        self.assertEqual(len(invoice), 1, "the invoice is never lost")
        self.assertIn("Could not send", " ".join(invoice.activity_ids.mapped("summary")))

    def test_post_failure_leaves_an_activity(self):
        self.env.ref("base.EUR").active = False
        self.process(self.mail(authenticated=True))
        invoice = self.last_log().move_ids
        self.assertEqual(invoice.state, "draft", "kept as a draft, never lost")
        self.assertIn("inactive currency", " ".join(invoice.activity_ids.mapped("note")))
