"""One bill per invoice document (#28), whatever the packaging: several
invoices in one mail, a ZIP of invoices, an invoice with its delivery note,
terms and logo beside it. Archives are opened within bounds; a mail with no
document is held with its own reason, and nobody but the contact hears of it."""

import io
import zipfile

from reportlab.pdfgen import canvas

from odoo.tests import tagged

from ..tools import evidence
from .common import EmailReceiverCommon, read_data

PDF_INVOICES = ("reportlab-en-classic.pdf", "fpdf2-en.pdf", "wkhtmltopdf-en.pdf")


def text_pdf(*lines):
    """A one-page PDF with these lines of text."""
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, invariant=1)
    for number, line in enumerate(lines):
        page.drawString(72, 720 - 16 * number, line)
    page.save()
    return buffer.getvalue()


def zip_of(files, compression=zipfile.ZIP_DEFLATED):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in files:
            archive.writestr(name, content)
    return buffer.getvalue()


TERMS = text_pdf("General terms and conditions", "1. Invoices are payable within 30 days.")
DELIVERY_NOTE = text_pdf("Delivery note", "Order 4711: 3 pallets", "Received in good order")
LOGO = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@tagged("post_install", "-at_install")
class TestDocuments(EmailReceiverCommon):
    # --------------------------------------------------
    # Several invoices in one mail
    # --------------------------------------------------

    def test_three_invoice_pdfs_make_three_bills(self):
        log = self.receive(
            attachments=[
                (name, read_data(f"pdf/{name}"), "application/pdf") for name in PDF_INVOICES
            ],
            authenticated=True,
            subject="Invoices",
        )
        self.assertEqual(len(log.move_ids), 3, log.explanation)
        self.assertEqual(
            sorted(log.move_ids.mapped("ref")), ["INV-10293", "INV-10388", "INV-10455"]
        )

    def test_xml_and_its_pdf_make_one_bill(self):
        log = self.receive(
            attachments=[
                ("Snippet1.xml", self.ubl, "application/xml"),
                ("Snippet1.pdf", text_pdf("Invoice Snippet1"), "application/pdf"),
            ],
            authenticated=True,
            subject="Invoices",
        )
        self.assertRecordValues(log.move_ids, [{"ref": "Snippet1", "amount_total": 1656.25}])

    def test_logo_terms_and_delivery_note_make_no_bill(self):
        invoice = read_data("pdf/reportlab-en-classic.pdf")
        log = self.receive(
            attachments=[
                ("invoice.pdf", invoice, "application/pdf"),
                ("terms.pdf", TERMS, "application/pdf"),
                ("delivery-note.pdf", DELIVERY_NOTE, "application/pdf"),
                ("logo.png", LOGO, "image/png"),
            ],
            authenticated=True,
            subject="Invoices",
        )
        bill = log.move_ids
        self.assertEqual(len(bill), 1, log.explanation)
        self.assertEqual(bill.ref, "INV-10293")
        self.assertIn("terms.pdf", bill.attachment_ids.mapped("name"), "kept on the bill")
        self.assertIn("delivery-note.pdf", bill.attachment_ids.mapped("name"))
        self.assertIn("logo.png", bill.message_ids.attachment_ids.mapped("name"), "in its chatter")
        self.assertIn(
            "Not an invoice, so no bill of its own: terms.pdf, delivery-note.pdf", log.explanation
        )
        # The report names attachments by place and kind, never by the sender's file name.
        results = {line["name"]: line["result"] for line in log._report_lines()}
        self.assertEqual(
            list(results),
            [
                "Attachment 1 (PDF)",
                "Attachment 2 (PDF)",
                "Attachment 3 (PDF)",
                "Attachment 4",
            ],
        )
        self.assertIn("INV-10293", results["Attachment 1 (PDF)"])
        self.assertIn("kept on the bill", results["Attachment 2 (PDF)"])
        # Terms alone are no invoice: the robot reads them after the mail, so
        # the one draft stays, says so and is never posted.
        log = self.receive(
            attachments=[("terms.pdf", TERMS, "application/pdf")],
            authenticated=True,
            subject="Our terms",
        )
        self.assertRecordValues(log, [{"state": "review", "reason": False}])
        self.assertRecordValues(
            log.move_ids, [{"state": "draft", "invoice_line_ids": [], "email_receiver_pdf": False}]
        )
        self.assertIn(
            "Not an invoice: the conversion robot found no invoice in terms.pdf",
            log.move_ids.email_receiver_review,
        )
        self.assertEqual(log.move_ids.attachment_ids.mapped("name"), ["terms.pdf"])

    def test_a_mail_without_a_document_is_held_with_its_reason(self):
        log = self.receive(
            attachments=[],
            authenticated=True,
            subject="Invoices",
            body="Your invoice is ready: https://portal.example/i/123",
        )
        self.assertRecordValues(log, [{"state": "held", "reason": "no_document"}])
        self.assertIn("no attachment", log.explanation)
        self.assertFalse(self.outgoing("billing@supplier.example"), "never to the sender")
        self.assertTrue(self.outgoing(self.receiver.contact_email), "the contact hears of it")

    # --------------------------------------------------
    # ZIP archives
    # --------------------------------------------------

    def test_a_zip_of_two_invoices_makes_two_bills(self):
        archive = zip_of(
            [("a/ZIP-1.xml", self.invoice("ZIP-1")), ("b/ZIP-2.xml", self.invoice("ZIP-2"))]
        )
        log = self.receive(
            attachments=[("invoices.zip", archive, "application/zip")],
            authenticated=True,
            subject="Invoices",
        )
        self.assertEqual(log.state, "accepted", log.explanation)
        self.assertEqual(sorted(log.move_ids.mapped("ref")), ["ZIP-1", "ZIP-2"])
        self.assertEqual(log.move_ids.mapped("amount_total"), [1656.25, 1656.25])

    def test_hostile_zips_are_held_with_their_reason(self):
        # Refused from the archive's directory, before anything is unpacked.
        bomb = zip_of([("invoice.xml", b"<a>" + b" " * (60 * 1024 * 1024) + b"</a>")])
        crowd = zip_of([(f"{n}.xml", b"<a/>") for n in range(10000)], zipfile.ZIP_STORED)
        for name, archive, problem in (
            ("bomb.zip", bomb, "ZIP bomb"),
            ("crowd.zip", crowd, "more than 100 files"),
        ):
            with self.subTest(name=name):
                log = self.receive(
                    attachments=[(name, archive, "application/zip")],
                    authenticated=True,
                    subject=name,
                )
                self.assertRecordValues(log, [{"state": "held", "reason": "unreadable_archive"}])
                self.assertIn(problem, log.explanation)
                self.assertFalse(log.move_ids)

    def test_archive_members_are_bounded(self):
        with self.assertRaises(evidence.ArchiveRefused) as refused:
            evidence.archive_members(b"PK\x03\x04 not really a zip")
        self.assertEqual(refused.exception.problem, "damaged")
        # An office document is a ZIP too, but no archive of invoices.
        docx = zip_of([("[Content_Types].xml", b"<Types/>"), ("word/document.xml", b"<w/>")])
        self.assertEqual([d.kind for d in evidence.documents([("terms.docx", docx)])], [None])
        nested = zip_of([("inner.zip", zip_of([("x.xml", b"<x/>")])), ("y.xml", b"<y/>")])
        self.assertEqual(evidence.archive_members(nested), [("y.xml", b"<y/>")])
