"""What an e-invoice declares, and where a document made from it differs.

Pure functions over an lxml tree (UBL 2.1 Invoice/CreditNote, UN/CEFACT CII),
no ORM: ``declared`` reads the document's own figures and parties, and
``differences`` compares them with what Odoo created. The caller decides what a
difference means (``needs review``); nothing here guesses or corrects.
"""

import math
from dataclasses import dataclass, field

# UBL: the document level, EN 16931 business terms in comments.
_UBL = {
    "number": "./{*}ID",  # BT-1
    "type": "./{*}InvoiceTypeCode",  # BT-3
    "currency": "./{*}DocumentCurrencyCode",  # BT-5
    "untaxed": "./{*}LegalMonetaryTotal/{*}TaxExclusiveAmount",  # BT-109
    "total": "./{*}LegalMonetaryTotal/{*}TaxInclusiveAmount",  # BT-112
    "prepaid": "./{*}LegalMonetaryTotal/{*}PrepaidAmount",  # BT-113
    "rounding": "./{*}LegalMonetaryTotal/{*}PayableRoundingAmount",  # BT-114
    "payable": "./{*}LegalMonetaryTotal/{*}PayableAmount",  # BT-115
    "tax": "./{*}TaxTotal/{*}TaxAmount",  # BT-110 (and BT-111)
    "buyer_vat": "./{*}AccountingCustomerParty/{*}Party/{*}PartyTaxScheme/{*}CompanyID",
    "buyer_endpoint": "./{*}AccountingCustomerParty/{*}Party/{*}EndpointID",
    "buyer_name": (
        "./{*}AccountingCustomerParty/{*}Party/{*}PartyLegalEntity/{*}RegistrationName",
        "./{*}AccountingCustomerParty/{*}Party/{*}PartyName/{*}Name",
    ),
    "iban": "./{*}PaymentMeans/{*}PayeeFinancialAccount/{*}ID",  # BT-84
    "debtor_iban": "./{*}PaymentMeans/{*}PaymentMandate/{*}PayerFinancialAccount/{*}ID",  # BT-91
}
_CII_SETTLEMENT = "./{*}SupplyChainTradeTransaction/{*}ApplicableHeaderTradeSettlement"
_CII_SUM = _CII_SETTLEMENT + "/{*}SpecifiedTradeSettlementHeaderMonetarySummation"
_CII_BUYER = "./{*}SupplyChainTradeTransaction/{*}ApplicableHeaderTradeAgreement/{*}BuyerTradeParty"
_CII = {
    "number": "./{*}ExchangedDocument/{*}ID",
    "type": "./{*}ExchangedDocument/{*}TypeCode",
    "currency": _CII_SETTLEMENT + "/{*}InvoiceCurrencyCode",
    "untaxed": _CII_SUM + "/{*}TaxBasisTotalAmount",
    "total": _CII_SUM + "/{*}GrandTotalAmount",
    "prepaid": _CII_SUM + "/{*}TotalPrepaidAmount",
    "rounding": _CII_SUM + "/{*}RoundingAmount",
    "payable": _CII_SUM + "/{*}DuePayableAmount",
    "tax": _CII_SUM + "/{*}TaxTotalAmount",
    "buyer_vat": _CII_BUYER + "/{*}SpecifiedTaxRegistration/{*}ID",
    "buyer_endpoint": _CII_BUYER + "/{*}URIUniversalCommunication/{*}URIID",
    "buyer_name": (_CII_BUYER + "/{*}Name",),
    "iban": _CII_SETTLEMENT
    + "/{*}SpecifiedTradeSettlementPaymentMeans/{*}PayeePartyCreditorFinancialAccount/{*}IBANID",
    "debtor_iban": _CII_SETTLEMENT
    + "/{*}SpecifiedTradeSettlementPaymentMeans/{*}PayerPartyDebtorFinancialAccount/{*}IBANID",
}


# UNTDID 1001 document types of a credit note (EN 16931 code list for BT-3).
CREDIT_NOTE_CODES = frozenset(
    {"81", "83", "261", "262", "296", "308", "381", "396", "420", "458", "532"}
)


@dataclass(frozen=True)
class Declared:
    """The figures and parties an e-invoice states about itself."""

    number: str = ""
    credit_note: bool = False  # a credit note, or an invoice of a negative amount
    currency: str = ""
    total: float | None = None
    untaxed: float | None = None
    tax: float | None = None
    prepaid: float = 0.0
    rounding: float = 0.0
    payable: float | None = None
    buyer_vat: str = ""
    buyer_endpoint: str = ""
    buyer_name: str = ""
    ibans: tuple = field(default_factory=tuple)
    debtor_ibans: tuple = field(default_factory=tuple)  # a direct debit's: the buyer's

    def totals(self):
        """The totals (without sign) this invoice is booked at: its total, and
        with its payable rounding (BT-114, which Odoo books as a line of its
        own). Empty without a total."""
        if self.total is None:
            return set()
        return {abs(self.total), abs(self.total + self.rounding)}


