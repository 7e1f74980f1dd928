"""make reconcile: every public EN 16931 and Peppol BIS 3 example, through a
receiver and through Odoo's stock journal alias, on one fresh database with
Odoo's generic chart of accounts (no demo data). Prints the README's table.

For each example: what the document declares (its grand total), what each path
made of it, and the outcome:

- reconciled: the bill equals the invoice (total, untaxed, VAT, amount to pay,
  currency) to the cent;
- flagged: it differs, and the receiver says so (log "Needs review", an
  activity with both figures, a banner; never posted or sent automatically);
- silent: it differs and nothing says so (the stock alias's only signal is a
  chatter line of its import).

Each example goes to a receiver of its own (so that examples sharing an
invoice number are not held as duplicates of each other) and the company is
the example's buyer (its VAT number and name), as when a supplier sends it to
you. Usage: .venv/bin/python dev/bench_reconcile.py [odoo options].
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / ".odoo" / "usr" / "lib" / "python3" / "dist-packages"
sys.path.insert(0, str(SITE))

from bench_gateway import drop_database  # noqa: E402
from common import create_database  # noqa: E402

import odoo  # noqa: E402
from odoo.modules.registry import Registry  # noqa: E402
from odoo.tools import config  # noqa: E402

DB = f"aer_reconcile_{os.getpid()}"
EXAMPLES = sorted((ROOT / "tests" / "data" / "examples").glob("*/*.xml"))
CURRENCIES = ("EUR", "NOK", "DKK", "SEK", "GBP", "HUF", "USD")


def created(move):
    return {
        "total": move.amount_total,
        "untaxed": move.amount_untaxed,
        "tax": move.amount_tax,
        "residual": move.amount_total,
        "currency": move.currency_id.name,
    }


def rates(tree):
    """Every VAT rate an e-invoice names (lines, allowances, charges)."""
    paths = (".//{*}ClassifiedTaxCategory/{*}Percent", ".//{*}TaxCategory/{*}Percent")
    paths += (".//{*}RateApplicablePercent",)
    return {float(node.text) for path in paths for node in tree.iterfind(path) if node.text}


def map_and_resend(env, receiver, path, xml, doc, number, build_mail):
    """What a bookkeeper does once per supplier: map the rates the chart lacks
    to taxes of their own, then the supplier's next invoice (here: the same
    one with another number). Returns that invoice's outcome."""
    from odoo.addons.account_email_receiver.tools import evidence  # noqa: PLC0415

    missing = [
        rate
        for rate in rates(evidence.safe_xml_tree(xml))
        if not env["account.tax"].search_count(
            [
                ("company_id", "=", receiver.company_id.id),
                ("type_tax_use", "=", "purchase"),
                ("amount_type", "=", "percent"),
                ("amount", "=", rate),
            ]
        )
    ]
    for rate in missing:
        tax = env["account.tax"].create(
            {
                "name": f"Foreign VAT {rate}% ({path.stem})",
                "amount": rate,
                "type_tax_use": "purchase",
            }
        )
        receiver.tax_map_ids = [(0, 0, {"rate": rate, "tax_id": tax.id})]
    again = xml.replace(f">{doc.number}<".encode(), f">{doc.number}-B<".encode(), 1)
    raw = build_mail(
        to=receiver.alias_id.alias_full_name,
        subject=f"{path.name} again",
        attachments=[(path.name, again, "application/xml")],
    )
    env["mail.thread"].message_process(None, raw)
    log = env["email.receiver.log"].search(
        [("receiver_id", "=", receiver.id)], order="id desc", limit=1
    )
    # Archive them again: the next example's chart is the generic one.
    env["account.tax"].search([("name", "like", f"({path.stem})")]).active = False
    if log.state == "accepted":
        return f"reconciled ({', '.join(f'{r:g}%' for r in missing)})"
    return (
        f"{'flagged' if log.state == 'review' else log.state}: "
        + " ".join((log.move_ids.email_receiver_review or "").splitlines()[:1])[:80]
    )


