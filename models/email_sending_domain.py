import hashlib
import time
from datetime import timedelta

import dns.exception
import dns.resolver

from odoo import api, fields, models, tools
from odoo.fields import Domain

from ..tools import evidence
from ..tools.authentication import nameserver
from ..tools.settings import setting

PENDING_HOURS = 72


class EmailSendingDomain(models.Model):
    """A whitelabel sending domain: the company's own mail domain, proven by
    three CNAME records that point into the sending provider's zone.

    Once all three resolve, invoices go out From the user's own address on that
    domain. Verification runs on demand and from a cron, and keeps running: a
    pending domain hourly for 72 hours, a verified one daily, downgraded only
    after two definitive failures in a row.
    """

    _name = "email.sending.domain"
    _description = "Whitelabel Sending Domain"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "name"
    _check_company_auto = True

    name = fields.Char("Domain", required=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    state = fields.Selection(
        [
            ("pending", "Waiting for DNS"),
            ("verified", "Verified"),
            ("failed", "Failed"),
        ],
        required=True,
        default="pending",
        tracking=True,
        index=True,
    )
    record_ids = fields.One2many("email.sending.domain.record", "domain_id", string="DNS records")
    last_check_date = fields.Datetime(readonly=True)
    verified_date = fields.Datetime(readonly=True)
    pending_since = fields.Datetime(default=fields.Datetime.now, readonly=True)
    failed_checks = fields.Integer(
        readonly=True,
        help="Definitive negative checks in a row since the last success.",
    )
    # What the last check found, stored as facts; said in the reader's words.
    spf_found = fields.Selection(
        [("none", "No SPF record"), ("with", "With the host"), ("without", "Without the host")],
        string="SPF found",
        readonly=True,
    )
    dmarc_policy = fields.Char(
        "DMARC policy", readonly=True, help="The p= of the _dmarc record, if any."
    )
    spf_status = fields.Char("SPF", compute="_compute_advice_status")
    dmarc_status = fields.Char("DMARC", compute="_compute_advice_status")

    _company_name_unique = models.Constraint(
        "UNIQUE(company_id, name)",
        "This domain is already registered for this company.",
    )

    # --------------------------------------------------
    # CRUD
    # --------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            vals["name"] = self._normalize_name(vals.get("name"))
        domains = super().create(vals_list)
        domains._generate_records()
        self.env.registry.clear_cache()  # _all_domains
        return domains

    def write(self, vals):
        if "name" in vals:
            vals = dict(vals, name=self._normalize_name(vals["name"]), state="pending")
        res = super().write(vals)
        if "name" in vals:
            self.record_ids.unlink()
            self._generate_records()
        if {"name", "state", "company_id"} & set(vals):
            self.env.registry.clear_cache()  # _all_domains
        return res

    def unlink(self):
        res = super().unlink()
        self.env.registry.clear_cache()  # _all_domains
        return res

    @api.model
    def _normalize_name(self, name):
        return self.env["email.receiver.rule"]._normalize_domain(name)

    # --------------------------------------------------
    # Records
    # --------------------------------------------------

    @api.model
    def _provider_settings(self):
        host = setting(self.env, "provider_host").strip(". ").lower()
        account = setting(self.env, "provider_account").strip()
        if not account:
            uuid = self.env["ir.config_parameter"].sudo().get_param("database.uuid") or ""
            account = str(int(hashlib.sha256(uuid.encode()).hexdigest(), 16) % 90000000 + 10000000)
        return host, account

    def _expected_records(self):
        """The three CNAMEs, deterministic per company, domain and provider
        account: another company of the database that enters the same domain
        gets other records, so it cannot claim a domain verified for ours."""
        self.ensure_one()
        host, account = self._provider_settings()
        seed = int(hashlib.sha256(f"{self.company_id.id}:{self.name}".encode()).hexdigest(), 16)
        em, wl = seed % 9000 + 1000, seed // 9000 % 900 + 100
        target = f"u{account}.wl{wl}.{host}"
        return [
            ("link", f"em{em}.{self.name}", target),
            ("dkim1", f"s1._domainkey.{self.name}", f"s1.domainkey.{target}"),
            ("dkim2", f"s2._domainkey.{self.name}", f"s2.domainkey.{target}"),
        ]

    def _generate_records(self):
        for domain in self:
            domain.record_ids = [
                fields.Command.create(
                    {
                        "purpose": purpose,
                        "host": host,
                        "expected_value": value,
                        "sequence": index,
                    }
                )
                for index, (purpose, host, value) in enumerate(domain._expected_records())
            ]

    # --------------------------------------------------
    # Verification
    # --------------------------------------------------

    @api.model
    def _resolver(self):
        """A resolver with an explicit lifetime and no search list; nameservers
        from Settings (``host`` or ``host:port``), else the system's."""
        servers = setting(self.env, "dns_nameservers")
        resolver = dns.resolver.Resolver(configure=not servers)
        if servers:
            resolver.nameservers = [nameserver(s) for s in servers]
        lifetime = setting(self.env, "dns_lifetime")
        resolver.lifetime = resolver.timeout = lifetime
        resolver.use_search_by_default = False
        resolver.cache = None
        return resolver, lifetime

    def action_verify(self):
        """Check every record in DNS now; see ``_verify``."""
        self._verify()
        return True

    def _verify(self):
        resolver, lifetime = self._resolver()
        now = fields.Datetime.now()
        for domain in self:
            # Never longer than ``lifetime`` per record, advice included.
            deadline = time.monotonic() + lifetime * len(domain.record_ids)
            for record in domain.record_ids:
                record._check(resolver, min(lifetime, max(deadline - time.monotonic(), 0.01)))
            if deadline - time.monotonic() > 0.05:
                domain._advisory_checks(resolver, deadline - time.monotonic())
            states = set(domain.record_ids.mapped("state"))
            vals = {"last_check_date": now}
            if states == {"ok"}:
                vals.update(failed_checks=0, state="verified")
                if domain.state != "verified":
                    vals["verified_date"] = now
            elif states & {"wrong", "missing"}:
                vals["failed_checks"] = domain.failed_checks + 1
                if domain.state == "verified" and vals["failed_checks"] >= 2:
                    vals["state"] = "pending"
                    vals["pending_since"] = now
                    domain._warn_admins(
                        self.env._(
                            "Sending domain %(domain)s lost its verification",
                            domain=domain.name,
                        ),
                        self.env._(
                            "Two checks in a row found the DNS records of %(domain)s "
                            "wrong or missing. Invoices are sent from the company "
                            "address until they are fixed.",
                            domain=domain.name,
                        ),
                    )
            domain.write(vals)

    def _advisory_checks(self, resolver, budget):
        """SPF and DMARC are shown, never required; within the time left."""
        self.ensure_one()
        host, _account = self._provider_settings()
        deadline = time.monotonic() + budget
        spf = [t for t in _txt(resolver, self.name, budget) if t.lower().startswith("v=spf1")]
        lifetime = max(deadline - time.monotonic(), 0.01)
        if not spf:
            self.spf_found = "none"
        elif any(host in t.lower() for t in spf):
            self.spf_found = "with"
        else:
            self.spf_found = "without"
        dmarc = [
            t
            for t in _txt(resolver, f"_dmarc.{self.name}", lifetime)
            if t.lower().startswith("v=dmarc1")
        ]
        if dmarc:
            policy = next(
                (
                    p.split("=", 1)[1].strip()
                    for p in dmarc[0].split(";")
                    if p.strip().lower().startswith("p=")
                ),
                "?",
            )
            self.dmarc_policy = policy
        else:
            self.dmarc_policy = False

    @api.depends("spf_found", "dmarc_policy", "last_check_date")
    @api.depends_context("lang")
    def _compute_advice_status(self):
        _ = self.env._
        for domain in self:
            host = domain._provider_settings()[0] if domain.spf_found else ""
            domain.spf_status = {
                "none": _("No SPF record (v=spf1)."),
                "with": _("SPF present and includes %(host)s.", host=host),
                "without": _("SPF present, without %(host)s.", host=host),
            }.get(domain.spf_found, False)
            if domain.dmarc_policy:
                domain.dmarc_status = _("DMARC policy: %(policy)s.", policy=domain.dmarc_policy)
            elif domain.last_check_date and domain.spf_found:
                domain.dmarc_status = _("No DMARC policy (_dmarc).")
            else:
                domain.dmarc_status = False

    def _warn_admins(self, summary, note):
        self.ensure_one()
        domain = self.sudo()
        domain.message_post(body=note)
        group = self.env.ref("account_email_receiver.group_email_receiver_manager").sudo()
        admins = group.all_user_ids.filtered(
            lambda u: self.company_id in u.company_ids and not u.share
        )
        for admin in admins[:5]:
            domain.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=summary,
                note=note,
                user_id=admin.id,
            )

    @api.model
    def _cron_verify(self):
        """Pending domains hourly for 72 hours, verified ones daily."""
        now = fields.Datetime.now()
        expired = self.search(
            [
                ("state", "=", "pending"),
                ("pending_since", "<", now - timedelta(hours=PENDING_HOURS)),
            ]
        )
        for domain in expired:
            domain.state = "failed"
            domain._warn_admins(
                self.env._(
                    "Sending domain %(domain)s could not be verified",
                    domain=domain.name,
                ),
                self.env._(
                    "The DNS records of %(domain)s were not found within %(hours)s hours. "
                    "Check them at your DNS host and press Verify.",
                    domain=domain.name,
                    hours=PENDING_HOURS,
                ),
            )
        pending = Domain("state", "=", "pending") & (
            Domain("last_check_date", "=", False)
            | Domain("last_check_date", "<=", now - timedelta(minutes=55))
        )
        verified = Domain("state", "=", "verified") & Domain(
            "last_check_date", "<=", now - timedelta(hours=23)
        )
        due = self.search(pending | verified, limit=200)
        due._verify()

    # --------------------------------------------------
    # Sending
    # --------------------------------------------------

    @api.model
    def _is_verified_address(self, email, company=None):
        """Whether an address is on a verified domain (of ``company``, if given)."""
        verified = self._verified_domains()
        if not verified:
            return False  # the usual case: no whitelabel domain, no parse, no query
        domain = evidence.normalize_domain((email or "").rpartition("@")[2])
        if not domain:
            return False
        if company:
            return (domain, company.id) in verified
        return any(name == domain for name, _company in verified)

    @api.model
    @tools.ormcache()
    def _all_domains(self):
        """``(name, company id, state)`` of every domain. Cached, so that the
        outgoing mail of a database without a whitelabel domain costs no query;
        cleared when a domain is created, renamed, moved, changes state or is
        deleted."""
        domains = self.sudo().search_fetch([("name", "!=", False)], ["name", "company_id", "state"])
        return frozenset((domain.name, domain.company_id.id, domain.state) for domain in domains)

    @api.model
    def _verified_domains(self):
        """``(name, company id)`` of every verified domain (from the cache)."""
        return frozenset(
            (name, company_id)
            for name, company_id, state in self._all_domains()
            if state == "verified"
        )


def _txt(resolver, name, lifetime):
    try:
        answer = resolver.resolve(
            name, "TXT", lifetime=lifetime, raise_on_no_answer=False, search=False
        )
    except (dns.exception.DNSException, OSError):
        return []
    return [b"".join(rr.strings).decode("utf-8", "replace") for rr in answer.rrset or []]
