"""Where a sender's address differs from the domains a supplier is known by.

Pure functions, no ORM. A fraudster's address is built to be read at a
glance as the supplier's: ``billing@supplier.example.evil.test``,
``accounts@supplier-payments.example``. The held-mail review shows the whole
address and marks the characters of its domain that are not the closest
known domain's, so the part that gives it away is the part that stands out.
"""

import difflib


def closest_domain(domain, known):
    """The known domain most like ``domain`` (None when nothing is known)."""
    domain = (domain or "").lower()
    best, best_ratio = None, -1.0
    for candidate in sorted({k.lower() for k in known if k}):
        if domain == candidate or domain.endswith(f".{candidate}"):
            return candidate
        ratio = difflib.SequenceMatcher(None, domain, candidate, autojunk=False).ratio()
        if ratio > best_ratio:
            best, best_ratio = candidate, ratio
    return best


def mark(address, known):
    """The address as (text, differs) segments: the local part is never
    marked, the domain's characters that are not in the closest known domain
    are. An address on a known domain (or its subdomain) has no mark; with
    nothing known, nothing is marked."""
    address = address or ""
    local, at, domain = address.rpartition("@")
    if not at:
        return [(address, False)]
    head = f"{local}@"
    reference = closest_domain(domain, known)
    lowered = domain.lower()
    if reference is None or lowered == reference or lowered.endswith(f".{reference}"):
        return [(head + domain, False)]
    inside = f".{lowered}.".find(f".{reference}.")
    if inside >= 0:
        # the known domain with more around it: supplier.example.evil.test
        end = inside + len(reference)
        return _merged(
            [(head, False), (domain[:inside], True), (domain[inside:end], False)]
            + [(domain[end:], True)]
        )
    segments = [(head, False)]
    labels, known_labels = domain.split("."), reference.split(".")
    # Right-aligned label by label: the top-level domain against the known
    # one's, and so on; a label without a counterpart is marked whole.
    pairs = list(zip(reversed(labels), reversed(known_labels), strict=False))
    pairs += [(label, "") for label in reversed(labels[: len(labels) - len(pairs)])]
    for index, (label, counterpart) in enumerate(reversed(pairs)):
        if index:
            segments.append((".", False))
        segments.extend(_label_marks(label, counterpart))
    return _merged(segments)


def _label_marks(label, counterpart):
    """One DNS label against its counterpart: equal, a few characters changed
    (marked each), or another word (marked whole)."""
    lowered = label.lower()
    if lowered == counterpart:
        return [(label, False)]
    matcher = difflib.SequenceMatcher(None, lowered, counterpart, autojunk=False)
    if not counterpart or matcher.ratio() < 0.6:
        return [(label, True)]
    return [
        (label[i1:i2], tag != "equal")
        for tag, i1, i2, _j1, _j2 in matcher.get_opcodes()
        if i1 != i2
    ]


def _merged(segments):
    merged = []
    for text, differs in segments:
        if not text:
            continue
        if merged and merged[-1][1] == differs:
            merged[-1] = (merged[-1][0] + text, differs)
        else:
            merged.append((text, differs))
    return merged
