"""A small SMTP server for development and small installations (aiosmtpd).

It listens on localhost, offers STARTTLS with a certificate it generates on
first use, stamps each message with an RFC 5321 Received header (``with
ESMTPS`` when STARTTLS was negotiated, else ``with ESMTP``, ``by`` our entry
host), checks DKIM, SPF (it knows the client's IP) and DMARC as a milter does
and writes an ``Authentication-Results`` header under its host name above it,
with the envelope sender as ``Return-Path``, and POSTs it to Odoo's
/email_receiver/inbound. It answers 250 only
after Odoo accepted the message, and 451 (try again later) when Odoo is
unreachable or busy, so that the sending server keeps it: nothing is lost.

    .venv/bin/python tools/smtp_relay.py --port 2525 \\
        --endpoint http://127.0.0.1:8069/email_receiver/inbound \\
        --secret ... --hostname mx.example.com --database mydb --dns 127.0.0.1:5354
"""

import argparse
import datetime
import email.utils
import ipaddress
import logging
import os
import re
import ssl
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

# The addon's own checks (pure helpers beside this file, no Odoo): the same code
# judges mail here and in Odoo.
if __package__:
    from . import authentication, evidence
else:  # run as a script: this folder is first on sys.path
    import authentication
    import evidence

_logger = logging.getLogger("smtp_relay")


def ensure_certificate(cert_dir, hostname):
    """A self-signed certificate for STARTTLS, made once and kept."""
    cert_dir = Path(cert_dir)
    cert, key = cert_dir / "relay.crt", cert_dir / "relay.key"
    if cert.exists() and key.exists():
        return cert, key
    cert_dir.mkdir(parents=True, exist_ok=True)
    private_key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=825))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName(hostname),
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                ]
            ),
            critical=False,
        )
        .sign(private_key, hashes.SHA256())
    )
    key.write_bytes(
        private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key.chmod(0o600)
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return cert, key


def safe_helo(helo):
    """The client's HELO as one token: characters of a domain name or an
    address literal only (255 at most), ``unknown`` when none is left."""
    return re.sub(r"[^A-Za-z0-9.:_\-\[\]]", "_", helo or "")[:255] or "unknown"


class RelayHandler:
    def __init__(
        self,
        endpoint,
        secret,
        hostname,
        database=None,
        timeout=120,
        nameservers=(),
        lifetime=5.0,
        signing_key="",
    ):
        self.endpoint = endpoint
        self.signing_key = signing_key
        self.database = database
        self.secret = secret
        self.hostname = hostname
        self.timeout = timeout
        self.dns = authentication.dns_client(nameservers, lifetime)

    def authentication_results(self, session, envelope):
        """What a milter writes: DKIM, SPF for the client's IP, DMARC (RFC 8601)."""
        raw = envelope.original_content
        headers = evidence.parse_headers(raw)
        sender = evidence.sender_address(evidence.header_values(headers, "From"))
        result = authentication.authenticate(
            raw,
            sender.rpartition("@")[2] if sender else None,
            session.peer[0] if session.peer else None,
            session.host_name,
            envelope.mail_from or "",
            self.dns,
        )
        return (
            f"Return-Path: <{envelope.mail_from or ''}>\r\n"
            f"Authentication-Results: {result.header(self.hostname)}\r\n"
        ).encode()

    def received_header(self, session):
        """RFC 5321 §4.4 trace field; RFC 3848 protocol names. The HELO is
        the client's word: written as one token of a domain's or an address
        literal's characters, it cannot fake a comment or a clause."""
        protocol = "ESMTPS" if session.ssl is not None else "ESMTP"
        helo = safe_helo(session.host_name)
        peer = session.peer[0] if session.peer else "unknown"
        stamp = email.utils.format_datetime(datetime.datetime.now(datetime.timezone.utc))
        return (
            f"Received: from {helo} ([{peer}]) by {self.hostname} with {protocol} "
            f"id {uuid.uuid4().hex[:16]}; {stamp}\r\n"
        ).encode()

    async def handle_DATA(self, server, session, envelope):
        try:
            stamp = self.authentication_results(session, envelope)
        except Exception:  # noqa: BLE001 - no stamp: Odoo checks the mail itself
            _logger.warning("authentication failed", exc_info=True)
            stamp = b""
        raw = stamp + self.received_header(session) + envelope.original_content
        recipients = ", ".join(envelope.rcpt_tos)
        headers = {
            "Authorization": f"Bearer {self.secret}",
            "Content-Type": "message/rfc822",
            # RCPT TO: a receiver in Bcc is not in the headers
            "X-Email-Receiver-Recipients": recipients,
        }
        if self.signing_key:
            timestamp = str(int(time.time()))
            headers["X-Email-Receiver-Timestamp"] = timestamp
            headers["X-Email-Receiver-Signature"] = authentication.delivery_signature(
                self.signing_key, timestamp, recipients, raw
            )
        if self.database:
            headers["X-Odoo-Database"] = self.database  # several databases on one server
        request = urllib.request.Request(self.endpoint, data=raw, method="POST", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        except (urllib.error.URLError, OSError) as error:
            _logger.warning("Odoo unreachable (%s): 451", error)
            return "451 4.3.0 Odoo is unreachable, try again later"
        if status == 202:
            return "250 2.0.0 OK: delivered to Odoo"
        if status == 413:
            return "552 5.3.4 Message too big"
        if status == 400:
            return "554 5.6.0 Empty message"
        if status == 404:
            return "550 5.1.1 No receiver at these addresses"
        _logger.warning("Odoo answered %s: 451", status)
        return f"451 4.3.0 Odoo answered {status}, try again later"


def make_controller(
    port,
    endpoint,
    secret,
    hostname,
    cert_dir,
    bind="127.0.0.1",
    database=None,
    nameservers=(),
    lifetime=5.0,
    signing_key="",
):
    cert, key = ensure_certificate(cert_dir, hostname)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    handler = RelayHandler(
        endpoint,
        secret,
        hostname,
        database=database,
        nameservers=nameservers,
        lifetime=lifetime,
        signing_key=signing_key,
    )
    return Controller(
        handler,
        hostname=bind,
        port=port,
        tls_context=context,
        server_hostname=hostname,
        data_size_limit=64 * 1024 * 1024,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=2525)
    parser.add_argument("--bind", default="127.0.0.1")
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument(
        "--hostname", default="mx.localhost", help="our entry host (the Received 'by')"
    )
    parser.add_argument("--cert-dir", default=".run/relay")
    parser.add_argument("--database", help="sent as X-Odoo-Database when the server has several")
    parser.add_argument(
        "--dns", default="", help="DNS servers for DKIM/SPF/DMARC (host:port,...); default: system"
    )
    parser.add_argument(
        "--signing-key",
        default=os.environ.get("EMAIL_RECEIVER_SIGNING_KEY", ""),
        help="the endpoint's signing key (Settings); signs every request when set",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    controller = make_controller(
        args.port,
        args.endpoint,
        args.secret,
        args.hostname,
        args.cert_dir,
        args.bind,
        database=args.database,
        nameservers=[s.strip() for s in args.dns.split(",") if s.strip()],
        signing_key=args.signing_key,
    )
    controller.start()
    _logger.info("relay on %s:%s (STARTTLS) -> %s", args.bind, args.port, args.endpoint)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        _logger.info("relay stopped")
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
