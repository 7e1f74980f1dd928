from odoo import Command, models

from ..tools.grants import earned

# The accounts an e-invoice of a receiver names, from core's hook to the end of its import.
_BANK_DETAILS = "email_receiver_bank_details"


class AccountEdiCommon(models.AbstractModel):
    _inherit = "account.edi.common"

    # --------------------------------------------------
    # EXTENDS account_edi_ubl_cii: the import, for a receiver's documents
    # --------------------------------------------------

    def _import_partner(self, company_id, name, phone, email, vat, **kwargs):
        # EXTENDS account_edi_ubl_cii: a purchase receiver knows its supplier; the
        # XML may fill the lines but never switches the supplier (the receiver's
        # trust is about that supplier).
        partner_id = earned(self.env) and self.env.context.get("email_receiver_partner_id")
        if not partner_id:
            return super()._import_partner(company_id, name, phone, email, vat, **kwargs)
        partner = self.env["res.partner"].browse(partner_id)
        logs = []
        if name and name.strip().lower() != (partner.name or "").strip().lower():
            logs.append(
                self.env._(
                    "The XML names the supplier '%(xml)s'; the trusted sender's supplier "
                    "%(partner)s was kept.",
                    xml=name,
                    partner=partner.display_name,
                )
            )
        return partner, logs

    def _import_invoice_ubl_cii(self, invoice, file_data, new=False):
        # EXTENDS account_edi_ubl_cii: a receiver's document is compared with
        # the figures its e-invoice declares, once Odoo has made it.
        result = super()._import_invoice_ubl_cii(invoice, file_data, new=new)
        if numbers := self.env.cr.cache.get(_BANK_DETAILS, {}).pop(invoice.id, None):
            bank = invoice._email_receiver_bank(numbers)
            if invoice.partner_bank_id != bank:
                # a write recomputes the bill's payment fields: only when it changes
                invoice.partner_bank_id = bank
        if invoice.email_receiver_log_id and file_data.get("xml_tree") is not None:
            invoice._email_receiver_reconcile(file_data["xml_tree"])
            if file_data.get("origin_import_file_type") == "pdf":
                # Factur-X/ZUGFeRD: a person reads the PDF, Odoo its embedded XML.
                invoice._email_receiver_compare_visible_pdf(
                    file_data.get("origin_attachment"), file_data["xml_tree"]
                )
        return result

    def _import_partner_bank(self, invoice, bank_details):
        # OVERRIDE account_edi_ubl_cii, for a receiver's bill only: core takes
        # any recorded account of the partner (of an unordered set) and
        # re-activates an archived one. Here the account a person trusted
        # wins, none is re-activated, and each one nobody trusted flags the
        # bill (a taken-over mailbox asks payment elsewhere).
        if not invoice.email_receiver_log_id or invoice.is_inbound() or not invoice.partner_id:
            return super()._import_partner_bank(invoice, bank_details)
        # Decided once the import has set the currency, which recomputes the
        # payee account (to the partner's first trusted one): below.
        self.env.cr.cache.setdefault(_BANK_DETAILS, {})[invoice.id] = list(bank_details)
        return None

    def _import_document_allowance_charges(self, tree, record, tax_type, qty_factor=1):
        # EXTENDS account_edi_ubl_cii: its document-level allowances and charges
        # look taxes up by rate alone; the receiver's tax mapping applies to them
        # as to the lines (``account.move._get_specific_tax``).
        line_vals, logs = super()._import_document_allowance_charges(
            tree, record, tax_type, qty_factor=qty_factor
        )
        receiver = record.email_receiver_log_id.receiver_id
        if not receiver.tax_map_ids:
            return line_vals, logs
        xpaths = self._get_document_allowance_charge_xpaths()
        mapped_rates = set()
        for vals, element in zip(line_vals, tree.iterfind(xpaths["root"]), strict=False):
            rates = [float(node.text) for node in element.iterfind(xpaths["tax_percentage"])]
            taxes = [receiver._mapped_tax(rate, tax_type) for rate in rates]
            if rates and all(taxes):
                vals["tax_ids"] = [Command.set([tax.id for tax in taxes])]
                mapped_rates.update(rates)
        logs = [log for log in logs if not any(f"{rate} %" in str(log) for rate in mapped_rates)]
        return line_vals, logs
