"""The cursor's cache of parsed e-invoices: the gateway's checks, Odoo's
import and the reconciliation of one mail share each XML tree and what it
declares, rather than parse it again."""

import hashlib

from . import evidence, reconciliation

PARSED = "account_email_receiver.parsed"  # the cursor's cache of parsed e-invoices
PARSED_MAX = 64  # trees kept per cursor (a fetchmail run processes many mails on one)


def _parsed(env, kind, key, parse):
    """``parse()``, once per cursor for ``(kind, key)``: the gateway's checks,
    Odoo's import and the reconciliation of one mail share each XML tree and
    what it declares, rather than parse it again."""
    cache = env.cr.cache.setdefault(PARSED, {})
    if (kind, key) not in cache:
        if len(cache) >= PARSED_MAX:
            cache.pop(next(iter(cache)))
        cache[kind, key] = parse()
    return cache[kind, key]


def xml_tree(env, content):
    """An XML file parsed without DTDs (``evidence.safe_xml_tree``), once per mail."""
    key = hashlib.sha256(content or b"").digest()
    return _parsed(env, "xml", key, lambda: evidence.safe_xml_tree(content))


def declared(env, tree):
    """What an e-invoice's tree declares (``reconciliation.declared``), once per tree."""
    return _parsed(env, "declared", id(tree), lambda: (tree, reconciliation.declared(tree)))[1]
