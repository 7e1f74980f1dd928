"""Build the mail corpus in tests/data/corpus/ (run: .venv/bin/python dev/make_corpus.py).

Each file is a raw RFC 822 message to the test receiver, named
``<expected outcome>__<case>.eml``; the outcome is ``accepted`` or the reason
it is held. Output is deterministic (fixed dates, ids and MIME boundaries), so
the corpus is reviewed and versioned like code. Inputs: the Peppol BIS 3
examples and Odoo's CII sample copied into tests/data/.
"""

import io
import re
import sys
from email.message import EmailMessage
from pathlib import Path

from reportlab.pdfgen import canvas

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
OUT = DATA / "corpus"
sys.path.insert(0, str(ROOT / ".odoo" / "usr" / "lib" / "python3" / "dist-packages"))

from odoo.tools.pdf import OdooPdfFileReader, OdooPdfFileWriter  # noqa: E402

TO = "supplier-bills@receiver.test"
SENDER = "billing@supplier.example"
TLS = (
    "from mail.supplier.example (mail.supplier.example [192.0.2.10]) by mx.receiver.test "
    "(Postfix) with ESMTPS id 4AB12; Mon, 23 Nov 2026 09:00:00 +0000"
)
PLAIN = TLS.replace("with ESMTPS", "with ESMTP")
DATE = "Mon, 23 Nov 2026 09:00:00 +0000"


def pdf(text, attachment=None):
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, invariant=1)  # no timestamp or random id: reproducible
    page.drawString(72, 720, text)
    page.save()
    if not attachment:
        return buffer.getvalue()
    reader = OdooPdfFileReader(io.BytesIO(buffer.getvalue()), strict=False)
    writer = OdooPdfFileWriter()
    writer.cloneReaderDocumentRoot(reader)
    writer.addAttachment(attachment[0], attachment[1], subtype="text/xml")
    out = io.BytesIO()
    writer.write(out)
    # Odoo's writer stamps the time of writing; a fixed one of the same length
    # keeps the cross-reference offsets and makes the corpus reproducible.
    return re.sub(rb"(/ModDate \(D\\072)\d{14}", rb"\g<1>20261123090000", out.getvalue())


def mail(
    name,
    *,
    sender=SENDER,
    received=TLS,
    headers=(),
    attachments=(),
    body="Invoice attached.",
    subject=None,
    message_id=None,
):
    message = EmailMessage()
    # Our MTA's milter prepends Authentication-Results above its own Received.
    ours = [(k, v) for k, v in headers if k.lower() == "authentication-results"]
    for key, value in ours:
        message[key] = value
    if received:
        message["Received"] = received
    for key, value in headers:
        if (key, value) not in ours:
            message[key] = value
    if sender:
        message["From"] = sender
    message["To"] = TO
    message["Subject"] = subject or name.replace("_", " ")
    message["Date"] = DATE
    message["Message-Id"] = message_id or f"<{name}@corpus.supplier.example>"
    message.set_content(body)
    for filename, content, mimetype in attachments:
        # Each mail carries an invoice of its own (the same invoice again is a
        # reminder, held as a duplicate invoice).
        content = content.replace(b"<cbc:ID>Snippet1</cbc:ID>", f"<cbc:ID>{name}</cbc:ID>".encode())
        maintype, subtype = mimetype.split("/", 1)
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    if message.is_multipart():
        message.set_boundary(f"==corpus-{name}==")
    return message.as_bytes()


