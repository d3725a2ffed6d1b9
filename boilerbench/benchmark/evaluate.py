"""`evaluate`: run systems on a split, project their outputs onto blocks, score, compare.

Only this module joins systems and scores: `scoring` stays pure, `runner` knows no metric. Two
caches make a re-run cheap: extractor outputs (by system, version, page) and what scoring needs of
them — kept blocks and word counts — (by system, version, page, gold, segmenter and aligner).

Systems with a structured mode (`systems.STRUCTURED`) are run in it too, their Markdown or HTML
parsed and projected onto the blocks (`structure`), and cached the same way (the projection by
system, version, page, segmenter, aligner and `structure.STRUCTURE_VERSION`); the labels and the
blocks' gold structure turn it into structure scores when the report is made.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from tqdm import tqdm

from ..core.align import ALIGNER_VERSION, TokenizedPage, project
from ..core.segment import SEGMENTER_VERSION
from ..core.text import text_table
from ..core.types import CONTENT, STRUCTURE_ELEMENTS, LabeledPage, Structure, check_choice, decode_bits, encode_bits
from . import scoring, structure
from .cache import Cache, key
from .corpora.store import Corpus
from .groundtruth import load_labeled
from .runner import DEFAULT_TIMEOUT, Output, decode_page, output_key, run_systems
from .systems import REFERENCE, STRUCTURED, MissingSystem, System, available, default_systems, load_system
from .validate import markdown_elements, structure_checks, structure_summary


def resolve(spec: str | None) -> list[str]:
    """`a,b` or `all` (every registered system) or None (`systems.default_systems`) → system names;
    unknown names and an empty list (`--systems ''`, `--systems ,`) refused. The registry is read
    now, for every case: a plug-in or a test may have registered more since import."""
    registered = available()
    if spec is None:
        return default_systems()
    if spec == "all":
        return registered
    names = [s.strip() for s in spec.split(",") if s.strip()]
    if not names:
        raise ValueError(f"no system named in {spec!r}; give a,b or all (registered: {', '.join(registered)})")
    return [check_choice("system", n, registered) for n in names]


@dataclass(frozen=True)
class Scored:
    """One system's output on one page as the scorers read it (not yet a score): the blocks it
    keeps and its word counts against the gold; cached as JSON."""

    kept: tuple[bool, ...]
    words: tuple[int, int, int] | None
    seconds: float
    error: str | None

    def to_json(self) -> dict[str, Any]:
        return {"kept": encode_bits(self.kept), "words": self.words, "seconds": self.seconds, "error": self.error}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Scored:
        words = d.get("words")
        return cls(decode_bits(d["kept"]), tuple(words) if words else None, d["seconds"], d.get("error"))


@dataclass(frozen=True)
class Structured:
    """One system's structured output on one page as the scorers read it: per block the structure
    of the output element that covers it (None: not covered); cached as JSON."""

    structures: tuple[Structure | None, ...]
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {**structure.projection_to_json(self.structures), "error": self.error}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Structured:
        return cls(structure.projection_from_json(d), d.get("error"))


def output_structured(labeled_page: LabeledPage, fmt: str | None, markup: str, error: str | None = None) -> Structured:
    """`Structured` of one structured output: parsed, then projected onto the page's blocks. A page
    the system failed on (`error`; no format) covers no block."""
    if fmt is None:
        if markup:
            raise ValueError(f"{labeled_page.page.page_id}: a structured output without its format")
        return Structured((None,) * len(labeled_page.blocks), error)
    elements = structure.parse(fmt, markup, labeled_page.page.url or None)
    return Structured(tuple(structure.assign([b.block for b in labeled_page.blocks], elements)), error)


def _gold_key(labeled_page: LabeledPage) -> str:
    return "" if labeled_page.gold.text is None else key("gold", labeled_page.gold.text)


def reference_scored(name: str, labeled_page: LabeledPage) -> Scored:
    """The reference rows, from the labels: every block, no block, the content blocks."""
    blocks = labeled_page.blocks
    if name == "all-text":
        kept = tuple(True for _ in blocks)
    elif name == "nothing":
        kept = tuple(False for _ in blocks)
    elif name == "oracle":
        kept = tuple(b.label == CONTENT for b in blocks)
    else:
        raise KeyError(name)
    return kept_scored(labeled_page, kept)


def kept_scored(labeled_page: LabeledPage, kept: tuple[bool, ...]) -> Scored:
    """`Scored` of block decisions (reference rows, label submissions): word F1 is measured on the
    kept blocks' text."""
    return output_scored(labeled_page, "\n".join(b.block.text for b, k in zip(labeled_page.blocks, kept) if k), kept)


