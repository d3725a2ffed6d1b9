"""Bring your own pages: a folder of `X.html` + a folder of `X.txt` (gold main text) → a corpus.

Every problem is reported per file and skips that file only: a page without gold (or gold without
a page), an unreadable or binary page, an empty gold file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...core.segment import SegmentError, parse_html
from ...core.text import BinaryInputError, decode_bytes
from ...core.types import Gold, Page, check_name
from ...core.warc import WarcStats, iter_records
from .build import detect_language
from .store import write_corpus


@dataclass
class ImportReport:
    imported: list[Page] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    summary: str = ""  # what was read, when the input is a crawl


def _check_paths(out: Path, folders: tuple[Path, ...] = (), files: tuple[Path, ...] = ()) -> None:
    """The inputs exist and `out` holds no corpus yet (an import never overwrites one)."""
    for path in folders:
        if not path.is_dir():
            raise FileNotFoundError(f"{path}: no such folder")
    for path in files:
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such file")
    if (out / "pages.jsonl").exists():
        raise FileExistsError(f"{out} already holds a corpus; choose a new --out")


def import_folder(html_dir: Path, gold_dir: Path, name: str, out: Path, license: str = "unknown") -> ImportReport:
    _check_paths(out, folders=(html_dir, gold_dir))
    source = check_name("--name", name)  # the file names it becomes cannot leave `out`
    rep = ImportReport()
    pages = {p.stem: p for p in sorted(html_dir.iterdir()) if p.suffix.lower() in (".html", ".htm") and p.is_file()}
    golds = {p.stem: p for p in sorted(gold_dir.iterdir()) if p.suffix.lower() == ".txt" and p.is_file()}
    for stem in sorted(golds.keys() - pages.keys()):
        rep.problems.append(f"{golds[stem].name}: gold text without a page ({stem}.html) — skipped")
    records: list[tuple[Page, bytes, Gold]] = []
    for n, stem in enumerate(sorted(pages), start=1):
        path = pages[stem]
        if stem not in golds:
            rep.problems.append(f"{path.name}: no gold text ({stem}.txt) — skipped")
            continue
        try:
            data = path.read_bytes()
            if parse_html(data) is None:
                raise SegmentError("empty document")
        except (OSError, SegmentError, BinaryInputError) as e:
            rep.problems.append(f"{path.name}: unreadable page: {e} — skipped")
            continue
        try:
            gold_text = decode_bytes(golds[stem].read_bytes())
        except (OSError, ValueError) as e:
            rep.problems.append(f"{golds[stem].name}: unreadable gold: {e} — skipped")
            continue
        if not gold_text.strip():
            rep.problems.append(f"{golds[stem].name}: empty gold text — skipped")
            continue
        page_id = f"{source}-{n:04d}"
        page = Page(
            page_id=page_id,
            source=source,
            source_id=path.name,
            url="",
            domain="",
            license=license,
            page_type=None,
            language=detect_language(gold_text),
            split="test",
            sha256="",
            archive=source,
        )
        records.append((page, data, Gold(page_id=page_id, text=gold_text)))
    if records:
        rep.imported = write_corpus(out, records)
    return rep


def import_warc(warc: Path, gold: Path, name: str, out: Path, license: str = "unknown") -> ImportReport:
    """Pages from a WARC's HTML responses, gold from a JSONL file (`{"url", "text"}` per line,
    optionally `with`/`without` snippet lists), matched by URL → a corpus for `evaluate --data`.

    Records are read one at a time and only those with gold are kept. Pages are stored as UTF-8,
    decoded with the record's HTTP charset, so `evaluate` reads what a browser would have shown.
    """
    _check_paths(out, files=(warc, gold))
    source = check_name("--name", name)  # the file names it becomes cannot leave `out`
    rep = ImportReport()
    wanted: dict[str, dict[str, Any]] = {}
    with gold.open(encoding="utf-8", errors="replace") as f:
        for lineno, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                url, text = obj["url"], obj.get("text")
                if not isinstance(url, str) or not (text is None or isinstance(text, str)):
                    raise TypeError("url must be a string, text a string or null")
            except (ValueError, KeyError, TypeError) as e:
                rep.problems.append(f"{gold.name}:{lineno}: {type(e).__name__}: {e} — skipped")
                continue
            wanted[url] = obj
    records: list[tuple[Page, bytes, Gold]] = []
    stats = WarcStats()
    unmatched = 0
    for rec in iter_records(warc, stats):
        obj = wanted.pop(rec.url, None)
        if obj is None or rec.kind != "html":
            unmatched += 1
            continue
        text = obj.get("text")
        with_ = tuple(obj.get("with") or ())
        without = tuple(obj.get("without") or ())
        if not (text and text.strip()) and not with_:
            rep.problems.append(f"{rec.url}: empty gold — skipped")
            continue
        page_id = f"{source}-{len(records) + 1:06d}"
        page = Page(
            page_id=page_id,
            source=source,
            source_id=rec.record_id or rec.url,
            url=rec.url,
            domain="",
            license=license,
            page_type=None,
            language=detect_language(text or " ".join(with_)),
            split="test",
            sha256="",
            archive=source,
        )
        records.append((page, rec.text.encode("utf-8"), Gold(page_id, text, with_, without)))
    if unmatched:
        rep.problems.append(f"{warc.name}: {unmatched:,} record(s) without gold — skipped")
    for url in list(wanted)[:20]:
        rep.problems.append(f"{gold.name}: no HTML record for {url} — skipped")
    if len(wanted) > 20:
        rep.problems.append(f"{gold.name}: … and {len(wanted) - 20:,} more gold entries without a record")
    rep.summary = f"{warc.name}: {stats.summary()}"
    if records:
        rep.imported = write_corpus(out, records)
    return rep
