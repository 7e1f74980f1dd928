"""The whitelabel sending domain in Settings › Invoicing: the sending
provider and the company's domain."""

from odoo import api, fields, models

from ..tools.settings import PARAM


class ResConfigSettingsSendingDomain(models.TransientModel):
    _inherit = "res.config.settings"

    email_sending_provider_host = fields.Char(
        "Sending provider host",
        config_parameter=PARAM % "provider_host",
        help="The base host of your sending provider's zone, into which the "
        "three CNAME records point (default: sendgrid.net).",
    )

    email_sending_provider_account = fields.Char(
        "Provider account",
        config_parameter=PARAM % "provider_account",
        help="Your account number at the sending provider. The records point to "
        "u<account>.wl<n>.<provider host>.",
    )

    email_sending_domain_id = fields.Many2one(
        "email.sending.domain", compute="_compute_email_sending_domain_id"
    )

    email_sending_domain_state = fields.Selection(related="email_sending_domain_id.state")

    # --------------------------------------------------
    # Compute methods
    # --------------------------------------------------

    @api.depends("company_id")
    def _compute_email_sending_domain_id(self):
        for settings in self:
            settings.email_sending_domain_id = self.env["email.sending.domain"].search(
                [("company_id", "=", settings.company_id.id)], limit=1
            )

    def action_open_sending_domain(self):
        self.ensure_one()
        action = {
            "type": "ir.actions.act_window",
            "res_model": "email.sending.domain",
            "name": self.env._("Whitelabel domain"),
            "view_mode": "form",
            "target": "current",
            "context": {"default_company_id": self.company_id.id},
        }
        if self.email_sending_domain_id:
            action["res_id"] = self.email_sending_domain_id.id
        return action