def output_scored(
    labeled_page: LabeledPage, text: str, kept: tuple[bool, ...] | None = None, seconds: float = 0.0, error: str | None = None
) -> Scored:
    """`Scored` of one output: its text (projected onto the blocks unless `kept` is given) and word counts."""
    if kept is None:
        kept = tuple(project(TokenizedPage([b.block for b in labeled_page.blocks]), text))
    words = scoring.word_counts(text, labeled_page.gold.text) if labeled_page.gold.text is not None else None
    return Scored(kept, words, seconds, error)


_POOL_PAGES: Sequence[LabeledPage] = ()


def _project_job(job: tuple[int, Output]) -> Scored:
    i, out = job
    return output_scored(_POOL_PAGES[i], out.text, out.kept, out.seconds, out.error)


def _project_all(pages: Sequence[LabeledPage], jobs: list[tuple[int, Output]], workers: int, progress: bool) -> list[Scored]:
    """Aligner projection and word counts of many outputs, on both cores."""
    global _POOL_PAGES
    if workers <= 1 or len(jobs) < 50:
        return [
            output_scored(pages[i], o.text, o.kept, o.seconds, o.error)
            for i, o in tqdm(jobs, desc="project", disable=not progress)
        ]
    _POOL_PAGES = pages
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("fork")) as pool:
            return list(tqdm(pool.map(_project_job, jobs, chunksize=16), total=len(jobs), desc="project", disable=not progress))
    finally:
        _POOL_PAGES = ()


def score_system(
    name: str, pages: Sequence[LabeledPage], per_page: Sequence[Scored], structured: Sequence[Structured] | None = None
) -> list[scoring.PageResult]:
    """One system's per-page results, from its `Scored` of each of `pages` (and its `Structured`,
    for a system with a structured mode)."""
    return [
        scoring.page_result(
            page_id=labeled_page.page.page_id,
            corpus=labeled_page.page.source,
            page_type=labeled_page.page.page_type,
            language=labeled_page.page.language,
            labels=[b.label for b in labeled_page.blocks],
            categories=[b.category for b in labeled_page.blocks],
            words=[b.block.words for b in labeled_page.blocks],
            kept=sc.kept,
            words_matched=sc.words,
            error=sc.error,
            structure=None if st is None else structure_counts(labeled_page, st),
        )
        for labeled_page, sc, st in zip(pages, per_page, structured if structured is not None else _none(len(pages)))
    ]


def _none(n: int) -> list[Structured | None]:
    return [None] * n


def structure_counts(labeled_page: LabeledPage, st: Structured) -> dict[str, tuple[int, int, int]]:
    """`scoring.structure_counts` of one page: its labels, categories and blocks' gold structure."""
    blocks = labeled_page.blocks
    return scoring.structure_counts(
        [b.label for b in blocks], [b.category for b in blocks], [b.block.known_structure for b in blocks], st.structures
    )


