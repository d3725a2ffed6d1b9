"""`clean`: the shipped classifier on your own pages — HTML or a crawl's text dump, file or stdin,
gzip-compressed or not.

Bad bytes are replaced (never fatal); an empty input gives empty output; a binary input is an error
for that file (exit code 1), and the other files are still cleaned.
"""

from __future__ import annotations

import glob
import json
import multiprocessing
import os
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

from ..core.segment import SegmentError
from ..core.text import BinaryInputError
from ..core.types import CLEAN_OUTPUTS, check_choice, check_keep
from ..core.warc import Record, WarcStats, iter_records
from .extract import HTML_SUFFIXES, classify, page_suffix, structure_for, ungz


@dataclass(frozen=True)
class Cleaned:
    name: str
    output: str
    error: str | None = None


# What a folder given to `clean` contributes, each also gzip-compressed (`.html.gz`); other files
# (`.php`, `.md`, no suffix…) are counted, not cleaned: name them, or a glob, to clean them.
FOLDER_SUFFIXES = (*HTML_SUFFIXES, ".txt")


def clean_bytes(
    data: bytes,
    page_format: str = "auto",
    output: str = "text",
    name: str = "-",
    keep: Sequence[str] = (),
    url: str | None = None,
) -> str:
    """Kept text (output "text"), the kept blocks as Markdown (output "markdown") or one JSON object
    per block (output "jsonl", each naming the input: `path`, `name` here) of one page, its bytes
    gzip-compressed or not; the blocks of the category groups in `keep` are kept too
    (`extract.decide_blocks`); `url`, the page's address: what its links are resolved against and
    what each JSON object names (`extract`'s `url`)."""
    check_choice("output", output, CLEAN_OUTPUTS)
    d = classify(data, page_format, name=name, url=url, keep=keep, structure=structure_for(output))
    if output == "text":
        return d.text
    if output == "markdown":
        return d.markdown
    named = {"path": name, "url": url} if url else {"path": name}
    return "\n".join(json.dumps({**named, **b.json_row()}, ensure_ascii=False) for b in d.extracted_blocks())


def _clean_record(args: tuple[Record, str, str, tuple[str, ...]]) -> dict[str, Any]:
    rec, page_format, output, keep = args
    page_format = rec.kind if page_format == "auto" else page_format
    d = classify(rec.text, page_format, url=rec.url, keep=keep, structure=structure_for(output))
    row: dict[str, Any] = {
        "url": rec.url,
        "record_id": rec.record_id,
        "page_format": d.page_format,
        "page_type": d.page_type,
        "text": d.text,
    }
    if output == "jsonl":
        row["blocks"] = [b.json_row() for b in d.extracted_blocks()]
    elif output == "markdown":
        row["markdown"] = d.markdown
    return row


def clean_warc(
    path: str,
    page_format: str = "auto",
    output: str = "text",
    workers: int | None = None,
    progress: bool = True,
    stats: WarcStats | None = None,
    keep: Sequence[str] = (),
) -> Iterator[dict[str, Any]]:
    """One JSON-ready row per usable record of a WARC (HTML) or WET (text) file, in file order,
    streamed: at most a small window of records is in memory, whatever the file's size."""
    stats = stats if stats is not None else WarcStats()
    keep = check_keep(keep)
    jobs = ((rec, page_format, output, keep) for rec in iter_records(path, stats))
    bar = tqdm(desc=Path(path).name, unit="record", disable=not progress)
    for row in bounded_map(_clean_record, jobs, workers or min(2, os.cpu_count() or 1)):
        bar.update()
        yield row
    bar.close()


def bounded_map(fn: Callable[[Any], Any], items: Iterable[Any], workers: int, window: int = 32) -> Iterator[Any]:
    """`map(fn, items)` in order on `workers` processes, pulling items only as results are taken:
    no more than `window` items are ever pending (a crawl is never read ahead into memory)."""
    if workers <= 1:
        yield from map(fn, items)
        return
    # forkserver, not fork: a long-running caller (a test session, a notebook) has threads — a
    # progress bar's monitor, a log handler — and a fork taken while one holds a lock hangs.
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("forkserver")) as pool:
        pending: deque[Future[Any]] = deque()
        for item in items:
            pending.append(pool.submit(fn, item))
            if len(pending) >= window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _clean_path(args: tuple[str, str, str, tuple[str, ...], str | None]) -> Cleaned:
    path, page_format, output, keep, url = args
    try:
        data = Path(path).read_bytes()
        return Cleaned(path, clean_bytes(data, page_format, output, path, keep, url))
    except (OSError, BinaryInputError, SegmentError) as e:
        return Cleaned(path, "", str(e))


