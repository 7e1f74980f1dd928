"""make bench (second part): the conversion robot on the PDF corpus.

Reads every PDF of tests/data/pdf/ in its bounded child process (as the
gateway does; the per-content cache is bypassed), and reports:

1. ms per page of extraction, child process included (target <= 500);
2. the share of fields read right (number, dates, currency, totals, VAT
   number, IBAN) against corpus.json (target >= 95%), per producer;
3. the learning case: the fields right on a supplier's second invoice
   before and after one correction of its first (target 100% after).

Usage: .venv/bin/python dev/bench_pdf_robot.py
"""

import datetime
import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / ".odoo" / "usr" / "lib" / "python3" / "dist-packages"))

import pdf_invoice  # noqa: E402

PDF = ROOT / "tests" / "data" / "pdf"
BUYER_VAT = "NL850002321B01"
SCORED = pdf_invoice.SUMMARY


def values(invoice):
    return invoice.summary(BUYER_VAT)


def right(got, expected):
    return sum(got[name] == expected[name] for name in SCORED)


def main():
    corpus = json.loads((PDF / "corpus.json").read_text())
    per_page, pages, by_producer = [], 0, defaultdict(lambda: [0, 0])
    texts = {}
    for round_ in range(3):
        for name in corpus:
            raw = (PDF / name).read_bytes() + f"\n% round {round_}".encode()  # no cache hit
            start = time.perf_counter()
            text = pdf_invoice.read(raw)
            per_page.append((time.perf_counter() - start) * 1000 / text.pages)
            texts[name] = text
    for name, expected in corpus.items():
        pages += texts[name].pages
        score = by_producer[expected["producer"]]
        score[0] += right(values(pdf_invoice.find(texts[name])), expected)
        score[1] += len(SCORED)
    total_right = sum(r for r, _n in by_producer.values())
    total = sum(n for _r, n in by_producer.values())

    first, second = texts["kwik-1.pdf"], texts["kwik-2.pdf"]
    anchors = [
        pdf_invoice.learn(first, "number", corpus["kwik-1.pdf"]["number"]),
        pdf_invoice.learn(first, "date", datetime.date.fromisoformat(corpus["kwik-1.pdf"]["date"])),
    ]
    before = right(values(pdf_invoice.find(second)), corpus["kwik-2.pdf"])
    after = right(values(pdf_invoice.find(second, anchors)), corpus["kwik-2.pdf"])

    print()
    print(f"Conversion robot: {len(corpus)} PDFs, {pages} pages, read 3 times each, one run")
    print(
        f"extraction: median {statistics.median(per_page):.0f} ms per page, "
        f"max {max(per_page):.0f} ms (target <= 500), child process included"
    )
    print(f"fields right: {total_right}/{total} = {total_right / total:.1%} (target >= 95%)")
    for producer, (r, n) in sorted(by_producer.items()):
        print(f"  {producer:<12} {r:>3}/{n:<3} {r / n:.0%}")
    print(
        f"learning: the supplier's second invoice {before}/{len(SCORED)} fields right before "
        f"one correction of the first, {after}/{len(SCORED)} after (target {len(SCORED)})"
    )


if __name__ == "__main__":
    main()
