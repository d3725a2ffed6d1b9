"""The records every stage passes on (pages, their gold, their blocks and block labels) and the
choice sets every stage checks against."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, get_args

CONTENT = "content"
BOILERPLATE = "boilerplate"


def encode_bits(kept: tuple[bool, ...] | list[bool]) -> str:
    """Per-block decisions as a compact "0101…" string (how caches store them)."""
    return "".join("1" if k else "0" for k in kept)


def decode_bits(bits: str) -> tuple[bool, ...]:
    return tuple(c == "1" for c in bits)


# The choice sets, one constant each: argparse's `choices=` and `check_choice` read the same one.
# WCXB's page types, the ones the classifier's page-type model predicts.
PAGE_TYPES = ("article", "collection", "documentation", "forum", "listing", "product", "service")
PAGE_FORMATS = ("html", "text")  # `Page.page_format`: HTML, or a crawl's text dump (one block per line)
PAGE_FORMAT_CHOICES = ("auto", *PAGE_FORMATS)  # how `clean` reads an input: as one format, or detected
CLEAN_OUTPUTS = ("text", "jsonl", "markdown")  # what `clean` writes: the kept text, a JSON object per block, or Markdown
# what `boilerbench.extract` returns: the kept text, a record per block, or the kept blocks as Markdown
ExtractOutput = Literal["text", "blocks", "markdown"]
KEPT_OUTPUTS = ("text", "markdown")  # what the datatrove step writes as a document's text
EXTRACT_OUTPUTS: tuple[str, ...] = get_args(ExtractOutput)
SPLITS = ("train", "validation", "test")  # trained on, tuned on, scored on
PAGE_SPLITS = (*SPLITS, "excluded")  # `Page.split`: "excluded" pages are in none (see `corpora.build`)
# The coarse category groups and the fine categories (`categories.CATEGORIES`) each one holds: what
# the category model predicts for every block, what `extract(output="blocks")`, `clean --format
# jsonl`, `show FILE` and the datatrove metadata report as a block's `category`, and what `keep`
# accepts (`CATEGORY_GROUP_NAMES`). A caption is grouped with media whichever side of the content
# line it falls: the group says what a block is, the decision whether it is kept.
COMMENTS_GROUP = "comments"  # a page's discussion
METADATA_GROUP = "metadata/byline"  # a byline, a date line
CATEGORY_GROUPS: dict[str, tuple[str, ...]] = {
    "content": ("title", "heading", "paragraph", "list", "table", "code", "quote"),
    COMMENTS_GROUP: ("comments",),
    "related/teaser": ("related", "teaser"),
    "navigation/header/footer": ("navigation", "header", "footer"),
    "media/caption": ("media", "caption"),
    METADATA_GROUP: ("metadata",),
    "other": ("ads", "social", "consent", "form", "empty-widget", "other"),
}
CATEGORY_GROUP_NAMES = tuple(CATEGORY_GROUPS)  # the choice set of `keep` (and `clean --keep`)
GROUP_OF = {category: group for group, members in CATEGORY_GROUPS.items() for category in members}
# The page formats whose groups come from a category model. A text page's come from the rule-based
# categorizer given the classifier's decisions: on the validation lines a model of the line
# features, fitted as the HTML one is, matched the labels worse in every group but comments and
# media, where neither is of use (most rendered lines' categories are the rules' own, given the
# gold labels; a line of plain text has no markup that says "comment").
CATEGORY_MODEL_FORMATS = ("html",)
# Where the category model overrules the classifier (`classifier.CategoryModel.overrule`): a block
# the classifier keeps is dropped when the category model puts it in one of these groups (above the
# group's threshold, chosen by `train` on validation) on a page predicted one of the types listed.
# Comments are prose, which the classifier's block features cannot tell from the article: dropped
# on every page but a forum's, whose posts are its content. A byline or date line looks like a short
# paragraph: dropped on articles, whose main text leaves it out, not where a date, a version or an
# author can be the content (a product, a documentation page, a listing).
OVERRULED_GROUPS: dict[str, tuple[str, ...]] = {
    COMMENTS_GROUP: tuple(t for t in PAGE_TYPES if t != "forum"),
    METADATA_GROUP: ("article",),
}
TRAIN_PARTS = ("classifier", "categories")  # what `train` fits for each page format: the keep/drop model, the category model
# What `train --only` takes: a part to fit, or "decisions": the saved models' decision rules chosen
# again on validation (the classifier's item lists, then the category model's overrule thresholds),
# their records rewritten and their fitted files left as they are.
TRAIN_ONLY = (*TRAIN_PARTS, "decisions")
# The page formats whose classifier may keep whole repeated items (`items.ItemLists`): a list is
# read from the HTML's xpaths, and a text page's lines are all items of one list, `/text/line`.
ITEM_LIST_FORMATS = ("html",)


def check_choice(name: str, value: Any, choices: Sequence[Any]) -> Any:
    """`value` if it is one of `choices`; else the ValueError every entry point words the same way
    (scikit-learn's `validate_params` is the model: one message format for every bad value)."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(repr(c) for c in choices)}; got {value!r}")
    return value


def check_keep(keep: str | Sequence[str]) -> tuple[str, ...]:
    """`keep` (category groups to keep even where the classifier drops a block) as a tuple of
    `CATEGORY_GROUP_NAMES`, each checked by `check_choice`; one name alone stands for a tuple of one."""
    names = (keep,) if isinstance(keep, str) else tuple(keep)
    return tuple(check_choice("keep", name, CATEGORY_GROUP_NAMES) for name in names)


# A name the user gives that becomes file names (`submit --name`: baselines/NAME.json; `import
# --name`: the corpus's source, page ids and archives): it can name no other folder, no hidden file.
SAFE_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}")


