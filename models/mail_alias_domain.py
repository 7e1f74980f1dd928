from odoo import models


class MailAliasDomain(models.Model):
    _inherit = "mail.alias.domain"

    # --------------------------------------------------
    # CRUD
    # --------------------------------------------------

    def write(self, vals):
        # EXTENDS mail: the receivers' addresses on a renamed alias domain
        # change, so the gateway's cached routing table is cleared.
        res = super().write(vals)
        if "name" in vals:
            self.env["email.receiver"]._gateway_clear_routing()
        return res
