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
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

from ..core.text import BinaryInputError, decode_bytes
from ..core.types import (
    BOILERPLATE,
    CATEGORY_MODEL_FORMATS,
    CONTENT,
    EXTRACT_OUTPUTS,
    GROUP_OF,
    PAGE_FORMAT_CHOICES,
    Block,
    check_choice,
    check_keep,
)

if TYPE_CHECKING:
    from ..core.structure import StructureReader

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
    """One block of a page as `extract(..., output="blocks")` gives it: the decision (`label`), the
    classifier's content probability (`score`), what the block is — `category`, its group
    (`types.CATEGORY_GROUP_NAMES`, what `keep` names: the category model's for an HTML page, see
    `block_groups`), and `rule_category`, the finer category of the rule-based
    `categories.categorize` read from the classifier's decisions (`keep` changes neither) — and the
    page's predicted type and url (the same on every block of the page)."""

    index: int
    text: str
    label: str  # CONTENT or BOILERPLATE
    score: float
    category: str
    rule_category: str
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
            "rule_category": self.rule_category,
            "page_type": self.page_type,
        }


@dataclass(frozen=True)
class Decisions:
    """The classifier's view of one page: its format, blocks, their scores, what is kept (the
    classifier's decision, and the blocks of the groups asked to be kept), the page's predicted type
    (`types.PAGE_TYPES`; None without blocks), its url, if given, each block's category group when
    `keep` needed it (`groups`; else computed when asked for, from `rows`, the feature rows the
    classifier read) and the models' own decisions (the classifier's, less what the category model
    overrules) where `keep` changed some (`decided`: what the rule-based categories are read from,
    so that `keep` changes no block's category); for a page classified with `structure="later"`, what
    reads the structure of the blocks `markdown` writes (`reader`: the blocks carry none)."""

    page_format: str
    blocks: list[Block]
    scores: list[float]
    kept: list[bool]
    page_type: str | None = None
    url: str | None = None
    groups: list[str] | None = None
    rows: Any = field(default=None, compare=False, repr=False)
    decided: list[bool] | None = None
    reader: StructureReader | None = field(default=None, compare=False, repr=False)

    @property
    def classifier_kept(self) -> list[bool]:
        """The models' decisions (the classifier's, less what the category model overrules), before
        `keep` added any block."""
        return self.kept if self.decided is None else self.decided

    def block_groups(self) -> list[str]:
        """The category group of each block (`types.CATEGORY_GROUP_NAMES`): `groups` when known,
        else `block_groups`, from the rows or the classifier's decisions."""
        if self.groups is not None:
            return self.groups
        return block_groups(self.page_format, self.blocks, self.classifier_kept, self.rows, self.page_type)

    @property
    def markdown(self) -> str:
        """The kept blocks as Markdown (`markdown.to_markdown`: headings, lists, tables, code and
        links from each block's structure, read here for a page classified with
        `structure="later"`; a text page's lines as they mark them); a ValueError for an HTML page
        classified with `structure=False`."""
        from .markdown import to_markdown

        return to_markdown(self.page_format, self.blocks, self.kept, self.reader)

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
        """Every block with its decision, score, categories and the page's type and url."""
        from ..core.categories import categorize  # lxml: loaded on the first call, not on import

        labels = [CONTENT if k else BOILERPLATE for k in self.kept]
        rules = categorize(self.blocks, [CONTENT if k else BOILERPLATE for k in self.classifier_kept])
        return [
            ExtractedBlock(b.index, b.text, lab, s, g, c, self.page_type, self.url)
            for b, lab, s, g, c in zip(self.blocks, labels, self.scores, self.block_groups(), rules)
        ]


