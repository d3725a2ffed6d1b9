"""Static HTML views of the benchmark: a page's blocks side by side for every system (`show --out`).

Every page is one self-contained file: inline CSS, no script, no external asset, and a Content
Security Policy that forbids both, so a report opened from anywhere fetches nothing and runs nothing.
All page text is escaped: a page's own markup or scripts are shown as text, never interpreted.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from html import escape
from pathlib import Path

from ..core.types import BOILERPLATE, CONTENT, Gold, LabeledBlock, LabeledPage, Page, Structure
from ..extractor.extract import classify
from . import scoring
from .corpora.store import Corpus
from .evaluate import RunOptions, Scored, Structured, collect_scored, collect_structured, score_system
from .groundtruth import load_labeled
from .leaderboard import (
    METRIC_COLUMNS,
    SPEED_NOTE,
    STRUCTURE_COLUMNS,
    STRUCTURE_NOTE,
    TITLE_NOTE,
    atomic_write,
    figures,
    load_results,
    metric_cells,
    ranked,
    speed_base,
    structure_by_corpus,
    structure_cells,
    structure_ranked,
)
from .systems import REFERENCE, REGISTRY

_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.3em;margin:0 0 .2em} .meta{color:#555;margin-bottom:1em;word-break:break-all}
table{border-collapse:collapse} th,td{border:1px solid #ddd;padding:2px 6px;vertical-align:top}
th{background:#f4f4f4;position:sticky;top:0}
td.text{min-width:24em;max-width:40em;white-space:pre-wrap;word-break:break-word}
th.sys{writing-mode:vertical-rl;font-weight:normal;font-size:12px;padding:4px 1px}
tr.content td.gold{background:#dff3df} tr.boilerplate td.gold{background:#f3e3e3} tr.unlabeled td.gold{color:#999}
td.sys{text-align:center;font-family:monospace}
td.keep{background:#e8f5e8} td.drop{background:#fafafa;color:#bbb}
td.leak{background:#f8b4b4;font-weight:bold} td.lost{background:#ffd27f;font-weight:bold}
td.flat{background:#c9dcf5;font-weight:bold}
.legend span{display:inline-block;padding:0 .5em;margin-right:.5em;border:1px solid #ddd}
"""


def _inline_code(markdown: str) -> str:
    """A note written for the Markdown board, as HTML: escaped, `code` spans kept, *emphasis* kept."""
    html = re.sub(r"`([^`]*)`", r"<code>\1</code>", escape(markdown))
    return re.sub(r"\*([^*]+)\*", r"<em>\1</em>", html)


def _yes_no(v: float | None) -> str:
    return "—" if v is None else ("yes" if v else "no")


def _f(v: float | None) -> str:
    return "—" if v is None else f"{v:.3f}"


def _cell(label: str | None, kept: bool) -> tuple[str, str]:
    """(css class, mark) of one system's decision on one block: leaked boilerplate and lost
    content are the errors to see."""
    if label == BOILERPLATE and kept:
        return "leak", "✓"
    if label == CONTENT and not kept:
        return "lost", "·"
    return ("keep", "✓") if kept else ("drop", "·")


def short_structure(s: Structure | None) -> str:
    """A block's structure in a few characters (`h2`, `li1`, `td 0,1`, `code`, `p`…); "—": none."""
    if s is None:
        return "—"
    mark = {"heading": f"h{s.level}", "list_item": f"li{s.level}", "table_cell": f"td {s.row},{s.col}", "paragraph": "p"}.get(
        s.kind, s.kind
    )
    return mark + (f" +{len(s.links)}↗" if s.links else "")


def lost_structure(gold: Structure, predicted: Structure | None) -> list[str]:
    """The structure elements a system's output gets wrong on one content block (missed or made up:
    the block is a false negative or positive of their F1, `scoring.structure_counts`)."""
    counts = scoring.structure_counts([CONTENT], [""], [gold], [predicted])
    return [e for e, (_, fp, fn) in counts.items() if fp or fn]


