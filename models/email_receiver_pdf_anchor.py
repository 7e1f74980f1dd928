from odoo import fields, models

from ..tools import pdf_invoice
from .email_receiver import refuse_receiver_move

ANCHOR_FIELDS = [
    ("number", "Invoice number"),
    ("date", "Invoice date"),
    ("due_date", "Due date"),
    ("total", "Total incl. VAT"),
    ("untaxed", "Total excl. VAT"),
    ("tax", "VAT"),
    ("order_ref", "Order reference"),
    ("coc", "Chamber of commerce number"),
]


class EmailReceiverPdfAnchor(models.Model):
    """Where one field stands on one supplier's PDF invoices: the label
    before its value, or above it. Learned when a bookkeeper corrects a
    document the conversion robot filled; editable on the receiver."""

    _name = "email.receiver.pdf.anchor"
    _description = "Email Receiver PDF Layout"
    _order = "receiver_id, field, id"
    _check_company_auto = True

    receiver_id = fields.Many2one(
        "email.receiver", required=True, ondelete="cascade", index=True, check_company=True
    )
    company_id = fields.Many2one(related="receiver_id.company_id", store=True, index=True)
    field = fields.Selection(ANCHOR_FIELDS, required=True)
    label = fields.Char(
        required=True,
        help="The text just before the value on its line, or just above it.",
    )
    position = fields.Selection(
        [("right", "After the label"), ("below", "Under the label")],
        required=True,
        default="right",
    )
    learned_from_id = fields.Many2one(
        "account.move",
        "Learned from",
        ondelete="set null",
        readonly=True,
        help="The document whose correction taught this.",
    )

    _receiver_field_unique = models.Constraint(
        "UNIQUE(receiver_id, field)",
        "A receiver has one place for each field.",
    )

    def write(self, vals):
        refuse_receiver_move(self, vals)
        return super().write(vals)

    # --------------------------------------------------
    # Tools
    # --------------------------------------------------

    def _to_anchor(self):
        return pdf_invoice.Anchor(self.field, self.label, self.position)