def check_name(option: str, name: str) -> str:
    """`name` if it is a safe name (`SAFE_NAME_RE`, the whole of it); else the ValueError `submit`
    and `import` word the same way."""
    if not SAFE_NAME_RE.fullmatch(name):
        raise ValueError(f"{option} {name!r}: use 1–64 letters, digits, '.', '_', '+' or '-', starting with a letter or digit")
    return name


@dataclass(frozen=True)
class Page:
    """One web page of the benchmark; its bytes live in a shared archive (see `corpora.store`)."""

    page_id: str
    source: str
    source_id: str
    url: str
    domain: str
    license: str
    page_type: str | None
    language: str
    split: str  # one of PAGE_SPLITS
    sha256: str
    archive: str
    page_format: str = "html"  # one of PAGE_FORMATS

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d[STORED_PAGE_FORMAT] = d.pop("page_format")
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Page:
        d = {("page_format" if k == STORED_PAGE_FORMAT else k): v for k, v in d.items()}
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})


# The page format's key in `pages.jsonl`, as the corpora were published (the ground truth's hash,
# `Corpus.revision`, covers the file's bytes, so the stored key stays).
STORED_PAGE_FORMAT = "fmt"


@dataclass(frozen=True)
class Gold:
    """What humans said about a page: its main text (None when only snippets exist) and snippets."""

    page_id: str
    text: str | None
    with_snippets: tuple[str, ...] = ()
    without_snippets: tuple[str, ...] = ()
    title: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "page_id": self.page_id,
            "text": self.text,
            "with": list(self.with_snippets),
            "without": list(self.without_snippets),
            "title": self.title,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Gold:
        return cls(
            page_id=d["page_id"],
            text=d.get("text"),
            with_snippets=tuple(d.get("with") or ()),
            without_snippets=tuple(d.get("without") or ()),
            title=d.get("title"),
        )


# A block's place in the page's structure (issue 27), read from the DOM by the segmenter and from a
# system's structured output (Markdown or HTML) by its parser, so the two compare element by element.
STRUCTURE_KINDS = ("heading", "paragraph", "list_item", "table_cell", "code", "quote", "caption", "other")
# What the structure scores count, each an F1 over content blocks (`link` over the links inside them).
STRUCTURE_ELEMENTS = ("heading", "list_item", "table_cell", "code", "link")
# The structured outputs a system can emit beside its text, each read by its own parser
# (`benchmark.structure`): CommonMark with GFM tables, or an HTML fragment.
STRUCTURED_FORMATS = ("markdown", "html")


