"""The conversion robot: PDF invoices without an e-invoice become filled
drafts, checked against the PDF's own totals, and it learns a supplier's layout.

The corpus in data/pdf/ (dev/make_pdf_corpus.py) holds invoices written by
reportlab, fpdf2, Chromium, wkhtmltopdf and Odoo's own invoice report, in
Dutch, English, German and French; corpus.json says what each invoice says.
"""

import datetime
import io
import json
from datetime import timedelta
from pathlib import Path
from unittest.mock import patch

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import freeze_time, tagged

from ..tools import pdf_invoice
from ..tools.pdf_invoice import SUMMARY as SCORED
from ..tools.pdf_invoice import (
    Limits,
    Text,
    Unreadable,
    find,
    learn,
    parse_amount,
    read,
    tax_lines,
)
from .common import SPF_PASS, EmailReceiverCommon

PDF = Path(__file__).parent / "data" / "pdf"
CORPUS = json.loads((PDF / "corpus.json").read_text())
REAL = json.loads((PDF / "real" / "truth.json").read_text())  # ZUGFeRD/corpus, XML removed
BUYER_VAT = "NL850002321B01"  # the company the corpus invoices are addressed to


def pdf(name):
    return (PDF / name).read_bytes()


def invoice_pdf(name, content=None):
    """A supplier's authenticated mail with one PDF invoice: ``receive``'s arguments."""
    return {
        "attachments": [(name, content or pdf(name), "application/pdf")],
        "subject": f"Invoice {name}",
        "authenticated": True,
    }


def extracted(invoice):
    return invoice.summary(BUYER_VAT)


@tagged("post_install", "-at_install")
class TestPdfExtraction(EmailReceiverCommon):
    """The robot's reading, on the corpus: no database involved but Odoo's
    test runner."""

    def test_corpus_fields_are_right(self):
        self.assertGreaterEqual(len(CORPUS), 20)
        self.assertGreaterEqual(len({row["producer"] for row in CORPUS.values()}), 5)
        self.assertEqual({row["lang"] for row in CORPUS.values()}, {"nl", "en", "de", "fr"})
        right = total = 0
        for name, expected in CORPUS.items():
            invoice = find(read(pdf(name)))
            got = extracted(invoice)
            for field in SCORED:
                total += 1
                if got[field] == expected[field]:
                    right += 1
                    continue
                # Never a silent wrong value: what is wrong is absent or uncertain.
                found = invoice.fields.get(field)
                self.assertTrue(
                    found is None or found.confidence == "low",
                    f"{name}: {field} is {got[field]!r} ({found}), the invoice says "
                    f"{expected[field]!r}",
                )
        self.assertGreaterEqual(right / total, 0.95, f"{right} of {total} fields right")

    def test_one_correction_per_supplier_makes_the_next_invoice_right(self):
        first, second = read(pdf("kwik-1.pdf")), read(pdf("kwik-2.pdf"))
        self.assertNotEqual(extracted(find(second)), {k: CORPUS["kwik-2.pdf"][k] for k in SCORED})
        expected = CORPUS["kwik-1.pdf"]
        anchors = [
            learn(first, "number", expected["number"]),
            learn(first, "date", datetime.date.fromisoformat(expected["date"])),
        ]
        self.assertEqual([a.label for a in anchors], ["Doc. ref.", "Opgemaakt"])
        self.assertEqual(
            extracted(find(second, anchors)), {k: CORPUS["kwik-2.pdf"][k] for k in SCORED}
        )

    def test_number_styles(self):
        for text, value in (
            ("1.234,56", 1234.56),
            ("1,234.56", 1234.56),
            ("1 234,56", 1234.56),
            ("1234.56", 1234.56),
            ("-12,00", -12.0),
            ("(12.00)", -12.0),
            ("1.234", None),
        ):
            self.assertEqual(parse_amount(text), value, text)

    def test_hostile_pdfs_end_with_their_reason(self):
        # Each within the reader's own limits (a child process, killed past them).
        # The time they take: make bench.
        limits = Limits(seconds=5)
        for name, kind in (
            ("too_many_pages", "too_many_pages"),
            ("compression_bomb", "too_complex"),
            ("broken_xref", "damaged"),
            ("encrypted", "encrypted"),
        ):
            with self.assertRaises(Unreadable) as caught:
                read(pdf(f"hostile/{name}.pdf") + b"\n% fresh", limits)  # not from the cache
            self.assertEqual(caught.exception.kind, kind, name)
        with self.assertRaises(Unreadable) as caught:
            read(b"%PDF-1.7\n" + b"0" * 200, Limits(max_bytes=100))
        self.assertEqual(caught.exception.kind, "too_large")

    def test_scans_are_read_by_ocr(self):
        # no text layer (a picture; a report whose font was drawn as outlines):
        # Tesseract reads the pages, and the text says so
        for name in ("scan.pdf", "no-text-layer-odoo-wkhtmltopdf.pdf"):
            self.assertFalse(read(pdf(name), Limits(ocr_pages=0)).has_text, name)
            scanned = read(pdf(name))
            self.assertTrue(scanned.has_text and scanned.ocr, name)
            self.assertEqual(Text.from_json(scanned.to_json()), scanned)
        text = read(pdf("odoo-report-nl.pdf"))
        self.assertTrue(text.has_text)
        self.assertFalse(text.ocr)
        self.assertEqual(Text.from_json(text.to_json()).lines, text.lines)


