"""Real servers on loopback for the tests: DNS (dnslib) and SMTP (aiosmtpd).

Nothing is mocked here: the code under test talks to these over UDP/TCP.
"""

import contextlib
import email
import email.policy
import socket
import threading

from aiosmtpd.controller import Controller
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
        # A port free for UDP may be taken for TCP (another listener, or an
        # outgoing connection's ephemeral port): try another until both bind.
        for attempt in range(20):
            self.port = free_port(socket.SOCK_DGRAM)
            udp = DNSServer(
                resolver, port=self.port, address="127.0.0.1", tcp=False, logger=_QuietLogger()
            )
            try:
                tcp = DNSServer(
                    resolver, port=self.port, address="127.0.0.1", tcp=True, logger=_QuietLogger()
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
