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
        """Mail about a customer invoice or credit note, sent by an internal
        user of its company (the user whose action created the mail), From
        that user's own address (their login or an extra address they
        confirmed: never the profile email, which every user edits) on a
        domain verified for that company."""
        SendingDomain = self.env["email.sending.domain"]
        own = self.browse()
        for mail in self.sudo().filtered(lambda m: m.model == "account.move" and m.res_id):
            sender = email_normalize(mail.email_from or "")
            move = self.env["account.move"].sudo().browse(mail.res_id).exists()
            if (
                not sender
                or not move
                or move.move_type not in ("out_invoice", "out_refund")
                or not SendingDomain._is_verified_address(sender, move.company_id)
            ):
                continue
            user = mail.create_uid  # who sent it: not a partner found by its address
            if (
                not user.share
                and move.company_id in user.company_ids
                and user._email_receiver_owns_address(sender)
            ):
                own |= mail
        return self.browse(own.ids)
