"""Fingerprint of what the package computes on every bundled page, one sha256 per stage.

A maintainer's check, not a test (pytest collects `test_*.py` only): run it before and after a
change that must not change outputs (a refactor, a compiled twin), and compare the lines.

    python tests/fingerprint.py            # the compiled path, where the extension is built
    python tests/fingerprint.py --python   # the same with the compiled twins switched off

Stages, per page of `annotations/` in the corpus reader's order: `blocks` (every field of every
block of `segment.segment` but its structure), `structure` (each block's `Block.structure`, the
page's links resolved against its URL), `features-html` (`features.page_features` of the blocks),
`features-text` (`page_features(..., page_format="text")` of the page as lines, `segment.as_lines`),
`scores-html` and `scores-text` (the shipped models' block scores of the blocks and of the lines).
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing as mp
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's package, not an installed one

from tqdm import tqdm

STAGES = ("blocks", "features-html", "features-text", "scores-html", "scores-text", "structure")


def _start(python: bool) -> None:
    """Each worker: the compiled twins switched off when asked."""
    if python:
        from boilerbench.core import compiled

        compiled.switch_off()


def _page(item: tuple[str, str, str, bytes]) -> tuple[str, int, list[str]]:
    """(page id, blocks, a digest per stage) of one page."""
    import numpy as np

    from boilerbench.core import segment
    from boilerbench.extractor import classifier, features

    page_id, page_format, url, data = item
    blocks = segment.segment(data, page_format, url)
    lines, _ = segment.as_lines(blocks)
    arrays: list[Any] = [
        features.page_features(blocks),
        features.page_features(lines, page_format="text"),
        np.asarray(classifier.shipped("html").scores(blocks), dtype=np.float64),
        np.asarray(classifier.shipped("text").scores(lines), dtype=np.float64),
    ]
    # the fields the blocks had before their structure, so that the digest of a change that adds
    # none stays comparable
    fields = [tuple(v for k, v in vars(b).items() if k != "structure") for b in blocks]
    digests = [hashlib.sha256(repr(fields).encode("utf-8")).hexdigest()]
    for a in arrays:
        h = hashlib.sha256(f"{a.dtype.str}{a.shape}".encode())
        h.update(np.ascontiguousarray(a).tobytes())
        digests.append(h.hexdigest())
    digests.append(hashlib.sha256(repr([b.structure for b in blocks]).encode("utf-8")).hexdigest())
    return page_id, len(blocks), digests


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", action="store_true", help="switch the compiled twins off")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--every", type=int, default=1, help="every n-th page only (a quick look; default every page)")
    args = parser.parse_args(argv)

    import boilerbench
    from boilerbench.benchmark.corpora.store import Corpus
    from boilerbench.core import compiled

    status = "switched off" if args.python else compiled.status()
    print(f"package: {Path(boilerbench.__file__).parent}; compiled twins: {status}", file=sys.stderr)
    corpus = Corpus.open()
    pages = corpus.pages[:: args.every]
    items = ((p.page_id, p.page_format, p.url, d) for p, d in corpus.iter_bytes(pages))
    totals = [hashlib.sha256() for _ in STAGES]
    n_blocks = 0
    with mp.get_context("fork").Pool(args.jobs, initializer=_start, initargs=(args.python,)) as pool:
        for page_id, n, digests in tqdm(pool.imap(_page, items, chunksize=4), total=len(pages), unit="page"):
            n_blocks += n
            for total, d in zip(totals, digests):
                total.update(f"{page_id} {d}\n".encode())
    path = "compiled" if not args.python and compiled.status() == "in use" else "python"
    print(f"path: {path}; pages: {len(pages)}; blocks: {n_blocks}")
    for stage, total in zip(STAGES, totals):
        print(f"{stage:<14} {total.hexdigest()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
