from lxml import etree

from odoo.tests import TransactionCase, freeze_time, tagged

from ..tools import lookalike
from .common import DATA, EmailReceiverCommon


@tagged("post_install", "-at_install")
class TestLookalike(TransactionCase):
    """tools/lookalike.py: the part of a sender's domain that is not the supplier's."""

    def marked(self, address, known=("supplier.example",)):
        return [text for text, differs in lookalike.mark(address, known) if differs]

    def test_the_part_that_gives_a_lookalike_away(self):
        self.assertEqual(self.marked("billing@supplier.example.evil.test"), [".evil.test"])
        self.assertEqual(self.marked("accounts@supplier-payments.example"), ["-payments"])
        self.assertEqual(self.marked("a@suppIier.example"), ["I"])
        self.assertEqual(self.marked("someone@untrusted.example"), ["untrusted"])
        self.assertEqual(self.marked("a@evil.supplier.example.com"), ["evil.", ".com"])

    def test_the_supplier_own_addresses_have_no_mark(self):
        self.assertEqual(self.marked("billing@supplier.example"), [])
        self.assertEqual(self.marked("billing@mail.supplier.example"), [])
        self.assertEqual(self.marked("BILLING@Supplier.Example"), [])
        self.assertEqual(self.marked("a@b.example", known=()), [], "nothing known, nothing marked")
        self.assertEqual(self.marked("not an address"), [])

    def test_the_whole_address_is_kept(self):
        for address in ("billing@supplier.example.evil.test", "x@suppller.example"):
            text = "".join(part for part, _differs in lookalike.mark(address, ["supplier.example"]))
            self.assertEqual(text, address)


@tagged("post_install", "-at_install")
class TestHeldMailReview(EmailReceiverCommon):
    """What a bookkeeper sees of a held mail: the whole address, advice, evidence in words."""

    def held(self, sender="billing@supplier.example.evil.test", subject="Our new bank details"):
        log = self.receive(sender=sender, subject=subject)
        return self.assertHeld(log, "not_whitelisted").with_user(self.bookkeeper)

    def test_the_list_shows_the_whole_lookalike_address_marked(self):
        self.held()
        Log = self.env["email.receiver.log"].with_user(self.bookkeeper)
        arch = Log.get_views([(False, "list")])["views"]["list"]["arch"]
        columns = etree.fromstring(arch).xpath("//list/field/@name")
        self.assertIn("sender_marked", columns)
        self.assertNotIn("email_from", columns, "a From name could hide the address")
        rows = Log.web_search_read([("state", "=", "held")], {"sender_marked": {}, "subject": {}})[
            "records"
        ]
        marked = str(rows[0]["sender_marked"])
        self.assertEqual(
            marked.replace("<wbr>", ""),
            'billing@supplier.example<mark class="o_email_receiver_differs">.evil.test</mark>',
        )
        self.assertIn("<wbr>.evil<wbr>.test", marked, "it wraps between labels, never inside")

    def test_a_hostile_address_is_escaped(self):
        log = self.receive(sender='"<b>x</b>" <a<script>@evil.test>')
        log = self.assertHeld(log, "malformed_from").with_user(self.bookkeeper)
        self.assertNotIn("<script>", str(log.sender_marked))
        self.assertNotIn("<b>", str(log.sender_marked))

    def test_release_asks_first_and_says_what_it_does(self):
        Log = self.env["email.receiver.log"].with_user(self.bookkeeper)
        views = Log.get_views([(False, "list"), (False, "form")])["views"]
        for view in ("list", "form"):
            buttons = etree.fromstring(views[view]["arch"]).xpath(
                "//button[@name='action_release']"
            )
            self.assertTrue(buttons)
            for button in buttons:
                self.assertIn("not trusted for future mail", button.get("confirm") or "")
        manager = self.env["email.receiver.log"].with_user(self.accountant)
        form = etree.fromstring(manager.get_views([(False, "form")])["views"]["form"]["arch"])
        (trust,) = form.xpath("//button[@name='action_release_and_trust']")
        self.assertIn("every future mail from this exact address", trust.get("confirm"))

    def test_advice_on_a_mail_about_bank_details(self):
        log = self.held()
        self.assertIn("a lookalike domain is marked", log.advice)
        self.assertIn("call the supplier on a number you already have", log.advice)
        plain = self.held(sender="someone@elsewhere.example", subject="Invoice 12")
        self.assertNotIn("bank details", plain.advice)
        self.assertIn("known: supplier.example", plain.advice)

    def test_the_evidence_in_words(self):
        log = self.held()
        self.assertTrue(log.used_tls)
        self.assertEqual(
            log.evidence_summary,
            "Delivered over an encrypted connection (TLS).\n"
            "Not authenticated: nothing proves the sender's domain sent this mail.",
        )
        self.assertNotIn("=", log.evidence_summary)

    @freeze_time("2026-12-03 10:00:00")
    def test_the_purge_date_has_its_year(self):
        log = self.held()
        self.assertRegex(log.purge_note, r"^until \w+ \d{1,2}, 2027, then deleted$")

    def test_the_held_attachment_is_previewed(self):
        log = self.held()
        self.assertIn("<Invoice", log.preview_xml)
        self.assertFalse(log.preview_pdf)
        pdf = (DATA / "pdf" / "reportlab-nl-rates.pdf").read_bytes()
        with_pdf = self.receive(
            sender="someone@elsewhere.example",
            attachments=[("factuur.pdf", pdf, "application/pdf")],
        ).with_user(self.bookkeeper)
        self.assertTrue(with_pdf.preview_pdf)
        self.assertEqual(with_pdf.preview_pdf_name, "factuur.pdf")

    def test_sender_card_counts_in_the_dashboard_words(self):
        self.receive(sender="someone@elsewhere.example")
        self.receive()
        receiver = self.receiver.with_user(self.bookkeeper)
        self.assertRecordValues(
            receiver, [{"accepted_count": 1, "review_count": 0, "held_count": 1}]
        )
