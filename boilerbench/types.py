"""The records every stage passes on: pages, their gold, their blocks and block labels."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

CONTENT = "content"
BOILERPLATE = "boilerplate"


def encode_bits(kept: tuple[bool, ...] | list[bool]) -> str:
    """Per-block decisions as a compact "0101…" string (how caches store them)."""
    return "".join("1" if k else "0" for k in kept)


def decode_bits(bits: str) -> tuple[bool, ...]:
    return tuple(c == "1" for c in bits)


# WCXB's page types, the ones the classifier's page-type model predicts.
PAGE_TYPES = ("article", "collection", "documentation", "forum", "listing", "product", "service")

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
    split: str
    sha256: str
    archive: str
    fmt: str = "html"  # "html" or "text" (a crawl's text dump: one block per line)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Page:
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})


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


@dataclass(frozen=True)
class Block:
    """A run of visible text the segmenter cut from a page (see `segment` for the definition).

    `context` holds the tags and class/id/role tokens of the block's ancestors, outermost first;
    categories and features read DOM cues from it without re-parsing the page.
    """

    index: int
    xpath: str
    tag: str
    text: str
    words: int
    link_words: int
    context: str = ""
    depth: int = 0


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
