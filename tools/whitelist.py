"""A receiver's whitelist as a value: which senders its rules trust.

Built once from the rules (``email.receiver._gateway_whitelist`` caches it per
receiver until a rule changes); deciding about a sender is then a few set
lookups, whatever the number of rules.
"""

from typing import NamedTuple

from .evidence import parent_domains


class Whitelist(NamedTuple):
    everyone: bool
    verified_users: bool
    emails: frozenset  # normalized addresses
    domains: frozenset  # normalized domains (IDNA A-labels, lower case)
    parent_domains: frozenset  # domains whose subdomains are trusted too

    @classmethod
    def of(cls, rules):
        """``rules``: ``(rule_type, value, include_subdomains)`` as stored
        (values normalized by ``email.receiver.rule``)."""
        rules = list(rules)
        return cls(
            everyone=any(rule_type == "everyone" for rule_type, _v, _s in rules),
            verified_users=any(rule_type == "verified_users" for rule_type, _v, _s in rules),
            emails=frozenset(v for rule_type, v, _s in rules if rule_type == "email" and v),
            domains=frozenset(v for rule_type, v, _s in rules if rule_type == "domain" and v),
            parent_domains=frozenset(
                v for rule_type, v, sub in rules if rule_type == "domain" and v and sub
            ),
        )

    def trusts(self, sender):
        """The rule types that trust ``sender`` (a normalized address):
        ``verified_users`` alone still needs the sender to be such a user."""
        domain = sender.rpartition("@")[2]
        types = set()
        if self.everyone:
            types.add("everyone")
        if self.verified_users:
            types.add("verified_users")
        if sender in self.emails:
            types.add("email")
        if domain in self.domains or not self.parent_domains.isdisjoint(parent_domains(domain)):
            types.add("domain")
        return types
