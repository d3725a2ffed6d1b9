"""`boilerbench.extract`: the shipped classifier on one page as a library call, what
`trafilatura.extract` is to trafilatura: a page's bytes or text in, its kept text or its blocks out.

Everything that turns a page into decisions goes through `classify` here (and `decide_blocks` under
it): `extract`, the CLI's `clean` (files, stdin, WARC/WET records) and `show FILE`, the datatrove step
and the benchmark's `boilerbench` systems. So a page's bytes are decoded one way everywhere (gzip,
then `text.decode_bytes`: BOM, declared charset, detection).

Importing this module loads no lxml, numpy or scikit-learn: the segmenter, the categories and the
shipped models load on the first call, so `from boilerbench import extract` starts fast.
"""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, overload

from ..core.text import BinaryInputError, decode_bytes
from ..core.types import BOILERPLATE, CONTENT, EXTRACT_OUTPUTS, PAGE_FORMAT_CHOICES, Block, check_choice

HTML_SUFFIXES = (".html", ".htm", ".xhtml", ".shtml")
TEXT_SUFFIXES = (".txt", ".text", ".md")
_GZIP_MAGIC = b"\x1f\x8b"
_HTML_RE = re.compile(r"<\s*(!doctype|html|head|body|div|p|span|a|table|meta|title|article|section|br)\b", re.I)


def ungz(path: Path) -> Path:
    """The path without a last `.gz` (`a.html.gz` → `a.html`)."""
    return path.with_suffix("") if path.suffix.lower() == ".gz" else path


def page_suffix(name: str) -> str:
    """A file's suffix, lower-cased, under a `.gz` (`a.HTML.gz` → `.html`)."""
    return ungz(Path(name)).suffix.lower()


def detect_format(text: str, name: str = "") -> str:
    """html or text: by file suffix, else by whether the start of the input has HTML tags."""
    suffix = page_suffix(name)
    if suffix in TEXT_SUFFIXES:
        return "text"
    if suffix in HTML_SUFFIXES:
        return "html"
    return "html" if _HTML_RE.search(text[:5000]) else "text"


def page_text(data: bytes, name: str) -> str:
    """An input's bytes → its text: decompressed if gzip-compressed (`.html.gz`, a gzipped stdin),
    then `decode_bytes`; a binary or damaged input is a BinaryInputError naming it."""
    if data.startswith(_GZIP_MAGIC):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as e:
            raise BinaryInputError(f"{name}: a damaged gzip file ({e})") from e
    try:
        return decode_bytes(data)
    except BinaryInputError as e:
        raise BinaryInputError(f"{name}: {e}") from e


CELL_SEPARATOR = " | "


@dataclass(frozen=True)
class ExtractedBlock:
    """One block of a page as `extract(..., output="blocks")` gives it: the classifier's decision
    (`label`), its content probability (`score`), the block's category, and the page's predicted
    type and url (the same on every block of the page)."""

    index: int
    text: str
    label: str  # CONTENT or BOILERPLATE
    score: float
    category: str
    page_type: str | None
    url: str | None = None

    def json_row(self) -> dict[str, Any]:
        """The block as `clean --format jsonl` writes it: the score rounded, and no url (a file's
        row names its path; a crawl record's row holds its url once, beside its blocks)."""
        return {
            "index": self.index,
            "text": self.text,
            "label": self.label,
            "score": round(self.score, 4),
            "category": self.category,
            "page_type": self.page_type,
        }


@dataclass(frozen=True)
class Decisions:
    """The classifier's view of one page: its format, blocks, their scores, what is kept, the
    page's predicted type (`types.PAGE_TYPES`; None without blocks) and its url, if given."""

    page_format: str
    blocks: list[Block]
    scores: list[float]
    kept: list[bool]
    page_type: str | None = None
    url: str | None = None

    @property
    def text(self) -> str:
        """The kept blocks, one a line; the kept cells of one table row on one line, joined by
        `CELL_SEPARATOR` (as trafilatura and resiliparse print tables)."""
        lines: list[str] = []
        row = None
        for b, k in zip(self.blocks, self.kept):
            if not k:
                continue
            cell_row = b.xpath.rpartition("/")[0] if b.tag in ("td", "th") and "\n" not in b.text else None
            if cell_row is not None and cell_row == row:
                lines[-1] += CELL_SEPARATOR + b.text
            else:
                lines.append(b.text)
            row = cell_row
        return "\n".join(lines)

    def extracted_blocks(self) -> list[ExtractedBlock]:
        """Every block with its decision, score, category and the page's type and url."""
        from ..core.categories import categorize  # lxml: loaded on the first call, not on import

        labels = [CONTENT if k else BOILERPLATE for k in self.kept]
        return [
            ExtractedBlock(b.index, b.text, lab, s, c, self.page_type, self.url)
            for b, lab, s, c in zip(self.blocks, labels, self.scores, categorize(self.blocks, labels))
        ]


