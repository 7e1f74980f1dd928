import logging
import time

import dns.exception
import dns.resolver

from odoo import fields, models

_logger = logging.getLogger(__name__)


class EmailSendingDomainRecord(models.Model):
    _name = "email.sending.domain.record"
    _description = "Whitelabel Sending Domain DNS Record"
    _order = "domain_id, sequence, id"

    domain_id = fields.Many2one(
        "email.sending.domain", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="domain_id.company_id", store=True, index=True)
    sequence = fields.Integer()
    purpose = fields.Selection(
        [
            ("link", "Return path and links"),
            ("dkim1", "DKIM key 1"),
            ("dkim2", "DKIM key 2"),
        ],
        required=True,
    )
    host = fields.Char(required=True)
    record_type = fields.Selection([("CNAME", "CNAME")], default="CNAME", required=True)
    expected_value = fields.Char("Points to", required=True)
    found_value = fields.Char("Found", readonly=True)
    state = fields.Selection(
        [
            ("pending", "Not checked"),
            ("ok", "OK"),
            ("wrong", "Wrong"),
            ("missing", "Missing"),
            ("unknown", "Could not check"),
        ],
        default="pending",
        required=True,
        readonly=True,
    )
    message = fields.Char(readonly=True)

    # --------------------------------------------------
    # DNS check
    # --------------------------------------------------

    def _check(self, resolver, lifetime):
        """Judge one record within ``lifetime`` seconds, all its queries included."""
        self.ensure_one()
        deadline = time.monotonic() + lifetime
        expected = self.expected_value.rstrip(".").lower()
        try:
            state, found, message = self._judge(resolver, deadline, expected)
        except (
            dns.resolver.NoNameservers,
            dns.exception.Timeout,
            dns.resolver.LifetimeTimeout,
            OSError,
        ) as error:
            # SERVFAIL or timeout: say so, but keep the last definitive judgement.
            _logger.info("DNS check of %s inconclusive: %s", self.host, error)
            previous = self.state if self.state in ("ok", "wrong", "missing") else "unknown"
            self.write(
                {
                    "state": previous,
                    "message": self.env._(
                        "The DNS servers did not answer in time; the last result is kept. "
                        "We will try again."
                    ),
                }
            )
            return
        self.write({"state": state, "found_value": found, "message": message})

    def _judge(self, resolver, deadline, expected):
        def query(name, rdtype):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise dns.exception.Timeout()
            try:
                answer = resolver.resolve(
                    name,
                    rdtype,
                    lifetime=remaining,
                    raise_on_no_answer=False,
                    search=False,
                )
            except dns.resolver.NXDOMAIN:
                return None
            return answer.rrset

        def cname_of(name):
            rrset = query(name, "CNAME")
            return str(rrset[0].target).rstrip(".").lower() if rrset else None

        target = cname_of(self.host)
        if target:
            seen, hop = [target], target
            while hop != expected and len(seen) < 8:
                hop = cname_of(hop)
                if not hop or hop in seen:
                    break
                seen.append(hop)
            if expected in seen:
                return "ok", target, self.env._("Points to %(value)s.", value=target)
            return (
                "wrong",
                target,
                self.env._(
                    "Points to %(found)s; it should point to %(expected)s.",
                    found=target,
                    expected=expected,
                ),
            )
        kinds = (
            ("A", self.env._("an A record")),
            ("AAAA", self.env._("an AAAA record")),
            ("TXT", self.env._("a TXT record")),
        )
        for rdtype, text in kinds:
            rrset = query(self.host, rdtype)
            if rrset:
                found = rrset[0].to_text()
                return (
                    "wrong",
                    found,
                    self.env._(
                        "Found %(kind)s (%(found)s) instead of a CNAME to %(expected)s. "
                        "If your DNS host proxies records, switch proxying off for this one.",
                        kind=text,
                        found=found,
                        expected=expected,
                    ),
                )
        doubled = f"{self.host}.{self.domain_id.name}"
        doubled_target = cname_of(doubled)
        if doubled_target:
            return (
                "wrong",
                doubled_target,
                self.env._(
                    "The record exists as %(doubled)s: your DNS host adds the domain "
                    "itself. Enter only %(name)s as the name.",
                    doubled=doubled,
                    name=self.host[: -len(self.domain_id.name) - 1],
                ),
            )
        return (
            "missing",
            False,
            self.env._(
                "No CNAME found for %(host)s yet. DNS changes can take up to 48 hours to appear.",
                host=self.host,
            ),
        )
