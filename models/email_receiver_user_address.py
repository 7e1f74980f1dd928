import hmac
import secrets
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import email_normalize

from ..tools import evidence
from ..tools.grants import earn, earned
from .email_receiver import send_to_each

# Written only by the confirmation link (and the mail that sends it).
EARNED_FIELDS = frozenset({"verified", "verified_date", "token", "token_expiry"})
# Unconfirmed addresses a user may have at once: each one mails a link.
MAX_PENDING = 5


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

    # --------------------------------------------------
    # CRUD
    # --------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_earned(vals)
            vals["email"] = self._normalize_email(vals.get("email"))
            owner = self.env["res.users"].sudo().browse(vals.get("user_id") or self.env.uid)
            if owner.id != self.env.uid and not self.env.user.has_group("base.group_system"):
                raise AccessError(
                    self.env._("You can add extra email addresses only to your own user.")
                )
            if owner.share:
                raise AccessError(self.env._("Only internal users can have extra email addresses."))
            pending = self.sudo().search_count(
                [("user_id", "=", owner.id), ("verified", "=", False)]
            )
            if pending >= MAX_PENDING:
                raise UserError(
                    self.env._(
                        "%(count)s addresses are still waiting for their confirmation; "
                        "confirm or remove one first.",
                        count=pending,
                    )
                )
        addresses = super().create(vals_list)
        addresses._send_confirmation()
        return addresses

    def write(self, vals):
        self._check_earned(vals)
        if "user_id" in vals and not self.env.user.has_group("base.group_system"):
            raise AccessError(self.env._("An extra email address cannot move to another user."))
        if "email" in vals:
            vals = dict(vals, email=self._normalize_email(vals["email"]))
            if not earned(self.env):
                vals.update(verified=False, verified_date=False)
            self = earn(self)  # noqa: PLW0642 - the new address is not verified: earned
        res = super().write(vals)
        if "email" in vals:
            self._send_confirmation()
        return res

    def _check_earned(self, vals):
        """A verified address is earned by its confirmation link alone; the
        grant cannot come from RPC, even as sudo through res.users."""
        if EARNED_FIELDS & set(vals) and not earned(self.env):
            raise AccessError(
                self.env._("An extra email address is verified only by the link mailed to it.")
            )

    # --------------------------------------------------
    # Tools
    # --------------------------------------------------

    @api.model
    def _normalize_email(self, email):
        normalized = email_normalize(email or "", strict=True)
        # One address the confirmation can go to (``send_to_each``).
        if not normalized or not evidence.single_addresses([normalized]):
            raise ValidationError(
                self.env._("'%(email)s' is not a valid email address.", email=email)
            )
        return normalized

    # --------------------------------------------------
    # Confirmation
    # --------------------------------------------------

    def _send_confirmation(self):
        template = self.env.ref("account_email_receiver.mail_template_user_address_confirm")
        for address in earn(self.sudo()):
            address.write(
                {
                    "token": secrets.token_urlsafe(32),
                    "token_expiry": fields.Datetime.now() + timedelta(days=3),
                }
            )
            send_to_each(template, address, [address.email])

    def _confirmation_url(self):
        self.ensure_one()
        base = self.get_base_url()
        return f"{base}/email_receiver/confirm/{self.id}/{self.sudo().token}"

    # --------------------------------------------------
    # Actions
    # --------------------------------------------------

    def action_resend_confirmation(self):
        self._send_confirmation()
        return True

    # --------------------------------------------------
    # Confirmation link
    # --------------------------------------------------

    @api.model
    def _confirm(self, address_id, token):
        """Verify the address whose link was clicked and confirmed (by POST)."""
        address = self._from_link(address_id, token)
        address.write({"verified": True, "verified_date": fields.Datetime.now(), "token": False})
        return address

    @api.model
    def _from_link(self, address_id, token):
        """The address of a confirmation link; constant-time token check."""
        address = earn(self.sudo()).browse(int(address_id)).exists()
        if (
            not address
            or not address.token
            or not hmac.compare_digest(
                address.token.encode(), (token or "").encode("utf-8", "replace")
            )
            or (address.token_expiry and address.token_expiry < fields.Datetime.now())
        ):
            raise UserError(self.env._("This confirmation link is invalid or has expired."))
        return address
