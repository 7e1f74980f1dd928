"""The mail gateway's path for a mail to a receiver: routing, the facts and
the verdict (``tools/verdict``), Odoo's ``message_process`` around them, and
the held mail that it leaves with its one log."""

import functools
import hashlib
import logging
from dataclasses import replace
from types import MappingProxyType
from typing import NamedTuple

from odoo import api, models, tools
from odoo.exceptions import ConcurrencyError, UserError
from odoo.fields import Domain
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import escape_psql

from odoo.addons.account.models.account_document_import_mixin import (
    extract_pdf_embedded_files,
)
from odoo.addons.mail.tools.alias_error import AliasError

from ..tools import authentication, evidence, pdf_invoice, reconciliation, verdict
from ..tools.grants import release_of
from ..tools.incoming_mail import DELIVERY_KEY, Delivery, delivery_of
from ..tools.whitelist import Whitelist
from .email_receiver import PARAM, max_size_mb

_logger = logging.getLogger(__name__)


class RoutingTable(NamedTuple):
    addresses: MappingProxyType  # full alias address -> receiver id
    alias_ids: frozenset
    # local part -> receiver id, for aliases that Odoo matches on their local
    # part at any domain (mail.alias.alias_incoming_local), as Odoo routes them
    local_parts: MappingProxyType = MappingProxyType({})


def routed_to_receiver(env, alias):
    """Whether ``alias`` belongs to a receiver the current mail is processed
    for: decided from the context alone, reading no record."""
    delivery = delivery_of(env)
    return bool(alias) and bool(delivery) and alias.id in delivery.alias_ids


def belongs_to_receiver(env, alias):
    """Whether ``alias`` is a receiver's, with or without the gateway's path:
    from the context, else from the alias itself (its parent is a receiver).
    For the hooks where a miss would answer a possibly forged sender."""
    if routed_to_receiver(env, alias):
        return True
    if not alias:
        return False
    # Core calls the bounce hook in a new cursor after a failure, where an
    # alias of the failed transaction may not exist: then it is not ours.
    alias = alias.sudo().exists()
    return bool(alias) and alias.alias_parent_model_id.model == "email.receiver"


# The cursor's receivers that a mail reached around the gateway's path, for
# ``message_process`` to hold once Odoo's routing returns.
UNROUTED = "account_email_receiver.unrouted"
PARSED = "account_email_receiver.parsed"  # the cursor's cache of parsed e-invoices
PARSED_MAX = 64  # trees kept per cursor (a fetchmail run processes many mails on one)


def _parsed(env, kind, key, parse):
    """``parse()``, once per cursor for ``(kind, key)``: the gateway's checks,
    Odoo's import and the reconciliation of one mail share each XML tree and
    what it declares, rather than parse it again."""
    cache = env.cr.cache.setdefault(PARSED, {})
    if (kind, key) not in cache:
        if len(cache) >= PARSED_MAX:
            cache.pop(next(iter(cache)))
        cache[kind, key] = parse()
    return cache[kind, key]


def xml_tree(env, content):
    """An XML file parsed without DTDs (``evidence.safe_xml_tree``), once per mail."""
    key = hashlib.sha256(content or b"").digest()
    return _parsed(env, "xml", key, lambda: evidence.safe_xml_tree(content))


def declared(env, tree):
    """What an e-invoice's tree declares (``reconciliation.declared``), once per tree."""
    return _parsed(env, "declared", id(tree), lambda: (tree, reconciliation.declared(tree)))[1]


class ReleaseRefused(UserError):
    """A released mail's documents fail a check that whoever releases may
    not overrule: ``reason`` and its ``explanation``, as for new mail."""

    def __init__(self, reason, explanation):
        super().__init__(explanation)
        self.reason = reason
        self.explanation = explanation


class DocumentError(Exception):
    """Odoo could not create a receiver's document (``message_new`` failed)."""

    def __init__(self, receiver_id, error):
        super().__init__(str(error))
        self.receiver_id = receiver_id


