import lxml.html

from odoo import api, fields, models
from odoo.exceptions import ConcurrencyError, UserError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import formataddr

from .. import evidence, reconciliation
from ..grants import release_of
from .email_receiver import GATEWAY_ALIASES, DocumentError, is_receiver_alias


class AccountMove(models.Model):
    _inherit = "account.move"

    email_receiver_log_id = fields.Many2one(
        "email.receiver.log",
        string="Received through",
        index="btree_not_null",
        copy=False,
        readonly=True,
        ondelete="set null",
    )
    email_receiver_id = fields.Many2one(
        related="email_receiver_log_id.receiver_id", string="Email receiver"
    )
    email_receiver_review = fields.Text(
        "Needs review",
        readonly=True,
        copy=False,
        help="Where this document differs from the e-invoice it was made from, "
        "or what in it needs a check (a new bank account, another buyer). It is "
        "never posted or sent automatically.",
    )

    @api.model
    def message_new(self, msg_dict, custom_values=None):
        # EXTENDS account: documents of a receiver are tied to its log, and a
        # purchase receiver's supplier is never switched by the mail or its XML.
        custom_values = dict(custom_values or {})
        receiver_id = custom_values.pop("email_receiver_id", None)
        if not receiver_id:
            return super().message_new(msg_dict, custom_values=custom_values)
        receiver = self.env["email.receiver"].sudo().browse(receiver_id)
        release = release_of(self.env)
        log_id = (
            release.log_id
            if release
            else (self.env.context.get("email_receiver_logs") or {}).get(receiver.id)
        )
        partner = receiver.partner_id if receiver.document_type == "purchase" else False
        log = self.env["email.receiver.log"].sudo().browse(log_id)
        if log:
            # Which receiver, sender, TLS and authentication: said in the received
            # mail itself (as account already prefixes its subject), no extra message.
            msg_dict["body"] = log._receipt_note() + (msg_dict.get("body") or "")
        try:
            return super(
                AccountMove,
                self.with_context(
                    default_email_receiver_log_id=log_id,
                    email_receiver_partner_id=partner.id if partner else False,
                ),
            ).message_new(msg_dict, custom_values=custom_values)
        except (ConcurrencyError, *PG_CONCURRENCY_EXCEPTIONS_TO_RETRY):
            raise  # Odoo retries the whole message
        except Exception as error:
            raise DocumentError(receiver.id, error) from error

    @api.model_create_multi
    def create(self, vals_list):
        # EXTENDS account: the receiver's supplier from the start, rather than a
        # write (and its recomputations) after the mail's own partner lookup.
        partner_id = self.env.context.get("email_receiver_partner_id")
        if partner_id and self.env.context.get("from_alias"):
            for vals in vals_list:
                vals["partner_id"] = partner_id
        return super().create(vals_list)

    @api.model
    def _routing_check_route(self, message, message_dict, route, raise_exception=True):
        # EXTENDS account: account drops mail without attachments and bounces it
        # to the From address. Mail to a receiver is judged by the receiver
        # instead (held as no_invoice), and a possibly forged sender never hears back.
        if is_receiver_alias(self.env, route[4]):
            return self.env["mail.thread"]._routing_check_route(
                message, message_dict, route, raise_exception=raise_exception
            )
        return super()._routing_check_route(
            message, message_dict, route, raise_exception=raise_exception
        )

    def _alias_get_error(self, message, message_dict, alias):
        # EXTENDS mail: a reply to a document, sent to a receiver's address, is
        # judged by that receiver like any other mail to it.
        if is_receiver_alias(self.env, alias):
            receiver = self.env["email.receiver"].sudo().browse(alias.alias_parent_thread_id)
            return receiver._alias_get_error(message, message_dict, alias)
        return super()._alias_get_error(message, message_dict, alias)

    def message_post(self, **kwargs):
        # EXTENDS mail: once the database has a whitelabel domain, mail
        # a user sends about an invoice goes out From their own address when its
        # domain is verified for the invoice's company, else From the company's
        # sender; Reply-To is always the user.
        if (
            len(self) == 1
            # no whitelabel domain set up in the database (cached): core's mail
            and self.env["email.sending.domain"]._all_domains()
            and self.is_invoice(include_receipts=True)
            and kwargs.get("message_type") == "comment"
            and kwargs.get("subtype_xmlid", "mail.mt_comment") == "mail.mt_comment"
            and kwargs.get("subtype_id")
            != self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_note")
        ):
            kwargs.update(self._email_receiver_sender_values())
        return super().message_post(**kwargs)

    def _email_receiver_sender_values(self):
        """From and Reply-To for mail the current user sends about this invoice."""
        self.ensure_one()
        user = self.env.user
        if user.share or not user.email:
            return {}
        if self.env["email.sending.domain"]._is_verified_address(user.email, self.company_id):
            return {"email_from": user.email_formatted, "reply_to": user.email_formatted}
        default_from = (
            self.company_id.alias_domain_id.default_from_email
            or self.env["ir.mail_server"]._get_default_from_address()
            or self.company_id.email
        )
        if not default_from:
            return {"reply_to": user.email_formatted}
        return {
            "email_from": formataddr((self.company_id.name, default_from)),
            "reply_to": user.email_formatted,
        }

    @api.model
    def _get_xml_tree(self, file_data):
        # EXTENDS account: refuse DTDs (entity expansion, external entities)
        # before any e-invoice decoder sees the file; for a receiver's documents,
        # read XML whatever MIME type the sender declared. Then core, unchanged.
        raw = file_data.get("raw") or b""
        if evidence.sniff_kind(raw) == "xml":
            tree = evidence.safe_xml_tree(raw)
            if tree is None:
                return None  # a DOCTYPE, or not well-formed
            if self.env.context.get(GATEWAY_ALIASES):
                return tree
        return super()._get_xml_tree(file_data)

    def _email_receiver_post(self):
        """Record final customer invoices as posted; a failure leaves an activity."""
        for move in self.filtered(lambda m: m.state == "draft" and m.invoice_line_ids):
            try:
                with self.env.cr.savepoint():
                    move.action_post()
            except Exception as error:  # noqa: BLE001 - the invoice stays, as draft
                move._email_receiver_todo(self.env._("Could not post the received invoice"), error)

    def _email_receiver_send_xml(self):
        """Send invoices that came from valid XML on: Peppol when possible, else email."""
        for move in self.filtered(lambda m: m._email_receiver_from_xml()):
            try:
                with self.env.cr.savepoint():
                    if move.state == "draft":
                        move.action_post()
                    methods = move._email_receiver_sending_methods()
                    if methods == {"email"} and not move.partner_id.email:
                        raise UserError(
                            self.env._(
                                "The customer %(customer)s has no email address.",
                                customer=move.partner_id.display_name,
                            )
                        )
                    settings = {"sending_methods": methods}
                    if methods == {"email"}:
                        settings["invoice_edi_format"] = "ubl_bis3"
                    self.env["account.move.send"]._generate_and_send_invoices(
                        move, allow_fallback_pdf=True, **settings
                    )
            except Exception as error:  # noqa: BLE001 - the invoice is never lost
                move._email_receiver_todo(
                    self.env._("Could not send the received invoice on"), error
                )

    def _get_specific_tax(self, name, amount_type, amount, tax_type):
        # EXTENDS account_edi_ubl_cii (a hook it calls when the record has it):
        # the receiver's tax mapping first ("25% from this supplier -> tax Y").
        receiver = self.email_receiver_log_id.receiver_id
        if receiver and amount_type == "percent":
            if tax := receiver._mapped_tax(amount, tax_type):
                return tax
        return super()._get_specific_tax(name, amount_type, amount, tax_type)

    def _email_receiver_reconcile(self, tree):
        """Compare this document with the figures its e-invoice declares; what
        differs (and what the import said about it) goes to ``Needs review``."""
        self.ensure_one()
        doc = reconciliation.declared(tree)
        if doc is None:
            return
        reasons = [line for line in (self.email_receiver_review or "").splitlines() if line]
        created = {
            "total": self.amount_total,
            "untaxed": self.amount_untaxed,
            "tax": self.amount_tax,
            "residual": self.amount_residual if self.state == "posted" else self.amount_total,
            "currency": self.currency_id.name,
        }
        labels = {
            "total": self.env._("total incl. VAT"),
            "untaxed": self.env._("total excl. VAT"),
            "tax": self.env._("VAT"),
            "payable": self.env._("amount to pay"),
            "currency": self.env._("currency"),
        }
        found = reconciliation.differences(doc, created, self.currency_id.rounding)
        for what, declared, ours in found:
            reasons.append(
                self.env._(
                    "The %(what)s is %(declared)s in the invoice and %(created)s here.",
                    what=labels[what],
                    declared=declared,
                    created=ours,
                )
            )
        if found and doc.prepaid:
            reasons.append(
                self.env._("The invoice says %(amount)s was paid in advance.", amount=doc.prepaid)
            )
        if found and (notes := self._email_receiver_import_notes()):
            reasons.append(self.env._("Odoo's import said: %(notes)s", notes=notes))
        receiver = self.email_receiver_log_id.receiver_id
        if receiver.document_type == "purchase" and doc.buyer_name:
            ours = self.company_id
            comparable = (doc.buyer_vat and ours.vat) or (
                doc.buyer_endpoint and ours.partner_id.peppol_endpoint
            )
            if not comparable and doc.buyer_name.strip().lower() != ours.name.strip().lower():
                reasons.append(
                    self.env._(
                        "The invoice is addressed to %(buyer)s, not to %(company)s (by name "
                        "only: no VAT number or Peppol address to compare).",
                        buyer=doc.buyer_name,
                        company=ours.name,
                    )
                )
        review = "\n".join(reasons) or False
        if review != self.email_receiver_review:
            self.email_receiver_review = review  # a write on a move is not free: only if needed

    def _email_receiver_import_notes(self):
        """What Odoo's import said, from the message it just posted ("Invoice
        imported", then one item per remark), as one line."""
        self.ensure_one()
        message = self.message_ids[:1]
        if not message or "<li>" not in (message.body or ""):
            return ""
        items = lxml.html.fromstring(str(message.body)).iter("li")
        return " ".join(" ".join(item.text_content().split()) for item in items)

    def _email_receiver_todo(self, summary, error):
        """A to-do for whoever set up the receiver, on a document the gateway kept."""
        self.ensure_one()
        self.activity_schedule(
            "mail.mail_activity_data_todo",
            summary=summary,
            note=str(error),
            user_id=self.email_receiver_id.create_uid.id,
        )

    def _email_receiver_from_xml(self):
        """Whether this document's lines were decoded from an XML e-invoice."""
        self.ensure_one()
        xml_received = any(
            evidence.sniff_kind(attachment.raw) == "xml"
            for attachment in self.message_ids.attachment_ids
        )
        return xml_received and any(self.invoice_line_ids.mapped("is_imported"))

    def _email_receiver_sending_methods(self):
        """Peppol when account_peppol is installed, the company may send and
        Odoo finds the customer on the network (its own applicability check,
        which looks the endpoint up); email otherwise."""
        self.ensure_one()
        send = self.env["account.move.send"]
        if (
            "peppol"
            in self.env["res.partner"]._fields["invoice_sending_method"].get_values(self.env)
            and self.company_id.peppol_can_send
            and self.commercial_partner_id.peppol_endpoint
            and send._is_applicable_to_move("peppol", self)
        ):
            return {"peppol"}
        return {"email"}
