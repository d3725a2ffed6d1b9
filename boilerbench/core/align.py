"""The aligner: which blocks of a page does a text cover? Used for gold labels AND extractor outputs.

Method (version `ALIGNER_VERSION`):

1. Page blocks and the text are tokenised by `text.tokenize` (NFKC, case-folded, punctuation
   dropped, CJK per character); block tokens are concatenated in document order.
2. Pass 1: a longest-common-subsequence alignment of the two token streams (monotonic; rapidfuzz's
   bit-parallel LCS). Matched runs shorter than `MIN_RUN` tokens are discarded: a lone "the"
   matched inside a menu is chance, not coverage — unless the run continues kept text in the
   text and, in the page, stands right next to it (moved there when the LCS gave the word to an
   earlier copy) or at most `MAX_GAP` tokens away (a one-word heading, an anchor, its paragraph).
   Runs may span block boundaries.
3. Pass 2: text tokens left unmatched (in runs of at least `MIN_RUN_PASS2`) are aligned again against
   the still-unmatched block tokens. This recovers text whose order differs from the DOM order
   (a sidebar rendered before the article, tabs, reordered product specs).
4. A block is *covered* when at least `COVER_THRESHOLD` of its tokens are matched. Duplicated
   text goes to the copy among covered blocks: a covered block with no covered neighbour hands its
   match to an identical uncovered block that has one (the title matched in the logo alt → the h1).

Streams whose LCS table would exceed `MAX_CELLS` are aligned in anchored pieces (unique shared
8-grams in order, LCS between consecutive anchors) to keep memory and time bounded.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz.distance import LCSseq

from .text import tokenize
from .types import Block

ALIGNER_VERSION = "3"
COVER_THRESHOLD = 0.5
MIN_RUN = 2
MIN_RUN_PASS2 = 4
MAX_GAP = 2
MAX_CELLS = 400_000_000
_ANCHOR_N = 8


@dataclass(frozen=True)
class Alignment:
    """Per block: matched tokens and block tokens; `covered` applies `COVER_THRESHOLD`."""

    matched: tuple[int, ...]
    sizes: tuple[int, ...]

    @property
    def coverage(self) -> list[float]:
        return [m / s if s else 0.0 for m, s in zip(self.matched, self.sizes)]

    @property
    def covered(self) -> list[bool]:
        return [s > 0 and m >= COVER_THRESHOLD * s for m, s in zip(self.matched, self.sizes)]


class TokenizedPage:
    """Block tokens of one page, interned to ints once and reused for every text aligned to it."""

    def __init__(self, blocks: Sequence[Block]):
        self.vocab: dict[str, int] = {}
        ids: list[int] = []
        owner: list[int] = []
        sizes: list[int] = []
        starts: list[int] = []
        for i, b in enumerate(blocks):
            toks = tokenize(b.text)
            starts.append(len(ids))
            sizes.append(len(toks))
            ids.extend(self._intern(t) for t in toks)
            owner.extend([i] * len(toks))
        self.ids = ids
        self.owner = owner
        self.sizes = tuple(sizes)
        self.starts = tuple(starts)

    def _intern(self, tok: str) -> int:
        v = self.vocab.get(tok)
        if v is None:
            v = self.vocab[tok] = len(self.vocab)
        return v

    def encode(self, text: str) -> list[int]:
        """Text → token ids; tokens absent from the page get -1, which no block token has."""
        vocab = self.vocab
        return [vocab.get(t, -1) for t in tokenize(text)]


def _lcs_runs(a: Sequence[int], b: Sequence[int]) -> list[tuple[int, int, int]]:
    """Matched runs (i in a, j in b, length) of a longest common subsequence."""
    if not a or not b:
        return []
    if len(a) * len(b) > MAX_CELLS:
        return _anchored_runs(a, b)
    return [(m.a, m.b, m.size) for m in LCSseq.opcodes(a, b).as_matching_blocks() if m.size]


def _anchored_runs(a: Sequence[int], b: Sequence[int]) -> list[tuple[int, int, int]]:
    """LCS for huge streams: anchor on n-grams unique to both, LCS only between anchors."""

    def unique_grams(s: Sequence[int]) -> dict[tuple[int, ...], int]:
        seen: dict[tuple[int, ...], int] = {}
        dup: set[tuple[int, ...]] = set()
        for i in range(len(s) - _ANCHOR_N + 1):
            g = tuple(s[i : i + _ANCHOR_N])
            if g in seen:
                dup.add(g)
            else:
                seen[g] = i
        for g in dup:
            del seen[g]
        return seen

    ga, gb = unique_grams(a), unique_grams(b)
    pairs = sorted((ga[g], gb[g]) for g in ga.keys() & gb.keys())
    # Longest increasing subsequence of b-positions keeps the anchors monotonic.
    tails: list[int] = []
    tails_idx: list[int] = []
    prev = [-1] * len(pairs)
    for k, (_, j) in enumerate(pairs):
        pos = bisect.bisect_left(tails, j)
        if pos == len(tails):
            tails.append(j)
            tails_idx.append(k)
        else:
            tails[pos] = j
            tails_idx[pos] = k
        prev[k] = tails_idx[pos - 1] if pos else -1
    chain: list[tuple[int, int]] = []
    k = tails_idx[-1] if tails_idx else -1
    while k >= 0:
        chain.append(pairs[k])
        k = prev[k]
    chain.reverse()
    runs: list[tuple[int, int, int]] = []
    ia = ib = 0
    for i, j in chain:
        if i < ia or j < ib:
            continue  # overlaps the previous anchor
        sa, sb = a[ia:i], b[ib:j]
        if sa and sb and len(sa) * len(sb) <= MAX_CELLS:
            runs.extend((x + ia, y + ib, n) for x, y, n in _lcs_runs(sa, sb))
        runs.append((i, j, _ANCHOR_N))
        ia, ib = i + _ANCHOR_N, j + _ANCHOR_N
    sa, sb = a[ia:], b[ib:]
    if sa and sb and len(sa) * len(sb) <= MAX_CELLS:
        runs.extend((x + ia, y + ib, n) for x, y, n in _lcs_runs(sa, sb))
    return runs


def align_tokens(page: TokenizedPage, text_ids: Sequence[int]) -> Alignment:
    """Align already-encoded text to a page's blocks (the passes of the module docstring)."""
    return _alignment(page, _match(page, text_ids)[0])[0]


