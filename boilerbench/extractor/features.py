"""Block features for the classifier: one documented, language-agnostic vector per block.

Nothing here needs a word list of any language: text statistics are counts of character classes,
DOM cues are hashed class/id/role tokens (whatever language a site's CSS is written in), and the
rest is structure and position. Groups of `page_features` (in `FEATURE_NAMES` order):

* text — log words and characters, mean word length, shares of digits, capitals, punctuation and
  letters, sentence ends per word, ends with a sentence end, starts with a capital, `©`, `|`, `:`,
  link density (words inside `<a>` / words), how many other blocks of the page have the same text,
  the run of link-dominated blocks the block belongs to;
* position — in blocks and in words, distance to the longest block;
* page — log blocks and words of the page, its link density, the block's words / the longest block;
* neighbours — for offsets −2, −1, +1, +2: log words, link density, heading / paragraph / list
  tag, sentence end, same parent as this block;
* structure — depth, words and link density of the parent and grandparent containers and the
  block's share of them, whether the block is inside the page's densest text container (the deepest
  element holding `MAIN_SHARE` of the page's non-link words), how many blocks share its context;
* tag — one-hot of the block's own tag; ancestors — presence of landmark tags above it (nav, header,
  footer, aside, article, main, form, li, table, figure, h1–h6, …) and of hidden ancestors;
* tokens — class/id/role words of the nearest `NEAR_ANCESTORS` ancestors, hashed (crc32) into
  `TOKEN_BUCKETS` buckets. (Hashing the words of all ancestors too was tried: it scored lower on
  validation, the far ancestors' words name sites more than roles.)

A block's context is `Block.context`: the descriptors of its ancestors, outermost first (what the
ancestor and token columns read, and what `same_context_blocks` and `context_run` group by).

`LINE_FEATURES` is what a plain-text line has: the text, position, page, neighbour and article
groups, without the DOM, plus its place against the page's main run of prose (`MAIN_RUN_NAMES`),
which stands in for the markup that says where an article is. The text-mode model uses those.

`surrounding_features` is the second stage: given the first model's content probability of every
block, it describes each block's surroundings in those terms (neighbours' and container's
probabilities, how much of the page's likely content lies before it, how far the nearest
likely-content block is). A headline between two paragraphs of an article and the same headline in
a list of related links look alike on their own; their surroundings differ.

Two steps, so that each formula is written once. `columns` counts: one pass over a page's blocks
gives raw per-block counts, sums and ids (`Columns`), by the compiled loops where they are built
(`boilerbench.extractor.compiled`) or by their Python twins here, the same values. Every rule, cap,
ratio and fill value is then applied here, with numpy over the whole page, whichever twin counted;
what the compiled loops must know of a rule (a tag index, a search depth) they receive from here.
"""

from __future__ import annotations

import math
import re
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..core.segment import DESCRIPTOR_MARKS, DOCUMENT_XPATH, HIDDEN_MARK, MEMO_LIMIT, descriptor_tag, remember
from ..core.text import CLOSERS, SENT_END_CHARS, ends_sentence
from ..core.types import Block
from .compiled import LOOPS

# The version of each mode's features (keys: `types.PAGE_FORMATS`), stored with a model and checked
# when it loads. Bump a mode's when a change alters its columns or their values: the HTML model reads
# `FEATURE_NAMES`, the text model `LINE_FEATURES`; a change to code both read bumps both. A change
# to one mode then leaves the other mode's model file as it is.
FEATURES_VERSION: dict[str, str] = {"html": "4", "text": "4"}

# --- the rules: each written once, here; both twins' counts go through them ----------------------

MEAN_WORD_LEN_CAP = 30.0  # `mean_word_len`: characters per word, at most this
PIPES_CAP = 10.0  # `pipes`: "|" characters of a block, at most this
LINK_DOMINATED = 0.5  # `link_run`: a block of at least this link density is link-dominated
NO_NEIGHBOUR = -1.0  # a neighbour's number (words, link density, sentence end, score) past the page's ends
NO_NEIGHBOUR_FLAG = 0.0  # a neighbour's tag flag (heading, paragraph, list) past the page's ends
MAIN_SHARE = 0.5  # the densest container holds at least this share of the page's non-link words
NEAR_ANCESTORS = 3  # the ancestors, nearest first, whose class/id/role tokens are hashed
TOKEN_BUCKETS = 64  # hash buckets of those tokens (`near_tok_*`)
MIN_TOKEN_CHARS = 2  # a class/id/role token is at least this long

# fmt: off
TAGS = (
    "p", "div", "li", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote", "figcaption",
    "caption", "dd", "dt", "section", "article", "header", "footer", "nav", "aside", "main", "form", "span",
    "a", "address", "summary", "label", "button", "table", "tr", "ul", "ol", "noscript", "line",
)
ANCESTOR_TAGS = (
    "nav", "header", "footer", "aside", "article", "main", "form", "li", "ul", "ol", "table", "figure",
    "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "code", "dl", "details", "noscript", "section",
    "button", "label", "select", "a", "strong", "b", "em", "time", "address", "menu",
)
# fmt: on
# The tags of the neighbour flags, each among `TAGS` (a block's flags are read off its `TAGS` index).
HEADING_TAGS = frozenset(("h1", "h2", "h3", "h4", "h5", "h6"))
PARAGRAPH_TAGS = frozenset(("p",))
LIST_TAGS = frozenset(("li", "dd", "dt"))
_TAG_INDEX = {t: i for i, t in enumerate(TAGS)}
_OTHER_TAG = len(TAGS)  # the `TAGS` index of every other tag (`tag_other`)
_ANCESTOR_INDEX = {t: i for i, t in enumerate(ANCESTOR_TAGS)}


