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
    ocr_pages: int = 3  # a scan: the first pages are read by OCR
    ocr_seconds: float = 30.0


UNREADABLE_KINDS = (
    "too_large",
    "too_many_pages",
    "encrypted",
    "damaged",
    "too_slow",
    "too_complex",
)


IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")  # PNG, JPEG, TIFF


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
    ocr: bool = False  # read by OCR from a scan: no field is certain
    hidden: int = 0  # glyphs left out that a reader does not see: no field is certain

    @property
    def has_text(self):
        return any(any(c.isalnum() for c in line.text) for line in self.lines)

    def to_json(self):
        return {
            "pages": self.pages,
            "ocr": self.ocr,
            "hidden": self.hidden,
            "lines": [
                [line.page, line.top, [[w.x0, w.x1, w.text] for w in line.words]]
                for line in self.lines
            ],
        }

    @classmethod
    def from_json(cls, data):
        return cls(
            pages=data.get("pages", 0),
            ocr=bool(data.get("ocr")),
            hidden=int(data.get("hidden") or 0),
            lines=tuple(
                Line(page, top, tuple(Word(x0, x1, text) for x0, x1, text in words))
                for page, top, words in data.get("lines", ())
            ),
        )


_CACHE = OrderedDict()  # (sha256, limits) -> Text or Unreadable, per process
_CACHE_SIZE = 16


def read(raw, limits=Limits()):
    """The text of a PDF, read within ``limits``; raises ``Unreadable``.
    A result is cached per content, so the gateway's check and Odoo's
    import of the same PDF read it once."""
    key = (hashlib.sha256(raw).hexdigest(), limits)
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


_PAGES_NODE = re.compile(
    rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d{1,12})|/Count\s+(\d{1,12})[^>]*?/Type\s*/Pages\b"
)
_ENCRYPTED = re.compile(
    rb"trailer\s*<<[^>]*?/Encrypt\b|/Type\s*/XRef\b[^>]*?/Encrypt\b|/Encrypt\b[^>]*?/Type\s*/XRef\b"
)


def precheck(raw, limits=Limits()):
    """What the gateway can tell of a PDF or picture without parsing it (no
    child, microseconds): ``Unreadable`` when its size, its header, its
    encryption or the page count its page tree declares in plain bytes
    refuses it, else None. The reader itself checks all of these again,
    on what a compressed object stream hides."""
    if len(raw) > limits.max_bytes:
        return Unreadable("too_large", f"{len(raw)} bytes")
    if raw.startswith(IMAGE_MAGIC):
        return None  # a picture's own bounds are Pillow's, in the reader's child
    if not raw.lstrip()[:5] == b"%PDF-":
        return Unreadable("damaged", "no PDF header")
    if _ENCRYPTED.search(raw):
        return Unreadable("encrypted")
    declared = max(
        (int(a or b) for a, b in _PAGES_NODE.findall(raw)),
        default=0,
    )
    if declared > limits.max_pages:
        return Unreadable("too_many_pages", str(declared))
    return None


def _read(raw, limits):
    if refused := precheck(raw, limits):
        return refused
    if raw.startswith(IMAGE_MAGIC):  # a photo or a scan as a picture: OCR only
        return _run_child(raw, "image", limits.ocr_pages, limits.ocr_seconds, limits.memory)
    text = _run_child(raw, "text", limits.max_pages, limits.seconds, limits.memory)
    if isinstance(text, Text) and not text.has_text and limits.ocr_pages:
        # a scan: its first pages through OCR, in a child of its own with its own time
        scanned = _run_child(raw, "ocr", limits.ocr_pages, limits.ocr_seconds, limits.memory)
        if isinstance(scanned, Text) and scanned.has_text:
            return dataclasses.replace(scanned, pages=text.pages, hidden=text.hidden)
    return text


def _run_child(raw, mode, pages, seconds, memory):
    args = [
        sys.executable,
        "-I",
        os.path.abspath(__file__),
        str(pages),
        str(int(seconds) + 1),
        str(memory),
        mode,
    ]
    try:
        done = subprocess.run(  # noqa: S603 - our own script, no shell
            args, input=raw, capture_output=True, timeout=seconds, check=False
        )
    except subprocess.TimeoutExpired:
        return Unreadable("too_slow", f"more than {seconds:g} s")
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


def _child(max_pages, cpu_seconds, memory, mode="text"):  # pragma: no cover - the child
    """Read the PDF on stdin within the limits; write the lines or the problem as JSON."""
    if mode in ("ocr", "image"):
        return _ocr_child(max_pages, cpu_seconds, memory, image=mode == "image")
    import io  # noqa: PLC0415
    import logging  # noqa: PLC0415
    import resource  # noqa: PLC0415

    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
    logging.disable(logging.CRITICAL)  # pdfminer warns on every damaged object
    import pdfplumber  # noqa: PLC0415

    invisible = _drop_invisible_glyphs()
    try:
        with pdfplumber.open(io.BytesIO(sys.stdin.buffer.read())) as pdf:
            pages = pdf.pages
            declared = _declared_pages(pdf.doc.catalog)
            if max(declared, len(pages)) > max_pages:
                result = {"problem": "too_many_pages", "detail": str(max(declared, len(pages)))}
            elif not pages:
                result = {"problem": "damaged", "detail": "no pages"}
            else:
                lines, hidden = [], 0
                for number, page in enumerate(pages, 1):
                    unseen = _unseen_chars(page)
                    overdrawn = _overdrawn_spaces(page.chars)
                    box = _visible_box(page)
                    seen = (
                        page.filter(
                            lambda obj, unseen=unseen, overdrawn=overdrawn: (
                                id(obj) not in unseen and _visible(obj, overdrawn)
                            )
                        )
                        .within_bbox(box)
                        .dedupe_chars()
                    )
                    hidden += len(unseen) + sum(
                        1
                        for char in page.chars
                        if id(char) not in unseen
                        and not char["text"].isspace()
                        and not _inside(char, box)
                    )
                    words = seen.extract_words(x_tolerance=1.5, y_tolerance=2)
                    lines.extend([number, *line] for line in _group_lines(words))
                    page.close()
                hidden += invisible["glyphs"]
                result = {"pages": len(pages), "lines": lines, "hidden": hidden}
    except MemoryError:
        raise  # the parent sees a failed child: too complex
    except Exception as error:  # noqa: BLE001 - any parser failure is a verdict
        result = _problem(error)
    sys.stdout.write(json.dumps(result))
    sys.stdout.flush()


