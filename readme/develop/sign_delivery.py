"""Deliver one raw mail to /email_receiver/inbound, signed (Python standard library only)."""

import hashlib
import hmac
import time
import urllib.request


def signed_headers(secret, signing_key, raw, recipients=""):
    """The request headers: the bearer secret, and the HMAC-SHA256 of
    '<timestamp>.<recipients>.<body>' with the signing key (recipients exactly
    as sent in X-Email-Receiver-Recipients, comma-separated; empty if absent)."""
    timestamp = str(int(time.time()))
    signed = f"{timestamp}.{recipients}.".encode() + raw
    return {
        "Content-Type": "message/rfc822",
        "Authorization": f"Bearer {secret}",
        "X-Email-Receiver-Recipients": recipients,
        "X-Email-Receiver-Timestamp": timestamp,
        "X-Email-Receiver-Signature": hmac.new(
            signing_key.encode(), signed, hashlib.sha256
        ).hexdigest(),
    }


def deliver(url, secret, signing_key, raw, recipients=""):
    """POST the mail; 202 with {"log": id, "state": ...} when Odoo took it."""
    request = urllib.request.Request(
        url, data=raw, method="POST", headers=signed_headers(secret, signing_key, raw, recipients)
    )
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - your own Odoo
        return response.status, response.read()
