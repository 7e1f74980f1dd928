"""The whitelabel sending domain on invoices: mail a user sends about an
invoice goes out From their own address once its domain is verified."""

from odoo import models
from odoo.tools import formataddr


class AccountMoveSendingDomain(models.Model):
    _inherit = "account.move"

    def message_post(self, **kwargs):
        # EXTENDS mail: once the database has a whitelabel domain, mail
        # a user sends about an invoice goes out From their own address when its
        # domain is verified for the invoice's company, else From the company's
        # sender; Reply-To is always the user.
        if (
            len(self) == 1
            # no whitelabel domain set up in the database (cached): core's mail
            and self.env["email.sending.domain"]._all_domains()
            and self.is_invoice(include_receipts=True)
            and kwargs.get("message_type") == "comment"
            and kwargs.get("subtype_xmlid", "mail.mt_comment") == "mail.mt_comment"
            and kwargs.get("subtype_id")
            != self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_note")
        ):
            kwargs.update(self._email_receiver_sender_values())
        return super().message_post(**kwargs)

    def _email_receiver_sender_values(self):
        """From and Reply-To for mail the current user sends about this invoice."""
        self.ensure_one()
        user = self.env.user
        if user.share or not user.email:
            return {}
        if self.env["email.sending.domain"]._is_verified_address(user.email, self.company_id):
            return {"email_from": user.email_formatted, "reply_to": user.email_formatted}
        default_from = (
            self.company_id.alias_domain_id.default_from_email
            or self.env["ir.mail_server"]._get_default_from_address()
            or self.company_id.email
        )
        if not default_from:
            return {"reply_to": user.email_formatted}
        return {
            "email_from": formataddr((self.company_id.name, default_from)),
            "reply_to": user.email_formatted,
        }
