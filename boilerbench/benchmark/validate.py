"""The validation report: do the derived labels agree with what humans said about each page?

Per corpus: pages, blocks, share of content among labeled blocks, and three agreement figures:

* `with_snippet_agreement`: share of `with` snippets (found in the page) of which some occurrence
  lies wholly in content blocks;
* `without_snippet_agreement`: share of `without` snippets (found in the page) all of whose
  occurrences lie wholly in boilerplate blocks;
* `gold_word_coverage`: share of gold words (bag of `\\w+` words, as WCXB counts them) present in the
  text of the content blocks, over pages with non-empty gold: what segmentation + alignment lose.

Snippet agreement is computed only where labels come from full gold text (for snippet-labeled
corpora it would be true by construction).

The structure of the content blocks (issue 27) is checked against the release's own Markdown gold
where one exists (WCXB's train and validation pages, `Corpus.markdown_gold`): element F1s
(`scoring.element_counts`: headings with levels, list items with depths, table cells with row and
column, code, links), summed over the pages (micro) and averaged over the pages that have the
element (macro), the content blocks taken as the prediction and the Markdown as the gold.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from ..core.align import TokenizedPage, find_snippet
from ..core.text import bag_of_words, text_table
from ..core.types import BOILERPLATE, CONTENT, STRUCTURE_ELEMENTS, LabeledPage, Structure
from .scoring import SCORED_APART, element_counts, prf, structure_scores
from .structure import parse_markdown


def page_checks(labeled_page: LabeledPage) -> dict[str, Any]:
    """Agreement counts of one page (summed into the report)."""
    labels = [b.label for b in labeled_page.blocks]
    out: dict[str, Any] = {"page_id": labeled_page.page.page_id, "blocks": len(labels)}
    out["labeled"] = sum(lab is not None for lab in labels)
    out["content"] = sum(lab == CONTENT for lab in labels)
    gold = labeled_page.gold
    if gold.text is None:
        return out
    tp = TokenizedPage([b.block for b in labeled_page.blocks])
    w_ok = w_n = wo_ok = wo_n = 0
    bad: list[str] = []
    for s in gold.with_snippets:
        hits = find_snippet(tp, s)
        if hits:
            w_n += 1
            ok = any(all(labels[i] == CONTENT for i in occ) for occ in hits)
            w_ok += ok
            if not ok:
                bad.append(f"with: {s[:60]!r}")
    for s in gold.without_snippets:
        hits = find_snippet(tp, s)
        if hits:
            wo_n += 1
            ok = all(labels[i] == BOILERPLATE for occ in hits for i in occ)
            wo_ok += ok
            if not ok:
                bad.append(f"without: {s[:60]!r}")
    out.update(with_ok=w_ok, with_n=w_n, without_ok=wo_ok, without_n=wo_n, disagreements=bad)
    out["with_missing"] = len(gold.with_snippets) - w_n
    out["without_missing"] = len(gold.without_snippets) - wo_n
    if gold.text.strip():
        g = bag_of_words(gold.text)
        c = bag_of_words("\n".join(b.block.text for b in labeled_page.blocks if b.label == CONTENT))
        out["gold_words"] = sum(g.values())
        out["covered_words"] = sum((g & c).values())
    return out


def structure_checks(labeled_page: LabeledPage, markdown: str) -> dict[str, tuple[int, int, int]]:
    """The page's content blocks' structure against its Markdown gold, element by element; the page's
    title block is left out, as the release keeps the title in a field of its own."""
    blocks = [
        (b.block.known_structure, b.block.text) for b in labeled_page.blocks if b.label == CONTENT and b.category != SCORED_APART
    ]
    return element_counts(blocks, markdown_elements(labeled_page, markdown), labeled_page.page.url or None)


def markdown_elements(labeled_page: LabeledPage, markdown: str) -> list[tuple[Structure, str]]:
    """A page's Markdown gold as (structure, text) elements, its links resolved against the page URL:
    what `structure_checks` and `evaluate`'s table against the Markdown gold both match against."""
    return [(e.structure, e.text) for e in parse_markdown(markdown, labeled_page.page.url or None)]


