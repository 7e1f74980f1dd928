"""Build the PDF invoice corpus in tests/data/pdf/ (run:
``.venv/bin/python dev/make_pdf_corpus.py``; ``--odoo DB`` adds Odoo's own
invoice report, printed by wkhtmltopdf from a database with ``account``).

Invoices of made-up suppliers in Dutch, English, German and French, each
written by a different producer: reportlab (two layouts), fpdf2, Chromium's
print to PDF and wkhtmltopdf from HTML, and Odoo's invoice report. ``corpus.json``
holds what each invoice says (the expected values). ``hostile/`` holds the PDFs
the robot must refuse, ``scan.pdf`` one without a text layer.
"""

import argparse
import datetime
import io
import json
import shutil
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "data" / "pdf"

BUYER = {"name": "YourCompany", "vat": "NL850002321B01", "address": "Dorpsstraat 1, 1234 AB Ergens"}
SUPPLIERS = {
    "devries": {
        "name": "Drukkerij De Vries B.V.",
        "vat": "NL800003123B01",
        "iban": "NL91ABNA0417164300",
        "coc": "12345678",
        "address": "Kerkstraat 12, 3511 LX Utrecht",
    },
    "mueller": {
        "name": "Müller Bürobedarf GmbH",
        "vat": "DE136695976",
        "iban": "DE44500105175407324931",
        "coc": "HRB 12345",
        "address": "Hauptstraße 5, 10115 Berlin",
    },
    "dupont": {
        "name": "Fournitures Dupont SARL",
        "vat": "FR40303265045",
        "iban": "FR1420041010050500013M02606",
        "coc": "303265045",
        "address": "12 rue de la Paix, 75002 Paris",
    },
    "atlas": {
        "name": "Atlas Office Supplies Ltd",
        "vat": "BE0403019261",
        "iban": "GB29NWBK60161331926819",
        "coc": "0403019261",
        "address": "1 High Street, Brussels",
    },
    "kwik": {  # labels no generic rule knows: the learning case
        "name": "Kwik Logistiek",
        "vat": "NL800003123B01",
        "iban": "NL20INGB0001234567",
        "coc": "55667788",
        "address": "Havenweg 3, Rotterdam",
    },
}

L = {
    "nl": {
        "invoice": "Factuur", "number": "Factuurnummer", "date": "Factuurdatum",
        "due": "Vervaldatum", "ref": "Uw referentie", "desc": "Omschrijving", "qty": "Aantal",
        "price": "Prijs", "amount": "Bedrag", "untaxed": "Subtotaal",
        "tax": "BTW {rate}% over {base}", "total": "Totaal incl. BTW", "vat": "BTW-nummer",
        "coc": "KvK", "to": "Aan",
    },
    "en": {
        "invoice": "Invoice", "number": "Invoice number", "date": "Invoice date",
        "due": "Due date", "ref": "PO number", "desc": "Description", "qty": "Qty",
        "price": "Unit price", "amount": "Amount", "untaxed": "Subtotal",
        "tax": "VAT {rate}% on {base}", "total": "Total due", "vat": "VAT no.",
        "coc": "Company no.", "to": "Bill to",
    },
    "de": {
        "invoice": "Rechnung", "number": "Rechnungsnummer", "date": "Rechnungsdatum",
        "due": "Fällig am", "ref": "Ihre Bestellung", "desc": "Beschreibung", "qty": "Menge",
        "price": "Einzelpreis", "amount": "Betrag", "untaxed": "Summe netto",
        "tax": "MwSt. {rate}% auf {base}", "total": "Gesamtbetrag", "vat": "USt-IdNr.",
        "coc": "Handelsregister", "to": "An",
    },
    "fr": {
        "invoice": "Facture", "number": "Facture N°", "date": "Date de facture",
        "due": "Échéance", "ref": "Bon de commande", "desc": "Désignation", "qty": "Qté",
        "price": "Prix unitaire", "amount": "Montant", "untaxed": "Total HT",
        "tax": "TVA {rate} % sur {base}", "total": "Total TTC", "vat": "N° TVA",
        "coc": "SIREN", "to": "Client",
    },
}  # fmt: skip
KWIK = {
    **L["nl"],
    "number": "Doc. ref.",
    "date": "Opgemaakt",
    "total": "Verschuldigd",
    "untaxed": "Netto",
}
MONTHS = {
    "nl": "januari februari maart april mei juni juli augustus september oktober november december",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "en": "January February March April May June July August September October November December",
}


