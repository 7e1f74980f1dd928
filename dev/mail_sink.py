"""The development mail sink: an SMTP server on loopback that keeps every mail
Odoo sends as a file (``.run/outbox/*.eml``), so that what a customer or a
supplier would receive can be read, and checked (make check-real-install).

    python dev/mail_sink.py --port 2526 --dir .run/outbox
"""

import argparse
import asyncio
import itertools
import time
from pathlib import Path

from aiosmtpd.controller import Controller


class Keep:
    def __init__(self, folder):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.counter = itertools.count(1)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        name = f"{time.strftime('%Y%m%d-%H%M%S')}-{next(self.counter):04d}.eml"
        recipients = ", ".join(envelope.rcpt_tos)
        data = f"X-Sink-Rcpt-To: {recipients}\r\n".encode() + envelope.original_content
        (self.folder / name).write_bytes(data)
        return "250 kept"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=2526)
    parser.add_argument("--dir", default="outbox")
    args = parser.parse_args()
    controller = Controller(Keep(args.dir), hostname="127.0.0.1", port=args.port)
    controller.start()
    print(f"mail sink: listening on 127.0.0.1:{args.port}, keeping mail in {args.dir}", flush=True)
    try:
        asyncio.get_event_loop().run_until_complete(asyncio.Event().wait())
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
