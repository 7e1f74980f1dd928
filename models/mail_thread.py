import email.policy
import xmlrpc.client
from email.parser import BytesHeaderParser

from odoo import api, models


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    @api.model
    def message_process(
        self,
        model,
        message,
        custom_values=None,
        save_original=False,
        strip_attachments=False,
        thread_id=None,
    ):
        # EXTENDS mail: mail addressed to an email receiver always ends in
        # exactly one log record and is never lost; other mail is untouched.
        if isinstance(message, xmlrpc.client.Binary):
            message = bytes(message.data)
        if isinstance(message, str):
            message = message.encode("utf-8")

        def process(context=None):
            return super(MailThread, self.with_context(**(context or {}))).message_process(
                model,
                message,
                custom_values=custom_values,
                save_original=save_original,
                strip_attachments=strip_attachments,
                thread_id=thread_id,
            )

        if self.env.context.get("email_receiver_release"):
            return process()
        headers = BytesHeaderParser(policy=email.policy.SMTP).parsebytes(message)
        receivers = self.env["email.receiver"]._gateway_receivers_for(headers)
        if not receivers:
            return process()
        return receivers._gateway_process(message, process)

    @api.model
    def _detect_loop_sender(self, message, message_dict, routes):
        # EXTENDS mail: trusted senders of active receivers may send many bills;
        # mail reaching an accepted receiver route already passed the whitelist.
        other_routes = [
            route
            for route in routes or []
            if not (route[4] and route[4].sudo().alias_parent_model_id.model == "email.receiver")
        ]
        if routes and not other_routes:
            return False
        return super()._detect_loop_sender(message, message_dict, other_routes)
