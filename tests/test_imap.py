"""An incoming mail server (IMAP over SSL) with a real Dovecot (tests/dovecot.py).

Follows the procedure of readme/develop/configure.md, "An incoming mail
server": the mailbox provider's Dovecot on loopback, Odoo's own incoming
mail server (``fetchmail.server``, IMAP, SSL) fetching from it with *Fetch
Now*, the provider's MX as *Entry host*, its authserv-id trusted only when
configured.

The provider's MX, which would have received the supplier's mail and
written its ``Received`` and ``Authentication-Results`` before delivering
to the mailbox, is not run here (it is the provider's, not the
integrator's): the test fills the mailbox over IMAP with those headers as
a Postfix MX writes them (the shape tests/test_postfix.py reads from a
real Postfix) and as Dovecot's LMTP delivery writes its own on top.
"""

import email
from unittest.mock import patch

from odoo.tests import HttpCase, tagged

from .common import ALIAS_DOMAIN, RECEIVER_ADDRESS, TRUSTED_SENDER, EmailReceiverCommon
from .dovecot import Dovecot
from .test_authentication import KEYS, sign

PARAM = "account_email_receiver.%s"
PROVIDER_MX = "mx.provider.test"
MAILBOX = f"invoices@{ALIAS_DOMAIN}"
SUPPLIER_IP = "192.0.2.10"  # allowed by supplier.example's SPF
STRANGER_IP = "203.0.113.9"  # not allowed


def provider_headers(ip=SUPPLIER_IP, tls=True, results=None):
    """What the provider writes above the supplier's mail, top first: the
    envelope sender, its mailbox delivery's Received, its MX's
    Authentication-Results (``results``, when it writes them) and its MX's
    Received for the supplier's connection (``with ESMTPS`` over STARTTLS)."""
    date = "Mon, 07 Dec 2026 09:00:00 +0000"
    protocol = "ESMTPS" if tls else "ESMTP"
    cipher = (
        " (using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)"
        " key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256)"
        if tls
        else ""
    )
    headers = [
        ("Return-Path", "<bounces@supplier.example>"),
        (
            "Received",
            f"from {PROVIDER_MX}\r\n\tby imap.provider.test with LMTP\r\n\tid kL3mQ5b0VmeKBwAA"
            f"\r\n\t(envelope-from <bounces@supplier.example>)\r\n\tfor <{MAILBOX}>; {date}",
        ),
    ]
    if results:
        headers.append(("Authentication-Results", f"{PROVIDER_MX}; {results}"))
    headers.append(
        (
            "Received",
            f"from mail.supplier.example (mail.supplier.example [{ip}]){cipher}\r\n\t"
            f"by {PROVIDER_MX} (Postfix) with {protocol} id 4QX1Kc2ZT9z9sW\r\n\t"
            f"for <{RECEIVER_ADDRESS}>; {date}",
        )
    )
    return "".join(f"{name}: {value}\r\n" for name, value in headers).encode()


