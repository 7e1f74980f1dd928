"""The conversion robot's pure half: read a PDF invoice's text in a bounded
child process, and find the invoice's fields in it.

``read`` runs pdfplumber (pdfminer.six) in a child process of its own, with
limits on size, pages, wall time, CPU time and memory: a hostile PDF (a
compression bomb, a page-count bomb, a broken cross-reference table, a
password) ends as ``Unreadable`` with its kind, never as a stuck or bloated
Odoo worker. ``find`` is a pure function from that text (and the anchors
learned for one supplier) to ``Found`` fields with a confidence each; it
guesses nothing silently: what it did not find is absent, what it derived
says so. No ORM here.

Run as a script, this file is the child: the PDF on stdin, JSON on stdout.
"""

import dataclasses
import datetime
import hashlib
import json
import os
import re
import subprocess
import sys
from collections import OrderedDict

# --------------------------------------------------
# Reading: the bounded child process
# --------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Limits:
    max_bytes: int = 10 * 1024 * 1024
    max_pages: int = 30
    seconds: float = 10.0
    memory: int = 512 * 1024 * 1024  # address space of the child, bytes


UNREADABLE_KINDS = (
    "too_large",
    "too_many_pages",
    "encrypted",
    "damaged",
    "too_slow",
    "too_complex",
)


class Unreadable(Exception):  # noqa: N818 - a verdict, not a programming error
    """A PDF the robot will not read; ``kind`` is one of UNREADABLE_KINDS."""

    def __init__(self, kind, detail=""):
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind
        self.detail = detail


@dataclasses.dataclass(frozen=True)
class Word:
    x0: float
    x1: float
    text: str


@dataclasses.dataclass(frozen=True)
class Line:
    page: int
    top: float
    words: tuple

    @property
    def text(self):
        return " ".join(word.text for word in self.words)


@dataclasses.dataclass(frozen=True)
class Text:
    pages: int
    lines: tuple

    @property
    def has_text(self):
        return any(any(c.isalnum() for c in line.text) for line in self.lines)

    def to_json(self):
        return {
            "pages": self.pages,
            "lines": [
                [line.page, line.top, [[w.x0, w.x1, w.text] for w in line.words]]
                for line in self.lines
            ],
        }

    @classmethod
    def from_json(cls, data):
        return cls(
            pages=data.get("pages", 0),
            lines=tuple(
                Line(page, top, tuple(Word(x0, x1, text) for x0, x1, text in words))
                for page, top, words in data.get("lines", ())
            ),
        )


_CACHE = OrderedDict()  # sha256 -> Text or Unreadable, per process
_CACHE_SIZE = 16


def read(raw, limits=Limits()):
    """The text of a PDF, read within ``limits``; raises ``Unreadable``.
    A result is cached per content, so the gateway's check and Odoo's
    import of the same PDF read it once."""
    key = hashlib.sha256(raw).hexdigest()
    if key in _CACHE:
        _CACHE.move_to_end(key)
        result = _CACHE[key]
    else:
        result = _read(raw, limits)
        _CACHE[key] = result
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    if isinstance(result, Unreadable):
        raise result
    return result


def _read(raw, limits):
    if len(raw) > limits.max_bytes:
        return Unreadable("too_large", f"{len(raw)} bytes")
    if not raw.lstrip()[:5] == b"%PDF-":
        return Unreadable("damaged", "no PDF header")
    args = [
        sys.executable,
        "-I",
        os.path.abspath(__file__),
        str(limits.max_pages),
        str(int(limits.seconds) + 1),
        str(limits.memory),
    ]
    try:
        done = subprocess.run(  # noqa: S603 - our own script, no shell
            args, input=raw, capture_output=True, timeout=limits.seconds, check=False
        )
    except subprocess.TimeoutExpired:
        return Unreadable("too_slow", f"more than {limits.seconds:g} s")
    if done.returncode != 0:
        # killed by the CPU limit, or out of memory: both mean "too much work"
        return Unreadable("too_complex", done.stderr.decode(errors="replace")[-200:])
    try:
        data = json.loads(done.stdout)
    except ValueError:
        return Unreadable("damaged", "no result")
    if data.get("problem"):
        return Unreadable(data["problem"], data.get("detail", ""))
    return Text.from_json(data)


