"""Scores: pure functions of (labels, kept blocks, texts). No extractor is imported here.

Per page, over the *labeled* blocks (unlabeled blocks are never scored):

* `block_precision/recall/f1` of the content class, each block counted once; `block_*_w` the same
  with blocks weighted by their word count. The page's own title block (category `title`) is left
  out of them: the corpora disagree on it (WCXB and Scrapinghub keep the title in a field apart
  from the text, and many extractors return it as metadata), so it is scored on its own:
* `title_kept`: 1 if the system keeps the page's title block, 0 if not (pages with one).
* `word_precision/recall/f1`: WCXB's published metric, bag of lower-cased `\\w+` words of the
  extracted text against the gold text (multiset overlap); only pages with full gold text.

Structure (issue 27), for a system with a structured output (`structure.assign`: per block the
structure of the output element that covers it, or None), over the page's *content* blocks (the
title apart, as above; a boilerplate block the output keeps is block F1's business, not these):

* `heading_f1`: a block is a true positive when gold and output both make it a heading of the same
  level; a heading of another level is a false positive and a false negative, as in exact-match NER;
* `list_item_f1`: the same for list items, of the same depth (1 = top level);
* `table_cell_f1`: the same for table cells, in the same row and column of their table;
* `code_f1`: the same for code blocks (their language is not scored: few outputs keep it);
* `link_f1`: per block, the gold's set of absolute hrefs against the output's, summed over blocks
  (hrefs compared percent-decoded, `normalize_href`: a CommonMark parser percent-encodes them, a DOM not);
* `structure_score`: the mean of the five F1s over the ones the page has, in its gold or in the
  output (an element neither has is not scored on the page; one only the output has scores 0).

Against a Markdown gold (WCXB's `main_content_markdown`, `element_counts`): the same five F1s, but
element against element, with no block and no aligner between them, so the check reads nothing the
segmenter made: a page's elements are multisets of keys, matched exactly. Words are the lower-cased
word tokens, so Markdown's escapes and emphasis marks, and a heading's trailing `#` or `¶`
permalink sign, do not count. The rules (annotations/GUIDELINES.md §6, measured on the validation
pages), the same for the content blocks and every system:

* a heading by (level, words), a list item by (depth, words), a table cell by (row, column, words):
  the unit a reader sees, whole;
* code by its words, each word a key (word P/R, as the text score): a listing is its code, and the
  gold cuts one listing into several (unfenced code read back as indented blocks at each blank line)
  where the page has one `pre`, and the reverse; whole-block identity scored those cuts, not code;
* a link by its href without its fragment (the fragment names a place in the target page, and the
  gold's converter garbles some: a fragment written with backquotes around a name), links to the page itself left out (heading
  permalinks, tables of contents, footnote marks: navigation inside the page, which the gold drops,
  14 of them on the 195 validation pages against 575 in the content blocks).

Empty cases (both metrics, as WCXB defines its F1):
* no content in the gold and nothing kept → P = R = F1 = 1 (the right answer was "nothing");
* no content in the gold, something kept → P = 0, R = 1, F1 = 0;
* content in the gold, nothing kept → P = R = F1 = 0.

Corpus figures are means over pages (macro), with a seeded bootstrap over pages for 95% intervals.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urldefrag

import numpy as np

from ..core.categories import BOILERPLATE_CATEGORIES, CONTENT_CATEGORIES
from ..core.text import bag_of_words, has_word, tokenize
from ..core.types import BOILERPLATE, CONTENT, STRUCTURE_ELEMENTS, Structure

METRIC_VERSION = "2"  # 2: the page title scored apart from block P/R/F1
MATCHING_VERSION = "2"  # the rules of `element_keys` (matching against a Markdown gold); 2: code by words, links to the page left out, fragments dropped
BOOTSTRAP_SAMPLES = 1000
SEED = 20261125
PRIMARY = ("block_f1", "block_precision", "block_recall", "word_f1", "word_precision", "word_recall")
SPEED_BASE = "trafilatura"  # machines differ: speed is also given as a ratio to this system's, in the same run
SCORED_APART = "title"  # the content category left out of the block metrics and leakage, scored as `title_kept`
STRUCTURE_SCORES = (*(f"{e}_f1" for e in STRUCTURE_ELEMENTS), "structure_score")  # per page and system


def prf(tp: float, fp: float, fn: float) -> tuple[float, float, float]:
    """Precision, recall, F1 of the content class with the empty cases of the module docstring."""
    gold = tp + fn
    pred = tp + fp
    if gold == 0:
        return (1.0, 1.0, 1.0) if pred == 0 else (0.0, 1.0, 0.0)
    if pred == 0 or tp == 0:
        return 0.0, 0.0, 0.0
    p, r = tp / pred, tp / gold
    return p, r, 2 * p * r / (p + r)


def block_scores(
    labels: Sequence[str | None], kept: Sequence[bool], weights: Sequence[int] | None = None
) -> dict[str, float] | None:
    """Block P/R/F1 of one page; None when the page has no labeled block."""
    if len(labels) != len(kept):
        raise ValueError(f"{len(kept)} decisions for {len(labels)} blocks")
    tp = fp = fn = 0.0
    wtp = wfp = wfn = 0.0
    n = 0
    for i, (lab, k) in enumerate(zip(labels, kept)):
        if lab is None:
            continue
        n += 1
        w = weights[i] if weights is not None else 1
        if lab == CONTENT:
            if k:
                tp += 1
                wtp += w
            else:
                fn += 1
                wfn += w
        elif k:
            fp += 1
            wfp += w
    if n == 0:
        return None
    p, r, f = prf(tp, fp, fn)
    out = {"block_precision": p, "block_recall": r, "block_f1": f}
    if weights is not None:
        wp, wr, wf = prf(wtp, wfp, wfn)
        out.update(block_precision_w=wp, block_recall_w=wr, block_f1_w=wf)
    return out


def word_counts(predicted: str, reference: str) -> tuple[int, int, int]:
    """(overlap, predicted words, reference words): all WCXB's word metric needs, cacheable."""
    pred = bag_of_words(predicted)
    ref = bag_of_words(reference)
    return sum((pred & ref).values()), sum(pred.values()), sum(ref.values())