def _tag_flags(tags: frozenset[str]) -> np.ndarray:
    """1.0 at the `TAGS` index of each of `tags` (all among `TAGS`), 0.0 elsewhere and for other tags."""
    if not tags <= set(TAGS):
        raise ValueError(f"{sorted(tags - set(TAGS))} not among TAGS: their blocks would read as another tag")
    return np.array([t in tags for t in TAGS] + [False], dtype=np.float64)


_IS_HEADING, _IS_PARAGRAPH, _IS_LIST = (_tag_flags(t) for t in (HEADING_TAGS, PARAGRAPH_TAGS, LIST_TAGS))

# --- the column layout, declared once: each group's names in order -------------------------------

_TEXT_NAMES = (
    "log_words",
    "log_chars",
    "mean_word_len",
    "digit_share",
    "upper_share",
    "punct_share",
    "alpha_share",
    "sentence_ends_per_word",
    "ends_sentence",
    "starts_upper",
    "has_copyright",
    "pipes",
    "ends_colon",
    "link_density",
    "same_text_blocks",
    "link_run",
)
_POS_NAMES = ("rel_index", "rel_words_before", "dist_to_longest")
_PAGE_NAMES = ("page_log_blocks", "page_log_words", "page_link_density", "share_of_longest")
_NEIGHBOUR_OFFSETS = (-2, -1, 1, 2)
# A neighbour's columns: its own values of these (`_dense` has its values past the page's ends), and
# whether it has the block's parent.
_NEIGHBOUR_OWN = ("log_words", "link_density", "heading", "paragraph", "list", "ends_sentence")
_NEIGHBOUR_NAMES = (*_NEIGHBOUR_OWN, "same_parent")
_DOM_NAMES = (
    "depth",
    "rel_depth",
    "hidden",
    "parent_log_words",
    "parent_link_density",
    "parent_share",
    "parent_blocks",
    "grand_log_words",
    "grand_link_density",
    "grand_share",
    "in_main",
    "main_depth_diff",
    "same_context_blocks",
)

# The article group (`_article`): in-article boilerplate, by where a block stands against the
# page's prose. Line pages have no DOM context, so no `context_run`. (The main-run positions below
# were tried on HTML pages too: they lost on WCXB validation, where the DOM says more.)
_ARTICLE_NAMES = ("between_prose", "bracketed", "short_run", "context_run")
# A text dump has no markup to say where the article is, so a line also gets its place against the
# page's main run of prose (`_main_run`): inside it, or how far before or after it, how many lines
# of prose lie near it, and whether it repeats the dump's first line.
MAIN_RUN_NAMES = ("inside_main_run", "before_main_run", "after_main_run", "near_prose", "same_as_first")
_LINE_ARTICLE_NAMES = (*(n for n in _ARTICLE_NAMES if n != "context_run"), *MAIN_RUN_NAMES)


def neighbour_column(offset: int, name: str) -> str:
    """The column of a neighbour's feature `name` at `offset` blocks (`n-2_log_words`)."""
    return f"n{offset:+d}_{name}"


DENSE_NAMES = (  # float64 groups of an HTML page: text, position, page, neighbours, structure
    *_TEXT_NAMES,
    *_POS_NAMES,
    *_PAGE_NAMES,
    *(neighbour_column(o, n) for o in _NEIGHBOUR_OFFSETS for n in _NEIGHBOUR_NAMES),
    *_DOM_NAMES,
)
LINE_DENSE_NAMES = (  # the same for a text page: no element, so no parent and no structure
    *_TEXT_NAMES,
    *_POS_NAMES,
    *_PAGE_NAMES,
    *(neighbour_column(o, n) for o in _NEIGHBOUR_OFFSETS for n in _NEIGHBOUR_NAMES if n != "same_parent"),
)
_TAG_NAMES = (*(f"tag_{t}" for t in TAGS), "tag_other")
CUE_NAMES = (*(f"anc_{t}" for t in ANCESTOR_TAGS), *(f"near_tok_{i}" for i in range(TOKEN_BUCKETS)))
FEATURE_NAMES = [*DENSE_NAMES, *_TAG_NAMES, *CUE_NAMES, *_ARTICLE_NAMES]
LINE_FEATURES = [*LINE_DENSE_NAMES, *_LINE_ARTICLE_NAMES]
COLUMN = {name: i for i, name in enumerate(FEATURE_NAMES)}
_LINE_COLUMN = {name: i for i, name in enumerate(LINE_FEATURES)}
# Where each group starts in `FEATURE_NAMES`, and the token buckets among the cue columns.
_TAG0, _CUE0, _ARTICLE0 = COLUMN[_TAG_NAMES[0]], COLUMN[CUE_NAMES[0]], COLUMN[_ARTICLE_NAMES[0]]
_BUCKET0 = CUE_NAMES.index("near_tok_0")

# --- counting: raw per-block counts, by the compiled loops or their Python twins ------------------

# Character classes, one bit each in a 16-bit code-point table (the Basic Multilingual Plane; code
# points above it share one entry: they are rare in text and mostly symbols); `Columns.char_counts[:, k]`
# counts a block's code points with bit k.
_LETTER, _UPPER, _DIGIT, _PUNCT, _SENT_END, _PIPE, _COPYRIGHT, _COLON, _OPEN_BRACKET, _CLOSE_BRACKET = range(10)
_CLASS_BITS = 16
_BMP = 0x10000


@lru_cache(maxsize=1)
def _class_table() -> np.ndarray:
    table = np.zeros(_BMP + 1, dtype=np.uint16)
    for cp in range(_BMP):
        c = chr(cp)
        if c.isalpha():
            table[cp] = 1 << _LETTER | (1 << _UPPER if c.isupper() else 0)
        elif c.isdecimal():
            table[cp] = 1 << _DIGIT
        elif not (c.isspace() or c.isalnum() or c == "_"):
            table[cp] = 1 << _PUNCT
    for c in SENT_END_CHARS:
        table[ord(c)] |= 1 << _SENT_END
    for bit, c in ((_PIPE, "|"), (_COPYRIGHT, "©"), (_COLON, ":"), (_OPEN_BRACKET, "["), (_CLOSE_BRACKET, "]")):
        table[ord(c)] |= 1 << bit
    return table


