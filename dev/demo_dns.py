"""The development DNS server of `make run`: the demo senders' DKIM keys, SPF
and DMARC records, served on loopback (dnslib) so that the development relay
and Odoo authenticate demo mail as they would a real supplier's.

The DKIM keys are made on first use and kept in ``--dir``; `make demo-mail`
signs with them.

    python dev/demo_dns.py --port 5354 --dir .run/dns
"""

import argparse
import base64
import time
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from dnslib.server import DNSLogger, DNSServer
from dnslib.zoneresolver import ZoneResolver

# The demo senders (make demo-mail, demo-mail-sales): they send from the relay's
# client address, 127.0.0.1, sign with selector "demo" and publish p=reject.
DOMAINS = ("supplier.example", "erp.localhost")
SELECTOR = "demo"


def private_key(folder, domain):
    """The domain's DKIM key (PEM), made once and kept."""
    path = Path(folder) / f"{domain}.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.TraditionalOpenSSL,
                serialization.NoEncryption(),
            )
        )
        path.chmod(0o600)
    return path.read_bytes()


def zone_text(folder):
    lines = []
    for domain in DOMAINS:
        key = serialization.load_pem_private_key(private_key(folder, domain), password=None)
        public = base64.b64encode(
            key.public_key().public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        ).decode()
        record = f"v=DKIM1; k=rsa; p={public}"
        chunks = " ".join(f'"{record[i : i + 200]}"' for i in range(0, len(record), 200))
        lines += [
            f"{SELECTOR}._domainkey.{domain}. 300 IN TXT {chunks}",
            f'{domain}. 300 IN TXT "v=spf1 ip4:127.0.0.1 -all"',
            f'_dmarc.{domain}. 300 IN TXT "v=DMARC1; p=reject"',
        ]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=5354)
    parser.add_argument("--dir", default=".run/dns")
    args = parser.parse_args()
    resolver = ZoneResolver(zone_text(args.dir), glob=False)
    logger = DNSLogger("-recv,-send,-request,-reply,-truncated,-data")  # errors only
    servers = [
        DNSServer(resolver, port=args.port, address="127.0.0.1", tcp=tcp, logger=logger)
        for tcp in (False, True)
    ]
    for server in servers:
        server.start_thread()
    print(f"demo DNS on 127.0.0.1:{args.port} for {', '.join(DOMAINS)}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
