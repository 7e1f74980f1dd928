import logging

import lxml.html
import psycopg2.errors
from markupsafe import Markup

from odoo import Command, api, fields, models, modules
from odoo.exceptions import AccessError, ConcurrencyError, UserError
from odoo.fields import Domain
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import clean_context, formataddr

from odoo.addons.account.models.account_document_import_mixin import (
    extract_pdf_embedded_files,
)
from odoo.addons.base.models.res_bank import sanitize_account_number

from ..tools import evidence, pdf_invoice, reconciliation
from ..tools.grants import earn, earned, release_of
from ..tools.incoming_mail import delivery_of
from .email_receiver import DocumentError, is_receivers_alias

_logger = logging.getLogger(__name__)


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
    email_receiver_pdf = fields.Json(
        "Read from the PDF",
        readonly=True,
        copy=False,
        help="What the conversion robot found in the PDF, with a confidence per field.",
    )
    email_receiver_reading = fields.Selection(
        [("queued", "Being read"), ("failed", "Reading failed")],
        "Reading",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="Being read: the mail is accepted and this draft keeps its PDF; the "
        "conversion robot reads it in a moment, after the mail (Odoo's scheduled "
        "actions), and fills the draft. Reading failed: see Needs review; Read again "
        "tries once more.",
    )
    email_receiver_pdf_text = fields.Json(
        "Text of the PDF",
        readonly=True,
        copy=False,
        prefetch=False,  # kilobytes per document: read only to learn from a correction
        help="The PDF's words and their places, for learning from corrections.",
    )
    email_receiver_pdf_html = fields.Html(
        "Conversion robot",
        compute="_compute_email_receiver_pdf_html",
        sanitize=False,
    )

    @api.depends("email_receiver_pdf")
    def _compute_email_receiver_pdf_html(self):
        labels = self._email_receiver_pdf_labels()
        badges = {
            "high": "text-bg-success",
            "medium": "text-bg-info",
            "low": "text-bg-warning",
            "corrected": "text-bg-secondary",
            "missing": "text-bg-danger",
        }
        words = {
            "high": self.env._("certain"),
            "medium": self.env._("probable"),
            "low": self.env._("uncertain"),
            "corrected": self.env._("corrected"),
            "missing": self.env._("not found"),
        }
        for move in self:
            data = move.email_receiver_pdf
            if not data:
                move.email_receiver_pdf_html = False
                continue
            rows = []
            for name, label in labels.items():
                value, level, how = (data.get("fields") or {}).get(name) or ("", "missing", ())
                badge, word = badges[level], words[level]
                rows.append(
                    Markup(
                        "<tr><td>%s</td><td>%s</td>"
                        '<td><span class="badge %s">%s</span></td>'
                        '<td class="text-muted">%s</td></tr>'
                    )
                    % (label, value, badge, word, move._email_receiver_pdf_how(how))
                )
            head = Markup("<tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr>") % (
                self.env._("Field"),
                self.env._("In the PDF"),
                self.env._("Confidence"),
                self.env._("How it was found"),
            )
            move.email_receiver_pdf_html = Markup(
                '<table class="table table-sm o_email_receiver_pdf">%s%s</table>'
            ) % (head, Markup("").join(rows))

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
            else receiver._gateway_delivery_log(delivery_of(self.env).mail.key).id
        )
        partner = receiver._gateway_supplier()
        # A customer invoice's salesperson, who it goes out From: the receiver's
        # owner, not the user Odoo's routing happens to compute it as (OdooBot).
        salesperson = receiver.create_uid.id if receiver.document_type != "purchase" else False
        log = self.env["email.receiver.log"].sudo().browse(log_id)
        if log:
            # Which receiver, sender, TLS and authentication: said in the received
            # mail itself (as account already prefixes its subject), no extra message.
            msg_dict["body"] = log._receipt_note() + (msg_dict.get("body") or "")
        try:
            return super(
                AccountMove,
                earn(self).with_context(
                    default_email_receiver_log_id=log_id,
                    email_receiver_partner_id=partner.id,
                    **({"default_invoice_user_id": salesperson} if salesperson else {}),
                ),
            ).message_new(msg_dict, custom_values=custom_values)
        except (ConcurrencyError, *PG_CONCURRENCY_EXCEPTIONS_TO_RETRY):
            raise  # Odoo retries the whole message
        except Exception as error:
            raise DocumentError(receiver.id, error) from error

    @api.model_create_multi
    def create(self, vals_list):
        # EXTENDS account: a partner Odoo found by the sender's address is
        # replaced by the receiver's supplier. A bill without one gets it once,
        # with its other fields: from its e-invoice (``_import_partner``), the
        # conversion robot, or the follow-up (``_email_receiver_fill_partner``),
        # not a second time with all its recomputations.
        self._email_receiver_check_gateway_vals(vals_list)
        partner_id = earned(self.env) and self.env.context.get("email_receiver_partner_id")
        if partner_id and self.env.context.get("from_alias"):
            for vals in vals_list:
                if vals.get("partner_id"):
                    vals["partner_id"] = partner_id
        return super().create(vals_list)

    def _email_receiver_fill_partner(self, partner):
        """``partner`` (a purchase receiver's supplier) on those of these
        documents that have no partner yet."""
        if partner:
            self.filtered(lambda move: not move.partner_id).partner_id = partner

    # Written only by the gateway's own code paths (a grant, never a context
    # key a client can send, also over RPC): the link to the log of the mail a
    # document came from (a held mail with a document can never be released),
    # and what the conversion robot read (it teaches a receiver its supplier's layout).
    _EMAIL_RECEIVER_GATEWAY_FIELDS = frozenset(
        {
            "email_receiver_log_id",
            "email_receiver_pdf",
            "email_receiver_pdf_text",
            "email_receiver_reading",
        }
    )

    def _email_receiver_check_gateway_vals(self, vals_list):
        if earned(self.env):
            return
        if self.env.context.get("default_email_receiver_log_id") or any(
            self._EMAIL_RECEIVER_GATEWAY_FIELDS.intersection(vals) for vals in vals_list
        ):
            raise AccessError(
                self.env._(
                    "Only the mail gateway links a document to a received mail, and only "
                    "the conversion robot writes what it read in a PDF."
                )
            )

    @api.model
    def _routing_check_route(self, message, message_dict, route, raise_exception=True):
        # EXTENDS account: account drops mail without attachments and bounces it
        # to the From address. Mail to a receiver is judged by the receiver
        # instead (held as no_invoice), and a possibly forged sender never hears back.
        if is_receivers_alias(self.env, route[4]):
            return self.env["mail.thread"]._routing_check_route(
                message, message_dict, route, raise_exception=raise_exception
            )
        return super()._routing_check_route(
            message, message_dict, route, raise_exception=raise_exception
        )

    def _alias_get_error(self, message, message_dict, alias):
        # EXTENDS mail: a reply to a document, sent to a receiver's address, is
        # judged by that receiver like any other mail to it.
        if is_receivers_alias(self.env, alias):
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
        # before core's parser sees the file; then core, unchanged. For a
        # receiver's documents, XML is read whatever MIME type the sender declared.
        raw = file_data.get("raw") or b""
        if evidence.sniff_kind(raw) != "xml":
            return super()._get_xml_tree(file_data)
        tree = evidence.safe_xml_tree(raw)
        if tree is None:
            return None  # a DOCTYPE, or not well-formed
        result = super()._get_xml_tree(file_data)
        if result is None and delivery_of(self.env):
            return tree
        return result

    def _email_receiver_duplicates(self):
        """Odoo's own duplicate check (``duplicated_ref_ids``), for the moves it
        could flag. Its query takes ~6 ms to plan, so an indexed search first
        finds the moves with another bill of the same partner and type with the
        same reference, or the same amount and date (every duplicate core flags
        is one of those); core decides for those only."""
        candidates = self.browse()
        for move in self:
            if not move.commercial_partner_id:
                candidates |= move  # core's rules for a bill without a partner
                continue
            same = Domain("amount_total", "=", move.amount_total) & Domain(
                "invoice_date", "=", move.invoice_date
            )
            if move.ref:
                same |= Domain("ref", "=", move.ref)
            if self.sudo().search_count(
                Domain("company_id", "=", move.company_id.id)
                & Domain("commercial_partner_id", "=", move.commercial_partner_id.id)
                & Domain("move_type", "=", move.move_type)
                & Domain("state", "in", ("draft", "posted"))
                & Domain("id", "!=", move.id)
                & same,
                limit=1,
            ):
                candidates |= move
        return candidates.filtered("duplicated_ref_ids")

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
        self.filtered(lambda m: m._email_receiver_from_xml())._email_receiver_send_ubl()

    def action_post(self):
        # EXTENDS account: a customer invoice the conversion robot made from a
        # PDF is sent as UBL once the bookkeeper confirms it, when its receiver
        # sends invoices on.
        result = super().action_post()
        if not self.env.context.get("email_receiver_sending"):
            self.filtered(
                lambda m: (
                    m.email_receiver_pdf
                    and m.state == "posted"
                    and m.is_sale_document()
                    and m.email_receiver_id.auto_send_xml
                )
            )._email_receiver_send_ubl()
        return result

    def _email_receiver_send_ubl(self):
        """Post (when draft) and send as UBL: Peppol when possible, else email."""
        self = self.with_context(email_receiver_sending=True)  # noqa: PLW0642
        for move in self:
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
        if doc is not None:
            self._email_receiver_compare(doc)
            if not doc.currency:
                # BT-5 is mandatory: Odoo would silently take the company's currency.
                self._email_receiver_flag(
                    self.env._(
                        "The invoice states no currency; %(currency)s was assumed. "
                        "Check the currency with the supplier.",
                        currency=self.currency_id.name,
                    )
                )

    def _email_receiver_compare_visible_pdf(self, attachment, tree):
        """A PDF that embeds its e-invoice (Factur-X, ZUGFeRD) shows a total to
        whoever opens it; Odoo books the embedded XML's. When the conversion
        robot reads a total on the PDF's pages that the XML does not state,
        the two disagree: flagged, never paid as booked without a check."""
        self.ensure_one()
        doc = reconciliation.declared(tree)
        raw = attachment and attachment.sudo().raw
        if doc is None or doc.total is None or not raw:
            return
        receiver = self.email_receiver_log_id.receiver_id
        try:
            text = pdf_invoice.read(raw, receiver._pdf_limits())
        except pdf_invoice.Unreadable:
            return  # nothing visible that we can read: the XML alone decides
        shown = pdf_invoice.find(text, receiver._pdf_anchors()).fields.get("total")
        if shown is None or shown.confidence == "low":
            return
        stated = doc.totals() | ({abs(doc.payable)} if doc.payable is not None else set())
        if all(self.currency_id.compare_amounts(abs(shown.value), amount) for amount in stated):
            self._email_receiver_flag(
                self.env._(
                    "The PDF shows a total of %(shown)s, its embedded e-invoice %(stated)s: "
                    "the bill follows the e-invoice. Check which one the supplier means.",
                    shown=shown.value,
                    stated=doc.total,
                )
            )

    def _email_receiver_compare(self, doc):
        """Compare this document with ``doc`` (a ``reconciliation.Declared``,
        from an e-invoice or read from a PDF); add what differs to ``Needs review``."""
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

    # --------------------------------------------------
    # The conversion robot: PDF invoices without an e-invoice
    # --------------------------------------------------

    def _get_edi_decoder(self, file_data, new=False):
        # EXTENDS account: a receiver's PDF that no e-invoice decoder reads
        # (no embedded XML) goes to the conversion robot, below any e-invoice.
        decoder = super()._get_edi_decoder(file_data, new=new)
        receiver = self.email_receiver_log_id.receiver_id
        if (
            decoder is None
            and file_data.get("import_file_type") in ("pdf", "image")
            and receiver.processing in ("pdf", "both")
        ):
            return {
                "priority": 5,
                "decoder": lambda move, data, _new: move._email_receiver_import_pdf(data),
                "email_receiver_robot": True,
            }
        if decoder and receiver:
            return dict(decoder, decoder=_decoded_again_after_a_race(decoder["decoder"]))
        return decoder

    def _should_attach_to_record(self, attachment):
        # EXTENDS account: a picture of an invoice on a PDF receiver's bill is
        # one of its documents (stock Odoo keeps only office files and PDFs).
        return super()._should_attach_to_record(attachment) or bool(
            attachment
            and not attachment.res_field
            and (attachment.mimetype or "").startswith("image/")
            and self._email_receiver_reads_pictures()
            and evidence.page_picture(attachment.raw)
        )

    def _email_receiver_reads_pictures(self):
        return self[:1].email_receiver_log_id.receiver_id.processing in ("pdf", "both")

    @api.model
    def _get_import_file_type(self, file_data):
        # EXTENDS account: a picture of an invoice (PNG, JPEG, TIFF) that a
        # PDF receiver's mail carries is a document of its own, for the robot's OCR.
        kind = super()._get_import_file_type(file_data)
        raw = file_data.get("raw") or b""
        if (
            kind is None
            and evidence.sniff_kind(raw) == "image"  # the bytes first: no record read otherwise
            and self._email_receiver_reads_pictures()
            and evidence.page_picture(raw)
        ):
            return "image"
        return kind

    @api.model
    def _unwrap_attachment(self, file_data, recurse=True):
        # EXTENDS account: a ZIP archive of invoices that a receiver's mail
        # carries is opened (bounded: evidence.archive_members) and each of its
        # files becomes an attachment of its own, as if it had been attached:
        # one bill per invoice in it. Core's embedded files stay with their
        # archive's group, so they would make a single bill.
        embedded = super()._unwrap_attachment(file_data, recurse=recurse)
        if (
            not delivery_of(self.env)
            or not file_data.get("attachment")
            or evidence.sniff_kind(file_data.get("raw") or b"") != "zip"
        ):
            return embedded
        for document in evidence.documents([(file_data["name"], file_data["raw"])]):
            if not document.archive:
                continue  # the archive itself, refused or not, or no archive
            member = self.env["ir.attachment"].create(
                {
                    "name": document.name,
                    "raw": document.content,
                    "res_model": file_data["attachment"].res_model,
                    "res_id": file_data["attachment"].res_id,
                    "description": self.env._("From %(archive)s", archive=document.archive),
                }
            )
            embedded.extend(self._to_files_data(member))
        return embedded

    @api.model
    def _email_receiver_pdf_kind(self, raw, receiver):
        """``pdf_invoice.document_kind`` of a PDF (the robot's reading is cached)."""
        try:
            text = pdf_invoice.read(raw, receiver._pdf_limits())
        except pdf_invoice.Unreadable:
            return None
        kind = pdf_invoice.document_kind(text, pdf_invoice.find(text, receiver._pdf_anchors()))
        if kind is None and evidence.sniff_kind(raw) == "image":
            return "other"  # a picture OCR reads nothing in makes no bill of its own
        return kind

    @api.model
    def _email_receiver_pdf_labels(self):
        return {
            "number": self.env._("Invoice number"),
            "date": self.env._("Invoice date"),
            "due_date": self.env._("Due date"),
            "currency": self.env._("Currency"),
            "total": self.env._("Total incl. VAT"),
            "untaxed": self.env._("Total excl. VAT"),
            "tax": self.env._("VAT"),
            "vat": self.env._("VAT number"),
            "coc": self.env._("Chamber of commerce number"),
            "iban": self.env._("IBAN"),
            "order_ref": self.env._("Order reference"),
        }

    def _email_receiver_pdf_how(self, how):
        """How the robot found a value (``pdf_invoice.HOW``), in the user's words."""
        _ = self.env._
        words = {
            "adds_up": _("adds up"),
            "vat_lines": _("sum of the VAT lines"),
            "total_minus_untaxed": _("total minus total excl. VAT"),
            "total_minus_tax": _("total minus VAT"),
            "untaxed_plus_tax": _("total excl. VAT plus VAT"),
            "symbol": _("currency symbol"),
            "check_digits": _("check digits"),
            "month_first": _("month first, by the due date"),
            "day_first": _("day first, by the due date"),
        }
        parts = []
        for kind, detail in how or ():
            if kind == "label":
                parts.append(_('label "%(label)s"', label=detail))
            elif kind == "learned":
                parts.append(_('learned "%(label)s"', label=detail))
            elif kind == "code":
                parts.append(_('code "%(code)s"', code=detail))
            elif kind == "days":
                parts.append(_("%(days)s days after the invoice date", days=detail))
            else:
                parts.append(words.get(detail if kind == "order" else kind, kind))
        return ", ".join(parts)

    def _email_receiver_flag(self, *reasons):
        """Add reasons to ``Needs review`` (the banner, the activity, the log)."""
        self.ensure_one()
        self.email_receiver_review = "\n".join(filter(None, [self.email_receiver_review, *reasons]))

    def _email_receiver_new_banks(self, numbers):
        """The account numbers (sanitized) the partner never used before."""
        self.ensure_one()
        partner = self.partner_id.commercial_partner_id
        known = set(partner.with_context(active_test=False).bank_ids.mapped("sanitized_acc_number"))
        return [
            n for n in dict.fromkeys(map(sanitize_account_number, numbers)) if n and n not in known
        ]

    def _email_receiver_flag_new_banks(self, numbers):
        self._email_receiver_flag(
            self.env._(
                "New bank account: %(accounts)s is not among the accounts "
                "%(supplier)s used before. Check it with the supplier by "
                "phone before paying.",
                accounts=", ".join(numbers),
                supplier=self.partner_id.display_name,
            )
        )

    def _email_receiver_import_pdf(self, file_data):
        """The robot's decoder on the mail's path: no reading there. The draft
        gets a "being read" state; the reading (and with it the supplier, whose
        setting recomputes the whole draft) runs after the mail
        (``_email_receiver_read``, from the log's follow-up job)."""
        self.ensure_one()
        self = earn(self)  # noqa: PLW0642 - the gateway marks what the robot will read
        attachment = file_data.get("attachment")
        if not attachment:
            # extracted from another file, not kept on its own: read now
            return self._email_receiver_read_pdf(file_data.get("name"), file_data["raw"])
        self.write(
            {
                "email_receiver_reading": "queued",
                "email_receiver_pdf": {"reading": attachment.id, "name": attachment.name},
            }
        )
        return None

    def _email_receiver_read(self):
        """Read the drafts of one mail that wait for the conversion robot.

        Each draft's PDFs and page pictures are read (the queued one first);
        a draft whose files are all of another kind (terms, a delivery note)
        makes no bill: its files go to the mail's first bill and the empty
        draft is deleted. When no file of the mail is an invoice, the first
        draft stays, with the reason. A failure leaves the draft with its
        reason, a to-do and Read again. Returns the names of the files that
        are no invoice."""
        queued = earn(self).filtered(lambda move: move.email_receiver_reading == "queued")
        if not queued:
            return []
        receiver = queued[:1].email_receiver_log_id.receiver_id
        chosen, others = {}, []
        for move in queued:
            files = move._email_receiver_robot_files()
            chosen[move] = next(
                (f for f in files if self._email_receiver_pdf_kind(f.raw, receiver) != "other"),
                None,
            )
            if not chosen[move]:
                others.extend(files)
        invoices = queued.filtered(lambda move: chosen[move])
        keep = (self - (queued - invoices))[:1] or queued[:1]
        for move in queued - invoices - keep:
            move.message_ids.attachment_ids.write({"res_id": keep.id})
            move._email_receiver_files().write({"res_id": keep.id})
            move.unlink()
        if keep not in invoices and keep in queued:
            keep.write({"email_receiver_reading": False, "email_receiver_pdf": False})
            keep._email_receiver_flag(
                self.env._(
                    "Not an invoice: the conversion robot found no invoice in %(names)s "
                    "(terms, a delivery note...). Delete this draft if the mail holds none.",
                    names=", ".join(others_name.name for others_name in others)
                    or self.env._("(no file)"),
                )
            )
        for move in invoices:
            move._email_receiver_read_one(chosen[move])
        return [file.name for file in others]

    def _email_receiver_robot_files(self):
        """The files of this draft the robot reads: the queued one first, then
        its other PDFs without an e-invoice in them and its page pictures."""
        self.ensure_one()
        queued = self.env["ir.attachment"].browse((self.email_receiver_pdf or {}).get("reading"))
        files = queued.exists()
        for attachment in self._email_receiver_files() - files:
            kind = evidence.sniff_kind(attachment.raw)
            if kind == "image" and evidence.page_picture(attachment.raw):
                files |= attachment
            elif kind == "pdf" and not self._email_receiver_embeds_xml(attachment):
                files |= attachment
        return files

    def _email_receiver_files(self):
        self.ensure_one()
        return self.env["ir.attachment"].search(
            [
                ("res_model", "=", "account.move"),
                ("res_id", "=", self.id),
                ("res_field", "=", False),
            ],
            order="id",
        )

    def _email_receiver_embeds_xml(self, attachment):
        return any(
            evidence.sniff_kind(content) == "xml"
            for _name, content in extract_pdf_embedded_files(attachment.name, attachment.raw)
        )

    def _email_receiver_read_one(self, attachment):
        """Read one PDF into this draft; a failure is kept on the draft."""
        self.ensure_one()
        try:
            with self.env.cr.savepoint():
                self._email_receiver_read_pdf(attachment.name, attachment.raw)
                self.email_receiver_reading = False
        except (ConcurrencyError, *PG_CONCURRENCY_EXCEPTIONS_TO_RETRY):
            raise
        except Exception as error:  # noqa: BLE001 - the draft keeps the reason, nothing is lost
            self._email_receiver_read_failed(attachment.name, str(error))

    def _email_receiver_read_failed(self, name, error):
        self.ensure_one()
        self.email_receiver_reading = "failed"
        reason = self.env._(
            "The conversion robot failed on %(name)s (%(error)s). Read it again, or fill "
            "in the document from the PDF.",
            name=name,
            error=error,
        )
        self._email_receiver_flag(reason)
        self._email_receiver_todo(self.env._("The conversion robot failed"), reason)

    def action_email_receiver_read_again(self):
        """Read this draft's PDF again (after a failure, or to start over): in
        a moment, by the same job as new mail."""
        moves = self.filtered(
            lambda move: (
                move.state == "draft"
                and move.email_receiver_reading == "failed"
                and move._email_receiver_robot_files()
            )
        )
        if not moves:
            raise UserError(self.env._("Only a draft whose reading failed is read again."))
        earn(moves).write({"email_receiver_reading": "queued"})
        self.env.ref("account_email_receiver.ir_cron_follow_up").sudo()._trigger()
        return True

    def _email_receiver_read_pdf(self, name, raw):
        """Fill this draft from a PDF invoice (what it could not read is
        flagged, and the PDF stays the main attachment); ``None``."""
        self.ensure_one()
        self = earn(self)  # noqa: PLW0642 - the robot writes what it read
        receiver = self.email_receiver_log_id.receiver_id
        self._email_receiver_fill_partner(receiver._gateway_supplier())
        name = name or "PDF"
        self.invoice_line_ids.unlink()  # read again: the robot's lines of before go
        try:
            text = pdf_invoice.read(raw, receiver._pdf_limits())
        except pdf_invoice.Unreadable as error:
            self.email_receiver_pdf = {"fields": {}, "problem": error.kind}
            self._email_receiver_flag(
                self.env._(
                    "The conversion robot could not read %(name)s: %(problem)s. Fill in "
                    "the document from the PDF.",
                    name=name,
                    problem=self.env["email.receiver.log"]._pdf_problem(error.kind),
                )
            )
            return None
        if not text.has_text:
            self.email_receiver_pdf = {"fields": {}, "problem": "no_text"}
            self._email_receiver_flag(
                self.env._(
                    "No text layer: %(name)s is a scan or a picture, and OCR read "
                    "nothing from it. Fill in the document from the PDF.",
                    name=name,
                )
            )
            return None
        found = pdf_invoice.find(text, receiver._pdf_anchors())
        if found.credit_note and self.move_type in ("in_invoice", "out_invoice"):
            # a credit note is a refund, never a bill to pay
            self.move_type = "in_refund" if self.move_type == "in_invoice" else "out_refund"
            self.message_post(
                body=self.env._(
                    "The conversion robot read %(name)s as a credit note: this is a refund.",
                    name=name,
                )
            )
        if found.credit_note:
            found = pdf_invoice.as_refund(found)
        self._email_receiver_fill_from_pdf(found, text, name)
        if text.ocr:
            self._email_receiver_flag(
                self.env._(
                    "%(name)s is a scan: the conversion robot read it by OCR, so no field "
                    "is certain. Check each one against the PDF.",
                    name=name,
                )
            )
        return None

    def _email_receiver_fill_from_pdf(self, found, text, name):
        """Partner checks, header fields, one line per VAT rate, reconciliation."""
        self.ensure_one()
        _ = self.env._
        labels = self._email_receiver_pdf_labels()
        own_vat = reconciliation.normalize_id(self.company_id.vat)
        vats = [v for v in found.vat_numbers if reconciliation.normalize_id(v) != own_vat]
        fields_found = {
            key: [_pdf_value(f.value), f.confidence, f.how] for key, f in found.fields.items()
        }
        if vats:
            fields_found["vat"] = [
                vats[0],
                "medium" if text.ocr else "high",
                [["check_digits", ""]],
            ]
        reasons = []
        if self.is_purchase_document():
            vals = self._email_receiver_pdf_supplier(found, vats, reasons)
            if "vat" in fields_found and reasons:
                fields_found["vat"][1] = "low"
        else:
            vals = self._email_receiver_pdf_customer(vats, reasons)
        vals.update(self._email_receiver_pdf_header(found, reasons))
        if "partner_id" in vals:
            self.partner_id = vals.pop("partner_id")  # first: it sets terms and bank
        self.write(vals)

        # The lines: one per VAT rate, with the company's tax for that rate.
        number = found.value("number")
        lines = self._email_receiver_pdf_lines(found, number or name, reasons)
        if lines:
            self.write({"invoice_line_ids": [Command.create(line) for line in lines]})

        # What is missing or uncertain, then the figures against the PDF's own.
        for key in ("number", "date", "total"):
            if key not in found.fields:
                reasons.append(
                    _(
                        "The conversion robot did not find the %(field)s in the PDF.",
                        field=labels[key],
                    )
                )
        for key, item in found.fields.items():
            if item.confidence == "low":
                reasons.append(
                    _(
                        "The conversion robot is not sure of the %(field)s (%(value)s, %(how)s): "
                        "check it.",
                        field=labels.get(key, key),
                        value=_pdf_value(item.value),
                        how=self._email_receiver_pdf_how(item.how),
                    )
                )
        self.email_receiver_pdf = {"fields": fields_found, "pages": text.pages, "name": name}
        self.email_receiver_pdf_text = text.to_json()
        self._email_receiver_flag(*reasons)
        self._email_receiver_compare(
            reconciliation.Declared(
                number=number or "",
                currency=found.value("currency") or "",
                total=found.value("total"),
                untaxed=found.value("untaxed"),
                tax=found.value("tax"),
            )
        )
        self.message_post(
            body=_(
                "Filled by the conversion robot from %(name)s: %(count)s of %(all)s fields "
                "found. See the Conversion robot tab for each field's confidence.",
                name=name,
                count=len(fields_found),
                all=len(labels),
            )
        )

    def _email_receiver_pdf_supplier(self, found, vats, reasons):
        """The receiver's supplier is the partner: its VAT number checked
        against the PDF's, the PDF's IBAN as the bill's bank account (a new
        one flagged, and not trusted for payments)."""
        partner = self.partner_id.commercial_partner_id
        supplier_vat = reconciliation.normalize_id(partner.vat)
        if supplier_vat and vats and supplier_vat not in map(reconciliation.normalize_id, vats):
            reasons.append(
                self.env._(
                    "The PDF names the VAT number %(found)s; the supplier %(supplier)s "
                    "has %(ours)s.",
                    found=", ".join(vats),
                    supplier=self.partner_id.display_name,
                    ours=partner.vat,
                )
            )
        if not found.ibans or not partner:
            return {}
        if new := self._email_receiver_new_banks(found.ibans):
            self._email_receiver_flag_new_banks(new)
        number = sanitize_account_number(found.ibans[0])
        bank = partner.with_context(active_test=False).bank_ids.filtered(
            lambda b: b.sanitized_acc_number == number
        )[:1]
        if not bank:
            bank = (
                self.env["res.partner.bank"]
                .with_context(clean_context(self.env.context))
                .create(
                    {"acc_number": number, "partner_id": partner.id, "allow_out_payment": False}
                )
            )
        return {"partner_bank_id": bank.id}

    def _email_receiver_pdf_customer(self, vats, reasons):
        """The customer of a sales PDF: the partner with a VAT number it names."""
        for vat in vats:
            customer = self.env["res.partner"]._retrieve_partner(vat=vat, company=self.company_id)
            if customer:
                return {"partner_id": customer.id}
        reasons.append(
            self.env._(
                "No customer with the VAT number %(vat)s: choose the customer.",
                vat=", ".join(vats) or self.env._("(none in the PDF)"),
            )
        )
        return {}

    def _email_receiver_pdf_header(self, found, reasons):
        """Reference, dates and currency as the PDF states them."""
        vals = {}
        if number := found.value("number"):
            vals["ref"] = number
        if date := found.value("date"):
            vals["invoice_date"] = date
        if due := found.value("due_date"):
            vals["invoice_date_due"] = due
            vals["invoice_payment_term_id"] = False
        if code := found.value("currency"):
            currency = (
                self.env["res.currency"]
                .with_context(active_test=False)
                .search([("name", "=", code)], limit=1)
            )
            if currency.active:
                vals["currency_id"] = currency.id
            else:
                reasons.append(self.env._("The currency %(code)s is not active.", code=code))
        return vals

    def _email_receiver_pdf_lines(self, found, label, reasons):
        """Invoice lines from the PDF's VAT breakdown (a line per rate) whose
        bases plus VAT make the read total (``pdf_invoice.tax_lines``); else
        one line of the total; what cannot be matched to a tax is said in
        ``reasons``."""
        _ = self.env._
        total = found.value("total")
        split = pdf_invoice.tax_lines(found)
        if not split:
            if total is None:
                return []
            reasons.append(_("The conversion robot found no VAT breakdown: one line without tax."))
            return [{"name": label, "quantity": 1, "price_unit": total}]
        lines = []
        for rate, base in split:
            tax_record = self._email_receiver_tax_for_rate(rate)
            if not tax_record:
                reasons.append(
                    _("This company has no tax of %(rate)s%%: the line has none.", rate=rate)
                )
            lines.append(
                {
                    "name": _("%(label)s, VAT %(rate)s%%", label=label, rate=rate),
                    "quantity": 1,
                    "price_unit": base,
                    "tax_ids": [Command.set(tax_record.ids)],
                }
            )
        return lines

    def _email_receiver_tax_for_rate(self, rate):
        """The receiver's mapped tax for a rate, else the company's percentage
        tax of that rate (tax excluded from the price), else none."""
        self.ensure_one()
        tax_type = "purchase" if self.is_purchase_document() else "sale"
        receiver = self.email_receiver_log_id.receiver_id
        if receiver and (mapped := receiver._mapped_tax(rate, tax_type)):
            return mapped
        candidates = self.env["account.tax"].search(
            [
                *self.env["account.tax"]._check_company_domain(self.company_id),
                ("type_tax_use", "=", tax_type),
                ("amount_type", "=", "percent"),
                ("amount", ">=", rate - 0.005),
                ("amount", "<=", rate + 0.005),
            ]
        )
        country = self.company_id.account_fiscal_country_id
        candidates = candidates.filtered(lambda t: not t.price_include) or candidates
        return (candidates.filtered(lambda t: t.country_id == country) or candidates)[:1]

    # --------------------------------------------------
    # Learning a supplier's layout from the bookkeeper's corrections
    # --------------------------------------------------

    _EMAIL_RECEIVER_LEARN_ON = frozenset(
        {"ref", "invoice_date", "invoice_date_due", "invoice_line_ids", "line_ids"}
    )

    def write(self, vals):
        # EXTENDS account: a correction of a document the conversion robot
        # filled teaches the receiver where that field stands on this supplier's PDFs.
        self._email_receiver_check_gateway_vals([vals])
        result = super().write(vals)
        if (
            not earned(self.env)
            and self._EMAIL_RECEIVER_LEARN_ON.intersection(vals)
            and any(self.mapped("email_receiver_pdf"))
        ):
            self.filtered("email_receiver_pdf")._email_receiver_learn()
        return result

    def _email_receiver_learn(self):
        for move in self:
            receiver = move.email_receiver_log_id.receiver_id
            data = dict(move.email_receiver_pdf or {})
            fields_found = dict(data.get("fields") or {})
            current = {
                "number": move.ref,
                "date": move.invoice_date,
                "due_date": move.invoice_date_due,
                "total": move.amount_total,
                "untaxed": move.amount_untaxed,
                "tax": move.amount_tax,
            }
            if not move.email_receiver_pdf_text:
                continue
            text = None
            for field, value in current.items():
                if not value or _pdf_same(field, (fields_found.get(field) or [None])[0], value):
                    continue
                text = text or pdf_invoice.Text.from_json(move.email_receiver_pdf_text)
                anchor = pdf_invoice.learn(text, field, value)
                if anchor is None:
                    continue
                receiver._pdf_learn(anchor, move)
                fields_found[field] = [_pdf_value(value), "corrected", [["learned", anchor.label]]]
            if fields_found != (data.get("fields") or {}):
                earn(move).email_receiver_pdf = {
                    **data,
                    "fields": fields_found,
                }

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


