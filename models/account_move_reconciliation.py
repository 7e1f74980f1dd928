"""Reconciliation: every bill made from an e-invoice is compared with what
the e-invoice declares (and a Factur-X PDF's visible text with its XML), and
a new bank account is flagged; what differs is shown and stops automatic
posting and sending."""

import lxml.html

from odoo import models

from odoo.addons.base.models.res_bank import sanitize_account_number

from ..tools import pdf_invoice, reconciliation
from . import email_receiver_gateway as parsed


class AccountMoveReconciliation(models.Model):
    _inherit = "account.move"

    def _email_receiver_reconcile(self, tree):
        """Compare this document with the figures its e-invoice declares; what
        differs (and what the import said about it) goes to ``Needs review``."""
        self.ensure_one()
        doc = parsed.declared(self.env, tree)
        if doc is not None:
            self._email_receiver_compare(doc)
            if not doc.currency:
                # BT-5 is mandatory: Odoo would silently take the company's currency.
                self._email_receiver_flag(
                    self.env._(
                        "The invoice states no currency; %(currency)s was assumed. "
                        "Check the currency with the supplier.",
                        currency=self.currency_id.name,
                    )
                )

    def _email_receiver_compare_visible_pdf(self, attachment, tree):
        """A PDF that embeds its e-invoice (Factur-X, ZUGFeRD) shows a total to
        whoever opens it; Odoo books the embedded XML's. When the conversion
        robot reads a total on the PDF's pages that the XML does not state,
        the two disagree: flagged, never paid as booked without a check."""
        self.ensure_one()
        doc = parsed.declared(self.env, tree)
        raw = attachment and attachment.sudo().raw
        if doc is None or doc.total is None or not raw:
            return
        receiver = self.email_receiver_log_id.receiver_id
        try:
            text = pdf_invoice.read(raw, receiver._pdf_limits())
        except pdf_invoice.Unreadable:
            return  # nothing visible that we can read: the XML alone decides
        shown = pdf_invoice.find(text, receiver._pdf_anchors()).fields.get("total")
        if shown is None or shown.confidence == "low":
            return
        stated = doc.totals() | ({abs(doc.payable)} if doc.payable is not None else set())
        if all(self.currency_id.compare_amounts(abs(shown.value), amount) for amount in stated):
            self._email_receiver_flag(
                self.env._(
                    "The PDF shows a total of %(shown)s, its embedded e-invoice %(stated)s: "
                    "the bill follows the e-invoice. Check which one the supplier means.",
                    shown=shown.value,
                    stated=doc.total,
                )
            )

    def _email_receiver_compare(self, doc):
        """Compare this document with ``doc`` (a ``reconciliation.Declared``,
        from an e-invoice or read from a PDF); add what differs to ``Needs review``."""
        reasons = [line for line in (self.email_receiver_review or "").splitlines() if line]
        created = {
            "total": self.amount_total,
            "untaxed": self.amount_untaxed,
            "tax": self.amount_tax,
            "residual": self.amount_residual if self.state == "posted" else self.amount_total,
            "currency": self.currency_id.name,
        }
        labels = {
            "total": self.env._("total incl. VAT"),
            "untaxed": self.env._("total excl. VAT"),
            "tax": self.env._("VAT"),
            "payable": self.env._("amount to pay"),
            "currency": self.env._("currency"),
        }
        found = reconciliation.differences(doc, created, self.currency_id.rounding)
        for what, declared, ours in found:
            reasons.append(
                self.env._(
                    "The %(what)s is %(declared)s in the invoice and %(created)s here.",
                    what=labels[what],
                    declared=declared,
                    created=ours,
                )
            )
        if found and doc.prepaid:
            reasons.append(
                self.env._("The invoice says %(amount)s was paid in advance.", amount=doc.prepaid)
            )
        if found and (notes := self._email_receiver_import_notes()):
            reasons.append(self.env._("Odoo's import said: %(notes)s", notes=notes))
        receiver = self.email_receiver_log_id.receiver_id
        if receiver.document_type == "purchase" and doc.buyer_name:
            ours = self.company_id
            comparable = (doc.buyer_vat and ours.vat) or (
                doc.buyer_endpoint and ours.partner_id.peppol_endpoint
            )
            if not comparable and doc.buyer_name.strip().lower() != ours.name.strip().lower():
                reasons.append(
                    self.env._(
                        "The invoice is addressed to %(buyer)s, not to %(company)s (by name "
                        "only: no VAT number or Peppol address to compare).",
                        buyer=doc.buyer_name,
                        company=ours.name,
                    )
                )
        review = "\n".join(reasons) or False
        if review != self.email_receiver_review:
            self.email_receiver_review = review  # a write on a move is not free: only if needed

    def _email_receiver_import_notes(self):
        """What Odoo's import said, from the message it just posted ("Invoice
        imported", then one item per remark), as one line."""
        self.ensure_one()
        message = self.message_ids[:1]
        if not message or "<li>" not in (message.body or ""):
            return ""
        items = lxml.html.fromstring(str(message.body)).iter("li")
        return " ".join(" ".join(item.text_content().split()) for item in items)

    def _email_receiver_new_banks(self, numbers):
        """The account numbers (sanitized) the partner never used before."""
        self.ensure_one()
        partner = self.partner_id.commercial_partner_id
        known = set(partner.with_context(active_test=False).bank_ids.mapped("sanitized_acc_number"))
        return [
            n for n in dict.fromkeys(map(sanitize_account_number, numbers)) if n and n not in known
        ]

    def _email_receiver_flag_new_banks(self, numbers):
        self._email_receiver_flag(
            self.env._(
                "New bank account: %(accounts)s is not among the accounts "
                "%(supplier)s used before. Check it with the supplier by "
                "phone before paying.",
                accounts=", ".join(numbers),
                supplier=self.partner_id.display_name,
            )
        )
