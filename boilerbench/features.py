"""Block features for the classifier: one documented, language-agnostic vector per block.

Nothing here needs a word list of any language: text statistics are counts of character classes,
DOM cues are hashed class/id/role tokens (whatever language a site's CSS is written in), and the
rest is structure and position. Groups (in `FEATURE_NAMES` order):

* text — log words and characters, mean word length, shares of digits, capitals, punctuation and
  letters, sentence ends per word, ends with a sentence end, starts with a capital, `©`, `|`, `:`;
* links — link density (words inside `<a>` / words);
* tag — one-hot of the block's own tag; ancestors — presence of landmark tags above it (nav, header,
  footer, aside, article, main, form, li, table, figure, h1–h6, …) and of hidden ancestors;
* tokens — class/id/role words of the nearest three ancestors and of all ancestors, hashed
  (crc32) into `HASH_NEAR` and `HASH_ALL` buckets;
* structure — depth, position in blocks and in words, words and link density of the parent and
  grandparent containers and the block's share of them, whether the block is inside the page's
  densest text container (the deepest element holding half of the page's non-link words);
* page — log blocks and words of the page, its link density, the block's words / the longest block;
* neighbours — for offsets −2, −1, +1, +2: log words, link density, heading / paragraph / list
  tag, sentence end, same parent as this block.

`LINE_FEATURES` is the subset that a plain-text line has (text, position, page, neighbours): the
text-mode model uses only those.
"""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Sequence

import numpy as np

from .segment import descriptor_tag
from .types import Block

FEATURES_VERSION = "1"
HASH_NEAR = 64
HASH_ALL = 64

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
_TAG_INDEX = {t: i for i, t in enumerate(TAGS)}
_ANC_INDEX = {t: i for i, t in enumerate(ANCESTOR_TAGS)}

_TEXT_NAMES = (
    "log_words", "log_chars", "mean_word_len", "digit_share", "upper_share", "punct_share", "alpha_share",
    "sentence_ends_per_word", "ends_sentence", "starts_upper", "has_copyright", "pipes", "ends_colon",
    "link_density",
)
_POS_NAMES = ("rel_index", "rel_words_before", "dist_to_longest")
_PAGE_NAMES = ("page_log_blocks", "page_log_words", "page_link_density", "share_of_longest")
_NEIGHBOUR_OFFSETS = (-2, -1, 1, 2)
_NEIGHBOUR_NAMES = ("log_words", "link_density", "heading", "paragraph", "list", "ends_sentence", "same_parent")
_DOM_NAMES = (
    "depth", "rel_depth", "hidden",
    "parent_log_words", "parent_link_density", "parent_share", "parent_blocks",
    "grand_log_words", "grand_link_density", "grand_share", "in_main", "main_depth_diff",
)

LINE_FEATURES = (
    list(_TEXT_NAMES)
    + list(_POS_NAMES)
    + list(_PAGE_NAMES)
    + [f"n{o:+d}_{n}" for o in _NEIGHBOUR_OFFSETS for n in _NEIGHBOUR_NAMES if n != "same_parent"]
)
FEATURE_NAMES = (
    list(_TEXT_NAMES)
    + list(_POS_NAMES)
    + list(_PAGE_NAMES)
    + [f"n{o:+d}_{n}" for o in _NEIGHBOUR_OFFSETS for n in _NEIGHBOUR_NAMES]
    + list(_DOM_NAMES)
    + [f"tag_{t}" for t in TAGS]
    + ["tag_other"]
    + [f"anc_{t}" for t in ANCESTOR_TAGS]
    + [f"near_tok_{i}" for i in range(HASH_NEAR)]
    + [f"all_tok_{i}" for i in range(HASH_ALL)]
)