@tagged("post_install", "-at_install")
class TestImap(EmailReceiverCommon, HttpCase):
    """Mail fetched by Odoo's incoming mail server from a real IMAP server."""

    @classmethod
    def _dns_records(cls):
        return [
            KEYS["supplier.example"].record(),
            ("supplier.example.", "TXT", f'"v=spf1 ip4:{SUPPLIER_IP} -all"'),
            ("_dmarc.supplier.example.", "TXT", '"v=DMARC1; p=reject"'),
        ]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.imap = Dovecot(MAILBOX, "mailbox-password").start()
        cls.addClassCleanup(cls.imap.stop)
        # Who presses Fetch Now: a settings administrator (the cron runs the
        # same fetch as the superuser), not an accounting user.
        cls.integrator = cls._new_user("integrator", "base.group_system", name="Ian Integrator")

    def setUp(self):
        super().setUp()
        # The procedure: 1. the mailbox's incoming mail server, IMAP over SSL.
        self.server = (
            self.env["fetchmail.server"]
            .with_user(self.integrator)
            .create(
                {
                    "name": "Invoices mailbox",
                    "server_type": "imap",
                    "is_ssl": True,
                    "server": "127.0.0.1",
                    "port": self.imap.port,
                    "user": MAILBOX,
                    "password": "mailbox-password",
                }
            )
        )
        # The test's Dovecot has a self-signed certificate: accept it, as
        # Odoo accepts a provider's (imaplib's SSL context checks nothing more).
        self.server.button_confirm_login()
        self.assertEqual(self.server.state, "done", self.server.error_message)
        # 2. the provider's MX, the host after "by" in its Received, as entry host.
        self.env["ir.config_parameter"].sudo().set_param(PARAM % "entry_host", PROVIDER_MX)

    def fetch(self):
        """3. Fetch Now, then the follow-up job the gateway triggered. Odoo's
        fetch commits after each mail; a test may not commit, so the commits
        of its cursors are flushes here (the test's transaction is rolled
        back at the end, as always)."""
        with patch.object(self.env.cr, "commit", self.env.cr.flush):
            self.server.with_user(self.integrator).fetch_mail()
        self.env.invalidate_all()
        self.assertFalse(self.server.error_message)
        self.follow_up()

    def test_fetched_mail_becomes_a_bill(self):
        self.imap.deliver(provider_headers() + sign(self.mail(received=None), "supplier.example"))
        self.fetch()
        self.assertEqual(self.imap.unread(), 0, "Odoo flagged the mail it read")
        log = self.last_log()
        self.assertRecordValues(
            log,
            [
                {
                    "state": "accepted",
                    "sender": TRUSTED_SENDER,
                    "used_tls": True,
                    "tls_protocol": "ESMTPS",
                    "through_gateway": True,
                    "auth_result": "pass",
                }
            ],
        )
        # SPF for the client IP in the provider's MX's Received, DKIM and
        # DMARC checked by Odoo itself: no authserv-id is trusted.
        self.assertIn("spf=pass (supplier.example)", log.auth_details)
        self.assertIn("dkim=pass (supplier.example, s=mail)", log.auth_details)
        self.assertRecordValues(
            log.move_ids,
            [
                {
                    "amount_total": 1656.25,
                    "ref": "Snippet1",
                    "partner_id": self.supplier.id,
                    "move_type": "in_invoice",
                }
            ],
        )
        self.assertTrue(self.receiver.tls_only, "switched on by the first TLS mail")

    def test_plain_mail_to_a_tls_only_receiver_is_held(self):
        self.receiver.tls_only = True
        self.imap.deliver(
            provider_headers(tls=False)
            + sign(self.mail(subject="plain", received=None), "supplier.example")
        )
        self.fetch()
        log = self.assertHeld(self.last_log(), "no_tls", used_tls=False, tls_protocol="ESMTP")
        # Kept as the server handed it over: the provider's headers on top.
        kept = email.message_from_bytes(log.raw_attachment_id.raw)
        self.assertEqual(kept["Return-Path"], "<bounces@supplier.example>")
        self.assertTrue(kept["Received"].startswith(f"from {PROVIDER_MX}"))
        self.assertFalse(self.env["account.move"].search([("ref", "=", "Snippet1")]))

    def test_forged_from_is_held(self):
        # From supplier.example (p=reject), unsigned, from an address its SPF refuses.
        self.imap.deliver(provider_headers(ip=STRANGER_IP) + self.mail(received=None))
        self.fetch()
        log = self.assertHeld(self.last_log(), "forged", auth_result="fail")
        self.assertIn("dmarc=fail (supplier.example, p=reject)", log.auth_details)

    def test_provider_results_count_only_under_a_trusted_authserv_id(self):
        # The provider says pass (it saw a signature a later hop broke, say);
        # Odoo itself sees an unsigned mail from an address SPF refuses.
        results = (
            "dkim=pass header.d=supplier.example header.s=mail; "
            "spf=pass smtp.mailfrom=supplier.example; dmarc=pass header.from=supplier.example"
        )
        headers = provider_headers(ip=STRANGER_IP, results=results)
        self.imap.deliver(headers + self.mail(subject="first", received=None))
        self.fetch()
        self.assertHeld(self.last_log(), "forged", auth_result="fail")
        # 4. (optional) trust the provider's own results: its authserv-id.
        self.env["ir.config_parameter"].sudo().set_param(PARAM % "authserv_ids", PROVIDER_MX)
        self.imap.deliver(headers + self.mail(subject="second", received=None))
        self.fetch()
        log = self.last_log()
        self.assertRecordValues(log, [{"state": "accepted", "auth_result": "pass"}])
        self.assertIn("dmarc=pass", log.auth_details)
        self.assertEqual(log.move_ids.amount_total, 1656.25)

    def test_a_mail_fetched_twice_is_one_log_and_one_bill(self):
        raw = provider_headers() + sign(self.mail(received=None), "supplier.example")
        self.imap.deliver(raw)
        self.fetch()
        # The connection dropped before Odoo flagged the mail: fetched again.
        self.imap.mark_unread()
        self.assertEqual(self.imap.unread(), 1)
        self.fetch()
        self.assertEqual(self.imap.unread(), 0)
        logs = self.env["email.receiver.log"].search([("receiver_id", "=", self.receiver.id)])
        self.assertEqual(len(logs), 1, "one log")
        self.assertEqual(logs.state, "accepted")
        bills = self.env["account.move"].search([("partner_id", "=", self.supplier.id)])
        self.assertEqual(len(bills), 1, "one bill")
        self.assertEqual(bills.amount_total, 1656.25)