def word_scores(predicted: str, reference: str) -> dict[str, float]:
    """WCXB's word metric: multiset overlap of lower-cased `\\w+` words."""
    return word_scores_from_counts(*word_counts(predicted, reference))


def word_scores_from_counts(overlap: int, n_pred: int, n_ref: int) -> dict[str, float]:
    p, r, f = prf(overlap, n_pred - overlap, n_ref - overlap)
    return {"word_precision": p, "word_recall": r, "word_f1": f}


def normalize_href(href: str) -> str:
    """An href as the link scores compare it: percent-decoded, without surrounding white space."""
    return unquote(href.strip())


def _same(element: str, gold: Structure, predicted: Structure | None) -> tuple[bool, bool]:
    """(is the gold block this element, is the output's this element and right about it)."""
    is_gold = gold.kind == element
    if predicted is None or predicted.kind != element:
        return is_gold, False
    if element == "heading" or element == "list_item":
        right = is_gold and predicted.level == gold.level
    elif element == "table_cell":
        right = is_gold and (predicted.row, predicted.col) == (gold.row, gold.col)
    else:
        right = is_gold
    return is_gold, right


def structure_counts(
    labels: Sequence[str | None],
    categories: Sequence[str],
    gold: Sequence[Structure],
    predicted: Sequence[Structure | None],
) -> dict[str, tuple[int, int, int]]:
    """(true positives, false positives, false negatives) of each of `STRUCTURE_ELEMENTS` over one
    page's content blocks (the module docstring): all the structure scores need, cacheable."""
    if not len(labels) == len(categories) == len(gold) == len(predicted):
        raise ValueError(f"{len(predicted)} projected structures for {len(labels)} labels, {len(gold)} gold structures")
    counts = {e: [0, 0, 0] for e in STRUCTURE_ELEMENTS}
    for label, category, g, p in zip(labels, categories, gold, predicted):
        if label != CONTENT or category == SCORED_APART:
            continue
        for element in STRUCTURE_ELEMENTS:
            c = counts[element]
            if element == "link":
                hg = {normalize_href(link.href) for link in g.links}
                hp = {normalize_href(link.href) for link in p.links} if p is not None else set()
                c[0] += len(hg & hp)
                c[1] += len(hp - hg)
                c[2] += len(hg - hp)
                continue
            is_gold, right = _same(element, g, p)
            is_predicted = p is not None and p.kind == element
            c[0] += right
            c[1] += is_predicted and not right
            c[2] += is_gold and not right
    return {e: (c[0], c[1], c[2]) for e, c in counts.items()}


def structure_scores(counts: dict[str, tuple[int, int, int]] | dict[str, list[int]]) -> dict[str, float]:
    """The page's F1 of each element it has (in gold or output) and their mean, `structure_score`."""
    out: dict[str, float] = {}
    for element in STRUCTURE_ELEMENTS:
        tp, fp, fn = counts[element]
        if tp + fp + fn:
            out[f"{element}_f1"] = prf(tp, fp, fn)[2]
    if out:
        out["structure_score"] = float(np.mean(list(out.values())))
    return out