def render_page(
    labeled_page: LabeledPage,
    by_system: dict[str, Scored],
    versions: dict[str, str | None] | None = None,
    skipped: dict[str, str] | None = None,
    structured: dict[str, Structured] | None = None,
) -> str:
    """One page's blocks in order — gold label, category, gold structure, one column per system (a
    content block whose structure a system's structured output gets wrong marked) — with each
    system's block, word and structure scores on this page at the top."""
    names = list(by_system)
    structured = structured or {}
    results = {n: score_system(n, [labeled_page], [by_system[n]], [structured[n]] if n in structured else None)[0] for n in names}
    p = labeled_page.page
    rows = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        f"<title>{escape(p.page_id)} — boilerbench</title><style>{_STYLE}</style></head><body>",
        f"<h1>{escape(p.page_id)}</h1>",
        f'<div class="meta">{escape(p.source)} · {escape(p.split)} · {escape(p.page_type or "—")} · {escape(p.language)} · {escape(p.url or "")}</div>',
        '<table class="systems"><thead><tr><th>system</th><th>version</th><th>block F1</th><th>block P</th>'
        "<th>block R</th><th>word F1</th><th>title kept</th><th>kept</th><th>leaked boilerplate</th><th>lost content</th>"
        "<th>structure</th><th>error</th></tr></thead><tbody>",
    ]
    for n in names:
        s = results[n].scores
        kept = by_system[n].kept
        leaks = sum(1 for b, k in zip(labeled_page.blocks, kept) if k and b.label == BOILERPLATE)
        lost = sum(1 for b, k in zip(labeled_page.blocks, kept) if not k and b.label == CONTENT)
        rows.append(
            f'<tr class="system"><td>{escape(n)}</td><td>{escape(str((versions or {}).get(n) or "—"))}</td>'
            f"<td>{_f(s.get('block_f1'))}</td><td>{_f(s.get('block_precision'))}</td><td>{_f(s.get('block_recall'))}</td>"
            f"<td>{_f(s.get('word_f1'))}</td><td>{_yes_no(s.get('title_kept'))}</td><td>{sum(kept)}/{len(kept)}</td><td>{leaks}</td><td>{lost}</td>"
            f"<td>{_f(s.get('structure_score')) if n in structured else 'text'}</td>"
            f"<td>{escape(by_system[n].error or (structured[n].error if n in structured else None) or '')}</td></tr>"
        )
    rows.append("</tbody></table>")
    for n, why in (skipped or {}).items():
        rows.append(f'<p class="skipped">{escape(n)}: not run ({escape(why)})</p>')
    rows.append(
        '<p class="legend"><span>✓ kept</span><span>· dropped</span>'
        '<span style="background:#f8b4b4">leaked boilerplate</span><span style="background:#ffd27f">lost content</span>'
        '<span style="background:#c9dcf5">structure lost (≠, in the structured output; hover for what it wrote)</span></p>'
    )
    head = "".join(f'<th class="sys" title="{escape(n)}">{escape(n)}</th>' for n in names)
    # the text first (and wrapped), then the labels and a narrow column per system: a page with 18
    # systems still shows its text at 1,400 px
    rows.append(
        f'<table class="blocks"><thead><tr><th>text</th><th>#</th><th>gold</th><th>category</th><th>tag</th><th>structure</th>{head}</tr></thead><tbody>'
    )
    for i, b in enumerate(labeled_page.blocks):
        label = b.label
        cls = {CONTENT: "content", BOILERPLATE: "boilerplate"}.get(label or "", "unlabeled")
        cells = []
        for n in names:
            css, mark = _cell(label, by_system[n].kept[i])
            title = ""
            if n in structured and label == CONTENT and b.category != scoring.SCORED_APART:
                predicted = structured[n].structures[i]
                wrong = lost_structure(b.block.known_structure, predicted)
                if wrong:
                    css, mark = "flat", mark + "≠"
                    title = f' title="{escape(", ".join(wrong))}: output {escape(short_structure(predicted))}"'
            cells.append(f'<td class="sys {css}"{title}>{mark}</td>')
        rows.append(
            f'<tr class="block {cls}"><td class="text">{escape(b.block.text)}</td><td>{b.block.index}</td><td class="gold">{escape(label or "?")}</td>'
            f"<td>{escape(b.category)}</td><td>{escape(b.block.tag)}</td><td>{escape(short_structure(b.block.known_structure))}</td>{''.join(cells)}</tr>"
        )
    rows += ["</tbody></table>", "</body></html>"]
    return "\n".join(rows) + "\n"


