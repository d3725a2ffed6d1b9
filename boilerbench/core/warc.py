"""Crawl input: WARC response records (HTML) and WET conversion records (text), streamed.

Records are read one at a time with warcio and never held together, so a crawl of any size passes
through in bounded memory. Per record: the charset comes from the HTTP `Content-Type` header, else
the page's `<meta>`, else detection (`text.decode_bytes`); bad bytes are replaced. What cannot be
used is skipped and counted in `WarcStats`: non-HTML responses, requests and metadata records,
binary payloads, and a gzip member cut short (the rest of that file cannot be read).
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from .text import BinaryInputError, decode_bytes

WARC_SUFFIXES = (".warc", ".warc.gz", ".wet", ".wet.gz", ".arc", ".arc.gz")
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_CHARSET_RE = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.I)


def is_warc(name: str) -> bool:
    return name.lower().endswith(WARC_SUFFIXES)


@dataclass(frozen=True)
class Record:
    """One page of a crawl: `kind` "html" (a WARC response) or "text" (a WET conversion)."""

    url: str
    kind: str
    text: str
    record_id: str = ""


@dataclass
class WarcStats:
    """What the reader did with each record; `truncated` counts files whose end could not be read."""

    records: int = 0
    html: int = 0
    text: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    truncated: int = 0

    def skip(self, why: str) -> None:
        self.skipped[why] = self.skipped.get(why, 0) + 1

    def summary(self) -> str:
        parts = [f"{self.records:,} records", f"{self.html:,} HTML", f"{self.text:,} text"]
        parts += [f"{n:,} skipped ({why})" for why, n in sorted(self.skipped.items())]
        if self.truncated:
            parts.append(f"{self.truncated} file(s) cut short")
        return ", ".join(parts)


def http_charset(content_type: str | None) -> str | None:
    m = _CHARSET_RE.search(content_type or "")
    return m.group(1) if m else None


def iter_records(source: str | Path | IO[bytes], stats: WarcStats | None = None) -> Iterator[Record]:
    """Stream the usable records of one WARC/WET file (path or binary stream)."""
    from warcio.archiveiterator import ArchiveIterator  # the `crawl` extra: only crawl input needs it
    from warcio.exceptions import ArchiveLoadFailed

    stats = stats if stats is not None else WarcStats()
    stream: Any = open(source, "rb") if isinstance(source, (str, Path)) else source  # noqa: SIM115 - closed below when opened here
    try:
        it = iter(ArchiveIterator(stream, arc2warc=True))
        while True:
            try:
                rec = next(it)
                stats.records += 1
                out = _record(rec, stats)
            except StopIteration:
                return
            except (ArchiveLoadFailed, EOFError, zlib.error, OSError, ValueError):
                # a gzip member cut short or a damaged header: nothing after it can be found
                stats.truncated += 1
                return
            if out is not None:
                yield out
    finally:
        if isinstance(source, (str, Path)):
            stream.close()


def _payload(rec: Any) -> bytes:
    """The record's payload; EOFError when its declared length was not all there (a file cut
    mid-record)."""
    data = rec.content_stream().read()
    if getattr(rec.raw_stream, "limit", 0) > 0:
        raise EOFError("record cut short")
    return data


def _record(rec: Any, stats: WarcStats) -> Record | None:
    kind = rec.rec_type
    url = rec.rec_headers.get_header("WARC-Target-URI") or ""
    rid = rec.rec_headers.get_header("WARC-Record-ID") or ""
    if kind == "response":
        ctype = rec.http_headers.get_header("Content-Type") if rec.http_headers else None
        if not ctype or ctype.split(";")[0].strip().lower() not in _HTML_TYPES:
            stats.skip("not HTML")  # its payload is left unread: the iterator skips past it
            return None
        try:
            text = decode_bytes(_payload(rec), http_charset(ctype))
        except BinaryInputError:
            stats.skip("binary")
            return None
        stats.html += 1
        return Record(url, "html", text, rid)
    if kind == "conversion":  # WET: the page's text, UTF-8
        text = _payload(rec).decode("utf-8", errors="replace")
        stats.text += 1
        return Record(url, "text", text, rid)
    stats.skip(kind or "unknown")
    return None