@dataclass(frozen=True)
class Columns:
    """What the features read off a page's blocks, in one pass (`columns`): raw per-block counts
    and page-local ids (equal keys, equal ids, in order of first appearance), float64 arrays unless
    noted; no rule of the features is applied yet."""

    texts: list[str]
    xpaths: list[str]
    contexts: list[str]
    lengths: np.ndarray  # int64: characters
    words: np.ndarray
    links: np.ndarray  # words inside links
    depth: np.ndarray
    ends: np.ndarray  # 1.0 where the text ends with a sentence end (`text.ends_sentence`)
    text_count: np.ndarray  # the blocks of the page with this text, the block itself included
    char_counts: np.ndarray  # (blocks, 16): code points with each bit of their `_class_table` entry
    first_flags: np.ndarray  # uint16: `_class_table` entry of the first code point (0 for an empty text)
    last_flags: np.ndarray  # uint16: the same of the last code point
    tag: np.ndarray  # int64: index in TAGS, `_OTHER_TAG` for another tag
    slashes: np.ndarray  # the xpath's "/"s
    parent_id: np.ndarray  # int64: of the parent xpath
    grandparent_id: np.ndarray  # int64: of the grandparent xpath
    context_id: np.ndarray  # int64: of `Block.context`
    distinct_contexts: list[str]  # the page's contexts, by id


def columns(blocks: Sequence[Block]) -> Columns:
    """A page's `Columns`: by the compiled loop when it is in use, else by `_columns` (the same
    values: `tests/test_compiled.py`)."""
    if (twin := LOOPS.active.block_columns) is not None:
        return twin(blocks if isinstance(blocks, list) else list(blocks))  # the loop reads a list
    return _columns(blocks)


def _columns(blocks: Sequence[Block]) -> Columns:
    """`columns` in Python: the compiled `block_columns`' twin."""
    n = len(blocks)

    def floats(values: Iterable[float]) -> np.ndarray:
        return np.fromiter(values, dtype=np.float64, count=n)

    texts = [b.text for b in blocks]
    xpaths = [b.xpath for b in blocks]
    contexts = [b.context for b in blocks]
    same = Counter(texts)
    parents = [_parent(x) for x in xpaths]
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    char_counts, first_flags, last_flags = _char_classes(texts, lengths)
    context_id, distinct_contexts = _codes(contexts)
    return Columns(
        texts,
        xpaths,
        contexts,
        lengths=lengths,
        words=floats(b.words for b in blocks),
        links=floats(b.link_words for b in blocks),
        depth=floats(b.depth for b in blocks),
        ends=floats(ends_sentence(t) for t in texts),
        text_count=floats(same[t] for t in texts),
        char_counts=char_counts,
        first_flags=first_flags,
        last_flags=last_flags,
        tag=np.fromiter((_TAG_INDEX.get(b.tag, _OTHER_TAG) for b in blocks), dtype=np.int64, count=n),
        slashes=floats(x.count("/") for x in xpaths),
        parent_id=_codes(parents)[0],
        grandparent_id=_codes([_parent(p) for p in parents])[0],
        context_id=context_id,
        distinct_contexts=distinct_contexts,
    )


