import logging

import psycopg2.errors

from odoo import api, fields, models, modules
from odoo.exceptions import AccessError, ConcurrencyError
from odoo.fields import Domain
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import format_date

from ..tools import evidence
from ..tools.grants import earn, earned
from ..tools.incoming_mail import DELIVERY, delivery_in
from ..tools.parsed import xml_tree
from .email_receiver import is_person, lang_context
from .email_receiver_gateway import DocumentError
from .email_receiver_routing import belongs_to_receiver

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
        related="email_receiver_log_id.receiver_id", string="Trusted sender"
    )
    email_receiver_review = fields.Text(
        "Needs review",
        readonly=True,
        copy=False,
        help="Where this document differs from the e-invoice it was made from, "
        "or what in it needs a check (a new bank account, another buyer). It is "
        "never posted or sent automatically.",
    )
    email_receiver_bank_note = fields.Text(
        "About the bank account",
        compute="_compute_email_receiver_bank_note",
        help="The bill's untrusted bank account in words: whose it is, since when "
        "it is known, and whether it came with the mail of this bill.",
    )

    @api.model
    def message_new(self, msg_dict, custom_values=None):
        # EXTENDS account: documents of a receiver are tied to its log, and a
        # purchase receiver's supplier is never switched by the mail or its XML.
        custom_values = dict(custom_values or {})
        receiver_id = custom_values.pop("email_receiver_id", None)
        delivery = delivery_in(custom_values)
        custom_values.pop(DELIVERY, None)
        if not receiver_id or not delivery:
            # Not a receiver's mail, or a direct call of this public method
            # (only the gateway's routing carries a delivery): stock Odoo.
            return super().message_new(msg_dict, custom_values=custom_values)
        receiver = self.env["email.receiver"].sudo().browse(receiver_id)
        # The mail's log, carried by its delivery since it entered; its
        # verdict recorded now, before the document is made.
        log = self.env["email.receiver.log"]._gateway_record(receiver, delivery)
        partner = receiver._gateway_supplier()
        # What the bill's chatter stores now (our receipt note, Odoo's import
        # notes) is written once: in the company's language, not the
        # gateway user's, so that a Dutch company reads no English line.
        lang = lang_context(self.env, receiver.company_lang)
        log = log.with_context(**lang) if lang else log
        if log:
            # Which receiver, sender, TLS and authentication: said in the received
            # mail itself (as account already prefixes its subject), no extra message.
            msg_dict["body"] = log._receipt_note() + (msg_dict.get("body") or "")
        try:
            return super(
                AccountMove,
                earn(self).with_context(
                    default_email_receiver_log_id=log.id,
                    email_receiver_partner_id=partner.id,
                    **lang,
                ),
            ).message_new(msg_dict, custom_values=custom_values)
        except Exception as error:
            # Core answers a failed document from this msg_dict, in a new
            # cursor (its bounce hook): the delivery tells that hook that the
            # alias is a receiver's, which that cursor may not see yet.
            msg_dict[DELIVERY] = delivery
            if isinstance(error, (ConcurrencyError, *PG_CONCURRENCY_EXCEPTIONS_TO_RETRY)):
                raise  # Odoo retries the whole message
            raise DocumentError(receiver.id, error) from error

    def _compute_invoice_default_sale_person(self):
        # EXTENDS account: a receiver's customer invoice goes out From its
        # salesperson; core would take the user its routing runs as (OdooBot).
        # Its owner when a person, else nobody (From the company); a person a
        # bookkeeper chose stays.
        made = self.filtered(
            lambda move: (
                move.email_receiver_log_id
                and move.is_sale_document(include_receipts=True)
                and not is_person(move.invoice_user_id)
            )
        )
        result = super(AccountMove, self - made)._compute_invoice_default_sale_person()
        for move in made:
            move.invoice_user_id = move.sudo().email_receiver_log_id.receiver_id._salesperson()
        return result

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
        # EXTENDS account: mail with attachments, and mail for no trusted
        # sender, go through the model's whole chain.
        if message_dict.get("attachments") or not belongs_to_receiver(message_dict, route[4]):
            return super()._routing_check_route(
                message, message_dict, route, raise_exception=raise_exception
            )
        # OVERRIDE, for this one case only: account drops mail without
        # attachments and bounces it to the From address. Mail to a trusted
        # sender is judged by it instead (held as no_invoice), and a possibly
        # forged sender never hears back; so account's check is stepped over.
        return self.env["mail.thread"]._routing_check_route(
            message, message_dict, route, raise_exception=raise_exception
        )

    def _alias_get_error(self, message, message_dict, alias):
        # EXTENDS mail: a reply to a document, sent to a receiver's address, is
        # judged by that receiver like any other mail to it.
        if belongs_to_receiver(message_dict, alias):
            receiver = self.env["email.receiver"].sudo().browse(alias.alias_parent_thread_id)
            return receiver._alias_get_error(message, message_dict, alias)
        return super()._alias_get_error(message, message_dict, alias)

    @api.model
    def _get_xml_tree(self, file_data):
        # EXTENDS account: refuse DTDs (entity expansion, external entities)
        # before core's parser sees the file; then core, unchanged. For a
        # receiver's documents, XML is read whatever MIME type the sender declared.
        # A mail through the gateway: the tree its checks parsed, once per mail.
        raw = file_data.get("raw") or b""
        if evidence.sniff_kind(raw) != "xml":
            return super()._get_xml_tree(file_data)
        if earned(self.env):  # the import of a receiver's mail (message_new)
            return xml_tree(self.env, raw)
        if evidence.safe_xml_tree(raw) is None:
            return None  # a DOCTYPE, or not well-formed
        return super()._get_xml_tree(file_data)

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

    def _get_specific_tax(self, name, amount_type, amount, tax_type):
        # EXTENDS account_edi_ubl_cii (a hook it calls when the record has it):
        # the receiver's tax mapping first ("25% from this supplier -> tax Y").
        receiver = self.email_receiver_log_id.receiver_id
        if receiver and amount_type == "percent":
            if tax := receiver._mapped_tax(amount, tax_type):
                return tax
        return super()._get_specific_tax(name, amount_type, amount, tax_type)

    # --------------------------------------------------
    # Import: the decoders of a receiver's files
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
            not earned(self.env)  # not the import of a receiver's mail (message_new)
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

    # --------------------------------------------------
    # What a bookkeeper reads: the bank account, stored notes
    # --------------------------------------------------

    def _email_receiver_note_lang(self):
        """The language of what this addon stores in a bill's chatter: a
        message body is written once, for every reader, so in the language of
        the trusted sender's company (its partner's), never a mix."""
        self.ensure_one()
        receiver = self.sudo().email_receiver_log_id.receiver_id
        return receiver.company_lang or self.company_id.partner_id.lang or self.env.lang

    @api.depends(
        "partner_bank_id.allow_out_payment",
        "partner_bank_id.active",
        "partner_bank_id.partner_id",
        "email_receiver_log_id",
    )
    @api.depends_context("lang", "uid")
    def _compute_email_receiver_bank_note(self):
        for move in self:
            move.email_receiver_bank_note = (
                move._email_receiver_bank_words() if move.email_receiver_bank_untrusted else False
            )

    def _email_receiver_bank_words(self):
        """The banner of an untrusted payee account, in the reader's words: the
        number, whose it is, since when it is known and whether it came with
        this bill's mail, and who may trust it."""
        self.ensure_one()
        _ = self.env._
        bank = self.partner_bank_id.sudo().with_context(active_test=False)
        log = self.sudo().email_receiver_log_id
        facts = {
            "account": bank.acc_number,
            "partner": bank.partner_id.display_name,
            "date": format_date(self.env, bank.create_date),
            "user": bank.create_uid.name,
        }
        if not bank.active:
            what = _(
                "%(account)s of %(partner)s is archived: a person took it out of use.", **facts
            )
        else:
            what = _("%(account)s of %(partner)s is not trusted for payments.", **facts)
        # Recorded by the mail's own users: the alias's and the gateway's (who
        # made the bill, and its follow-up), or OdooBot (Odoo's import), never a person.
        author = bank.create_uid
        by_mail = author in (log.create_uid | self.sudo().create_uid) or author._is_superuser()
        if bank_came_with(bank.create_date, by_mail, self.create_date):
            since = _(
                "It arrived with this bill's mail, on %(date)s; no person has trusted it since.",
                **facts,
            )
        else:
            since = _(
                "It is known since %(date)s (recorded by %(user)s); no person has trusted it "
                "since.",
                **facts,
            )
        if self.env.user.has_group("account.group_validate_bank_account"):
            act = _(
                "Call %(partner)s on a number you know (never one from this mail); if the "
                "account is theirs, use Trust this account.",
                **facts,
            )
        else:
            act = _(
                "Call %(partner)s on a number you know (never one from this mail) before "
                "paying; only a user allowed to validate bank accounts can trust it.",
                **facts,
            )
        return " ".join((what, since, act))

    def _email_receiver_flag(self, *reasons):
        """Add reasons to ``Needs review`` (the banner, the activity, the log)."""
        self.ensure_one()
        self.email_receiver_review = "\n".join(filter(None, [self.email_receiver_review, *reasons]))

    def _email_receiver_todo(self, summary, error):
        """A to-do for whoever set up the receiver, on a document the gateway kept."""
        self.ensure_one()
        self.activity_schedule(
            "mail.mail_activity_data_todo",
            summary=summary,
            note=str(error),
            user_id=self.email_receiver_id.create_uid.id,
        )