_SENT_END_RE = re.compile(r"[.!?。！？…]")
_ENDS_SENT_RE = re.compile(r"[.!?。！？…][\"'”’»)]*$")
_PUNCT_RE = re.compile(r"[^\w\s]")
_DIGIT_RE = re.compile(r"\d")
_UPPER_RE = re.compile(r"[^\W\d_]")
_TOKEN_SPLIT_RE = re.compile(r"[.#@!_\-\s]+|(?<=[a-z])(?=[A-Z])|\d+")
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_LISTS = {"li", "dd", "dt"}


def _text_stats(b: Block) -> list[float]:
    t = b.text
    n = max(1, len(t))
    w = max(1, b.words)
    letters = _UPPER_RE.findall(t)
    upper = sum(1 for c in letters if c.isupper())
    return [
        math.log1p(b.words),
        math.log1p(len(t)),
        min(30.0, len(t) / w),
        len(_DIGIT_RE.findall(t)) / n,
        upper / max(1, len(letters)),
        len(_PUNCT_RE.findall(t)) / n,
        len(letters) / n,
        len(_SENT_END_RE.findall(t)) / w,
        1.0 if _ENDS_SENT_RE.search(t) else 0.0,
        1.0 if t[:1].isupper() else 0.0,
        1.0 if "©" in t else 0.0,
        float(min(10, t.count("|"))),
        1.0 if t.endswith(":") else 0.0,
        b.link_words / w,
    ]


def _tokens(descriptor: str) -> list[str]:
    tag = descriptor_tag(descriptor)
    rest = descriptor[len(tag):]
    return [tok.lower() for tok in _TOKEN_SPLIT_RE.split(rest) if tok and len(tok) > 1]


def _bucket(token: str, size: int) -> int:
    return zlib.crc32(token.encode("utf-8")) % size


_CONTEXT_ROWS: dict[str, np.ndarray] = {}
_N_CUES = len(ANCESTOR_TAGS) + HASH_NEAR + HASH_ALL


def _context_row(context: str) -> np.ndarray:
    """Ancestor-tag presence and hashed class/id/role tokens of one `Block.context`; memoised, since
    the blocks of a list, a menu or a site share their contexts."""
    row = _CONTEXT_ROWS.get(context)
    if row is not None:
        return row
    row = np.zeros(_N_CUES, dtype=np.float32)
    descriptors = context.split(" ") if context else []
    near0 = len(ANCESTOR_TAGS)
    all0 = near0 + HASH_NEAR
    for k, d in enumerate(reversed(descriptors)):
        tag = descriptor_tag(d)
        a = _ANC_INDEX.get(tag)
        if a is not None:
            row[a] = 1.0
        for tok in _tokens(d):
            if k < 3:
                row[near0 + _bucket(tok, HASH_NEAR)] = 1.0
            row[all0 + _bucket(tok, HASH_ALL)] = 1.0
    if len(_CONTEXT_ROWS) > 200_000:
        _CONTEXT_ROWS.clear()
    _CONTEXT_ROWS[context] = row
    return row


def _parent(xpath: str) -> str:
    return xpath.rsplit("/", 1)[0]


