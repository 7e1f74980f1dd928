import hashlib
import hmac
import importlib.util
import json
import smtplib
import ssl
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from unittest.mock import patch

from odoo import Command
from odoo.tests import HttpCase, tagged
from odoo.tests.common import release_test_lock
from odoo.tools import config

from ..tools import authentication, evidence, smtp_relay
from .common import (
    RECEIVER_ADDRESS,
    TRUSTED_SENDER,
    EmailReceiverCommon,
)
from .servers import free_port
from .test_authentication import KEYS, sign

PARAM = "account_email_receiver.%s"
RELAY_HOST = "relay.receiver.test"
INBOUND_LOGGER = "odoo.addons.account_email_receiver.models.email_receiver_inbound"


@tagged("post_install", "-at_install")
class TestInbound(EmailReceiverCommon, HttpCase):
    """The HTTP endpoint and the SMTP relay, as real processes on loopback."""

    @classmethod
    def _dns_records(cls):
        # lax.example signs its mail and publishes p=reject (the relay's test).
        return [
            *super()._dns_records(),
            KEYS["lax.example"].record(),
            ("_dmarc.lax.example.", "TXT", '"v=DMARC1; p=reject"'),
        ]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["email.receiver.inbound"]._generate_secret()
        cls.secret = cls.env["ir.config_parameter"].sudo().get_param(PARAM % "inbound_secret")
        cls.url = f"http://127.0.0.1:{config['http_port']}/email_receiver/inbound"

    def post(self, body, headers=None):
        return self.url_open(
            self.url,
            data=body,
            method="POST",
            timeout=60,
            headers={"Content-Type": "message/rfc822", **(headers or {})},
        )

    def counts(self):
        return (
            self.env["email.receiver.log"].search_count([]),
            self.env["account.move"].search_count([]),
            self.env["mail.message"].search_count([]),
        )

    def test_refused_requests_store_nothing(self):
        raw = self.mail()
        before = self.counts()
        old = str(int(time.time()) - 600)
        self.env["ir.config_parameter"].sudo().set_param(PARAM % "inbound_hmac_key", "sign-key")
        old_signature = authentication.delivery_signature("sign-key", old, "", raw)
        self.env["ir.config_parameter"].sudo().set_param(PARAM % "max_size_mb", 1)
        cases = [
            ("no secret", raw, {}, 401),
            ("wrong secret", raw, {"Authorization": "Bearer wrong"}, 403),
            ("non-ASCII secret", raw, {"Authorization": "Bearer gehéim"}, 403),
            ("unsigned while signing is on", raw, {"Authorization": f"Bearer {self.secret}"}, 401),
            (
                "signed with the bearer secret",
                raw,
                {
                    "Authorization": f"Bearer {self.secret}",
                    "X-Email-Receiver-Timestamp": str(int(time.time())),
                    "X-Email-Receiver-Signature": authentication.delivery_signature(
                        self.secret, str(int(time.time())), "", raw
                    ),
                },
                403,
            ),
            (
                "old signature",
                raw,
                {
                    "Authorization": f"Bearer {self.secret}",
                    "X-Email-Receiver-Timestamp": old,
                    "X-Email-Receiver-Signature": old_signature,
                },
                403,
            ),
            ("empty body", b"", {"Authorization": f"Bearer {self.secret}"}, 400),
            (
                "form encoded",
                raw,
                {
                    "Authorization": f"Bearer {self.secret}",
                    "Content-Type": "application/x-www-form-urlencoded",
                },
                415,
            ),
            (
                "oversize",
                raw + b"x" * (2 * 1024 * 1024),
                {"Authorization": f"Bearer {self.secret}"},
                413,
            ),
        ]
        for name, body, headers, status in cases:
            response = self.post(body, headers)
            self.assertEqual(response.status_code, status, name)
            self.env.invalidate_all()
            self.assertEqual(self.counts(), before, f"{name}: nothing stored")

    def test_valid_message(self):
        raw = self.mail()
        now = str(int(time.time()))
        self.env["ir.config_parameter"].sudo().set_param(PARAM % "inbound_hmac_key", "sign-key")
        signature = authentication.delivery_signature("sign-key", now, "", raw)
        headers = {
            "Authorization": f"Bearer {self.secret}",
            "X-Email-Receiver-Timestamp": now,
            "X-Email-Receiver-Signature": signature,
        }
        response = self.post(raw, headers)
        self.assertEqual(response.status_code, 202)
        outcome = response.json()
        log = self.env["email.receiver.log"].browse(outcome["log"])
        self.assertEqual(outcome["state"], "accepted")
        self.assertEqual(log.move_ids.amount_total, 1656.25)

    def test_the_documented_signature_is_accepted(self):
        """DEVELOPMENT.md names readme/develop/sign_delivery.py: a provider's
        webhook written from it is accepted; one signing the string documented
        before (``<timestamp>.<body>``) gets 403 and the server log says why."""
        spec = importlib.util.spec_from_file_location(
            "sign_delivery", Path(__file__).parent.parent / "readme/develop/sign_delivery.py"
        )
        documented = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(documented)
        self.http_request_allow_all = True  # an outside client: no test cookie
        self.env["ir.config_parameter"].sudo().set_param(PARAM % "inbound_hmac_key", "hook-key")
        raw = self.mail(to="accounts@elsewhere.test")  # only the envelope names the receiver
        with release_test_lock():
            status, body = documented.deliver(
                self.url, self.secret, "hook-key", raw, RECEIVER_ADDRESS
            )
        self.assertEqual(status, 202, body)
        log = self.env["email.receiver.log"].browse(json.loads(body)["log"])
        self.assertEqual((log.state, log.move_ids.amount_total), ("accepted", 1656.25))
        # The old way: HMAC of '<timestamp>.<body>' only.
        raw = self.mail("old-way", to="accounts@elsewhere.test", subject="old way")
        headers = documented.signed_headers(self.secret, "hook-key", raw, RECEIVER_ADDRESS)
        old = hmac.new(
            b"hook-key", f"{headers['X-Email-Receiver-Timestamp']}.".encode() + raw, hashlib.sha256
        )
        headers["X-Email-Receiver-Signature"] = old.hexdigest()
        logs = len(self.logs())
        with self.assertLogs(INBOUND_LOGGER, "WARNING") as server_log:
            response = self.post(raw, headers)
        self.assertEqual(response.status_code, 403)
        self.assertEqual(response.json(), {"error": 403, "reason": "old_format"})
        self.assertIn(
            "inbound delivery refused (403): signed as '<timestamp>.<body>'; sign "
            "'<timestamp>.<recipients>.<body>'",
            server_log.output[0],
        )
        self.assertEqual(len(self.logs()), logs, "nothing stored")
        # A wrong key says only that the signature does not match.
        headers["X-Email-Receiver-Signature"] = authentication.delivery_signature(
            "other-key", headers["X-Email-Receiver-Timestamp"], RECEIVER_ADDRESS, raw
        )
        with self.assertLogs(INBOUND_LOGGER, "WARNING"):
            self.assertEqual(
                self.post(raw, headers).json(), {"error": 403, "reason": "wrong_signature"}
            )

    def test_relay_writes_a_helo_that_fakes_no_clause(self):
        handler = smtp_relay.RelayHandler("http://127.0.0.1:1/", "s", RELAY_HOST)
        for helo in ("x ([192.0.2.10]) by", "[192.0.2.10] (unknown [192.0.2.10])", "a\tb(c"):
            session = SimpleNamespace(host_name=helo, peer=("198.51.100.7", 2525), ssl=None)
            received = handler.received_header(session).decode().partition(": ")[2]
            self.assertEqual(evidence.received_client(received)[0], "198.51.100.7", received)
            self.assertEqual(evidence._received(received)[2], RELAY_HOST.lower())

    def test_one_header_parse_and_one_receiver_lookup_per_mail(self):
        # The HTTP path: the endpoint's parse is the gateway's only one; dkimpy,
        # the e-invoice's XML and what it declares, once each.
        raw = self.mail()
        with self.count_parses() as counted:
            response = self.post(raw, {"Authorization": f"Bearer {self.secret}"})
        self.assertEqual(response.status_code, 202)
        self.assertEqual(
            dict(counted),
            {"headers": 1, "lookups": 1, "odoo": 1, "dkimpy": 1, "xml": 1, "declared": 1},
        )
        log = self.env["email.receiver.log"].browse(response.json()["log"])
        self.assertEqual((log.state, log.move_ids.amount_total), ("accepted", 1656.25))
        self.assertEqual(len(self.logs()), 1)

    def test_the_log_carries_the_mail_from_the_endpoint_to_the_bill(self):
        # The log is created as the mail enters and carried (Delivery.log_ids):
        # the verdict, the bill's link and the outcome write to it. The one
        # search by the mail's content is the entry's: is this mail known?
        Log = type(self.env["email.receiver.log"])
        searched = []
        search = Log._search

        def recording(self, domain, *args, **kwargs):
            if "content_key" in str(domain):
                searched.append(domain)
            return search(self, domain, *args, **kwargs)

        with patch.object(Log, "_search", recording):
            response = self.post(self.mail(), {"Authorization": f"Bearer {self.secret}"})
        self.assertEqual(response.status_code, 202)
        log = self.env["email.receiver.log"].browse(response.json()["log"])
        self.assertRecordValues(log, [{"state": "accepted"}])
        self.assertRecordValues(log.move_ids, [{"amount_total": 1656.25, "ref": "Snippet1"}])
        self.assertEqual(len(searched), 1, searched)

    def test_envelope_recipients_reach_a_receiver_in_bcc(self):
        # The receiver is in the envelope only (Bcc, forwarding): To names another.
        raw = self.mail(to="accounts@elsewhere.test", authenticated=True)
        response = self.post(raw, {"Authorization": f"Bearer {self.secret}"})
        self.assertEqual(response.status_code, 404, "no receiver in the headers: not 2xx")
        self.assertFalse(self.logs())
        response = self.post(
            raw,
            {
                "Authorization": f"Bearer {self.secret}",
                "X-Email-Receiver-Recipients": RECEIVER_ADDRESS,
            },
        )
        self.assertEqual(response.status_code, 202)
        log = self.last_log()
        self.assertEqual(len(self.logs()), 1)
        self.assertEqual(response.json()["log"], log.id)
        self.assertEqual(log.state, "accepted", log.explanation)
        self.assertEqual(log.move_ids.amount_total, 1656.25)

    def test_the_relay_runs_as_a_script(self):
        # `make run` starts tools/smtp_relay.py on its own, outside the addon's
        # package: its sibling modules must import that way too.
        done = subprocess.run(  # noqa: S603 - our own script
            [sys.executable, smtp_relay.__file__, "--help"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        self.assertEqual(done.returncode, 0, done.stderr[-2000:])
        self.assertIn("--endpoint", done.stdout)

    def test_relay_end_to_end(self):
        # The relay is an outside client: it cannot carry the test's cookie.
        self.http_request_allow_all = True
        relay_module = smtp_relay
        self.env["ir.config_parameter"].sudo().set_param(PARAM % "entry_host", RELAY_HOST)
        port = free_port()
        cert_dir = Path(config["data_dir"]) / "test_relay_certs"
        # Signing is on in Settings: the relay signs each request (recipients and body).
        self.env["ir.config_parameter"].sudo().set_param(PARAM % "inbound_hmac_key", "relay-key")
        relay = relay_module.make_controller(
            port,
            self.url,
            self.secret,
            RELAY_HOST,
            cert_dir,
            database=self.env.cr.dbname,
            nameservers=[self.dns.address],
            lifetime=1.0,
            signing_key="relay-key",
        )
        relay.start()
        self.addCleanup(relay.stop)
        client_tls = ssl.create_default_context()
        client_tls.check_hostname = False
        client_tls.verify_mode = ssl.CERT_NONE

        def send(raw, starttls):
            # Like url_open: let the server thread use the test cursor meanwhile.
            with release_test_lock(), smtplib.SMTP("127.0.0.1", port, timeout=60) as smtp:
                smtp.ehlo("mail.supplier.example")
                if starttls:
                    smtp.starttls(context=client_tls)
                    smtp.ehlo("mail.supplier.example")
                smtp.sendmail(TRUSTED_SENDER, [RECEIVER_ADDRESS], _crlf(raw))

        # With STARTTLS: TLS evidence from the relay's own Received header.
        send(self.mail(received=None), True)
        log = self.last_log()
        self.assertRecordValues(
            log, [{"state": "accepted", "used_tls": True, "tls_protocol": "ESMTPS"}]
        )
        self.follow_up()  # the job the gateway triggered, as the cron worker runs it
        self.assertTrue(self.receiver.tls_only, "switched on by the first TLS mail")
        # Without STARTTLS, to a TLS-only receiver: held.
        send(
            self.mail("plain", received=None, subject="plain"),
            False,
        )
        self.assertRecordValues(
            self.last_log(), [{"state": "held", "reason": "no_tls", "used_tls": False}]
        )
        # A multi-megabyte PDF next to the invoice.
        big_pdf = b"%PDF-1.4\n" + b"0" * (4 * 1024 * 1024)
        send(
            self.mail(
                received=None,
                subject="big",
                attachments=[
                    ("i.xml", self.invoice("big"), "application/xml"),
                    ("scan.pdf", big_pdf, "application/pdf"),
                ],
            ),
            True,
        )
        self.assertEqual(self.last_log().state, "accepted")
        # The receiver in Bcc: only the envelope (RCPT TO) names it.
        with release_test_lock(), smtplib.SMTP("127.0.0.1", port, timeout=60) as smtp:
            smtp.ehlo("mail.supplier.example")
            smtp.starttls(context=client_tls)
            smtp.sendmail(
                TRUSTED_SENDER,
                [RECEIVER_ADDRESS],
                _crlf(self.mail("bcc", received=None, to="accounts@elsewhere.test", subject="bcc")),
            )
        log = self.last_log()
        self.assertEqual((log.subject, log.state), ("bcc", "accepted"), log.explanation)
        # For no receiver at all: refused in the SMTP session (no bounce of ours).
        logs = len(self.logs())
        with (
            release_test_lock(),
            smtplib.SMTP("127.0.0.1", port, timeout=60) as smtp,
            self.assertRaises(smtplib.SMTPDataError) as refused,
        ):
            smtp.sendmail(
                TRUSTED_SENDER,
                ["nobody@elsewhere.test"],
                _crlf(self.mail(attachments=(), to="nobody@elsewhere.test", subject="nobody")),
            )
        self.assertEqual(refused.exception.smtp_code, 550)
        self.assertEqual(len(self.logs()), logs)

    def test_relay_stamps_authentication_results(self):
        """The relay checks DKIM, SPF and DMARC as a milter does, and Odoo
        trusts its Authentication-Results when its id is trusted."""
        self.http_request_allow_all = True
        set_param = self.env["ir.config_parameter"].sudo().set_param
        set_param(PARAM % "entry_host", RELAY_HOST)
        set_param(PARAM % "authserv_ids", RELAY_HOST)
        self.receiver.write(
            {"rule_ids": [Command.create({"rule_type": "domain", "value": "lax.example"})]}
        )
        port = free_port()
        relay = smtp_relay.make_controller(
            port,
            self.url,
            self.secret,
            RELAY_HOST,
            Path(config["data_dir"]) / "test_relay_certs",
            database=self.env.cr.dbname,
            nameservers=[self.dns.address],
            lifetime=1.0,
        )
        relay.start()
        self.addCleanup(relay.stop)

        def send(raw):
            with release_test_lock(), smtplib.SMTP("127.0.0.1", port, timeout=60) as smtp:
                smtp.sendmail("billing@lax.example", [RECEIVER_ADDRESS], _crlf(raw))

        attachments = [("i.xml", self.ubl, "application/xml")]
        send(
            sign(
                self.mail(received=None, sender="billing@lax.example", attachments=attachments),
                "lax.example",
            )
        )
        log = self.last_log()
        self.assertRecordValues(
            log,
            [
                {
                    "state": "accepted",
                    "auth_result": "pass",
                    "auth_details": "dkim=pass, spf=none, dmarc=pass",
                }
            ],
        )
        self.assertEqual(log.move_ids.amount_total, 1656.25)
        # Unsigned, under p=reject: the relay says dmarc=fail, and it is held.
        answered = self.outgoing("billing@lax.example")  # the report of the signed mail
        send(
            self.mail(
                received=None,
                sender="billing@lax.example",
                subject="forged",
                attachments=attachments,
            )
        )
        self.assertRecordValues(
            self.last_log(), [{"state": "held", "reason": "forged", "auth_result": "fail"}]
        )
        self.assertEqual(self.outgoing("billing@lax.example"), answered, "never answered")

    def test_relay_answers_451_when_odoo_is_unreachable(self):
        relay_module = smtp_relay
        port = free_port()
        unreachable = f"http://127.0.0.1:{free_port()}/email_receiver/inbound"
        relay = relay_module.make_controller(
            port,
            unreachable,
            self.secret,
            RELAY_HOST,
            Path(config["data_dir"]) / "test_relay_certs",
        )
        relay.start()
        self.addCleanup(relay.stop)
        with (
            smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp,
            self.assertRaises(smtplib.SMTPDataError) as caught,
        ):
            smtp.sendmail(TRUSTED_SENDER, [RECEIVER_ADDRESS], _crlf(self.mail(attachments=())))
        self.assertEqual(caught.exception.smtp_code, 451)


def _crlf(raw):
    """SMTP lines end in CRLF; smtplib sends bytes as they are."""
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