def bank_came_with(bank_created, by_mail, bill_created):
    """Whether a bank account was recorded with the mail of a bill: by the
    mail's own code (``by_mail``), in the transaction that made the bill or
    after it (the robot's reading). An account of an earlier mail, or one a
    person added, was not."""
    return bool(by_mail and bank_created and bill_created and bank_created >= bill_created)


def _mark_imported(lines):
    """Core's own mark of the lines an import made (``is_imported``), in SQL:
    a stored field nothing depends on, whose ORM write would recompute the
    bill's lines and totals for no change of them."""
    if not lines:
        return
    lines.flush_recordset(["is_imported"])
    lines.env.cr.execute(
        "UPDATE account_move_line SET is_imported = TRUE WHERE id = ANY(%s)", [lines.ids]
    )
    lines.invalidate_recordset(["is_imported"])


# Another worker's write that one e-invoice's import raced with: the
# supplier's bank account that two imports create at once, a row both update.
_RACES = (psycopg2.errors.UniqueViolation, *PG_CONCURRENCY_EXCEPTIONS_TO_RETRY)


def _decoded_again_after_a_race(decode):
    """Core's decoder of one e-invoice, run again in a fresh transaction when
    it lost a race with another worker: core catches any error of a decoder
    and leaves an empty bill. Core commits right before it calls the decoder
    (``rollbackable_transaction``), so a rollback returns there; the new
    snapshot sees the other worker's row. Never in tests (no commit there).

    The lines it made are marked imported here, inside what core commits
    right after the decoder, not after that commit as core marks them: a
    concurrency error later in the mail's request (Odoo then runs the request
    again, and it finds the mail done) would take that mark back, and an
    e-invoice's bill would no longer count as one."""

    def decode_again(move, file_data, new):
        for attempt in range(3):
            existing = move.invoice_line_ids
            try:
                reason = decode(move, file_data, new)
            except _RACES:
                if attempt == 2 or modules.module.current_test:
                    raise
                _logger.info("email receiver: %s raced another import; read again", move)
                move.env.cr.rollback()
                move.env.invalidate_all()
                continue
            if not reason:
                _mark_imported(move.invoice_line_ids - existing)
            return reason
        return None

    return decode_again
