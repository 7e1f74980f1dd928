"""Postfix → odoo-mailgate.py, with a real Postfix (tests/postfix.py).

A private Postfix instance on loopback, configured with the documented lines
(readme/develop/postfix/), receives the supplier's mail over SMTP and pipes
it to Odoo's own odoo-mailgate.py, which calls this test server over
XML-RPC as the Mail gateway user. Odoo reads TLS and the client IP (SPF)
from Postfix's own Received header and the envelope sender from the
Return-Path the pipe writes.
"""

import contextlib
import email
import logging
import re
import smtplib
import ssl
from unittest.mock import patch

from odoo.tests import HttpCase, tagged
from odoo.tests.common import release_test_lock
from odoo.tools import config

from ..tools import evidence
from .common import ALIAS_DOMAIN, RECEIVER_ADDRESS, EmailReceiverCommon
from .postfix import Postfix
from .test_authentication import KEYS, sign

_logger = logging.getLogger(__name__)
PARAM = "account_email_receiver.%s"
MX_HOST = "mx.receiver.test"
ENVELOPE_SENDER = "bounces@supplier.example"


def _crlf(raw):
    """SMTP lines end in CRLF; smtplib sends bytes as they are."""
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


@tagged("post_install", "-at_install")
class TestPostfix(EmailReceiverCommon, HttpCase):
    """Mail through a real Postfix and odoo-mailgate.py to the test server."""

    @classmethod
    def _dns_records(cls):
        # Postfix sees its clients at 127.0.0.1: supplier.example allows that
        # address to send, signs its mail, and publishes p=reject.
        return [
            KEYS["supplier.example"].record(),
            ("supplier.example.", "TXT", '"v=spf1 ip4:127.0.0.1 -all"'),
            ("_dmarc.supplier.example.", "TXT", '"v=DMARC1; p=reject"'),
        ]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mta = Postfix(
            database=cls.env.cr.dbname,
            uid=cls.gateway_user.id,
            password=cls.gateway_user.login + "x" * (8 - len(cls.gateway_user.login)),
            http_port=config["http_port"],
            alias_domain=ALIAS_DOMAIN,
            hostname=MX_HOST,
        ).start()
        cls.addClassCleanup(cls.mta.stop)

    def setUp(self):
        super().setUp()
        # Postfix's pipe is an outside client: it cannot carry the test's cookie.
        self.http_request_allow_all = True
        self.env["ir.config_parameter"].sudo().set_param(PARAM % "entry_host", MX_HOST)

    @contextlib.contextmanager
    def recording_received(self):
        """The Received headers Odoo read for TLS evidence, as the server
        thread (in this process) reads them from the mail the pipe handed on."""
        received, tls_evidence = [], evidence.tls_evidence

        def recording(values, *args, **kwargs):
            received.append(list(values or ()))
            return tls_evidence(values, *args, **kwargs)

        with patch.object(evidence, "tls_evidence", recording):
            yield received

    def submit(self, raw, *, starttls=True, sender=ENVELOPE_SENDER):
        """Submit ``raw`` to Postfix as the supplier's server does, then wait
        (the test server free to answer the pipe) until Postfix delivered it:
        its log line for the queue id."""
        client_tls = ssl.create_default_context()
        client_tls.check_hostname = False
        client_tls.verify_mode = ssl.CERT_NONE
        # Like url_open: let the server thread use the test cursor meanwhile,
        # and see what this test wrote (the ORM's cache is this thread's).
        self.env.flush_all()
        with release_test_lock(), self.recording_received() as received:
            with smtplib.SMTP("127.0.0.1", self.mta.port, timeout=60) as smtp:
                smtp.ehlo("mail.supplier.example")
                if starttls:
                    smtp.starttls(context=client_tls)
                    smtp.ehlo("mail.supplier.example")
                smtp.mail(sender)
                accepted = smtp.rcpt(RECEIVER_ADDRESS)
                _code, answer = smtp.data(_crlf(raw)) if accepted[0] == 250 else (0, b"")
            queued = re.search(r"queued as (\w+)", answer.decode())
            line = self.mta.wait_delivery(queued.group(1)) if queued else ""
        self.env.invalidate_all()
        self.received = received
        self.assertEqual(accepted[0], 250, accepted)
        self.assertIn("status=sent", line, self.mta.log()[-4000:])
        return line

    def test_mail_over_starttls_becomes_a_bill(self):
        line = self.submit(sign(self.mail(received=None), "supplier.example"))
        log = self.last_log()
        # Postfix's own Received, on top, as the pipe handed the mail to odoo-mailgate.py.
        (received,) = self.received
        _logger.info("Postfix delivered: %s\nReceived: %s", line, received[0])
        self.assertRegex(
            " ".join(str(received[0]).split()),
            rf"^from mail\.supplier\.example \(localhost \[127\.0\.0\.1\]\) \(using TLS.*\) "
            rf"by {re.escape(MX_HOST)} \(Postfix\) with ESMTPS id \w+ ",
        )
        self.assertRecordValues(
            log,
            [
                {
                    "state": "accepted",
                    "used_tls": True,
                    "tls_protocol": "ESMTPS",
                    "through_gateway": True,
                    "auth_result": "pass",
                }
            ],
        )
        self.assertIn("spf=pass (supplier.example)", log.auth_details)
        self.assertIn("dkim=pass (supplier.example, s=mail)", log.auth_details)
        self.follow_up()  # the job the gateway triggered, as the cron worker runs it
        self.assertRecordValues(
            log.move_ids,
            [{"amount_total": 1656.25, "ref": "Snippet1", "partner_id": self.supplier.id}],
        )
        self.assertTrue(self.receiver.tls_only, "switched on by the first TLS mail")

    def test_plain_mail_to_a_tls_only_receiver_is_held(self):
        self.receiver.tls_only = True
        self.submit(
            sign(self.mail(subject="plain", received=None), "supplier.example"), starttls=False
        )
        log = self.assertHeld(self.last_log(), "no_tls", used_tls=False, tls_protocol="ESMTP")
        # The mail kept as the pipe gave it: Postfix's trace headers on top.
        mail = email.message_from_bytes(log.raw_attachment_id.raw)
        self.assertEqual(
            (mail["Return-Path"], mail["Delivered-To"]), (f"<{ENVELOPE_SENDER}>", RECEIVER_ADDRESS)
        )
        self.assertRegex(
            " ".join(mail["Received"].split()),
            r"^from mail\.supplier\.example \(localhost \[127\.0\.0\.1\]\) "
            rf"by {re.escape(MX_HOST)} \(Postfix\) with ESMTP id \w+ ",
        )

    def test_forged_from_is_held(self):
        # From supplier.example (p=reject), unsigned, from a stranger's envelope.
        self.submit(self.mail(subject="forged", received=None), sender="someone@stranger.example")
        log = self.assertHeld(self.last_log(), "forged", auth_result="fail")
        self.assertEqual(
            log.auth_details, "spf=none (stranger.example), dmarc=fail (supplier.example, p=reject)"
        )