def _child(max_pages, cpu_seconds, memory):  # pragma: no cover - runs in the child
    """Read the PDF on stdin within the limits; write the lines or the problem as JSON."""
    import io  # noqa: PLC0415
    import logging  # noqa: PLC0415
    import resource  # noqa: PLC0415

    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
    logging.disable(logging.CRITICAL)  # pdfminer warns on every damaged object
    import pdfplumber  # noqa: PLC0415

    try:
        with pdfplumber.open(io.BytesIO(sys.stdin.buffer.read())) as pdf:
            pages = pdf.pages
            declared = _declared_pages(pdf.doc.catalog)
            if max(declared, len(pages)) > max_pages:
                result = {"problem": "too_many_pages", "detail": str(max(declared, len(pages)))}
            elif not pages:
                result = {"problem": "damaged", "detail": "no pages"}
            else:
                lines = []
                for number, page in enumerate(pages, 1):
                    words = page.extract_words(x_tolerance=1.5, y_tolerance=2)
                    lines.extend([number, *line] for line in _group_lines(words))
                    page.close()
                result = {"pages": len(pages), "lines": lines}
    except MemoryError:
        raise  # the parent sees a failed child: too complex
    except Exception as error:  # noqa: BLE001 - any parser failure is a verdict
        result = _problem(error)
    sys.stdout.write(json.dumps(result))
    sys.stdout.flush()


def _problem(error):  # pragma: no cover - runs in the child
    """The verdict on a parser's exception (pdfplumber wraps pdfminer's)."""
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect  # noqa: PLC0415

    cause = error.__cause__ or error.__context__ or (error.args or [error])[0]
    if isinstance(cause, PDFPasswordIncorrect | PDFEncryptionError):
        return {"problem": "encrypted"}
    if isinstance(cause, MemoryError) or "allocate" in str(cause):
        return {"problem": "too_complex", "detail": str(cause)[:200]}
    return {"problem": "damaged", "detail": str(cause)[:200]}


def _declared_pages(catalog):  # pragma: no cover - runs in the child
    """The page count the page tree declares (a tree may list one page
    object 100 000 times)."""
    from pdfminer.pdftypes import resolve1  # noqa: PLC0415

    try:
        return int(resolve1(resolve1(catalog.get("Pages") or {}).get("Count") or 0))
    except Exception:  # noqa: BLE001
        return 0


def _group_lines(words):
    """Words (pdfplumber dicts) into lines: same baseline, left to right."""
    rows = []
    for word in sorted(words, key=lambda w: (round(w["top"]), w["x0"])):
        if rows and abs(rows[-1][0] - word["top"]) <= 2.5:
            rows[-1][1].append(word)
        else:
            rows.append([word["top"], [word]])
    return [
        [
            round(top, 1),
            [
                [round(w["x0"], 1), round(w["x1"], 1), w["text"]]
                for w in sorted(ws, key=lambda w: w["x0"])
            ],
        ]
        for top, ws in rows
    ]


# --------------------------------------------------
# Reading values: amounts, dates, identifiers
# --------------------------------------------------

_AMOUNT = re.compile(
    r"(?<![\w.,])[-−]?\(?"  # a sign, or an opening parenthesis
    r"(?:\d{1,3}(?:[.,' \u00a0\u202f]\d{3})+|\d+)"  # the units, grouped by thousands or not
    r"(?:[.,]\d{2})\)?(?![\w%]|[.,]\d)"  # two decimals; not a percentage
)
_PERCENT = re.compile(r"(\d{1,2}(?:[.,]\d{1,2})?)\s?%")


def parse_amount(token):
    """``1.234,56``, ``1,234.56``, ``1 234,56``, ``(12.00)``, ``-5,00`` -> float;
    the last separator followed by two digits is the decimal one."""
    token = token.strip()
    negative = token.startswith(("-", "−", "(")) or token.endswith(")")
    digits = token.strip("-−() ")
    if len(digits) < 4 or digits[-3] not in ".,":
        return None
    whole, decimals = digits[:-3], digits[-2:]
    whole = re.sub(r"[.,' \u00a0\u202f]", "", whole)
    if not whole.isdigit() or not decimals.isdigit():
        return None
    value = float(f"{whole}.{decimals}")
    return -value if negative else value


def amounts(text):
    """The amounts written in a text (with two decimals), in order."""
    found = []
    for match in _AMOUNT.finditer(text):
        value = parse_amount(match.group())
        if value is not None:
            found.append(value)
    return found


