"""Ground-truth labels: gold text (or snippets) → content / boilerplate / unlabeled per block.

* Full gold text (WCXB, Scrapinghub): a block is `content` when the aligner says the gold covers it
  (`align.COVER_THRESHOLD` of its tokens), else `boilerplate`. Empty gold (a page that is all
  boilerplate, or a broken capture) makes every block `boilerplate`.
* Snippets only (trafilatura-eval): a block holding a `with` snippet is `content` (when the snippet
  occurs more than once, the occurrence in the wordiest blocks: that is where articles are); every
  block holding a `without` snippet is `boilerplate`; a block claimed by both, and every other block,
  is unlabeled (None) and never scored.
* Hand corrections (`annotations/corrections/*.tsv`) are applied last; see `load_corrections`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ..core.align import TokenizedPage, align_tokens, find_snippet
from ..core.categories import CATEGORIES, categorize
from ..core.segment import document_titles, segment
from ..core.text import tokenize
from ..core.types import BOILERPLATE, CONTENT, Block, Gold, LabeledBlock, LabeledPage, Page

LABELS_VERSION = "4"
LABEL_VALUES = (CONTENT, BOILERPLATE)


@dataclass(frozen=True)
class Correction:
    """One hand correction: block `index` of `page_id`, whose text starts with `text`."""

    page_id: str
    index: int
    text: str
    label: str | None  # None = leave the label as derived
    category: str | None
    note: str
    origin: str


def _snippet_labels(page: TokenizedPage, blocks: Sequence[Block], gold: Gold) -> list[str | None]:
    content: set[int] = set()
    boiler: set[int] = set()
    for snippet in gold.with_snippets:
        hits = find_snippet(page, snippet)
        if hits:
            content.update(max(hits, key=lambda occ: sum(blocks[i].words for i in occ)))
    for snippet in gold.without_snippets:
        for occ in find_snippet(page, snippet):
            boiler.update(occ)
    return [
        None if (i in content and i in boiler) else CONTENT if i in content else BOILERPLATE if i in boiler else None
        for i in range(len(blocks))
    ]


def derive_labels(blocks: Sequence[Block], gold: Gold, own_titles: Sequence[str] = ()) -> tuple[list[str | None], list[float]]:
    """Labels and gold coverage per block, before corrections (`own_titles`: see `title_block`)."""
    page = TokenizedPage(blocks)
    if gold.text is None:
        return _snippet_labels(page, blocks, gold), [0.0] * len(blocks)
    alignment = align_tokens(page, page.encode(gold.text))
    labels: list[str | None] = [CONTENT if c else BOILERPLATE for c in alignment.covered]
    coverage = alignment.coverage
    t = title_block(blocks, gold.title, labels, own_titles) if gold.text.strip() else None
    if t is not None and labels[t] != CONTENT:
        labels[t] = CONTENT  # the page title is content (GUIDELINES.md), though some gold omits it
        coverage[t] = 1.0
    return labels, coverage


def title_block(
    blocks: Sequence[Block], title: str | None, labels: Sequence[str | None], own_titles: Sequence[str] = ()
) -> int | None:
    """The block that is the page's title: an `h1` whose words are the gold title's (or start it, as
    in "Headline | Site name"). Without a gold title, the `h1` whose words are one of the page's own
    titles (`own_titles`, from `segment.document_titles`: a headline often lies many blocks above the text,
    past the byline, the date and the lead picture), else the `h1` just before the first content block.

    Only `h1`s qualify: a gold title equal to the site name would otherwise promote a menu entry.
    """
    h1s = [b for b in blocks if b.tag == "h1" and b.words]
    if not h1s:
        return None
    want = tokenize(title) if title else []
    if want:
        return _named_h1(h1s, want)
    for own in own_titles:
        if (named := _named_h1(h1s, tokenize(own))) is not None:
            return named
    first = next((i for i, lab in enumerate(labels) if lab == CONTENT), None)
    if first is None:
        return None
    before = [b.index for b in h1s if first - 5 <= b.index <= first]
    return before[-1] if before else None


def _named_h1(h1s: Sequence[Block], want: list[str]) -> int | None:
    """The first `h1` whose words are `want`, or a run of at least half of them."""
    for b in h1s:
        toks = tokenize(b.text)
        n = len(toks)
        if toks == want or (n >= 2 and 2 * n >= len(want) and _contains(want, toks)):
            return b.index
    return None


def _contains(seq: list[str], sub: list[str]) -> bool:
    n = len(sub)
    return any(seq[i : i + n] == sub for i in range(len(seq) - n + 1))


def label_page(page: Page, data: bytes, gold: Gold, corrections: Iterable[Correction] = ()) -> LabeledPage:
    """Segment a page and label its blocks: the single path from bytes + gold to ground truth."""
    blocks = segment(data, page.page_format, page.url, structure=True)  # the structure gold: read, and cached
    own_titles = document_titles(data) if gold.title is None and page.page_format == "html" else ()
    labels, coverage = derive_labels(blocks, gold, own_titles)
    title = title_block(blocks, gold.title, labels, own_titles)
    cats = categorize(blocks, labels, title)
    out = [LabeledBlock(b, lab, cat, round(cov, 3)) for b, lab, cat, cov in zip(blocks, labels, cats, coverage)]
    for c in corrections:
        i = locate(c, blocks)
        if i is None:
            raise ValueError(f"{page.page_id}: correction from {c.origin} for block {c.index} ({c.text!r}) matches no block")
        out[i] = replace(
            out[i],
            label=out[i].label if c.label is None else (None if c.label == "unlabeled" else c.label),
            category=c.category or out[i].category,
            corrected=True,
        )
    return LabeledPage(page=page, gold=gold, blocks=tuple(out))


def locate(c: Correction, blocks: Sequence[Block]) -> int | None:
    """The block a correction means: its index if the text still matches, else the unique match."""
    if 0 <= c.index < len(blocks) and blocks[c.index].text.startswith(c.text):
        return c.index
    hits = [b.index for b in blocks if b.text.startswith(c.text)]
    return hits[0] if len(hits) == 1 else None


CORRECTION_FIELDS = ("page_id", "block", "text", "label", "category", "note")


def load_corrections(folder: Path) -> dict[str, list[Correction]]:
    """Read every `*.tsv` under `folder` (columns: CORRECTION_FIELDS; `-` = unchanged; `#` starts a
    comment line). Errors name the file and the line."""
    out: dict[str, list[Correction]] = {}
    if not folder.is_dir():
        return out
    for path in sorted(folder.glob("*.tsv")):
        lines = path.read_text(encoding="utf-8").splitlines()
        numbered = [(n, line) for n, line in enumerate(lines, start=1) if line.strip() and not line.startswith("#")]
        if not numbered or tuple(numbered[0][1].split("\t")) != CORRECTION_FIELDS:
            where = f"{path.name}:{numbered[0][0] if numbered else 1}"
            raise ValueError(f"{where}: header must be {' '.join(CORRECTION_FIELDS)} (tab-separated)")
        for n, line in numbered[1:]:
            where = f"{path.name}:{n}"
            cells = line.split("\t")
            if len(cells) != len(CORRECTION_FIELDS):
                raise ValueError(f"{where}: {len(cells)} columns, expected {len(CORRECTION_FIELDS)}")
            row = dict(zip(CORRECTION_FIELDS, cells))
            label = row["label"].strip()
            category = row["category"].strip()
            if label not in ("-", "unlabeled", *LABEL_VALUES):
                raise ValueError(f"{where}: label {label!r} is not content, boilerplate, unlabeled or -")
            if category != "-" and category not in CATEGORIES:
                raise ValueError(f"{where}: unknown category {category!r}")
            if not row["block"].strip().isdigit():
                raise ValueError(f"{where}: block {row['block']!r} is not a block index")
            c = Correction(
                page_id=row["page_id"].strip(),
                index=int(row["block"]),
                text=row["text"],
                label=None if label == "-" else label,
                category=None if category == "-" else category,
                note=row["note"] or "",
                origin=where,
            )
            out.setdefault(c.page_id, []).append(c)
    return out
