"""Real servers on loopback for the tests: DNS (dnslib) and SMTP (aiosmtpd).

Nothing is mocked here: the code under test talks to these over UDP/TCP.
"""

import base64
import contextlib
import email
import email.policy
import os
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path

import dkim
from aiosmtpd.controller import Controller
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from dnslib import RR
from dnslib.server import DNSServer
from dnslib.zoneresolver import ZoneResolver


def free_port(kind=socket.SOCK_STREAM):
    with contextlib.closing(socket.socket(socket.AF_INET, kind)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LoopbackDNS:
    """An authoritative DNS server for a zone, over UDP and TCP on one port."""

    def __init__(self, zone_text):
        resolver = ZoneResolver(zone_text, glob=False)
        self.logger = _CountingLogger()
        # A port free for UDP may be taken for TCP (another listener, or an
        # outgoing connection's ephemeral port): try another until both bind.
        for attempt in range(20):
            self.port = free_port(socket.SOCK_DGRAM)
            udp = DNSServer(
                resolver, port=self.port, address="127.0.0.1", tcp=False, logger=self.logger
            )
            try:
                tcp = DNSServer(
                    resolver, port=self.port, address="127.0.0.1", tcp=True, logger=self.logger
                )
            except OSError:
                udp.server.server_close()
                if attempt == 19:
                    raise
                continue
            self.servers = [udp, tcp]
            break

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    @property
    def requests(self):
        """How many questions this server was asked."""
        return self.logger.requests

    def start(self):
        for server in self.servers:
            server.start_thread()
        return self

    def stop(self):
        for server in self.servers:
            server.stop()
            server.server.server_close()


class SilentDNS:
    """A DNS server that never answers (for timeouts): it reads and drops."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.sock.settimeout(0.2)
        self.running = True
        self.thread = threading.Thread(target=self._drain, daemon=True)

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def _drain(self):
        while self.running:
            with contextlib.suppress(OSError):
                self.sock.recvfrom(4096)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.running = False
        self.thread.join(2)
        self.sock.close()


class _QuietLogger:
    def __getattr__(self, name):
        return lambda *args, **kwargs: None


class _CountingLogger(_QuietLogger):
    def __init__(self):
        self.requests = 0

    def log_request(self, handler, request):
        self.requests += 1


class DkimKey:
    """A sending domain's DKIM key, made for the test: it signs mail as the
    domain's server does, and ``record()`` is what the domain publishes."""

    def __init__(self, domain, selector="mail"):
        self.domain, self.selector = domain, selector
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.private = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
        self.public = base64.b64encode(
            key.public_key().public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        ).decode()

    def record(self):
        """``(name, type, value)`` of the key, in strings of 200 characters."""
        text = f"v=DKIM1; k=rsa; p={self.public}"
        value = " ".join(f'"{text[i : i + 200]}"' for i in range(0, len(text), 200))
        return (f"{self.selector}._domainkey.{self.domain}.", "TXT", value)

    def sign(self, raw, length=False):
        """The mail with a DKIM-Signature on top (``length``: with the body
        length tag ``l=``, as some senders still sign)."""
        signature = dkim.sign(
            raw,
            self.selector.encode(),
            self.domain.encode(),
            self.private,
            include_headers=[
                b"from",
                b"to",
                b"subject",
                b"date",
                b"message-id",
                b"content-type",
                b"mime-version",
            ],
            length=length,
        )
        return signature + raw

    def arc_seal(self, raw, results):
        """Forward the mail as a mailing list does: record ``results`` (its own
        Authentication-Results) and seal them with ARC (RFC 8617)."""
        raw = f"Authentication-Results: {self.domain}; {results}\r\n".encode() + raw
        seal = dkim.arc_sign(
            raw,
            self.selector.encode(),
            self.domain.encode(),
            self.private,
            self.domain.encode(),
            include_headers=[b"from", b"to", b"subject", b"date", b"message-id"],
        )
        return b"".join(seal) + raw


def zone(records):
    """Zone text from ``(name, type, value)`` triples."""
    lines = [f"{name} 60 IN {rtype} {value}" for name, rtype, value in records]
    RR.fromZone("\n".join(lines))  # fail early on a typo
    return "\n".join(lines)


class CapturingSMTP:
    """A real SMTP server (aiosmtpd) on loopback that keeps what it receives."""

    def __init__(self):
        self.messages = []
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(
            {"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos, "message": message}
        )
        return "250 OK"

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()


class PrivateServer:
    """A real server from the system's packages (``binary``, installed by
    ``make bootstrap``), run privately for the tests in a temporary folder of
    its own that its unprivileged users can enter; ``with`` runs
    ``start()`` and ``stop()``. Subclasses start it in ``_run()`` and stop it
    in ``_halt()``; ``pid_file`` is where its master writes its pid."""

    name = binary = pid_file = None
    root = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    def start(self):
        if not os.path.exists(self.binary):
            raise RuntimeError(
                f"{self.name} is not installed ({self.binary} is missing): run `make "
                "bootstrap` (dev/bootstrap.sh, step_mail_servers, installs it from Debian)"
            )
        self.root = Path(tempfile.mkdtemp(prefix=f"{self.name.lower()}-test-"))
        self.root.chmod(0o755)
        try:
            self._run()
        except BaseException:
            self.stop()  # nothing left running or on disk
            raise
        return self

    def stop(self):
        if self.root is None:
            return
        try:
            self._halt()
            self._wait_stopped()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def _wait_stopped(self, timeout=20):
        pid_file = self.root / self.pid_file
        deadline = time.monotonic() + timeout
        while pid_file.exists() and time.monotonic() < deadline:
            try:
                os.kill(int(pid_file.read_text().split()[0]), 0)
            except (OSError, ValueError, IndexError):
                return
            time.sleep(0.1)
