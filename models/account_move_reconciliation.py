"""Reconciliation: every bill made from an e-invoice is compared with what
the e-invoice declares (and a Factur-X PDF's visible text with its XML), and
a new bank account is flagged; what differs is shown and stops automatic
posting and sending."""

import lxml.html

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import clean_context

from odoo.addons.base.models.res_bank import sanitize_account_number

from ..tools import parsed, pdf_invoice, reconciliation


class AccountMoveReconciliation(models.Model):
    _inherit = "account.move"

    email_receiver_bank_untrusted = fields.Boolean(
        "Bank account not trusted",
        compute="_compute_email_receiver_bank_untrusted",
        help="The bill asks payment to an account of the supplier that no person "
        "trusted for payments (or that was archived): it is never posted "
        "automatically, and posted only once a person trusts the account.",
    )

    @api.depends("partner_bank_id.allow_out_payment", "partner_bank_id.active")
    def _compute_email_receiver_bank_untrusted(self):
        for move in self:
            move.email_receiver_bank_untrusted = move._email_receiver_pays_untrusted()

    def _email_receiver_pays_untrusted(self):
        """A receiver's bill that asks payment to an account nobody trusted."""
        self.ensure_one()
        bank = self.partner_bank_id.sudo().with_context(active_test=False)
        return bool(
            self.email_receiver_log_id
            and self.is_purchase_document(include_receipts=True)
            and bank
            and not (bank.active and bank.allow_out_payment)
        )

    def _email_receiver_bank_state(self):
        """The bill's payee account, as its chatter names it: ``none`` (the
        bill names no account), ``trusted`` or ``untrusted`` (no person
        trusted it for payments, or it is archived)."""
        self.ensure_one()
        bank = self.partner_bank_id.sudo().with_context(active_test=False)
        if not bank:
            return "none"
        return "trusted" if bank.active and bank.allow_out_payment else "untrusted"

    def _post(self, soft=True):
        # EXTENDS account: a receiver's bill never posts (automatically or by
        # hand) with a payee account no person trusted; trusting it is one click.
        for move in self.filtered("email_receiver_log_id"):
            if move._email_receiver_pays_untrusted():
                raise UserError(
                    self.env._(
                        "%(bill)s asks payment to %(account)s, which no person trusted for "
                        "payments. Check the account with the supplier, then use Trust this "
                        "account (or remove the account from the bill) before confirming.",
                        bill=move.display_name,
                        account=move.partner_bank_id.sudo().acc_number,
                    )
                )
        return super()._post(soft=soft)

    def action_email_receiver_trust_bank(self):
        """Trust the bill's payee account for payments (and take it out of the
        archive), as the user, under Odoo's own right to do so (Validate bank
        accounts); the review line about it goes."""
        if not self.env.user.has_group("account.group_validate_bank_account"):
            raise AccessError(
                self.env._("Only a user allowed to validate bank accounts can trust one.")
            )
        for move in self:
            move.check_access("write")
            bank = move.partner_bank_id.with_context(active_test=False)
            if not move._email_receiver_pays_untrusted():
                raise UserError(self.env._("The bill's bank account is already trusted."))
            # Odoo's own rule is the user's right to validate accounts (checked
            # above, and again by res.partner.bank as this user), not the
            # right to edit contacts' bank records.
            bank.sudo().write({"active": True, "allow_out_payment": True})
            number = bank.sanitized_acc_number
            lines = (move.email_receiver_review or "").splitlines()
            move.email_receiver_review = (
                "\n".join(line for line in lines if number not in line) or False
            )
            # Stored once for every reader: in the company's language.
            note = move.with_context(lang=move._email_receiver_note_lang())
            note.message_post(
                body=note.env._(
                    "Bank account %(account)s of %(supplier)s trusted for payments by %(user)s.",
                    account=bank.acc_number,
                    supplier=bank.partner_id.display_name,
                    user=self.env.user.name,
                )
            )
        return True

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
        """A PDF that embeds its e-invoice (Factur-X, ZUGFeRD) shows a total, a
        bank account and a number to whoever opens it; Odoo books the embedded
        XML's. Where the conversion robot reads on the PDF's pages what the
        XML does not state, the two disagree: flagged, never paid as booked
        without a check."""
        self.ensure_one()
        doc = parsed.declared(self.env, tree)
        raw = attachment and attachment.sudo().raw
        if doc is None or not raw:
            return
        receiver = self.email_receiver_log_id.receiver_id
        try:
            text = pdf_invoice.read(raw, receiver._pdf_limits())
        except pdf_invoice.Unreadable:
            return  # nothing visible that we can read: the XML alone decides
        found = pdf_invoice.find(text, receiver._pdf_anchors())
        self._email_receiver_flag(*self._email_receiver_page_differences(found, doc))

    def _email_receiver_page_differences(self, found, doc):
        """What the PDF's page (``found``, the robot's reading) shows that its
        embedded e-invoice (``doc``) does not say: total, bank account, number."""
        _ = self.env._
        reasons = []
        shown = found.fields.get("total")
        stated = doc.totals() | ({abs(doc.payable)} if doc.payable is not None else set())
        if (
            shown is not None
            and shown.confidence != "low"
            and stated
            and all(self.currency_id.compare_amounts(abs(shown.value), a) for a in stated)
        ):
            reasons.append(
                _(
                    "The PDF shows a total of %(shown)s, its embedded e-invoice %(stated)s: "
                    "the bill follows the e-invoice. Check which one the supplier means.",
                    shown=shown.value,
                    stated=doc.total,
                )
            )
        # Accounts the XML names (a direct debit's is the buyer's), or ours.
        known = {
            *doc.ibans,
            *doc.debtor_ibans,
            *self.company_id.partner_id.bank_ids.mapped("sanitized_acc_number"),
        }
        other = [iban for iban in found.ibans if reconciliation.normalize_id(iban) not in known]
        if other and not doc.ibans and self.is_purchase_document(include_receipts=True):
            # The XML names no account (a MINIMUM profile): the page's is the
            # one to pay, trusted by a person or flagged.
            self.partner_bank_id = self._email_receiver_bank(other)
        elif other:
            reasons.append(
                _(
                    "The PDF shows the bank account %(page)s, its embedded e-invoice "
                    "%(xml)s: call the supplier on a number you know before paying.",
                    page=", ".join(other),
                    xml=", ".join(doc.ibans) or _("none"),
                )
            )
        number = found.fields.get("number")
        if (
            number is not None
            and number.confidence != "low"
            and doc.number
            and reconciliation.normalize_id(str(number.value))
            != reconciliation.normalize_id(doc.number)
        ):
            reasons.append(
                _(
                    "The PDF shows the invoice number %(page)s, its embedded e-invoice "
                    "%(xml)s. Check which one the supplier means.",
                    page=number.value,
                    xml=doc.number,
                )
            )
        return reasons

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
        # the log's own copy of its receiver's type: no read of the receiver
        if self.email_receiver_log_id.document_type == "purchase" and doc.buyer_name:
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

    def _email_receiver_bank(self, numbers):
        """The supplier's account this bill asks payment to, of the account
        ``numbers`` its document names (in its order): the first one a person
        trusted, else the first one named, recorded if new but never trusted
        and never re-activated (Odoo's ``allow_out_payment`` and archive are a
        person's decisions). Every account named that no person trusted flags
        the bill. Returns the ``res.partner.bank`` (maybe empty)."""
        self.ensure_one()
        partner = self.partner_id.commercial_partner_id
        numbers = [n for n in dict.fromkeys(map(sanitize_account_number, numbers)) if n]
        if not partner or not numbers:
            return self.env["res.partner.bank"]
        recorded = {
            bank.sanitized_acc_number: bank
            # of two records of one number, a trusted one
            for bank in partner.with_context(active_test=False).bank_ids.sorted(
                lambda b: (b.active and b.allow_out_payment, -b.id)
            )
        }
        untrusted = reconciliation.untrusted_accounts(
            numbers,
            {n: (bank.active, bank.allow_out_payment) for n, bank in recorded.items()},
        )
        for number, kind in untrusted:
            self._email_receiver_flag(self._email_receiver_bank_reason(number, kind))
        suspect = {number for number, _kind in untrusted}
        chosen = next((n for n in numbers if n not in suspect), numbers[0])
        if bank := recorded.get(chosen):
            return bank
        return (
            self.env["res.partner.bank"]
            .with_context(clean_context(self.env.context))
            .create({"acc_number": chosen, "partner_id": partner.id, "allow_out_payment": False})
        )

    def _email_receiver_bank_reason(self, number, kind):
        """The review line of an account no person trusted (it names the
        account: ``action_email_receiver_trust_bank`` takes the line off)."""
        supplier = self.partner_id.commercial_partner_id.display_name
        what = {
            "new": self.env._(
                "New bank account: %(account)s is not among the accounts of %(supplier)s "
                "that a person trusted.",
                account=number,
                supplier=supplier,
            ),
            "archived": self.env._(
                "Archived bank account: %(account)s of %(supplier)s was archived; it stays "
                "archived.",
                account=number,
                supplier=supplier,
            ),
            "untrusted": self.env._(
                "Untrusted bank account: %(account)s of %(supplier)s is recorded, but no "
                "person trusted it for payments.",
                account=number,
                supplier=supplier,
            ),
        }[kind]
        return self.env._(
            "%(what)s Call %(supplier)s on a number you know (never one from this mail) "
            "before paying; then trust it with Trust this account.",
            what=what,
            supplier=supplier,
        )