def _words_key(text: str) -> str:
    return " ".join(w.lower() for w in tokenize(text) if has_word(w))


def element_keys(elements: Iterable[tuple[Structure, str]], url: str | None = None) -> dict[str, Counter[Any]]:
    """Each of `STRUCTURE_ELEMENTS` as a multiset of keys (the module docstring), from (structure,
    text) pairs: a parsed output's or Markdown gold's elements, or a page's content blocks; `url`,
    the page's, tells its links to itself (left out)."""
    keys: dict[str, Counter[Any]] = {e: Counter() for e in STRUCTURE_ELEMENTS}
    page = urldefrag(normalize_href(url))[0] if url else None
    for structure, text in elements:
        words = _words_key(text)
        if words:
            if structure.kind == "heading" or structure.kind == "list_item":
                keys[structure.kind][(structure.level, words)] += 1
            elif structure.kind == "table_cell":
                keys["table_cell"][(structure.row, structure.col, words)] += 1
            elif structure.kind == "code":
                keys["code"].update(words.split())
        for link in structure.links:
            href = urldefrag(normalize_href(link.href))[0]
            if href != page:
                keys["link"][href] += 1
    return keys


def element_counts(
    predicted: Iterable[tuple[Structure, str]], gold: Iterable[tuple[Structure, str]], url: str | None = None
) -> dict[str, tuple[int, int, int]]:
    """(true positives, false positives, false negatives) of each of `STRUCTURE_ELEMENTS`, element
    against element (`element_keys`) on the page at `url`; `structure_scores` turns them into F1s,
    as it does the blocks'."""
    p, g = element_keys(predicted, url), element_keys(gold, url)
    out = {}
    for e in STRUCTURE_ELEMENTS:
        tp = sum((p[e] & g[e]).values())
        out[e] = (tp, sum(p[e].values()) - tp, sum(g[e].values()) - tp)
    return out


@dataclass(frozen=True)
class PageResult:
    """Everything the aggregate needs about one (system, page): no blocks, no HTML."""

    page_id: str
    corpus: str
    page_type: str | None
    language: str
    scores: dict[str, float]  # block_* (absent if unlabeled page) and word_* (absent without gold text)
    kept_by_category: dict[str, tuple[int, int]]  # category → (kept, total) over labeled blocks
    error: str | None = None


def page_result(
    page_id: str,
    corpus: str,
    page_type: str | None,
    language: str,
    labels: Sequence[str | None],
    categories: Sequence[str],
    words: Sequence[int],
    kept: Sequence[bool],
    words_matched: tuple[int, int, int] | None,
    error: str | None = None,
    structure: dict[str, tuple[int, int, int]] | None = None,
) -> PageResult:
    """One page's scores; `words_matched` = `word_counts(output, gold)`, None without gold text;
    `structure` = `structure_counts(…)` of a structured output, None for a system without one."""
    scores: dict[str, float] = {}
    if structure is not None:
        scores.update(structure_scores(structure))
    apart = [lab is not None and cat == SCORED_APART for lab, cat in zip(labels, categories)]
    b = block_scores([None if a else lab for lab, a in zip(labels, apart)], kept, words)
    if b is not None:
        scores.update(b)
    titles = [bool(k) for k, a in zip(kept, apart) if a]
    if titles:
        scores["title_kept"] = sum(titles) / len(titles)
    if words_matched is not None:
        scores.update(word_scores_from_counts(*words_matched))
    cats: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for lab, cat, k in zip(labels, categories, kept):
        if lab is None:
            continue
        c = cats[cat]
        c[0] += bool(k)
        c[1] += 1
    return PageResult(page_id, corpus, page_type, language, scores, {k: (v[0], v[1]) for k, v in cats.items()}, error)


def bootstrap_ci(values: Sequence[float], samples: int = BOOTSTRAP_SAMPLES, seed: int = SEED) -> tuple[float, float]:
    """95% percentile interval of the mean, resampling pages."""
    x = np.asarray(values, dtype=float)
    if len(x) == 0:
        return (float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(x), size=(samples, len(x)))
    means = x[idx].mean(axis=1)
    lo, hi = np.percentile(means, [2.5, 97.5])
    return float(lo), float(hi)


