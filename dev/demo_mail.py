"""make demo-mail: send the demo supplier's Peppol UBL invoice over STARTTLS to
the demo receiver through the relay that `make run` started. With --untrusted,
the same invoice from an address the receiver does not trust: it is held. With
--sales, the same UBL as a customer invoice from our own invoicing system to the
demo sales receiver: posted, and sent on to the buyer (lj@buyer.se) with the UBL
and the PDF, which land in the development mail sink (.run/outbox/). With
--pdf, a plain PDF invoice (no e-invoice) from the supplier: the conversion
robot fills the draft bill.
"""

import argparse
import smtplib
import ssl
import sys
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

import dkim

ROOT = Path(__file__).resolve().parent.parent
RECEIVER = "supplier-bills-demo@invoices.localhost"
SALES_RECEIVER = "customer-invoices-demo@invoices.localhost"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=2525)
    parser.add_argument("--db", default="email_receiver_demo")
    parser.add_argument("--untrusted", action="store_true")
    parser.add_argument("--sales", action="store_true")
    parser.add_argument("--pdf", action="store_true")
    args = parser.parse_args()
    sender = "someone@untrusted.example" if args.untrusted else "billing@supplier.example"
    receiver = RECEIVER
    if args.sales:
        sender, receiver = "invoicing@erp.localhost", SALES_RECEIVER
    message = EmailMessage()
    message["From"] = f"SupplierOfficialName Ltd <{sender}>"
    message["To"] = receiver
    message["Subject"] = "Invoice Snippet1"
    message["Date"] = formatdate(localtime=True)
    message["Message-Id"] = make_msgid(domain=sender.partition("@")[2])
    message.set_content("Dear customer,\n\nplease find our invoice Snippet1 attached.\n")
    ubl = (ROOT / "tests" / "data" / "base-example.xml").read_bytes()
    if not args.sales:
        # The supplier's invoice is addressed to the demo company (which has no
        # VAT number: the receiver compares the buyer's name).
        ubl = ubl.replace(b">Buyer Official Name<", b">YourCompany<")
    if args.pdf:
        pdf = (ROOT / "tests" / "data" / "pdf" / "reportlab-nl-rates.pdf").read_bytes()
        message.replace_header("Subject", "Factuur 2026-0502")
        message.add_attachment(
            pdf, maintype="application", subtype="pdf", filename="factuur-2026-0502.pdf"
        )
    else:
        message.add_attachment(ubl, maintype="application", subtype="xml", filename="Snippet1.xml")
    # SMTP lines end in CRLF (smtplib sends bytes as they are); sign that form.
    raw = message.as_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    key = ROOT / ".run" / "dns" / f"{sender.partition('@')[2]}.key"
    if key.exists():  # the demo DNS server publishes its public half (make run)
        raw = (
            dkim.sign(
                raw,
                b"demo",
                sender.partition("@")[2].encode(),
                key.read_bytes(),
                include_headers=[b"from", b"to", b"subject", b"date", b"message-id"],
            )
            + raw
        )
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the relay's certificate is self-signed
    try:
        with smtplib.SMTP("127.0.0.1", args.port, timeout=120) as smtp:
            smtp.starttls(context=context)
            smtp.sendmail(sender, [receiver], raw)
    except (OSError, smtplib.SMTPException) as error:
        print(f"demo-mail: could not deliver ({error}). Is `make run` running?", file=sys.stderr)
        return 1
    where = (
        "Email Receiver › Held mail"
        if args.untrusted
        else "Accounting › Customers › Invoices, and .run/outbox/ for the mail to the buyer"
        if args.sales
        else "Email Receiver › Received mail (and Accounting › Bills)"
    )
    signed = "DKIM-signed, " if key.exists() else ""
    print(f"demo-mail: sent from {sender} to {receiver} ({signed}over STARTTLS); see {where}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
