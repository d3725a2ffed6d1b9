"""`clean`: the shipped classifier on your own pages — HTML or a crawl's text dump, file or stdin.

Bad bytes are replaced (never fatal); an empty input gives empty output; a binary input is an error
for that file (exit code 1), and the other files are still cleaned.
"""

from __future__ import annotations

import glob
import json
import os
import re
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from .categories import categorize
from .classifier import shipped
from .segment import SegmentError, segment_html, segment_text
from .text import BinaryInputError, decode_bytes
from .types import BOILERPLATE, CONTENT

_HTML_RE = re.compile(r"<\s*(!doctype|html|head|body|div|p|span|a|table|meta|title|article|section|br)\b", re.I)


@dataclass(frozen=True)
class Cleaned:
    name: str
    output: str
    error: str | None = None


def detect_mode(text: str, name: str = "") -> str:
    """html or text: by file suffix, else by whether the start of the input has HTML tags."""
    suffix = Path(name).suffix.lower()
    if suffix in (".txt", ".text", ".md"):
        return "text"
    if suffix in (".html", ".htm", ".xhtml"):
        return "html"
    return "html" if _HTML_RE.search(text[:5000]) else "text"


def clean_bytes(data: bytes, mode: str = "auto", fmt: str = "text", name: str = "-") -> str:
    """Kept text (fmt "text") or one JSON object per block (fmt "jsonl") of one page."""
    try:
        text = decode_bytes(data)
    except BinaryInputError as e:
        raise BinaryInputError(f"{name}: {e}") from e
    if not text.strip():
        return ""
    mode = detect_mode(text, name) if mode == "auto" else mode
    blocks = segment_text(text) if mode == "text" else segment_html(text)
    clf = shipped(mode)  # text pages: one block per line, exactly what the text model reads
    scores = clf.scores(blocks)
    kept = [float(s) >= clf.threshold for s in scores]
    if fmt == "text":
        return "\n".join(b.text for b, k in zip(blocks, kept) if k)
    labels = [CONTENT if k else BOILERPLATE for k in kept]
    cats = categorize(blocks, labels)
    rows = (
        json.dumps(
            {"index": b.index, "text": b.text, "label": lab, "score": round(float(s), 4), "category": c},
            ensure_ascii=False,
        )
        for b, lab, s, c in zip(blocks, labels, scores, cats)
    )
    return "\n".join(rows)


def _clean_path(args: tuple[str, str, str]) -> Cleaned:
    path, mode, fmt = args
    try:
        data = Path(path).read_bytes()
        return Cleaned(path, clean_bytes(data, mode, fmt, path))
    except (OSError, BinaryInputError, SegmentError) as e:
        return Cleaned(path, "", str(e))


def expand(inputs: Iterable[str]) -> list[str]:
    """Files, folders (their .html/.htm/.txt files, recursively) and glob patterns → file paths."""
    out: list[str] = []
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            out.extend(str(f) for f in sorted(p.rglob("*")) if f.is_file() and f.suffix.lower() in (".html", ".htm", ".txt"))
        elif any(ch in item for ch in "*?["):
            out.extend(sorted(glob.glob(item, recursive=True)))
        else:
            out.append(item)
    return out


def clean_many(paths: list[str], mode: str, fmt: str, workers: int | None = None, progress: bool = True) -> Iterable[Cleaned]:
    """Clean files on both cores, in input order, with a progress bar."""
    jobs = [(p, mode, fmt) for p in paths]
    workers = workers or min(2, os.cpu_count() or 1)
    if len(jobs) < 4 or workers <= 1:
        yield from (_clean_path(j) for j in tqdm(jobs, desc="clean", unit="page", disable=not progress or len(jobs) < 2))
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from tqdm(pool.map(_clean_path, jobs, chunksize=4), total=len(jobs), desc="clean", unit="page", disable=not progress)