def paired_bootstrap(
    a: Sequence[float], b: Sequence[float], samples: int = BOOTSTRAP_SAMPLES, seed: int = SEED
) -> dict[str, float]:
    """Paired test of mean(a) - mean(b) over the same pages: the difference, its 95% interval and
    a two-sided p-value (share of resampled differences on the other side of zero, doubled)."""
    x = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    if len(x) == 0:
        return {"diff": float("nan"), "ci_low": float("nan"), "ci_high": float("nan"), "p_value": float("nan")}
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(x), size=(samples, len(x)))
    means = x[idx].mean(axis=1)
    d = float(x.mean())
    if d >= 0:
        p = 2 * float((means <= 0).mean())
    else:
        p = 2 * float((means >= 0).mean())
    lo, hi = np.percentile(means, [2.5, 97.5])
    return {"diff": d, "ci_low": float(lo), "ci_high": float(hi), "p_value": min(1.0, p)}


def _mean_scores(results: Iterable[PageResult]) -> dict[str, Any]:
    cols: dict[str, list[float]] = defaultdict(list)
    n = 0
    for r in results:
        n += 1
        for k, v in r.scores.items():
            cols[k].append(v)
    out: dict[str, Any] = {"pages": n}
    for k in (*PRIMARY, "block_f1_w", "block_precision_w", "block_recall_w", "title_kept"):
        vals = cols.get(k)
        out[k] = round(float(np.mean(vals)), 4) if vals else None
    for k in STRUCTURE_SCORES:  # only where measured: a text system's figures are as they were, key for key
        if cols.get(k):
            out[k] = round(float(np.mean(cols[k])), 4)
    return out


def leakage(results: Iterable[PageResult]) -> dict[str, dict[str, float]]:
    """Per boilerplate category the share of its blocks kept; per content category the share dropped
    (the title is scored apart: `title_kept`)."""
    tot: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in results:
        for cat, (kept, total) in r.kept_by_category.items():
            tot[cat][0] += kept
            tot[cat][1] += total
    kept_bp = {c: round(tot[c][0] / tot[c][1], 4) for c in BOILERPLATE_CATEGORIES if tot[c][1]}
    dropped = {c: round(1 - tot[c][0] / tot[c][1], 4) for c in CONTENT_CATEGORIES if tot[c][1] and c != SCORED_APART}
    return {"boilerplate_kept": kept_bp, "content_dropped": dropped}


def aggregate(results: Sequence[PageResult]) -> dict[str, Any]:
    """Corpus-level figures of one system: means, CIs, leakage, breakdowns."""
    out = _mean_scores(results)
    out["errors"] = sum(r.error is not None for r in results)
    for k in ("block_f1", "word_f1", "structure_score"):
        vals = [r.scores[k] for r in results if k in r.scores]
        if vals:
            lo, hi = bootstrap_ci(vals)
            out[f"{k}_ci"] = [round(lo, 4), round(hi, 4)]
    out["leakage"] = leakage(results)
    for key, attr in (("by_corpus", "corpus"), ("by_page_type", "page_type"), ("by_language", "language")):
        groups: dict[str, list[PageResult]] = defaultdict(list)
        for r in results:
            groups[getattr(r, attr) or "unknown"].append(r)
        out[key] = {g: _mean_scores(rs) for g, rs in sorted(groups.items())}
    # which corpora each page type's pages come from (a type is not one corpus's)
    corpora: dict[str, set[str]] = defaultdict(set)
    for r in results:
        corpora[r.page_type or "unknown"].add(r.corpus)
    out["page_type_corpora"] = {t: sorted(c) for t, c in sorted(corpora.items())}
    return out


def compare(results: dict[str, Sequence[PageResult]], metric: str = "block_f1") -> dict[str, dict[str, float | str]]:
    """Paired bootstrap of every system against the best one on `metric`, over pages scored by both."""
    per_sys = {name: {r.page_id: r.scores[metric] for r in rs if metric in r.scores} for name, rs in results.items()}
    per_sys = {k: v for k, v in per_sys.items() if v}
    if not per_sys:
        return {}
    best = max(per_sys, key=lambda s: np.mean(list(per_sys[s].values())))
    out: dict[str, dict[str, float | str]] = {}
    for name, scores in per_sys.items():
        common = sorted(scores.keys() & per_sys[best].keys())
        test = paired_bootstrap([scores[p] for p in common], [per_sys[best][p] for p in common])
        out[name] = {"against": best, **{k: round(v, 4) for k, v in test.items()}}
    return out


__all__ = [
    "BOILERPLATE",
    "CONTENT",
    "SCORED_APART",
    "SPEED_BASE",
    "STRUCTURE_SCORES",
    "PageResult",
    "aggregate",
    "block_scores",
    "bootstrap_ci",
    "compare",
    "leakage",
    "normalize_href",
    "page_result",
    "paired_bootstrap",
    "prf",
    "structure_counts",
    "structure_scores",
    "word_counts",
    "word_scores",
    "word_scores_from_counts",
]
