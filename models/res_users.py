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

    # --------------------------------------------------
    # Tools
    # --------------------------------------------------

    def _email_receiver_owns_address(self, address):
        """Whether ``address`` (normalized) is this user's own: their login,
        set by an administrator, or an extra address they confirmed by a link
        mailed to it. The profile email is not: its user may set it to anything."""
        self.ensure_one()
        user = self.sudo()
        if (user.login or "").strip().lower() == address:
            return True
        return any(
            entry.verified and entry.email == address for entry in user.email_receiver_address_ids
        )