def render_classifier_page(name: str, text: str) -> str:
    """`render_page` for any page without gold: the shipped classifier's decisions and the category
    model's groups, as `show FILE` prints them (blocks are unlabeled, so nothing is scored or marked
    as an error)."""
    d = classify(text, "auto", name=name)
    cats = d.block_groups()
    page = Page(
        page_id=name,
        source="file",
        source_id=name,
        url="",
        domain="",
        license="unknown",
        page_type=None,
        language="",
        split="none",
        sha256="",
        archive="",
        page_format=d.page_format,
    )
    labeled_page = LabeledPage(page, Gold(name, None), tuple(LabeledBlock(b, None, c) for b, c in zip(d.blocks, cats)))
    system = "boilerbench-text" if d.page_format == "text" else "boilerbench"
    return render_page(labeled_page, {system: Scored(tuple(d.kept), None, 0.0, None)})


# --- the static site ------------------------------------------------------------------------------------


def _inline_png(svg: Path, alt: str) -> str:
    """The figure's PNG as a data URI: nothing for the page to fetch, and no clash between the
    element ids of two inline SVGs."""
    data = base64.b64encode(svg.with_suffix(".png").read_bytes()).decode("ascii")
    return f'<img alt="{escape(alt)}" src="data:image/png;base64,{data}">'


