"""Is a mail trusted? The receiver's judgement in Odoo's alias check: the
facts of the mail (its headers, authentication, the whitelist, its
documents), gathered as the pure ``tools/verdict.decide`` asks for them.
Nothing here writes: the gateway records the verdict (``_gateway_record``)."""

import functools
from dataclasses import replace

from odoo import api, models, tools
from odoo.exceptions import UserError
from odoo.fields import Domain
from odoo.tools import escape_psql

from odoo.addons.account.models.account_document_import_mixin import (
    extract_pdf_embedded_files,
)
from odoo.addons.mail.tools.alias_error import AliasError

from ..tools import authentication, evidence, pdf_invoice, reconciliation, verdict
from ..tools.incoming_mail import delivery_in
from ..tools.parsed import declared, xml_tree
from ..tools.settings import setting
from ..tools.whitelist import Whitelist
from .email_receiver_routing import UNROUTED


class ReleaseRefused(UserError):
    """A released mail's documents fail a check that whoever releases may
    not overrule: ``reason`` and its ``explanation``, as for new mail."""

    def __init__(self, reason, explanation):
        super().__init__(explanation)
        self.reason = reason
        self.explanation = explanation


class EmailReceiverFacts(models.Model):
    _inherit = "email.receiver"

    def _alias_get_error(self, message, message_dict, alias):
        # OVERRIDE mail: the receiver's trust decision replaces alias_contact (and its
        # bounce to the sender); mail.alias never sees a receiver's mail. Like
        # core's, it only judges and writes nothing: the verdict goes into the
        # delivery, and the step after it records it (``_gateway_record``).
        self.ensure_one()
        receiver = self.sudo()._gateway_in_company_lang()
        delivery = delivery_in(message_dict)
        if not delivery:
            # Not through the gateway's path (a routing table not yet refreshed
            # in this worker): never a document; ``message_process`` holds it
            # with its log once Odoo's routing returns.
            self.env.cr.cache.setdefault(UNROUTED, set()).add(receiver.id)
            return AliasError("duplicate", "held: not through the gateway's path")
        if release := delivery.release:
            # Our own release action (a value no RPC caller can send): only
            # the released receiver's route takes the mail, past the same
            # document checks as new mail.
            if release.receiver_id == receiver.id:
                receiver._gateway_check_release(release, message_dict)
                return False
            return AliasError("email_receiver_release", "not the released receiver")
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
                setting(self.env, "entry_host"),
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
        return int(setting(self.env, "max_size_mb") * 1024 * 1024)

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
        entry_host = setting(self.env, "entry_host")
        trusted = evidence.authentication(
            evidence.above_entry_hop(message, "Authentication-Results", entry_host),
            setting(self.env, "authserv_ids"),
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
            trusted_sealers=setting(self.env, "arc_sealers"),
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
        return authentication.dns_client(
            setting(self.env, "dns_nameservers"), setting(self.env, "dns_lifetime")
        )

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
