from odoo import fields, models


class ResUsers(models.Model):
    _inherit = "res.users"

    email_receiver_address_ids = fields.One2many(
        "email.receiver.user.address", "user_id", string="Extra email addresses"
    )

    # --------------------------------------------------
    # Access
    # --------------------------------------------------

    @property
    def SELF_READABLE_FIELDS(self):
        return super().SELF_READABLE_FIELDS + ["email_receiver_address_ids"]

    @property
    def SELF_WRITEABLE_FIELDS(self):
        return super().SELF_WRITEABLE_FIELDS + ["email_receiver_address_ids"]
