"""The behaviours the Dutch manual "Vertrouwde e-mailafzender" describes."""

from odoo.tests import tagged

from .common import TRUSTED_SENDER, EmailReceiverCommon

# The entry hop as common mail hosts write it (RFC 5321 trace fields).
TLS_HOPS = {
    "Postfix": "from mail.supplier.example (mail.supplier.example [192.0.2.10]) by "
    "mx.receiver.test (Postfix) with ESMTPS id 4AB12; Mon, 23 Nov 2026 09:00:00 +0000",
    "Exim": "from mail.supplier.example ([192.0.2.10]) by mx.receiver.test with esmtps "
    "(TLS1.3) tls TLS_AES_256_GCM_SHA384 (Exim 4.96) (envelope-from <b@supplier.example>) "
    "id 1tXyZ-000abc-2Q; Mon, 23 Nov 2026 09:00:00 +0000",
    "Sendmail": "from mail.supplier.example (mail.supplier.example [192.0.2.10]) by "
    "mx.receiver.test (8.17.1/8.17.1) with ESMTPS id 5AN9001 (version=TLSv1.3 "
    "cipher=TLS_AES_256_GCM_SHA384 bits=256 verify=NOT); Mon, 23 Nov 2026 09:00:00 +0000",
    "Gmail": "from mail-wr1-f41.google.com (mail-wr1-f41.google.com. [209.85.221.41]) by "
    "mx.google.com with SMTPS id ffacd0b85a97d-38c1d2e3f4sor1234567f8f.7.2026.11.23.09.00.00 "
    "for <bills@receiver.test> (Google Transport Security); Mon, 23 Nov 2026 09:00:00 -0800 (PST)",
    "Microsoft 365": "from AM0PR01MB1234.eurprd01.prod.exchangelabs.com (2603:10a6:208:1::1) "
    "by AM0PR01MB5678.eurprd01.prod.exchangelabs.com (2603:10a6:208:2::2) with Microsoft "
    "SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id "
    "15.20.5566.15; Mon, 23 Nov 2026 09:00:00 +0000",
}
PLAIN_HOPS = {
    "ESMTP": "from mail.supplier.example (mail.supplier.example [192.0.2.10]) by "
    "mx.receiver.test (Postfix) with ESMTP id 4AB12; Mon, 23 Nov 2026 09:00:00 +0000",
    "SMTP": "from mail.supplier.example by mx.receiver.test with SMTP id 1; "
    "Mon, 23 Nov 2026 09:00:00 +0000",
    "Microsoft 365 without TLS": "from AM0PR01 (2603:10a6:208:1::1) by AM0PR02 "
    "(2603:10a6:208:2::2) with Microsoft SMTP Server id 15.20.5566.15; "
    "Mon, 23 Nov 2026 09:00:00 +0000",
    "a HELO that claims it": "from x (HELO with Microsoft SMTP Server (version=TLS1_2)) "
    "by mx.receiver.test with ESMTP id 1; Mon, 23 Nov 2026 09:00:00 +0000",
}


@tagged("post_install", "-at_install")
class TestManualBehaviours(EmailReceiverCommon):
    def test_tls_as_each_mail_host_writes_it(self):
        self.receiver.tls_only = True
        for host, received in TLS_HOPS.items():
            with self.subTest(host=host):
                self.process(self.mail(f"Snippet1-{host}", received=received, subject=host))
                self.assertRecordValues(
                    self.last_log(), [{"state": "accepted", "used_tls": True, "subject": host}]
                )
        for host, received in PLAIN_HOPS.items():
            with self.subTest(host=host):
                self.process(self.mail(f"Snippet1-{host}", received=received, subject=host))
                self.assertRecordValues(
                    self.last_log(),
                    [{"state": "held", "reason": "no_tls", "used_tls": False}],
                )

    def test_tls_switches_itself_on_only_once(self):
        self.assertFalse(self.receiver.tls_only)
        self.process(self.mail("Snippet1-first", subject="first"))
        self.assertTrue(self.receiver.tls_only, "the first TLS mail switches it on")
        # The bookkeeper switches it off again; the chatter says who.
        self.receiver.with_user(self.accountant).with_context(
            tracking_disable=False, mail_notrack=False
        ).tls_only = False
        self.env.flush_all()
        self.env.cr.precommit.run()  # tracking is written when the transaction ends
        tracking = self.receiver.sudo().message_ids.tracking_value_ids.filtered(
            lambda t: t.field_id.name == "tls_only" and not t.new_value_integer
        )
        self.assertEqual(tracking.mail_message_id.author_id, self.accountant.partner_id)
        self.process(self.mail("Snippet1-second", subject="second"))
        self.assertEqual(self.last_log().state, "accepted")
        self.assertFalse(self.receiver.tls_only, "it stays off")

    def test_held_mail_switches_nothing_on(self):
        self.process(
            self.mail(attachments=(), sender="someone@elsewhere.example", subject="stranger")
        )
        self.process(self.mail(attachments=(), subject="no invoice"))
        self.assertEqual(self.logs().mapped("state"), ["held", "held"])
        self.assertFalse(self.receiver.tls_only)

    def test_processing_report_by_default_to_the_contact(self):
        receiver = self.receiver.with_user(self.accountant).copy(
            {
                "name": "New sender",
                "alias_name": "new-sender",
                "contact_email": "ap@supplier.example",
            }
        )
        receiver.rule_ids = [(0, 0, {"rule_type": "domain", "value": "supplier.example"})]
        receiver.with_user(self.accountant).action_activate()
        self.assertTrue(receiver.send_processing_report, "on by default")
        self.process(self.mail("Snippet1-on", to="new-sender@receiver.test", subject="on"))
        self.assertEqual(len(self.last_log(receiver).move_ids), 1)
        report = self.outgoing("ap@supplier.example")
        self.assertEqual(len(report), 1)
        self.assertIn("Snippet1", report.body_html)
        self.assertFalse(self.outgoing(TRUSTED_SENDER), "never to an unauthenticated From")
        receiver.with_user(self.accountant).send_processing_report = False
        self.process(self.mail("Snippet1-off", to="new-sender@receiver.test", subject="off"))
        self.assertEqual(len(self.last_log(receiver).move_ids), 1)
        self.assertEqual(len(self.outgoing("ap@supplier.example")), 1, "switched off: no report")

    def test_processing_report_to_an_authenticated_sender(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "account_email_receiver.authserv_ids", "mx.receiver.test"
        )
        self.process(
            self.mail(
                headers=[
                    (
                        "Authentication-Results",
                        "mx.receiver.test; dkim=pass header.d=supplier.example",
                    )
                ]
            )
        )
        self.assertEqual(self.last_log().auth_result, "pass")
        report = self.outgoing(TRUSTED_SENDER)
        self.assertEqual(len(report), 1, "an authenticated sender gets the report too")
        # Each its own mail, to one address (never a joined list of recipients).
        self.assertEqual(report.email_to, TRUSTED_SENDER)
        to_contact = self.outgoing(self.receiver.contact_email)
        self.assertEqual(to_contact.mapped("email_to"), [self.receiver.contact_email])
        self.assertEqual(to_contact.subject, report.subject)