def _char_classes(texts: list[str], lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each block's code points per character class, and the classes of its first and last code
    point, over the page's code points at once."""
    n = len(texts)
    cps = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    if len(cps) == 0:
        return np.zeros((n, _CLASS_BITS)), np.zeros(n, dtype=np.uint16), np.zeros(n, dtype=np.uint16)
    flags = _class_table()[np.minimum(cps, _BMP)]
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    first = np.minimum(starts, len(cps) - 1)
    bits = np.unpackbits(flags.astype("<u2").view(np.uint8).reshape(-1, 2), axis=1, bitorder="little")
    has = lengths > 0  # (blocks are never empty, but be safe)
    counts = np.where(has[:, None], np.add.reduceat(bits, first, axis=0, dtype=np.int64), 0).astype(np.float64)
    last = np.clip(starts + lengths - 1, 0, len(cps) - 1)
    return counts, np.where(has, flags[first], 0).astype(np.uint16), np.where(has, flags[last], 0).astype(np.uint16)


def _parent(xpath: str) -> str:
    return xpath.rpartition("/")[0]


def _codes(keys: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Page-local integer ids of string keys (equal keys, equal ids, in order of first appearance),
    and the distinct keys by id."""
    ids: dict[str, int] = {}
    codes = np.fromiter((ids.setdefault(k, len(ids)) for k in keys), dtype=np.int64, count=len(keys))
    return codes, list(ids)


def _prefix_sums(xpaths: Sequence[str], plain: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Every element (xpath prefix) above a block with non-link words (`plain`, per block), in order
    of first meeting, and the non-link words of the blocks under it, added in block order. (The
    compiled twin: `LOOPS.active.prefix_sums`.)"""
    sums: dict[str, float] = {}
    for path, w in zip(xpaths, plain.tolist()):
        if w <= 0:
            continue
        while path:
            sums[path] = sums.get(path, 0.0) + w
            path = path.rpartition("/")[0]
    return list(sums), np.fromiter(sums.values(), dtype=np.float64, count=len(sums))


def _inside(xpaths: Sequence[str], container: str) -> np.ndarray:
    """1.0 for each xpath at or under `container`, else 0.0. (The compiled twin: `LOOPS.active.inside`.)"""
    prefix = container + "/"
    return np.fromiter(((x + "/").startswith(prefix) for x in xpaths), dtype=np.float64, count=len(xpaths))


# Class/id/role tokens: a descriptor's part after its tag splits on separators, digit runs and
# lower→upper humps (`menuItem` → menu, item). `_token_chars` gives the compiled tokenizer the same
# classes, one bit each, per ASCII character, read off these patterns.
_TOKEN_SEPARATOR, _TOKEN_DIGIT, _HUMP_BEFORE, _HUMP_AFTER = r"[.#@!_\-\s]", r"\d", "[a-z]", "[A-Z]"
_TOKEN_SPLIT_RE = re.compile(rf"{_TOKEN_SEPARATOR}+|(?<={_HUMP_BEFORE})(?={_HUMP_AFTER})|{_TOKEN_DIGIT}+")
_SPLITS, _BEFORE_HUMP, _AFTER_HUMP, _ENDS_TAG = (1 << k for k in range(4))


def _token_chars() -> bytes:
    """Per ASCII character: `_SPLITS` (a separator or digit), `_BEFORE_HUMP`, `_AFTER_HUMP`, and
    `_ENDS_TAG` (one of `segment.DESCRIPTOR_MARKS`)."""
    classes = ((_SPLITS, f"{_TOKEN_SEPARATOR}|{_TOKEN_DIGIT}"), (_BEFORE_HUMP, _HUMP_BEFORE), (_AFTER_HUMP, _HUMP_AFTER))
    return bytes(
        sum(bit for bit, pattern in classes if re.fullmatch(pattern, chr(c))) | (_ENDS_TAG if chr(c) in DESCRIPTOR_MARKS else 0)
        for c in range(128)
    )


def _tokens(descriptor: str) -> list[str]:
    """Class/id/role words of one descriptor: split on separators, camelCase humps and digits."""
    tag = descriptor_tag(descriptor)
    rest = descriptor[len(tag) :]
    return [tok.lower() for tok in _TOKEN_SPLIT_RE.split(rest) if len(tok) >= MIN_TOKEN_CHARS]


# Memos shared by both twins, keyed by descriptor and by context (a site repeats its contexts on
# every page); `bind` of the compiled loops empties them. Tuples of ints, which the garbage collector
# stops tracking: a full memo would otherwise add a million objects to every full collection.
_DESCRIPTOR_CUES: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {}
_CONTEXT_CUES: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {}


def _descriptor_cues(descriptor: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(ancestor-tag column, token hashes) of one ancestor descriptor; memoised. (The compiled
    loops make those of ASCII descriptors themselves, the same.)"""
    cues = _DESCRIPTOR_CUES.get(descriptor)
    if cues is None:
        column = _ANCESTOR_INDEX.get(descriptor_tag(descriptor))
        hashes = tuple(zlib.crc32(t.encode("utf-8")) for t in _tokens(descriptor))
        cues = remember(_DESCRIPTOR_CUES, descriptor, (() if column is None else (column,), hashes))
    return cues


def _context_cues_of(context: str, near: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The ancestor-tag columns one context sets (in increasing order), and the token hashes of its
    `near` nearest descriptors (nearest first)."""
    ancestors: set[int] = set()
    hashes: list[int] = []
    for k, d in enumerate(reversed(context.split(" ") if context else [])):
        column, tokens = _descriptor_cues(d)
        ancestors.update(column)
        if k < near:
            hashes += tokens
    return tuple(sorted(ancestors)), tuple(hashes)


def _context_cues(contexts: Sequence[str], near: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The cues of each context (`_context_cues_of`) as (context, ancestor-tag column) and (context,
    token hash) pairs, memoised per context. (The compiled twin: `LOOPS.active.context_cues`.)"""
    rows: list[int] = []
    ancestors: list[int] = []
    token_rows: list[int] = []
    hashes: list[int] = []
    for i, context in enumerate(contexts):
        cues = _CONTEXT_CUES.get(context)
        if cues is None:
            cues = remember(_CONTEXT_CUES, context, _context_cues_of(context, near))
        rows += [i] * len(cues[0])
        ancestors += cues[0]
        token_rows += [i] * len(cues[1])
        hashes += cues[1]
    return (
        np.array(rows, dtype=np.intp),
        np.array(ancestors, dtype=np.intp),
        np.array(token_rows, dtype=np.intp),
        np.array(hashes, dtype=np.uint32),
    )


@dataclass(frozen=True)
class LoopRules:
    """What the compiled loops (`_loops.bind`) read of this module: data their loops need, never a
    formula, under names that are this interface's, not the module's private ones."""

    columns: type[Columns]  # what `block_columns` returns, its fields by name
    class_table: np.ndarray  # uint16 per code point (`_class_table`)
    closers: str  # `text.ends_sentence`'s characters
    sentence_end_chars: str
    tag_index: dict[str, int]  # tag → its `TAGS` index
    other_tag: int  # the index of every other tag
    ancestor_index: dict[str, int]  # ancestor tag → its column among `CUE_NAMES`
    token_chars: bytes  # per ASCII character, its `token_flags`
    token_flags: tuple[int, int, int, int]  # splits, before a hump, after a hump, ends a descriptor's tag
    min_token_chars: int
    descriptor_cues: Callable[[str], tuple[tuple[int, ...], tuple[int, ...]]]
    descriptor_cues_memo: dict[str, tuple[tuple[int, ...], tuple[int, ...]]]
    context_cues_memo: dict[str, tuple[tuple[int, ...], tuple[int, ...]]]
    memo_limit: int  # `segment.MEMO_LIMIT`: the loops bound the memos as `remember` does


def loop_rules() -> LoopRules:
    """The rules as they are now (the compiled loops read them when they bind)."""
    return LoopRules(
        columns=Columns,
        class_table=_class_table(),
        closers=CLOSERS,
        sentence_end_chars=SENT_END_CHARS,
        tag_index=_TAG_INDEX,
        other_tag=_OTHER_TAG,
        ancestor_index=_ANCESTOR_INDEX,
        token_chars=_token_chars(),
        token_flags=(_SPLITS, _BEFORE_HUMP, _AFTER_HUMP, _ENDS_TAG),
        min_token_chars=MIN_TOKEN_CHARS,
        descriptor_cues=_descriptor_cues,
        descriptor_cues_memo=_DESCRIPTOR_CUES,
        context_cues_memo=_CONTEXT_CUES,
        memo_limit=MEMO_LIMIT,
    )


# --- the formulas: features from the counts, whichever twin counted ---------------------------------


def structure_keys(blocks: Sequence[Block], page_format: str = "html", cols: Columns | None = None) -> np.ndarray:
    """Page-local ids of each block's parent element, grandparent element and context, and its word
    count: what `surrounding_features` groups blocks by. Text pages have no elements: every line is
    its own group. `cols`: the page's `columns`, when the caller has them."""
    n = len(blocks)
    if page_format == "text":
        own = np.arange(n, dtype=np.float64)
        words = cols.words if cols is not None else np.fromiter((b.words for b in blocks), dtype=np.float64, count=n)
        return np.stack([own, own, own, words], axis=1)
    c = cols if cols is not None else columns(blocks)
    return np.stack([c.parent_id, c.grandparent_id, c.context_id, c.words], axis=1)


def page_features(blocks: Sequence[Block], page_format: str = "html", cols: Columns | None = None) -> np.ndarray:
    """Feature matrix of one page: one row per block, columns `FEATURE_NAMES` (or `LINE_FEATURES`).
    `cols`: the page's `columns`, when the caller already has them."""
    n = len(blocks)
    names = LINE_FEATURES if page_format == "text" else FEATURE_NAMES
    if n == 0:
        return np.zeros((0, len(names)), dtype=np.float32)
    c = cols if cols is not None else columns(blocks)
    dense = _dense(c, html=page_format != "text")
    if page_format == "text":
        density = dense[:, _LINE_COLUMN["link_density"]]
        return np.hstack([dense, _article(c, density, page_format="text")]).astype(np.float32)
    # Written into one float32 matrix (the same values as concatenating, then casting).
    out = np.zeros((n, len(names)), dtype=np.float32)
    out[:, : len(DENSE_NAMES)] = dense
    out[np.arange(n), _TAG0 + c.tag] = 1.0
    _set_cues(out, c)
    out[:, _ARTICLE0:] = _article(c, dense[:, COLUMN["link_density"]])
    return out


def _set_cues(out: np.ndarray, c: Columns) -> None:
    """Set the cue columns of `page_features`' matrix: each block's ancestor tags, and the buckets of
    the tokens of its nearest `NEAR_ANCESTORS` ancestors (made once per distinct context)."""
    if (twin := LOOPS.active.context_cues) is not None:
        rows, ancestors, token_rows, hashes = twin(c.distinct_contexts, NEAR_ANCESTORS)
    else:
        rows, ancestors, token_rows, hashes = _context_cues(c.distinct_contexts, NEAR_ANCESTORS)
    cues = np.zeros((len(c.distinct_contexts), len(CUE_NAMES)), dtype=np.float32)
    cues[rows, ancestors] = 1.0
    cues[token_rows, _BUCKET0 + hashes % TOKEN_BUCKETS] = 1.0
    out[:, _CUE0 : _CUE0 + len(CUE_NAMES)] = cues[c.context_id]


def _has(flags: np.ndarray, bit: int) -> np.ndarray:
    """Where `_class_table` entries `flags` have character class `bit`."""
    return (flags & (1 << bit)) > 0


def _run_lengths(mask: np.ndarray) -> np.ndarray:
    """For each position, the length of the run of True values it belongs to (0 where False)."""
    return _runs(mask.astype(np.int64)) * mask


def _runs(values: np.ndarray) -> np.ndarray:
    """`_value_runs` of int64 `values`: by the compiled loop when it is in use."""
    if (twin := LOOPS.active.value_runs) is not None:
        return twin(values)
    return _value_runs(values)


# The columns `_dense` takes the log1p of, in the order it stacks them (a text page's are the first
# few, those it has), and the shares of a block's characters, by character class.
_LOGGED = (
    "log_words",
    "log_chars",
    "same_text_blocks",
    "link_run",
    "parent_log_words",
    "parent_blocks",
    "grand_log_words",
    "same_context_blocks",
)
_LOG_AT = {name: k for k, name in enumerate(_LOGGED)}
_SHARES = (("digit_share", _DIGIT), ("punct_share", _PUNCT), ("alpha_share", _LETTER))


@dataclass(frozen=True)
class _Layout:
    """Where `_dense` writes each group in one page format's matrix (`DENSE_NAMES` or `LINE_DENSE_NAMES`)."""

    at: dict[str, int]
    n_logged: int  # the first of `_LOGGED` the format has
    logged: slice | np.ndarray
    shares: slice | np.ndarray
    neighbours: tuple[slice | np.ndarray, ...]  # per offset: its columns of `_NEIGHBOUR_OWN`
    same_parent: slice | np.ndarray  # per offset (HTML only)

    @classmethod
    def of(cls, names: Sequence[str]) -> _Layout:
        at = {name: i for i, name in enumerate(names)}

        def index(columns: Iterable[str]) -> slice | np.ndarray:
            """The columns' positions: a slice where they are evenly spaced (numpy writes those faster)."""
            found = [at[name] for name in columns if name in at]
            steps = set(np.diff(found).tolist())
            if len(found) > 1 and len(steps) == 1 and (step := steps.pop()) > 0:
                return slice(found[0], found[-1] + 1, step)
            return np.array(found, dtype=np.intp)

        return cls(
            at,
            sum(name in at for name in _LOGGED),
            index(_LOGGED),
            index(name for name, _ in _SHARES),
            tuple(index(neighbour_column(o, name) for name in _NEIGHBOUR_OWN) for o in _NEIGHBOUR_OFFSETS),
            index(neighbour_column(o, "same_parent") for o in _NEIGHBOUR_OFFSETS),
        )


_HTML_LAYOUT, _LINE_LAYOUT = _Layout.of(DENSE_NAMES), _Layout.of(LINE_DENSE_NAMES)
_SHARE_CLASSES = [k for _, k in _SHARES]


def _dense(c: Columns, html: bool) -> np.ndarray:
    """The float64 groups of `page_features` before the tags and DOM cues: `DENSE_NAMES` (`html`),
    else `LINE_DENSE_NAMES`. (Columns of one kind are computed together: a page is a few hundred
    blocks, where numpy's cost is per call.)"""
    n = len(c.texts)
    layout = _HTML_LAYOUT if html else _LINE_LAYOUT
    at = layout.at
    M = np.empty((n, len(at)), order="F")  # (column-major: written a column at a time)
    logged = np.empty((n, layout.n_logged), order="F")
    words, lengths, counts = c.words, c.lengths, c.char_counts
    w = np.maximum(words, 1.0)
    chars = np.maximum(lengths, 1).astype(np.float64)
    density = c.links / w
    logged[:, _LOG_AT["log_words"]] = words
    logged[:, _LOG_AT["log_chars"]] = lengths
    logged[:, _LOG_AT["same_text_blocks"]] = c.text_count - 1.0
    logged[:, _LOG_AT["link_run"]] = _run_lengths(density >= LINK_DOMINATED)
    M[:, at["mean_word_len"]] = np.minimum(MEAN_WORD_LEN_CAP, lengths / w)
    M[:, layout.shares] = counts[:, _SHARE_CLASSES] / chars[:, None]
    M[:, at["upper_share"]] = counts[:, _UPPER] / np.maximum(counts[:, _LETTER], 1.0)
    M[:, at["sentence_ends_per_word"]] = counts[:, _SENT_END] / w
    M[:, at["ends_sentence"]] = c.ends
    M[:, at["starts_upper"]] = _has(c.first_flags, _UPPER)
    M[:, at["has_copyright"]] = counts[:, _COPYRIGHT] > 0
    M[:, at["pipes"]] = np.minimum(PIPES_CAP, counts[:, _PIPE])
    M[:, at["ends_colon"]] = _has(c.last_flags, _COLON)
    M[:, at["link_density"]] = density

    links = density * w  # the link words the features read: link density × words
    total = max(1.0, float(words.sum()))
    idx = np.arange(n)
    M[:, at["rel_index"]] = idx / max(1, n - 1)
    M[:, at["rel_words_before"]] = np.concatenate([[0.0], np.cumsum(words)[:-1]]) / total
    M[:, at["dist_to_longest"]] = np.abs(idx - int(np.argmax(words))) / max(1, n)
    M[:, at["page_log_blocks"]] = math.log1p(n)
    M[:, at["page_log_words"]] = math.log1p(total)
    M[:, at["page_link_density"]] = links.sum() / total
    M[:, at["share_of_longest"]] = words / max(1.0, float(words.max()))

    if html:
        parent, grand, context = c.parent_id, c.grandparent_id, c.context_id
        parent_words = np.bincount(parent, weights=words)[parent]
        parent_links = np.bincount(parent, weights=links)[parent]
        grand_words = np.bincount(grand, weights=words)[grand]
        grand_links = np.bincount(grand, weights=links)[grand]
        logged[:, _LOG_AT["parent_log_words"]] = parent_words
        logged[:, _LOG_AT["parent_blocks"]] = np.bincount(parent)[parent]
        logged[:, _LOG_AT["grand_log_words"]] = grand_words
        logged[:, _LOG_AT["same_context_blocks"]] = np.bincount(context)[context] - 1
        main_depth, M[:, at["in_main"]] = _in_main(c, links)
        depth = c.depth
        M[:, at["depth"]] = depth
        M[:, at["rel_depth"]] = depth / (depth.max() or 1.0)
        M[:, at["hidden"]] = _hidden(c.distinct_contexts)[context]
        parent_at_least_1, grand_at_least_1 = np.maximum(parent_words, 1.0), np.maximum(grand_words, 1.0)
        M[:, at["parent_link_density"]] = parent_links / parent_at_least_1
        M[:, at["parent_share"]] = words / parent_at_least_1
        M[:, at["grand_link_density"]] = grand_links / grand_at_least_1
        M[:, at["grand_share"]] = words / grand_at_least_1
        M[:, at["main_depth_diff"]] = c.slashes - main_depth
        shifted = np.full((n, len(_NEIGHBOUR_OFFSETS)), -1, dtype=np.int64)  # ids are never -1
        for k, o in enumerate(_NEIGHBOUR_OFFSETS):
            _shift_into(shifted[:, k], parent, o)
        M[:, layout.same_parent] = shifted == parent[:, None]
    logs = np.log1p(logged)
    M[:, layout.logged] = logs

    own = {  # each block's value of each `_NEIGHBOUR_OWN` column, and its value past the page's ends
        "log_words": (logs[:, _LOG_AT["log_words"]], NO_NEIGHBOUR),
        "link_density": (density, NO_NEIGHBOUR),
        "heading": (_IS_HEADING[c.tag], NO_NEIGHBOUR_FLAG),
        "paragraph": (_IS_PARAGRAPH[c.tag], NO_NEIGHBOUR_FLAG),
        "list": (_IS_LIST[c.tag], NO_NEIGHBOUR_FLAG),
        "ends_sentence": (c.ends, NO_NEIGHBOUR),
    }
    values = np.empty((n, len(_NEIGHBOUR_OWN)), order="F")
    for k, name in enumerate(_NEIGHBOUR_OWN):
        values[:, k] = own[name][0]
    fills = np.array([own[name][1] for name in _NEIGHBOUR_OWN])
    for o, columns in zip(_NEIGHBOUR_OFFSETS, layout.neighbours):
        M[:, columns] = fills
        if o > 0:
            M[:-o, columns] = values[o:]
        elif o < 0:
            M[-o:, columns] = values[:o]
    return M


def _shift_into(out: np.ndarray, values: np.ndarray, o: int) -> None:
    """out[i] = values[i + o] where the page has a block i + o (the rest of `out` left as it is)."""
    if o > 0:
        out[:-o] = values[o:]
    elif o < 0:
        out[-o:] = values[:o]


def _hidden(contexts: Sequence[str]) -> np.ndarray:
    """1.0 for each context with a hidden ancestor (`segment.HIDDEN_MARK`), else 0.0. (Most pages
    have none: one search over all their contexts says so.)"""
    if HIDDEN_MARK not in "\n".join(contexts):
        return np.zeros(len(contexts))
    return np.fromiter((HIDDEN_MARK in x for x in contexts), dtype=np.float64, count=len(contexts))


def _in_main(c: Columns, links: np.ndarray) -> tuple[int, np.ndarray]:
    """The depth of the page's densest text container, and whether each block is inside it."""
    plain = np.maximum(c.words - links, 0.0)
    half = MAIN_SHARE * max(1.0, plain.sum())
    if (sums_twin := LOOPS.active.prefix_sums) is not None:
        prefixes, sums = sums_twin(c.xpaths, plain)
    else:
        prefixes, sums = _prefix_sums(c.xpaths, plain)
    main = densest_container(prefixes, sums, half)
    if (inside := LOOPS.active.inside) is not None:
        return main.count("/"), inside(c.xpaths, main)
    return main.count("/"), _inside(c.xpaths, main)


def densest_container(prefixes: Sequence[str], sums: np.ndarray, half: float) -> str:
    """The page's densest text container: of the elements whose blocks hold at least `half` of the
    page's non-link words (`_prefix_sums`), the deepest; the first such in document order on a tie;
    the document itself when none."""
    best, depth = DOCUMENT_XPATH, -1
    for k in np.flatnonzero(sums >= half).tolist():
        d = prefixes[k].count("/")
        if d > depth:
            best, depth = prefixes[k], d
    return best


_PROSE_CHARS = 100  # a paragraph of prose: at least this many characters, ...
_PROSE_LINKS = 0.3  # ... less than this link density, and ends with a sentence end
_NEAR_BLOCKS = 3  # blocks on either side that count as near
_SHORT_WORDS = 12  # a title-like block: at most this many words, no sentence end


def _article(c: Columns, density: np.ndarray, page_format: str = "html") -> np.ndarray:
    """The article group, from the page's `Columns` and its blocks' link density. In-article
    boilerplate (an inline related headline, a caption, a byline) is a short block between
    paragraphs of prose; a renderer's placeholder is a whole-block `[token]`; teasers, related
    lists and comments come in runs of short title-like blocks or of blocks with one DOM context.
    Language-agnostic: characters, sentence ends, links, positions."""
    n = len(c.texts)
    prose = (c.lengths >= _PROSE_CHARS) & (density < _PROSE_LINKS) & (c.ends > 0)
    idx = np.arange(n)
    csum = np.concatenate([[0], np.cumsum(prose)])
    before = csum[idx] - csum[np.maximum(idx - _NEAR_BLOCKS, 0)]
    after = csum[np.minimum(idx + _NEAR_BLOCKS + 1, n)] - csum[idx + 1]
    short = (c.words <= _SHORT_WORDS) & (c.ends == 0)
    cols = [
        ((before > 0) & (after > 0) & ~prose).astype(np.float64),
        _bracketed(c),
        np.log1p(_run_lengths(short)),
    ]
    if page_format == "text":
        cols += _main_run_positions(c, prose, idx, csum)
    else:
        cols.append(np.log1p(_runs(c.context_id)))
    return np.stack(cols, axis=1)


_RUN_GAP = 10  # within a run of prose, how many lines a prose line may follow the previous; the reach of `near_prose`


def _main_run(prose: np.ndarray, lengths: np.ndarray) -> tuple[int, int]:
    """First and last line of the page's main run of prose: of the runs of prose lines in which each
    is at most `_RUN_GAP` lines after the previous, the one with the most characters; (0, -1) when
    there is no prose, so that every line is after it. A dump's article is one such run; the header,
    related lists and footer lie outside it."""
    at = np.flatnonzero(prose)
    if len(at) == 0:
        return 0, -1
    breaks = np.flatnonzero(np.diff(at) > _RUN_GAP)
    starts = np.concatenate([[0], breaks + 1])
    ends = np.concatenate([breaks, [len(at) - 1]])
    chars = np.add.reduceat(lengths[at], starts)
    best = int(np.argmax(chars))
    return int(at[starts[best]]), int(at[ends[best]])


def _main_run_positions(c: Columns, prose: np.ndarray, idx: np.ndarray, csum: np.ndarray) -> list[np.ndarray]:
    """The `MAIN_RUN_NAMES` columns of a text page; `idx` and `csum` are `_article`'s line numbers
    and running count of prose lines."""
    n = len(c.texts)
    start, end = _main_run(prose, c.lengths)
    near = csum[np.minimum(idx + _RUN_GAP + 1, n)] - csum[np.maximum(idx - _RUN_GAP, 0)]
    first = c.texts[0].strip().lower()
    return [
        ((idx >= start) & (idx <= end)).astype(np.float64),
        np.where(idx < start, (start - idx) / n, 0.0),
        np.where(idx > end, (idx - end) / n, 0.0),
        np.log1p(near),
        np.fromiter((i > 0 and t.strip().lower() == first for i, t in enumerate(c.texts)), dtype=np.float64, count=n),
    ]


def _bracketed(c: Columns) -> np.ndarray:
    """1.0 for a whole-block bracket token (`[iklan_2]`, `[caption]`): a placeholder a renderer left.
    More than two characters, the first "[" and the last "]", and no other "["."""
    return (
        (c.lengths > 2)
        & _has(c.first_flags, _OPEN_BRACKET)
        & _has(c.last_flags, _CLOSE_BRACKET)
        & (c.char_counts[:, _OPEN_BRACKET] == 1)
    ).astype(np.float64)


def _value_runs(values: np.ndarray) -> np.ndarray:
    """For each position, the length of the run of equal consecutive values it belongs to. (The
    compiled twin: `LOOPS.active.value_runs`.)"""
    n = len(values)
    if n == 0:
        return np.zeros(0)
    change = np.concatenate([[True], values[1:] != values[:-1]])
    run_id = np.cumsum(change) - 1
    return np.bincount(run_id)[run_id].astype(np.float64)


# --- second stage: the first model's probabilities around each block (its surroundings) ------------

_AROUND_OFFSETS = (-3, -2, -1, 1, 2, 3)
_AROUND_WINDOWS = (2, 6)
SURROUNDING_NAMES = (
    ["p"]
    + [f"p{o:+d}" for o in _AROUND_OFFSETS]
    + [f"p_window{k}" for k in _AROUND_WINDOWS]
    + [
        "page_p_max",
        "page_p_mean",
        "page_p_words",
        "page_p_share",
        "content_before",
        "content_after",
        "since_content",
        "until_content",
        "p_rank",
    ]
    + ["parent_p", "parent_p_max", "grand_p", "same_context_p"]
)
LINE_SURROUNDING_NAMES = [n for n in SURROUNDING_NAMES if n not in ("parent_p", "parent_p_max", "grand_p", "same_context_p")]
LIKELY_CONTENT = 0.5  # a block with at least this first-stage probability is likely content
NO_CONTENT_AROUND = 10_000  # `since_content` / `until_content` (blocks) when the page has no likely content there


def _group_mean(ids: np.ndarray, values: np.ndarray) -> np.ndarray:
    return (np.bincount(ids, weights=values) / np.maximum(np.bincount(ids), 1))[ids]


def surrounding_features(p: np.ndarray, page: np.ndarray, keys: np.ndarray, page_format: str = "html") -> np.ndarray:
    """Second-stage columns (`SURROUNDING_NAMES`, or `LINE_SURROUNDING_NAMES` for text) for blocks of
    one or more pages concatenated: `p` the first model's content probability, `page` each block's
    page number (non-decreasing), `keys` the `structure_keys` rows."""
    n = len(p)
    names = LINE_SURROUNDING_NAMES if page_format == "text" else SURROUNDING_NAMES
    if n == 0:
        return np.zeros((0, len(names)), dtype=np.float32)
    p = p.astype(np.float64)
    page = page.astype(np.int64)
    _, page_id = np.unique(page, return_inverse=True)
    first = np.searchsorted(page, page, side="left")
    last = np.searchsorted(page, page, side="right") - 1
    idx = np.arange(n)
    words = keys[:, 3]
    cols = [p]
    for o in _AROUND_OFFSETS:
        j = idx + o
        valid = (j >= first) & (j <= last)
        cols.append(np.where(valid, p[np.clip(j, 0, n - 1)], NO_NEIGHBOUR))
    csum = np.concatenate([[0.0], np.cumsum(p)])
    for k in _AROUND_WINDOWS:
        lo = np.maximum(idx - k, first)
        hi = np.minimum(idx + k, last)
        count = hi - lo  # the window without the block itself
        cols.append(np.where(count > 0, (csum[hi + 1] - csum[lo] - p) / np.maximum(count, 1), NO_NEIGHBOUR))
    cols.append(np.maximum.reduceat(p, np.unique(first))[page_id])
    cols.append(_group_mean(page_id, p))
    word_p = words * p
    page_words = np.bincount(page_id, weights=words)[page_id]
    cols.append(np.bincount(page_id, weights=word_p)[page_id] / np.maximum(page_words, 1.0))
    likely = p >= LIKELY_CONTENT
    cols.append(_group_mean(page_id, likely.astype(np.float64)))
    mass = np.bincount(page_id, weights=word_p)[page_id]
    wcsum = np.concatenate([[0.0], np.cumsum(word_p)])
    before = wcsum[idx] - wcsum[first]
    cols.append(before / np.maximum(mass, 1e-9))
    cols.append((mass - before - word_p) / np.maximum(mass, 1e-9))
    # blocks since the previous likely-content block and until the next one (log; far when none)
    prev = np.maximum.accumulate(np.where(likely, idx, -1))
    prev_before = np.concatenate([[-1], prev[:-1]])
    since = np.where(prev_before >= first, idx - prev_before, NO_CONTENT_AROUND)
    next_ = np.minimum.accumulate(np.where(likely, idx, n)[::-1])[::-1]
    next_after = np.concatenate([next_[1:], [n]])
    until = np.where(next_after <= last, next_after - idx, NO_CONTENT_AROUND)
    cols += [np.log1p(since), np.log1p(until)]
    order = np.lexsort((p, page_id))
    rank = np.empty(n)
    rank[order] = np.arange(n)
    size = last - first + 1
    cols.append((rank - first) / np.maximum(size - 1, 1))
    if page_format != "text":
        # container ids are page-local: make them global by offsetting with the page's first row
        parent = keys[:, 0].astype(np.int64) + first
        grand = keys[:, 1].astype(np.int64) + first
        context = keys[:, 2].astype(np.int64) + first
        cols.append(_group_mean(parent, p))
        parent_max = np.zeros(int(np.max(parent)) + 1)
        np.maximum.at(parent_max, parent, p)
        cols.append(parent_max[parent])
        cols.append(_group_mean(grand, p))
        cols.append(_group_mean(context, p))
    return np.stack(cols, axis=1).astype(np.float32)
