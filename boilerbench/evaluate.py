"""`evaluate`: run systems on a split, project their outputs onto blocks, score, compare.

Only this module joins systems and scores: `scoring` stays pure, `runner` knows no metric.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from typing import Any

from . import scoring
from .corpora.store import Corpus
from .groundtruth import load_labeled
from .runner import DEFAULT_TIMEOUT, Output, page_html, run_systems
from .systems import REFERENCE, REGISTRY, MissingSystem, System, load
from .types import CONTENT, LabeledPage

DEFAULT_SYSTEMS = (*REGISTRY, *REFERENCE)


def resolve(spec: str | None) -> list[str]:
    """`a,b` or `all` (or None: all default systems) → system names, unknown names refused."""
    if spec in (None, "", "all"):
        return list(DEFAULT_SYSTEMS)
    names = [s.strip() for s in spec.split(",") if s.strip()]
    unknown = [n for n in names if n not in REGISTRY and n not in REFERENCE]
    if unknown:
        raise ValueError(f"unknown system(s): {', '.join(unknown)}; registered: {', '.join(DEFAULT_SYSTEMS)}")
    return names


def reference_output(name: str, lp: LabeledPage) -> Output:
    blocks = lp.blocks
    if name == "all-text":
        kept = tuple(True for _ in blocks)
    elif name == "nothing":
        kept = tuple(False for _ in blocks)
    elif name == "oracle":
        kept = tuple(b.label == CONTENT for b in blocks)
    else:
        raise KeyError(name)
    return Output("\n".join(b.block.text for b, k in zip(blocks, kept) if k), kept, 0.0)


def score_outputs(pages: Sequence[LabeledPage], outputs: Sequence[Output]) -> list[scoring.PageResult]:
    return [
        scoring.page_result(
            page_id=lp.page.page_id,
            corpus=lp.page.source,
            page_type=lp.page.page_type,
            language=lp.page.language,
            labels=[b.label for b in lp.blocks],
            categories=[b.category for b in lp.blocks],
            words=[b.block.words for b in lp.blocks],
            kept=out.kept,
            text=out.text,
            gold_text=lp.gold.text,
            error=out.error,
        )
        for lp, out in zip(pages, outputs)
    ]


def evaluate(
    corpus: Corpus,
    split: str | None = "test",
    systems: Sequence[str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    workers: int | None = None,
    cache: bool = True,
    progress: bool = True,
) -> dict[str, Any]:
    """Scores of each system on the pages of `split` (None: every page of the corpus)."""
    names = list(systems) if systems is not None else list(DEFAULT_SYSTEMS)
    pages = corpus.select(split=split) if split else list(corpus.pages)
    if not pages:
        raise ValueError(f"{corpus.root}: no pages in split {split!r}")
    labeled = load_labeled(corpus, pages, workers=workers, progress=progress, cache=cache)
    loaded: list[System] = []
    skipped: dict[str, str] = {}
    for name in names:
        if name in REFERENCE:
            continue
        try:
            loaded.append(load(name))
        except MissingSystem as e:
            skipped[name] = str(e)
            print(f"skipping {e}", file=sys.stderr)

    def load_html() -> list[str]:
        html = {p.page_id: page_html(data) for p, data in corpus.iter_bytes(pages)}
        return [html[p.page_id] for p in pages]

    t0 = time.perf_counter()
    outputs = run_systems(loaded, labeled, load_html, timeout=timeout, workers=workers, cache=cache, progress=progress)
    for name in names:
        if name in REFERENCE:
            outputs[name] = [reference_output(name, lp) for lp in labeled]
    versions = {s.name: s.version for s in loaded}
    per_page: dict[str, list[scoring.PageResult]] = {}
    report: dict[str, Any] = {"systems": {}, "skipped": skipped}
    for name in names:
        if name not in outputs:
            continue
        results = score_outputs(labeled, outputs[name])
        per_page[name] = results
        agg = scoring.aggregate(results)
        seconds = sum(o.seconds for o in outputs[name])
        agg["pages_per_s"] = round(len(results) / seconds, 2) if seconds > 0 and name not in REFERENCE else None
        agg["version"] = versions.get(name) or load(name).version
        agg["kind"] = "reference" if name in REFERENCE else "system"
        agg["error_pages"] = [r.page_id for r in results if r.error][:20]
        report["systems"][name] = agg
    comparison = scoring.compare({n: r for n, r in per_page.items() if n != "oracle"})
    for name, test in comparison.items():
        report["systems"][name]["vs_best"] = test
    report.update(
        dataset_revision=corpus.revision(),
        metric_version=scoring.METRIC_VERSION,
        split=split,
        pages=len(pages),
        corpus=str(corpus.root),
        seconds=round(time.perf_counter() - t0, 1),
    )
    return report


def format_table(report: dict[str, Any]) -> str:
    """The readable table `evaluate` prints, best block F1 first."""
    rows = [["system", "version", "pages", "err", "block F1 [95% CI]", "block P", "block R", "word F1", "word P", "word R", "pages/s"]]
    systems = sorted(report["systems"].items(), key=lambda kv: -(kv[1]["block_f1"] or 0))

    def f(v: Any) -> str:
        return "—" if v is None else f"{v:.3f}"

    for name, s in systems:
        ci = s.get("block_f1_ci")
        rows.append([
            name, str(s["version"]), str(s["pages"]), str(s["errors"]),
            f"{f(s['block_f1'])} [{ci[0]:.3f}–{ci[1]:.3f}]" if ci else f(s["block_f1"]),
            f(s["block_precision"]), f(s["block_recall"]), f(s["word_f1"]), f(s["word_precision"]), f(s["word_recall"]),
            "—" if s["pages_per_s"] is None else f"{s['pages_per_s']:.1f}",
        ])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append(f"\nsplit {report['split']}, {report['pages']} pages, dataset revision {report['dataset_revision']}, {report['seconds']} s")
    return "\n".join(lines)
