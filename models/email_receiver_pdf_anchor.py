from odoo import api, fields, models
from odoo.exceptions import AccessError

from ..tools import pdf_invoice
from ..tools.grants import earned
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
    _description = "Trusted Sender PDF Layout"
    _order = "receiver_id, field, id"
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

    confirmed_by_id = fields.Many2one(
        "res.users",
        "Confirmed by",
        readonly=True,
        help="Who posted a bill the conversion robot read with this anchor: a "
        "person confirmed the layout. Only then may a later PDF of this supplier, "
        "read by the same anchors, post itself.",
    )
    confirmed_move_id = fields.Many2one(
        "account.move", "Confirmed with", readonly=True, ondelete="set null"
    )

    # Written only when a person posts a bill read from a PDF (a grant, never
    # a value a client can send, also over RPC): it lets PDFs post themselves.
    _CONFIRMATION_FIELDS = frozenset({"confirmed_by_id", "confirmed_move_id"})

    _receiver_field_unique = models.Constraint(
        "UNIQUE(receiver_id, field)",
        "A trusted sender has one place for each field.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_confirmation_vals(vals)
        return super().create(vals_list)

    def write(self, vals):
        refuse_receiver_move(self, vals)
        self._check_confirmation_vals(vals)
        if not earned(self.env) and {"label", "position"} & set(vals):
            # a layout nobody posted a bill with is confirmed by nobody
            changed = self.filtered(
                lambda a: (
                    a.label != vals.get("label", a.label)
                    or a.position != vals.get("position", a.position)
                )
            )
            if changed:
                super(EmailReceiverPdfAnchor, changed.sudo()).write(
                    {"confirmed_by_id": False, "confirmed_move_id": False}
                )
        return super().write(vals)

    def _check_confirmation_vals(self, vals):
        if self._CONFIRMATION_FIELDS.intersection(vals) and not earned(self.env):
            raise AccessError(
                self.env._(
                    "A PDF layout is confirmed only by posting a bill the conversion "
                    "robot read with it."
                )
            )

    # --------------------------------------------------
    # Tools
    # --------------------------------------------------

    def _to_anchor(self):
        return pdf_invoice.Anchor(self.field, self.label, self.position)
