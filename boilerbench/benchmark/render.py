"""Text dumps of a page as real crawls make them: the page rendered to plain text by real
HTML-to-text tools, cut into lines, each line labeled by the aligner against the page's gold.

A crawl's text dump is made by whatever renderer the crawler ran: alt texts as lines of their own,
table cells or list bullets laid out differently, menus joined or split. The text-mode model is
trained and validated on every train and validation page rendered by each of `RENDERERS`, so it
does not learn one renderer's habits; the dataset's `lines` config carries the same lines with a
`renderer` column.

`blocks` is the segmenter's own view (`segment.as_lines`: one line per block line, labeled with
its block's label); the others are labeled by aligning their lines to the gold exactly as blocks
are (`labels.derive_labels`: full gold text, or `with`/`without` snippets).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from tqdm import tqdm

from ..core.categories import categorize
from ..core.segment import as_lines, segment_text
from ..core.text import decode_bytes
from ..core.types import Block, Gold, LabeledPage, Page, check_choice
from .cache import Cache, key
from .corpora.store import Corpus
from .groundtruth import PIPELINE_VERSION, load_labeled
from .labels import derive_labels

RENDERERS = ("blocks", "resiliparse", "inscriptis", "html-text")
RENDERED_VERSION = "2"  # bump when a rendering or its cached form changes
# The PyPI package behind each tool renderer (its version is part of the cache key).
_PACKAGES = {"resiliparse": "resiliparse", "inscriptis": "inscriptis", "html-text": "html-text"}


@dataclass(frozen=True)
class RenderedPage:
    """One page as one renderer's text dump: its lines, and each line's label (None: undecided),
    category and block of origin (the `blocks` renderer only; -1 otherwise)."""

    page: Page
    renderer: str
    lines: list[Block]
    labels: list[str | None]
    categories: list[str]
    owners: list[int]


def render_text(html: str, renderer: str) -> str:
    """The whole page as plain text by one tool renderer (no boilerplate removal)."""
    check_choice("renderer", renderer, RENDERERS[1:])
    if renderer == "resiliparse":
        from resiliparse.extract.html2text import extract_plain_text  # optional tools: `missing_renderers` says which

        return extract_plain_text(html, main_content=False, alt_texts=True) or ""
    if renderer == "inscriptis":
        import inscriptis

        return inscriptis.get_text(html) or ""
    import html_text  # "html-text", the one left

    return html_text.extract_text(html) or ""


def renderer_version(renderer: str) -> str:
    if renderer not in _PACKAGES:
        return PIPELINE_VERSION
    try:
        return version(_PACKAGES[renderer])
    except PackageNotFoundError:
        return "absent"


def missing_renderers() -> list[str]:
    """The tool renderers whose package is not installed (`pip install 'boilerbench[all]'`)."""
    return [r for r in _PACKAGES if renderer_version(r) == "absent"]


def _render(args: tuple[Page, bytes, Gold, str]) -> dict[str, Any]:
    """One rendering, as the cache keeps it: the tool's text, and the label of each of its lines
    (`segment.segment_text`'s lines, which reading it back makes again)."""
    _page, data, gold, renderer = args
    text = render_text(decode_bytes(data), renderer)
    lines = segment_text(text)
    return {"text": text, "labels": derive_labels(lines, gold)[0] if lines else []}


def rendered(
    corpus: Corpus, pages: Sequence[Page], renderers: Sequence[str] = RENDERERS, workers: int | None = None, progress: bool = True
) -> list[RenderedPage]:
    """Every page by every renderer (page-major order), labeled; tool renderings are made on both
    cores and cached by content hash (page bytes, gold, renderer and its version, aligner)."""

    for r in renderers:
        check_choice("renderer", r, RENDERERS)
    labeled: dict[str, LabeledPage] = {
        labeled_page.page.page_id: labeled_page for labeled_page in load_labeled(corpus, pages, progress=progress)
    }
    store = Cache("rendered")
    done: dict[tuple[str, str], dict[str, Any]] = {}
    todo: list[tuple[Page, str, str]] = []
    for p in pages:
        for r in renderers:
            if r == "blocks":
                continue
            gold = labeled[p.page_id].gold
            k = key("rendered", RENDERED_VERSION, r, renderer_version(r), PIPELINE_VERSION, p.sha256, repr(gold.to_json()))
            hit = store.get(k)
            if hit is None:
                todo.append((p, r, k))
            else:
                done[p.page_id, r] = hit
    if todo:
        by_page: dict[str, list[tuple[str, str]]] = {}
        for p, r, k in todo:
            by_page.setdefault(p.page_id, []).append((r, k))
        jobs = [
            (p, data, labeled[p.page_id].gold, r)
            for p, data in corpus.iter_bytes([p for p in pages if p.page_id in by_page])
            for r, _ in by_page[p.page_id]
        ]
        keys = {(p.page_id, r): k for p, r, k in todo}
        workers = workers or min(2, os.cpu_count() or 1)
        new = []
        with ProcessPoolExecutor(max_workers=workers) if workers > 1 else nullcontext() as pool:
            results = pool.map(_render, jobs, chunksize=8) if pool is not None else map(_render, jobs)
            for (p, _, _, r), rows in tqdm(
                zip(jobs, results), total=len(jobs), desc="render+label", unit="page", disable=not progress
            ):
                done[p.page_id, r] = rows
                new.append((keys[p.page_id, r], rows))
        store.put_many(new)
    store.close()
    out = []
    for p in pages:
        labeled_page = labeled[p.page_id]
        for r in renderers:
            if r == "blocks":
                lines, owner = as_lines([b.block for b in labeled_page.blocks])
                labels = [labeled_page.blocks[o].label for o in owner]
                cats = [labeled_page.blocks[o].category for o in owner]
            else:
                got = done[p.page_id, r]
                lines, labels = segment_text(got["text"]), got["labels"]
                owner = [-1] * len(lines)
                cats = categorize(lines, labels)
            out.append(RenderedPage(p, r, lines, labels, cats, owner))
    return out
