"""Bring your own pages: a folder of `X.html` + a folder of `X.txt` (gold main text) → a corpus.

Every problem is reported per file and skips that file only: a page without gold (or gold without
a page), an unreadable or binary page, an empty gold file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..segment import SegmentError, parse_html
from ..text import BinaryInputError, decode_bytes
from ..types import Gold, Page
from .build import detect_language, safe_name
from .store import write_corpus


@dataclass
class ImportReport:
    imported: list[Page] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def import_folder(html_dir: Path, gold_dir: Path, name: str, out: Path, license: str = "unknown") -> ImportReport:
    if not html_dir.is_dir():
        raise FileNotFoundError(f"{html_dir}: no such folder")
    if not gold_dir.is_dir():
        raise FileNotFoundError(f"{gold_dir}: no such folder")
    if (out / "pages.jsonl").exists():
        raise FileExistsError(f"{out} already holds a corpus; choose a new --out")
    source = safe_name(name)
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
