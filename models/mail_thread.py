import xmlrpc.client

from odoo import SUPERUSER_ID, api, models

from ..tools.grants import release_of
from ..tools.incoming_mail import IncomingMail, delivering
from .email_receiver_routing import UNROUTED, routed_to_receiver


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    # --------------------------------------------------
    # Mail gateway: the entry of incoming mail
    # --------------------------------------------------

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
        # EXTENDS mail: mail addressed to an email receiver enters the gateway's
        # one path (email.receiver._gateway_receive): it always ends in exactly
        # one log record per receiver and is never lost; other mail is untouched.
        options = {
            "model": model,
            "custom_values": custom_values,
            "save_original": save_original,
            "strip_attachments": strip_attachments,
            "thread_id": thread_id,
        }
        if isinstance(message, xmlrpc.client.Binary):
            message = bytes(message.data)
        Receiver = self.env["email.receiver"]
        if Receiver._gateway_routing_table().addresses:  # cached: no query
            mail = IncomingMail.parse(message, through_gateway=self._email_receiver_is_gateway())
            logs = Receiver._gateway_receive(mail, **options)
            if logs is not None:
                return logs.move_ids[:1].id or False
        # no receiver in this database, or none addressed: stock Odoo
        result = super().message_process(message=message, **options)
        if unrouted := self.env.cr.cache.pop(UNROUTED, None):
            # It reached a receiver all the same (this worker's routing table
            # was older than that receiver): held now, with its one log.
            mail = IncomingMail.parse(message, through_gateway=self._email_receiver_is_gateway())
            Receiver.sudo().browse(sorted(unrouted))._gateway_hold_unrouted(mail)
        return result

    @api.model
    def _email_receiver_is_gateway(self):
        """Whether the caller of ``message_process`` is the mail gateway, whose
        servers wrote the mail's trace headers: the superuser (incoming mail
        servers, crons), a member of the Mail gateway group (odoo-mailgate's
        login), or a settings administrator (who may grant that group, and
        whom many installs give odoo-mailgate). Any other user may call
        ``message_process`` over RPC with Received and Authentication-Results
        headers of their own making."""
        user = self.env.user
        return (
            self.env.su
            or self.env.uid == SUPERUSER_ID
            or user.has_group("account_email_receiver.group_mail_gateway")
            or user.has_group("base.group_system")
        )

    @api.model
    def _email_receiver_route(self, mail, delivery, **options):
        """Odoo's own ``message_process`` for a mail of the gateway's path, with
        the gateway's one value, its ``delivery``, under way (called by
        ``_gateway_receive`` only)."""
        options.setdefault("model", None)
        with delivering(self.env, delivery):
            return super().message_process(message=mail.routed(), **options)

    # --------------------------------------------------
    # Mail gateway: routing
    # --------------------------------------------------

    @api.model
    def message_route(self, message, message_dict, model=None, thread_id=None, custom_values=None):
        # EXTENDS mail: a released mail makes documents through the released
        # receiver only. Odoo routes a mail to every alias it names: a stranger's
        # mail to a receiver with a journal's alias in Cc would otherwise make a
        # second document there on release, past every check.
        routes = super().message_route(
            message, message_dict, model=model, thread_id=thread_id, custom_values=custom_values
        )
        release = release_of(self.env)
        if not release:
            return routes
        alias = self.env["email.receiver"].sudo().browse(release.receiver_id).alias_id
        return [route for route in routes if route[4] and route[4].id == alias.id]

    @api.model
    def _detect_loop_sender(self, message, message_dict, routes):
        # EXTENDS mail: trusted senders of active receivers may send many bills;
        # mail reaching an accepted receiver route already passed the whitelist.
        other_routes = [
            route for route in routes or [] if not routed_to_receiver(self.env, route[4])
        ]
        if routes and not other_routes:
            return False
        return super()._detect_loop_sender(message, message_dict, other_routes)