def money(value, style):
    text = f"{value:,.2f}"
    if style == "en":
        return text
    if style == "fr":
        return text.replace(",", " ").replace(".", ",")
    return text.replace(",", "X").replace(".", ",").replace("X", ".")


def day(value, style):
    if style == "nl":
        return value.strftime("%d-%m-%Y")
    if style == "nl-long":
        return f"{value.day} {MONTHS['nl'].split()[value.month - 1]} {value.year}"
    if style == "de":
        return value.strftime("%d.%m.%Y")
    if style == "fr":
        return value.strftime("%d/%m/%Y")
    if style == "fr-long":
        return f"{value.day} {MONTHS['fr'].split()[value.month - 1]} {value.year}"
    if style == "en-long":
        return f"{MONTHS['en'].split()[value.month - 1]} {value.day}, {value.year}"
    if style == "us":
        return value.strftime("%m/%d/%Y")
    if style == "iso":
        return value.isoformat()
    return value.strftime("%d/%m/%Y")  # en-GB


def invoice(
    supplier,
    lang,
    number,
    date,
    lines,
    *,
    due_days=30,
    currency="EUR",
    ref="",
    money_style=None,
    date_style=None,
    labels=None,
    producer="",
):  # noqa: PLR0913
    untaxed = round(sum(q * p for _d, q, p, _r in lines), 2)
    rates = {}
    for _d, q, p, r in lines:
        rates.setdefault(r, 0.0)
        rates[r] += q * p
    taxes = [(r, round(b, 2), round(b * r / 100, 2)) for r, b in sorted(rates.items())]
    tax = round(sum(t for _r, _b, t in taxes), 2)
    return {
        "supplier": supplier,
        "lang": lang,
        "number": number,
        "date": date,
        "due_date": date + datetime.timedelta(days=due_days),
        "currency": currency,
        "ref": ref,
        "lines": lines,
        "taxes": taxes,
        "untaxed": untaxed,
        "tax": tax,
        "total": round(untaxed + tax, 2),
        "money": money_style or lang,
        "dates": date_style or lang,
        "labels": labels or L[lang],
        "producer": producer,
    }


def expected(inv):
    s = SUPPLIERS[inv["supplier"]]
    return {
        "producer": inv["producer"],
        "lang": inv["lang"],
        "supplier": inv["supplier"],
        "number": inv["number"],
        "date": inv["date"].isoformat(),
        "due_date": inv["due_date"].isoformat(),
        "currency": inv["currency"],
        "total": inv["total"],
        "untaxed": inv["untaxed"],
        "tax": inv["tax"],
        "vat": s["vat"],
        "iban": s["iban"],
    }


def sym(inv):
    return {"EUR": "€", "USD": "$", "GBP": "£"}.get(inv["currency"], inv["currency"])


# --------------------------------------------------
# Producers
# --------------------------------------------------