@dataclass(frozen=True)
class Link:
    """A link inside a block: its absolute href (resolved against the page URL) and anchor text."""

    href: str
    text: str


@dataclass(frozen=True)
class Structure:
    """What kind of element a block (or a parsed output element) is, with what the kind needs to be
    scored: a heading's level, a list item's depth and list type, a table cell's place."""

    kind: str = "paragraph"  # one of STRUCTURE_KINDS
    level: int = 0  # heading: 1–6; list item: nesting depth, 1 = top level; otherwise 0
    ordered: bool = False  # list item of an ordered list
    row: int = -1  # table cell: 0-based row and column in its table; otherwise -1
    col: int = -1
    header: bool = False  # table cell: a header cell (th, or inside thead)
    language: str = ""  # code block: its language where the markup names one
    links: tuple[Link, ...] = ()

    def to_json(self) -> list[Any] | None:
        """Compact, for caches of blocks: None for a paragraph without links (most blocks), else
        the fields in order, each link as [href, text]."""
        if self == _PLAIN_STRUCTURE:
            return None
        return [
            self.kind,
            self.level,
            self.ordered,
            self.row,
            self.col,
            self.header,
            self.language,
            [[k.href, k.text] for k in self.links],
        ]

    @classmethod
    def from_json(cls, d: list[Any] | None) -> Structure:
        if d is None:
            return _PLAIN_STRUCTURE
        kind, level, ordered, row, col, header, language, links = d
        return cls(kind, level, ordered, row, col, header, language, tuple(Link(href, text) for href, text in links))


_PLAIN_STRUCTURE = Structure()
# The kinds each field of `Structure` says something about (a block of another kind leaves it at
# its default): what the dataset's `blocks` config writes as null elsewhere. `kind` and `links`
# apply to every block.
STRUCTURE_FIELD_KINDS: dict[str, tuple[str, ...]] = {
    "level": ("heading", "list_item"),
    "ordered": ("list_item",),
    "row": ("table_cell",),
    "col": ("table_cell",),
    "header": ("table_cell",),
    "language": ("code",),
}


@dataclass(frozen=True)
class Block:
    """A run of visible text the segmenter cut from a page (see `segment` for the definition).

    `context` holds the tags and class/id/role tokens of the block's ancestors, outermost first;
    categories and features read DOM cues from it without re-parsing the page. `structure`: the
    block's kind and links, read from the DOM (`core.structure`); a text page's lines are paragraphs
    without links. None: not read (`segment_html(..., structure=False)`, what the text paths ask
    for: they do not pay for reading it) — never a paragraph by default, so a block cannot
    pass for one whose structure was read; what needs it reads `known_structure`, which refuses None.
    """

    index: int
    xpath: str
    tag: str
    text: str
    words: int
    link_words: int
    context: str = ""
    depth: int = 0
    structure: Structure | None = None  # what element holds the text, and the links in it (`core.structure`); None: not read

    @property
    def known_structure(self) -> Structure:
        """`structure`, which the caller needs: a ValueError for a block segmented without it."""
        if self.structure is None:
            raise _not_read(self)
        return self.structure


def _not_read(block: Block) -> ValueError:
    return ValueError(
        f"block {block.index} ({block.xpath}): its structure was not read (segmented with structure=False); "
        "segment with structure=True to write or score structure"
    )


def require_structure(blocks: Sequence[Block]) -> None:
    """A ValueError unless every block's structure was read: for what reads a whole page's
    structure (the Markdown writer), so that a page without it fails even where it keeps nothing."""
    for b in blocks:
        if b.structure is None:
            raise _not_read(b)


@dataclass(frozen=True)
class LabeledBlock:
    """A block with its ground-truth label (None = unlabeled, never scored) and category."""

    block: Block
    label: str | None
    category: str
    coverage: float = 0.0
    corrected: bool = False


@dataclass(frozen=True)
class LabeledPage:
    page: Page
    gold: Gold
    blocks: tuple[LabeledBlock, ...] = field(default_factory=tuple)
