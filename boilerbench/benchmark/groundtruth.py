"""Labeled pages for a corpus, built in parallel and cached by content hash.

`load_labeled` is what every later stage calls (validate, evaluate, train, build-dataset): it reads
page bytes from the archives, segments, aligns and categorises on both cores, and caches the result
under a key of (page bytes, gold, corrections, segmenter/aligner/labels/categories/structure versions).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import nullcontext
from typing import Any

from tqdm import tqdm

from ..core import align, categories, segment, structure
from ..core.types import Block, Gold, LabeledBlock, LabeledPage, Page, Structure
from . import labels
from .cache import Cache, key
from .corpora.store import Corpus

PIPELINE_VERSION = "-".join(
    (
        segment.SEGMENTER_VERSION,
        align.ALIGNER_VERSION,
        labels.LABELS_VERSION,
        categories.CATEGORIES_VERSION,
        structure.STRUCTURE_VERSION,
    )
)


def _to_json(labeled_page: LabeledPage) -> list[list[Any]]:
    return [
        [
            b.block.index,
            b.block.xpath,
            b.block.tag,
            b.block.text,
            b.block.words,
            b.block.link_words,
            b.block.context,
            b.block.depth,
            b.label,
            b.category,
            b.coverage,
            b.corrected,
            b.block.known_structure.to_json(),  # refuses a block without it: the cache's None is a paragraph
        ]
        for b in labeled_page.blocks
    ]


def _from_json(page: Page, gold: Gold, rows: list[list[Any]]) -> LabeledPage:
    blocks = tuple(
        LabeledBlock(Block(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], Structure.from_json(r[12])), r[8], r[9], r[10], r[11])
        for r in rows
    )
    return LabeledPage(page=page, gold=gold, blocks=blocks)


def _work(args: tuple[Page, bytes, Gold, list[labels.Correction]]) -> tuple[Page, Gold, list[list[Any]]]:
    page, data, gold, corr = args
    return page, gold, _to_json(labels.label_page(page, data, gold, corr))


def _page_key(page: Page, gold: Gold, corr: Sequence[labels.Correction]) -> str:
    return key(
        "labeled",
        PIPELINE_VERSION,
        page.sha256,
        page.page_format,
        json.dumps(gold.to_json(), ensure_ascii=False, sort_keys=True),
        repr(sorted((c.index, c.text, c.label, c.category) for c in corr)),
    )


def load_labeled(
    corpus: Corpus,
    pages: Sequence[Page] | None = None,
    workers: int | None = None,
    progress: bool = True,
    cache: bool = True,
) -> list[LabeledPage]:
    """Labeled pages in the order of `pages` (default: the whole corpus)."""
    pages = list(corpus.pages if pages is None else pages)
    golds = corpus.gold
    corrections = labels.load_corrections(corpus.root / "corrections")
    store = Cache("labeled")  # written either way: cache=False recomputes and refreshes
    done: dict[str, LabeledPage] = {}
    todo: list[Page] = []
    keys: dict[str, str] = {}
    for p in pages:
        gold = golds.get(p.page_id) or Gold(p.page_id, None)
        k = keys[p.page_id] = _page_key(p, gold, corrections.get(p.page_id, ()))
        hit = store.get(k) if cache else None
        if hit is not None:
            done[p.page_id] = _from_json(p, gold, hit)
        else:
            todo.append(p)
    if todo:
        workers = workers or min(2, os.cpu_count() or 1)
        jobs = (
            (p, data, golds.get(p.page_id) or Gold(p.page_id, None), corrections.get(p.page_id, []))
            for p, data in corpus.iter_bytes(todo)
        )
        new: list[tuple[str, Any]] = []
        with ProcessPoolExecutor(max_workers=workers) if workers > 1 else nullcontext() as pool:
            results = pool.map(_work, jobs, chunksize=8) if pool is not None else map(_work, jobs)
            for page, gold, rows in tqdm(results, total=len(todo), desc="segment+label", unit="page", disable=not progress):
                new.append((keys[page.page_id], rows))
                done[page.page_id] = _from_json(page, gold, rows)
        store.put_many(new)
    store.close()
    return [done[p.page_id] for p in pages]
