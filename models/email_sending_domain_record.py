import logging
import time

import dns.exception
import dns.resolver

from odoo import api, fields, models

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
    # What the last check found, as a code and its values; the words are the
    # reader's (a Dutch user reads Dutch), computed at display.
    message_code = fields.Char("Check result", readonly=True)
    message_args = fields.Json("Check values", readonly=True)
    message = fields.Char(compute="_compute_message")

    @api.depends("message_code", "message_args")
    @api.depends_context("lang")
    def _compute_message(self):
        for record in self:
            record.message = record._message_words(record.message_code, record.message_args or {})

    def _message_words(self, code, args):
        _ = self.env._
        kinds = {"A": _("an A record"), "AAAA": _("an AAAA record"), "TXT": _("a TXT record")}
        if code == "timeout":
            return _(
                "The DNS servers did not answer in time; the last result is kept. "
                "We will try again."
            )
        if code == "ok":
            return _("Points to %(value)s.", **args)
        if code == "elsewhere":
            return _("Points to %(found)s; it should point to %(expected)s.", **args)
        if code == "other_kind":
            return _(
                "Found %(kind)s (%(found)s) instead of a CNAME to %(expected)s. "
                "If your DNS host proxies records, switch proxying off for this one.",
                kind=kinds[args["rdtype"]],
                found=args["found"],
                expected=args["expected"],
            )
        if code == "doubled":
            return _(
                "The record exists as %(doubled)s: your DNS host adds the domain "
                "itself. Enter only %(name)s as the name.",
                **args,
            )
        if code == "missing":
            return _(
                "No CNAME found for %(host)s yet. DNS changes can take up to 48 hours to appear.",
                **args,
            )
        return False

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
            self.write({"state": previous, "message_code": "timeout", "message_args": {}})
            return
        code, args = message
        self.write(
            {"state": state, "found_value": found, "message_code": code, "message_args": args}
        )

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
                return "ok", target, ("ok", {"value": target})
            return "wrong", target, ("elsewhere", {"found": target, "expected": expected})
        for rdtype in ("A", "AAAA", "TXT"):
            rrset = query(self.host, rdtype)
            if rrset:
                found = rrset[0].to_text()
                args = {"rdtype": rdtype, "found": found, "expected": expected}
                return "wrong", found, ("other_kind", args)
        doubled = f"{self.host}.{self.domain_id.name}"
        doubled_target = cname_of(doubled)
        if doubled_target:
            name = self.host[: -len(self.domain_id.name) - 1]
            return "wrong", doubled_target, ("doubled", {"doubled": doubled, "name": name})
        return "missing", False, ("missing", {"host": self.host})