def _visible(obj, hidden):
    """No space drawn over another glyph (``hidden``): some producers draw
    one where the next digit stands. What a reader cannot see at all is
    left out before (``_unseen_chars``, ``_drop_invisible_glyphs``)."""
    if obj.get("object_type") != "char":
        return True
    return not (obj["text"].isspace() and (round(obj["x0"], 1), round(obj["top"], 1)) in hidden)


# Text whose contrast to what lies beneath it is lower than this (WCAG's
# ratio: 1 is none, 21 black on white) is not read: #DDDDDD on white is 1.36,
# the light grey of a footer (#BBBBBB) 1.9. Near-white ink is how a figure
# is hidden from the reader and shown to a machine.
MIN_CONTRAST = 1.5


def _drop_invisible_glyphs():  # pragma: no cover - runs in the child
    """Glyphs drawn in text render mode 3 (invisible: an OCR layer) or 7
    (clip only), or (nearly) transparent, never enter the page's layout: a
    reader does not see them.
    pdfminer knows the mode only while it draws; this child process is ours
    alone, so its layout analyser is extended here. Returns the count."""
    from pdfminer.converter import PDFLayoutAnalyzer  # noqa: PLC0415
    from pdfminer.pdfinterp import PDFGraphicState, PDFPageInterpreter  # noqa: PLC0415
    from pdfminer.pdftypes import resolve1  # noqa: PLC0415

    # The fill opacity (ExtGState /ca), which pdfminer does not track: a shape
    # painted (nearly) transparent hides nothing and is no background.
    copy_state = PDFGraphicState.copy

    def copy(self):
        state = copy_state(self)
        state.fill_alpha = getattr(self, "fill_alpha", 1.0)
        return state

    def do_gs(self, name):
        try:
            states = resolve1(resolve1(self.resources or {}).get("ExtGState") or {})
            alpha = resolve1(resolve1(states.get(getattr(name, "name", name)) or {}).get("ca"))
        except Exception:  # noqa: BLE001 - a damaged state dictionary changes nothing
            alpha = None
        if isinstance(alpha, int | float):
            self.graphicstate.fill_alpha = float(alpha)

    paint = PDFLayoutAnalyzer.paint_path

    def paint_path(self, gstate, stroke, fill, evenodd, path):
        if getattr(gstate, "fill_alpha", 1.0) < 0.5:
            fill = False
        return paint(self, gstate, stroke, fill, evenodd, path)

    PDFGraphicState.copy = copy
    PDFPageInterpreter.do_gs = do_gs
    PDFLayoutAnalyzer.paint_path = paint_path

    counted = {"glyphs": 0}
    draw_string, draw_char = PDFLayoutAnalyzer.render_string, PDFLayoutAnalyzer.render_char

    def render_string(self, textstate, seq, ncs, graphicstate):
        self._email_receiver_invisible = (
            textstate.render in (3, 7) or getattr(graphicstate, "fill_alpha", 1.0) < 0.2
        )
        return draw_string(self, textstate, seq, ncs, graphicstate)

    def render_char(self, *args, **kwargs):
        advance = draw_char(self, *args, **kwargs)
        if getattr(self, "_email_receiver_invisible", False):
            glyph = self.cur_item._objs.pop()
            counted["glyphs"] += not glyph.get_text().isspace()
        return advance

    PDFLayoutAnalyzer.render_string = render_string
    PDFLayoutAnalyzer.render_char = render_char
    return counted


def _luminance(color):
    """The relative luminance (0 black, 1 white) of a fill colour as pdfminer
    gives it (DeviceGray, DeviceRGB, DeviceCMYK), or None when unknown (a
    pattern, a separation)."""
    if not isinstance(color, list | tuple) or not all(isinstance(c, int | float) for c in color):
        return None
    if len(color) == 1:
        rgb = (color[0],) * 3
    elif len(color) == 3:
        rgb = color
    elif len(color) == 4:
        c, m, y, k = color
        rgb = ((1 - c) * (1 - k), (1 - m) * (1 - k), (1 - y) * (1 - k))
    else:
        return None
    rgb = [min(max(float(v), 0.0), 1.0) for v in rgb]
    linear = [v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4 for v in rgb]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(ink, ground):
    """WCAG's contrast ratio of two luminances."""
    light, dark = max(ink, ground), min(ink, ground)
    return (light + 0.05) / (dark + 0.05)


