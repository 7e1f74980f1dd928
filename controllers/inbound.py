import json

from odoo import http
from odoo.exceptions import ConcurrencyError
from odoo.http import request
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY


class EmailReceiverInboundController(http.Controller):
    @http.route(
        "/email_receiver/inbound",
        type="http",
        auth="none",
        methods=["POST"],
        csrf=False,
        save_session=False,
        readonly=False,
    )
    def inbound(self, **kwargs):
        """One raw RFC 822 message per POST: authenticate, hand over, answer.

        202 with the outcome; 404 for mail addressed to no receiver (headers
        and ``X-Email-Receiver-Recipients``, the envelope recipients): not
        processed; 401/403 without a valid secret or signature,
        413 over the size limit, 400 for an empty body, 415 for another
        Content-Type than message/rfc822, 503 with Retry-After
        when the database is busy (the sender retries; nothing is lost).
        """
        httprequest = request.httprequest
        headers = httprequest.headers
        Inbound = request.env["email.receiver.inbound"].sudo()
        status = Inbound._check_request(headers.get("Authorization"), httprequest.content_length)
        if not status and httprequest.mimetype != "message/rfc822":
            status = 415  # a form-encoded body would be parsed, and lost, as a form
        reason = None
        if not status:
            raw = httprequest.get_data()  # cached: Odoo may retry the request
            status, reason = Inbound._check_body(
                raw,
                headers.get("X-Email-Receiver-Timestamp"),
                headers.get("X-Email-Receiver-Signature"),
                headers.get("X-Email-Receiver-Recipients") or "",
            )
        if status:
            # The caller proved the bearer secret: it may read why its signature failed.
            return _json({"error": status, **({"reason": reason} if reason else {})}, status)
        try:
            outcome = Inbound._deliver(raw, headers.get("X-Email-Receiver-Recipients"))
        except (ConcurrencyError, *PG_CONCURRENCY_EXCEPTIONS_TO_RETRY):
            request.env.cr.rollback()
            return _json({"error": 503}, 503, [("Retry-After", "30")])
        return _json(outcome, 404 if outcome["state"] == "not_for_a_receiver" else 202)


def _json(data, status, headers=()):
    return request.make_response(
        json.dumps(data), headers=[("Content-Type", "application/json"), *headers], status=status
    )
