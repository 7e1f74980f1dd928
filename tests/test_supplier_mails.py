import base64
import re
from unittest.mock import patch

from odoo import Command
from odoo.tests import freeze_time, tagged
from odoo.tools import format_time, html2plaintext

from ..models.email_receiver_log import mail_tz, notice_reason_class
from .common import TRUSTED_SENDER, EmailReceiverCommon
from .servers import CapturingSMTP

# 1x1 red PNG, the company logo.
LOGO = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c63f8cfc0f01f0005000201a5f4d3"
        "a20000000049454e44ae426082"
    )
)
# Words of our English templates and of the strings they show: none may reach
# a Dutch supplier (the Dutch for "bytes" is "bytes", so that one may).
ENGLISH = re.compile(
    r"\b(Hello|Date|Reason|Sender|Size|Why|From|Received|received|held|Held|posted|"
    r"entered|review|Attachment|Result|documents|accounts|someone|you|your|December|"
    r"Processing|report|invoice|not)\b|\(s\)"
)


def one_line(text):
    """A header or text as a reader sees it: Babel's times hold narrow spaces."""
    return " ".join(str(text).split())


@tagged("post_install", "-at_install")
class TestSupplierMails(EmailReceiverCommon):
    """The invitation, the held-mail notice and the processing report as a
    supplier's mail client receives them: through a real SMTP server, with the
    company's logo and colour, table layout with inline styles, and a
    plain-text part."""

    def deliver(self, email_to):
        """Send the mail queued for ``email_to`` through a real SMTP server on loopback."""
        mails = self.outgoing(email_to)
        self.assertEqual(len(mails), 1, email_to)
        with (
            CapturingSMTP() as smtp,
            # Odoo never sends mail in tests; this one goes to loopback only.
            patch.object(type(self.env["ir.mail_server"]), "_disable_send", lambda _self: False),
        ):
            self.env["ir.mail_server"].create(
                {
                    "name": "Loopback",
                    "smtp_host": "127.0.0.1",
                    "smtp_port": smtp.port,
                    "smtp_encryption": "none",
                }
            )
            mails.send(raise_exception=True)
        self.assertEqual(len(smtp.messages), 1)
        self.assertEqual(smtp.messages[0]["rcpt_tos"], [email_to])
        return smtp.messages[0]["message"]

    def assert_well_formed(self, message, *texts):
        self.assertEqual(message.get_content_type(), "multipart/alternative")
        plain = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        for text in texts:
            self.assertIn(text, plain)
            self.assertIn(text, html)
        self.assertNotIn("<", plain.replace("<http", ""), "the text part is plain text")
        self.assertIn('<table border="0" cellpadding="0" cellspacing="0" width="600"', html)
        self.assertIn("border-top:4px solid #aa3300", html, "the company's colour")
        self.assertIn(f"/logo.png?company={self.company.id}", html, "the company's logo")
        self.assertNotIn("<style", html, "inline styles only")
        return plain

    def setUp(self):
        super().setUp()
        self.company.write({"primary_color": "#aa3300", "logo": LOGO})

    def test_invitation(self):
        self.receiver.with_user(self.accountant).action_invite()
        message = self.deliver("accounts@supplier.example")
        self.assertIn("supplier-bills@receiver.test", message["Subject"])
        plain = self.assert_well_formed(message, "supplier-bills@receiver.test")
        self.assertIn("supplier.example", plain, "who may send")

    def test_held_mail_notice(self):
        with freeze_time("2026-12-03 08:51:00"):
            self.process(self.mail(sender="someone@elsewhere.example", subject="Invoice 77"))
        message = self.deliver("accounts@supplier.example")
        log = self.last_log()
        # Named by our own facts: date, size, sender address, reason; never its subject.
        self.assertEqual(
            one_line(message["Subject"]),
            "Held: mail of December 3, 2026 at 8:51 AM from someone@elsewhere.example "
            f"({log.size:,} bytes)",
        )
        self.assertGreater(log.size, 500)
        plain = self.assert_well_formed(
            message,
            "someone@elsewhere.example",
            "We could not confirm that this mail comes from you.",
            "If you did not send this mail, someone may be using your name",
        )
        self.assertNotIn("Invoice 77", plain)
        self.assertFalse(self.outgoing("someone@elsewhere.example"), "never to the sender")

    def test_processing_report(self):
        self.receiver.send_processing_report = True
        self.process(
            self.mail(
                attachments=[
                    ("invoice.xml", self.ubl, "application/xml"),
                    ("notes.txt", b"see you", "text/plain"),
                ]
            )
        )
        bill = self.last_log().move_ids
        self.assertEqual(bill.amount_total, 1656.25)
        message = self.deliver("accounts@supplier.example")  # the contact
        self.assertRegex(
            one_line(message["Subject"]),
            r"^Processing report: your mail of \w+ \d+, \d{4} at \d+:\d\d [AP]M \(1 document\)$",
        )
        plain = self.assert_well_formed(message, "Attachment 1 (XML)", "Snippet1")
        self.assertIn(
            "received; it needs review by our accounts team before it is entered",
            plain,
            "an unauthenticated mail's bill waits for the bookkeeper",
        )
        self.assertIn("1,656.25", plain)
        self.assertIn("Attachment 2", plain, "what was ignored, too")
        self.assertNotIn("notes.txt", plain, "the sender's file names stay out")


