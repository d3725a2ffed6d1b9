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


BENCH_SYSTEMS = ("boilerbench", "trafilatura", "resiliparse")


def _time_system(name: str, htmls: Sequence[str], conn: Any) -> None:
    import resource

    from .runner import one_core
    from .systems import load

    one_core()

    system = load(name)
    fn = system.fn
    if system.kind == "blocks":
        call = fn
    else:
        def call(h: str) -> Any:
            return fn(h, None, None)
    call(htmls[0])  # warm-up: imports, model loading
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    for h in htmls:
        call(h)
    dt = time.perf_counter() - t0
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    conn.send({"version": system.version, "seconds": dt, "peak_rss_mb": rss1 / 1024, "rss_growth_mb": (rss1 - rss0) / 1024})


def bench_systems(corpus: Corpus, names: Sequence[str] = BENCH_SYSTEMS, pages: Sequence[Page] | None = None) -> dict[str, Any]:
    """End-to-end pages/s (decoded HTML in, text or block decisions out) of each system, one process
    each (forked in turn, never at the same time), on the same pages; ratios against trafilatura."""
    import multiprocessing as mp

    from .runner import page_html

    pages = list(pages if pages is not None else corpus.select(split="test", source="wcxb"))
    htmls = [page_html(d) for _, d in corpus.iter_bytes(pages)]
    ctx = mp.get_context("fork")
    out: dict[str, Any] = {}
    for name in names:
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=_time_system, args=(name, htmls, child))
        proc.start()
        child.close()
        try:
            r = parent.recv()
        except EOFError:
            proc.join()
            r = {"error": f"exited with code {proc.exitcode}"}
        proc.join()
        if "seconds" in r:
            r["pages_per_s"] = round(len(htmls) / r["seconds"], 1)
        out[name] = r
    base = out.get("trafilatura", {}).get("pages_per_s")
    for r in out.values():
        if base and "pages_per_s" in r:
            r["vs_trafilatura"] = round(r["pages_per_s"] / base, 2)
    return {"pages": len(htmls), "systems": out}


def format_systems(r: dict[str, Any]) -> str:
    lines = [f"systems, one process each, end to end on the same {r['pages']} pages (WCXB test):"]
    for name, s in r["systems"].items():
        if "error" in s:
            lines.append(f"  {name:<12} error: {s['error']}")
            continue
        lines.append(
            f"  {name:<12} {s['pages_per_s']:8.1f} pages/s   ×{s.get('vs_trafilatura', float('nan')):.2f} trafilatura"
            f"   peak RSS {s['peak_rss_mb']:.0f} MB (+{s['rss_growth_mb']:.0f} MB while running)   {s['version']}"
        )
    return "\n".join(lines)