def reportlab_classic(inv, path):
    """Labels and values side by side; totals block at the right."""
    from reportlab.lib.pagesizes import A4  # noqa: PLC0415
    from reportlab.pdfgen import canvas  # noqa: PLC0415

    lab, s, m = inv["labels"], SUPPLIERS[inv["supplier"]], inv["money"]
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    c.setFont("Helvetica-Bold", 16)
    c.drawString(50, 800, s["name"])
    c.setFont("Helvetica", 9)
    c.drawString(50, 786, s["address"])
    c.drawString(
        50, 774, f"{lab['vat']}: {s['vat']}   {lab['coc']}: {s['coc']}   IBAN: {s['iban']}"
    )
    c.setFont("Helvetica", 10)
    c.drawString(50, 740, f"{lab['to']}: {BUYER['name']}, {BUYER['address']}")
    c.drawString(50, 728, f"{lab['vat']}: {BUYER['vat']}")
    c.setFont("Helvetica-Bold", 14)
    c.drawString(50, 695, lab["invoice"])
    c.setFont("Helvetica", 10)
    y = 675
    for key, value in (
        ("number", inv["number"]),
        ("date", day(inv["date"], inv["dates"])),
        ("due", day(inv["due_date"], inv["dates"])),
        ("ref", inv["ref"]),
    ):
        if value:
            c.drawString(50, y, f"{lab[key]}:")
            c.drawString(170, y, value)
            y -= 14
    y -= 20
    c.setFont("Helvetica-Bold", 10)
    for x, key in ((50, "desc"), (300, "qty"), (370, "price"), (480, "amount")):
        c.drawString(x, y, lab[key])
    c.setFont("Helvetica", 10)
    for desc, qty, price, _rate in inv["lines"]:
        y -= 14
        c.drawString(50, y, desc)
        c.drawRightString(330, y, str(qty))
        c.drawRightString(440, y, money(price, m))
        c.drawRightString(545, y, money(qty * price, m))
    y -= 30
    rows = [(lab["untaxed"], inv["untaxed"])]
    rows += [(lab["tax"].format(rate=f"{r:g}", base=money(b, m)), t) for r, b, t in inv["taxes"]]
    rows.append((lab["total"], inv["total"]))
    for label, value in rows:
        c.drawString(300, y, label)
        c.drawRightString(545, y, f"{sym(inv)} {money(value, m)}")
        y -= 14
    c.showPage()
    c.save()


def reportlab_columns(inv, path):
    """A header row of labels with the values under them."""
    from reportlab.lib.pagesizes import A4  # noqa: PLC0415
    from reportlab.pdfgen import canvas  # noqa: PLC0415

    lab, s, m = inv["labels"], SUPPLIERS[inv["supplier"]], inv["money"]
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    c.setFont("Times-Bold", 18)
    c.drawString(50, 800, f"{lab['invoice'].upper()}")
    c.setFont("Times-Roman", 10)
    c.drawString(350, 800, s["name"])
    c.drawString(350, 788, s["address"])
    c.drawString(350, 776, f"{lab['vat']} {s['vat']}")
    c.drawString(350, 764, f"{lab['coc']} {s['coc']}")
    c.drawString(50, 760, BUYER["name"])
    c.drawString(50, 748, BUYER["address"])
    c.setFont("Times-Bold", 10)
    heads = [
        ("number", inv["number"]),
        ("date", day(inv["date"], inv["dates"])),
        ("due", day(inv["due_date"], inv["dates"])),
    ]
    if inv["ref"]:
        heads.append(("ref", inv["ref"]))
    for i, (key, _v) in enumerate(heads):
        c.drawString(50 + 125 * i, 700, lab[key])
    c.setFont("Times-Roman", 10)
    for i, (_k, value) in enumerate(heads):
        c.drawString(50 + 125 * i, 686, value)
    y = 640
    c.setFont("Times-Bold", 10)
    c.drawString(50, y, lab["desc"])
    c.drawString(470, y, lab["amount"])
    c.setFont("Times-Roman", 10)
    for desc, qty, price, rate in inv["lines"]:
        y -= 14
        c.drawString(50, y, f"{qty} x {desc} ({rate:g}%)")
        c.drawRightString(545, y, money(qty * price, m))
    y -= 30
    c.drawString(330, y, lab["untaxed"])
    c.drawRightString(545, y, money(inv["untaxed"], m))
    for r, b, t in inv["taxes"]:
        y -= 14
        c.drawString(330, y, lab["tax"].format(rate=f"{r:g}", base=money(b, m)))
        c.drawRightString(545, y, money(t, m))
    y -= 16
    c.setFont("Times-Bold", 11)
    c.drawString(330, y, f"{lab['total']} ({inv['currency']})")
    c.drawRightString(545, y, money(inv["total"], m))
    c.setFont("Times-Roman", 8)
    c.drawString(50, 60, f"IBAN {s['iban']}")
    c.showPage()
    c.save()