# Another worker's write that one e-invoice's import raced with: the
# supplier's bank account that two imports create at once, a row both update.
_RACES = (psycopg2.errors.UniqueViolation, *PG_CONCURRENCY_EXCEPTIONS_TO_RETRY)


def _decoded_again_after_a_race(decode):
    """Core's decoder of one e-invoice, run again in a fresh transaction when
    it lost a race with another worker: core catches any error of a decoder
    and leaves an empty bill. Core commits right before it calls the decoder
    (``rollbackable_transaction``), so a rollback returns there; the new
    snapshot sees the other worker's row. Never in tests (no commit there)."""

    def decode_again(move, file_data, new):
        for attempt in range(3):
            try:
                return decode(move, file_data, new)
            except _RACES:
                if attempt == 2 or modules.module.current_test:
                    raise
                _logger.info("email receiver: %s raced another import; read again", move)
                move.env.cr.rollback()
                move.env.invalidate_all()
        return None

    return decode_again


def _pdf_value(value):
    """A found value as JSON keeps it: dates as ISO text, amounts as numbers."""
    return value.isoformat() if hasattr(value, "isoformat") else value


def _pdf_same(field, stored, value):
    if stored is None:
        return False
    if field in pdf_invoice.AMOUNT_FIELDS:
        return abs(float(stored) - float(value)) < 0.005
    return (
        str(stored) == _pdf_value(value)
        if field in pdf_invoice.DATE_FIELDS
        else str(stored) == str(value)
    )
