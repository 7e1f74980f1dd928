import base64
from unittest.mock import patch

from odoo.tests import tagged
from odoo.tools import format_datetime

from .common import EmailReceiverCommon
from .servers import CapturingSMTP

# 1x1 red PNG, the company logo.
LOGO = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c63f8cfc0f01f0005000201a5f4d3"
        "a20000000049454e44ae426082"
    )
)


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
        self.process(self.mail(sender="someone@elsewhere.example", subject="Invoice 77"))
        message = self.deliver("accounts@supplier.example")
        log = self.last_log()
        # Named by our own facts: date, size, sender address, reason; never its subject.
        # (as a mail client shows it: Babel's short time holds a narrow space)
        self.assertEqual(
            " ".join(str(message["Subject"]).split()),
            " ".join(
                f"Held: mail of {format_datetime(self.env, log.date, dt_format='short')} "
                f"from someone@elsewhere.example ({log.size:,} bytes)".split()
            ),
        )
        self.assertGreater(log.size, 500)
        plain = self.assert_well_formed(message, "someone@elsewhere.example", "Sender not trusted")
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
        plain = self.assert_well_formed(message, "Attachment 1 (XML)", "Snippet1")
        self.assertIn("1,656.25", plain)
        self.assertIn("Attachment 2", plain, "what was ignored, too")
        self.assertNotIn("notes.txt", plain, "the sender's file names stay out")