def block_groups(
    page_format: str, blocks: Sequence[Block], kept: Sequence[bool], rows: Any, page_type: str | None = None
) -> list[str]:
    """Each block's category group: the category model's, from the rows the classifier read
    (`PageDecision.rows`) and the page's predicted type, for a format that has one
    (`types.CATEGORY_MODEL_FORMATS`); else the group of the rule-based categorizer's category given
    the models' decisions `kept`."""
    if not blocks:
        return []
    if page_format in CATEGORY_MODEL_FORMATS:
        from .classifier import shipped_categories

        return shipped_categories(page_format).groups(rows, page_type)
    from ..core.categories import categorize

    return [GROUP_OF[c] for c in categorize(blocks, [CONTENT if k else BOILERPLATE for k in kept])]


def decide_blocks(
    blocks: Sequence[Block],
    page_format: str,
    url: str | None = None,
    keep: Sequence[str] = (),
    reader: StructureReader | None = None,
) -> Decisions:
    """The shipped model of `page_format` ("html" or "text") on a page's blocks: for a text page,
    one block per line, exactly what the text model reads. For a format with a category model, the
    kept blocks it calls comments (on pages that are not forums) or bylines (on articles) are dropped
    (`classifier.CategoryModel.overrule`). A block dropped either way is kept all the same when
    its category group (`block_groups`) is one of `keep` (`types.CATEGORY_GROUP_NAMES`). `reader`:
    what reads the blocks' structure, kept in the decisions (`Decisions.reader`)."""
    from .classifier import shipped, shipped_categories  # scikit-learn and the models: loaded on the first call

    keep = check_keep(keep)
    d = shipped(page_format).decide(blocks)
    modelled = page_format in CATEGORY_MODEL_FORMATS
    if not keep:
        decided = d.kept
        if modelled:  # only the kept rows are scored
            categories = shipped_categories(page_format)
            decided = categories.overrule(d.rows, d.kept, d.page_type, categories.overrule_thresholds)
        return Decisions(page_format, list(blocks), d.scores.tolist(), decided, d.page_type, url, None, d.rows, None, reader)
    if modelled:  # every row's group is needed: one pass gives the decisions too
        decided, groups = shipped_categories(page_format).decide(d.rows, d.kept, d.page_type)
    else:
        decided = d.kept
        groups = block_groups(page_format, blocks, decided, d.rows, d.page_type)
    kept = [k or g in keep for k, g in zip(decided, groups)]
    return Decisions(page_format, list(blocks), d.scores.tolist(), kept, d.page_type, url, groups, d.rows, decided, reader)


def structure_for(output: str) -> bool | Literal["later"]:
    """What `classify` reads of the blocks' structure for an `output` (`types.EXTRACT_OUTPUTS`,
    `CLEAN_OUTPUTS`): Markdown that of the blocks it writes, once decided ("later"); the text, the
    JSON rows and the blocks need none."""
    return "later" if output == "markdown" else False


def classify(
    page: str | bytes,
    page_format: str = "auto",
    *,
    name: str = "",
    url: str | None = None,
    utf8: bool = False,
    keep: Sequence[str] = (),
    structure: bool | Literal["later"] = True,
) -> Decisions:
    """The shipped classifier on one page: "html", "text" (a crawl's text dump, one block per line)
    or "auto" (detected: by `name`'s suffix, else by the page's start); the blocks of the category
    groups in `keep` are kept too (`decide_blocks`). `structure`: read the blocks' structure
    (`segment.segment_html`), which `Decisions.markdown` needs and nothing else does: the callers
    that write no Markdown turn it off, and those that write it ask for it "later"
    (`segment.segment_html_later`): the blocks carry none, and `Decisions.markdown` reads that of
    the blocks it writes only.

    Bytes are a page as served, decoded as `clean` decodes a file (`page_text`; an error names
    `name`, else `url`), unless `utf8`: then they are a decoded page encoded by `text.to_utf8`
    (what the datatrove step sends its sandbox, so that neither side converts the page to and
    from a str; see `segment.parse_html`)."""
    from ..core.segment import segment_html, segment_html_later, segment_text  # lxml: loaded on the first call

    check_choice("page_format", page_format, PAGE_FORMAT_CHOICES)
    if structure not in (True, False, "later"):
        raise ValueError(f"structure must be True, False or 'later', not {structure!r}")
    keep = check_keep(keep)
    if isinstance(page, bytes) and not utf8:
        page = page_text(page, name or url or "page")
    if page_format == "auto":  # detect_format reads the first 5,000 characters: at most 20,000 bytes
        page_format = detect_format(page[:20_000].decode("utf-8", "ignore") if isinstance(page, bytes) else page, name)
    if not page.strip():
        return Decisions(page_format, [], [], [], None, url)
    reader = None
    if page_format == "text":
        blocks = segment_text(page.decode("utf-8", "replace") if isinstance(page, bytes) else page)
    elif structure == "later":
        blocks, reader = segment_html_later(page, isinstance(page, bytes), url)
    else:
        blocks = segment_html(page, isinstance(page, bytes), url, structure)
    return decide_blocks(blocks, page_format, url, keep, reader)