def main():
    odoo_args = sys.argv[1:]
    create_database(DB, odoo_args)
    config.parse_config([*odoo_args, "-d", DB, "--log-level", "warn"])
    odoo.modules.module.initialize_sys_path()
    from odoo.addons.account_email_receiver.tests.common import build_mail  # noqa: PLC0415
    from odoo.addons.account_email_receiver.tests.servers import (  # noqa: PLC0415
        LoopbackDNS,
        zone,
    )
    from odoo.addons.account_email_receiver.tools import evidence, reconciliation  # noqa: PLC0415

    # DNS on loopback (the internet's does not exist here): no DKIM/SPF/DMARC
    # for supplier.example, so every mail is "not authenticated", and accepted.
    dns = LoopbackDNS(zone([("reconcile.test.", "TXT", '"v=spf1 -all"')])).start()
    rows = []
    try:
        with Registry(DB).cursor() as cr:
            env = odoo.api.Environment(cr, odoo.api.SUPERUSER_ID, {})
            company = env.company
            env["ir.config_parameter"].set_param(
                "account_email_receiver.dns_nameservers", dns.address
            )
            company.alias_domain_id = env["mail.alias.domain"].create({"name": "reconcile.test"})
            env["res.currency"].with_context(active_test=False).search(
                [("name", "in", CURRENCIES)]
            ).active = True
            journal = env["account.journal"].search(
                [("type", "=", "purchase"), ("company_id", "=", company.id)], limit=1
            )
            journal.alias_name = "stock-bills"
            journal.alias_id.alias_contact = "everyone"
            chart = company.chart_template
            for number, path in enumerate(EXAMPLES):
                xml = path.read_bytes()
                doc = reconciliation.declared(evidence.safe_xml_tree(xml))
                company.write({"vat": doc.buyer_vat or False, "name": doc.buyer_name or "Buyer"})
                supplier = env["res.partner"].create({"name": f"Supplier {number}"})
                receiver = env["email.receiver"].create(
                    {
                        "name": path.stem,
                        "partner_id": supplier.id,
                        "alias_name": f"r{number}",
                        "contact_email": "ap@supplier.example",
                        "send_processing_report": False,
                        "rule_ids": [(0, 0, {"rule_type": "domain", "value": "supplier.example"})],
                    }
                )
                receiver.action_activate()
                before = env["account.move"].search([], order="id desc", limit=1).id or 0
                for to in (f"r{number}@reconcile.test", "stock-bills@reconcile.test"):
                    raw = build_mail(
                        to=to,
                        subject=f"{path.name} to {to}",
                        attachments=[(path.name, xml, "application/xml")],
                    )
                    env["mail.thread"].message_process(None, raw)
                log = env["email.receiver.log"].search([("receiver_id", "=", receiver.id)], limit=1)
                stock = env["account.move"].search(
                    [("id", ">", before), ("email_receiver_log_id", "=", False)], limit=1
                )
                ours = log.move_ids[:1]
                our_diff = ours and reconciliation.differences(
                    doc, created(ours), ours.currency_id.rounding
                )
                stock_diff = stock and reconciliation.differences(
                    doc, created(stock), stock.currency_id.rounding
                )
                mapped = ""
                if log.state == "review" and "Could not retrieve the tax" in (
                    ours.email_receiver_review or ""
                ):
                    mapped = map_and_resend(env, receiver, path, xml, doc, number, build_mail)
                if log.state == "held":
                    outcome = f"held ({log.reason})"
                elif not our_diff:
                    outcome = "reconciled"
                elif log.state == "review":
                    outcome = "flagged"
                else:
                    outcome = "SILENT"
                rows.append(
                    {
                        "name": path.parent.name + "/" + path.name,
                        "declared": f"{doc.total} {doc.currency}",
                        "stock": f"{stock.amount_total:.2f}" if stock else "no bill",
                        "stock_outcome": "reconciled"
                        if stock and not stock_diff
                        else ("silent" if stock else "no bill"),
                        "ours": f"{ours.amount_total:.2f}" if ours else "-",
                        "outcome": outcome,
                        "why": "; ".join(what for what, _d, _c in our_diff or ()),
                        "mapped": mapped,
                    }
                )
                cr.commit()
    finally:
        dns.stop()
        if os.environ.get("BENCH_KEEP") != "1":
            drop_database(DB)

    print()
    print(f"Reconciliation over {len(rows)} public examples (chart: {chart}), one run")
    print(
        "| example | declared total | stock alias | stock outcome "
        "| receiver | receiver outcome | differs in | with a tax mapping |"
    )
    print("| --- | ---: | ---: | --- | ---: | --- | --- | --- |")
    for row in rows:
        print(
            f"| {row['name']} | {row['declared']} | {row['stock']} | {row['stock_outcome']} "
            f"| {row['ours']} | {row['outcome']} | {row['why']} | {row['mapped']} |"
        )
    count = {
        key: sum(1 for r in rows if r["outcome"] == key)
        for key in ("reconciled", "flagged", "SILENT")
    }
    stock_ok = sum(1 for r in rows if r["stock_outcome"] == "reconciled")
    stock_silent = sum(1 for r in rows if r["stock_outcome"] == "silent")
    fixed = sum(
        1 for r in rows if r["outcome"] == "reconciled" and r["stock_outcome"] != "reconciled"
    )
    held = sum(1 for r in rows if r["outcome"].startswith("held"))
    mapped_ok = sum(1 for r in rows if r["mapped"].startswith("reconciled"))
    mapped_flagged = sum(1 for r in rows if r["mapped"].startswith("flagged"))
    print()
    print(
        f"stock alias: {stock_ok} reconciled, {stock_silent} silent discrepancies; "
        f"receiver: {count['reconciled']} reconciled ({fixed} fixed by us), "
        f"{count['flagged']} flagged, {held} held, {count['SILENT']} silent discrepancies; "
        f"with a tax mapping for the rates the chart lacks: {mapped_ok} more reconciled, "
        f"{mapped_flagged} still flagged"
    )
    return 1 if count["SILENT"] else 0


if __name__ == "__main__":
    sys.exit(main())
