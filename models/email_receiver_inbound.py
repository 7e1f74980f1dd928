import hmac
import logging
import secrets
import time
from datetime import timedelta

import psycopg2

from odoo import api, fields, models
from odoo.tools import email_split, mute_logger

from ..tools import authentication
from ..tools.incoming_mail import IncomingMail
from ..tools.settings import PARAM, setting

_logger = logging.getLogger(__name__)

SIGNATURE_WINDOW = 300  # seconds: an older signed request is refused as a replay


class EmailReceiverInbound(models.AbstractModel):
    """Delivery of raw mail by HTTP POST (hosted providers, tools/smtp_relay.py).

    The controller only authenticates and hands over; this model checks the
    secret and the optional signature, and hands the mail to the gateway's one
    path (``email.receiver._gateway_receive``) as the dedicated technical user."""

    _name = "email.receiver.inbound"
    _description = "Email Receiver Inbound Delivery"

    # --------------------------------------------------
    # Settings
    # --------------------------------------------------

    @api.model
    def _secret(self):
        return setting(self.env, "inbound_secret")

    @api.model
    def _signing_key(self):
        """The HMAC key: its own secret, never the bearer secret. When set,
        every request must be signed; when empty, none is."""
        return setting(self.env, "inbound_hmac_key")

    @api.model
    def _max_bytes(self):
        return self.env["email.receiver"]._gateway_max_bytes()

    # --------------------------------------------------
    # Checks of a request
    # --------------------------------------------------

    @api.model
    def _check_request(self, authorization, declared_size):
        """Before reading the body: the secret (constant time) and the size.
        Return an HTTP status for a refused request, or None."""
        if not authorization or not authorization.startswith("Bearer "):
            return 401
        secret = self._secret()
        if not secret or not _equal(authorization[len("Bearer ") :].strip(), secret):
            return 403
        if declared_size and declared_size > self._max_bytes():
            return 413
        return None

    @api.model
    def _check_body(self, raw, timestamp, signature, recipients=""):
        """After reading it: empty, too large, or a bad, stale or replayed
        signature. Returns (status, reason), reason a key of
        ``authentication.SIGNATURE_PROBLEMS`` (or "replay") for a refused
        signature, written to the server log: the integrator reads why."""
        if not raw:
            return 400, None
        if len(raw) > self._max_bytes():
            return 413, None
        key = self._signing_key()
        if key:
            if not signature or not timestamp:
                return 401, None  # signing is on: an unsigned request is not authenticated
            problem = authentication.signature_problem(
                key, timestamp, signature, raw, recipients, time.time(), SIGNATURE_WINDOW
            )
            if not problem and not self.env["email.receiver.inbound.signature"]._remember(
                signature
            ):
                problem = "replay"  # a request already delivered
            if problem:
                _logger.warning(
                    "inbound delivery refused (403): %s",
                    authentication.SIGNATURE_PROBLEMS.get(
                        problem, "this signed request was already delivered"
                    ),
                )
                return 403, problem
        return None, None

    # --------------------------------------------------
    # Delivery
    # --------------------------------------------------

    @api.model
    def _deliver(self, raw, envelope_recipients=""):
        """Process one raw message; return the outcome for the HTTP answer.

        ``envelope_recipients`` (``X-Email-Receiver-Recipients``, from an
        authenticated request: the relay's RCPT TO) become ``Delivered-To``
        headers, as an MTA writes them: a receiver in Bcc, or reached by
        forwarding, is routed like one in To. Mail for no receiver is not
        processed here (``not_for_a_receiver``: answered 404, never 2xx)."""
        mail = IncomingMail.parse(raw, email_split(envelope_recipients or ""), through_gateway=True)
        user = self.env.ref("account_email_receiver.user_email_receiver_inbound")
        logs = self.env["email.receiver"].with_user(user)._gateway_receive(mail)
        if logs is None:
            return {"state": "not_for_a_receiver", "log": None}
        log = logs[:1]
        return {"state": log.state or "error", "log": log.id or None, "reason": log.reason or None}

    # --------------------------------------------------
    # Secret
    # --------------------------------------------------

    @api.model
    def _ensure_secret(self):
        if not self._secret():
            self._generate_secret()

    @api.model
    def _generate_secret(self):
        self.env["ir.config_parameter"].sudo().set_param(
            PARAM % "inbound_secret", secrets.token_urlsafe(32)
        )


def _equal(expected, given):
    """Constant-time comparison that also takes non-ASCII input (an answer,
    never a 500): both sides are compared as UTF-8 bytes."""
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace"))


class EmailReceiverInboundSignature(models.Model):
    """The signatures of delivered requests, kept for the signature window:
    a request replayed within it (same signature) is refused."""

    _name = "email.receiver.inbound.signature"
    _description = "Email Receiver Inbound Signature"
    _log_access = False

    signature = fields.Char(required=True)
    received = fields.Datetime(required=True, index=True)

    _signature_unique = models.Constraint(
        "UNIQUE(signature)", "This request was already delivered."
    )

    @api.model
    def _remember(self, signature):
        """Record a signature; False when it was seen within the window."""
        now = fields.Datetime.now()
        self.sudo().search(
            [("received", "<", now - timedelta(seconds=2 * SIGNATURE_WINDOW))]
        ).unlink()
        if self.sudo().search_count([("signature", "=", signature)], limit=1):
            return False
        try:  # two copies of one request at once: the unique index decides
            with self.env.cr.savepoint(), mute_logger("odoo.sql_db"):
                self.sudo().create({"signature": signature, "received": now})
        except psycopg2.IntegrityError:
            return False
        return True
