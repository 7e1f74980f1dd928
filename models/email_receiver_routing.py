"""Which receivers a mail is for: the cached routing table of every
receiver's address, and the checks Odoo's hooks make on an alias, read from
the gateway's one value (``Delivery``, in Odoo's ``message_dict``) without a
record."""

from types import MappingProxyType
from typing import NamedTuple

from odoo import api, models, tools

from ..tools.incoming_mail import delivery_in

# The cursor's receivers that a mail reached around the gateway's path, for
# ``message_process`` to hold once Odoo's routing returns.
UNROUTED = "account_email_receiver.unrouted"


class RoutingTable(NamedTuple):
    addresses: MappingProxyType  # full alias address -> receiver id
    alias_ids: frozenset
    # local part -> receiver id, for aliases that Odoo matches on their local
    # part at any domain (mail.alias.alias_incoming_local), as Odoo routes them
    local_parts: MappingProxyType = MappingProxyType({})


def routed_to_receiver(route):
    """Whether Odoo's ``route`` (model, thread id, custom values, user, alias)
    takes the mail to a receiver: its custom values carry the delivery
    (``mail.thread.message_route``); no record read."""
    return bool(delivery_in(route[2]))


def belongs_to_receiver(message_dict, alias):
    """Whether ``alias`` is a receiver's, with or without the gateway's path:
    from the delivery in Odoo's ``message_dict`` while it routes, else from the
    alias itself (its parent is a receiver). For the hooks where a miss would
    answer a possibly forged sender."""
    delivery = delivery_in(message_dict)
    if delivery and delivery.routes_to(alias):
        return True
    if not alias:
        return False
    # Core calls the bounce hook in a new cursor after a failure, where an
    # alias of the failed transaction may not exist: then it is not ours.
    alias = alias.sudo().exists()
    return bool(alias) and alias.alias_parent_model_id.model == "email.receiver"


class EmailReceiverRouting(models.Model):
    _inherit = "email.receiver"

    @api.model
    @tools.ormcache()
    def _gateway_routing_table(self):
        """Every receiver's address, with its receiver and alias ids.

        Cached: mail that is not for a receiver costs no query (Odoo's own
        query-count tests judge this), and mail that is costs no lookup. The
        cache is cleared when a receiver is created or deleted and when the
        address of a receiver's alias changes (``mail.alias``, ``mail.alias.domain``).
        """
        receivers = (
            self.sudo()
            .with_context(active_test=False)
            .search_fetch([("alias_id", "!=", False)], ["alias_id"])
        )
        receivers.alias_id.fetch(["alias_full_name", "alias_name", "alias_incoming_local"])
        return RoutingTable(
            addresses=MappingProxyType(
                {
                    receiver.alias_id.alias_full_name.lower(): receiver.id
                    for receiver in receivers
                    if receiver.alias_id.alias_full_name
                }
            ),
            alias_ids=frozenset(receivers.alias_id.ids),
            local_parts=MappingProxyType(
                {
                    receiver.alias_id.alias_name.lower(): receiver.id
                    for receiver in receivers
                    if receiver.alias_id.alias_incoming_local and receiver.alias_id.alias_name
                }
            ),
        )

    @api.model
    def _gateway_clear_routing(self):
        # the routing table and the whitelists (one cache)
        self.env.registry.clear_cache()

    @api.model
    def _gateway_receivers_for(self, mail, table=None):
        """The receivers a mail is addressed to: one lookup in the cached table."""
        table = table or self._gateway_routing_table()
        ids = set()
        for address in mail.recipients:
            receiver_id = table.addresses.get(address) or table.local_parts.get(
                address.partition("@")[0]
            )
            if receiver_id:
                ids.add(receiver_id)
        return self.sudo().browse(sorted(ids))
