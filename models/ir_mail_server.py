from odoo import models
from odoo.tools import email_normalize


class IrMailServer(models.Model):
    _inherit = "ir.mail_server"

    def _find_mail_server(self, email_from, mail_servers=None):
        # EXTENDS base: mail From an address on a verified whitelabel domain
        # keeps that From. The sending provider signs for the domain (the three
        # CNAMEs prove it), so Odoo must not rewrite it to its notification sender.
        mail_server, found_from = super()._find_mail_server(email_from, mail_servers=mail_servers)
        normalized = email_normalize(email_from or "")
        if (
            normalized
            and email_normalize(found_from or "") != normalized
            and self.env["email.sending.domain"]._is_verified_address(normalized)
        ):
            return mail_server, email_from
        return mail_server, found_from