@overload
def extract(
    page: str | bytes,
    url: str | None = None,
    *,
    page_format: str = "auto",
    output: Literal["text"] = "text",
    keep: Sequence[str] = (),
) -> str: ...
@overload
def extract(
    page: str | bytes, url: str | None = None, *, page_format: str = "auto", output: Literal["blocks"], keep: Sequence[str] = ()
) -> list[ExtractedBlock]: ...
@overload
def extract(
    page: str | bytes, url: str | None = None, *, page_format: str = "auto", output: Literal["markdown"], keep: Sequence[str] = ()
) -> str: ...
def extract(
    page: str | bytes, url: str | None = None, *, page_format: str = "auto", output: str = "text", keep: Sequence[str] = ()
) -> str | list[ExtractedBlock]:
    """Keep the main text of a web page with boilerbench's shipped classifier.

    Args:
        page: The page: its bytes as served (gzip-compressed or not; decoded as
            `python -m boilerbench clean` decodes a file: BOM, the page's declared charset, else
            detection) or its text already decoded.
        url: The page's address, kept in each block of `output="blocks"`; the page's links are
            resolved against it (the absolute hrefs of `output="markdown"`).
        page_format: "html", "text" (a crawl's text dump, e.g. a WET record: one block per line),
            or "auto" (HTML when the start of the page has HTML tags).
        output: "text" for the kept text, "blocks" for every block with its decision, or
            "markdown" for the kept blocks as Markdown (CommonMark with GFM tables: headings,
            lists, tables, fenced code and links from the page's markup).
        keep: Category groups to keep even where the classifier drops a block, e.g.
            `("comments",)` to keep a page's comment thread (trafilatura's `include_comments`): a
            tuple of `types.CATEGORY_GROUP_NAMES` ("content", "comments", "related/teaser",
            "navigation/header/footer", "media/caption", "metadata/byline", "other"), or one name.

    Returns:
        For "text": the kept blocks, one a line (the kept cells of a table row on one line, joined
        by " | "); "" for an empty page. For "blocks": an `ExtractedBlock` per block in page order
        (text, label "content" or "boilerplate", score, category: the block's group, the category
        model's for an HTML page, the rule-based categorizer's for a text page; rule_category: the
        rule-based finer category, given the classifier's decisions; the page's predicted page type, url); [] for an empty page.
        For "markdown": the kept blocks as Markdown, "" for an empty page.

    Raises:
        ValueError: a `page_format`, `output` or `keep` group not among the choices above; bytes
            that are not a text document (`BinaryInputError`: an image, an archive, a damaged gzip
            file); a page over the segmenter's size limit (`SegmentError`).
    """
    check_choice("output", output, EXTRACT_OUTPUTS)
    d = classify(page, page_format, url=url, keep=check_keep(keep), structure=structure_for(output))
    if output == "markdown":
        return d.markdown
    return d.text if output == "text" else d.extracted_blocks()
