import ast
import secrets

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from ..tools import evidence, pdf_invoice
from ..tools.grants import earn
from ..tools.settings import setting

# The statuses of a trusted sender (the status bar and the status dialog).
STATES = [
    ("draft", "Draft"),
    ("invited", "Invited"),
    ("active", "Active"),
    ("inactive", "Inactive"),
]
JOURNAL_TYPES = {"purchase": "purchase", "sale_draft": "sale", "sale": "sale"}
MOVE_TYPES = {
    "purchase": "in_invoice",
    "sale_draft": "out_invoice",
    "sale": "out_invoice",
}


def refuse_receiver_move(records, vals):
    """A record that belongs to a receiver (a trusted sender rule, a tax
    mapping, a learned PDF layout) stays with it: moved to another receiver,
    maybe of another company past that company's record rules (which are
    checked on the record as it was), it would change what that receiver
    trusts or makes without anyone of it deciding so."""
    if "receiver_id" in vals and any(
        record.receiver_id.id != vals["receiver_id"] for record in records
    ):
        raise AccessError(
            records.env._(
                "%(record)s belongs to its trusted sender and cannot move to another one.",
                record=records._description,
            )
        )


def send_to_each(template, record, addresses):
    """Our mail (``template`` rendered on ``record``) to each address on its
    own: one checked mailbox per mail (``evidence.single_addresses``), never a
    joined list a crafted address could add a recipient to. The addresses
    written to, in order."""
    sent = evidence.single_addresses(addresses)
    for address in sent:
        template.send_mail(record.id, email_values={"recipient_ids": [], "email_to": address})
    return sent


def lang_context(env, lang):
    """The context values that make ``env`` speak ``lang``: none when it does
    already (no language is English), so that no environment is made for
    nothing: each one costs every later environment lookup of the mail."""
    return {} if (lang or env.lang or "en_US") == (env.lang or "en_US") else {"lang": lang}


def is_person(user):
    """An active internal user who is not OdooBot: someone mail may be from."""
    user = user.sudo()
    return bool(user) and user.active and user._is_internal() and not user._is_superuser()