def _unseen_chars(page):  # pragma: no cover - runs in the child
    """The ``id`` of each glyph of ``page.chars`` a reader does not see: one
    covered by a filled shape or a picture drawn after it, or whose ink is
    too close to what lies beneath it (the page's white, or a shape drawn
    before it). The page's objects are walked in drawing order, as pdfplumber
    lists its characters."""
    from pdfminer.layout import LTChar, LTContainer, LTCurve, LTImage  # noqa: PLC0415

    glyphs, shapes = [], []  # (order, object); shapes: (order, bbox, luminance or None)

    def walk(objects):
        for obj in objects:
            if isinstance(obj, LTChar):
                glyphs.append((len(glyphs) + len(shapes), obj))
            elif isinstance(obj, LTImage):
                shapes.append((len(glyphs) + len(shapes), obj.bbox, None))
            elif isinstance(obj, LTCurve) and obj.fill:
                ground = _luminance(obj.non_stroking_color)
                shapes.append(
                    (len(glyphs) + len(shapes), obj.bbox, ground if ground is not None else -1)
                )
            if isinstance(obj, LTContainer):
                walk(obj._objs)

    walk(page.layout._objs)
    unseen = set()
    for (order, glyph), char in zip(glyphs, page.chars, strict=False):
        if glyph.get_text().isspace():
            continue
        x, y = (glyph.x0 + glyph.x1) / 2, (glyph.y0 + glyph.y1) / 2
        beneath = 1.0  # the page
        for at, (x0, y0, x1, y1), ground in shapes:
            if not (x0 <= x <= x1 and y0 <= y <= y1):
                continue
            if at > order:
                unseen.add(id(char))  # drawn over it
                break
            beneath = ground  # None: a picture, -1: a colour we cannot tell
        else:
            ink = _luminance(char.get("non_stroking_color"))
            if (
                ink is not None
                and beneath is not None
                and beneath >= 0
                and contrast(ink, beneath) < MIN_CONTRAST
            ):
                unseen.add(id(char))
    return unseen


def _visible_box(page):  # pragma: no cover - runs in the child
    """What a viewer shows of the page: its crop box, within the page."""
    x0, top, x1, bottom = page.cropbox
    px0, ptop, px1, pbottom = page.bbox
    box = (max(x0, px0), max(top, ptop), min(x1, px1), min(bottom, pbottom))
    return box if box[0] < box[2] and box[1] < box[3] else page.bbox


def _inside(char, box):
    return (
        char["x0"] >= box[0]
        and char["top"] >= box[1]
        and char["x1"] <= box[2]
        and char["bottom"] <= box[3]
    )


def _overdrawn_spaces(chars):
    """Space glyphs that another glyph covers: some producers draw a space
    where the next digit stands, which would split "471102" into "4 71102"."""
    glyphs = {}
    for char in chars:
        if not char["text"].isspace():
            glyphs.setdefault(round(char["top"]), []).append(char)
    hidden = set()
    for char in chars:
        if not char["text"].isspace():
            continue
        width = max(char["x1"] - char["x0"], 0.1)
        for other in glyphs.get(round(char["top"]), ()):
            overlap = min(char["x1"], other["x1"]) - max(char["x0"], other["x0"])
            if overlap > width / 2:
                hidden.add((round(char["x0"], 1), round(char["top"], 1)))
                break
    return hidden


OCR_LANGUAGES = "nld+deu+fra+eng"
OCR_DPI = 300


def _ocr_child(max_pages, cpu_seconds, memory, image=False):  # pragma: no cover - the child
    """The first ``max_pages`` pages of a scanned PDF, rendered (pypdfium2),
    or of a picture (Pillow; a TIFF's frames), read by Tesseract
    (pytesseract), as lines of words in PDF points."""
    import resource  # noqa: PLC0415

    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
    # one thread: Tesseract's OpenMP threads fight over a small machine's cores
    # (7.8 s a page with them on 2 cores, 1.7 s without)
    os.environ["OMP_THREAD_LIMIT"] = "1"
    raw = sys.stdin.buffer.read()
    try:
        lines, count = [], 0
        for number, page, scale in _ocr_pages(raw, image, max_pages):
            count = max(count, number)
            words = _ocr_words(page, scale, cpu_seconds)
            lines.extend([number, *line] for line in _group_lines(words))
            page.close()
        result = {"pages": count, "lines": lines, "ocr": True}
    except MemoryError:
        raise
    except Exception as error:  # noqa: BLE001 - no OCR engine, or a broken page: no text
        result = {"pages": 0, "lines": [], "ocr": True, "detail": str(error)[:200]}
    sys.stdout.write(json.dumps(result))
    sys.stdout.flush()


def _ocr_pages(raw, image, max_pages):  # pragma: no cover - runs in the child
    """(page number, Pillow image, points per pixel) of a scan's first pages."""
    import io  # noqa: PLC0415

    if image:
        from PIL import Image, ImageSequence  # noqa: PLC0415

        picture = Image.open(io.BytesIO(raw))  # Pillow refuses a decompression bomb
        dpi = picture.info.get("dpi", (OCR_DPI, OCR_DPI))[0] or OCR_DPI
        for number, frame in enumerate(ImageSequence.Iterator(picture), 1):
            if number > max_pages:
                break
            yield number, frame.convert("L"), 72 / float(dpi)
        return
    import pypdfium2  # noqa: PLC0415

    pdf = pypdfium2.PdfDocument(raw)
    for number in range(min(len(pdf), max_pages)):
        yield number + 1, pdf[number].render(scale=OCR_DPI / 72).to_pil(), 72 / OCR_DPI


def _ocr_words(image, scale, seconds):  # pragma: no cover - runs in the child
    """Tesseract's words of an image, as pdfplumber-like dicts in points."""
    import pytesseract  # noqa: PLC0415

    data = pytesseract.image_to_data(
        image, lang=OCR_LANGUAGES, output_type=pytesseract.Output.DICT, timeout=seconds
    )
    words = []
    for index, text in enumerate(data["text"]):
        text = text.strip()
        if not text or float(data["conf"][index]) < 30:
            continue
        left, top, width = data["left"][index], data["top"][index], data["width"][index]
        words.append(
            {"x0": left * scale, "x1": (left + width) * scale, "top": top * scale, "text": text}
        )
    return words


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


