from odoo import models
from odoo.tools import email_normalize

from ..tools.grants import whitelabel


class MailMail(models.Model):
    _inherit = "mail.mail"

    # --------------------------------------------------
    # Sending
    # --------------------------------------------------

    def send(self, auto_commit=False, raise_exception=False, post_send_callback=None):
        # EXTENDS mail: the invoice mail a user sent From their own address on a
        # verified whitelabel domain keeps that From (ir.mail_server); every
        # other mail is sent by core unchanged. Without a verified domain in the
        # database (a cached answer), this costs nothing.
        if not self.env["email.sending.domain"]._verified_domains():
            return super().send(auto_commit, raise_exception, post_send_callback)
        own = self._email_receiver_whitelabel_mails()
        if own:
            super(MailMail, whitelabel(own)).send(auto_commit, raise_exception, post_send_callback)
        if self - own:
            super(MailMail, self - own).send(auto_commit, raise_exception, post_send_callback)
        return True

    def _email_receiver_whitelabel_mails(self):
        """Mail about an invoice, From the own address of an internal user of
        the invoice's company, on a domain verified for that company (what
        account.move.message_post sets for a user who sends an invoice)."""
        SendingDomain = self.env["email.sending.domain"]
        own = self.browse()
        for mail in self.sudo().filtered(lambda m: m.model == "account.move" and m.res_id):
            sender = email_normalize(mail.email_from or "")
            move = self.env["account.move"].sudo().browse(mail.res_id).exists()
            if (
                not sender
                or not move
                or not SendingDomain._is_verified_address(sender, move.company_id)
            ):
                continue
            if (
                self.env["res.users"]
                .sudo()
                .search_count(
                    [
                        ("email_normalized", "=", sender),
                        ("share", "=", False),
                        ("company_ids", "in", move.company_id.id),
                    ],
                    limit=1,
                )
            ):
                own |= mail
        return self.browse(own.ids)