@tagged("post_install", "-at_install")
class TestSupplierMailsWording(EmailReceiverCommon):
    """#39 items 3-5: the held notice and the processing report in the
    supplier's language and words, the company's logo or its name, and times
    in the company's time zone, as the bookkeeper's chatter shows them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.receiver.with_user(cls.accountant).write(
            {
                "send_processing_report": True,
                # a second rule: neither is any business of the notice's reader
                "rule_ids": [
                    Command.create({"rule_type": "email", "value": "ap@supplier-group.example"})
                ],
            }
        )
        cls.company.partner_id.tz = "Europe/Amsterdam"

    def dutch(self):
        self.env["res.lang"]._activate_lang("nl_NL")
        self.env["ir.module.module"]._load_module_terms(
            ["account_email_receiver"], ["nl_NL"], overwrite=True
        )
        self.supplier.lang = "nl_NL"  # the contact's language, not the company's

    def assertNoEnglish(self, *texts):  # noqa: N802 - unittest style
        for text in texts:
            self.assertIsNone(ENGLISH.search(text), text)

    def test_held_notice_in_dutch(self):
        self.dutch()
        with freeze_time("2026-12-03 08:51:00"):
            log = self.receive(sender="factuur@elders.example", subject="Nieuw rekeningnummer")
        self.assertHeld(log, "not_whitelisted")
        notice = self.outgoing("accounts@supplier.example")
        self.assertEqual(len(notice), 1)
        size = f"{log.size:,}".replace(",", ".")
        self.assertEqual(
            one_line(notice.subject),
            f"Tegengehouden: mail van factuur@elders.example op 3 december 2026 om 09:51 "
            f"({size} bytes)",
        )
        body = one_line(html2plaintext(notice.body_html))
        for text in (
            "Beste,",
            "is niet automatisch verwerkt en wordt tegengehouden totdat de administratie van "
            f"{self.company.name} deze heeft gecontroleerd",
            "Ontvangen op 3 december 2026 om 09:51",
            "Van factuur@elders.example",
            f"Grootte {size} bytes",
            "Waarom",
            "We konden niet vaststellen dat deze mail van u komt.",
            "Stuur uw facturen dan vanaf het adres dat u daar gewoonlijk voor gebruikt",
            f"neem contact op met uw vaste contactpersoon bij {self.company.name}",
            "Hebt u deze mail niet gestuurd? Dan gebruikt iemand misschien uw naam.",
        ):
            self.assertIn(text, body)
        self.assertNoEnglish(notice.subject, body)
        self.assertNotIn("Nieuw rekeningnummer", notice.subject + body, "not the sender's text")

    def test_held_notice_tells_a_forger_nothing(self):
        log = self.receive(sender="someone@elsewhere.example")
        self.assertHeld(log, "not_whitelisted")
        notice = self.outgoing("accounts@supplier.example")
        text = one_line(notice.subject + " " + html2plaintext(notice.body_html))
        self.assertIn("If you did not send this mail, someone may be using your name:", text)
        self.assertIn(f"please let your usual contact at {self.company.name} know", text)
        # Neither who may send (the rules, the trusted addresses) nor which check failed.
        for secret in (
            "supplier.example",
            "supplier-group.example",
            TRUSTED_SENDER,
            self.receiver.name,
            "trusted",
            "whitelist",
            "Whitelist",
            "not_whitelisted",
            "Sender not trusted",
            "DKIM",
            "SPF",
            "DMARC",
            "TLS",
            "authenticat",
            "bookkeeper",
            "Odoo",
        ):
            self.assertNotIn(secret, text)

    def test_notice_reasons_in_the_suppliers_words(self):
        """One wording per class of reason; every reason has one."""
        Log = self.env["email.receiver.log"]
        self.assertEqual(
            {notice_reason_class(r) for r in ("not_whitelisted", "forged", "unauthenticated")},
            {"sender"},
            "which check failed stays inside",
        )
        self.assertEqual(notice_reason_class("too_large"), "too_large")
        self.assertEqual(notice_reason_class("error"), "other")
        for reason, label in Log._fields["reason"].selection:
            with self.subTest(reason=reason):
                text = Log.new({"receiver_id": self.receiver.id, "reason": reason})._notice_reason()
                self.assertTrue(text)
                self.assertNotIn(label, text, "not the bookkeeper's label")

    def test_processing_report_in_dutch(self):
        self.dutch()
        self.supplier.autopost_bills = "always"
        self.company.autopost_bills = True
        with freeze_time("2026-12-03 08:51:00"):
            log = self.receive(authenticated=True)
        bill = log.move_ids
        self.assertEqual(bill.state, "posted")
        report = self.outgoing("accounts@supplier.example")
        self.assertEqual(len(report), 1)
        self.assertEqual(
            one_line(report.subject),
            "Verwerkingsrapport: uw mail van 3 december 2026 om 09:51 (1 document)",
        )
        body = one_line(html2plaintext(report.body_html))
        self.assertIn(
            f"{self.company.name} heeft uw mail van 3 december 2026 om 09:51 (1 document) "
            "ontvangen.",
            body,
        )
        self.assertIn(
            f"Snippet1, 1.656,25 €: ontvangen en in onze administratie geboekt onder nummer "
            f"{bill.name}",
            body,
        )
        self.assertNoEnglish(report.subject, body)

    def test_report_counts_in_words(self):
        Log = self.env["email.receiver.log"]
        self.assertEqual(
            [Log._documents_text(count) for count in (0, 1, 2)],
            ["no document", "1 document", "2 documents"],
        )
        self.dutch()
        Log = Log.with_context(lang="nl_NL")
        self.assertEqual(
            [Log._documents_text(count) for count in (0, 1, 2)],
            ["geen document", "1 document", "2 documenten"],
        )

    def test_report_time_is_the_chatters(self):
        """The company partner's zone (the bookkeeper's chatter), else the
        contact partner's, else UTC."""
        self.assertEqual(mail_tz("Europe/Amsterdam", "America/New_York"), "Europe/Amsterdam")
        self.assertEqual(mail_tz(False, "America/New_York"), "America/New_York")
        self.assertEqual(mail_tz(False, False), "UTC")
        self.supplier.tz = "America/New_York"
        for number, company_tz, shown in (
            ("TZ-1", "Europe/Amsterdam", "9:51 AM"),
            ("TZ-2", False, "3:51 AM"),
        ):
            with self.subTest(company_tz=company_tz):
                self.company.partner_id.tz = company_tz
                with freeze_time("2026-12-03 08:51:00"):
                    log = self.receive(number=number)
                chatter = min(log.move_ids.message_ids.mapped("date"))
                tz = company_tz or self.supplier.tz
                self.assertEqual(format_time(self.env, chatter, tz=tz, time_format="short"), shown)
                report = self.outgoing("accounts@supplier.example").filtered(
                    lambda mail, log=log: mail.res_id == log.id
                )
                self.assertIn(f"your mail of December 3, 2026 at {shown}", one_line(report.subject))

    def test_no_logo_no_placeholder(self):
        """Odoo's "Your logo" placeholder never reaches a supplier: the
        company's name stands in its place (as in Odoo's own layouts)."""
        self.company.logo = self.company._get_logo()
        self.assertTrue(self.company.uses_default_logo)
        self.receiver.with_user(self.accountant).action_invite()
        self.receive(sender="someone@elsewhere.example")
        self.receive(number="LOGO-1")
        mails = self.outgoing("accounts@supplier.example")
        self.assertEqual(len(mails), 3, "the invitation, the notice, the report")
        name = f'<span style="font-size:20px;font-weight:bold;">{self.company.name}</span>'
        for mail in mails:
            with self.subTest(mail.subject):
                self.assertNotIn("/logo.png", mail.body_html)
                self.assertIn(name, mail.body_html)
        # The company's own logo, and no name in its place.
        self.company.logo = LOGO
        self.assertFalse(self.company.uses_default_logo)
        self.receive(number="LOGO-2")
        report = self.outgoing("accounts@supplier.example") - mails
        self.assertIn(f"/logo.png?company={self.company.id}", report.body_html)
        self.assertNotIn(name, report.body_html)