def decide_blocks(blocks: Sequence[Block], page_format: str, url: str | None = None) -> Decisions:
    """The shipped model of `page_format` ("html" or "text") on a page's blocks: for a text page,
    one block per line, exactly what the text model reads."""
    from .classifier import shipped  # scikit-learn and the model: loaded on the first call

    d = shipped(page_format).decide(blocks)
    return Decisions(page_format, list(blocks), d.scores.tolist(), d.kept, d.page_type, url)


def classify(
    page: str | bytes, page_format: str = "auto", *, name: str = "", url: str | None = None, utf8: bool = False
) -> Decisions:
    """The shipped classifier on one page: "html", "text" (a crawl's text dump, one block per line)
    or "auto" (detected: by `name`'s suffix, else by the page's start).

    Bytes are a page as served, decoded as `clean` decodes a file (`page_text`; an error names
    `name`, else `url`), unless `utf8`: then they are a decoded page encoded by `text.to_utf8`
    (what the datatrove step sends its sandbox, so that neither side converts the page to and
    from a str; see `segment.parse_html`)."""
    from ..core.segment import segment_html, segment_text  # lxml: loaded on the first call

    check_choice("page_format", page_format, PAGE_FORMAT_CHOICES)
    if isinstance(page, bytes) and not utf8:
        page = page_text(page, name or url or "page")
    if page_format == "auto":  # detect_format reads the first 5,000 characters: at most 20,000 bytes
        page_format = detect_format(page[:20_000].decode("utf-8", "ignore") if isinstance(page, bytes) else page, name)
    if not page.strip():
        return Decisions(page_format, [], [], [], None, url)
    if page_format == "text":
        blocks = segment_text(page.decode("utf-8", "replace") if isinstance(page, bytes) else page)
    else:
        blocks = segment_html(page, isinstance(page, bytes))
    return decide_blocks(blocks, page_format, url)


@overload
def extract(page: str | bytes, url: str | None = None, *, page_format: str = "auto", output: Literal["text"] = "text") -> str: ...
@overload
def extract(
    page: str | bytes, url: str | None = None, *, page_format: str = "auto", output: Literal["blocks"]
) -> list[ExtractedBlock]: ...
def extract(
    page: str | bytes, url: str | None = None, *, page_format: str = "auto", output: str = "text"
) -> str | list[ExtractedBlock]:
    """Keep the main text of a web page with boilerbench's shipped classifier.

    Args:
        page: The page: its bytes as served (gzip-compressed or not; decoded as
            `python -m boilerbench clean` decodes a file: BOM, the page's declared charset, else
            detection) or its text already decoded.
        url: The page's address, kept in each block of `output="blocks"` (reserved for resolving
            links).
        page_format: "html", "text" (a crawl's text dump, e.g. a WET record: one block per line),
            or "auto" (HTML when the start of the page has HTML tags).
        output: "text" for the kept text, or "blocks" for every block with its decision.

    Returns:
        For "text": the kept blocks, one a line (the kept cells of a table row on one line, joined
        by " | "); "" for an empty page. For "blocks": an `ExtractedBlock` per block in page order
        (text, label "content" or "boilerplate", score, category, the page's predicted page type,
        url); [] for an empty page.

    Raises:
        ValueError: a `page_format` or `output` not among the choices above; bytes that are not a
            text document (`BinaryInputError`: an image, an archive, a damaged gzip file); a page
            over the segmenter's size limit (`SegmentError`).
    """
    check_choice("output", output, EXTRACT_OUTPUTS)
    d = classify(page, page_format, url=url)
    return d.text if output == "text" else d.extracted_blocks()