def evaluate(
    corpus: Corpus,
    split: str | None = "test",
    systems: Sequence[str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    workers: int | None = None,
    cache: bool = True,
    progress: bool = True,
    structured: bool = True,
) -> dict[str, Any]:
    """Scores of each system on the pages of `split` (None: every page of the corpus); `structured`:
    also run the systems' structured modes and score the structure they keep."""
    names = list(systems) if systems is not None else default_systems()
    pages = corpus.select(split=split) if split else list(corpus.pages)
    if not pages:
        raise ValueError(f"{corpus.root}: no pages in split {split!r}")
    workers = workers or min(2, os.cpu_count() or 1)
    t0 = time.perf_counter()
    labeled = load_labeled(corpus, pages, workers=workers, progress=progress, cache=cache)
    run = RunOptions(timeout, workers, cache, progress)
    scored, versions, skipped = collect_scored(corpus, labeled, names, run)
    formats: dict[str, str] = {}
    made: dict[str, list[Structured]] | None = None  # None: structure not run (nor recorded)
    if structured:
        made, formats = collect_structured(corpus, labeled, [n for n in names if n in scored], run)
    report = score_report(labeled, scored, versions, structured=made, formats=formats)
    if made is not None:  # only where the split has pages with a Markdown gold (WCXB's train and validation)
        against = markdown_gold_report(corpus, labeled, list(made), run)
        if against is not None:
            report["markdown_gold"] = against
    report["skipped"] = skipped
    report.update(
        dataset_revision=corpus.revision(),
        metric_version=scoring.METRIC_VERSION,
        split=split,
        pages=len(pages),
        corpus=str(corpus.root),
        workers=workers,
        seconds=round(time.perf_counter() - t0, 1),
    )
    return report


def score_report(
    labeled: Sequence[LabeledPage],
    scored: dict[str, list[Scored]],
    versions: dict[str, str | None],
    kind: str | None = None,
    structured: dict[str, list[Structured]] | None = None,
    formats: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Aggregate scores of each system's per-page `Scored` (and `Structured`, in `formats`), and
    the paired test against the best: the one scoring path of `evaluate` and `submit`. `kind`
    overrides system / reference. `structured` None: structure was not run, and its format is not
    recorded (the board says "not run", not "text")."""
    per_page: dict[str, list[scoring.PageResult]] = {}
    report: dict[str, Any] = {"systems": {}}
    ran_structure = structured is not None
    structured, formats = structured or {}, formats or {}
    for name, final in scored.items():
        results_ = score_system(name, labeled, final, structured.get(name))
        per_page[name] = results_
        agg = scoring.aggregate(results_)
        seconds = sum(sc.seconds for sc in final)
        agg["pages_per_s"] = round(len(final) / seconds, 2) if seconds > 0 and name not in REFERENCE else None
        agg["version"] = versions.get(name)
        agg["kind"] = kind or ("reference" if name in REFERENCE else "system")
        # what its structure scores read: "markdown" or "html"; None: text only, no structure scored
        if ran_structure:
            agg["structured_format"] = formats.get(name) if name in structured else None
        if name in structured:
            agg["structure_errors"] = sum(st.error is not None for st in structured[name])
        agg["page_errors"] = {r.page_id: r.error for r in results_ if r.error}  # every failing page, for `errors` to list
        # per page, what `report` ranks pages by without re-running anything
        agg["page_block_f1"] = {r.page_id: round(r.scores["block_f1"], 4) for r in results_ if "block_f1" in r.scores}
        if kind == "submission":  # no registered system to re-run: its decisions, for `report` to render
            agg["page_scored"] = {labeled_page.page.page_id: sc.to_json() for labeled_page, sc in zip(labeled, final)}
        report["systems"][name] = agg
    for name, test in scoring.compare({n: r for n, r in per_page.items() if n != "oracle"}).items():
        report["systems"][name]["vs_best"] = test
    return report


@dataclass(frozen=True)
class RunOptions:
    """How the systems are run for `collect_scored`, `collect_structured` and `markdown_gold_report`:
    the per-page timeout, the worker processes, whether cached outputs are read (a run without
    the cache still refreshes it), and whether progress bars show."""

    timeout: float = DEFAULT_TIMEOUT
    workers: int = 2
    cache: bool = True
    progress: bool = True

    def outputs(
        self, systems: Sequence[System], corpus: Corpus, pages: Sequence[LabeledPage], cache: bool | None = None, **kw: Any
    ) -> dict[str, list[Output]]:
        """`run_systems` on `pages` as these options say (`cache`: instead of `self.cache`), their
        HTML read from `corpus` only if some output is not cached; `kw`: its other arguments."""
        return run_systems(
            list(systems),
            pages,
            _html_loader(corpus, pages),
            timeout=self.timeout,
            workers=self.workers,
            cache=self.cache if cache is None else cache,
            progress=self.progress,
            **kw,
        )


def _html_loader(corpus: Corpus, pages: Sequence[LabeledPage]) -> Callable[[], list[str]]:
    """What `run_systems` calls for the pages' HTML, decoded as the runner decodes it, in `pages`'
    order: read only when some output is not cached."""

    def load_html() -> list[str]:
        html = {p.page_id: decode_page(d) for p, d in corpus.iter_bytes(lp.page for lp in pages)}
        return [html[lp.page.page_id] for lp in pages]

    return load_html


def _structured_systems(names: Sequence[str]) -> dict[str, System]:
    """The systems of `names` with a structured mode that load here (the others are said skipped
    by `collect_scored`)."""
    loaded = _load_systems([n for n in names if n in STRUCTURED], quiet=True)[0]
    return {n: s for n, s in loaded.items() if s.structured_format}


def collect_scored(
    corpus: Corpus,
    labeled: Sequence[LabeledPage],
    names: Sequence[str],
    run: RunOptions = RunOptions(),
) -> tuple[dict[str, list[Scored]], dict[str, str | None], dict[str, str]]:
    """Each system's `Scored` for each labeled page (cached, else run and projected), its version,
    and the systems skipped (not installed) with why: what `evaluate` and `show` read."""
    loaded, skipped = _load_systems(names)
    # From the cache: key = system, version, page, gold, segmenter and aligner. Written either way:
    # a run with cache=False refreshes what it re-ran, timings included.
    store = Cache("scored")
    keys = {
        name: [
            key("scored", output_key(system, labeled_page), _gold_key(labeled_page), SEGMENTER_VERSION, ALIGNER_VERSION)
            for labeled_page in labeled
        ]
        for name, system in loaded.items()
    }
    scored, missing = store.lookup(keys, Scored.from_json, read=run.cache)
    if missing:
        made = _score_missing(corpus, labeled, loaded, missing, run)
        for (n, i), sc in made.items():
            scored[n][i] = sc
        store.put_many([(keys[n][i], sc.to_json()) for (n, i), sc in made.items()])
    store.close()
    for name in names:
        if name in REFERENCE:  # cheap, and depends on the labels: never cached
            scored[name] = [reference_scored(name, labeled_page) for labeled_page in labeled]
    final = {n: [sc for sc in scored[n] if sc is not None] for n in names if n in scored}
    versions: dict[str, str | None] = {n: (loaded[n].version if n in loaded else load_system(n).version) for n in final}
    return final, versions, skipped


def collect_structured(
    corpus: Corpus,
    labeled: Sequence[LabeledPage],
    names: Sequence[str],
    run: RunOptions = RunOptions(),
) -> tuple[dict[str, list[Structured]], dict[str, str]]:
    """Each system of `names` that has a structured mode (and loads here): its `Structured` of each
    labeled page (cached, else run in its structured mode and projected), and its format."""
    loaded = _structured_systems(names)
    formats = {n: str(s.structured_format) for n, s in loaded.items()}
    store = Cache("structured")
    keys = {
        name: [
            key(
                "structured", output_key(system, p, "structured"), SEGMENTER_VERSION, ALIGNER_VERSION, structure.STRUCTURE_VERSION
            )
            for p in labeled
        ]
        for name, system in loaded.items()
    }
    found, missing = store.lookup(keys, Structured.from_json, read=run.cache)
    if missing:
        need = sorted({i for v in missing.values() for i in v})
        sub = [labeled[i] for i in need]
        fresh: dict[str, dict[int, Structured]] = {}
        outputs = run.outputs(
            [loaded[n] for n in missing],
            corpus,
            sub,
            post=lambda k, out: output_structured(sub[k], out.structured_format, out.text, out.error),
            post_results=fresh,
            mode="structured",
        )
        pos = {i: k for k, i in enumerate(need)}
        made = []
        for n, idx in missing.items():
            for i in idx:
                st = fresh.get(n, {}).get(pos[i])
                if st is None:  # read from the outputs' cache, or `post` failed: projected here
                    out = outputs[n][pos[i]]
                    st = output_structured(labeled[i], out.structured_format, out.text, out.error)
                found[n][i] = st
                made.append((keys[n][i], st.to_json()))
        store.put_many(made)
    store.close()
    return {n: [st for st in v if st is not None] for n, v in found.items()}, formats


# Issue 27's targets against WCXB's Markdown gold (validation pages), element by element (F1).
MARKDOWN_GOLD_TARGETS = {"heading": 0.90, "list_item": 0.85, "table_cell": 0.85, "code": 0.80, "link": 0.85}


def output_gold_counts(labeled_page: LabeledPage, out: Output, markdown: str) -> dict[str, tuple[int, int, int]]:
    """`scoring.element_counts` of one structured output against the page's Markdown gold: its
    elements as parsed for the per-block scores, matched with no block or aligner between them
    (a failed page, with no output, keeps nothing)."""
    url = labeled_page.page.url or None
    elements = structure.parse(out.structured_format, out.text, url) if out.structured_format else []
    return scoring.element_counts([(e.structure, e.text) for e in elements], markdown_elements(labeled_page, markdown), url)


def markdown_gold_report(
    corpus: Corpus,
    labeled: Sequence[LabeledPage],
    names: Sequence[str],
    run: RunOptions = RunOptions(),
) -> dict[str, Any] | None:
    """Each structured system of `names` against the corpus's Markdown gold, over the pages of
    `labeled` that have one (`validate.structure_summary` per system), with the content blocks' own
    row for reference; None when no page has one (the test split). Read after `collect_structured`,
    which made (or refreshed) the structured outputs: they are read back from the outputs' cache;
    the counts are cached by output, gold, segmenter (it reads HTML outputs), parser and matching rules."""
    gold = corpus.markdown_gold
    pages = [lp for lp in labeled if lp.page.page_id in gold]
    if not pages:
        return None
    loaded = _structured_systems(names)
    store = Cache("markdown-gold")
    keys = {
        name: [
            key(
                "markdown-gold",
                output_key(system, p, "structured"),
                key("markdown", gold[p.page.page_id]),
                SEGMENTER_VERSION,
                structure.STRUCTURE_VERSION,
                scoring.MATCHING_VERSION,
            )
            for p in pages
        ]
        for name, system in loaded.items()
    }
    found, missing = store.lookup(keys, _counts_from_json, read=run.cache)
    if missing:
        need = sorted({i for v in missing.values() for i in v})
        sub = [pages[i] for i in need]
        # the outputs `collect_structured` made: read back from the outputs' cache
        outputs = run.outputs([loaded[n] for n in missing], corpus, sub, cache=True, mode="structured")
        pos = {i: k for k, i in enumerate(need)}
        made = []
        for n, idx in missing.items():
            for i in tqdm(idx, desc=f"{n} against the Markdown gold", disable=not run.progress):
                counts = output_gold_counts(pages[i], outputs[n][pos[i]], gold[pages[i].page.page_id])
                found[n][i] = counts
                made.append((keys[n][i], {e: list(c) for e, c in counts.items()}))
        store.put_many(made)
    store.close()
    blocks = [structure_checks(lp, gold[lp.page.page_id]) for lp in pages]
    return {
        "pages": len(pages),
        "content_blocks": structure_summary(blocks),
        "systems": {n: structure_summary([c for c in found[n] if c is not None]) for n in loaded},
    }


def _counts_from_json(d: dict[str, list[int]]) -> dict[str, tuple[int, int, int]]:
    return {e: (c[0], c[1], c[2]) for e, c in d.items()}


def _load_systems(names: Sequence[str], quiet: bool = False) -> tuple[dict[str, System], dict[str, str]]:
    """The registered systems among `names` that load here, and why each other one is skipped (a
    package or a model it requires is absent; said on stderr unless `quiet`); reference rows are neither."""
    loaded: dict[str, System] = {}
    skipped: dict[str, str] = {}
    for name in names:
        if name in REFERENCE:
            continue
        try:
            loaded[name] = load_system(name)
        except MissingSystem as e:
            skipped[name] = str(e)
            if not quiet:
                print(f"skipping {e}", file=sys.stderr)
    return loaded, skipped


def _score_missing(
    corpus: Corpus,
    labeled: Sequence[LabeledPage],
    systems: dict[str, System],
    missing: dict[str, list[int]],
    run: RunOptions,
) -> dict[tuple[str, int], Scored]:
    """`Scored` of each (system, index in `labeled`) of `missing`, in its order: the extractor's
    output (cached on its own, else run) projected onto the blocks in the worker that ran it, or
    here for an output read from the cache."""
    need = sorted({i for v in missing.values() for i in v})
    sub = [labeled[i] for i in need]
    fresh: dict[str, dict[int, Scored]] = {}  # system → position in `sub` → projected in the worker
    outputs = run.outputs(
        [systems[n] for n in missing],
        corpus,
        sub,
        post=lambda k, out: output_scored(sub[k], out.text, out.kept, out.seconds, out.error),
        post_results=fresh,
    )
    made = {(n, need[k]): sc for n, by_position in fresh.items() for k, sc in by_position.items()}
    pos = {i: k for k, i in enumerate(need)}
    late = [(n, i) for n, idx in missing.items() for i in idx if (n, i) not in made]
    made.update(zip(late, _project_all(labeled, [(i, outputs[n][pos[i]]) for n, i in late], run.workers, run.progress)))
    return {(n, i): made[n, i] for n, idx in missing.items() for i in idx}


def format_table(report: dict[str, Any]) -> str:
    """The readable table `evaluate` prints, best block F1 first."""
    rows = [
        [
            "system",
            "version",
            "pages",
            "err",
            "block F1 [95% CI]",
            "block P",
            "block R",
            "word F1",
            "word P",
            "word R",
            "title kept",
            "pages/s",
            f"× {scoring.SPEED_BASE}",
        ]
    ]
    systems = sorted(report["systems"].items(), key=lambda kv: -(kv[1]["block_f1"] or 0))
    base = report["systems"].get(scoring.SPEED_BASE, {}).get("pages_per_s")

    def f(v: Any) -> str:
        return "—" if v is None else f"{v:.3f}"

    for name, s in systems:
        ci = s.get("block_f1_ci")
        rows.append(
            [
                name,
                str(s["version"]),
                str(s["pages"]),
                str(s["errors"]),
                f"{f(s['block_f1'])} [{ci[0]:.3f}–{ci[1]:.3f}]" if ci else f(s["block_f1"]),
                f(s["block_precision"]),
                f(s["block_recall"]),
                f(s["word_f1"]),
                f(s["word_precision"]),
                f(s["word_recall"]),
                f(s.get("title_kept")),
                "—" if s["pages_per_s"] is None else f"{s['pages_per_s']:.1f}",
                f"×{s['pages_per_s'] / base:.2f}" if s["pages_per_s"] and base else "—",
            ]
        )
    lines = text_table(rows, left=2)
    structured = [{"system": n, "kind": s["kind"], "metrics": s} for n, s in systems if s.get("structured_format")]
    if structured:  # the structure table, as the board has it, for the systems that have a structured mode
        from .leaderboard import STRUCTURE_COLUMNS, structure_cells, structure_ranked

        lines.append("\nstructure, per content block (F1):")
        lines += text_table(
            [["system", *STRUCTURE_COLUMNS], *([r["system"], *structure_cells(r)] for r in structure_ranked(structured))], left=2
        )
    if report.get("markdown_gold"):
        lines += ["", *format_markdown_gold(report["markdown_gold"])]
    lines.append(
        f"\npages/s: one worker process of {report['workers']}, the extractor call only, timed when the output was made"
        f" (a cached output keeps that run's time); × {scoring.SPEED_BASE}: the ratio to its pages/s in this table"
    )
    where = f"split {report['split']}" if report["split"] else "every split"  # None: every page of the corpus
    lines.append(f"\n{where}, {report['pages']} pages, dataset revision {report['dataset_revision']}, {report['seconds']} s")
    return "\n".join(lines)


def format_markdown_gold(against: dict[str, Any]) -> list[str]:
    """The table of `markdown_gold_report`: each element's F1 summed over the pages (micro), best
    mean first, the content blocks' row last."""
    head = ["system", *(e.replace("_", " ") for e in STRUCTURE_ELEMENTS), "mean"]
    rows = [(n, [s[e]["f1"] for e in STRUCTURE_ELEMENTS]) for n, s in against["systems"].items()]
    rows.sort(key=lambda r: -sum(r[1]))
    rows.append(("(content blocks)", [against["content_blocks"][e]["f1"] for e in STRUCTURE_ELEMENTS]))
    table = [head, *([n, *(f"{v:.3f}" for v in f1), f"{sum(f1) / len(f1):.3f}"] for n, f1 in rows)]
    return [
        f"structure against the corpus's Markdown gold ({against['pages']} pages; F1 of each element summed over them):",
        *text_table(table, left=1),
        "targets (issue 27): " + ", ".join(f"{e.replace('_', ' ')} ≥ {t}" for e, t in MARKDOWN_GOLD_TARGETS.items()),
    ]