def align_pieces(page: TokenizedPage, pieces: Sequence[str]) -> tuple[Alignment, list[Counter[int]]]:
    """Align the pieces of one text (a structured output's elements, in order) as one text, and say
    for each piece how many of its tokens matched each block: which blocks an element landed on."""
    ids: list[int] = []
    piece_of: list[int] = []
    for k, piece in enumerate(pieces):
        encoded = page.encode(piece)
        ids.extend(encoded)
        piece_of.extend([k] * len(encoded))
    matched_doc, txt2doc = _match(page, ids)
    alignment, moved = _alignment(page, matched_doc)
    per_piece: list[Counter[int]] = [Counter() for _ in pieces]
    for j, i in enumerate(txt2doc):
        if i >= 0:
            b = page.owner[i]
            per_piece[piece_of[j]][moved.get(b, b)] += 1
    return alignment, per_piece


def _alignment(page: TokenizedPage, matched_doc: bytearray) -> tuple[Alignment, dict[int, int]]:
    """Matched tokens per block, after duplicated text went to its copy among content; and those
    moves (block → the copy that took its match)."""
    counts = Counter(page.owner[i] for i, m in enumerate(matched_doc) if m)
    matched = [counts.get(i, 0) for i in range(len(page.sizes))]
    moved = _prefer_copies_among_content(page, matched)
    return Alignment(tuple(matched), page.sizes), moved


def _match(page: TokenizedPage, text_ids: Sequence[int]) -> tuple[bytearray, list[int]]:
    """The passes: which page tokens are matched, and for each text token the page token it matched
    (-1: none)."""
    doc = page.ids
    matched_doc = bytearray(len(doc))
    matched_txt = bytearray(len(text_ids))
    short: list[tuple[int, int, int]] = []
    txt2doc = [-1] * len(text_ids)
    for i, j, n in _lcs_runs(doc, text_ids):
        if n >= MIN_RUN:
            matched_doc[i : i + n] = b"\x01" * n
            matched_txt[j : j + n] = b"\x01" * n
            txt2doc[j : j + n] = range(i, i + n)
        else:
            short.append((i, j, n))
    for i, j, n in short:
        at = _place_short_run(doc, text_ids, matched_doc, txt2doc, i, j, n)
        if at is not None:
            matched_doc[at : at + n] = b"\x01" * n
            matched_txt[j : j + n] = b"\x01" * n
            txt2doc[j : j + n] = range(at, at + n)
    # Pass 2: leftover text runs against leftover block tokens.
    rest_txt: list[int] = []
    run: list[int] = []
    for j, m in enumerate(matched_txt):
        if not m:
            run.append(j)
        elif run:
            if len(run) >= MIN_RUN_PASS2:
                rest_txt.extend(run)
            run = []
    if len(run) >= MIN_RUN_PASS2:
        rest_txt.extend(run)
    if rest_txt:
        rest_doc = [i for i, m in enumerate(matched_doc) if not m]
        a = [doc[i] for i in rest_doc]
        b = [text_ids[j] for j in rest_txt]
        for i, j, n in _lcs_runs(a, b):
            if n < MIN_RUN_PASS2:
                continue
            for k in range(n):
                matched_doc[rest_doc[i + k]] = 1
                txt2doc[rest_txt[j + k]] = rest_doc[i + k]
    return matched_doc, txt2doc