@tagged("post_install", "-at_install")
class TestRealInvoices(EmailReceiverCommon):
    """The robot on invoices from other producers (data/pdf/real/, from the
    public ZUGFeRD/corpus, their embedded XML removed and kept as the truth):
    the traps of real layouts, the arithmetic that decides, credit notes."""

    def test_real_invoices_are_read_right_and_sure(self):
        for name, truth in REAL.items():
            with self.subTest(name):
                invoice = find(read(pdf(f"real/{name}")))
                self.assertEqual(invoice.value("number"), truth["number"])
                self.assertEqual(invoice.value("date").isoformat(), truth["date"])
                self.assertAlmostEqual(abs(invoice.value("total")), abs(truth["total"]), 2)
                self.assertAlmostEqual(abs(invoice.value("tax")), abs(truth["tax"]), 2)
                self.assertEqual(invoice.credit_note, truth["kind"] == "refund")
                # the total closes the arithmetic: untaxed + VAT = total
                self.assertEqual(invoice.fields["total"].confidence, "high")
                self.assertIn(("adds_up", ""), invoice.fields["total"].how)

    def test_layouts_of_other_producers(self):
        # invoice2data's test set (MIT): a number under a lone "Factuur" in a
        # row of column headers; "INVOICE" over "# invoice_number_1"; whole
        # rupees behind their currency. The truth is invoice2data's JSON.
        for name, number, date, total in (
            ("saeco-kopie-factuur-nl.pdf", "VF1005193039", "2022-09-08", 49.99),
            ("invoice-hash-number-en.pdf", "invoice_number_1", "2022-01-01", 127.5),
            ("oyo-payment-receipt-in.pdf", None, "2017-12-31", 1939.0),
        ):
            with self.subTest(name):
                invoice = find(read(pdf(f"real/{name}")))
                self.assertEqual(invoice.value("number"), number)
                self.assertEqual(invoice.value("date").isoformat(), date)
                self.assertEqual(invoice.value("total"), total)
                if number:  # read from a generic word: never certain
                    self.assertEqual(invoice.fields["number"].confidence, "medium")

    def test_the_total_of_the_surcharges_is_no_total(self):
        # "Gesamtbetrag der Zuschläge 0,00" stands above "Bruttosumme 529,87"
        invoice = find(read(pdf("real/ferd-handelsrechnung-de.pdf")))
        self.assertEqual(invoice.value("total"), 529.87)
        self.assertEqual(invoice.value("untaxed"), 473.0)
        # the number and the date come from the title "Handelsrechnung (380) Nr. 471102 vom ..."
        self.assertEqual(invoice.fields["number"].how, (("label", "Handelsrechnung (380) Nr."),))

    def test_a_down_payment_does_not_lower_the_total(self):
        # Total TTC 671,15; "Solde à payer 470,15" after a transfer of 201,00
        invoice = find(read(pdf("real/fnfe-facture-fr.pdf")))
        self.assertEqual(invoice.value("total"), 671.15)
        self.assertEqual(invoice.value("untaxed"), 624.9)

    def test_two_labels_on_one_line_each_keep_their_amount(self):
        # Coolblue: "Exclusief BTW € 593,36 Subtotaal € 717,97", and a header
        # column "Prijs incl. BTW" over an item of 4,24 that is no total
        invoice = find(read(pdf("real/coolblue-factuur-nl.pdf")))
        self.assertEqual(invoice.value("untaxed"), 593.36)
        self.assertEqual(invoice.value("total"), 717.97)
        self.assertEqual(tax_lines(invoice), [(21.0, 593.36)])

    def test_the_lines_make_the_read_total(self):
        for name in REAL:
            with self.subTest(name):
                invoice = find(read(pdf(f"real/{name}")))
                split = tax_lines(invoice)
                self.assertTrue(split, name)
                gross = sum(base + round(base * rate / 100, 2) for rate, base in split)
                self.assertAlmostEqual(gross, invoice.value("total"), delta=0.01 * len(split))

    def test_an_amount_including_vat_is_never_a_base(self):
        # One rate of 21% and a total of 717.97 incl. VAT: the line is 593.36
        # excl. VAT, never 717.97 with 21% on top (868.74).
        text = Text.from_json(
            {
                "pages": 1,
                "lines": [
                    [1, 10.0, [[10, 60, "Invoice"], [62, 90, "no."], [92, 140, "A-17"]]],
                    [1, 30.0, [[10, 60, "VAT"], [62, 80, "21%"], [82, 120, "124,61"]]],
                    [1, 50.0, [[10, 60, "Total"], [62, 90, "incl."], [92, 110, "VAT"],
                               [112, 160, "717,97"]]],
                ],
            }
        )  # fmt: skip
        invoice = find(text)
        self.assertEqual(invoice.value("total"), 717.97)
        self.assertEqual(tax_lines(invoice), [(21.0, 593.36)])