class EmailReceiver(models.Model):
    """A trusted-sender mail address for one supplier relationship.

    Each receiver owns a ``mail.alias`` that targets ``account.move`` and has
    the receiver as its parent, so Odoo's own gateway routes the mail and asks
    the receiver, through ``_alias_get_error``, whether it may create
    documents. The answer is ``_gateway_decide``: the mail's facts, and the
    pure ``tools/verdict.decide`` that says whether it is trusted. Every mail
    addressed to a receiver leaves one ``email.receiver.log``.
    """

    _name = "email.receiver"
    _description = "Trusted sender"
    _inherit = ["mail.thread", "mail.activity.mixin", "mail.alias.mixin"]
    _order = "name, id"
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
        tracking=True,
        help="The company that receives the documents, in its own journal.",
    )
    # Stored: the gateway writes in this language on every mail, without
    # reading the company and its partner each time (``_gateway_in_company_lang``).
    company_lang = fields.Selection(
        related="company_id.partner_id.lang",
        store=True,
        string="Company language",
        help="The language in which the log explanations and chatter messages "
        "of this trusted sender are written: that of its company.",
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Supplier",
        check_company=True,
        tracking=True,
        help="The supplier whose bills arrive here. XML data may fill the lines "
        "of a bill but never replaces this supplier.",
    )
    document_type = fields.Selection(
        [
            ("purchase", "Vendor bill (draft)"),
            ("sale_draft", "Customer invoice (draft)"),
            ("sale", "Customer invoice (posted)"),
        ],
        required=True,
        default="purchase",
        tracking=True,
        help="Vendor bill: a draft bill for you to check. Customer invoice "
        "(draft): an invoice where you are the supplier, to check and post. "
        "Customer invoice (posted): an invoice that is already final and is "
        "recorded as posted.",
    )
    journal_type = fields.Char(compute="_compute_journal_type")
    journal_id = fields.Many2one(
        "account.journal",
        compute="_compute_journal_id",
        store=True,
        readonly=False,
        required=True,
        precompute=True,
        check_company=True,
        tracking=True,
        domain="[('type', '=', journal_type)]",
        help="The journal in which the documents are created.",
    )
    processing = fields.Selection(
        [("both", "XML and PDF"), ("xml", "XML only"), ("pdf", "PDF only")],
        required=True,
        default="both",
        tracking=True,
        help="Which attachments count as an invoice. XML only: e-invoices "
        "(UBL, CII) and PDFs with embedded XML (Factur-X). PDF only: every PDF. "
        "A mail without such an attachment is held.",
    )
    contact_email = fields.Char(
        string="Contact email address",
        required=True,
        tracking=True,
        help="Receives the invitation and the notices about held mail. It need "
        "not be on the whitelist.",
    )
    notify_members = fields.Boolean(
        string="Notification of receipt by email",
        tracking=True,
        help="Notify the company's invoicing users when an invoice arrives. They "
        "follow this trusted sender with the subtype 'Invoice received' and can unfollow.",
    )
    tls_only = fields.Boolean(
        string="Accept only secure mail sent over SSL or TLS",
        tracking=True,
        help="Accept only mail that reached our server over an encrypted (TLS) "
        "connection. Switched on automatically after the first mail that does.",
    )
    auto_send_xml = fields.Boolean(
        string="Send XML invoice automatically",
        tracking=True,
        help="For customer invoices: post a document that came from a valid XML "
        "invoice and send it to the customer (Peppol when available, else email).",
    )
    tls_only_switched = fields.Boolean(
        string="TLS switched on automatically",
        readonly=True,
        copy=False,
        help="TLS only was switched on automatically once; it is never switched "
        "on automatically again, so a bookkeeper who switches it off keeps it off.",
    )
    send_processing_report = fields.Boolean(
        default=True,
        tracking=True,
        help="After each mail with documents, send an overview of what was done "
        "with each attachment to the contact, and to the sender when the mail was "
        "authenticated (never to a sender that may be forged, nor when the whitelist "
        "trusts everyone).",
    )
    require_authentication = fields.Boolean(
        string="Accept only authenticated mail",
        tracking=True,
        help="Accept only mail that is authenticated: a DKIM signature or SPF "
        "pass aligned with the sender's domain (DMARC), checked by Odoo itself "
        "or by your own mail server. Switched on automatically after the first "
        "authenticated mail. Mail that could not be verified because DNS did not "
        "answer is held and re-checked automatically.",
    )
    require_authentication_switched = fields.Boolean(
        string="Authentication switched on automatically",
        readonly=True,
        copy=False,
        help="Accept only authenticated mail was switched on automatically once; "
        "it is never switched on automatically again.",
    )
    everyone_confirmed = fields.Boolean(
        string="I understand that anyone can send here",
        help="Required when a rule trusts everyone: any sender on the internet "
        "can then create documents through this address.",
    )
    rule_ids = fields.One2many("email.receiver.rule", "receiver_id", string="Whitelist")
    tax_map_ids = fields.One2many(
        "email.receiver.tax.map",
        "receiver_id",
        string="Tax mapping",
        help="Rate in the e-invoice -> the tax its documents get.",
    )
    pdf_anchor_ids = fields.One2many(
        "email.receiver.pdf.anchor",
        "receiver_id",
        string="PDF layout",
        help="Where the conversion robot finds each field on this supplier's PDF "
        "invoices, learned from the bookkeeper's corrections.",
    )
    has_everyone_rule = fields.Boolean(compute="_compute_has_everyone_rule")
    state = fields.Selection(
        STATES,
        required=True,
        default="draft",
        index=True,
        tracking=True,
        copy=False,
    )
    log_ids = fields.One2many("email.receiver.log", "receiver_id")
    accepted_count = fields.Integer(compute="_compute_log_counters")
    review_count = fields.Integer(compute="_compute_log_counters")
    held_count = fields.Integer(compute="_compute_log_counters")
    last_received_date = fields.Datetime("Last mail received", compute="_compute_log_counters")

    # --------------------------------------------------
    # Compute
    # --------------------------------------------------

    @api.depends("document_type")
    def _compute_journal_type(self):
        for receiver in self:
            receiver.journal_type = JOURNAL_TYPES[receiver.document_type or "purchase"]

    @api.depends("document_type", "company_id")
    def _compute_journal_id(self):
        for receiver in self:
            journal_type = JOURNAL_TYPES[receiver.document_type or "purchase"]
            if (
                receiver.journal_id.type == journal_type
                and receiver.journal_id.company_id == receiver.company_id
            ):
                continue
            receiver.journal_id = self.env["account.journal"].search(
                [
                    *self.env["account.journal"]._check_company_domain(receiver.company_id),
                    ("type", "=", journal_type),
                ],
                limit=1,
            )

    @api.depends("rule_ids.rule_type")
    def _compute_has_everyone_rule(self):
        for receiver in self:
            receiver.has_everyone_rule = "everyone" in receiver.rule_ids.mapped("rule_type")

    def _compute_log_counters(self):
        groups = self.env["email.receiver.log"]._read_group(
            [("receiver_id", "in", self.ids)],
            ["receiver_id", "state"],
            ["__count", "date:max"],
        )
        # The dashboard's words: accepted (released included), needs review, held.
        counter = {"held": "held", "review": "review"}
        empty = {"accepted": 0, "review": 0, "held": 0, "last": False}
        counts = {}
        for receiver, state, count, last in groups:
            entry = counts.setdefault(receiver.id, dict(empty))
            entry[counter.get(state, "accepted")] += count
            entry["last"] = max(filter(None, (entry["last"], last)), default=False)
        for receiver in self:
            entry = counts.get(receiver.id, empty)
            receiver.accepted_count = entry["accepted"]
            receiver.review_count = entry["review"]
            receiver.held_count = entry["held"]
            receiver.last_received_date = entry["last"]

    # --------------------------------------------------
    # Constraints
    # --------------------------------------------------

    @api.constrains("contact_email")
    def _check_contact_email(self):
        for receiver in self:
            # One address our mail can go to (``send_to_each``), never a list.
            if not evidence.single_addresses([receiver.contact_email]):
                raise ValidationError(
                    self.env._(
                        "'%(email)s' is not a valid email address for the contact.",
                        email=receiver.contact_email,
                    )
                )

    @api.constrains("journal_id", "document_type", "company_id")
    def _check_journal(self):
        for receiver in self:
            expected = JOURNAL_TYPES[receiver.document_type]
            if receiver.journal_id.type != expected:
                raise ValidationError(
                    self.env._(
                        "The journal %(journal)s is not a %(type)s journal.",
                        journal=receiver.journal_id.display_name,
                        type=dict(
                            self.env["account.journal"]
                            ._fields["type"]
                            ._description_selection(self.env)
                        )[expected],
                    )
                )

    # --------------------------------------------------
    # CRUD
    # --------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("contact_email"):
                vals["contact_email"] = vals["contact_email"].strip()
            if not vals.get("alias_name"):
                vals["alias_name"] = self._alias_generate_name(vals)
        receivers = super().create(vals_list)
        receivers.filtered("notify_members")._subscribe_members()
        self._gateway_clear_routing()
        return receivers

    def unlink(self):
        res = super().unlink()
        self._gateway_clear_routing()
        return res

    def write(self, vals):
        if vals.get("contact_email"):
            vals["contact_email"] = vals["contact_email"].strip()
        res = super().write(vals)
        if {"document_type", "journal_id", "company_id"} & set(vals):
            for receiver in self:
                receiver.alias_id.sudo().alias_defaults = repr(receiver._alias_defaults())
        if "notify_members" in vals:
            if vals["notify_members"]:
                self._subscribe_members()
            else:
                self._unsubscribe_members()
        return res

    # --------------------------------------------------
    # Alias
    # --------------------------------------------------

    @api.model
    def _alias_generate_name(self, vals):
        """A readable, unique and not guessable local part: ``<supplier>-<random>``."""
        base = ""
        if vals.get("partner_id"):
            base = self.env["res.partner"].browse(vals["partner_id"]).name or ""
        base = base or vals.get("name") or "invoices"
        slug = self.env["mail.alias"]._sanitize_alias_name(base)[:30].strip(".-_") or "invoices"
        return f"{slug}-{secrets.token_hex(4)}"

    def _alias_defaults(self):
        self.ensure_one()
        return {
            "move_type": MOVE_TYPES[self.document_type],
            "journal_id": self.journal_id.id,
            "company_id": self.company_id.id,
            "email_receiver_id": self.id,
        }

    def _alias_get_creation_values(self):
        # EXTENDS mail.alias.mixin: documents are moves; the receiver decides who may send
        values = super()._alias_get_creation_values()
        values["alias_model_id"] = self.env["ir.model"]._get_id("account.move")
        values["alias_contact"] = "everyone"
        if self.id:
            values["alias_defaults"] = repr(self._alias_defaults())
        return values

    def _mapped_tax(self, rate, tax_type):
        """The receiver's tax for a rate its supplier's e-invoices name."""
        self.ensure_one()
        return self.env["email.receiver.tax.map"]._matching(self.sudo().tax_map_ids, rate, tax_type)

    def _pdf_anchors(self):
        """The learned layout of this supplier's PDFs, for ``pdf_invoice.find``."""
        return tuple(anchor._to_anchor() for anchor in self.sudo().pdf_anchor_ids)

    def _pdf_learn(self, anchor, move):
        """Remember where ``anchor.field`` stands on this supplier's PDFs."""
        self.ensure_one()
        Anchor = self.env["email.receiver.pdf.anchor"].sudo()
        values = {"label": anchor.label, "position": anchor.position, "learned_from_id": move.id}
        existing = Anchor.search([("receiver_id", "=", self.id), ("field", "=", anchor.field)])
        if existing:
            existing.write(values)
        else:
            Anchor.create({"receiver_id": self.id, "field": anchor.field, **values})

    def _pdf_confirmed_layout(self):
        """The anchors a person confirmed by posting a bill read with them:
        ``{field: label}``."""
        self.ensure_one()
        return {
            anchor.field: anchor.label
            for anchor in self.sudo().pdf_anchor_ids
            if anchor.confirmed_by_id
        }

    def _pdf_confirm_layout(self, anchors, move, user):
        """``user`` posted ``move``, read from a PDF: the places of its fields
        (``anchors``, found again in its text) are a layout a person confirmed."""
        self.ensure_one()
        Anchor = earn(self.env["email.receiver.pdf.anchor"].sudo())
        existing = {
            anchor.field: anchor for anchor in Anchor.search([("receiver_id", "=", self.id)])
        }
        for anchor in anchors:
            values = {
                "label": anchor.label,
                "position": anchor.position,
                "confirmed_by_id": user.id,
                "confirmed_move_id": move.id,
            }
            if record := existing.get(anchor.field):
                record.write(values)
            else:
                Anchor.create(
                    {
                        "receiver_id": self.id,
                        "field": anchor.field,
                        "learned_from_id": move.id,
                        **values,
                    }
                )

    @api.model
    def _pdf_limits(self):
        """How much the conversion robot reads of one PDF (Settings, or the defaults)."""
        default = pdf_invoice.Limits()
        return pdf_invoice.Limits(
            max_bytes=int(setting(self.env, "pdf_max_mb") * 1024 * 1024),
            max_pages=setting(self.env, "pdf_max_pages") or default.max_pages,
            seconds=setting(self.env, "pdf_seconds") or default.seconds,
            memory=default.memory,
        )

    @api.model
    def _salesperson(self):
        """Who the customer invoices of this receiver are from: its owner, when
        a person (an active internal user, not OdooBot); else nobody, and
        they go out From the company."""
        self.ensure_one()
        owner = self.sudo().create_uid
        return owner if is_person(owner) else owner.browse()

    def _gateway_supplier(self):
        """The supplier of a purchase receiver's documents (none for sales)."""
        self.ensure_one()
        if self.document_type == "purchase":
            return self.partner_id
        return self.env["res.partner"]

    # --------------------------------------------------
    # Members
    # --------------------------------------------------

    def _get_members(self):
        """Internal users of the company with invoicing rights."""
        self.ensure_one()
        return (
            self.env["res.users"]
            .sudo()
            .search(
                [
                    ("share", "=", False),
                    ("company_ids", "in", self.company_id.id),
                    (
                        "all_group_ids",
                        "in",
                        self.env.ref("account.group_account_invoice").id,
                    ),
                ]
            )
        )

    def _subscribe_members(self):
        subtype = self.env.ref("account_email_receiver.mt_invoice_received")
        for receiver in self:
            receiver.message_subscribe(
                partner_ids=receiver._get_members().partner_id.ids,
                subtype_ids=subtype.ids,
            )

    def _unsubscribe_members(self):
        for receiver in self:
            receiver.message_unsubscribe(partner_ids=receiver._get_members().partner_id.ids)

    # --------------------------------------------------
    # Actions
    # --------------------------------------------------

    def _check_can_receive(self):
        for receiver in self:
            if not receiver.rule_ids:
                raise UserError(
                    self.env._(
                        "Add at least one whitelist entry to %(receiver)s before activating it.",
                        receiver=receiver.name,
                    )
                )
            if receiver.has_everyone_rule and not receiver.everyone_confirmed:
                raise UserError(
                    self.env._(
                        "%(receiver)s trusts everyone: confirm that anyone may send "
                        "documents to this address first.",
                        receiver=receiver.name,
                    )
                )
            if not receiver.alias_domain_id:
                raise UserError(
                    self.env._(
                        "The company %(company)s has no alias domain yet. Set one in "
                        "Settings › General Settings › Emails › Alias Domain.",
                        company=receiver.company_id.name,
                    )
                )

    def action_invite(self):
        self._check_can_receive()
        template = self.env.ref("account_email_receiver.mail_template_receiver_invitation")
        for receiver in self:
            send_to_each(template, receiver, [receiver.contact_email])
            receiver.message_post(
                body=self.env._("Invitation sent to %(email)s.", email=receiver.contact_email),
                subtype_xmlid="mail.mt_note",
            )
        self.filtered(lambda r: r.state == "draft").state = "invited"
        return True

    def action_open_status(self):
        """The status dialog: pick a status, then "Update status"."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_email_receiver.email_receiver_status_action"
        )
        action["context"] = {"active_id": self.id, "active_model": self._name}
        return action

    def action_activate(self):
        self._check_can_receive()
        self.state = "active"
        return True

    def action_deactivate(self):
        self.state = "inactive"
        return True

    def action_reset_to_draft(self):
        self.state = "draft"
        return True

    def action_view_logs(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_email_receiver.email_receiver_log_action"
        )
        action["domain"] = [("receiver_id", "=", self.id)]
        action["context"] = {"default_receiver_id": self.id}
        return action

    def action_view_held(self):
        action = self.action_view_logs()
        action["domain"] = [("receiver_id", "=", self.id), ("state", "=", "held")]
        return action

    def action_view_review(self):
        action = self.action_view_logs()
        action["domain"] = [("receiver_id", "=", self.id), ("state", "=", "review")]
        return action

    # --------------------------------------------------
    # Tools
    # --------------------------------------------------

    def _trusted_senders_text(self):
        """The rules in words, for the invitation."""
        self.ensure_one()
        return [rule._describe() for rule in self.rule_ids]

    @api.model
    def _literal_alias_defaults(self, alias):
        return ast.literal_eval(alias.alias_defaults or "{}")
