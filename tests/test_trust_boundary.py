"""Trust boundary, round three (#35): no bill posts itself on a fact that no
person confirmed. The company auto-validates bills, the supplier is set to
*Auto-post bills: always*, and every mail is authenticated and whitelisted:
as a fraudster who took over the supplier's mailbox would send it."""

import io
from unittest.mock import patch

from odoo.exceptions import AccessError, UserError
from odoo.tests import freeze_time, tagged
from odoo.tools import html2plaintext
from odoo.tools.pdf import OdooPdfFileReader, OdooPdfFileWriter

from ..models import email_receiver_follow_up as follow_up_module
from ..tools import autopost, evidence, pdf_invoice
from .common import EmailReceiverCommon, read_data

BUYER_VAT = "NL850002321B01"  # whom the PDF corpus invoices are addressed to
NEW_IBAN = "NL91ABNA0417164300"
KNOWN_IBAN = "IBAN32423940"  # the account the Peppol sample asks payment to


def note(bill):
    """The bill's chatter line about auto-posting."""
    return next((str(b) for b in bill.message_ids.mapped("body") if "automatically" in str(b)), "")


class TrustBoundaryCommon(EmailReceiverCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.supplier.autopost_bills = "always"
        cls.company.autopost_bills = True
        # Odoo's own right to trust an account (Accounting > Validate bank accounts).
        cls.treasurer = cls._new_user(
            "treasurer",
            "account.group_account_manager,account.group_validate_bank_account",
            name="Tom Treasurer",
            email="tom@company.test",
        )

    def pay_to(self, number, iban):
        """The Peppol sample, another invoice, asking payment to ``iban``."""
        return self.invoice(number).replace(KNOWN_IBAN.encode(), iban.encode())


@tagged("post_install", "-at_install")
class TestBankAccounts(TrustBoundaryCommon):
    """'Known' means a person trusted the account: never one the import
    itself recorded, nor one a person archived."""

    def test_a_new_account_is_flagged_the_second_time_too(self):
        first = self.receive(xml=self.pay_to("BA-1", NEW_IBAN), authenticated=True)
        bill = first.move_ids.with_user(self.bookkeeper)
        self.assertEqual(bill.state, "draft")
        self.assertIn(f"New bank account: {NEW_IBAN}", bill.email_receiver_review)
        self.assertFalse(bill.partner_bank_id.allow_out_payment)
        bill.unlink()  # the bookkeeper deletes it: the import had recorded the account
        second = self.receive(xml=self.pay_to("BA-2", NEW_IBAN), authenticated=True)
        bill = second.move_ids.with_user(self.bookkeeper)
        self.assertRecordValues(bill, [{"state": "draft", "ref": "BA-2", "amount_total": 1656.25}])
        self.assertEqual(bill.partner_bank_id.acc_number, NEW_IBAN, "the account it asks for")
        self.assertIn(f"Untrusted bank account: {NEW_IBAN}", bill.email_receiver_review)
        self.assertIn("Trust this account", bill.email_receiver_review)
        self.assertTrue(bill.email_receiver_bank_untrusted)
        self.assertIn(f"its bank account {NEW_IBAN} is not trusted", note(bill))
        self.assertEqual(second.state, "review")
        # Nobody posts it by hand either, before a person trusts the account.
        with self.assertRaisesRegex(UserError, "no person trusted for payments"):
            bill.action_post()
        # Trusting it is Odoo's own right, also over RPC.
        with self.assertRaises(AccessError):
            bill.action_email_receiver_trust_bank()
        self.assertFalse(bill.partner_bank_id.sudo().allow_out_payment)
        bill.with_user(self.treasurer).action_email_receiver_trust_bank()
        self.assertRecordValues(
            bill.partner_bank_id.sudo(), [{"allow_out_payment": True, "active": True}]
        )
        self.assertFalse(bill.email_receiver_review, "the account's review line goes")
        self.assertIn("trusted for payments by Tom Treasurer", str(bill.message_ids[:1].body))
        # From now on the account is the supplier's: the next invoice posts itself.
        bill.with_user(self.treasurer).action_post()
        # (another date: the same amount on the same day would be a possible duplicate)
        xml = self.pay_to("BA-3", NEW_IBAN).replace(b">2017-11-13<", b">2017-11-20<", 1)
        third = self.receive(xml=xml, authenticated=True)
        self.assertEqual(third.move_ids.state, "posted", note(third.move_ids))
        self.assertEqual(third.move_ids.ref, "BA-3")
        self.assertEqual(third.move_ids.partner_bank_id.acc_number, NEW_IBAN)

    def test_an_archived_account_stays_archived(self):
        known = self.supplier.bank_ids
        known.action_archive()  # a person archived it
        log = self.receive(xml=self.invoice("BA-4"), authenticated=True)
        bill = log.move_ids
        self.assertRecordValues(bill, [{"state": "draft", "partner_bank_id": known.id}])
        self.assertIn(f"Archived bank account: {KNOWN_IBAN}", bill.email_receiver_review)
        self.assertFalse(known.active, "the import never re-activates an account")
        self.assertIn("Not posted automatically", note(bill))

    def test_an_account_the_import_recorded_is_no_known_account(self):
        # As after a first import under stock Odoo: recorded, trusted by nobody.
        self.env["res.partner.bank"].create(
            {"acc_number": NEW_IBAN, "partner_id": self.supplier.id}
        )
        log = self.receive(xml=self.pay_to("BA-5", NEW_IBAN), authenticated=True)
        self.assertEqual(log.move_ids.state, "draft")
        self.assertIn(f"Untrusted bank account: {NEW_IBAN}", log.move_ids.email_receiver_review)

    def test_the_trusted_account_wins_over_a_second_one(self):
        # A document that names the known account and a new one: the bill pays the known one.
        xml = self.invoice("BA-6").replace(
            b"</cac:PaymentMeans>",
            b"</cac:PaymentMeans><cac:PaymentMeans><cbc:PaymentMeansCode>30</cbc:PaymentMeansCode>"
            b"<cac:PayeeFinancialAccount><cbc:ID>" + NEW_IBAN.encode() + b"</cbc:ID>"
            b"</cac:PayeeFinancialAccount></cac:PaymentMeans>",
            1,
        )
        bill = self.receive(xml=xml, authenticated=True).move_ids
        self.assertEqual(bill.partner_bank_id.acc_number, KNOWN_IBAN)
        self.assertIn(f"New bank account: {NEW_IBAN}", bill.email_receiver_review)
        self.assertEqual(bill.state, "draft")


class PdfTrustCommon(TrustBoundaryCommon):
    """The PDF corpus's supplier and buyer (dev/make_pdf_corpus.py)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.ref("base.EUR").active = True
        # The corpus invoices are addressed to "YourCompany", the demo's company name.
        cls.env.ref("base.main_company").name = "Demo main company"
        cls.env.flush_all()  # before the name is free (names of companies are unique)
        cls.company.write({"name": "YourCompany", "vat": BUYER_VAT})
        bank = cls.env["res.partner.bank"].create(
            {"acc_number": NEW_IBAN, "partner_id": cls.supplier.id}
        )
        bank.allow_out_payment = True  # a person trusted it
        cls.supplier.vat = "NL800003123B01"
        cls.receiver.processing = "both"
        cls.env["account.tax"].create(
            [
                {"name": f"VAT {rate}% (purchase)", "amount": rate, "type_tax_use": "purchase"}
                for rate in (21, 9)
            ]
        )

    def pdf_mail(self, name, content=None, subject=None):
        content = content or read_data(f"pdf/{name}")
        return self.receive(
            attachments=[(name, content, "application/pdf")],
            subject=subject or f"Invoice {name}",
            authenticated=True,
        )


@tagged("post_install", "-at_install")
class TestPdfLayout(PdfTrustCommon):
    """A PDF posts itself only on a layout a person confirmed by posting a
    bill read from it."""

    def test_the_first_pdf_never_posts_itself_a_confirmed_layout_does(self):
        first = self.pdf_mail("reportlab-nl-classic.pdf").move_ids
        self.assertTrue(autopost.robot_sure(first.email_receiver_pdf), first.email_receiver_pdf)
        self.assertEqual(first.state, "draft")
        self.assertIn("no person confirmed its layout", note(first))
        self.assertFalse(first.email_receiver_review)
        # The bookkeeper checks it and posts it: the layout is confirmed.
        first.with_user(self.bookkeeper).action_post()
        anchors = self.receiver.sudo().pdf_anchor_ids.filtered("confirmed_by_id")
        self.assertEqual(sorted(anchors.mapped("field")), ["date", "number", "total"])
        self.assertEqual(anchors.confirmed_by_id, self.bookkeeper)
        # The next invoice of that layout (another number, date and amounts) posts itself.
        second = self.pdf_mail("reportlab-nl-rates.pdf").move_ids
        self.assertEqual(second.state, "posted", note(second))
        self.assertIn("read by the layout Bea Bookkeeper confirmed", note(second))
        # Another layout of the same supplier (its values under their labels) does not.
        third = self.pdf_mail("reportlab-nl-columns.pdf").move_ids
        self.assertEqual(third.state, "draft")
        self.assertIn("layout differs from the one a person confirmed", note(third))

    def test_our_own_auto_post_confirms_no_layout(self):
        first = self.pdf_mail("reportlab-nl-classic.pdf").move_ids
        first.with_user(self.bookkeeper).action_post()
        second = self.pdf_mail("reportlab-nl-rates.pdf").move_ids
        self.assertEqual(second.state, "posted")
        anchors = self.receiver.sudo().pdf_anchor_ids
        self.assertEqual(
            anchors.confirmed_move_id, first, "a bill that posted itself confirms nothing"
        )

    def test_a_confirmation_is_earned_not_written(self):
        first = self.pdf_mail("reportlab-nl-classic.pdf").move_ids
        first.with_user(self.bookkeeper).action_post()
        anchor = self.receiver.sudo().pdf_anchor_ids.filtered(lambda a: a.field == "total")
        as_manager = anchor.with_user(self.accountant)
        with self.assertRaises(AccessError):
            as_manager.write({"confirmed_by_id": self.accountant.id})
        with self.assertRaises(AccessError):
            as_manager.create(
                {
                    "receiver_id": self.receiver.id,
                    "field": "due_date",
                    "label": "Vervaldatum",
                    "confirmed_by_id": self.accountant.id,
                }
            )
        # A label a person changes by hand is a layout nobody posted a bill with.
        as_manager.write({"label": "Te betalen"})
        self.assertFalse(anchor.confirmed_by_id)
        self.assertEqual(self.pdf_mail("reportlab-nl-rates.pdf").move_ids.state, "draft")


@tagged("post_install", "-at_install")
class TestPdfAddressee(PdfTrustCommon):
    """Addressed to us, on the robot's path too."""

    def test_a_pdf_for_another_vat_number_is_flagged(self):
        self.company.vat = "NL001234567B01"
        bill = self.pdf_mail("reportlab-nl-classic.pdf").move_ids
        self.assertEqual(bill.state, "draft")
        self.assertIn(
            f"names the VAT number {BUYER_VAT}, neither YourCompany's", bill.email_receiver_review
        )

    def test_a_pdf_for_another_company_of_ours_is_flagged(self):
        self.company.write({"name": "Our Own Company", "vat": False})
        self.env["res.company"].create({"name": "YourCompany"})
        bill = self.pdf_mail("reportlab-nl-classic.pdf").move_ids
        self.assertEqual(bill.state, "draft")
        self.assertIn(
            "The PDF is addressed to YourCompany, not to Our Own Company",
            bill.email_receiver_review,
        )


@tagged("post_install", "-at_install")
class TestRefusedEinvoice(PdfTrustCommon):
    def test_a_pdf_whose_embedded_xml_is_refused_is_flagged(self):
        # A Factur-X as its producers make it, whose XML declares a DTD (an entity bomb).
        visible = read_data("pdf/reportlab-nl-classic.pdf")
        writer = OdooPdfFileWriter()
        writer.cloneReaderDocumentRoot(OdooPdfFileReader(io.BytesIO(visible), strict=False))
        bomb = (
            b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
            + self.invoice("FX-DTD").split(b"?>", 1)[1]
        )
        writer.add_attachment("factur-x.xml", bomb, subtype="text/xml")
        stream = io.BytesIO()
        writer.write(stream)
        log = self.pdf_mail("fx.pdf", stream.getvalue())
        bill = log.move_ids
        self.assertEqual(len(bill), 1, log.explanation)
        self.assertEqual(bill.state, "draft")
        self.assertIn(
            "embeds an e-invoice (factur-x.xml) that was refused", bill.email_receiver_review
        )
        self.assertEqual(log.state, "review")


@tagged("post_install", "-at_install")
class TestReleaseRace(TrustBoundaryCommon):
    def test_a_released_mail_is_released_before_the_import_runs(self):
        self.process(self.mail("RR-1", sender="billing@stranger.test", authenticated=True))
        log = self.last_log()
        self.assertEqual(log.state, "held")
        Receiver = type(self.env["email.receiver"])
        receive = Receiver._gateway_receive
        seen = {}

        def as_another_worker(records, mail, **kwargs):
            # Core's import commits mid-way: from here on another worker's
            # follow-up job sees this log; it must see a released mail it
            # leaves to this request.
            seen["state"] = log.sudo().state
            result = receive(records, mail, **kwargs)
            self.follow_up()
            seen["stage_the_job_sees"] = log.sudo().stage
            return result

        with patch.object(Receiver, "_gateway_receive", as_another_worker):
            log.with_user(self.accountant).action_release()
        self.assertEqual(seen, {"state": "released", "stage_the_job_sees": "accepted"})
        bill = log.move_ids
        self.assertRecordValues(bill, [{"state": "draft", "ref": "RR-1"}])
        self.assertIn("the mail was released by hand", note(bill))

    def test_a_released_mail_in_review_still_never_posts(self):
        # Two invoices in one released mail; one differs from its figures, so
        # the log turns to review before the auto-post: the other stays a draft.
        other = self.invoice("RR-3").replace(
            b'<cbc:PayableAmount currencyID="EUR">1656.25</cbc:PayableAmount>',
            b'<cbc:PayableAmount currencyID="EUR">1600.00</cbc:PayableAmount>',
        )
        self.process(
            self.mail(
                sender="billing@stranger.test",
                authenticated=True,
                attachments=[
                    ("a.xml", self.invoice("RR-2"), "application/xml"),
                    ("b.xml", other, "application/xml"),
                ],
            )
        )
        log = self.last_log()
        log.with_user(self.accountant).action_release()
        self.assertEqual(log.state, "review")
        self.assertEqual(set(log.move_ids.mapped("state")), {"draft"})

    def test_a_release_odoo_runs_again_finishes_its_follow_up(self):
        self.process(self.mail("RR-4", sender="billing@stranger.test", authenticated=True))
        log = self.last_log()
        Log = type(self.env["email.receiver.log"])
        follow_up = Log._release_follow_up
        # As when a concurrency error past the import's own commit ends the
        # request: released, its bill made, its follow-up not run.
        with patch.object(Log, "_release_follow_up", lambda records: None):
            log.with_user(self.accountant).action_release()
        self.assertRecordValues(log, [{"state": "released", "stage": "accepted"}])
        with self.assertRaisesRegex(UserError, "Only held messages"):
            log.with_user(self.bookkeeper).action_release()  # not theirs to finish
        with patch.object(Log, "_release_follow_up", follow_up):
            log.with_user(self.accountant).action_release()  # Odoo's retry of that request
        self.assertEqual(log.stage, "done")
        self.assertEqual(len(log.move_ids), 1)
        self.assertIn("the mail was released by hand", note(log.move_ids))


def hidden_figures_pdf(trick=None):
    """A one-page invoice drawn by reportlab, as a producer draws it, whose
    visible total is 121,00; ``trick`` adds what a reader does not see: an
    invisible layer (render mode 3) over a picture, near-white ink in RGB or
    CMYK, text outside the crop box, or text under a white shape."""
    from PIL import Image, ImageDraw  # noqa: PLC0415
    from reportlab.lib.utils import ImageReader  # noqa: PLC0415
    from reportlab.pdfgen import canvas  # noqa: PLC0415

    stream = io.BytesIO()
    c = canvas.Canvas(stream, pagesize=(595, 842))
    c.setFont("Helvetica", 10)
    for y, text in [
        (780, "Kwik Leverancier BV, btw NL800003123B01"),
        (760, "Aan: YourCompany, btw NL850002321B01"),
        (730, "Factuurnummer: 2026-0901"),
        (715, "Factuurdatum: 12-03-2026"),
        (600, "Totaal excl. BTW 100,00"),
        (585, "BTW 21% 21,00"),
        (570, "IBAN NL91-ABNA-0417-1643-00"),
    ]:
        c.drawString(50, y, text)
    if trick == "invisible":
        # The total as a picture, and an OCR-like layer over it saying another.
        picture = Image.new("RGB", (300, 30), "white")
        ImageDraw.Draw(picture).text((2, 8), "Totaal incl. BTW 121,00", fill="black")
        c.drawImage(ImageReader(picture), 50, 540, width=300, height=30)
        layer = c.beginText(50, 550)
        layer.setTextRenderMode(3)
        layer.textLine("Totaal incl. BTW 12.100,00")
        c.drawText(layer)
    else:
        c.drawString(50, 550, "Totaal incl. BTW 121,00")
    if trick == "near_white_rgb":
        c.setFillColorRGB(0.97, 0.97, 0.97)
        c.drawString(300, 450, "Totaal incl. BTW 12.100,00")
    elif trick == "near_white_cmyk":
        c.setFillColorCMYK(0, 0, 0, 0.03)
        c.drawString(300, 450, "Totaal incl. BTW 12.100,00")
    elif trick == "covered":
        c.drawString(300, 450, "Totaal incl. BTW 12.100,00")
        c.setFillColorRGB(1, 1, 1)
        c.rect(290, 440, 250, 25, stroke=0, fill=1)
    elif trick == "outside":
        c.setCropBox((0, 100, 595, 842))
        c.drawString(50, 50, "Totaal incl. BTW 12.100,00")
    c.showPage()
    c.save()
    return stream.getvalue()


@tagged("post_install", "-at_install")
class TestVisibleText(PdfTrustCommon):
    """The page a person reads is what the bill says."""

    def test_the_reader_reads_only_what_a_reader_sees(self):
        clean = pdf_invoice.read(hidden_figures_pdf())
        self.assertEqual(clean.hidden, 0)
        found = pdf_invoice.find(clean)
        self.assertEqual(found.fields["total"].value, 121.0)
        self.assertEqual(found.fields["total"].confidence, "high")
        self.assertEqual(found.ibans, ("NL91ABNA0417164300",), "an IBAN written with dashes")
        for trick in ("invisible", "near_white_rgb", "near_white_cmyk", "covered", "outside"):
            with self.subTest(trick):
                text = pdf_invoice.read(hidden_figures_pdf(trick))
                self.assertGreater(text.hidden, 0)
                self.assertNotIn("12.100,00", " ".join(line.text for line in text.lines))
                found = pdf_invoice.find(text)
                self.assertNotEqual((found.fields.get("total") or found).value, 12100.0)
                self.assertNotIn("high", [f.confidence for f in found.fields.values()])

    def test_a_bill_from_a_page_with_hidden_figures_never_posts_itself(self):
        # The layout was confirmed by a person: only the hidden layer keeps it a draft.
        first = self.pdf_mail("clean.pdf", hidden_figures_pdf()).move_ids
        first.with_user(self.bookkeeper).action_post()
        second = self.pdf_mail("tricked.pdf", hidden_figures_pdf("near_white_rgb")).move_ids
        self.assertRecordValues(second, [{"state": "draft", "amount_total": 121.0}])
        self.assertIn("holds text a reader cannot see", second.email_receiver_review)
        self.assertIn("Not posted automatically", note(second))

    def test_a_facturx_whose_page_shows_another_iban_is_flagged(self):
        # reportlab's page (IBAN NL91...) with the Peppol sample embedded as
        # Odoo itself embeds Factur-X XML (asking payment to IBAN32423940).
        writer = OdooPdfFileWriter()
        writer.cloneReaderDocumentRoot(
            OdooPdfFileReader(io.BytesIO(hidden_figures_pdf()), strict=False)
        )
        writer.add_attachment("factur-x.xml", self.invoice("2026-0901"), subtype="text/xml")
        stream = io.BytesIO()
        writer.write(stream)
        # Both accounts are the supplier's, trusted: only the difference flags.
        self.company.vat = "SE4598375937"  # the sample's buyer
        log = self.pdf_mail("fx.pdf", stream.getvalue())
        bill = log.move_ids
        self.assertEqual(len(bill), 1, f"{log.state} {log.reason} {log.explanation}")
        self.assertEqual(bill.state, "draft")
        self.assertIn(
            "The PDF shows the bank account NL91ABNA0417164300, its embedded e-invoice "
            "IBAN32423940",
            bill.email_receiver_review,
        )


# An autoresponder's, a list's, a report's marks (RFC 3834 §2, RFC 2369, RFC 3464).
AUTOMATIC_MARKS = {
    "auto-replied": [("Auto-Submitted", "auto-replied")],
    "auto-generated": [("Auto-Submitted", "auto-generated; owner-email=x@supplier.example")],
    "list": [("List-Id", "Supplier billing <billing.supplier.example>")],
    "bulk": [("Precedence", "bulk")],
    "out of office": [("X-Auto-Response-Suppress", "All")],
}


@tagged("post_install", "-at_install")
class TestWhatWeSend(EmailReceiverCommon):
    """#35 item 6: what the company sends, From its own signed domain, carries
    only our own words, and goes to single checked addresses: the contact, and
    the one sender a processing report may answer."""

    def setUp(self):
        super().setUp()
        self.receiver.send_processing_report = True
        self.before = self.env["mail.mail"].sudo().search([]).ids

    def sent(self):
        """Every mail written since the test began to anyone outside the
        company (its users' own notices aside): ``{address: [subject, ...]}``."""
        mails = self.env["mail.mail"].sudo().search([("id", "not in", self.before)], order="id")
        ours = self.env["res.users"].sudo().search([("share", "=", False)]).partner_id
        self.assertFalse(mails.recipient_ids - ours, "to addresses, never to partners")
        found = {}
        for mail in mails.filtered("email_to"):
            found.setdefault(mail.email_to, []).append(mail.subject)
        return found

    def test_a_held_notice_repeats_no_word_of_the_stranger(self):
        lure = "URGENT new bank account NL91ABNA0417164300, pay at https://evil.example/pay"
        with freeze_time("2026-11-23 09:00:00"):
            log = self.receive(
                sender="billing@evil.example", subject=lure, body=lure, authenticated=True
            )
        self.assertHeld(log, "not_whitelisted")
        sent = self.sent()
        self.assertEqual(list(sent), ["accounts@supplier.example"], "the contact only")
        notice = self.outgoing("accounts@supplier.example")
        self.assertEqual(
            notice.subject,
            # the date as the supplier's language writes it (freeze_time, UTC)
            f"Held: mail of November 23, 2026 at 9:00 AM from billing@evil.example "
            f"({log.size:,} bytes)",
        )
        body = html2plaintext(notice.body_html)
        for word in ("URGENT", "NL91", "evil.example/pay", "new bank account"):
            self.assertNotIn(word, notice.subject)
            self.assertNotIn(word, body)
        reason = "We could not confirm that this mail comes from you."
        for fact in ("billing@evil.example", f"{log.size:,} bytes", reason):
            self.assertIn(fact, body)

    def test_a_held_notice_in_dutch(self):
        self.env["res.lang"]._activate_lang("nl_NL")
        self.env["ir.module.module"]._load_module_terms(
            ["account_email_receiver"], ["nl_NL"], overwrite=True
        )
        self.supplier.lang = "nl_NL"
        self.company.partner_id.lang = "nl_NL"
        log = self.receive(sender='"someone@elsewhere.example,"@supplier.example')
        self.assertHeld(log, "malformed_from")
        self.assertEqual(
            log.explanation,
            "De From-header moet precies één geldig adres bevatten; deze niet.",
        )
        notice = self.outgoing("accounts@supplier.example")
        self.assertTrue(
            notice.subject.startswith("Tegengehouden: mail van een ongeldige afzender op "),
            notice.subject,
        )
        body = html2plaintext(notice.body_html)
        self.assertIn("Van een ongeldige afzender", body)
        self.assertNotIn("elsewhere", notice.subject + body, "not the sender's own text")

    def test_a_quoted_local_part_is_held_and_adds_no_recipient(self):
        for sender in (
            '"someone@elsewhere.example,"@supplier.example',
            '"someone@elsewhere.example;"@supplier.example',
            '"<someone@elsewhere.example>"@supplier.example',
            '"a b"@supplier.example',
            'Billing <"x,someone@elsewhere.example"@supplier.example>',
        ):
            with self.subTest(sender=sender):
                log = self.receive(sender=sender, authenticated=True, number=f"Q-{len(sender)}")
                self.assertHeld(log, "malformed_from")
                self.assertIn("exactly one valid address", log.explanation)
        self.assertEqual(list(self.sent()), ["accounts@supplier.example"])
        self.assertFalse(self.outgoing("someone@elsewhere"))

    def test_no_report_answers_a_machine(self):
        for kind, headers in AUTOMATIC_MARKS.items():
            with self.subTest(kind):
                log = self.receive(headers=headers, authenticated=True, number=f"AUTO-{kind}")
                self.assertRecordValues(
                    log, [{"state": "accepted", "auth_result": "pass", "automatic": True}]
                )
                self.assertEqual(len(log.move_ids), 1)
        # A person's mail (Auto-Submitted: no) is answered: the check can fail.
        person = self.receive(
            headers=[("Auto-Submitted", "no")], authenticated=True, number="PERSON-1"
        )
        self.assertRecordValues(person, [{"auth_result": "pass", "automatic": False}])
        sent = self.sent()
        self.assertEqual(set(sent), {"accounts@supplier.example", "billing@supplier.example"})
        self.assertEqual(len(sent["accounts@supplier.example"]), len(AUTOMATIC_MARKS) + 1)
        self.assertEqual(len(sent["billing@supplier.example"]), 1, "the person's mail only")

    def test_a_bounce_or_report_is_answered_by_nobody(self):
        # A delivery status notification (RFC 3464), the invoice returned in it.
        raw = self.mail(authenticated=True, number="DSN-1")
        self.assertIn(b"Content-Type: multipart/mixed;", raw)
        raw = raw.replace(
            b"Content-Type: multipart/mixed;",
            b"Content-Type: multipart/report; report-type=delivery-status;",
            1,
        )
        log = self.receive(raw)
        self.assertTrue(log.automatic)
        null_sender = self.receive(headers=[("Return-Path", "<>")], number="NULL-1")
        self.assertTrue(null_sender.automatic)
        daemon = self.receive(sender="MAILER-DAEMON@supplier.example", number="DAEMON-1")
        self.assertTrue(daemon.automatic)
        # Nothing to the senders; a held one's notice is no answer to a machine either.
        self.assertEqual(
            set(self.sent()) - {"accounts@supplier.example"}, set(), "no mail to a sender"
        )
        self.assertFalse(self.logs().filtered("automatic").filtered("notice_sent"))

    def test_each_sender_string_is_no_new_allowance(self):
        with patch.object(follow_up_module, "REPORTS_PER_HOUR", 3):
            for number in range(6):
                self.receive(
                    sender=f"billing+{number}@supplier.example",
                    authenticated=True,
                    number=f"RATE-{number}",
                )
        self.assertEqual(len(self.logs().move_ids), 6, "every mail made its bill")
        to_senders = [address for address in self.sent() if address != "accounts@supplier.example"]
        self.assertEqual(len(to_senders), 3, "three reports an hour to all senders together")

    def test_recipients_are_single_checked_addresses(self):
        self.assertEqual(
            evidence.single_addresses(
                [
                    "accounts@supplier.example",
                    "Accounts@Supplier.example",
                    "a@x.example, b@y.example",
                    '"someone@elsewhere.example,"@supplier.example',
                    "Billing <billing@supplier.example>",
                    "",
                    None,
                ]
            ),
            ["accounts@supplier.example", "billing@supplier.example"],
        )