@tagged("post_install", "-at_install")
class TestPdfRobot(EmailReceiverCommon):
    """Through the mail gateway, as a supplier's mail server delivers it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.ref("base.EUR").active = True
        # The corpus invoices are addressed to "YourCompany" (the demo's company name).
        cls.env.ref("base.main_company").name = "Demo main company"
        cls.env.flush_all()  # before the name is free (names of companies are unique)
        cls.company.write({"name": "YourCompany", "vat": BUYER_VAT})
        cls.supplier.write(
            {
                "vat": "NL800003123B01",
                "bank_ids": [Command.create({"acc_number": "NL91ABNA0417164300"})],
            }
        )
        # The supplier's accounts, checked and trusted by a person.
        cls.supplier.bank_ids.allow_out_payment = True
        cls.tax_21, cls.tax_9 = cls.env["account.tax"].create(
            [
                {"name": f"VAT {rate}% (purchase)", "amount": rate, "type_tax_use": "purchase"}
                for rate in (21, 9)
            ]
        )

    def _rates(self, *rates):
        self.env["account.tax"].create(
            [
                {"name": f"VAT {rate}% (purchase)", "amount": rate, "type_tax_use": "purchase"}
                for rate in rates
            ]
        )

    def test_a_real_credit_note_becomes_a_refund(self):
        # The FNFE's "Avoir" (ZUGFeRD/corpus), XML removed: a refund of 233.47
        self._rates(20, 5.5)
        log = self.receive(**invoice_pdf("fnfe-avoir-fr.pdf", pdf("real/fnfe-avoir-fr.pdf")))
        refund = log.move_ids.with_user(self.bookkeeper)
        self.assertRecordValues(
            refund,
            [
                {
                    "move_type": "in_refund",
                    "ref": "AV-2017-0005",
                    "invoice_date": datetime.date(2017, 11, 16),
                    "amount_untaxed": 218.48,
                    "amount_tax": 14.99,
                    "amount_total": 233.47,
                }
            ],
        )
        self.assertIn("as a credit note", "\n".join(refund.message_ids.mapped("body")))

    def test_a_real_invoice_makes_a_bill_of_its_total(self):
        # Mustang/GnuAccounting: no VAT table, items at 0% and 19%; the bill's
        # lines per rate make the invoice's own 559.84 (not VAT on top of it)
        self._rates(0, 19)
        log = self.receive(
            **invoice_pdf("mustang-rechnung-de.pdf", pdf("real/mustang-rechnung-de.pdf"))
        )
        bill = log.move_ids.with_user(self.bookkeeper)
        self.assertRecordValues(
            bill,
            [
                {
                    "move_type": "in_invoice",
                    "ref": "RE-20140519/499",
                    "invoice_date": datetime.date(2014, 5, 19),
                    "amount_untaxed": 496.0,
                    "amount_tax": 63.84,
                    "amount_total": 559.84,
                }
            ],
        )
        self.assertEqual(
            sorted(
                bill.invoice_line_ids.mapped(lambda line: (line.tax_ids.amount, line.price_unit))
            ),
            [(0.0, 160.0), (19.0, 336.0)],
        )

    # --------------------------------------------------
    # The reading runs after the mail: the follow-up job
    # --------------------------------------------------

    def test_the_mail_path_reads_no_pdf_the_job_does(self):
        expected = CORPUS["reportlab-nl-rates.pdf"]
        cron = self.env.ref("account_email_receiver.ir_cron_follow_up")
        Trigger = self.env["ir.cron.trigger"].sudo()
        triggers = Trigger.search_count([("cron_id", "=", cron.id)])
        raw = self.mail(
            subject="Invoice 2026-0417",
            attachments=[("factuur.pdf", pdf("reportlab-nl-rates.pdf"), "application/pdf")],
            headers=[SPF_PASS],
        )
        refuse = AssertionError("a PDF was read on the mail's path")
        with patch.object(pdf_invoice, "_run_child", side_effect=refuse):
            self.process(raw, follow_up=False)
        log = self.last_log()
        bill = log.move_ids.with_user(self.bookkeeper)
        self.assertRecordValues(log, [{"state": "accepted", "stage": "queued"}])
        self.assertRecordValues(
            bill,
            [
                {
                    "state": "draft",
                    "email_receiver_reading": "queued",
                    "invoice_line_ids": [],
                    "ref": False,
                }
            ],
        )
        self.assertEqual(bill.message_main_attachment_id.name, "factuur.pdf")
        self.assertEqual(Trigger.search_count([("cron_id", "=", cron.id)]), triggers + 1)
        self.assertFalse(self.outgoing(self.receiver.contact_email), "no report before the reading")

        self.follow_up()
        self.assertRecordValues(
            bill,
            [
                {
                    "email_receiver_reading": False,
                    "partner_id": self.supplier.id,
                    "ref": expected["number"],
                    "amount_total": expected["total"],
                    "email_receiver_review": False,
                }
            ],
        )
        self.assertEqual(log.stage, "done")
        report = self.outgoing(self.receiver.contact_email)
        self.assertEqual(len(report), 1, "the report follows the reading")
        self.assertIn(f"{expected['number']}, {expected['total']:.2f}", str(report.body_html))
        self.follow_up()  # once per mail
        self.assertEqual(len(self.outgoing(self.receiver.contact_email)), 1)

    def test_a_failed_reading_keeps_the_draft_and_read_again_reads_it(self):
        expected = CORPUS["reportlab-nl-rates.pdf"]
        Move = type(self.env["account.move"])
        trouble = RuntimeError("the worker ran out of memory")
        with patch.object(Move, "_email_receiver_read_pdf", side_effect=trouble):
            log = self.receive(**invoice_pdf("reportlab-nl-rates.pdf"))
        bill = log.move_ids.with_user(self.bookkeeper)
        self.assertRecordValues(
            bill, [{"state": "draft", "email_receiver_reading": "failed", "invoice_line_ids": []}]
        )
        self.assertIn(
            "The conversion robot failed on reportlab-nl-rates.pdf (the worker ran out of memory)",
            bill.email_receiver_review,
        )
        self.assertIn("The conversion robot failed", bill.activity_ids.mapped("summary"))
        self.assertEqual(log.state, "review", "never posted on a failed reading")
        self.assertEqual(log.stage, "done")

        bill.action_email_receiver_read_again()
        self.assertEqual(bill.email_receiver_reading, "queued")
        self.follow_up()
        self.assertRecordValues(
            bill,
            [
                {
                    "email_receiver_reading": False,
                    "ref": expected["number"],
                    "amount_total": expected["total"],
                    "email_receiver_review": False,
                }
            ],
        )
        with self.assertRaises(UserError):
            bill.action_email_receiver_read_again()  # read, not failed: nothing to do
        self.assertRaises(
            AccessError, bill.write, {"email_receiver_reading": "queued"}
        )  # only the action earns a reading

    def test_the_job_waits_for_the_mail_to_end(self):
        self.receive(**invoice_pdf("reportlab-nl-rates.pdf"), follow_up=False)
        log = self.last_log().sudo()
        # As while the mail's transaction still runs, past the import's own commit.
        log.stage = "accepted"
        self.follow_up()
        self.assertRecordValues(log, [{"stage": "accepted", "follow_up_attempts": 0}])
        self.assertEqual(log.move_ids.email_receiver_reading, "queued")
        # A mail whose worker died past that commit, and that no one delivered again.
        with freeze_time(fields.Datetime.now() + timedelta(hours=2)):
            self.follow_up()
        self.assertRecordValues(log, [{"stage": "done", "follow_up_attempts": 1}])
        self.assertEqual(log.move_ids.amount_total, CORPUS["reportlab-nl-rates.pdf"]["total"])

    def test_a_worker_that_dies_on_a_pdf_gives_it_up_after_three_runs(self):
        self.receive(**invoice_pdf("reportlab-nl-rates.pdf"), follow_up=False)
        log = self.last_log()
        # Three runs started on this mail and never finished (committed before the reading).
        log.sudo().follow_up_attempts = 3
        self.follow_up()
        bill = log.move_ids
        self.assertRecordValues(
            log, [{"state": "review", "stage": "done", "follow_up_attempts": 4}]
        )
        self.assertRecordValues(bill, [{"email_receiver_reading": "failed"}])
        self.assertIn("the reading stopped 3 times", bill.email_receiver_review)
        bill.with_user(self.bookkeeper).action_email_receiver_read_again()
        self.follow_up()
        self.assertEqual(bill.amount_total, CORPUS["reportlab-nl-rates.pdf"]["total"])

    def test_a_pdf_invoice_becomes_a_filled_bill(self):
        expected = CORPUS["reportlab-nl-rates.pdf"]
        log = self.receive(**invoice_pdf("reportlab-nl-rates.pdf"))
        bill = log.move_ids.with_user(self.bookkeeper)
        self.assertEqual(log.state, "accepted", log.explanation)
        self.assertRecordValues(
            bill,
            [
                {
                    "move_type": "in_invoice",
                    "state": "draft",
                    "partner_id": self.supplier.id,
                    "ref": expected["number"],
                    "invoice_date": datetime.date.fromisoformat(expected["date"]),
                    "invoice_date_due": datetime.date.fromisoformat(expected["due_date"]),
                    "amount_untaxed": expected["untaxed"],
                    "amount_tax": expected["tax"],
                    "amount_total": expected["total"],
                    "email_receiver_review": False,
                }
            ],
        )
        self.assertEqual(bill.currency_id.name, "EUR")
        self.assertEqual(bill.partner_bank_id.acc_number, "NL91ABNA0417164300")
        self.assertEqual(
            sorted(
                bill.invoice_line_ids.mapped(lambda line: (line.tax_ids.amount, line.price_unit))
            ),
            [(9.0, 125.0), (21.0, 450.0)],
        )
        self.assertEqual(bill.message_main_attachment_id.name, "reportlab-nl-rates.pdf")
        table = str(bill.email_receiver_pdf_html)
        self.assertIn("2026-0502", table)
        self.assertIn("certain", table)
        self.assertTrue(
            any(
                "Filled by the conversion robot" in body for body in bill.message_ids.mapped("body")
            )
        )

    def test_figures_that_do_not_add_up_need_review(self):
        # German rates the company has no tax for: the lines get none, and the
        # bill's total is not the PDF's.
        log = self.receive(**invoice_pdf("reportlab-de-classic.pdf"))
        bill = log.move_ids
        self.assertEqual(log.state, "review")
        self.assertEqual(bill.state, "draft")
        self.assertIn("This company has no tax of 19.0%", bill.email_receiver_review)
        self.assertIn(
            f"The total incl. VAT is {CORPUS['reportlab-de-classic.pdf']['total']} in the invoice",
            bill.email_receiver_review,
        )
        self.assertEqual(
            bill.activity_ids.summary, "Needs review: the document differs from the invoice"
        )

    def test_a_scan_is_read_by_ocr_and_checked(self):
        # scan.pdf is an invoice rendered to a picture (no text layer):
        # Tesseract reads it; nothing it read is certain, so the bill asks for a check
        log = self.receive(**invoice_pdf("scan.pdf"))
        bill = log.move_ids.with_user(self.bookkeeper)
        self.assertEqual(log.state, "review")
        self.assertRecordValues(
            bill,
            [
                {
                    "ref": "2026-0417",
                    "invoice_date": datetime.date(2026, 3, 12),
                    "amount_untaxed": 280.0,
                    "amount_total": 338.8,
                }
            ],
        )
        self.assertEqual(bill.message_main_attachment_id.name, "scan.pdf")
        self.assertIn("read it by OCR", bill.email_receiver_review)
        self.assertEqual(
            {value[1] for value in bill.email_receiver_pdf["fields"].values()}, {"medium"}
        )

    def test_a_photo_of_an_invoice_is_read_by_ocr(self):
        # a PNG (and a JPEG) of a real invoice: the Dutch webshop's, at 200 dpi
        import pypdfium2  # noqa: PLC0415

        page = pypdfium2.PdfDocument(pdf("real/coolblue-factuur-nl.pdf"))[0]
        picture = page.render(scale=200 / 72).to_pil().convert("L")
        for kind in ("PNG", "JPEG"):
            with self.subTest(kind):
                photo = io.BytesIO()
                picture.save(photo, kind, dpi=(200, 200))
                name = f"factuur.{kind.lower()}"
                self.process(
                    self.mail(
                        subject=f"Factuur {kind}",
                        attachments=[(name, photo.getvalue(), f"image/{kind.lower()}")],
                        headers=[SPF_PASS],
                    )
                )
                log = self.last_log()
                bill = log.move_ids.with_user(self.bookkeeper)
                self.assertEqual(log.state, "review")
                self.assertRecordValues(
                    bill, [{"invoice_date": datetime.date(2014, 4, 19), "amount_total": 717.97}]
                )
                self.assertIn("read it by OCR", bill.email_receiver_review)
                self.assertIn(name, bill.attachment_ids.mapped("name"))

    def test_a_logo_beside_the_invoice_is_no_document(self):
        # a signature's logo (small) and a large blank picture beside the PDF:
        # one bill, of the PDF; the pictures are kept on it, none makes a bill
        from PIL import Image  # noqa: PLC0415

        logo, blank = io.BytesIO(), io.BytesIO()
        Image.new("RGB", (200, 80), (200, 30, 30)).save(logo, "PNG")
        Image.new("L", (1700, 2200), 255).save(blank, "PNG")
        self.process(
            self.mail(
                subject="Invoice with a logo",
                attachments=[
                    ("logo.png", logo.getvalue(), "image/png"),
                    ("reportlab-nl-rates.pdf", pdf("reportlab-nl-rates.pdf"), "application/pdf"),
                    ("blank.png", blank.getvalue(), "image/png"),
                ],
                headers=[SPF_PASS],
            )
        )
        log = self.last_log()
        self.assertEqual(len(log.move_ids), 1)
        self.assertEqual(log.move_ids.ref, CORPUS["reportlab-nl-rates.pdf"]["number"])

    def test_a_picture_bomb_is_read_as_nothing(self):
        # a PNG that declares 40,000 x 40,000 pixels in a few bytes: Pillow
        # refuses it in the bounded child, and the robot reads nothing
        import struct  # noqa: PLC0415
        import zlib  # noqa: PLC0415

        def chunk(kind, data):
            body = kind + data
            return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

        header = struct.pack(">IIBBBBB", 40000, 40000, 8, 0, 0, 0, 0)
        bomb = (
            b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 1000))
            + chunk(b"IEND", b"")
        )
        text = read(bomb + b"bomb")
        self.assertFalse(text.has_text)
        self.assertTrue(text.ocr)

    def test_a_scan_ocr_cannot_read_says_no_text_layer(self):
        # a blank page rendered to a picture: OCR finds no word
        from PIL import Image  # noqa: PLC0415

        blank = io.BytesIO()
        Image.new("L", (850, 1100), 255).save(blank, "PDF", resolution=100)
        log = self.receive(**invoice_pdf("blank-scan.pdf", blank.getvalue()))
        bill = log.move_ids
        self.assertEqual(log.state, "review")
        self.assertFalse(bill.invoice_line_ids)
        self.assertIn("No text layer", bill.email_receiver_review)

    def test_hostile_pdfs_are_held_with_their_reason(self):
        self.env["ir.config_parameter"].sudo().set_param("account_email_receiver.pdf_seconds", "5")

        # What the bytes show (no parser runs on the mail's path): held at the gateway.
        def hostile(name):
            content = pdf(f"hostile/{name}.pdf") + b"\n% " + name.encode()
            return self.receive(**invoice_pdf(f"{name}.pdf", content))

        for name, problem in (
            ("too_many_pages", "it has too many pages"),
            ("encrypted", "it is protected with a password"),
        ):
            log = self.assertHeld(hostile(name), "unreadable_pdf")
            self.assertIn(problem, log.explanation)
        # What only the reader finds, within its own limits (a child process
        # with a memory and time limit): the draft is made, and the reader's
        # reason shows on it.
        for name, problem in (
            ("compression_bomb", "reading it takes too much memory"),
            ("broken_xref", "the file is damaged"),
        ):
            log = hostile(name)
            self.assertEqual(log.state, "review", name)
            self.assertRecordValues(
                log.move_ids, [{"email_receiver_reading": False, "invoice_line_ids": []}]
            )
            self.assertIn(
                f"could not read {name}.pdf: {problem}", log.move_ids.email_receiver_review
            )
        self.assertEqual(len(self.logs()), 4)
        # Released, the held one becomes a draft with the PDF to fill in by hand.
        log = self.logs()[1].with_user(self.bookkeeper)
        log.action_release()
        bill = log.move_ids
        self.assertEqual(bill.message_main_attachment_id.name, "encrypted.pdf")
        self.assertIn("could not read encrypted.pdf", bill.email_receiver_review)

    def test_a_refused_pdf_beside_a_readable_one_is_flagged_not_held(self):
        self.process(
            self.mail(
                attachments=[
                    ("invoice.pdf", pdf("reportlab-nl-classic.pdf"), "application/pdf"),
                    ("terms.pdf", pdf("hostile/encrypted.pdf"), "application/pdf"),
                ],
                headers=[SPF_PASS],
            )
        )
        log = self.last_log()
        self.assertEqual(log.state, "review")
        filled = log.move_ids.filtered("invoice_line_ids")
        self.assertEqual(filled.amount_total, CORPUS["reportlab-nl-classic.pdf"]["total"])
        refused = log.move_ids - filled
        self.assertIn("could not read terms.pdf", refused.email_receiver_review)

    def test_a_correction_teaches_the_supplier_layout(self):
        first = self.receive(**invoice_pdf("kwik-1.pdf")).move_ids
        self.assertIn("did not find the Invoice number", first.email_receiver_review)
        expected = CORPUS["kwik-1.pdf"]
        first.with_user(self.bookkeeper).write(
            {
                "ref": expected["number"],
                "invoice_date": datetime.date.fromisoformat(expected["date"]),
            }
        )
        layout = self.receiver.with_user(self.accountant).pdf_anchor_ids
        self.assertEqual(
            sorted(layout.mapped(lambda a: (a.field, a.label, a.learned_from_id.id))),
            [("date", "Opgemaakt", first.id), ("number", "Doc. ref.", first.id)],
        )
        self.assertIn("corrected", str(first.email_receiver_pdf_html))

        # The account kwik's PDF asks payment to is new: a person trusts it.
        self.assertIn("New bank account", first.email_receiver_review)
        treasurer = self._new_user(
            "treasurer",
            "account.group_account_invoice,account.group_validate_bank_account",
        )
        first.with_user(treasurer).action_email_receiver_trust_bank()
        second = self.receive(**invoice_pdf("kwik-2.pdf")).move_ids
        expected = CORPUS["kwik-2.pdf"]
        self.assertRecordValues(
            second,
            [
                {
                    "ref": expected["number"],
                    "invoice_date": datetime.date.fromisoformat(expected["date"]),
                    "invoice_date_due": datetime.date.fromisoformat(expected["due_date"]),
                    "amount_total": expected["total"],
                    "email_receiver_review": False,
                }
            ],
        )
        self.assertEqual(second.partner_bank_id.acc_number, expected["iban"])


@tagged("post_install", "-at_install")
class TestPdfSales(EmailReceiverCommon):
    """A PDF customer invoice: a draft, never sent before the bookkeeper
    confirms it, then sent as UBL (by email here: no Peppol access point)."""

    def setUp(self):
        super().setUp()
        self._use_for_customer_invoices()
        self.customer = self.env["res.partner"].create(
            {
                "name": "YourCompany",
                "vat": BUYER_VAT,
                "email": "ap@yourcompany.example",
                "country_id": self.env.ref("base.nl").id,
            }
        )
        self.env["account.tax"].create(
            {"name": "VAT 21% (sale)", "amount": 21, "type_tax_use": "sale"}
        )

    def test_confirmed_then_sent_as_ubl(self):
        expected = CORPUS["odoo-report-en.pdf"]
        self.process(
            self.mail(
                attachments=[("INV_2026_00007.pdf", pdf("odoo-report-en.pdf"), "application/pdf")],
                headers=[SPF_PASS],
            )
        )
        log = self.last_log()
        invoice = log.move_ids.with_user(self.bookkeeper)
        self.assertRecordValues(
            invoice,
            [
                {
                    "move_type": "out_invoice",
                    "state": "draft",
                    "partner_id": self.customer.id,
                    "ref": expected["number"],
                    "amount_total": expected["total"],
                }
            ],
        )
        self.assertIn("Made from a PDF", log.explanation)
        self.assertEqual(invoice.activity_ids.summary, "Check and confirm the invoice")
        self.assertFalse(self.outgoing("ap@yourcompany.example"), "never sent before confirming")

        invoice.action_post()
        self.assertEqual(invoice.state, "posted")
        sent = self.outgoing("ap@yourcompany.example")
        self.assertEqual(len(sent), 1)
        self.assertTrue(
            any(a.name.endswith(".xml") for a in sent.attachment_ids),
            sent.attachment_ids.mapped("name"),
        )