_MONTHS = {
    # en
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
    "sept": 9, "oct": 10, "nov": 11, "dec": 12,
    # nl
    "januari": 1, "februari": 2, "maart": 3, "mei": 5, "juni": 6, "juli": 7,
    "augustus": 8, "oktober": 10, "mrt": 3, "okt": 10,
    # de
    "januar": 1, "februar": 2, "märz": 3, "maerz": 3, "mai": 5, "dezember": 12, "mär": 3,
    "mrz": 3, "dez": 12,
    # fr
    "janvier": 1, "février": 2, "fevrier": 2, "mars": 3, "avril": 4, "juin": 6,
    "juillet": 7, "août": 8, "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11,
    "décembre": 12, "decembre": 12, "janv": 1, "févr": 2, "fevr": 2, "avr": 4,
    "juil": 7, "déc": 12,
}  # fmt: skip
_MONTH_NAMES = "|".join(sorted(map(re.escape, _MONTHS), key=len, reverse=True))
_DATE_ISO = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
_DATE_NUM = re.compile(r"(?<![\d.,/-])(\d{1,2})([-./])(\d{1,2})\2(\d{4}|\d{2})(?![\d,]|\.\d)")
_DATE_DMY = re.compile(rf"(?<!\d)(\d{{1,2}})\.?\s+({_MONTH_NAMES})\.?\s+(\d{{4}})", re.I)
_DATE_MDY = re.compile(rf"\b({_MONTH_NAMES})\.?\s+(\d{{1,2}}),?\s+(\d{{4}})", re.I)


def dates(text, month_first=False):
    """The dates written in a text, as ``(date, ambiguous)`` in order.
    Numeric dates are read day first, or month first on a document that
    writes amounts the American way and dates with slashes."""
    found = []
    for match in _DATE_ISO.finditer(text):
        found.append((match.start(), _date(int(match[1]), int(match[2]), int(match[3])), False))
    for match in _DATE_NUM.finditer(text):
        first, sep, second, year = int(match[1]), match[2], int(match[3]), int(match[4])
        year += 2000 if year < 100 else 0
        day, month = (second, first) if month_first and sep == "/" else (first, second)
        ambiguous = first <= 12 and second <= 12 and first != second
        value = _date(year, month, day) or _date(year, day, month)
        found.append((match.start(), value, ambiguous))
    for match in _DATE_DMY.finditer(text):
        value = _date(int(match[3]), _MONTHS[match[2].lower()], int(match[1]))
        found.append((match.start(), value, False))
    for match in _DATE_MDY.finditer(text):
        value = _date(int(match[3]), _MONTHS[match[1].lower()], int(match[2]))
        found.append((match.start(), value, False))
    return [(value, ambiguous) for _start, value, ambiguous in sorted(found) if value]


def _date(year, month, day):
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return None


def _vat_numbers(text):
    from stdnum.eu import vat  # noqa: PLC0415 - Odoo's own dependency

    found = []
    for match in re.finditer(r"\b([A-Z]{2})[ .]?(\d[\dA-Z .]{6,16}[\dA-Z])", text):
        candidate = re.sub(r"[ .]", "", match[1] + match[2])
        for end in range(len(candidate), 7, -1):  # a trailing word may be glued on
            if vat.is_valid(candidate[:end]):
                found.append(vat.compact(candidate[:end]))
                break
    return list(dict.fromkeys(found))