def structure_summary(counts: Sequence[dict[str, tuple[int, int, int]]]) -> dict[str, Any]:
    """Per element: micro P/R/F1 over all pages, and the macro F1 over the pages that have it."""
    out: dict[str, Any] = {"pages": len(counts)}
    for e in STRUCTURE_ELEMENTS:
        tp, fp, fn = (sum(c[e][k] for c in counts) for k in range(3))
        p, r, f = prf(tp, fp, fn)
        pages = [structure_scores(c)[f"{e}_f1"] for c in counts if sum(c[e])]
        out[e] = {
            "precision": round(p, 4),
            "recall": round(r, 4),
            "f1": round(f, 4),
            "page_f1": round(sum(pages) / len(pages), 4) if pages else None,
            "pages": len(pages),
            "gold": tp + fn,
        }
    return out


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def summarize(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    s: Counter[str] = Counter()
    for r in rows:
        for k, v in r.items():
            if isinstance(v, int) and not isinstance(v, bool):
                s[k] += v
    return {
        "pages": len(rows),
        "blocks": s["blocks"],
        "labeled_blocks": s["labeled"],
        "content_share": _ratio(s["content"], s["labeled"]),
        "with_snippet_agreement": _ratio(s["with_ok"], s["with_n"]),
        "without_snippet_agreement": _ratio(s["without_ok"], s["without_n"]),
        "gold_word_coverage": _ratio(s["covered_words"], s["gold_words"]),
        "snippets_checked": s["with_n"] + s["without_n"],
        "snippets_not_found": s["with_missing"] + s["without_missing"],
        "empty_gold_pages": sum(1 for r in rows if "with_n" in r and "gold_words" not in r),
    }


def report(pages: Sequence[LabeledPage], worst: int = 10, markdown: dict[str, str] | None = None) -> dict[str, Any]:
    """The agreement figures of `pages`; with `markdown` (page id → Markdown gold), the structure
    check too, on the pages that have one."""
    rows = [page_checks(labeled_page) for labeled_page in pages]
    markdown = markdown or {}
    structure = [structure_checks(lp, markdown[lp.page.page_id]) for lp in pages if lp.page.page_id in markdown]
    by_corpus: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for labeled_page, r in zip(pages, rows):
        by_corpus[labeled_page.page.source].append(r)
    splits = Counter(labeled_page.page.split for labeled_page in pages)
    low = sorted((r for r in rows if r.get("gold_words")), key=lambda r: r["covered_words"] / r["gold_words"])[:worst]
    disagree = sorted((r for r in rows if r.get("disagreements")), key=lambda r: -len(r["disagreements"]))[:worst]
    return {
        "overall": summarize(rows),
        "corpora": {name: summarize(rs) for name, rs in sorted(by_corpus.items())},
        "splits": dict(sorted(splits.items())),
        "pages": len(rows),
        "blocks": sum(r["blocks"] for r in rows),
        "worst_coverage": [
            {"page_id": r["page_id"], "coverage": round(r["covered_words"] / r["gold_words"], 3), "gold_words": r["gold_words"]}
            for r in low
        ],
        "worst_snippets": [{"page_id": r["page_id"], "disagreements": r["disagreements"]} for r in disagree],
        "structure": structure_summary(structure) if structure else None,
    }


TARGETS = {"with_snippet_agreement": 0.98, "without_snippet_agreement": 0.95, "gold_word_coverage": 0.97}


def format_report(rep: dict[str, Any]) -> str:
    cols = ["pages", "blocks", "content_share", "with_snippet_agreement", "without_snippet_agreement", "gold_word_coverage"]
    head = ["corpus", "pages", "blocks", "% content", "with agr.", "without agr.", "gold cov."]
    rows = [head]
    for name, s in [*rep["corpora"].items(), ("ALL", rep["overall"])]:
        cells = [name]
        for c in cols:
            v = s[c]
            cells.append(
                "—"
                if v is None
                else f"{100 * v:.1f}"
                if c == "content_share"
                else f"{v:.3f}"
                if isinstance(v, float)
                else f"{v:,}"
            )
        rows.append(cells)
    lines = text_table(rows, left=1)
    lines.append("")
    lines.append("splits: " + ", ".join(f"{k} {v}" for k, v in rep["splits"].items()))
    o = rep["overall"]
    for k, t in TARGETS.items():
        v = o[k]
        lines.append(f"{k}: {v} (target ≥ {t}) {'ok' if v is not None and v >= t else 'SHORT'}")
    if rep["worst_coverage"]:
        lines.append(
            "lowest gold word coverage: " + ", ".join(f"{r['page_id']} {r['coverage']:.2f}" for r in rep["worst_coverage"])
        )
    if rep["worst_snippets"]:
        lines.append(
            "most snippet disagreements: "
            + ", ".join(f"{r['page_id']} ({len(r['disagreements'])})" for r in rep["worst_snippets"])
        )
    if rep.get("structure"):
        st = rep["structure"]
        lines += ["", f"structure of the content blocks against the release's Markdown gold ({st['pages']} pages):"]
        table = [["element", "precision", "recall", "F1", "page F1", "pages", "gold elements"]]
        for e in STRUCTURE_ELEMENTS:
            c = st[e]
            page_f1 = "—" if c["page_f1"] is None else f"{c['page_f1']:.3f}"
            table.append(
                [e, f"{c['precision']:.3f}", f"{c['recall']:.3f}", f"{c['f1']:.3f}", page_f1, f"{c['pages']:,}", f"{c['gold']:,}"]
            )
        lines += text_table(table, left=1)
    return "\n".join(lines)
