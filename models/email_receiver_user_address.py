import secrets
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import consteq, email_normalize


class EmailReceiverUserAddress(models.Model):
    """An extra address of an internal user. It counts for the
    ``verified_users`` rule only after the user clicked the link mailed to it."""

    _name = "email.receiver.user.address"
    _description = "Extra Email Address of a User"
    _order = "user_id, email"

    user_id = fields.Many2one(
        "res.users",
        required=True,
        ondelete="cascade",
        index=True,
        default=lambda self: self.env.user,
    )
    email = fields.Char(required=True)
    verified = fields.Boolean(readonly=True, copy=False)
    verified_date = fields.Datetime(readonly=True, copy=False)
    token = fields.Char(copy=False, groups="base.group_system")
    token_expiry = fields.Datetime(copy=False, groups="base.group_system")

    _user_email_unique = models.Constraint(
        "UNIQUE(user_id, email)", "You already added this address."
    )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            vals["email"] = self._normalize_email(vals.get("email"))
        addresses = super().create(vals_list)
        addresses._send_confirmation()
        return addresses

    def write(self, vals):
        if "email" in vals:
            vals = dict(vals, email=self._normalize_email(vals["email"]), verified=False)
        res = super().write(vals)
        if "email" in vals:
            self._send_confirmation()
        return res

    @api.model
    def _normalize_email(self, email):
        normalized = email_normalize(email or "", strict=True)
        if not normalized:
            raise ValidationError(
                self.env._("'%(email)s' is not a valid email address.", email=email)
            )
        return normalized

    def _send_confirmation(self):
        template = self.env.ref("account_email_receiver.mail_template_user_address_confirm")
        for address in self.sudo():
            address.write(
                {
                    "token": secrets.token_urlsafe(32),
                    "token_expiry": fields.Datetime.now() + timedelta(days=3),
                }
            )
            template.send_mail(
                address.id, email_values={"recipient_ids": [], "email_to": address.email}
            )

    def _confirmation_url(self):
        self.ensure_one()
        base = self.get_base_url()
        return f"{base}/email_receiver/confirm/{self.id}/{self.sudo().token}"

    def action_resend_confirmation(self):
        self._send_confirmation()
        return True

    @api.model
    def _confirm(self, address_id, token):
        """Verify the address whose link was clicked; constant-time token check."""
        address = self.sudo().browse(int(address_id)).exists()
        if (
            not address
            or not address.token
            or not consteq(address.token, token or "")
            or (address.token_expiry and address.token_expiry < fields.Datetime.now())
        ):
            raise UserError(self.env._("This confirmation link is invalid or has expired."))
        address.write({"verified": True, "verified_date": fields.Datetime.now(), "token": False})
        return address
