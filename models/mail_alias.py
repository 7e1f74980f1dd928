from odoo import models

from .email_receiver_routing import belongs_to_receiver


class MailAlias(models.Model):
    _inherit = "mail.alias"

    # --------------------------------------------------
    # CRUD
    # --------------------------------------------------

    def write(self, vals):
        # EXTENDS mail: a receiver's address changed, so the gateway's cached
        # routing table is cleared (only then: other aliases cost nothing).
        res = super().write(vals)
        routing = {"alias_name", "alias_domain_id", "alias_incoming_local"}
        if routing & set(vals) and set(self.ids) & (
            self.env["email.receiver"]._gateway_routing_table().alias_ids
        ):
            self.env["email.receiver"]._gateway_clear_routing()
        return res

    # --------------------------------------------------
    # Mail gateway
    # --------------------------------------------------

    def _alias_bounce_incoming_email(self, message, message_dict, set_invalid=True):
        # EXTENDS mail: mail refused by a receiver, or that its alias could not
        # turn into a document, is never answered: the sender may be forged.
        # The gateway holds it, and on a failed document marks the alias invalid
        # and tells its owner, in its own transaction (core calls this hook in a
        # new cursor, where records of the failed one may not exist: the
        # receivers' alias ids travel in the mail's delivery; mail that came
        # around the gateway's path is recognised by the alias's own parent model).
        if belongs_to_receiver(message_dict, self):
            return None
        return super()._alias_bounce_incoming_email(message, message_dict, set_invalid=set_invalid)
