"""The conversion robot: a PDF or a picture of a page without e-invoice
becomes a draft, read after the mail (``tools/pdf_invoice``), and learns
from the bookkeeper's corrections."""

import logging

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import ConcurrencyError, UserError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import format_date, formatLang

from odoo.addons.account.models.account_document_import_mixin import (
    extract_pdf_embedded_files,
)
from odoo.addons.base.models.res_bank import sanitize_account_number

from ..tools import evidence, pdf_invoice, reconciliation
from ..tools.grants import earn, earned
from .email_receiver import is_person

_logger = logging.getLogger(__name__)


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


class AccountMoveRobot(models.Model):
    _inherit = "account.move"

    # The fields a correction of the bookkeeper's teaches the robot from.
    _EMAIL_RECEIVER_LEARN_ON = frozenset(
        {"ref", "invoice_date", "invoice_date_due", "invoice_line_ids", "line_ids"}
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

    @api.depends("email_receiver_pdf", "currency_id", "partner_id")
    @api.depends_context("lang")
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
                    % (
                        label,
                        move._email_receiver_pdf_shown(name, value),
                        badge,
                        word,
                        move._email_receiver_pdf_how(how),
                    )
                )
            head = Markup("<tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr>") % (
                self.env._("Field"),
                self.env._("In the PDF"),
                self.env._("Confidence"),
                self.env._("How it was found"),
            )
            seller = move._email_receiver_pdf_other_seller()
            move.email_receiver_pdf_html = (
                Markup('<p class="alert alert-warning o_email_receiver_pdf_seller">%s</p>') % seller
                if seller
                else Markup("")
            ) + Markup('<table class="table table-sm o_email_receiver_pdf">%s%s</table>') % (
                head,
                Markup("").join(rows),
            )

    def _email_receiver_pdf_shown(self, name, value):
        """A value the robot read, as the reader's language and this bill's
        currency write it (``02-04-2026``, ``680,75 €``); kept as read
        (ISO dates, numbers) in ``email_receiver_pdf``."""
        if value in ("", None, False):
            return ""
        if name in pdf_invoice.DATE_FIELDS:
            try:
                return format_date(self.env, fields.Date.to_date(value))
            except ValueError:
                return str(value)
        if name in pdf_invoice.AMOUNT_FIELDS and isinstance(value, (int, float)):
            return formatLang(self.env, value, currency_obj=self.currency_id)
        if name == "iban":
            number = sanitize_account_number(str(value))
            return " ".join(number[i : i + 4] for i in range(0, len(number), 4))
        return str(value)

    def _email_receiver_pdf_other_seller(self):
        """One sentence when the company the PDF's letterhead names (by the
        VAT or chamber of commerce number the robot read as the seller's) is
        not this bill's vendor; else ``""``."""
        self.ensure_one()
        read = (self.email_receiver_pdf or {}).get("fields") or {}
        vendor = self.partner_id.commercial_partner_id
        if not vendor or not self.is_purchase_document(include_receipts=True):
            return ""
        _ = self.env._
        for key, field_name in (("vat", "vat"), ("coc", "company_registry")):
            read_number = str((read.get(key) or [""])[0] or "")
            number = reconciliation.normalize_id(read_number)
            if not number:
                continue
            ours = reconciliation.normalize_id(vendor[field_name] or "")
            if number == ours:
                return ""  # the letterhead is the vendor's
            facts = {"number": read_number, "vendor": vendor.display_name}
            if other := self._email_receiver_partner_by_id(field_name, number, vendor):
                facts["other"] = other.display_name
                return (
                    _(
                        "The letterhead names %(other)s (VAT number %(number)s), not the "
                        "vendor %(vendor)s: check who sent this invoice before you post or "
                        "pay it.",
                        **facts,
                    )
                    if key == "vat"
                    else _(
                        "The letterhead names %(other)s (chamber of commerce number "
                        "%(number)s), not the vendor %(vendor)s: check who sent this invoice "
                        "before you post or pay it.",
                        **facts,
                    )
                )
            if ours:
                facts["ours"] = vendor[field_name]
                return (
                    _(
                        "The letterhead names the VAT number %(number)s; the vendor "
                        "%(vendor)s has %(ours)s: check who sent this invoice before you "
                        "post or pay it.",
                        **facts,
                    )
                    if key == "vat"
                    else _(
                        "The letterhead names the chamber of commerce number %(number)s; the "
                        "vendor %(vendor)s has %(ours)s: check who sent this invoice before "
                        "you post or pay it.",
                        **facts,
                    )
                )
        return ""

    def _email_receiver_partner_by_id(self, field_name, number, vendor):
        """Another company of this database with ``number`` (normalized) as
        its VAT or chamber of commerce number."""
        candidates = (
            self.env["res.partner"]
            .sudo()
            .search(
                [
                    (field_name, "ilike", number[-4:]),
                    ("is_company", "=", True),
                    ("id", "!=", vendor.id),
                    *self.env["res.partner"]._check_company_domain(self.company_id),
                ],
                limit=20,
            )
        )
        return next(
            (
                partner
                for partner in candidates
                if reconciliation.normalize_id(partner[field_name] or "") == number
                and partner.commercial_partner_id != vendor
            ),
            self.env["res.partner"],
        )

    def _email_receiver_reads_pictures(self):
        return self[:1].email_receiver_log_id.receiver_id.processing in ("pdf", "both")

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

    @api.model
    def _email_receiver_refused_einvoices(self, name, raw):
        """The names of the XML files a PDF embeds that our parser refuses
        (``evidence.safe_xml_tree``): core reads such a PDF as if it had no
        e-invoice; a refusal is never silent."""
        if not evidence.pdf_has_embedded_file(raw):
            return []
        return [
            file_name
            for file_name, content in extract_pdf_embedded_files(name, raw)
            if evidence.sniff_kind(content) == "xml" and evidence.safe_xml_tree(content) is None
        ]

    def _email_receiver_embeds_xml(self, attachment):
        return any(
            evidence.sniff_kind(content) == "xml"
            for _name, content in extract_pdf_embedded_files(attachment.name, attachment.raw)
        )

    def _email_receiver_read_one(self, attachment):
        """Read one PDF into this draft; a failure is kept on the draft."""
        self.ensure_one()
        # One line per reading: how `make concurrency-two-servers` counts them.
        _logger.info("email receiver: reading attachment %s of %s", attachment.id, self)
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
        if refused := self._email_receiver_refused_einvoices(name, raw):
            self._email_receiver_flag(
                self.env._(
                    "%(name)s embeds an e-invoice (%(files)s) that was refused: it declares "
                    "a DTD or entities, or is no well-formed XML. The conversion robot read "
                    "the PDF's page instead; ask the supplier to send the invoice again.",
                    name=name,
                    files=", ".join(refused),
                )
            )
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
        if text.hidden:
            self._email_receiver_flag(
                self.env._(
                    "%(name)s holds text a reader cannot see (invisible, nearly the colour "
                    "of the page, outside the page or covered): the conversion robot left it "
                    "out and is sure of no field. Check the document against the PDF.",
                    name=name,
                )
            )
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
            self._email_receiver_pdf_buyer(found, text, reasons)
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
        return {"partner_bank_id": self._email_receiver_bank(found.ibans).id}

    def _email_receiver_pdf_buyer(self, found, text, reasons):
        """A bill read from a PDF is addressed to this company, as an
        e-invoice must be: VAT numbers that are neither the supplier's nor
        ours (ours absent), or the name of another company of this database
        and not ours, flag it."""
        company = self.company_id
        ours = reconciliation.normalize_id(company.vat)
        supplier = reconciliation.normalize_id(self.partner_id.commercial_partner_id.vat)
        numbers = [reconciliation.normalize_id(v) for v in found.vat_numbers]
        others = [n for n in numbers if n != supplier]
        # Without the supplier's own number on record, one number is the supplier's.
        if ours and ours not in numbers and len(others) > (0 if supplier else 1):
            reasons.append(
                self.env._(
                    "The PDF names the VAT number %(found)s, neither %(company)s's (%(ours)s) "
                    "nor the supplier's: it may be addressed to another company.",
                    found=", ".join(others),
                    company=company.name,
                    ours=company.vat,
                )
            )
        page = " ".join(line.text for line in text.lines).casefold()
        if company.name.casefold() not in page:
            others = self.env["res.company"].sudo().search([("id", "!=", company.id)])
            if named := [c.name for c in others if len(c.name) > 3 and c.name.casefold() in page]:
                reasons.append(
                    self.env._(
                        "The PDF is addressed to %(other)s, not to %(company)s.",
                        other=", ".join(named),
                        company=company.name,
                    )
                )

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

    def _post(self, soft=True):
        # EXTENDS account: a person who posts a bill the conversion robot read
        # confirms its layout (where its number, date and total stand); only a
        # later PDF read by that layout may post itself (``tools/autopost``).
        posted = super()._post(soft=soft)
        if earned(self.env) or not is_person(self.env.user):
            return posted  # our own auto-post, or Odoo's crons: nobody confirmed
        for move in posted.filtered(
            lambda m: m.email_receiver_pdf and m.is_purchase_document(include_receipts=True)
        ):
            receiver = move.email_receiver_log_id.receiver_id
            if not receiver or not move.email_receiver_pdf_text:
                continue
            text = pdf_invoice.Text.from_json(move.email_receiver_pdf_text)
            values = {"number": move.ref, "date": move.invoice_date, "total": move.amount_total}
            anchors = [
                anchor
                for field, value in values.items()
                if (anchor := pdf_invoice.learn(text, field, value))
            ]
            receiver._pdf_confirm_layout(anchors, move, self.env.user)
        return posted

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
