"""`bench`: speed figures measured in one run on one core, on the same pages.

Core figures: the segmenter (decode + parse + blocks) and the aligner (tokenise + align the gold)
over WCXB test, longest pages included. Timed in this process, one page after another.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from .align import TokenizedPage, align
from .corpora.store import Corpus
from .segment import segment
from .types import Page


def bench_core(corpus: Corpus, pages: Sequence[Page] | None = None) -> dict[str, Any]:
    pages = list(pages if pages is not None else corpus.select(split="test", source="wcxb"))
    data = [(p, d) for p, d in corpus.iter_bytes(pages)]
    gold = corpus.gold
    t0 = time.perf_counter()
    blocks = [segment(d, p.fmt) for p, d in data]
    t_seg = time.perf_counter() - t0
    slowest = 0.0
    t0 = time.perf_counter()
    for (p, _), bl in zip(data, blocks):
        t = time.perf_counter()
        align(TokenizedPage(bl), gold[p.page_id].text or "")
        slowest = max(slowest, time.perf_counter() - t)
    t_align = time.perf_counter() - t0
    n = len(data)
    return {
        "pages": n,
        "megabytes": round(sum(len(d) for _, d in data) / 1e6, 1),
        "blocks": sum(len(b) for b in blocks),
        "segment_pages_per_s": round(n / t_seg, 1),
        "align_pages_per_s": round(n / t_align, 1),
        "align_slowest_page_s": round(slowest, 3),
    }


def format_core(r: dict[str, Any]) -> str:
    return (
        f"core, one process, {r['pages']} pages ({r['megabytes']} MB, {r['blocks']:,} blocks):\n"
        f"  segmenter  {r['segment_pages_per_s']:8.1f} pages/s  (decode + parse + blocks)\n"
        f"  aligner    {r['align_pages_per_s']:8.1f} pages/s  (tokenise + align gold; slowest page {r['align_slowest_page_s']} s)"
    )
