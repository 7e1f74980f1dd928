from odoo import api, fields, models
from odoo.tools import float_compare

from .email_receiver import refuse_receiver_move


class EmailReceiverTaxMap(models.Model):
    """ "Rate X% from this supplier -> tax Y": for the rates an e-invoice names
    that the company has no (or another) tax for, e.g. foreign VAT that is not
    deductible, so that the supplier's recurring invoices reconcile."""

    _name = "email.receiver.tax.map"
    _description = "Email Receiver Tax Mapping"
    _order = "receiver_id, rate, id"
    _check_company_auto = True

    receiver_id = fields.Many2one(
        "email.receiver",
        string="Trusted sender",
        required=True,
        ondelete="cascade",
        index=True,
        check_company=True,
    )
    company_id = fields.Many2one(related="receiver_id.company_id", store=True, index=True)
    rate = fields.Float(
        "Rate in the invoice (%)",
        required=True,
        digits=(16, 4),
        help="The VAT percentage as the supplier's e-invoice states it.",
    )
    tax_id = fields.Many2one(
        "account.tax",
        required=True,
        check_company=True,
        ondelete="cascade",
        domain="[('type_tax_use', 'in', ('purchase', 'sale')), ('amount_type', '=', 'percent')]",
        help="The tax the documents of this supplier get for that rate.",
    )

    def write(self, vals):
        refuse_receiver_move(self, vals)
        return super().write(vals)

    # --------------------------------------------------
    # Tools
    # --------------------------------------------------

    @api.model
    def _matching(self, maps, rate, tax_type):
        """The mapped tax for ``rate`` and the journal's tax use, or no tax."""
        for entry in maps:
            if (
                float_compare(entry.rate, rate, precision_digits=4) == 0
                and entry.tax_id.type_tax_use == tax_type
            ):
                return entry.tax_id
        return self.env["account.tax"]