def main():
    OUT.mkdir(exist_ok=True)
    for old in OUT.glob("*.eml"):
        old.unlink()
    ubl = (DATA / "base-example.xml").read_bytes()
    credit = (DATA / "base-creditnote-correction.xml").read_bytes()
    # Odoo's CII sample, addressed to the tests' company (the buyer's VAT number).
    cii = (
        (DATA / "cii-facturx-odoo-sample.xml")
        .read_bytes()
        .replace(b"FR35562153452", b"SE4598375937")
    )
    xml = ("invoice.xml", ubl, "application/xml")
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
        b"<Invoice>&lol3;</Invoice>"
    )
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE Invoice [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">'
        b"<ID>&xxe;</ID></Invoice>"
    )
    ar = "mx.receiver.test"
    cases = {
        "accepted__ubl": mail("ubl", attachments=[xml]),
        "accepted__credit_note": mail(
            "credit_note", attachments=[("credit.xml", credit, "application/xml")]
        ),
        "accepted__xml_and_its_pdf": mail(
            "xml_and_its_pdf",
            attachments=[
                ("Snippet1.xml", ubl, "application/xml"),
                ("Snippet1.pdf", pdf("Snippet1"), "application/pdf"),
            ],
        ),
        "review__pdf_only": mail(  # no invoice in the text: a flagged draft
            "pdf_only", attachments=[("scan.pdf", pdf("A scanned bill"), "application/pdf")]
        ),
        "accepted__cii": mail("cii", attachments=[("factur-x.xml", cii, "application/xml")]),
        "accepted__facturx": mail(
            "facturx",
            attachments=[
                (
                    "facturx.pdf",
                    # an invoice of its own: the CII above, sent again, is a duplicate
                    pdf("Factur-X", ("factur-x.xml", cii.replace(b"/0002<", b"/0003<"))),
                    "application/pdf",
                )
            ],
        ),
        "accepted__xml_as_octet_stream": mail(
            "xml_as_octet_stream", attachments=[("factuur", ubl, "application/octet-stream")]
        ),
        "accepted__xml_as_text_plain": mail(
            "xml_as_text_plain", attachments=[("factuur.txt", ubl, "text/plain")]
        ),
        "accepted__aligned_dkim": mail(
            "aligned_dkim",
            headers=[
                (
                    "Authentication-Results",
                    f"{ar}; dkim=pass header.d=mail.supplier.example; "
                    "dmarc=pass header.from=supplier.example",
                )
            ],
            attachments=[xml],
        ),
        "accepted__very_long_header": mail(
            "very_long_header", headers=[("X-Long", "x" * 20000)], attachments=[xml]
        ),
        "forged__dmarc_fail": mail(
            "dmarc_fail",
            headers=[
                (
                    "Authentication-Results",
                    f"{ar}; dmarc=fail (p=reject) header.from=supplier.example",
                )
            ],
            attachments=[xml],
        ),
        "forged__unaligned_pass": mail(
            "unaligned_pass",
            headers=[("Authentication-Results", f"{ar}; dkim=pass header.d=evil.test")],
            attachments=[xml],
        ),
        "forged__lookalike_dkim": mail(
            "lookalike_dkim",
            headers=[
                ("Authentication-Results", f"{ar}; dkim=pass header.d=supplier.example.evil.test")
            ],
            attachments=[xml],
        ),
        "not_whitelisted__lookalike_domain": mail(
            "lookalike_domain", sender="billing@supplier.example.evil.test", attachments=[xml]
        ),
        "not_whitelisted__prefixed_domain": mail(
            "prefixed_domain", sender="billing@evilsupplier.example", attachments=[xml]
        ),
        "not_whitelisted__auto_replied": mail(
            "auto_replied",
            sender="robot@elsewhere.example",
            headers=[("Auto-Submitted", "auto-replied")],
        ),
        "not_whitelisted__forged_authentication": mail(
            "forged_authentication",
            sender="billing@evil.test",
            headers=[("Authentication-Results", "mx.evil.test; dmarc=pass header.from=evil.test")],
            attachments=[xml],
        ),
        "no_tls__plain_smtp": mail("plain_smtp", received=PLAIN, attachments=[xml]),
        "no_tls__lower_hop_claims_tls": mail(
            "lower_hop_claims_tls",
            received=PLAIN.replace("(Postfix)", "(Postfix; with ESMTPS)"),
            attachments=[xml],
        ),
        "no_tls__no_received_header": mail("no_received_header", received=None, attachments=[xml]),
        "no_tls__garbled_received": mail(
            "garbled_received", received="(((( by with ;;;", attachments=[xml]
        ),
        "no_document__no_attachment": mail("no_attachment"),
        "no_invoice__empty_attachment": mail(
            "empty_attachment", attachments=[("invoice.xml", b"", "application/xml")]
        ),
        "no_invoice__pdf_that_is_not_a_pdf": mail(
            "pdf_that_is_not_a_pdf",
            attachments=[("invoice.pdf", b"Hello, I am not a PDF", "application/pdf")],
        ),
        "no_invoice__billion_laughs": mail(
            "billion_laughs", attachments=[("laughs.xml", laughs, "application/xml")]
        ),
        "no_invoice__external_entity": mail(
            "external_entity", attachments=[("xxe.xml", xxe, "application/xml")]
        ),
        "duplicate__reused_message_id": mail(
            "reused_message_id",
            message_id="<ubl@corpus.supplier.example>",
            body="Pay to account NL00EVIL0000000000",
            attachments=[xml],
        ),
    }
    two_froms = mail("two_from_headers", attachments=[xml])
    cases["malformed_from__two_from_headers"] = two_froms.replace(
        b"\nFrom: ", b"\nFrom: other@supplier.example\nFrom: ", 1
    )
    for name, value in (
        ("group_syntax", b"undisclosed-recipients:;"),
        ("two_mailboxes", b"a@supplier.example, b@supplier.example"),
        ("no_domain", b"billing@"),
    ):
        raw = mail(name, sender="placeholder@supplier.example", attachments=[xml])
        cases[f"malformed_from__{name}"] = raw.replace(b"placeholder@supplier.example", value, 1)

    # Broken MIME, from a trusted sender over TLS: read leniently where the
    # invoice survives, held as no_invoice where it does not.
    good = mail("mime_base", attachments=[xml])
    head, _sep, body = good.partition(b"\n\n")
    cases["no_invoice__mime_missing_boundary"] = good.replace(
        b'; boundary="==corpus-mime_base=="', b"", 1
    ).replace(b"mime_base", b"missing_boundary")
    cases["accepted__mime_bad_base64_line"] = mail("bad_base64", attachments=[xml]).replace(
        b"Content-Transfer-Encoding: base64\n\n",
        b"Content-Transfer-Encoding: base64\n\n!!!not base64!!!\n",
        1,
    )
    cases["no_document__mime_no_header_body_separator"] = head.replace(
        b"mime_base", b"no_separator"
    )
    cases["accepted__mime_duplicate_boundaries"] = good.replace(
        b"mime_base", b"duplicate_boundaries"
    ).replace(
        b"\n--==corpus-duplicate_boundaries==\n",
        b"\n--==corpus-duplicate_boundaries==\n--==corpus-duplicate_boundaries==\n",
        1,
    )
    for name, raw in cases.items():
        (OUT / f"{name}.eml").write_bytes(raw)
    print(f"{len(cases)} messages in {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
