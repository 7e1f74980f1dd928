from odoo import models


class MailAlias(models.Model):
    _inherit = "mail.alias"

    def _alias_bounce_incoming_email(self, message, message_dict, set_invalid=True):
        # EXTENDS mail: never bounce to the From of mail refused by a receiver.
        # The sender may be forged; the receiver's contact gets a notice instead.
        if self.alias_parent_model_id.model == "email.receiver":
            return
        return super()._alias_bounce_incoming_email(message, message_dict, set_invalid=set_invalid)
