from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import email_normalize

from ..tools import evidence
from .email_receiver import refuse_receiver_move


class EmailReceiverRule(models.Model):
    """Who may send to a receiver: one address, a domain, the company's own
    verified users, or everyone. Values are stored normalized (lower case,
    IDNA A-labels) so that the gateway matches them with indexed equality."""

    _name = "email.receiver.rule"
    _description = "Trusted Sender Whitelist Entry"
    _order = "receiver_id, sequence, id"
    _check_company_auto = True

    sequence = fields.Integer(default=10)
    receiver_id = fields.Many2one(
        "email.receiver",
        string="Trusted sender",
        required=True,
        ondelete="cascade",
        index=True,
        check_company=True,
    )
    company_id = fields.Many2one(related="receiver_id.company_id", store=True, index=True)
    rule_type = fields.Selection(
        [
            ("domain", "Domain"),
            ("email", "Email address"),
            ("verified_users", "Verified user"),
            ("everyone", "Everyone"),
        ],
        string="Whitelist type",
        required=True,
        default="domain",
        help="Who may send: everyone at a domain, one email address, the users of "
        "your company (their login and the extra addresses they confirmed), or "
        "anyone at all.",
    )
    value = fields.Char(
        help="A domain without @ (supplier.com) or one email address.",
    )
    include_subdomains = fields.Boolean(
        help="Also trust mail from any subdomain, such as billing.supplier.com.",
    )

    _receiver_rule_unique = models.UniqueIndex(
        "(receiver_id, rule_type, COALESCE(value, ''))",
        "This entry is already on the whitelist of this trusted sender.",
    )
    _lookup_idx = models.Index("(rule_type, value, receiver_id)")

    # --------------------------------------------------
    # CRUD
    # --------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            vals.update(self._normalize_vals(vals, vals.get("rule_type") or "domain"))
        rules = super().create(vals_list)
        self.env["email.receiver"]._gateway_clear_routing()  # cached whitelists
        return rules

    def write(self, vals):
        refuse_receiver_move(self, vals)
        if "value" in vals or "rule_type" in vals:
            for rule in self:
                rule_vals = dict(vals)
                rule_vals.setdefault("value", rule.value)
                rule_vals.update(
                    self._normalize_vals(rule_vals, vals.get("rule_type") or rule.rule_type)
                )
                super(EmailReceiverRule, rule).write(rule_vals)
            self.env["email.receiver"]._gateway_clear_routing()  # cached whitelists
            return True
        result = super().write(vals)
        if "include_subdomains" in vals:
            self.env["email.receiver"]._gateway_clear_routing()
        return result

    def unlink(self):
        result = super().unlink()
        self.env["email.receiver"]._gateway_clear_routing()  # cached whitelists
        return result

    @api.model
    def _normalize_vals(self, vals, rule_type):
        """Validate and normalize a rule's value; raise a readable error."""
        value = (vals.get("value") or "").strip()
        if rule_type in ("verified_users", "everyone"):
            return {"value": False, "include_subdomains": False}
        if rule_type == "domain":
            domain = self._normalize_domain(value)
            return {"value": domain}
        single = value.count("@") == 1 and not any(c.isspace() for c in value)
        email = email_normalize(value, strict=True) if single else False
        local, _at, domain = (email or "").rpartition("@")
        domain = evidence.normalize_domain(domain)
        if not email or not domain:
            raise ValidationError(
                self.env._("'%(value)s' is not a valid email address.", value=value)
            )
        return {"value": f"{local}@{domain}", "include_subdomains": False}

    @api.model
    def _normalize_domain(self, value):
        """A domain entered by a user, as stored (IDNA A-label, lower case), or a
        readable error; shared with the whitelabel sending domain."""
        value = (value or "").strip()
        domain = evidence.normalize_domain(value)
        if not domain:
            raise ValidationError(
                self.env._(
                    "'%(value)s' is not a valid domain. Enter a domain without @, "
                    "such as supplier.com.",
                    value=value,
                )
            )
        if evidence.is_public_suffix(domain):
            raise ValidationError(
                self.env._(
                    "'%(value)s' is a public suffix, not the domain of one organization.",
                    value=value,
                )
            )
        return domain

    # --------------------------------------------------
    # Tools
    # --------------------------------------------------

    def _describe(self):
        self.ensure_one()
        if self.rule_type == "domain":
            if self.include_subdomains:
                return self.env._("anyone at %(domain)s or its subdomains", domain=self.value)
            return self.env._("anyone at %(domain)s", domain=self.value)
        if self.rule_type == "email":
            return self.value
        if self.rule_type == "verified_users":
            return self.env._("the verified users of %(company)s", company=self.company_id.name)
        return self.env._("everyone")