# A whole amount counts only behind its currency: "Rs 1939", "€ 50", "$120".
_CURRENCY_WHOLE = re.compile(
    r"(?:(?<!\w)(?:rs\.?|inr|eur|usd|gbp|chf)\s?|[₹€$£]\s?)"
    r"(\d{1,3}(?:[.,'\u00a0\u202f]\d{3})+|\d+)(?![.,]?\d)(?![\w%])",
    re.IGNORECASE,
)


def amounts(text):
    """The amounts written in a text, in order: with two decimals, or whole
    behind a currency."""
    found = []
    for match in _AMOUNT.finditer(text):
        value = parse_amount(match.group())
        if value is not None:
            found.append((match.start(), value))
    for match in _CURRENCY_WHOLE.finditer(text):
        found.append((match.start(1), float(re.sub(r"\D", "", match[1]))))
    return [value for _start, value in sorted(found)]


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
_DATE_NUM = re.compile(r"(?<![\d.,/-])(\d{1,2})([-./])(\d{1,2})\2(\d{4}|\d{2})(?!\d|[.,]\d)")
_DATE_DMY = re.compile(rf"(?<!\d)(\d{{1,2}})\.?\s+({_MONTH_NAMES})\.?\s+(\d{{4}})", re.I)
_DATE_MDY = re.compile(rf"\b({_MONTH_NAMES})\.?\s+(\d{{1,2}})\s*,?\s+(\d{{4}})", re.I)


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
    # Groups of four as people write them: spaces (also non-breaking and
    # thin ones), dashes or dots, one between two groups.
    sep = "[ \u00a0\u2009\u202f.\\-]?"
    pattern = rf"\b[A-Z]{{2}}\d{{2}}(?:{sep}[A-Z0-9]{{4}}){{2,7}}(?:{sep}[A-Z0-9]{{1,3}})?\b"
    for match in re.finditer(pattern, text):
        number = re.sub(r"[^A-Z0-9]", "", match.group())
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
        r"rechnungs?\s*-?\s*nummer",
        r"beleg\s*-?\s*(?:nr\.?|nummer)",
        r"n[°o]\s*(?:de\s*)?facture",
        r"num[ée]ro\s*de\s*facture",
        r"numero\s*(?:di\s*)?fattura",
        r"n[úu]mero\s*de\s*factura",
        r"credit\s*note\s*(?:number|no\.?|#)",
        r"gutschrift(?:s)?\s*-?\s*(?:nummer|nr\.?)",
        r"avoir\s*(?:n[°o]\.?|num[ée]ro)",
        r"factuur\s*(?:nummer|nr\.?|no\.?)",
        r"factuurnummer",
        r"rechnungs?\s*-?\s*(?:nummer|nr\.?|no\.?)",
        r"rechnungsnummer",
        r"(?:num[ée]ro|n[°o]\.?)\s*de\s*(?:la\s*)?facture",
        r"facture\s*(?:n[°o]\.?|num[ée]ro)",
        r"credit\s*note\s*(?:number|no\.?)?",
        r"creditnota\s*(?:nummer|nr\.?)?",
        # generic: the word alone, never a date's label ("Factuur datum")
        r"invoice(?!\s*date)",
        r"factuur(?!\s*datum)",
        r"rechnung(?!s?\s*datum)",
        r"facture(?!\s*date)",
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
        r"(?:bitte\s*)?(?:überweisen|zahlen)\s*sie\s*(?:den\s*betrag\s*)?bis\s*(?:zum)?",
        r"please\s*(?:remit|pay)\s*(?:until|by|before)",
        r"netto\s*bis",
        r"scadenza",
        r"vencimiento",
    ],
    "date": [
        r"invoice\s*date",
        r"date\s*of\s*invoice",
        r"factuurdatum",
        r"rechnungsdatum",
        r"date\s*de\s*(?:la\s*)?facture",
        r"date\s*d'[ée]mission",
        r"data\s*(?:della\s*)?fattura",
        r"fecha\s*(?:de\s*(?:la\s*)?)?factura",
        r"belegdatum",
        r"issue\s*date",
        r"date\s*of\s*issue",
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
# How many of a field's labels (the last ones) are generic: what they find is
# at most "medium".
GENERIC_LABELS = {"number": 4}
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
    credit_note: bool = False
    items: tuple = ()  # ((rate, amount), ...) of the item lines that state a rate

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


def _header_row(line):
    """A row of column headers: three words or more, and no value among them."""
    return len(line.words) >= 3 and not any(c.isdigit() for c in line.text)


def _by_label(lines, field, label_re, month_first, taken, generic=False):
    """The first value after (or, for a specific label, under) the label."""
    for index, line in enumerate(lines):
        if (index, field) in taken:
            continue
        for match, span in _label_spans(line, label_re):
            rest = line.text[match.end() :]
            value = _parse(field, rest, month_first)
            if field in AMOUNT_FIELDS and value is not None and _PERCENT.search(rest):
                continue  # "VAT 21% over 100.00": a rate line, read apart
            if value is None and (not generic or _header_row(line)):
                # a lone "Factuur" heads no column, but one in a row of headers does
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

    _titled(lines, fields)
    rates = _rates(lines)
    _totals(lines, rates, fields, taken)

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
    # A scan: what OCR read is at most probable. A page with text a reader
    # does not see: what its text layer says is not what the page shows.
    if text.ocr or text.hidden:
        fields = {
            name: dataclasses.replace(found, confidence="medium")
            if found.confidence == "high"
            else found
            for name, found in fields.items()
        }
    return Invoice(
        fields=fields,
        rates=tuple(rates),
        vat_numbers=tuple(vats),
        ibans=tuple(ibans),
        credit_note=_credit_note(lines, fields),
        items=tuple(_items(lines)),
    )


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


# A title that names the document, its number and often its date:
# "Rechnung Nr. 42", "Handelsrechnung (380) Nr. 471102 vom 05.03.2018",
# "Invoice # RE-2020/508 issued at 2020-11-21", "Facture FA-2017-0010".
_TITLE_WORD = (
    r"\w*rechnung\w*|gutschrift|invoice|facture|factuur|creditnota|"
    r"credit\s*note|avoir|fattura|factura|nota\s*di\s*credito"
)
_TITLE = re.compile(
    rf"(?<!\w)(?:{_TITLE_WORD})(?!\w)(?P<filler>(?:\s+[^\s\d(:#]+){{0,2}}?)"
    r"(?:\s*\([^)]{1,40}\))*\s*"
    r"(?P<marker>nr\.?|no\.?|#|n[°º]\.?|number|nummer|num[ée]ro)?\s*:?\s*"
    r"(?P<number>(?=[\w\-/.]*\d)[A-Za-z0-9][\w\-/.]*[A-Za-z0-9]|\d)"
    r"(?:\s*,?\s*(?:vom|von|du|dated|of|issued\s*(?:at|on)|van|del|de|le|d'|date)\s*:?\s*"
    r"(?P<date>.{6,20}))?",
    re.IGNORECASE,
)
_TITLE_END = re.compile(rf"(?<!\w)(?:{_TITLE_WORD})\s*$", re.IGNORECASE)
_CREDIT_TITLE = re.compile(
    r"(?<!\w)(?:rechnungskorrektur|stornorechnung|storno|gutschrift|credit\s*note|creditnota|"
    r"creditfactuur|avoir|nota\s*di\s*credito|nota\s*de\s*cr[ée]dito|factura\s*rectificativa|"
    r"abono)(?!\w)",
    re.IGNORECASE,
)
_SELF_BILLED = re.compile(
    r"selbst\s*ausgestellt|self\s*-?\s*billed|self\s*-?\s*billing|autofactur|zelffactur",
    re.IGNORECASE,
)


def _titled(lines, fields):
    """The number and date that a title states, where no strong label gave them."""
    first = [line.text for line in lines if line.page == 1][: TITLE_LINES * 3]
    for index, text in enumerate(first):
        match = _TITLE.search(text)
        joined = False
        if match and not match["date"] and index + 1 < len(first):  # the date on the next line
            match = _TITLE.search(f"{text} {first[index + 1]}") or match
        elif not match and index + 1 < len(first) and (end := _TITLE_END.search(text)):
            # "INVOICE" ending a line, "# 2022-17" under it: only with its marker
            match = _TITLE.match(f"{text} {first[index + 1]}", end.start())
            joined = bool(match and match["marker"] and not match["filler"])
            match = match if joined else None
        if not match or (match["filler"] and not match["marker"]):
            continue
        number = match["number"]
        if dates(number) or _AMOUNT.fullmatch(number) or not any(c.isdigit() for c in number):
            continue
        confidence = "high" if match["marker"] and not joined else "medium"
        label = match.group().split(number)[0].strip(" :#")
        # the document's own title, with "Nr."/"#", outranks a label further down
        if "number" not in fields or fields["number"].confidence != "high" or match["marker"]:
            fields["number"] = Found(number, confidence, (("label", label),))
        if match["date"] and ("date" not in fields or fields["date"].confidence != "high"):
            found = dates(match["date"])
            if found and not _ambiguous(match["date"]):
                fields["date"] = Found(found[0][0], confidence, (("label", label),))
        return


def _credit_note(lines, fields):
    """A credit note: its title says so (a self-billed invoice, German
    "Gutschrift (selbst ausgestellte Rechnung)", is none), or its total is
    negative."""
    head = [line.text for line in lines if line.page == 1][: TITLE_LINES * 2]
    for text in head:
        if _CREDIT_TITLE.search(text) and not _SELF_BILLED.search(text):
            if len(text.split()) <= 8 or _CREDIT_TITLE.match(text):
                return True
    total = fields.get("total")
    return bool(total and total.value < 0)


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
    order = only or ("due_date", "date", "number", "order_ref", "coc")
    for field in order:
        if field in fields:
            continue
        for strength, label_re in enumerate(_COMPILED[field]):
            generic = strength >= len(_COMPILED[field]) - GENERIC_LABELS.get(field, 2)
            hit = _by_label(
                lines, field, label_re, month_first, taken, generic and field == "number"
            )
            if hit is None:
                continue
            index, value, label = hit
            due = fields.get("due_date")
            if field == "date" and due and value == due.value and (index, "due_date") in taken:
                continue  # the due date's own line, read under another label
            generic = strength >= len(_COMPILED[field]) - GENERIC_LABELS.get(field, 2)
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


_BARE_RATE = re.compile(
    r"(?<![\w.,])(-?\d[\d.' ]*,\d{2}|-?\d[\d,' ]*\.\d{2})\s+(\d{1,2}(?:[.,]\d{1,2})?)\s+"
    r"(-?\d[\d.' ]*,\d{2}|-?\d[\d,' ]*\.\d{2})(?![\d%])"
)


def _rates(lines):
    """VAT per rate: lines naming a tax and a percentage, with their amounts
    after the percentage (base and tax, or the tax alone); or a tax line of
    a table whose rate column has no percent sign ("Umsatzsteuer (S) 275,00
    7 19,25"), taken only when base x rate makes the tax. A discount's line
    ("Rechnungsrabatt 2,00%, MwSt.-% 19,0") is no rate."""
    rates = {}
    for line in lines:
        text = line.text
        if not _TAX_RATE_LINE.search(text) or _TRAP.search(text):
            continue
        percent = _PERCENT.search(text)
        if not percent:
            bare = _BARE_RATE.search(text)
            if not bare:
                continue
            base, tax = parse_amount(bare[1]), parse_amount(bare[3])
            rate = float(bare[2].replace(",", "."))
            if base is None or tax is None or abs(round(base * rate / 100, 2) - tax) > 0.011:
                continue
            rates.setdefault(rate, (rate, base, tax))
            continue
        if text[: percent.start()].rstrip().endswith(("-", "−")):
            continue  # "-2,00% Basisbetrag: ...": a discount, no VAT rate
        rate = float(percent[1].replace(",", "."))
        found = amounts(text[percent.end() :])
        if not found:
            continue
        base, tax = (found[0], found[-1]) if len(found) >= 2 else (None, found[0])
        if rate not in rates:
            rates[rate] = (rate, base, tax)
    return list(rates.values())


def _items(lines):
    """The invoice's item lines with a VAT rate: ``(rate, amount)``, the
    amount being the last on the line ("400,00 Luftballon 19% 0,79 € 316,00 €")."""
    items = []
    for line in lines:
        text = line.text
        if _TAX_RATE_LINE.search(text) or _TRAP.search(text) or _role_labels(line):
            continue
        percent = _PERCENT.search(text)
        if not percent:
            continue
        found = amounts(text[percent.end() :])
        if found:
            items.append((float(percent[1].replace(",", ".")), found[-1]))
    return items


# The amounts at the foot of an invoice, by what their label says they are.
# A trap is a label that looks like a total and is not one (the total of
# the surcharges, a discount, a down payment): its line gives no total.
_TRAP = re.compile(
    r"(?:gesamtbetrag|summe)\s*der\s*(?:zu|ab)schl[äa]ge|zuschl[äa]g|abschl[äa]g|"
    r"skonto|rabatt|nachlass|(?<!\w)(?:discount|allowance|remise|escompte|korting|sconto|"
    r"descuento|[üu]bertrag|carried\s*forward|report\s*[àa]|zwischensaldo)",
    re.IGNORECASE,
)
_ROLES = (  # (role, strength, label), the first match on a line decides
    (
        "prepaid",
        2,
        r"(?:erhaltene\s*)?(?:an|voraus)zahlung(?:en)?|prepaid(?:\s*amount)?|"
        r"prepayment|already\s*paid|paid\s*amount|acomptes?|d[ée]j[àa]\s*(?:pay|r[ée]gl)[ée]e?s?|"
        r"vooruitbetaald|reeds\s*betaald|acconto|anticipo",
    ),
    (
        "payable",
        2,
        r"zahlbetrag|zu\s*zahlen(?:der\s*betrag)?|f[äa]lliger\s*betrag|"
        r"(?:total\s*)?amount\s*(?:due|payable)|balance\s*due|total\s*due|due\s*payable|"
        r"(?:totaal\s*)?te\s*betalen(?:\s*bedrag)?|net\s*[àa]\s*payer|(?:solde|reste|montant)\s*[àa]\s*payer|"
        r"montant\s*d[ûu]|totale\s*da\s*pagare|importe\s*a\s*pagar",
    ),
    (
        "untaxed",
        2,
        r"total\s*(?:excl\.?|excluding|exkl\.?|before|without|net)|"
        r"(?:total\s*)?untaxed(?:\s*amount)?|net\s*(?:amount|total|value)|"
        r"(?:summe|gesamt|betrag|rechnungssumme|warenwert)\s*(?:netto|ohne|exkl\.?|excl\.?)|"
        r"netto\s*-?\s*(?:betrag|summe|gesamt|rechnungsbetrag)|nettobetrag|nettosumme|nettorechnungsbetrag|"
        r"total\s*h\.?\s*t\.?|montant\s*(?:total\s*)?h\.?\s*t\.?|total\s*hors\s*taxes?|montant\s*hors\s*taxes?|"
        r"(?:totaal|bedrag|subtotaal)\s*excl\.?(?:\s*btw)?|excl\.?\s*btw|(?:totaal\s*)?exclusief\s*btw|"
        r"(?:totale\s*)?imponibile|base\s*imponible|total\s*sin\s*iva",
    ),
    (
        "total",
        2,
        r"total\s*(?:incl\.?|including|inc\.?|inkl\.?|with)\s*(?:vat|tax|btw|tva)?|"
        r"(?:summe|betrag|rechnungssumme|gesamtbetrag|gesamtsumme)\s*(?:inkl\.?|brutto|incl\.?)|"
        r"brutto\s*-?\s*(?:summe|betrag|gesamt|rechnungsbetrag)|bruttosumme|bruttobetrag|"
        r"gesamtbetrag|gesamtsumme|rechnungsbetrag|rechnungssumme|endbetrag|endsumme|"
        r"grand\s*total|invoice\s*total|total\s*amount|total\s*invoice(?:\s*amount)?|"
        r"total\s*t\.?\s*t\.?\s*c\.?|montant\s*(?:total\s*)?t\.?\s*t\.?\s*c\.?|"
        r"totaal\s*incl\.?(?:\s*btw)?|totaalbedrag|factuurbedrag|incl\.?\s*btw|"
        r"(?:totaal\s*)?inclusief\s*btw|factuur\s*totaal|"
        r"totale\s*(?:documento|fattura|complessivo)|importe\s*total|total\s*factura",
    ),
    (
        "tax",
        2,
        r"total\s*(?:vat|tax(?:es)?|tva|btw|mwst|ust|iva)|"
        r"(?:vat|tax|btw|tva|mwst|ust|iva)\.?\s*-?\s*(?:total|amount|gesamt|bedrag|totaal|betrag|summe)|"
        r"steuerbetrag|umsatzsteuerbetrag|mehrwertsteuerbetrag|"
        r"(?:zzgl|zuz[üu]gl(?:ich)?)\.?\s*(?:der\s*)?(?:ust|mwst|umsatzsteuer|mehrwertsteuer)|"
        r"summe\s*(?:ust|mwst|umsatzsteuer)|montant\s*(?:de\s*la\s*)?tva|totale\s*iva|cuota\s*(?:de\s*)?iva",
    ),
    (
        "untaxed",
        1,
        r"sub\s*-?\s*total|subtotaal|zwischensumme|positionssumme|sous\s*-?\s*total|"
        r"summe\s*positionen|warenwert|netto",
    ),
    ("total", 1, r"total|totaal|summe|gesamt|totale|brutto"),
    ("tax", 1, r"umsatzsteuer|mehrwertsteuer|mwst|ust|vat|btw|tva|iva|tax"),
)
_ROLE_RES = tuple(
    (role, strength, re.compile(rf"(?<![\w])(?:{label})(?![\w])\s*[:#.]?", re.IGNORECASE))
    for role, strength, label in _ROLES
)


@dataclasses.dataclass(frozen=True)
class _Amount:
    role: str
    value: float
    strength: float
    index: int
    label: str


def _amount_candidates(lines, taken):
    """Each labelled amount of the invoice: what its label says it is. A
    label with its amount after it on its line; or a table's header (labels
    and no amounts), whose columns give an amount per row below."""
    found = []
    for index, line in enumerate(lines):
        if (index, "total") in taken:
            continue
        labels = _role_labels(line)
        if not labels:
            continue
        if not amounts(line.text):  # a header: the traps are columns of their own
            for role, strength, match, span in labels:
                values = _column(lines, index, span)
                label = match.group().strip(" :#.")
                for position, value in enumerate(values):
                    # a column is weaker than a label beside its amount: it may be an item's
                    last = 0.25 if position == len(values) - 1 else 0.0
                    found.append(
                        _Amount(role, value, strength - 0.5 + last, index + position, label)
                    )
            continue
        if _TRAP.search(line.text):
            continue
        # "Exclusief BTW € 593,36 Subtotaal € 717,97": each label owns the
        # amounts up to the next label that has amounts of its own
        segments = []
        for number, (role, strength, match, _span) in enumerate(labels):
            end = len(line.text)
            for later in labels[number + 1 :]:
                if amounts(line.text[match.end() : later[2].start()]):
                    end = later[2].start()
                    break
            if segments and match.start() < segments[-1][3]:
                continue  # inside the previous label's amounts
            segments.append((role, strength, match, end))
        for role, strength, match, end in segments:
            found.extend(_inline(role, strength, match, line.text[match.end() : end], index))
    return found


def _inline(role, strength, match, rest, index):
    """The candidates of a label followed by its amounts on its line."""
    percent = _PERCENT.search(rest)
    if percent and role != "tax":
        rest = rest[percent.end() :]
    values = amounts(rest)
    if role == "tax" and percent and len(values) > 1:
        values = values[-1:]  # "VAT 21% 100,00 21,00": the tax is the last
    label = match.group().strip(" :#.")
    return [
        _Amount(
            role, value, strength + (0.25 if position == len(values) - 1 else 0.0), index, label
        )
        for position, value in enumerate(values)
    ]


def _role_labels(line):
    """The role labels on a line, left to right, each span once (the
    strongest role that claims it)."""
    hits = [("trap", 0, match, span) for match, span in _label_spans(line, _TRAP)]
    for role, strength, label_re in _ROLE_RES:
        for match, span in _label_spans(line, label_re):
            if any(s[0] < span[1] and span[0] < s[1] for _r, _s, _m, s in hits):
                continue
            hits.append((role, strength, match, span))
    return sorted((hit for hit in hits if hit[0] != "trap"), key=lambda hit: hit[3][0])


def _column(lines, index, span):
    """The amounts under a header label, row by row, until a row without any."""
    values, page = [], lines[index].page
    for other in lines[index + 1 : index + 12]:
        if other.page != page or not amounts(other.text):
            break
        words = [w for w in other.words if w.x0 < span[1] + 2 and w.x1 > span[0] - 2]
        found = amounts(" ".join(w.text for w in words))
        if found:
            values.append(found[-1])
    return values


def _close(a, b):
    return abs(a - b) < 0.015


def _adds_up(net, tax, gross):
    """net + VAT = gross, allowing a sign lost by the layout (``-7,67``,
    ``1,12``, ``-8,79`` on a credit note)."""
    if _close(net + tax, gross):
        return True
    return (net < 0) == (gross < 0) and _close(abs(net) + abs(tax), abs(gross))


def _totals(lines, rates, fields, taken):
    """The invoice's total, untaxed amount and VAT, decided by the
    arithmetic: the labelled amounts for which untaxed + VAT = total (or the
    VAT breakdown adds up to the total) win, and only amounts that close the
    arithmetic are certain. What closes nothing is at most "medium"."""
    learned = {name: fields[name] for name in AMOUNT_FIELDS if name in fields}
    cands = _amount_candidates(lines, taken)
    if rates and all(tax is not None for _r, _b, tax in rates):
        value = round(sum(tax for _r, _b, tax in rates), 2)
        cands.append(_Amount("tax", value, 1.5, len(lines), "vat_lines"))
        if all(base is not None for _r, base, _t in rates):
            base = round(sum(base for _r, base, _t in rates), 2)
            cands.append(_Amount("untaxed", base, 1.5, len(lines), "vat_lines"))
    for name, item in learned.items():  # a learned anchor is the supplier's own word
        cands.append(_Amount(name, item.value, 5, -1, "learned"))
    gross = [c for c in cands if c.role in ("total", "payable")]
    nets = [c for c in cands if c.role == "untaxed"]
    taxes = [c for c in cands if c.role == "tax"]
    prepaid = [c for c in cands if c.role == "prepaid" and c.value]

    best = _best_triple(gross, nets, taxes, len(lines))
    if best:
        g, n, t = best
        sign = -1 if g.value < 0 else 1
        for name, item in (("total", g), ("untaxed", n), ("tax", t)):
            value = item.value if name == "total" else sign * abs(item.value)
            fields[name] = Found(round(value, 2), "high", (_how(item, learned), ("adds_up", "")))
        return
    # Nothing adds up: the strongest total label, latest on the page; at most medium.
    for name in AMOUNT_FIELDS:
        fields.pop(name, None)
    total = _strongest(
        [c for c in gross if c.role == "total"] or _payable_plus_prepaid(gross, prepaid)
    )
    for name, item in (("total", total), ("untaxed", _strongest(nets)), ("tax", _strongest(taxes))):
        if item is not None:
            fields[name] = Found(item.value, "medium", (_how(item, learned),))
    _derive_missing(fields)


def _how(item, learned):
    """How a total was found (``HOW``): a label, the VAT lines, or the
    supplier's learned anchor (with its label)."""
    if item.label == "learned":
        return ("learned", learned[item.role].how[0][1])
    if item.label == "vat_lines":
        return ("vat_lines", "")
    return ("label", item.label)


def _best_triple(gross, nets, taxes, count):
    """The (total, untaxed, VAT) candidates that add up, best labelled and
    latest on the page; or an invoice without VAT (untaxed = total, a VAT of
    zero shown); or None."""
    best, best_score = None, -1.0
    for g in gross:
        for n in nets:
            for t in taxes:
                if not _adds_up(n.value, t.value, g.value):
                    continue
                score = g.strength + n.strength + t.strength + (0.5 if g.role == "total" else 0)
                score += g.index / (10 * max(count, 1))  # the later total, the likelier
                if score > best_score:
                    best, best_score = (g, n, t), score
    if best:
        return best
    zero = next((t for t in taxes if _close(t.value, 0)), None)
    if zero is None:
        return None
    for g in gross:
        for n in nets:
            if _close(g.value, n.value) and g.strength + n.strength > best_score:
                best, best_score = (g, n, zero), g.strength + n.strength
    return best


def _derive_missing(fields):
    """The one amount missing of total, untaxed and VAT, from the other two."""
    total, untaxed, tax = (fields.get(name) for name in AMOUNT_FIELDS)
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


def _strongest(cands):
    if not cands:
        return None
    return max(cands, key=lambda c: (c.strength, c.index))


def _payable_plus_prepaid(gross, prepaid):
    """The total from the amount to pay: plus what was paid before."""
    payable = [c for c in gross if c.role == "payable"]
    if not payable or not prepaid:
        return payable
    paid = sum(abs(c.value) for c in prepaid)
    return [dataclasses.replace(c, value=round(c.value + paid, 2)) for c in payable]


COMMON_RATES = (
    0.0,
    2.1,
    3.0,
    4.0,
    5.0,
    5.5,
    6.0,
    7.0,
    8.0,
    9.0,
    10.0,
    12.0,
    13.0,
    14.0,
    15.0,
    16.0,
    17.0,
    18.0,
    19.0,
    20.0,
    21.0,
    22.0,
    23.0,
    24.0,
    25.0,
    27.0,
)  # EU VAT


def tax_lines(invoice):
    """The bill's lines as ``[(rate, base), ...]``, excluding VAT, built so
    that the bases plus their VAT make the read total (within a cent per
    rate); None when no split of the total does. An amount that includes
    VAT is never taken for a base: the total decides."""
    total = invoice.value("total")
    untaxed, tax = invoice.value("untaxed"), invoice.value("tax")
    rates = [(rate, base, vat) for rate, base, vat in invoice.rates]
    options = []
    if rates and all(base is not None for _r, base, _v in rates):
        options.append([(rate, base) for rate, base, _v in rates])
    if rates and all(vat is not None and rate for rate, _b, vat in rates):
        options.append([(rate, round(vat * 100 / rate, 2)) for rate, _b, vat in rates])
    if invoice.items:
        per_rate = {}
        for rate, amount in invoice.items:
            per_rate[rate] = round(per_rate.get(rate, 0.0) + amount, 2)
        options.append(sorted(per_rate.items()))
    if len(rates) == 1 and untaxed is not None:
        options.append([(rates[0][0], untaxed)])
    if untaxed and tax is not None:
        share = tax / untaxed * 100
        rate = min(COMMON_RATES, key=lambda r: abs(r - share))
        if abs(rate - share) < 0.3:
            options.append([(rate, untaxed)])
    if total is not None and len({rate for rate, _b, _v in rates}) == 1:
        rate = rates[0][0]
        options.append([(rate, round(total / (1 + rate / 100), 2))])
    if total is None:
        return options[0] if options else None
    for option in options:
        gross = sum(base + round(base * rate / 100, 2) for rate, base in option)
        net = sum(base for _rate, base in option)
        if abs(gross - total) > 0.01 * len(option):
            continue
        if untaxed is not None and abs(net - untaxed) > 0.01 * len(option):
            continue  # the total right, but split at the wrong rates
        return option
    return None


def as_refund(invoice):
    """A credit note's reading with positive amounts, as a refund states them."""
    fields = {
        name: dataclasses.replace(found, value=abs(found.value))
        if name in AMOUNT_FIELDS and isinstance(found.value, float)
        else found
        for name, found in invoice.fields.items()
    }
    rates = tuple(
        (rate, None if base is None else abs(base), None if vat is None else abs(vat))
        for rate, base, vat in invoice.rates
    )
    items = tuple((rate, abs(amount)) for rate, amount in invoice.items)
    return dataclasses.replace(invoice, fields=fields, rates=rates, items=items)


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
    _child(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), *sys.argv[4:5])