def _ibans(text):
    """IBANs by their ISO 7064 check digits (stdnum's; its country table is a
    data file that Odoo's import hook hides from ``stdnum.iban``)."""
    from stdnum.iso7064 import mod_97_10  # noqa: PLC0415

    found = []
    for match in re.finditer(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b", text):
        number = match.group().replace(" ", "")
        if 15 <= len(number) <= 34 and mod_97_10.is_valid(number[4:] + number[:4]):
            found.append(number)
    return list(dict.fromkeys(found))


# --------------------------------------------------
# Finding fields: labels in four languages, and learned anchors
# --------------------------------------------------

FIELDS = (
    "number",
    "date",
    "due_date",
    "currency",
    "total",
    "untaxed",
    "tax",
    "vat",
    "coc",
    "iban",
    "order_ref",
)
AMOUNT_FIELDS = ("total", "untaxed", "tax")
# What the corpus measures: number, dates, currency, totals, VAT number, IBAN.
SUMMARY = ("number", "date", "due_date", "currency", "total", "untaxed", "tax", "vat", "iban")
USUAL_TERMS = frozenset({0, 7, 8, 10, 14, 15, 20, 21, 28, 30, 31, 45, 60, 90})
DATE_FIELDS = ("date", "due_date")

# Labels, strongest first; matched case-insensitively at a word start.
LABELS = {
    "number": [
        r"invoice\s*(?:number|no\.?|nr\.?|#)",
        r"factuur\s*(?:nummer|nr\.?|no\.?)",
        r"factuurnummer",
        r"rechnungs?\s*-?\s*(?:nummer|nr\.?|no\.?)",
        r"rechnungsnummer",
        r"(?:num[ée]ro|n[°o]\.?)\s*de\s*(?:la\s*)?facture",
        r"facture\s*(?:n[°o]\.?|num[ée]ro)",
        r"credit\s*note\s*(?:number|no\.?)?",
        r"creditnota\s*(?:nummer|nr\.?)?",
        r"invoice",
        r"factuur",
        r"rechnung",
        r"facture",
    ],
    "due_date": [
        r"due\s*date",
        r"payment\s*due(?:\s*date)?",
        r"pay(?:able)?\s*by",
        r"vervaldatum",
        r"uiterste\s*betaaldatum",
        r"te\s*betalen\s*voor",
        r"f[äa]llig(?:keitsdatum|\s*am)?",
        r"zahlbar\s*bis",
        r"zahlungsziel",
        r"date\s*d'[ée]ch[ée]ance",
        r"[ée]ch[ée]ance",
        r"[àa]\s*payer\s*avant\s*le",
    ],
    "date": [
        r"invoice\s*date",
        r"date\s*of\s*invoice",
        r"factuurdatum",
        r"rechnungsdatum",
        r"date\s*de\s*(?:la\s*)?facture",
        r"date\s*d'[ée]mission",
        r"datum",
        r"date",
    ],
    "untaxed": [
        r"total\s*(?:excl\.?|excluding|before|without)\s*(?:vat|tax)",
        r"untaxed\s*amount",
        r"sub\s*-?total",
        r"net\s*(?:amount|total)",
        r"totaal\s*excl\.?\s*btw",
        r"excl\.?\s*btw",
        r"subtotaal",
        r"bedrag\s*excl\.?\s*btw",
        r"summe\s*netto",
        r"netto\s*(?:betrag|summe)",
        r"nettobetrag",
        r"gesamt\s*netto",
        r"zwischensumme",
        r"total\s*h\.?t\.?",
        r"montant\s*h\.?t\.?",
        r"sous\s*-?total",
    ],
    "tax": [
        r"total\s*(?:vat|tax)",
        r"(?:vat|tax)\s*(?:total|amount)",
        r"totaal\s*btw",
        r"btw\s*(?:totaal|bedrag)",
        r"summe\s*(?:mwst|ust)",
        r"mwst\.?\s*gesamt",
        r"total\s*tva",
        r"montant\s*(?:de\s*la\s*)?tva",
    ],
    "total": [
        r"total\s*(?:incl\.?|including|inc\.?)\s*(?:vat|tax)",
        r"total\s*(?:amount\s*)?due",
        r"amount\s*due",
        r"balance\s*due",
        r"grand\s*total",
        r"totaal\s*incl\.?\s*btw",
        r"totaalbedrag",
        r"te\s*betalen",
        r"gesamtbetrag",
        r"rechnungsbetrag",
        r"summe\s*brutto",
        r"bruttobetrag",
        r"endbetrag",
        r"total\s*t\.?t\.?c\.?",
        r"montant\s*t\.?t\.?c\.?",
        r"net\s*[àa]\s*payer",
        r"montant\s*d[uû]",
        r"total",
        r"totaal",
        r"summe",
    ],
    "coc": [
        r"k\.?v\.?k\.?(?:\s*-?\s*nummer|\s*nr\.?)?",
        r"chamber\s*of\s*commerce(?:\s*(?:no\.?|number))?",
        r"coc(?:\s*(?:no\.?|number))?",
        r"company\s*(?:registration\s*)?(?:no\.?|number)",
        r"handelsregister(?:nummer)?",
        r"hrb",
        r"siren",
        r"siret",
        r"rcs(?:\s*[a-zé]+)?",
    ],
    "order_ref": [
        r"purchase\s*order(?:\s*(?:number|no\.?))?",
        r"(?:your\s*)?order\s*(?:number|no\.?|ref(?:erence)?\.?)",
        r"po\s*(?:number|no\.?|#)",
        r"your\s*ref(?:erence|\.)?",
        r"inkooporder(?:nummer)?",
        r"bestelnummer",
        r"uw\s*(?:referentie|kenmerk|ref\.?)",
        r"bestellnummer",
        r"ihre\s*bestellung(?:\s*nr\.?)?",
        r"ihr\s*zeichen",
        r"bon\s*de\s*commande",
        r"votre\s*r[ée]f(?:[ée]rence|\.)?",
        r"r[ée]f[ée]rence\s*commande",
    ],
}
_TAX_RATE_LINE = re.compile(
    r"\b(?:vat|btw|mwst|ust|umsatzsteuer|mehrwertsteuer|tva|tax)\b", re.IGNORECASE
)
_COMPILED = {
    field: [re.compile(rf"(?<![\w]){label}(?![\w])\s*[:#.]?", re.IGNORECASE) for label in labels]
    for field, labels in LABELS.items()
}
_CURRENCIES = ("EUR", "USD", "GBP", "CHF", "SEK", "DKK", "NOK", "PLN", "CZK", "HUF", "RON")
_SYMBOLS = {"€": "EUR", "£": "GBP", "$": "USD"}


# How a value was found, for the bookkeeper (the caller words and translates them).
HOW = (
    "label",  # after or under a label of the four languages (detail: the label)
    "learned",  # by this supplier's learned anchor (detail: its label)
    "adds_up",  # the totals add up: excl. VAT + VAT = incl. VAT
    "vat_lines",  # the sum of the VAT lines
    "total_minus_untaxed",
    "total_minus_tax",
    "untaxed_plus_tax",
    "days",  # the invoice date plus a payment term (detail: the days)
    "order",  # dates read month or day first by the due date (detail: month_first, day_first)
    "code",  # a currency code (detail: the code)
    "symbol",  # a currency symbol
    "check_digits",  # an IBAN by its check digits
)


@dataclasses.dataclass(frozen=True)
class Found:
    value: object
    confidence: str  # high, medium, low
    how: tuple  # ((kind, detail), ...): label "X", learned "X", adds_up, derived, ... (HOW)


@dataclasses.dataclass(frozen=True)
class Anchor:
    """How to find one field on one supplier's PDFs: the label before the
    value on its line (``right``) or above it (``below``)."""

    field: str
    label: str
    position: str = "right"


@dataclasses.dataclass(frozen=True)
class Invoice:
    fields: dict  # name -> Found
    rates: tuple  # ((rate, base or None, tax), ...)
    vat_numbers: tuple
    ibans: tuple

    def value(self, name):
        found = self.fields.get(name)
        return found.value if found else None

    def summary(self, own_vat=""):
        """The main fields as plain values (dates in ISO), ``vat`` being the
        first VAT number that is not ``own_vat``: how a corpus states them."""
        values = {name: self.value(name) for name in SUMMARY if name != "vat"}
        values["vat"] = next((v for v in self.vat_numbers if v != own_vat), None)
        for name in DATE_FIELDS:
            if values[name]:
                values[name] = values[name].isoformat()
        return values


def _parse(field, text, month_first=False):
    """The value of ``field`` at the start of ``text`` (what follows a label)."""
    if field in AMOUNT_FIELDS:
        found = amounts(text)
        return found[-1] if found else None
    if field in DATE_FIELDS:
        found = dates(text, month_first)
        return found[0][0] if found else None
    token = re.match(r"\s*(?:[:#.]\s*)?([A-Za-z0-9][\w\-/.]*\d[\w\-/.]*|\d[\w\-/.]*)", text)
    if not token:
        return None
    value = token[1].rstrip(".")
    if field != "coc" and (dates(value) or _AMOUNT.fullmatch(value)):
        return None
    return value


def _label_spans(line, label_re):
    """Matches of a label on a line, with the x-range of its words."""
    text, starts, position = line.text, [], 0
    for word in line.words:
        starts.append(position)
        position += len(word.text) + 1
    for match in label_re.finditer(text):
        words = [
            w for w, s in zip(line.words, starts, strict=True)
            if s < match.end() and s + len(w.text) > match.start()
        ]  # fmt: skip
        if words:
            yield match, (words[0].x0, words[-1].x1)


def _below(lines, index, span):
    """The words under a label's x-range on the next lines of its page."""
    line = lines[index]
    for other in lines[index + 1 : index + 4]:
        if other.page != line.page:
            return ""
        words = [w for w in other.words if w.x0 < span[1] + 2 and w.x1 > span[0] - 2]
        if words:
            return " ".join(w.text for w in words)
    return ""


def _by_label(lines, field, label_re, month_first, taken):
    for index, line in enumerate(lines):
        if (index, field) in taken:
            continue
        for match, span in _label_spans(line, label_re):
            rest = line.text[match.end() :]
            value = _parse(field, rest, month_first)
            if field in AMOUNT_FIELDS and value is not None and _PERCENT.search(rest):
                continue  # "VAT 21% over 100.00": a rate line, read apart
            if value is None:
                value = _parse(field, _below(lines, index, span), month_first)
                if value is None:
                    continue
            return index, value, match.group().strip(" :#.")
    return None


def find(text, anchors=()):
    """The invoice fields in ``text`` (a ``Text``); learned ``anchors`` first."""
    lines = text.lines
    full = "\n".join(line.text for line in lines)
    month_first = _month_first(full)
    fields, taken = _anchored(lines, anchors, bool(month_first))
    _labelled(lines, fields, taken, bool(month_first), undecided=month_first is None)
    if month_first is None:
        _settle_date_order(lines, anchors, fields)

    rates = _rates(lines)
    if "tax" not in fields and rates and all(tax is not None for _r, _b, tax in rates):
        fields["tax"] = Found(
            round(sum(tax for _r, _b, tax in rates), 2), "medium", (("vat_lines", ""),)
        )
    _cross_check(fields, rates)

    if "due_date" not in fields and "date" in fields:
        term = re.search(r"(\d{1,3})\s*(?:days|dagen|tage|tagen|jours)\b", full, re.IGNORECASE)
        if term:
            due = fields["date"].value + datetime.timedelta(days=int(term[1]))
            fields["due_date"] = Found(due, "medium", (("days", term[1]),))

    currency = _currency(full)
    if currency:
        fields.setdefault("currency", currency)
    vats = _vat_numbers(full)
    ibans = _ibans(full)
    if ibans:
        fields.setdefault(
            "iban",
            Found(ibans[0], "high" if len(ibans) == 1 else "medium", (("check_digits", ""),)),
        )
    return Invoice(fields=fields, rates=tuple(rates), vat_numbers=tuple(vats), ibans=tuple(ibans))


# The title of a document that travels beside an invoice but is none: a
# delivery note, terms and conditions, an order confirmation, a quotation, a
# reminder or a statement (NL, EN, DE, FR, IT, ES).
_OTHER_TITLE = re.compile(
    r"(?<!\w)(?:delivery\s*note|packing\s*(?:slip|list)|pakbon|afleverbon|lieferschein|"
    r"bon\s*de\s*livraison|bolla|albar[áa]n|"
    r"(?:general\s*)?terms\s*(?:and|&)\s*conditions|algemene\s*(?:leverings)?voorwaarden|"
    r"(?:allgemeine\s*)?gesch[äa]ftsbedingungen|agb|conditions\s*g[ée]n[ée]rales|"
    r"condizioni\s*generali|condiciones\s*generales|"
    r"order\s*confirmation|orderbevestiging|auftragsbest[äa]tigung|"
    r"confirmation\s*de\s*commande|quotation|offerte|angebot|devis|"
    r"payment\s*reminder|betalingsherinnering|zahlungserinnerung|mahnung|"
    r"statement\s*of\s*account|rekeningoverzicht|kontoauszug|relev[ée]\s*de\s*compte)(?!\w)"
    # a field's label on an invoice (Lieferschein-Nr: ..., Delivery note date) is no title
    r"(?!\s*-?\s*(?:nr|no|nummer|number|num[ée]ro|datum|date|#)(?!\w))(?!\s*[:#])",
    re.IGNORECASE,
)
_INVOICE_TITLE = re.compile(
    # Dutch and German compound them (Handelsrechnung, Rechnungs-Korrektur,
    # verkoopfactuur): those stems count inside a word.
    r"rechnung|factuur|gutschrift|faktura|"
    r"(?<!\w)(?:invoice|bill|facture|fattura|factura|credit\s*note|creditnota|avoir|"
    r"nota\s*di\s*credito)(?!\w)",
    re.IGNORECASE,
)
TITLE_LINES = 12  # how far down the first page a document says what it is


def document_kind(text, invoice):
    """What a PDF is: ``invoice``, ``other`` (not an invoice: terms, a delivery
    note...) or None when it cannot tell (a scan without a text layer).

    A title of another kind of document, and none of an invoice, near the top
    of the first page: ``other``. Otherwise an invoice needs a total or a
    number the reader found, or at least the word invoice somewhere."""
    if not text.has_text:
        return None
    first = [line.text for line in text.lines if line.page == 1][:TITLE_LINES]
    head = "\n".join(first)
    if _OTHER_TITLE.search(head) and not _INVOICE_TITLE.search(head):
        return "other"
    if invoice.value("total") is not None or invoice.value("number"):
        return "invoice"
    full = "\n".join(line.text for line in text.lines)
    return "invoice" if _INVOICE_TITLE.search(full) else "other"


def _anchored(lines, anchors, month_first):
    """Fields found by this supplier's learned anchors: certain."""
    fields, taken = {}, set()  # taken: (line index, field), a line that gave a date is no total
    for anchor in anchors:
        if anchor.field not in LABELS:
            continue
        label_re = re.compile(rf"{re.escape(anchor.label)}\s*[:#.]?", re.IGNORECASE)
        for index, line in enumerate(lines):
            spans = list(_label_spans(line, label_re))
            if not spans:
                continue
            match, span = spans[0]
            if anchor.position == "below":
                source = _below(lines, index, span)
            else:
                source = line.text[match.end() :]
            value = _parse(anchor.field, source, month_first)
            if value is not None:
                fields[anchor.field] = Found(value, "high", (("learned", anchor.label),))
                taken.update(_taken(index, anchor.field))
                break
    return fields, taken


def _taken(index, field):
    return (
        [(index, other) for other in AMOUNT_FIELDS] if field in AMOUNT_FIELDS else [(index, field)]
    )


def _labelled(lines, fields, taken, month_first, only=None, undecided=False):
    """Fields found by the labels of the four languages, strongest label first."""
    order = only or ("due_date", "date", "number", "order_ref", "coc", "untaxed", "tax", "total")
    for field in order:
        if field in fields:
            continue
        for strength, label_re in enumerate(_COMPILED[field]):
            hit = _by_label(lines, field, label_re, month_first, taken)
            if hit is None:
                continue
            index, value, label = hit
            due = fields.get("due_date")
            if field == "date" and due and value == due.value:
                continue  # the due date's own line, read under another label
            generic = strength >= len(_COMPILED[field]) - (3 if field == "total" else 2)
            confidence = "medium" if generic else "high"
            if undecided and field in DATE_FIELDS and _ambiguous(lines[index].text):
                confidence = "low"  # 04/06/2026: April or June, and nothing on the page tells
            fields[field] = Found(value, confidence, (("label", label),))
            taken.update(_taken(index, field))
            break


def _settle_date_order(lines, anchors, fields):
    """Dates like 10/06/2026 on a page that does not tell the order: the
    order in which the due date follows the invoice date (by 0 to 120 days)
    is the page's order, when only one order does."""
    plausible = {}
    for month_first in (False, True):
        found, taken = _anchored(lines, [a for a in anchors if a.field in DATE_FIELDS], month_first)
        _labelled(lines, found, taken, month_first, only=("due_date", "date"))
        date, due = found.get("date"), found.get("due_date")
        if date and due and 0 <= (due.value - date.value).days <= 120:
            plausible[month_first] = found
    if len(plausible) == 2:  # both plausible: a usual payment term decides, if only one has it
        usual = {
            order: found
            for order, found in plausible.items()
            if (found["due_date"].value - found["date"].value).days in USUAL_TERMS
        }
        plausible = usual
    if len(plausible) == 1:
        ((order, found),) = plausible.items()
        how = ("order", "month_first" if order else "day_first")
        for field in DATE_FIELDS:
            fields[field] = Found(found[field].value, "medium", (*found[field].how, how))


def _month_first(full):
    """Whether this document writes numeric dates month first (03/12/2026):
    its own unambiguous dates tell; else only an American one (dollars,
    amounts with a decimal point) does."""
    pairs = [(int(a), int(b)) for a, b in re.findall(r"(?<!\d)(\d{1,2})/(\d{1,2})/\d{4}", full)]
    if any(first > 12 for first, _second in pairs):
        return False
    if any(second > 12 for _first, second in pairs):
        return True
    dot = len(re.findall(r"\d\.\d{2}(?!\d)", full))
    comma = len(re.findall(r"\d,\d{2}(?!\d)", full))
    if pairs and "$" in full and dot > comma:
        return True
    return None if any(a != b for a, b in pairs) else False  # None: the page does not tell


def _ambiguous(text):
    """A date with slashes that reads both ways (04/06/2026); dashes and
    dots are read day first: nobody writes month first with them. Only
    asked on a page whose other dates do not settle the order."""
    return any(int(a) != int(b) for a, b in re.findall(r"(?<!\d)(\d{1,2})/(\d{1,2})/\d{4}", text))


def _rates(lines):
    """VAT per rate: lines naming a tax and a percentage, with their amounts
    after the percentage (base and tax, or the tax alone)."""
    rates = {}
    for line in lines:
        text = line.text
        if not _TAX_RATE_LINE.search(text):
            continue
        percent = _PERCENT.search(text)
        if not percent:
            continue
        rate = float(percent[1].replace(",", "."))
        found = amounts(text[percent.end() :])
        if not found:
            continue
        base, tax = (found[0], found[-1]) if len(found) >= 2 else (None, found[0])
        if rate not in rates:
            rates[rate] = (rate, base, tax)
    return list(rates.values())


def _cross_check(fields, rates):
    """untaxed + VAT = total: all three confirmed, or the missing one derived."""
    total, untaxed, tax = (fields.get(name) for name in AMOUNT_FIELDS)

    def close(a, b):
        return abs(a - b) < 0.015

    if total and untaxed and tax:
        if close(untaxed.value + tax.value, total.value):
            for name in AMOUNT_FIELDS:
                fields[name] = dataclasses.replace(
                    fields[name], confidence="high", how=(*fields[name].how, ("adds_up", ""))
                )
        return
    if total and untaxed and not tax:
        fields["tax"] = Found(
            round(total.value - untaxed.value, 2), "medium", (("total_minus_untaxed", ""),)
        )
    elif total and tax and not untaxed:
        fields["untaxed"] = Found(
            round(total.value - tax.value, 2), "medium", (("total_minus_tax", ""),)
        )
    elif untaxed and tax and not total:
        fields["total"] = Found(
            round(untaxed.value + tax.value, 2), "medium", (("untaxed_plus_tax", ""),)
        )
    elif not total and rates and all(b is not None for _r, b, _t in rates):
        base = sum(b for _r, b, _t in rates)
        vat = sum(t for _r, _b, t in rates)
        fields["untaxed"] = Found(round(base, 2), "medium", (("vat_lines", ""),))
        fields["tax"] = Found(round(vat, 2), "medium", (("vat_lines", ""),))
        fields["total"] = Found(round(base + vat, 2), "medium", (("vat_lines", ""),))


def _currency(full):
    codes = re.findall(rf"\b({'|'.join(_CURRENCIES)})\b", full)
    if codes:
        code = max(set(codes), key=codes.count)
        return Found(code, "high", (("code", code),))
    symbols = [_SYMBOLS[c] for c in full if c in _SYMBOLS]
    if symbols:
        code = max(set(symbols), key=symbols.count)
        return Found(code, "medium" if code == "USD" else "high", (("symbol", ""),))
    return None


# --------------------------------------------------
# Learning: where a corrected value stands in the text
# --------------------------------------------------


def _value_start(field, text, value, month_first=False):
    if field in AMOUNT_FIELDS:
        for match in _AMOUNT.finditer(text):
            parsed = parse_amount(match.group())
            if parsed is not None and abs(abs(parsed) - abs(value)) < 0.005:
                return match.start()
        return None
    if field in DATE_FIELDS:
        for pattern in (_DATE_ISO, _DATE_NUM, _DATE_DMY, _DATE_MDY):
            for match in pattern.finditer(text):
                if any(d == value for d, _a in dates(match.group(), month_first)):
                    return match.start()
        return None
    index = text.lower().find(str(value).lower())
    return index if index >= 0 else None


def learn(text, field, value):
    """The anchor that finds ``value`` for ``field`` in ``text``, or None:
    the words just before it on its line, else the words above it."""
    if value in (None, "", False):
        return None
    month_first = _month_first("\n".join(line.text for line in text.lines))
    lines = text.lines
    for index, line in enumerate(lines):
        start = _value_start(field, line.text, value, month_first)
        if start is None:
            continue
        label = _label_before(line.text[:start])
        if label:
            return Anchor(field, label, "right")
        # the value starts its column: the label above it
        position, x0 = 0, None
        for word in line.words:
            if position + len(word.text) > start:
                x0 = word.x0
                break
            position += len(word.text) + 1
        for above in reversed(lines[max(0, index - 3) : index]):
            if above.page != line.page:
                break
            words = [w for w in above.words if abs(w.x0 - x0) < 3] if x0 is not None else []
            if words:
                first = above.words.index(words[0])
                label_words = []
                for word in above.words[first:]:
                    if label_words and word.x0 - label_words[-1].x1 > 12:
                        break
                    label_words.append(word)
                label = _label_before(" ".join(w.text for w in label_words) + " ")
                if label:
                    return Anchor(field, label, "below")
        return None
    return None


def _label_before(prefix):
    """The last few words before a value, up to the previous value."""
    words = prefix.strip().rstrip(":#").strip().split()
    label = []
    for word in reversed(words):
        if any(c.isdigit() for c in word) or word in _SYMBOLS or word in _CURRENCIES:
            if label:
                break
            continue
        label.insert(0, word)
        if len(label) == 4:
            break
    label = " ".join(label).rstrip(":#").strip()
    return label if len(label) >= 2 else ""


if __name__ == "__main__":  # pragma: no cover - the child process
    _child(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))