class EmailReceiverGateway(models.Model):
    _inherit = "email.receiver"

    def _alias_get_error(self, message, message_dict, alias):
        # OVERRIDE mail: the receiver's trust decision replaces alias_contact (and its
        # bounce to the sender); mail.alias never sees a receiver's mail. Like
        # core's, it only judges and writes nothing: the verdict goes into the
        # delivery, and the step after it records it (``_gateway_record``).
        self.ensure_one()
        receiver = self.sudo()._gateway_in_company_lang()
        if release := release_of(self.env):
            # Our own release action (a grant no RPC caller can forge): only
            # the released receiver's route takes the mail, past the same
            # document checks as new mail.
            if release.receiver_id == receiver.id:
                receiver._gateway_check_release(release, message_dict)
                return False
            return AliasError("email_receiver_release", "not the released receiver")
        delivery = delivery_of(self.env)
        if not delivery:
            # Not through the gateway's path (a routing table not yet refreshed
            # in this worker): never a document; ``message_process`` holds it
            # with its log once Odoo's routing returns.
            self.env.cr.cache.setdefault(UNROUTED, set()).add(receiver.id)
            return AliasError("duplicate", "held: not through the gateway's path")
        if alias.id not in delivery.deciding_alias_ids:
            # Held before routing (a reused Message-Id), with its one log.
            return AliasError("duplicate", "already held")
        mail = delivery.mail
        verdict = receiver._gateway_decide(
            mail.headers,
            raw_size=mail.size,
            attachments=message_dict.get("attachments") or [],
            raw=mail.raw,
            through_gateway=mail.through_gateway,
        )
        verdict["is_bounce"] = bool(message_dict.get("is_bounce"))
        delivery.verdicts[receiver.id] = verdict
        if verdict["reason"]:
            Log = self.env["email.receiver.log"]
            return AliasError(
                verdict["reason"], Log._explain(verdict["reason"], verdict, receiver, mail.size)
            )
        return False

    def _gateway_record(self, delivery):
        """The verdict ``_alias_get_error`` reached for this receiver, recorded
        in the mail's log, once: by ``message_new`` before the document (its
        receipt note reads the log, and Odoo's import may commit), else by
        the outcome after Odoo's routing. Returns the log."""
        self.ensure_one()
        receiver = self._gateway_in_company_lang()
        log_id = delivery.log_ids.get(receiver.id)
        verdict = delivery.verdicts.pop(receiver.id, None)
        if verdict is None:
            return self.env["email.receiver.log"].sudo().browse(log_id)
        values = delivery.mail.log_values()
        values["is_bounce"] = values["is_bounce"] or verdict.pop("is_bounce", False)
        log = receiver._gateway_log(verdict, values, log=log_id)
        alias = receiver.alias_id
        if not verdict["reason"] and alias.alias_status != "valid":
            # Odoo marks an alias valid after its first routed mail, as the
            # gateway user; a restricted technical user may not write aliases.
            # Written now: when several first mails race for it, the loser's
            # serialization failure raises here, and Odoo runs its request
            # again, rather than inside the import, which would catch it.
            alias.sudo().alias_status = "valid"
            alias.sudo().flush_recordset(["alias_status"])
        return log

    # --------------------------------------------------
    # Gateway: the decision
    # --------------------------------------------------

    def _gateway_decide(self, message, raw_size, attachments=None, raw=b"", through_gateway=False):
        """Is this mail trusted? The facts of the mail, gathered as the pure
        ``verdict.decide`` asks for them, and its verdict.

        Checks 1 to 4 read the headers only, so a stranger's mail costs no
        DNS query and no hashing of its body; authentication (5) asks DNS;
        attachments are looked at in checks 7 and 8 alone, and not at all when
        ``attachments`` is None (a mail held before Odoo parsed it). Writes nothing.
        ``through_gateway``: the mail entered through the mail gateway (see
        ``IncomingMail.through_gateway``); otherwise its trace headers
        (Received, Authentication-Results) are no evidence at all.
        Returns the log's values: reason (False when accepted), sender,
        used_tls, protocol, auth_result, auth_details, auth_header, attachments,
        document, header.
        """
        self.ensure_one()
        # Evidence first (headers only, cheap), so that a held mail shows it too.
        used_tls, protocol = False, None
        if through_gateway:
            used_tls, protocol = evidence.tls_evidence(
                evidence.header_values(message, "Received"),
                self.env["ir.config_parameter"].sudo().get_param(PARAM % "entry_host"),
            )
        sender = evidence.sender_address(evidence.header_values(message, "From"))
        facts = verdict.Facts(
            size=raw_size,
            sender=sender or None,
            repeated_header=sender and evidence.repeated_singleton(message) or None,
            used_tls=used_tls,
            looks_at_documents=attachments is not None,
        )
        shown = {"sender": sender or False, "used_tls": used_tls, "protocol": protocol}
        shown["auth_result"] = "none"
        policy = self._gateway_policy()
        while (decision := verdict.decide(policy, facts)).needs:
            if decision.needs == verdict.TRUSTED:
                facts = replace(facts, trusted=self._gateway_is_trusted(sender))
            elif decision.needs == verdict.AUTHENTICATION:
                found = self._gateway_authenticate(
                    message, raw, sender.rpartition("@")[2], through_gateway=through_gateway
                )
                shown.update(found)
                facts = replace(facts, auth_result=found["auth_result"])
            else:
                documents = self._gateway_documents(attachments, policy, raw)
                shown["attachments"] = [
                    {"name": name or self.env._("(no name)"), "used": used}
                    for name, used in documents.found
                ]
                facts = replace(facts, documents=documents)
        return self._gateway_verdict_values(decision, shown)

    @api.model
    def _gateway_verdict_values(self, decision, shown=None):
        """A verdict as the log's values (``_record_verdict``)."""
        values = dict(shown or {}, reason=decision.reason)
        if decision.header:
            values["header"] = decision.header
        if decision.document is not None:
            values["document"] = dict(decision.document)
        return values

    def _gateway_policy(self):
        """What this receiver asks of its mail, for ``verdict.decide``."""
        self.ensure_one()
        checks_buyer = self.document_type == "purchase"
        our_ids = ()
        if checks_buyer:
            company = self.company_id
            # Only the columns needed, not the rows of the company and its partner.
            company.fetch(["partner_id"])
            company.partner_id.fetch(["vat", "peppol_endpoint"])
            our_ids = (
                reconciliation.normalize_id(company.vat),
                reconciliation.normalize_id(company.partner_id.peppol_endpoint),
            )
        return verdict.Policy(
            active=self.state == "active",
            max_bytes=self._gateway_max_bytes(),
            require_authentication=self.require_authentication,
            tls_only=self.tls_only,
            reads_pdfs=self.processing in ("pdf", "both"),
            checks_buyer=checks_buyer,
            our_ids=our_ids,
        )

    def _gateway_documents(self, attachments, policy, raw=b""):
        """The facts of a mail's attachments (``verdict.Documents``): each
        attachment looked at once; the PDFs and pictures the robot will read
        looked at without parsing them (``pdf_invoice.precheck``: size,
        encryption, declared pages; the reading itself runs after the mail);
        the e-invoices' declared buyer, number and amount, and the bill of the
        same supplier, number and amount already in Odoo."""
        self.ensure_one()
        found = evidence.documents(attachments, xml_tree=functools.partial(xml_tree, self.env))
        kept = self._gateway_invoice_attachments(found)
        has_xml = any(document.kind == "xml" for document in kept)
        pdfs = ()
        if policy.reads_pdfs and not has_xml:
            limits = self._pdf_limits()
            pdfs = tuple(
                (
                    document.name,
                    getattr(pdf_invoice.precheck(document.content, limits), "kind", None),
                )
                for document in kept
                if document.kind in ("pdf", "image") and not document.embeds
            )
        invoices = ()
        if policy.checks_buyer and kept:
            invoices = tuple(
                verdict.Invoice(
                    buyer_name=doc.buyer_name,
                    buyer_ids=(doc.buyer_vat, doc.buyer_endpoint),
                    number=doc.number,
                    total=doc.total,
                    existing=(bill.display_name, bill.id)
                    if (bill := self._gateway_existing_bill(doc))
                    else None,
                )
                for tree in self._gateway_einvoice_trees(kept)
                if (doc := declared(self.env, tree)) is not None
            )
        refused = next((d for d in found if d.kind == "zip" and d.refused), None)
        return verdict.Documents(
            found=tuple((document.name, any(document is k for k in kept)) for document in found),
            names_a_file=bool(not found and evidence.names_a_file(raw)),
            refused_archive=(refused.name, refused.refused) if refused else None,
            has_xml=has_xml,
            pdfs=pdfs,
            invoices=invoices,
        )

    def _gateway_check_release(self, release, message_dict):
        """The document checks of a released mail (held before they ran: an
        untrusted sender, no TLS...), on the attachments Odoo's routing just
        parsed: the same ``verdict.decide``, for a mail a person released.
        Raises ``ReleaseRefused`` for a finding ``release`` may not overrule."""
        self.ensure_one()
        policy = self._gateway_policy()
        facts = verdict.Facts(
            size=0,
            released=True,
            documents=self._gateway_documents(message_dict.get("attachments") or [], policy),
        )
        decision = verdict.decide(policy, facts)
        reason = decision.reason
        if not reason or reason in release.overrule:
            return
        Log = self.env["email.receiver.log"]
        explanation = Log._explain(reason, self._gateway_verdict_values(decision), self, 0)
        if reason == "duplicate_invoice":
            hint = self.env._(
                "An Email Receiver administrator can release it with 'Release as a new invoice'."
            )
        else:
            hint = self.env._("Only an Email Receiver administrator can release it.")
        raise ReleaseRefused(reason, f"{explanation} {hint}")

    @api.model
    def _gateway_einvoice_trees(self, documents):
        """The XML trees of a mail's e-invoices: attached XML, and the XML a
        Factur-X/ZUGFeRD PDF embeds (read as Odoo's import reads it, and
        parsed, as attached XML is, without DTDs), so that both get the same checks."""
        for document in documents:
            if document.kind == "xml" and document.tree is not None:
                yield document.tree
            elif document.kind == "pdf" and document.embeds:
                for _name, content in extract_pdf_embedded_files(document.name, document.content):
                    if evidence.sniff_kind(content) == "xml":
                        tree = xml_tree(self.env, content)
                        if tree is not None:
                            yield tree

    def _gateway_existing_bill(self, doc):
        """A bill of this supplier (not cancelled) with the invoice's number
        (whatever its letters' case and surrounding spaces) and one of its
        amounts (``Declared.totals``)."""
        number = (doc.number or "").strip()
        if not (self.partner_id and number and doc.total is not None):
            return self.env["account.move"]
        self.partner_id.fetch(["commercial_partner_id"])  # not the supplier's whole row
        candidates = (
            self.env["account.move"]
            .sudo()
            .search_fetch(
                Domain("company_id", "=", self.company_id.id)
                & Domain("commercial_partner_id", "=", self.partner_id.commercial_partner_id.id)
                & Domain("move_type", "=", "in_refund" if doc.credit_note else "in_invoice")
                & Domain("state", "!=", "cancel")
                & Domain("ref", "=ilike", escape_psql(number)),
                ["amount_total", "currency_id"],
            )
        )
        return candidates.filtered(
            lambda move: any(
                move.currency_id.compare_amounts(move.amount_total, amount) == 0
                for amount in doc.totals()
            )
        )[:1]

    def _gateway_max_bytes(self):
        return int(max_size_mb(self.env) * 1024 * 1024)

    @api.model
    def _gateway_authenticate(self, message, raw, sender_domain, through_gateway=False):
        """The authentication evidence of a mail, as verdict values.

        ``Authentication-Results`` of an authserv-id you trust, above our entry
        hop, decide when they say pass or fail. Otherwise the addon checks
        DKIM, SPF (the entry hop's client IP), DMARC and trusted ARC itself,
        and records the result as a milter would, under our own authserv-id.
        Mail that did not enter through the mail gateway (a user's
        ``message_process`` call) wrote its own trace headers: not authenticated.
        """
        if not through_gateway:
            return {
                "auth_result": "none",
                "auth_details": self.env._("not received through the mail gateway"),
                "auth_header": False,
            }
        get_param = self.env["ir.config_parameter"].sudo().get_param
        entry_host = get_param(PARAM % "entry_host")
        trusted = evidence.authentication(
            evidence.above_entry_hop(message, "Authentication-Results", entry_host),
            (get_param(PARAM % "authserv_ids") or "").split(","),
            sender_domain,
        )
        if trusted.result != "none":
            return {
                "auth_result": trusted.result,
                "auth_details": ", ".join(trusted.details),
                "auth_header": False,
            }
        ip, helo = evidence.entry_client(evidence.header_values(message, "Received"), entry_host)
        result = authentication.authenticate(
            raw or b"",
            sender_domain,
            ip,
            helo,
            evidence.envelope_sender(message),
            self._gateway_dns(),
            trusted_sealers=(get_param(PARAM % "arc_sealers") or "").split(","),
        )
        return {
            "auth_result": result.result,
            "auth_details": result.summary(),
            "auth_header": result.header(entry_host or authentication.OWN_AUTHSERV_ID),
        }

    @api.model
    def _gateway_dns(self):
        """The DNS client of the gateway: the nameservers and time limit of
        Settings (shared with the whitelabel check), one cache per process."""
        get_param = self.env["ir.config_parameter"].sudo().get_param
        servers = [
            s.strip() for s in (get_param(PARAM % "dns_nameservers") or "").split(",") if s.strip()
        ]
        return authentication.dns_client(servers, float(get_param(PARAM % "dns_lifetime") or 5.0))

    def _gateway_is_trusted(self, sender):
        """Whether this receiver's whitelist trusts ``sender``: set lookups in
        its cached whitelist, never a loop over rules nor a query per mail."""
        self.ensure_one()
        types = self._gateway_whitelist(self.id).trusts(sender)
        if types - {"verified_users"}:
            return True
        return bool(types) and self._gateway_is_verified_user(sender)

    @api.model
    @tools.ormcache("receiver_id")
    def _gateway_whitelist(self, receiver_id):
        """The whitelist of a receiver, built from its rules (one indexed query).
        Cached until a rule changes (``email.receiver.rule`` clears it)."""
        rules = (
            self.env["email.receiver.rule"]
            .sudo()
            .search_fetch(
                [("receiver_id", "=", receiver_id)], ["rule_type", "value", "include_subdomains"]
            )
        )
        return Whitelist.of((r.rule_type, r.value, r.include_subdomains) for r in rules)

    def _gateway_is_verified_user(self, sender):
        """Active internal users of the receiver's company, by their login
        (set by an administrator) or an extra address they confirmed. The
        profile email is not evidence: its user may change it to anything."""
        confirmed = (
            self.env["email.receiver.user.address"]
            .sudo()
            .search_fetch([("email", "=", sender), ("verified", "=", True)], ["user_id"])
        )
        users = (
            self.env["res.users"]
            .sudo()
            .with_context(active_test=True)
            .search(
                Domain("share", "=", False)
                & Domain("company_ids", "in", self.company_id.id)
                & (
                    # exact, case-insensitive: _ and % in an address are not wildcards
                    Domain("login", "=ilike", escape_psql(sender))
                    | Domain("id", "in", confirmed.user_id.ids)
                ),
                limit=1,
            )
        )
        return bool(users)

    def _gateway_invoice_attachments(self, documents):
        """The documents (``evidence.Document``) that the processing mode turns into bills."""
        self.ensure_one()
        return [
            document
            for document in documents
            if (
                document.kind == "xml"
                and self.processing in ("xml", "both")
                and document.tree is not None
            )
            or (document.kind == "pdf" and (self.processing in ("pdf", "both") or document.embeds))
            or (  # a photo or scan of a page: OCR (a logo is none)
                document.kind == "image"
                and self.processing in ("pdf", "both")
                and evidence.page_picture(document.content)
            )
        ]

    # --------------------------------------------------
    # Gateway: processing around Odoo's routing
    # --------------------------------------------------

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
            route(mail, {DELIVERY_KEY: delivery})
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

        ``route(mail, context)`` runs the stock ``message_process``. Around it:
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
            ["receiver_id", "content_key", "state", "followed_up"],
        )
        delivered = known.filtered(lambda log: log.content_key == key)
        if stale := delivered.filtered(lambda log: log.state == "entered"):
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
            route(mail, {DELIVERY_KEY: delivery})
            # The verdicts Odoo's routing asked for and no document recorded
            # (held mail, a reply to a bill): in their logs now.
            for receiver in pending:
                receiver._gateway_record(delivery)
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
        return delivered | held | pending._gateway_outcome(mail, logs)

    def _gateway_outcome(self, mail, logs):
        """After Odoo's routing: every receiver's log has its verdict, unless
        Odoo dropped the mail before asking a receiver (a Message-Id it already
        has, maybe reused by a forger; a reply to a bounce): held now.
        Accepted mail gets its follow-ups. Returns the logs."""
        unrouted = logs.filtered(lambda log: log.state == "entered")
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
        logs._follow_up_later()
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
        return self.with_context(lang=self.company_lang or self.env.lang)

    def _gateway_log(self, verdict, message_dict, log=None):
        """Record the verdict in the one log of this message for this receiver:
        ``log`` (the id it entered with), else a new one."""
        self.ensure_one()
        Log = self.env["email.receiver.log"].sudo()
        return Log._record_verdict(self, verdict, message_dict, log=Log.browse(log or ()))