def page_features(blocks: Sequence[Block], text_only: bool = False) -> np.ndarray:
    """Feature matrix of one page: one row per block, columns `FEATURE_NAMES` (or `LINE_FEATURES`)."""
    n = len(blocks)
    names = LINE_FEATURES if text_only else FEATURE_NAMES
    if n == 0:
        return np.zeros((0, len(names)), dtype=np.float32)
    text = np.array([_text_stats(b) for b in blocks], dtype=np.float32)
    words = np.array([b.words for b in blocks], dtype=np.float64)
    links = np.array([b.link_words for b in blocks], dtype=np.float64)
    total = max(1.0, words.sum())
    longest = int(words.argmax())
    before = np.concatenate([[0.0], np.cumsum(words)[:-1]])
    pos = np.stack(
        [np.arange(n) / max(1, n - 1), before / total, np.abs(np.arange(n) - longest) / max(1, n)], axis=1
    )
    page = np.tile(
        [math.log1p(n), math.log1p(total), links.sum() / total], (n, 1)
    )
    page = np.concatenate([page, (words / max(1.0, words.max()))[:, None]], axis=1)

    tags = [b.tag for b in blocks]
    parents = [_parent(b.xpath) for b in blocks]
    ends = text[:, _TEXT_NAMES.index("ends_sentence")]
    lw = text[:, 0]
    ld = text[:, _TEXT_NAMES.index("link_density")]
    neigh_cols = []
    for o in _NEIGHBOUR_OFFSETS:
        idx = np.arange(n) + o
        valid = (idx >= 0) & (idx < n)
        j = np.clip(idx, 0, n - 1)
        cols = [
            np.where(valid, lw[j], -1.0),
            np.where(valid, ld[j], -1.0),
            np.array([1.0 if v and tags[k] in _HEADINGS else 0.0 for v, k in zip(valid, j)]),
            np.array([1.0 if v and tags[k] == "p" else 0.0 for v, k in zip(valid, j)]),
            np.array([1.0 if v and tags[k] in _LISTS else 0.0 for v, k in zip(valid, j)]),
            np.where(valid, ends[j], -1.0),
        ]
        if not text_only:
            cols.append(np.array([1.0 if v and parents[k] == parents[i] else 0.0 for i, (v, k) in enumerate(zip(valid, j))]))
        neigh_cols.extend(cols)
    neigh = np.stack(neigh_cols, axis=1)
    base = [text, pos, page, neigh]
    if text_only:
        return np.concatenate(base, axis=1).astype(np.float32)

    # Containers: words and link words under each parent / grandparent path.
    cont_words: dict[str, float] = {}
    cont_links: dict[str, float] = {}
    cont_blocks: dict[str, int] = {}
    grand = [_parent(p) for p in parents]
    for p, g, w, lk in zip(parents, grand, words, links):
        for key in (p, g):
            cont_words[key] = cont_words.get(key, 0.0) + w
            cont_links[key] = cont_links.get(key, 0.0) + lk
        cont_blocks[p] = cont_blocks.get(p, 0) + 1
    # The densest text container: the deepest element holding half of the page's non-link words.
    prefix_words: dict[str, float] = {}
    for b, w, lk in zip(blocks, words, links):
        plain = w - lk
        if plain <= 0:
            continue
        path = b.xpath
        while path:
            prefix_words[path] = prefix_words.get(path, 0.0) + plain
            path = _parent(path)
    plain_total = max(1.0, (words - links).clip(min=0).sum())
    main = max((p for p, w in prefix_words.items() if w >= 0.5 * plain_total), key=lambda p: p.count("/"), default="/html")
    main_depth = main.count("/")
    max_depth = max(b.depth for b in blocks) or 1
    dom = np.array(
        [
            [
                b.depth,
                b.depth / max_depth,
                1.0 if "!hidden" in b.context else 0.0,
                math.log1p(cont_words[p]),
                cont_links[p] / max(1.0, cont_words[p]),
                w / max(1.0, cont_words[p]),
                math.log1p(cont_blocks[p]),
                math.log1p(cont_words[g]),
                cont_links[g] / max(1.0, cont_words[g]),
                w / max(1.0, cont_words[g]),
                1.0 if (b.xpath + "/").startswith(main + "/") else 0.0,
                b.xpath.count("/") - main_depth,
            ]
            for b, p, g, w in zip(blocks, parents, grand, words)
        ],
        dtype=np.float32,
    )
    tag_oh = np.zeros((n, len(TAGS) + 1), dtype=np.float32)
    tag_oh[np.arange(n), [_TAG_INDEX.get(b.tag, len(TAGS)) for b in blocks]] = 1.0
    dom_cues = np.stack([_context_row(b.context) for b in blocks])
    return np.concatenate([*base, dom, tag_oh, dom_cues], axis=1).astype(np.float32)
