"""Print Odoo's own invoice report (wkhtmltopdf) for the PDF corpus.

Run by ``make_pdf_corpus.py --odoo DB``: DB has ``account`` installed and an
Odoo server of it answers on REPORT_URL (for the report's stylesheets). Two
invoices of the made-up printer De Vries, one in English and one in Dutch.
Writes the PDFs and ``odoo.json`` (what each says) into the given folder.
The records stay in DB: use a database made for this.
"""

import datetime
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / ".odoo" / "usr" / "lib" / "python3" / "dist-packages"))

from make_pdf_corpus import chromium_print  # noqa: E402 - beside this script

import odoo  # noqa: E402
from odoo.tools import config  # noqa: E402


def main(db, out):
    config.parse_config(
        [
            f"--addons-path={ROOT}/.odoo/usr/lib/python3/dist-packages/odoo/addons,{ROOT}/.addons",
            "--db_host=127.0.0.1",
            f"--data-dir={ROOT}/.run/data",
            f"--db_user={os.environ.get('USER') or 'root'}",
        ]
    )
    registry = odoo.modules.registry.Registry(db)
    rows = {}
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        env["ir.config_parameter"].set_param(
            "report.url", os.environ.get("REPORT_URL", "http://127.0.0.1:8169")
        )
        env["res.lang"]._activate_lang("nl_NL")
        env["ir.module.module"].search([("name", "in", ("base", "account"))])._update_translations(
            "nl_NL"
        )
        company = env.company
        eur = env.ref("base.EUR")
        eur.active = True
        company.write(
            {
                "name": "Drukkerij De Vries B.V.",
                "vat": "NL800003123B01",
                "company_registry": "12345678",
                "street": "Kerkstraat 12",
                "zip": "3511 LX",
                "city": "Utrecht",
                "country_id": env.ref("base.nl").id,
                "currency_id": eur.id,
            }
        )
        bank = env["res.partner.bank"].search([("acc_number", "=", "NL91ABNA0417164300")])
        bank = bank or env["res.partner.bank"].create(
            {"acc_number": "NL91ABNA0417164300", "partner_id": company.partner_id.id}
        )
        tax = env["account.tax"].search(
            [("type_tax_use", "=", "sale"), ("amount", "=", 21), ("company_id", "=", company.id)],
            limit=1,
        ) or env["account.tax"].create(
            {"name": "21%", "amount": 21, "type_tax_use": "sale", "company_id": company.id}
        )
        tax.tax_group_id = env["account.tax.group"].create(
            {"name": "VAT 21%", "company_id": company.id}
        )
        for lang, date, lines in (
            ("en_US", datetime.date(2026, 10, 6), [("Posters A2", 40, 3.25), ("Design", 1, 275.0)]),
            (
                "nl_NL",
                datetime.date(2026, 10, 20),
                [("Flyers A5", 2000, 0.06), ("Vouwen", 1, 45.0)],
            ),
        ):
            customer = env["res.partner"].create(
                {
                    "name": "YourCompany",
                    "vat": "NL850002321B01",
                    "lang": lang,
                    "street": "Dorpsstraat 1",
                    "city": "Ergens",
                    "country_id": env.ref("base.nl").id,
                }
            )
            move = env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": customer.id,
                    "invoice_date": date,
                    "invoice_date_due": date + datetime.timedelta(days=30),
                    "currency_id": eur.id,
                    "partner_bank_id": bank.id,
                    "invoice_line_ids": [
                        odoo.Command.create(
                            {"name": n, "quantity": q, "price_unit": p, "tax_ids": [tax.id]}
                        )
                        for n, q, p in lines
                    ],
                }
            )
            move.action_post()
            cr.commit()  # the server that serves the report's stylesheets must see it
            name = f"odoo-report-{lang[:2]}.pdf"
            _print(env, move, Path(out) / name)
            if lang == "nl_NL":
                # wkhtmltopdf from Debian (Qt unpatched) draws the report's web font
                # as outlines: a real PDF without a text layer.
                pdf, _kind = env["ir.actions.report"]._render_qweb_pdf(
                    "account.account_invoices", move.ids
                )
                (Path(out) / "no-text-layer-odoo-wkhtmltopdf.pdf").write_bytes(pdf)
            rows[name] = {
                "producer": "odoo",
                "lang": lang[:2],
                "supplier": "devries",
                "number": move.name,
                "date": move.invoice_date.isoformat(),
                "due_date": move.invoice_date_due.isoformat(),
                "currency": "EUR",
                "total": move.amount_total,
                "untaxed": move.amount_untaxed,
                "tax": move.amount_tax,
                "vat": None,  # the report prints the customer's VAT number only
                "iban": "NL91ABNA0417164300",
            }
    (Path(out) / "odoo.json").write_text(json.dumps(rows, indent=1))


def _print(env, move, path):
    """Odoo's invoice report as HTML, printed by Chromium (its stylesheets
    from the running server)."""
    html, _kind = env["ir.actions.report"]._render_qweb_html("account.account_invoices", move.ids)
    base = env["ir.config_parameter"].get_param("report.url")
    html = html.decode().replace("<head>", f'<head><base href="{base}/">', 1)
    chromium_print(html, path)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