def expand(inputs: Iterable[str], skipped: list[Path] | None = None) -> list[tuple[str, Path]]:
    """Files, folders (their `FOLDER_SUFFIXES` files, recursively; the others are appended to
    `skipped`) and glob patterns → (file path, its place in the input tree): relative to the folder
    given, or to the glob's fixed folder; a file named directly is its own name."""
    out: list[tuple[str, Path]] = []
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            files = [f for f in sorted(p.rglob("*")) if f.is_file()]
            out.extend((str(f), f.relative_to(p)) for f in files if page_suffix(f.name) in FOLDER_SUFFIXES)
            if skipped is not None:
                skipped.extend(f for f in files if page_suffix(f.name) not in FOLDER_SUFFIXES)
        elif any(ch in item for ch in "*?["):
            fixed = Path(*[part for part in _until_magic(p.parts)])
            out.extend((f, Path(f).relative_to(fixed)) for f in sorted(glob.glob(item, recursive=True)) if Path(f).is_file())
        else:
            out.append((item, Path(p.name)))
    return out


def skipped_summary(skipped: Sequence[Path]) -> str:
    """One line for stderr: how many files the folders given held that `clean` does not read, by
    suffix, and how to clean them anyway."""
    kinds = Counter(p.name[len(ungz(p).stem) :].lower() or "without a suffix" for p in skipped)  # .php, .tar.gz
    listed = ", ".join(f"{n} {kind}" for kind, n in kinds.most_common())
    return (
        f"skipped {len(skipped)} file(s) in the folders given ({listed}): a folder gives its {'/'.join(FOLDER_SUFFIXES)} "
        "files, gzipped or not; name others, or a glob, to clean them"
    )


def _until_magic(parts: Sequence[str]) -> Iterator[str]:
    for part in parts:
        if any(ch in part for ch in "*?["):
            return
        yield part


def mirrored(places: Sequence[tuple[str, Path]], outdir: Path, suffix: str) -> dict[str, Path]:
    """Where `clean --out` writes each input (`expand`'s pairs): its place in the input tree under
    `outdir`, the file's suffix (and a `.gz` after it) replaced by `suffix` (`site/` holding
    `a/index.html` → `OUT/a/index.txt`). Two inputs that would land on one file (`a.html` and
    `a.htm`) keep their own suffix before `suffix` instead (`a.html.txt`); two that still meet are
    an error, before anything is written."""
    plain = [ungz(rel).with_suffix(suffix) for _, rel in places]
    counts = Counter(plain)
    out = {path: outdir / (t if counts[t] == 1 else rel.with_name(rel.name + suffix)) for (path, rel), t in zip(places, plain)}
    twice = sorted(str(t) for t, n in Counter(out.values()).items() if n > 1)
    if twice:
        raise ValueError(f"--out: several inputs would be written to {twice[0]}; clean them in separate calls")
    return out


def clean_many(
    paths: list[str],
    page_format: str,
    output: str,
    workers: int | None = None,
    progress: bool = True,
    keep: Sequence[str] = (),
    url: str | None = None,
) -> Iterable[Cleaned]:
    """Clean files on both cores, in input order, with a progress bar (`keep`, `url`: as
    `clean_bytes`; one `url` is one page's address, so give it with one path)."""
    keep = check_keep(keep)
    if url is not None and len(paths) > 1:
        raise ValueError(f"a url is one page's address: give one file, not {len(paths)}")
    jobs = [(p, page_format, output, keep, url) for p in paths]
    workers = (workers or min(2, os.cpu_count() or 1)) if len(jobs) >= 4 else 1  # a few files: not worth a pool
    results = bounded_map(_clean_path, jobs, workers)
    yield from tqdm(results, total=len(jobs), desc="clean", unit="page", disable=not progress or len(jobs) < 2)
