"""The mail gateway's path for a mail to receivers: the transaction around
Odoo's ``message_process``, the verdicts recorded in the mail's logs, and the
held mail that it leaves with its one log. The routing is in
``email_receiver_routing``, the judgement in ``email_receiver_facts``."""

import functools
import logging
from types import MappingProxyType

from odoo import api, models
from odoo.exceptions import ConcurrencyError
from odoo.fields import Domain
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY

from ..tools.incoming_mail import Delivery
from .email_receiver import lang_context

_logger = logging.getLogger(__name__)


class DocumentError(Exception):
    """Odoo could not create a receiver's document (``message_new`` failed)."""

    def __init__(self, receiver_id, error):
        super().__init__(str(error))
        self.receiver_id = receiver_id


class EmailReceiverGateway(models.Model):
    _inherit = "email.receiver"

    @api.model
    def _gateway_receive(self, mail, release=None, **route_options):
        """The one path of a mail to receivers, from its bytes to its outcome.

        The HTTP endpoint, ``message_process`` (mailgate, IMAP/POP) and the
        release of a held mail all enter here, once per mail, with the mail
        parsed once (``IncomingMail``). Returns the mail's logs, one per
        receiver, or None when the mail is addressed to no receiver (then the
        caller leaves it to stock Odoo). ``route_options`` go to Odoo's
        ``message_process`` unchanged (model, custom_values, save_original...).
        """
        route = functools.partial(self.env["mail.thread"]._email_receiver_route, **route_options)
        if release:
            receiver = self.sudo().browse(release.receiver_id)
            log = self.env["email.receiver.log"].sudo().browse(release.log_id)
            delivery = receiver._gateway_delivery(mail, receiver, logs=log, release=release)
            route(mail, delivery)
            return log
        receivers = self._gateway_receivers_for(mail)
        if not receivers:
            return None
        return receivers._gateway_process(mail, route)

    def _gateway_delivery(self, mail, deciding, logs=(), release=None):
        """The one value that tells Odoo's core (overrides of mail.alias,
        mail.thread, account.move) about this mail, which aliases are
        receivers' and the log of each receiver that decides, without reading
        a record (it changes only as verdicts are reached and recorded): core
        calls some of those hooks in a new cursor after a failure, where
        records may not exist."""
        return Delivery(
            mail=mail,
            alias_ids=frozenset(self.alias_id.ids),
            deciding_alias_ids=frozenset(deciding.alias_id.ids),
            log_ids=MappingProxyType({log.receiver_id.id: log.id for log in logs}),
            release=release,
        )

    def _gateway_process(self, mail, route):
        """Odoo's mail gateway for a mail addressed to these receivers.

        ``route(mail, delivery)`` runs the stock ``message_process``. Around it:
        re-deliveries are ignored, oversize mail is held without parsing it, a
        mail Odoo drops (a reused Message-Id) is held as a duplicate, a failure
        anywhere is held as ``error`` (nothing is lost), and accepted mail gets
        its follow-ups, once. Returns the mail's logs.
        """
        Log = self.env["email.receiver.log"].sudo()
        key, message_id = mail.key, mail.message_id
        # One indexed query: this very message (a re-delivery), or its Message-Id
        # with other content (reused, maybe by a forger), per receiver.
        known = Log.search_fetch(
            Domain("receiver_id", "in", self.ids)
            & (Domain("content_key", "=", key) | Domain("message_id", "=", message_id or key)),
            ["receiver_id", "content_key", "stage"],
        )
        delivered = known.filtered(lambda log: log.content_key == key)
        if stale := delivered.filtered(lambda log: log.stage == "entered"):
            # A worker that stopped past the import's own commit, before this
            # receiver's verdict: held, and released like any held mail.
            stale.receiver_id._gateway_hold(
                mail,
                reason="error",
                error=self.env._("The mail gateway stopped before it finished this mail."),
                logs=stale,
            )
        pending = self - delivered.receiver_id
        if not pending:
            # A re-delivery, or Odoo's retry after a concurrency error past the
            # import's own commit: what the first run did not finish, runs now.
            delivered._follow_up_later()
            _logger.info("email receiver: re-delivery of %s ignored", message_id)
            return delivered
        if mail.size > self._gateway_max_bytes():
            return delivered | pending._gateway_hold(mail)  # too_large, unparsed
        reused = pending & known.receiver_id
        held = reused._gateway_hold(mail, reason="duplicate")
        pending -= reused
        if not pending:
            return delivered | held

        # The mail's log of each receiver, from here on carried in the delivery:
        # the verdict, the documents and the outcome write to it, nobody searches.
        logs = Log._create_entering(pending, mail)
        # Odoo's e-invoice import commits the cursor mid-way outside tests
        # (account's rollbackable_transaction); a postcommit hook tells us, so
        # that we roll back to that commit rather than to a vanished savepoint.
        committed = []
        self.env.cr.postcommit.add(lambda: committed.append(True))
        savepoint = self.env.cr.savepoint()
        delivery = self._gateway_delivery(mail, pending, logs=logs)
        try:
            route(mail, delivery)
            # The verdicts Odoo's routing asked for and no document recorded
            # (held mail, a reply to a bill): in their logs now.
            for receiver in pending:
                Log._gateway_record(receiver, delivery)
        except (ConcurrencyError, *PG_CONCURRENCY_EXCEPTIONS_TO_RETRY):
            if not committed:
                savepoint.close(rollback=True)
            raise
        except Exception as error:  # noqa: BLE001 - hold the mail, never lose it
            _logger.warning(
                "email receiver: processing %s failed: %s", message_id, error, exc_info=True
            )
            if committed:
                self.env.cr.rollback()
            else:
                savepoint.close(rollback=True)
            self.env.invalidate_all()
            held |= pending._gateway_hold(mail, reason="error", error=str(error), logs=logs)
            if isinstance(error, DocumentError):
                self.browse(error.receiver_id)._gateway_alias_failed(error)
            return delivered | held
        if not committed:
            savepoint.close(rollback=False)
        # else: the savepoint ended with the transaction Odoo's import committed.
        return delivered | held | pending._gateway_outcome(mail, logs, delivery)

    def _gateway_outcome(self, mail, logs, delivery):
        """After Odoo's routing: every receiver's log has its verdict, unless
        Odoo dropped the mail before asking a receiver (a Message-Id it already
        has, maybe reused by a forger; a reply to a bounce): held now.
        Accepted mail gets its follow-ups. Which is which, the delivery says
        (``stages``): no log is read back. Returns the logs."""
        stages = delivery.stages
        unrouted = logs.browse(
            log_id for receiver_id, log_id in delivery.log_ids.items() if receiver_id not in stages
        )
        if unrouted:
            seen = mail.message_id and self.env["mail.message"].sudo().search_count(
                [("message_id", "=", mail.message_id)], limit=1
            )
            receivers = unrouted.receiver_id
            if seen:
                receivers._gateway_hold(mail, reason="duplicate", logs=unrouted)
            else:
                receivers._gateway_hold(
                    mail,
                    reason="error",
                    error=self.env._("The mail gateway did not route this message."),
                    logs=unrouted,
                )
        logs.browse(
            log_id
            for receiver_id, log_id in delivery.log_ids.items()
            if stages.get(receiver_id) == "accepted"
        )._queue_follow_up()
        return logs

    def _gateway_hold(self, mail, reason=None, error=None, logs=None):
        """Log a mail that was not routed: in its log (``logs``, the ones the
        mail entered with, when it has them), else a new one. The header
        checks still decide first (Odoo's parser fails on some malformed From
        headers); otherwise ``reason``. An oversize mail is held as too_large
        by the header checks themselves."""
        carried = {log.receiver_id.id: log.id for log in (logs or ()) if log.exists()}
        held = self.env["email.receiver.log"]
        for receiver in self:
            receiver = receiver._gateway_in_company_lang()  # noqa: PLW2901
            try:
                with self.env.cr.savepoint():
                    verdict = receiver._gateway_decide(
                        mail.headers,
                        raw_size=mail.size,
                        attachments=None,
                        raw=mail.raw,
                        through_gateway=mail.through_gateway,
                    )
                    if not verdict["reason"]:
                        verdict.update(reason=reason, error=error)
                    held |= receiver._gateway_log(
                        verdict, mail.log_values(), log=carried.get(receiver.id)
                    )
            except (ConcurrencyError, *PG_CONCURRENCY_EXCEPTIONS_TO_RETRY):
                raise
            except Exception as failure:  # noqa: BLE001 - the last resort: nothing is lost
                _logger.exception("email receiver: holding %s failed", mail.message_id)
                held |= (
                    self.env["email.receiver.log"]
                    .sudo()
                    ._create_minimal(
                        receiver, mail, error or str(failure), log=carried.get(receiver.id)
                    )
                )
        return held

    def _gateway_hold_unrouted(self, mail):
        """A mail that reached these receivers' aliases around the gateway's
        path (Odoo routed it before this worker's routing table knew the
        address; ``_alias_get_error`` stopped it): held as ``error`` with its
        one log, once, and released like any held mail."""
        known = (
            self.env["email.receiver.log"]
            .sudo()
            .search_fetch(
                [("receiver_id", "in", self.ids), ("content_key", "=", mail.key)], ["receiver_id"]
            )
        )
        (self - known.receiver_id)._gateway_hold(
            mail,
            reason="error",
            error=self.env._(
                "The mail reached this address before the gateway knew it; release it "
                "to process it."
            ),
        )

    def _gateway_alias_failed(self, error):
        """What Odoo does for an alias that cannot create its document (status
        invalid, the owner told), without Odoo's reply to the possibly forged
        sender. Done here, in the gateway's transaction, after the rollback."""
        self.ensure_one()
        receiver = self._gateway_in_company_lang()
        receiver.alias_id.sudo().alias_status = "invalid"
        receiver.activity_schedule(
            "mail.mail_activity_data_todo",
            summary=receiver.env._("This address could not create a document"),
            note=receiver.env._(
                "Odoo could not create a document from a mail to %(address)s; the mail "
                "is held with the reason 'error' and can be released once the cause is "
                "fixed. The error: %(error)s",
                address=receiver.alias_id.display_name,
                error=str(error),
            ),
            user_id=receiver.create_uid.id,
        )

    def _gateway_in_company_lang(self):
        """Texts the gateway stores (log explanations, chatter) are written in
        the language of the receiver's company, not of the technical user."""
        self.ensure_one()
        if context := lang_context(self.env, self.company_lang):
            return self.with_context(**context)
        return self

    def _gateway_log(self, verdict, message_dict, log=None):
        """Record the verdict in the one log of this message for this receiver:
        ``log`` (the id it entered with), else a new one."""
        self.ensure_one()
        Log = self.env["email.receiver.log"].sudo()
        return Log._record_verdict(self, verdict, message_dict, log=Log.browse(log or ()))
