import xmlrpc.client

from odoo import SUPERUSER_ID, api, models

from ..tools.incoming_mail import DELIVERY, IncomingMail, delivery_in
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
        the gateway's one value, its ``delivery``, in its ``custom_values``
        (``message_route`` hands it on in the ``message_dict``; called by
        ``_gateway_receive`` only)."""
        options.setdefault("model", None)
        options["custom_values"] = {**(options.get("custom_values") or {}), DELIVERY: delivery}
        return super().message_process(message=mail.routed(), **options)

    # --------------------------------------------------
    # Mail gateway: routing
    # --------------------------------------------------

    @api.model
    def message_route(self, message, message_dict, model=None, thread_id=None, custom_values=None):
        # EXTENDS mail: the gateway's delivery, given in the custom values, is
        # in the message_dict while Odoo routes (its hooks read it there:
        # the alias check, the bounce), then in the receivers' routes, whose
        # custom values Odoo gives ``message_new``; not in the message_dict
        # after routing, which Odoo posts (message_post refuses it).
        delivery = delivery_in(custom_values)
        if not delivery:
            return super().message_route(
                message, message_dict, model=model, thread_id=thread_id, custom_values=custom_values
            )
        custom_values = {key: value for key, value in custom_values.items() if key != DELIVERY}
        message_dict[DELIVERY] = delivery
        try:
            routes = super().message_route(
                message, message_dict, model, thread_id, custom_values or None
            )
        finally:
            del message_dict[DELIVERY]
        if release := delivery.release:
            # A released mail makes documents through the released receiver
            # only. Odoo routes a mail to every alias it names: a stranger's
            # mail to a receiver with a journal's alias in Cc would otherwise
            # make a second document there on release, past every check.
            alias = self.env["email.receiver"].sudo().browse(release.receiver_id).alias_id
            routes = [route for route in routes if route[4] and route[4].id == alias.id]
        return [
            (route[0], route[1], {**(route[2] or {}), DELIVERY: delivery}, *route[3:])
            if delivery.routes_to(route[4])
            else route
            for route in routes
        ]

    @api.model
    def _detect_loop_sender(self, message, message_dict, routes):
        # EXTENDS mail: trusted senders of active receivers may send many bills;
        # mail reaching an accepted receiver route already passed the whitelist.
        other_routes = [route for route in routes or [] if not routed_to_receiver(route)]
        if routes and not other_routes:
            return False
        return super()._detect_loop_sender(message, message_dict, other_routes)
