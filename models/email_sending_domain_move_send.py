from odoo import api, models
from odoo.tools import email_normalize


class AccountMoveSend(models.AbstractModel):
    _inherit = "account.move.send"

    # --------------------------------------------------
    # EXTENDS account: the send wizard
    # --------------------------------------------------

    @api.model
    def _get_alerts(self, moves, moves_data):
        # EXTENDS account: say in one line why invoices go out From the company
        alerts = super()._get_alerts(moves, moves_data)
        email_moves = moves.filtered(lambda m: "email" in moves_data[m]["sending_methods"])
        user = self.env.user
        if email_moves and user.email and self.env["email.sending.domain"]._all_domains():
            company = email_moves[:1].company_id
            verified = self.env["email.sending.domain"]._is_verified_address(user.email, company)
            owned = user._email_receiver_owns_address(email_normalize(user.email) or "")
            if not verified or not owned:
                alerts["account_email_receiver_whitelabel"] = {
                    "level": "info",
                    "message": self.env._(
                        "Sent From %(company)s with Reply-To %(email)s: your domain is not "
                        "verified as a whitelabel sending domain.",
                        company=company.name,
                        email=user.email,
                    )
                    if not verified
                    else self.env._(
                        "Sent From %(company)s with Reply-To %(email)s: invoices go out From "
                        "your login or an extra address you confirmed, and %(email)s is neither.",
                        company=company.name,
                        email=user.email,
                    ),
                    "action_text": self.env._("Set up whitelabel domain"),
                    "action": self.env["ir.actions.act_window"]._for_xml_id(
                        "account_email_receiver.email_sending_domain_action"
                    ),
                }
        return alerts