def _html_table(header: Sequence[str], rows: Sequence[Sequence[str]], cls: str) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def build_site(
    corpus: Corpus,
    out: Path,
    folder: Path | None = None,
    systems: Sequence[str] | None = None,
    worst: int = 3,
    min_pages: int = 5,
    progress: bool = True,
) -> Path:
    """A static site from `baselines/`: the leaderboard, the leakage heatmap, per page-type and
    per-language tables, the quality–speed scatter with its Pareto front, and each system's
    `worst` test pages rendered as `show` pages. Returns the index page."""
    records = ranked(load_results(folder))
    if not records:
        raise ValueError("no result files in baselines/: run `python -m boilerbench evaluate --save` first")
    out.mkdir(parents=True, exist_ok=True)
    figs = figures(records, out)

    base = speed_base(records)
    main = _html_table(
        ["#", "system", "kind", *METRIC_COLUMNS],
        [
            [str(k), escape(r["system"]), escape(r.get("kind", "system")), *map(escape, metric_cells(r, base))]
            for k, r in enumerate(records, start=1)
        ],
        "leaderboard",
    )
    groups = {}
    for key, title in (
        ("by_page_type", "block F1 by page type"),
        ("by_language", f"block F1 by language (≥ {min_pages} test pages)"),
    ):
        sizes: dict[str, int] = {}
        for r in records:
            for g, m in r["metrics"].get(key, {}).items():
                sizes[g] = max(sizes.get(g, 0), m.get("pages", 0))
        cols = sorted(g for g, n in sizes.items() if n >= (min_pages if key == "by_language" else 1) and g != "unknown")
        groups[title] = _html_table(
            ["system", *[f"{g} ({sizes[g]})" for g in cols]],
            [[escape(r["system"]), *[_f(r["metrics"].get(key, {}).get(g, {}).get("block_f1")) for g in cols]] for r in records],
            "groups",
        )

    # each system's worst pages (with full labels) by the per-page scores its result file keeps;
    # only those pages are labeled, and only the registered systems run on them (cached when warm)
    by_name = {r["system"]: r for r in records}
    shown = [by_name[n] for n in (systems if systems is not None else by_name) if n in by_name]
    full = {p.page_id for p in corpus.select(split="test") if corpus.gold[p.page_id].text is not None}
    worst_of: dict[str, list[tuple[float, str]]] = {}
    for r in shown:
        if r.get("kind") == "reference":
            continue
        pages = sorted((f1, pid) for pid, f1 in r["metrics"].get("page_block_f1", {}).items() if pid in full)
        worst_of[r["system"]] = pages[:worst]
    wanted = {pid for pages in worst_of.values() for _, pid in pages}
    labeled = load_labeled(corpus, [p for p in corpus.select(split="test") if p.page_id in wanted], progress=progress)
    stored = {r["system"]: r["metrics"]["page_scored"] for r in shown if "page_scored" in r["metrics"]}
    runnable = [r["system"] for r in shown if r["system"] in REGISTRY or r["system"] in REFERENCE]
    scored, versions, skipped = collect_scored(
        corpus, labeled, [n for n in runnable if n not in stored], RunOptions(progress=progress)
    )
    structured, _ = collect_structured(corpus, labeled, list(scored), RunOptions(progress=progress))
    for name, per_page in stored.items():
        scored[name] = [Scored.from_json(per_page[labeled_page.page.page_id]) for labeled_page in labeled]
        versions[name] = next((r.get("version") for r in shown if r["system"] == name), None)
    for r in shown:
        if r["system"] not in scored and r["system"] not in skipped:
            skipped[r["system"]] = "its result file keeps no per-page outputs and no registered system has its name"
    worst_links = []
    for name, pages in worst_of.items():
        items = [f'<a href="pages/{escape(pid)}.html">{escape(pid)}</a> ({f1:.2f})' for f1, pid in pages]
        worst_links.append(f"<li><b>{escape(name)}</b>: {', '.join(items) or '—'}</li>")
    (out / "pages").mkdir(exist_ok=True)
    for i, labeled_page in enumerate(labeled):
        atomic_write(
            out / "pages" / f"{labeled_page.page.page_id}.html",
            render_page(
                labeled_page, {n: v[i] for n, v in scored.items()}, versions, skipped, {n: v[i] for n, v in structured.items()}
            ),
        )

    corpora, corpus_rows = structure_by_corpus(records)
    index = [
        "<!doctype html>",
        f'<html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        f"<title>boilerbench report</title><style>{_STYLE} .figure img{{max-width:100%;height:auto}}</style></head><body>",
        "<h1>boilerbench: which extractor leaks what</h1>",
        f'<div class="meta">Test split, dataset revision(s) {escape(", ".join(sorted({r["dataset_revision"] for r in records})))}. '
        "Generated by <code>python -m boilerbench report</code> from <code>baselines/</code>.</div>",
        "<h2>Leaderboard</h2>",
        main,
        *(f'<p class="note">{_inline_code(note)}</p>' for note in (TITLE_NOTE, SPEED_NOTE)),
        "<h2>Structure (per content block)</h2>",
        _html_table(
            ["system", *STRUCTURE_COLUMNS],
            [[escape(r["system"]), *map(escape, structure_cells(r))] for r in structure_ranked(records)],
            "structure",
        ),
        f'<p class="note">{_inline_code(STRUCTURE_NOTE)}</p>',
        "<h3>Structure score by corpus</h3>",
        _html_table(["system", *corpora], [list(map(escape, row)) for row in corpus_rows], "structure-corpus"),
        '<h2>Quality vs speed</h2><div class="figure scatter">',
        _inline_png(figs["scatter"], "block F1 against pages/s, Pareto front dashed"),
        "</div>",
        '<h2>What leaks</h2><div class="figure heatmap">',
        _inline_png(figs["heatmap"], "boilerplate kept, % per category and system"),
        "</div>",
    ]
    for title, table in groups.items():
        index += [f"<h2>{escape(title[0].upper() + title[1:])}</h2>", table]
    index += ["<h2>Worst pages of each system</h2>", '<ul class="worst">', *worst_links, "</ul>", "</body></html>"]
    path = out / "index.html"
    atomic_write(path, "\n".join(index) + "\n")
    return path
