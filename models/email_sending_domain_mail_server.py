from odoo import models
from odoo.tools import email_normalize

from ..tools.grants import is_whitelabel


class IrMailServer(models.Model):
    _inherit = "ir.mail_server"

    # --------------------------------------------------
    # EXTENDS base: the outgoing server
    # --------------------------------------------------

    def _find_mail_server(self, email_from, mail_servers=None):
        # EXTENDS base: the invoice mail that asked for it (mail.mail.send marks
        # it with a grant no caller can forge), From an address on a verified
        # whitelabel domain, keeps that From: the sending provider signs for the
        # domain (the three CNAMEs prove it). All other mail: core, unchanged.
        mail_server, found_from = super()._find_mail_server(email_from, mail_servers=mail_servers)
        if not is_whitelabel(self.env):
            return mail_server, found_from
        normalized = email_normalize(email_from or "")
        if (
            normalized
            and email_normalize(found_from or "") != normalized
            and self.env["email.sending.domain"]._is_verified_address(normalized)
        ):
            return mail_server, email_from
        return mail_server, found_from
