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
  element holding half of the page's non-link words), how many blocks share its ancestor chain;
* tag — one-hot of the block's own tag; ancestors — presence of landmark tags above it (nav, header,
  footer, aside, article, main, form, li, table, figure, h1–h6, …) and of hidden ancestors;
* tokens — class/id/role words of the nearest three ancestors, hashed (crc32) into `HASH_NEAR`
  buckets. (Hashing the words of all ancestors too was tried: it scored lower on validation, the
  far ancestors' words name sites more than roles.)

`LINE_FEATURES` is what a plain-text line has: the text, position, page, neighbour and article
groups, without the DOM, plus its place against the page's main run of prose (`MAIN_RUN_NAMES`),
which stands in for the markup that says where an article is. The text-mode model uses those.

`context_features` is the second stage: given the first model's content probability of every block,
it describes each block's surroundings in those terms (neighbours' and container's probabilities,
how much of the page's likely content lies before it, how far the nearest likely-content block is).
A headline between two paragraphs of an article and the same headline in a list of related links
look alike on their own; their surroundings differ.

Everything is computed with numpy over the whole page (character classes over the page's code
points, neighbours by shifting), since the classifier is meant to run at crawl scale.
"""

from __future__ import annotations

import math
import re
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from functools import lru_cache
from typing import Any

import numpy as np

from ..core import compiled
from ..core.segment import descriptor_tag
from ..core.text import CLOSERS, SENT_END_CHARS, ends_sentence
from ..core.types import Block

# The version of each mode's features (keys: `types.PAGE_FORMATS`), stored with a model and checked
# when it loads. Bump a mode's when a change alters its columns or their values: the HTML model reads
# `FEATURE_NAMES`, the text model `LINE_FEATURES`; a change to code both read bumps both. A change
# to one mode then leaves the other mode's model file as it is.
FEATURES_VERSION: dict[str, str] = {"html": "4", "text": "4"}
HASH_NEAR = 64

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
_TAG_INDEX = {t: i for i, t in enumerate(TAGS)}
_ANC_INDEX = {t: i for i, t in enumerate(ANCESTOR_TAGS)}

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
_NEIGHBOUR_NAMES = ("log_words", "link_density", "heading", "paragraph", "list", "ends_sentence", "same_parent")
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


# The column layout, declared once: each group's names in order. Both twins write columns by name
# (`COLUMN`, `DENSE_NAMES`); the compiled one checks, when it binds, that it knows every dense
# column (`FEATURE_RULES`).
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
CUE_NAMES = (*(f"anc_{t}" for t in ANCESTOR_TAGS), *(f"near_tok_{i}" for i in range(HASH_NEAR)))
FEATURE_NAMES = [*DENSE_NAMES, *_TAG_NAMES, *CUE_NAMES, *_ARTICLE_NAMES]
LINE_FEATURES = [*LINE_DENSE_NAMES, *_LINE_ARTICLE_NAMES]
COLUMN = {name: i for i, name in enumerate(FEATURE_NAMES)}
_LINE_COLUMN = {name: i for i, name in enumerate(LINE_FEATURES)}

# Character classes, as bit flags of a code-point table (the Basic Multilingual Plane; code points
# above it share one entry: they are rare in text and mostly symbols).
_LETTER, _UPPER, _DIGIT, _PUNCT, _SENT_END = 1, 2, 4, 8, 16
_PIPE, _COPYRIGHT, _COLON = ord("|"), ord("©"), ord(":")
_BMP = 0x10000
_TOKEN_SPLIT_RE = re.compile(r"[.#@!_\-\s]+|(?<=[a-z])(?=[A-Z])|\d+")


@lru_cache(maxsize=1)
def _class_table() -> np.ndarray:
    table = np.zeros(_BMP + 1, dtype=np.uint8)
    for cp in range(_BMP):
        c = chr(cp)
        if c.isalpha():
            table[cp] = _LETTER | (_UPPER if c.isupper() else 0)
        elif c.isdecimal():
            table[cp] = _DIGIT
        elif not (c.isspace() or c.isalnum() or c == "_"):
            table[cp] = _PUNCT
    for c in SENT_END_CHARS:
        table[ord(c)] |= _SENT_END
    return table


def _per_block_sums(values: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Sum of `values` over each block's character range (blocks are never empty, but be safe)."""
    if len(values) == 0:
        return np.zeros(len(starts))
    sums = np.add.reduceat(values, np.minimum(starts, len(values) - 1)).astype(np.float64)
    return np.where(lengths > 0, sums, 0.0)


def _run_lengths(mask: np.ndarray) -> np.ndarray:
    """For each position, the length of the run of True values it belongs to (0 where False)."""
    return np.where(mask, _value_runs(mask), 0.0)


@dataclass(frozen=True)
class Columns:
    """What the features read off a page's blocks, in one pass (`columns`). Numbers are float64
    arrays unless noted; `parent`, `grand`, `context` are page-local ids (equal keys, equal ids, in
    order of first appearance) of each block's parent xpath, grandparent xpath and `context`."""

    texts: list[str]
    xpaths: list[str]
    contexts: list[str]
    lengths: np.ndarray  # int64: characters
    words: np.ndarray
    links: np.ndarray
    depth: np.ndarray
    ends: np.ndarray  # ends with a sentence end
    same_text: np.ndarray  # other blocks of the page with the same text
    tag: np.ndarray  # int64: index in TAGS, len(TAGS) for another tag
    heading: np.ndarray
    para: np.ndarray
    listy: np.ndarray
    hidden: np.ndarray
    slashes: np.ndarray  # the xpath's "/"s
    parent: np.ndarray  # int64
    grand: np.ndarray  # int64
    context: np.ndarray  # int64


def columns(blocks: Sequence[Block]) -> Columns:
    """A page's `Columns`: by the compiled loop when it is in use (the same values:
    `tests/test_speedups.py`), else `_columns`."""
    if (twin := compiled.active.block_columns) is not None:
        return twin(blocks)
    return _columns(blocks)


def _columns(blocks: Sequence[Block]) -> Columns:
    n = len(blocks)

    def floats(values: Iterable[float]) -> np.ndarray:
        return np.fromiter(values, dtype=np.float64, count=n)

    texts = [b.text for b in blocks]
    xpaths = [b.xpath for b in blocks]
    contexts = [b.context for b in blocks]
    tags = [b.tag for b in blocks]
    same = Counter(texts)
    parents = [_parent(x) for x in xpaths]
    return Columns(
        texts,
        xpaths,
        contexts,
        lengths=np.fromiter(map(len, texts), dtype=np.int64, count=n),
        words=floats(b.words for b in blocks),
        links=floats(b.link_words for b in blocks),
        depth=floats(b.depth for b in blocks),
        ends=floats(ends_sentence(t) for t in texts),
        same_text=floats(same[t] - 1 for t in texts),
        tag=np.fromiter((_TAG_INDEX.get(t, len(TAGS)) for t in tags), dtype=np.int64, count=n),
        heading=floats(t in _HEADINGS for t in tags),
        para=floats(t == "p" for t in tags),
        listy=floats(t in _LISTS for t in tags),
        hidden=floats("!hidden" in c for c in contexts),
        slashes=floats(x.count("/") for x in xpaths),
        parent=_codes(parents),
        grand=_codes([_parent(p) for p in parents]),
        context=_codes(contexts),
    )


def _text_block(c: Columns) -> dict[str, np.ndarray]:
    """The text group's columns, by name."""
    n, texts, lengths, words, links = len(c.texts), c.texts, c.lengths, c.words, c.links
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    cps = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    flags = _class_table()[np.minimum(cps, _BMP)]
    letters = _per_block_sums(flags & _LETTER, starts, lengths)
    upper = _per_block_sums((flags & _UPPER) >> 1, starts, lengths)
    digits = _per_block_sums((flags & _DIGIT) >> 2, starts, lengths)
    punct = _per_block_sums((flags & _PUNCT) >> 3, starts, lengths)
    sent = _per_block_sums((flags & _SENT_END) >> 4, starts, lengths)
    pipes = _per_block_sums((cps == _PIPE).astype(np.uint8), starts, lengths)
    copyright_ = _per_block_sums((cps == _COPYRIGHT).astype(np.uint8), starts, lengths)
    safe = np.clip(starts, 0, max(0, len(cps) - 1))
    first = flags[safe] if len(cps) else np.zeros(n, dtype=np.uint8)
    last_cp = cps[np.clip(starts + lengths - 1, 0, max(0, len(cps) - 1))] if len(cps) else np.zeros(n, dtype=np.uint32)
    w = np.maximum(words, 1.0)
    chars = np.maximum(lengths, 1).astype(np.float64)
    density = links / w
    return {
        "log_words": np.log1p(words),
        "log_chars": np.log1p(lengths),
        "mean_word_len": np.minimum(30.0, lengths / w),
        "digit_share": digits / chars,
        "upper_share": upper / np.maximum(letters, 1.0),
        "punct_share": punct / chars,
        "alpha_share": letters / chars,
        "sentence_ends_per_word": sent / w,
        "ends_sentence": c.ends,
        "starts_upper": ((first & _UPPER) > 0).astype(np.float64) * (lengths > 0),
        "has_copyright": (copyright_ > 0).astype(np.float64),
        "pipes": np.minimum(10.0, pipes),
        "ends_colon": ((last_cp == _COLON) & (lengths > 0)).astype(np.float64),
        "link_density": density,
        "same_text_blocks": np.log1p(c.same_text),
        "link_run": np.log1p(_run_lengths(density >= 0.5)),
    }


def _tokens(descriptor: str) -> list[str]:
    """Class/id/role words of one descriptor: split on separators, camelCase humps and digits."""
    tag = descriptor_tag(descriptor)
    rest = descriptor[len(tag) :]
    return [tok.lower() for tok in _TOKEN_SPLIT_RE.split(rest) if tok and len(tok) > 1]


_CONTEXT_HOT: dict[str, tuple[int, ...]] = {}
_DESCRIPTOR_CUES: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {}
_N_CUES = len(CUE_NAMES)
_MEMO_LIMIT = 200_000


def _descriptor_cues(descriptor: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(ancestor-tag column, token hashes) of one ancestor descriptor; memoised: a site repeats
    its ancestor chains on every page. (Tuples of ints, which the garbage collector stops
    tracking: a full memo would otherwise add a million objects to every full collection.)"""
    cues = _DESCRIPTOR_CUES.get(descriptor)
    if cues is None:
        a = _ANC_INDEX.get(descriptor_tag(descriptor))
        hashes = tuple(zlib.crc32(t.encode("utf-8")) for t in _tokens(descriptor))
        cues = _remember(_DESCRIPTOR_CUES, descriptor, (() if a is None else (a,), hashes))
    return cues


def _remember(memo: dict[str, Any], key: str, value: Any) -> Any:
    """Put `value` in a memo, emptied when it passes `_MEMO_LIMIT` (a crawl would grow it forever)."""
    if len(memo) > _MEMO_LIMIT:
        memo.clear()
    memo[key] = value
    return value


_NEAR0 = CUE_NAMES.index("near_tok_0")  # where the token buckets start among the cue columns


def _context_hot(context: str) -> tuple[int, ...]:
    """The columns of `CUE_NAMES` that one `Block.context` sets: ancestor-tag presence, and the
    hashed class/id/role tokens of the nearest three ancestors."""
    near0 = _NEAR0
    hot: list[int] = []
    descriptors = context.split(" ") if context else []
    for k, d in enumerate(reversed(descriptors)):
        anc, hashes = _descriptor_cues(d)
        hot += anc
        if k < 3:
            hot += [near0 + h % HASH_NEAR for h in hashes]
    return tuple(hot)


def _context_cues(contexts: Sequence[str]) -> np.ndarray:
    """`_context_hot` of each block as rows of 0/1; memoised per context, since the blocks of a
    list, a menu or a site share their contexts. (The compiled twin: `compiled.Twins.context_cues`.)"""
    out = np.zeros((len(contexts), _N_CUES), dtype=np.float32)
    for i, context in enumerate(contexts):
        hot = _CONTEXT_HOT.get(context)
        if hot is None:
            hot = _remember(_CONTEXT_HOT, context, _context_hot(context))
        out[i, list(hot)] = 1.0
    return out


def _parent(xpath: str) -> str:
    return xpath.rpartition("/")[0]


def _codes(keys: Sequence[str]) -> np.ndarray:
    """Page-local integer ids of string keys (equal keys, equal ids)."""
    ids: dict[str, int] = {}
    return np.fromiter((ids.setdefault(k, len(ids)) for k in keys), dtype=np.int64, count=len(keys))


def _shift(values: np.ndarray, o: int, fill: float) -> np.ndarray:
    """values[i + o], or `fill` past either end of the page."""
    out = np.full(len(values), fill, dtype=np.float64)
    if o > 0:
        out[:-o] = values[o:]
    elif o < 0:
        out[-o:] = values[:o]
    return out


def structure_keys(blocks: Sequence[Block], text_only: bool = False, cols: Columns | None = None) -> np.ndarray:
    """Page-local ids of each block's parent element, grandparent element and ancestor chain (with
    class/id), and its word count: what `context_features` groups blocks by. Text pages have no
    elements: every line is its own group. `cols`: the page's `columns`, when the caller has them."""
    n = len(blocks)
    if text_only:
        own = np.arange(n, dtype=np.float64)
        words = cols.words if cols is not None else np.fromiter((b.words for b in blocks), dtype=np.float64, count=n)
        return np.stack([own, own, own, words], axis=1)
    c = cols if cols is not None else columns(blocks)
    return np.stack([c.parent, c.grand, c.context, c.words], axis=1)


def page_features(
    blocks: Sequence[Block], text_only: bool = False, keys: np.ndarray | None = None, cols: Columns | None = None
) -> np.ndarray:
    """Feature matrix of one page: one row per block, columns `FEATURE_NAMES` (or `LINE_FEATURES`).
    `keys`, `cols`: the page's `structure_keys` and `columns`, when the caller already has them."""
    n = len(blocks)
    names = LINE_FEATURES if text_only else FEATURE_NAMES
    if n == 0:
        return np.zeros((0, len(names)), dtype=np.float32)
    c = cols if cols is not None else columns(blocks)
    if text_only:
        dense = _dense(c, None)
        density = dense[:, _LINE_COLUMN["link_density"]]
        return np.hstack([dense, _article(c, density, text_only=True)]).astype(np.float32)
    if (loops := compiled.active.dense_rows) is not None:
        dense = _dense_by_loops(c, loops)
    else:
        dense = _dense(c, keys if keys is not None else structure_keys(blocks, cols=c))
    if (twin := compiled.active.context_cues) is not None:
        cues = twin(c.contexts)
    else:
        cues = _context_cues(c.contexts)
    # Written into one float32 matrix (the same values as concatenating, then casting).
    out = np.zeros((n, len(names)), dtype=np.float32)
    out[:, : len(DENSE_NAMES)] = dense
    out[np.arange(n), _TAG0 + c.tag] = 1.0
    out[:, _CUE0 : _CUE0 + len(CUE_NAMES)] = cues
    out[:, _ARTICLE0:] = _article(c, dense[:, COLUMN["link_density"]])
    return out


# Where each group starts in `FEATURE_NAMES`.
_TAG0, _CUE0, _ARTICLE0 = COLUMN[_TAG_NAMES[0]], COLUMN[CUE_NAMES[0]], COLUMN[_ARTICLE_NAMES[0]]


_PROSE_CHARS = 100  # a paragraph of prose: at least this many characters, ...
_PROSE_LINKS = 0.3  # ... less than this link density, and ends with a sentence end
_NEAR = 3  # blocks on either side that count as "near"
_SHORT_WORDS = 12  # a title-like block: at most this many words, no sentence end


def _article(c: Columns, density: np.ndarray, text_only: bool = False) -> np.ndarray:
    """The article group, from the page's `Columns` and its blocks' link density. In-article
    boilerplate (an inline related headline, a caption, a byline) is a short block between
    paragraphs of prose; a renderer's placeholder is a whole-block `[token]`; teasers, related
    lists and comments come in runs of short title-like blocks or of blocks with one DOM context.
    Language-agnostic: characters, sentence ends, links, positions."""
    n = len(c.texts)
    prose = (c.lengths >= _PROSE_CHARS) & (density < _PROSE_LINKS) & (c.ends > 0)
    idx = np.arange(n)
    csum = np.concatenate([[0], np.cumsum(prose)])
    before = csum[idx] - csum[np.maximum(idx - _NEAR, 0)]
    after = csum[np.minimum(idx + _NEAR + 1, n)] - csum[idx + 1]
    short = (c.words <= _SHORT_WORDS) & (c.ends == 0)
    cols = [
        ((before > 0) & (after > 0) & ~prose).astype(np.float64),
        np.fromiter((_bracketed(t) for t in c.texts), dtype=np.float64, count=n),
        np.log1p(_run_lengths(short)),
    ]
    if text_only:
        cols += _main_run_positions(c, prose, idx, csum)
    else:
        cols.append(np.log1p(_value_runs(c.context)))
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


def _bracketed(text: str) -> bool:
    """A whole-block bracket token (`[iklan_2]`, `[caption]`): a placeholder a renderer left."""
    return len(text) > 2 and text[0] == "[" and text[-1] == "]" and "[" not in text[1:-1]


def _value_runs(values: np.ndarray) -> np.ndarray:
    """For each position, the length of the run of equal consecutive values it belongs to."""
    n = len(values)
    if n == 0:
        return np.zeros(0)
    change = np.concatenate([[True], values[1:] != values[:-1]])
    run_id = np.cumsum(change) - 1
    return np.bincount(run_id)[run_id].astype(np.float64)


def _dense(c: Columns, keys: np.ndarray | None) -> np.ndarray:
    """The float64 groups of `page_features` before the tags and DOM cues: `DENSE_NAMES` with
    `keys` (HTML), else `LINE_DENSE_NAMES`. (The compiled twin of its loops: `Twins.dense_rows`.)"""
    n = len(c.texts)
    cols = _text_block(c)
    words = c.words
    links = cols["link_density"] * np.maximum(words, 1.0)
    total = max(1.0, float(words.sum()))
    longest = int(np.argmax(words))
    before = np.concatenate([[0.0], np.cumsum(words)[:-1]])
    idx = np.arange(n)
    cols["rel_index"] = idx / max(1, n - 1)
    cols["rel_words_before"] = before / total
    cols["dist_to_longest"] = np.abs(idx - longest) / max(1, n)
    cols["page_log_blocks"] = np.full(n, math.log1p(n))
    cols["page_log_words"] = np.full(n, math.log1p(total))
    cols["page_link_density"] = np.full(n, links.sum() / total)
    cols["share_of_longest"] = words / max(1.0, float(words.max()))

    own = {
        "log_words": (cols["log_words"], -1.0),
        "link_density": (cols["link_density"], -1.0),
        "heading": (c.heading, 0.0),
        "paragraph": (c.para, 0.0),
        "list": (c.listy, 0.0),
        "ends_sentence": (cols["ends_sentence"], -1.0),
    }
    for o in _NEIGHBOUR_OFFSETS:
        for name, (values, fill) in own.items():
            cols[neighbour_column(o, name)] = _shift(values, o, fill)
        if keys is not None:
            cols[neighbour_column(o, "same_parent")] = (_shift(keys[:, 0], o, -1.0) == keys[:, 0]).astype(np.float64)
    if keys is None:
        return np.stack([cols[name] for name in LINE_DENSE_NAMES], axis=1)

    parent_id, grand_id, context_id = (keys[:, k].astype(np.int64) for k in range(3))
    p_words = np.bincount(parent_id, weights=words)[parent_id]
    p_links = np.bincount(parent_id, weights=links)[parent_id]
    g_words = np.bincount(grand_id, weights=words)[grand_id]
    g_links = np.bincount(grand_id, weights=links)[grand_id]
    main_depth, in_main = _in_main(c, links)
    depth = c.depth
    cols.update(
        {
            "depth": depth,
            "rel_depth": depth / (depth.max() or 1.0),
            "hidden": c.hidden,
            "parent_log_words": np.log1p(p_words),
            "parent_link_density": p_links / np.maximum(p_words, 1.0),
            "parent_share": words / np.maximum(p_words, 1.0),
            "parent_blocks": np.log1p(np.bincount(parent_id)[parent_id]),
            "grand_log_words": np.log1p(g_words),
            "grand_link_density": g_links / np.maximum(g_words, 1.0),
            "grand_share": words / np.maximum(g_words, 1.0),
            "in_main": in_main,
            "main_depth_diff": c.slashes - main_depth,
            "same_context_blocks": np.log1p(np.bincount(context_id)[context_id] - 1),
        }
    )
    return np.stack([cols[name] for name in DENSE_NAMES], axis=1)


def _in_main(c: Columns, links: np.ndarray) -> tuple[int, np.ndarray]:
    """The depth of the page's densest text container, and whether each block is inside it."""
    plain = np.maximum(c.words - links, 0.0)
    half = 0.5 * max(1.0, plain.sum())
    if (container := compiled.active.densest_container) is not None:
        main = container(c.xpaths, plain.tolist(), half)
    else:
        main = densest_container(c.xpaths, plain.tolist(), half)
    if (inside := compiled.active.inside) is not None:
        return main.count("/"), inside(c.xpaths, main)
    return main.count("/"), _inside(c.xpaths, main)


def _inside(xpaths: Sequence[str], container: str) -> np.ndarray:
    """1.0 for each xpath at or under `container`, else 0.0."""
    prefix = container + "/"
    return np.fromiter(((x + "/").startswith(prefix) for x in xpaths), dtype=np.float64, count=len(xpaths))


# The dense columns the compiled loops write before their log1p, which numpy applies (numpy's
# rounding, as `_dense` has it), and those they leave to `_dense_by_loops` (page-wide sums, the
# densest container). Both twins state them: `_speedups.bind` checks they agree.
_LOOPS_LOG1P = ("link_run", "parent_log_words", "parent_blocks", "grand_log_words", "same_context_blocks")
_LOOPS_LEAVE = ("page_log_blocks", "page_log_words", "page_link_density", "in_main", "main_depth_diff")
_DENSE_AT = {name: i for i, name in enumerate(DENSE_NAMES)}
_LOG1P_AT = np.array([_DENSE_AT[name] for name in _LOOPS_LOG1P])


def loop_inputs(c: Columns) -> tuple[Any, ...]:
    """The arguments of the compiled `dense_rows` loops for a page's `Columns`, in their order."""
    return (
        c.texts, c.lengths, c.words, c.links, np.log1p(c.words), np.log1p(c.lengths), np.log1p(c.same_text),
        c.ends, c.heading, c.para, c.listy, c.depth, c.hidden, c.parent, c.grand, c.context, _class_table(),
    )  # fmt: skip


def _dense_by_loops(c: Columns, loops: Callable[..., tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """`_dense` of an HTML page by the compiled loops (`compiled.Twins.dense_rows`): the same
    values, with the steps whose rounding is numpy's own (log1p, the page's pairwise sum) here."""
    words = c.words
    M, links = loops(*loop_inputs(c))
    M[:, _LOG1P_AT] = np.log1p(M[:, _LOG1P_AT])
    total = max(1.0, float(words.sum()))
    M[:, _DENSE_AT["page_log_blocks"]] = math.log1p(len(words))
    M[:, _DENSE_AT["page_log_words"]] = math.log1p(total)
    M[:, _DENSE_AT["page_link_density"]] = links.sum() / total
    main_depth, M[:, _DENSE_AT["in_main"]] = _in_main(c, links)
    M[:, _DENSE_AT["main_depth_diff"]] = c.slashes - main_depth
    return M


def densest_container(xpaths: Sequence[str], plain: Sequence[float], half: float) -> str:
    """The page's densest text container: the deepest element (xpath) whose blocks hold at least
    `half` of the page's non-link words (`plain`, per block); the first such in document order on
    a tie; `/html` when none. (The compiled twin: `compiled.Twins.densest_container`.)"""
    prefix_words: dict[str, float] = {}
    for path, w in zip(xpaths, plain):
        if w <= 0:
            continue
        while path:
            prefix_words[path] = prefix_words.get(path, 0.0) + w
            path = path.rpartition("/")[0]
    return max((p for p, w in prefix_words.items() if w >= half), key=lambda p: p.count("/"), default="/html")


_HEADINGS = frozenset(("h1", "h2", "h3", "h4", "h5", "h6"))
_LISTS = frozenset(("li", "dd", "dt"))

# --- second stage: the first model's probabilities around each block ------------------------------

_CTX_OFFSETS = (-3, -2, -1, 1, 2, 3)
_CTX_WINDOWS = (2, 6)
CONTEXT_NAMES = (
    ["p"]
    + [f"p{o:+d}" for o in _CTX_OFFSETS]
    + [f"p_window{k}" for k in _CTX_WINDOWS]
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
LINE_CONTEXT_NAMES = [n for n in CONTEXT_NAMES if n not in ("parent_p", "parent_p_max", "grand_p", "same_context_p")]
_LIKELY = 0.5


def _group_mean(ids: np.ndarray, values: np.ndarray) -> np.ndarray:
    return (np.bincount(ids, weights=values) / np.maximum(np.bincount(ids), 1))[ids]


def context_features(p: np.ndarray, page: np.ndarray, keys: np.ndarray, text_only: bool = False) -> np.ndarray:
    """Second-stage columns (`CONTEXT_NAMES`, or `LINE_CONTEXT_NAMES` for text) for blocks of one or
    more pages concatenated: `p` the first model's content probability, `page` each block's page
    number (non-decreasing), `keys` the `structure_keys` rows."""
    n = len(p)
    names = LINE_CONTEXT_NAMES if text_only else CONTEXT_NAMES
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
    for o in _CTX_OFFSETS:
        j = idx + o
        valid = (j >= first) & (j <= last)
        cols.append(np.where(valid, p[np.clip(j, 0, n - 1)], -1.0))
    csum = np.concatenate([[0.0], np.cumsum(p)])
    for k in _CTX_WINDOWS:
        lo = np.maximum(idx - k, first)
        hi = np.minimum(idx + k, last)
        count = hi - lo  # the window without the block itself
        cols.append(np.where(count > 0, (csum[hi + 1] - csum[lo] - p) / np.maximum(count, 1), -1.0))
    cols.append(np.maximum.reduceat(p, np.unique(first))[page_id])
    cols.append(_group_mean(page_id, p))
    wp = words * p
    page_words = np.bincount(page_id, weights=words)[page_id]
    cols.append(np.bincount(page_id, weights=wp)[page_id] / np.maximum(page_words, 1.0))
    likely = p >= _LIKELY
    cols.append(_group_mean(page_id, likely.astype(np.float64)))
    mass = np.bincount(page_id, weights=wp)[page_id]
    wcsum = np.concatenate([[0.0], np.cumsum(wp)])
    before = wcsum[idx] - wcsum[first]
    cols.append(before / np.maximum(mass, 1e-9))
    cols.append((mass - before - wp) / np.maximum(mass, 1e-9))
    # blocks since the previous likely-content block and until the next one (log; far when none)
    prev = np.maximum.accumulate(np.where(likely, idx, -1))
    prev_before = np.concatenate([[-1], prev[:-1]])
    since = np.where(prev_before >= first, idx - prev_before, 10_000)
    nxt = np.minimum.accumulate(np.where(likely, idx, n)[::-1])[::-1]
    nxt_after = np.concatenate([nxt[1:], [n]])
    until = np.where(nxt_after <= last, nxt_after - idx, 10_000)
    cols += [np.log1p(since), np.log1p(until)]
    order = np.lexsort((p, page_id))
    rank = np.empty(n)
    rank[order] = np.arange(n)
    size = last - first + 1
    cols.append((rank - first) / np.maximum(size - 1, 1))
    if not text_only:
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


@dataclass(frozen=True)
class FeatureRules:
    """What the compiled feature loops (`block_columns`, `context_cues`, `dense_rows` of
    `compiled.Twins`) read of this module: the column layout and the rules the Python twins follow,
    under names that are this interface's, not the module's private ones. The compiled side checks
    the layout and constants against its own when it binds them (`_speedups.bind`)."""

    dense_names: tuple[str, ...]  # the columns of `dense_rows`' matrix, in order (`DENSE_NAMES`)
    neighbour_offsets: tuple[int, ...]
    neighbour_column: Callable[[int, str], str]  # a neighbour column's name
    loops_log1p: tuple[str, ...]  # dense columns the loops write before log1p (numpy applies it)
    loops_leave: tuple[str, ...]  # dense columns the loops leave to `_dense_by_loops`
    column_fields: tuple[str, ...]  # `Columns`' fields, which `block_columns` fills by name
    columns: type[Columns]
    char_flags: tuple[int, ...]  # the class table's bits: letter, upper, digit, punctuation, sentence end
    pipe: int  # code points of "|", "©", ":"
    copyright: int
    colon: int
    sentence_end_chars: str
    closers: str
    tag_index: dict[str, int]  # tag → its `TAGS` index (others: `len(TAGS)`)
    n_tags: int
    heading_tags: frozenset[str]
    list_tags: frozenset[str]
    ancestor_index: dict[str, int]  # ancestor tag → its column among `CUE_NAMES`
    near0: int  # where the hashed token buckets start among `CUE_NAMES`
    hash_near: int
    n_cues: int
    context_hot: dict[str, tuple[int, ...]]  # memo of `_context_hot`, shared by both twins
    descriptor_cues_memo: dict[str, tuple[tuple[int, ...], tuple[int, ...]]]  # memo of `descriptor_cues`
    descriptor_cues: Callable[[str], tuple[tuple[int, ...], tuple[int, ...]]]
    remember: Callable[[dict[str, Any], str, Any], Any]  # put in a bounded memo


# fmt: off
FEATURE_RULES = FeatureRules(
    dense_names=DENSE_NAMES, neighbour_offsets=_NEIGHBOUR_OFFSETS, neighbour_column=neighbour_column,
    loops_log1p=_LOOPS_LOG1P, loops_leave=_LOOPS_LEAVE,
    column_fields=tuple(f.name for f in fields(Columns)), columns=Columns,
    char_flags=(_LETTER, _UPPER, _DIGIT, _PUNCT, _SENT_END), pipe=_PIPE, copyright=_COPYRIGHT, colon=_COLON,
    sentence_end_chars=SENT_END_CHARS, closers=CLOSERS,
    tag_index=_TAG_INDEX, n_tags=len(TAGS), heading_tags=_HEADINGS, list_tags=_LISTS,
    ancestor_index=_ANC_INDEX, near0=_NEAR0, hash_near=HASH_NEAR, n_cues=_N_CUES,
    context_hot=_CONTEXT_HOT, descriptor_cues_memo=_DESCRIPTOR_CUES, descriptor_cues=_descriptor_cues, remember=_remember,
)
# fmt: on
