from odoo import api, fields, models
from odoo.tools.misc import clean_context

from ..models.email_receiver import STATES


class EmailReceiverStatus(models.TransientModel):
    """The status dialog of the manual: pick a status, then "Update status".

    It changes nothing itself: each status goes through the receiver's own
    action (invite, activate, deactivate, reset), with its checks and mails.
    """

    _name = "email.receiver.status"
    _description = "Update the status of a trusted sender"

    receiver_id = fields.Many2one(
        "email.receiver", string="Trusted sender", required=True, ondelete="cascade"
    )
    state = fields.Selection(STATES, string="Status", required=True)

    # --------------------------------------------------
    # CRUD
    # --------------------------------------------------

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        receiver = self.env["email.receiver"].browse(
            values.get("receiver_id") or self.env.context.get("active_id")
        )
        if receiver:
            values.setdefault("receiver_id", receiver.id)
            values.setdefault("state", receiver.state)
        return values

    # --------------------------------------------------
    # Actions
    # --------------------------------------------------

    def action_update(self):
        self.ensure_one()
        # The receiver's actions create mail: no default_* of this dialog may reach them.
        context = clean_context(self.env.context)
        receiver = self.receiver_id.with_context(context)  # pylint: disable=context-overridden
        if self.state != receiver.state:
            action = {
                "draft": receiver.action_reset_to_draft,
                "invited": receiver.action_invite,
                "active": receiver.action_activate,
                "inactive": receiver.action_deactivate,
            }[self.state]
            action()
        return {"type": "ir.actions.act_window_close"}