def declared(tree):
    """``Declared`` of a UBL or CII tree, or None for another document."""
    if tree is None:
        return None
    root = tree.tag.rpartition("}")[2] if isinstance(tree.tag, str) else ""
    if root in ("Invoice", "CreditNote"):
        paths = _UBL
    elif root == "CrossIndustryInvoice":
        paths = _CII
    else:
        return None
    currency = _text(tree, paths["currency"]).upper()
    total = _amount(tree, paths["total"], currency)
    credit_note = root == "CreditNote" or _text(tree, paths["type"]) in CREDIT_NOTE_CODES
    return Declared(
        number=_text(tree, paths["number"]),
        credit_note=credit_note != bool(total and total < 0),
        currency=currency,
        total=total,
        untaxed=_amount(tree, paths["untaxed"], currency),
        tax=_amount(tree, paths["tax"], currency),
        prepaid=_amount(tree, paths["prepaid"], currency) or 0.0,
        rounding=_amount(tree, paths["rounding"], currency) or 0.0,
        payable=_amount(tree, paths["payable"], currency),
        buyer_vat=normalize_id(_text(tree, paths["buyer_vat"])),
        buyer_endpoint=normalize_id(_text(tree, paths["buyer_endpoint"])),
        buyer_name=next(
            (name for name in (_text(tree, p) for p in paths["buyer_name"]) if name), ""
        ),
        ibans=_ids(tree, paths["iban"]),
        debtor_ibans=_ids(tree, paths["debtor_iban"]),
    )


def _ids(tree, path):
    return tuple(dict.fromkeys(normalize_id(node.text) for node in tree.findall(path) if node.text))


def differences(doc, created, rounding):
    """Where the created document differs from the declared figures.

    ``created``: total, untaxed, tax, residual (what the bill asks to pay) and
    currency of the document Odoo made; ``rounding``: the currency's rounding.
    Returns ``[(what, declared, created)]``, empty when all agree to the
    rounding. Amounts are compared without their sign (a negative invoice
    becomes a credit note).
    """
    found = []
    if doc.currency and created["currency"] and doc.currency != created["currency"]:
        found.append(("currency", doc.currency, created["currency"]))
    expected = {
        # Odoo books a rounding amount (BT-114) as a line of its own.
        "total": None if doc.total is None else doc.total + doc.rounding,
        "untaxed": None if doc.untaxed is None else doc.untaxed + doc.rounding,
        "tax": doc.tax,
        "payable": doc.payable,
    }
    ours = {
        "total": created["total"],
        "untaxed": created["untaxed"],
        "tax": created["tax"],
        "payable": created["residual"],
    }
    for what, value in expected.items():
        if value is None:
            continue
        if abs(abs(value) - abs(ours[what])) >= rounding / 2:
            found.append((what, value, ours[what]))
    return found


def _text(tree, path):
    node = tree.find(path)
    return (node.text or "").strip() if node is not None and node.text else ""


def _amount(tree, path, currency):
    """The amount in the document currency: of several (BT-110 and BT-111,
    the tax total in the accounting currency), the one in that currency."""
    nodes = [node for node in tree.findall(path) if (node.text or "").strip()]
    if not nodes:
        return None
    chosen = next((n for n in nodes if (n.get("currencyID") or "").upper() == currency), nodes[0])
    try:
        value = float(chosen.text.strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None  # "inf", "nan": not an amount


def normalize_id(value):
    return "".join((value or "").split()).upper()


# Why a bank account an invoice asks payment to is not the supplier's (yet).
UNTRUSTED_KINDS = ("new", "archived", "untrusted")


def untrusted_accounts(numbers, accounts):
    """The accounts of ``numbers`` (sanitized, in the document's order) that no
    person trusted for this supplier, as ``[(number, kind)]`` (UNTRUSTED_KINDS).

    ``accounts``: the supplier's recorded accounts, ``{number: (active,
    trusted)}``, ``trusted`` being Odoo's ``allow_out_payment``. An account
    counts as known only when it is active and a person trusted it: one the
    import itself recorded, or one a person archived, confirms nothing.
    """
    found = []
    for number in dict.fromkeys(n for n in numbers if n):
        if number not in accounts:
            found.append((number, "new"))
        elif not accounts[number][0]:
            found.append((number, "archived"))
        elif not accounts[number][1]:
            found.append((number, "untrusted"))
    return found