def _place_short_run(
    doc: Sequence[int], text: Sequence[int], matched_doc: bytearray, txt2doc: list[int], i: int, j: int, n: int
) -> int | None:
    """Where a short matched run (doc i, text j, length n) belongs, or None to drop it.

    It is kept only when it continues kept text in the text: placed right before (after) the doc
    position where that text continues, if the same tokens stand there — the LCS gave the word to
    an earlier copy — or left where it is when only `MAX_GAP` unmatched tokens separate the two in
    the page (a "#" anchor between a one-word heading and its paragraph).
    """
    want = list(text[j : j + n])
    if j + n < len(text) and txt2doc[j + n] >= 0:
        nxt = txt2doc[j + n]
        if nxt - n >= 0 and list(doc[nxt - n : nxt]) == want and not any(matched_doc[nxt - n : nxt]):
            return nxt - n
        if 0 < nxt - (i + n) <= MAX_GAP:
            return i
    if j > 0 and txt2doc[j - 1] >= 0:
        prv = txt2doc[j - 1] + 1
        if list(doc[prv : prv + n]) == want and not any(matched_doc[prv : prv + n]):
            return prv
        if 0 < i - prv <= MAX_GAP:
            return i
    return None


def _prefer_copies_among_content(page: TokenizedPage, matched: list[int]) -> dict[int, int]:
    """Duplicated text (a headline in the logo alt, the breadcrumb and the h1) is matched to its
    first copy by the monotonic pass; move a covered copy that sits alone to an identical uncovered
    copy that sits among covered blocks, where the reader meets it. Returns the moves."""
    moved: dict[int, int] = {}
    sizes = page.sizes
    n = len(sizes)

    def covered(i: int) -> bool:
        return 0 <= i < n and sizes[i] > 0 and matched[i] >= COVER_THRESHOLD * sizes[i]

    def among_content(i: int) -> bool:
        return covered(i - 1) or covered(i + 1)

    alone = [i for i in range(n) if covered(i) and not among_content(i)]
    if not alone:
        return moved
    starts = page.starts
    copies: dict[tuple[int, ...], list[int]] = {}
    for i in range(n):
        if sizes[i]:
            copies.setdefault(tuple(page.ids[starts[i] : starts[i] + sizes[i]]), []).append(i)
    for i in alone:
        same = copies.get(tuple(page.ids[starts[i] : starts[i] + sizes[i]]), [])
        target = next((j for j in same if j != i and not covered(j) and among_content(j)), None)
        if target is not None:
            matched[target], matched[i] = sizes[target], 0
            moved[i] = target
    return moved


def align(blocks: Sequence[Block] | TokenizedPage, text: str) -> Alignment:
    """Which blocks does `text` cover? Blocks may be pre-tokenised to align many texts cheaply."""
    page = blocks if isinstance(blocks, TokenizedPage) else TokenizedPage(blocks)
    return align_tokens(page, page.encode(text))


def project(blocks: Sequence[Block] | TokenizedPage, text: str) -> list[bool]:
    """An extractor's output → kept/dropped per block."""
    return align(blocks, text).covered


def find_snippet(page: TokenizedPage, snippet: str) -> list[list[int]]:
    """Every occurrence of a snippet's token sequence in the page, as the block indices it spans."""
    ids = page.encode(snippet)
    if not ids or min(ids) < 0:
        return []
    doc, n = page.ids, len(ids)
    first = ids[0]
    hits: list[list[int]] = []
    start = 0
    while True:
        try:
            i = doc.index(first, start)
        except ValueError:
            break
        if doc[i : i + n] == ids:
            hits.append(sorted(set(page.owner[i : i + n])))
        start = i + 1
    return hits
