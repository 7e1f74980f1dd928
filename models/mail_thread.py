import xmlrpc.client

from odoo import api, models

from .. import evidence
from ..grants import release_of
from .email_receiver import is_receiver_alias


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

        def process(context=None, raw=message):
            return super(MailThread, self.with_context(**(context or {}))).message_process(
                model,
                raw,
                custom_values=custom_values,
                save_original=save_original,
                strip_attachments=strip_attachments,
                thread_id=thread_id,
            )

        Receiver = self.env["email.receiver"]
        if release := release_of(self.env):
            return process(Receiver._gateway_context(Receiver.sudo().browse(release.receiver_id)))
        table = Receiver._gateway_routing_table()
        if not table.addresses:
            return process()  # no receiver in this database: no parse, no query
        headers = evidence.parse_headers(message)
        receivers = Receiver._gateway_receivers_for(headers, table)
        if not receivers:
            return process()
        # Threading headers are not for Odoo's routing: a supplier replying to its
        # earlier invoice mail sends a new invoice (the log keeps the mail as is).
        return receivers._gateway_process(
            message, lambda context=None: process(context, evidence.without_threading(message))
        )

    @api.model
    def _detect_loop_sender(self, message, message_dict, routes):
        # EXTENDS mail: trusted senders of active receivers may send many bills;
        # mail reaching an accepted receiver route already passed the whitelist.
        other_routes = [
            route for route in routes or [] if not is_receiver_alias(self.env, route[4])
        ]
        if routes and not other_routes:
            return False
        return super()._detect_loop_sender(message, message_dict, other_routes)