def fpdf_invoice(inv, path):
    from fpdf import FPDF  # noqa: PLC0415

    lab, s, m = inv["labels"], SUPPLIERS[inv["supplier"]], inv["money"]
    pdf = FPDF()
    pdf.set_creation_date(datetime.datetime(2026, 11, 30, tzinfo=datetime.UTC))
    pdf.add_page()
    pdf.add_font("DejaVu", "", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    pdf.add_font("DejaVu", "B", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
    pdf.set_font("DejaVu", size=15)
    pdf.cell(0, 10, s["name"], new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", size=9)
    pdf.cell(0, 5, s["address"], new_x="LMARGIN", new_y="NEXT")
    pdf.cell(
        0, 5, f"{lab['vat']}: {s['vat']} | {lab['coc']}: {s['coc']}", new_x="LMARGIN", new_y="NEXT"
    )
    pdf.ln(8)
    pdf.set_font("DejaVu", size=10)
    pdf.cell(0, 6, f"{lab['to']}: {BUYER['name']} ({BUYER['vat']})", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    for key, value in (
        ("number", inv["number"]),
        ("date", day(inv["date"], inv["dates"])),
        ("due", day(inv["due_date"], inv["dates"])),
        ("ref", inv["ref"]),
    ):
        if value:
            pdf.cell(45, 6, f"{lab[key]}:")
            pdf.cell(0, 6, value, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    with pdf.table(
        col_widths=(90, 20, 35, 35), text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT")
    ) as table:
        table.row([lab["desc"], lab["qty"], lab["price"], lab["amount"]])
        for desc, qty, price, _rate in inv["lines"]:
            table.row([desc, str(qty), money(price, m), money(qty * price, m)])
    pdf.ln(6)
    rows = [(lab["untaxed"], inv["untaxed"])]
    rows += [(lab["tax"].format(rate=f"{r:g}", base=money(b, m)), t) for r, b, t in inv["taxes"]]
    rows.append((lab["total"], inv["total"]))
    for label, value in rows:
        pdf.cell(110)
        pdf.cell(45, 6, label)
        pdf.cell(
            0, 6, f"{money(value, m)} {inv['currency']}", align="R", new_x="LMARGIN", new_y="NEXT"
        )
    pdf.ln(10)
    pdf.cell(0, 6, f"IBAN: {s['iban']}", new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))


def html(inv):
    lab, s, m = inv["labels"], SUPPLIERS[inv["supplier"]], inv["money"]
    rows = "".join(
        f"<tr><td>{d}</td><td class=r>{q}</td><td class=r>{money(p, m)}</td><td class=r>{money(q * p, m)}</td></tr>"
        for d, q, p, _r in inv["lines"]
    )
    totals = [(lab["untaxed"], inv["untaxed"])]
    totals += [(lab["tax"].format(rate=f"{r:g}", base=money(b, m)), t) for r, b, t in inv["taxes"]]
    totals.append((lab["total"], inv["total"]))
    total_rows = "".join(
        f"<tr><td>{label}</td><td class=r>{sym(inv)} {money(v, m)}</td></tr>" for label, v in totals
    )
    ref = f"<tr><th>{lab['ref']}</th><td>{inv['ref']}</td></tr>" if inv["ref"] else ""
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><style>
body {{ font-family: 'DejaVu Sans', sans-serif; font-size: 11pt; margin: 40px; }}
.r {{ text-align: right; }} table {{ border-collapse: collapse; }} td, th {{ padding: 3px 10px; text-align: left; }}
.lines {{ width: 100%; margin: 20px 0; }} .lines th {{ border-bottom: 1px solid #000; }}
.totals {{ margin-left: auto; }} header {{ display: flex; justify-content: space-between; }}
</style></head><body>
<header><div><h2>{s["name"]}</h2>{s["address"]}<br>{lab["vat"]}: {s["vat"]}<br>{lab["coc"]}: {s["coc"]}</div>
<div><b>{lab["to"]}</b><br>{BUYER["name"]}<br>{BUYER["address"]}<br>{lab["vat"]}: {BUYER["vat"]}</div></header>
<h1>{lab["invoice"]}</h1>
<table><tr><th>{lab["number"]}</th><td>{inv["number"]}</td></tr>
<tr><th>{lab["date"]}</th><td>{day(inv["date"], inv["dates"])}</td></tr>
<tr><th>{lab["due"]}</th><td>{day(inv["due_date"], inv["dates"])}</td></tr>{ref}</table>
<table class=lines><tr><th>{lab["desc"]}</th><th class=r>{lab["qty"]}</th><th class=r>{lab["price"]}</th><th class=r>{lab["amount"]}</th></tr>{rows}</table>
<table class=totals>{total_rows}</table>
<p>IBAN: {s["iban"]}</p></body></html>"""


def chromium_invoice(inv, path):
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "invoice.html"
        page.write_text(html(inv), encoding="utf-8")
        subprocess.run(
            [
                "chromium",
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-pdf-header-footer",
                f"--print-to-pdf={path}",
                page.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )


def wkhtmltopdf_invoice(inv, path):
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "invoice.html"
        page.write_text(html(inv), encoding="utf-8")
        subprocess.run(
            ["wkhtmltopdf", "--quiet", str(page), str(path)],
            check=True,
            capture_output=True,
            timeout=120,
        )


# --------------------------------------------------
# The corpus
# --------------------------------------------------

D = datetime.date


def corpus():
    a = [("Drukwerk folders A5", 500, 0.42, 21), ("Visitekaartjes", 2, 35.0, 21)]
    b = [("Boeken", 10, 12.5, 9), ("Ontwerp omslag", 1, 450.0, 21)]
    c = [("Kopierpapier A4", 40, 4.95, 19), ("Fachbücher", 3, 39.9, 7)]
    d = [("Ramettes papier", 25, 5.2, 20), ("Classeurs", 12, 3.75, 20)]
    e = [("Office chairs", 4, 189.0, 21), ("Desk lamps", 6, 24.5, 21)]
    return [
        (
            "reportlab-nl-classic.pdf",
            reportlab_classic,
            invoice(
                "devries", "nl", "2026-0417", D(2026, 3, 12), a, ref="PO-8812", producer="reportlab"
            ),
        ),
        (
            "reportlab-nl-columns.pdf",
            reportlab_columns,
            invoice("devries", "nl", "2026-0418", D(2026, 3, 19), b, producer="reportlab"),
        ),
        (
            "reportlab-nl-rates.pdf",
            reportlab_classic,
            invoice(
                "devries",
                "nl",
                "2026-0502",
                D(2026, 4, 2),
                b,
                date_style="nl-long",
                producer="reportlab",
            ),
        ),
        (
            "reportlab-en-classic.pdf",
            reportlab_classic,
            invoice(
                "atlas",
                "en",
                "INV-10293",
                D(2026, 5, 7),
                e,
                ref="PO 4471",
                date_style="en-long",
                producer="reportlab",
            ),
        ),
        (
            "reportlab-en-columns.pdf",
            reportlab_columns,
            invoice(
                "atlas", "en", "INV-10307", D(2026, 5, 21), e, due_days=14, producer="reportlab"
            ),
        ),
        (
            "reportlab-de-classic.pdf",
            reportlab_classic,
            invoice(
                "mueller",
                "de",
                "RE-2026-1138",
                D(2026, 2, 3),
                c,
                ref="B-7781",
                producer="reportlab",
            ),
        ),
        (
            "reportlab-de-columns.pdf",
            reportlab_columns,
            invoice(
                "mueller",
                "de",
                "RE-2026-1201",
                D(2026, 2, 24),
                c,
                due_days=14,
                producer="reportlab",
            ),
        ),
        (
            "reportlab-fr-classic.pdf",
            reportlab_classic,
            invoice(
                "dupont", "fr", "F2026-0091", D(2026, 6, 15), d, ref="BC-3310", producer="reportlab"
            ),
        ),
        (
            "reportlab-fr-columns.pdf",
            reportlab_columns,
            invoice(
                "dupont",
                "fr",
                "F2026-0104",
                D(2026, 6, 29),
                d,
                date_style="fr-long",
                producer="reportlab",
            ),
        ),
        (
            "fpdf2-nl.pdf",
            fpdf_invoice,
            invoice("devries", "nl", "2026-0611", D(2026, 7, 1), a, producer="fpdf2"),
        ),
        (
            "fpdf2-de.pdf",
            fpdf_invoice,
            invoice("mueller", "de", "RE-2026-1377", D(2026, 7, 8), c, producer="fpdf2"),
        ),
        (
            "fpdf2-fr.pdf",
            fpdf_invoice,
            invoice("dupont", "fr", "F2026-0133", D(2026, 7, 13), d, due_days=45, producer="fpdf2"),
        ),
        (
            "fpdf2-en.pdf",
            fpdf_invoice,
            invoice(
                "atlas", "en", "INV-10388", D(2026, 7, 20), e, currency="GBP", producer="fpdf2"
            ),
        ),
        (
            "chromium-en-us.pdf",
            chromium_invoice,
            invoice(
                "atlas",
                "en",
                "INV-10412",
                D(2026, 8, 4),
                e,
                currency="USD",
                date_style="us",
                ref="PO 5120",
                producer="chromium",
            ),
        ),
        (
            "chromium-nl.pdf",
            chromium_invoice,
            invoice("devries", "nl", "2026-0733", D(2026, 8, 11), b, producer="chromium"),
        ),
        (
            "chromium-fr.pdf",
            chromium_invoice,
            invoice("dupont", "fr", "F2026-0158", D(2026, 8, 18), d, producer="chromium"),
        ),
        (
            "chromium-de.pdf",
            chromium_invoice,
            invoice("mueller", "de", "RE-2026-1450", D(2026, 8, 25), c, producer="chromium"),
        ),
        (
            "wkhtmltopdf-de.pdf",
            wkhtmltopdf_invoice,
            invoice(
                "mueller",
                "de",
                "RE-2026-1502",
                D(2026, 9, 1),
                c,
                ref="B-8020",
                producer="wkhtmltopdf",
            ),
        ),
        (
            "wkhtmltopdf-en.pdf",
            wkhtmltopdf_invoice,
            invoice(
                "atlas",
                "en",
                "INV-10455",
                D(2026, 9, 8),
                e,
                date_style="en-gb",
                producer="wkhtmltopdf",
            ),
        ),
        (
            "wkhtmltopdf-nl.pdf",
            wkhtmltopdf_invoice,
            invoice(
                "devries",
                "nl",
                "2026-0801",
                D(2026, 9, 15),
                a,
                date_style="iso",
                producer="wkhtmltopdf",
            ),
        ),
        (
            "kwik-1.pdf",
            reportlab_classic,
            invoice(
                "kwik",
                "nl",
                "KW/26/0071",
                D(2026, 10, 5),
                [("Transport pallets", 3, 85.0, 21)],
                labels=KWIK,
                producer="reportlab",
            ),
        ),
        (
            "kwik-2.pdf",
            reportlab_classic,
            invoice(
                "kwik",
                "nl",
                "KW/26/0093",
                D(2026, 10, 26),
                [("Transport pallets", 5, 85.0, 21), ("Opslag", 1, 60.0, 21)],
                labels=KWIK,
                producer="reportlab",
            ),
        ),
    ]


def hostile():
    """PDFs the robot must refuse, small on disk."""
    out = OUT / "hostile"
    out.mkdir(parents=True, exist_ok=True)
    # a page tree that says 100 000 pages and lists one page object 2 000 times
    kids = " ".join("3 0 R" for _ in range(2_000))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Count 100000 /Kids [{kids}] >>".encode(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
    ]
    (out / "too_many_pages.pdf").write_bytes(_pdf(objects))
    # a content stream of 2 GB of spaces, deflated twice: a few KB
    bomb = zlib.compressobj(9)
    once = b"".join(bomb.compress(b" " * (1 << 24)) for _ in range(128)) + bomb.flush()
    data = zlib.compress(once, 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Count 1 /Kids [3 0 R] >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length %d /Filter [/FlateDecode /FlateDecode] >>\nstream\n" % len(data)
        + data
        + b"\nendstream",
    ]
    (out / "compression_bomb.pdf").write_bytes(_pdf(objects))
    # a cross-reference table that points nowhere, and no objects to recover
    (out / "broken_xref.pdf").write_bytes(
        b"%PDF-1.7\nxref\n0 4\n0000000000 65535 f \n0000099999 00000 n \n0000088888 00000 n \n"
        b"0000077777 00000 n \ntrailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n9\n%%EOF\n"
    )
    # encrypted with a password to open it
    from fpdf import FPDF  # noqa: PLC0415

    pdf = FPDF()
    pdf.set_creation_date(datetime.datetime(2026, 11, 30, tzinfo=datetime.UTC))
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(0, 10, "Invoice 1 Total 100.00")
    pdf.set_encryption(owner_password="owner", user_password="secret")  # noqa: S106
    pdf.output(str(out / "encrypted.pdf"))


def _pdf(objects):
    body = io.BytesIO()
    body.write(b"%PDF-1.7\n")
    offsets = []
    for number, obj in enumerate(objects, 1):
        offsets.append(body.tell())
        body.write(b"%d 0 obj\n" % number + obj + b"\nendobj\n")
    xref = body.tell()
    body.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        body.write(b"%010d 00000 n \n" % offset)
    body.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return body.getvalue()


def scan(source):
    """The first page of a corpus PDF as an image only: no text layer."""
    import pypdfium2  # noqa: PLC0415

    page = pypdfium2.PdfDocument(str(source))[0]
    image = page.render(scale=1.5).to_pil().convert("L")
    image.save(str(OUT / "scan.pdf"), "PDF", resolution=108)


def odoo_invoices(db, expected_rows):
    """Odoo's own invoice report, printed by wkhtmltopdf on a real database."""
    script = ROOT / "tools" / "odoo_invoice_pdfs.py"
    subprocess.run(
        [sys.executable, str(script), db, str(OUT)],
        check=True,
    )
    expected_rows.update(json.loads((OUT / "odoo.json").read_text()))
    (OUT / "odoo.json").unlink()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--odoo", help="a database with account, for Odoo's own invoice report")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    rows = {}
    old = OUT / "corpus.json"
    if old.exists():
        rows = {k: v for k, v in json.loads(old.read_text()).items() if v["producer"] == "odoo"}
    for name, producer, inv in corpus():
        producer(inv, OUT / name)
        rows[name] = expected(inv)
    if args.odoo:
        odoo_invoices(args.odoo, rows)
    hostile()
    scan(OUT / "reportlab-nl-classic.pdf")
    old.write_text(json.dumps(dict(sorted(rows.items())), indent=1, ensure_ascii=False) + "\n")
    print(f"{len(rows)} invoices in {OUT}")


if __name__ == "__main__":
    if not shutil.which("chromium") or not shutil.which("wkhtmltopdf"):
        sys.exit("make_pdf_corpus: needs chromium and wkhtmltopdf")
    main()
