# cython: language_level=3, boundscheck=False, cdivision=True
"""The extractor's compiled twins: the feature counting loops and the forest; optional at install (setup.py).

The loops count, for crawl-scale throughput; every formula over their counts is `features`' own,
the same numpy code whichever twin counted (`boilerbench.extractor.compiled` switches them):

* `block_columns` — `features._columns`: a page's raw per-block counts (code points with each bit
  of `features`' character-class table, text repeats, sentence ends) and page-local ids, one pass
  over its blocks;
* `context_cues` — `features._context_cues`: the ancestor-tag columns and the token hashes of the
  nearest ancestors of each of a page's contexts, memoised per context as the Python twin does;
* `prefix_sums`, `inside` — `features._prefix_sums`, `features._inside`: the non-link words under
  each element of the page, and which blocks are under one; `value_runs` — `features._value_runs`:
  the runs of equal values (of a block's context, of a predicate over blocks);
* `Forest` — a fitted `HistGradientBoostingClassifier`'s trees as one packed node array, summed per
  row in one C loop: the same raw scores as scikit-learn's, without its per-tree call and thread
  start.

What a loop must know of a rule (the character-class table, the tag indexes, the token
characters, how many ancestors' tokens count) it receives from `features`: when it binds
(`features.loop_rules()`) or as an argument. `tests/test_compiled.py` checks each against its
Python twin.
"""

cimport cython
from cpython.unicode cimport PyUnicode_DATA, PyUnicode_KIND, PyUnicode_READ, PyUnicode_READ_CHAR, PyUnicode_Tailmatch
from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memcpy

import numpy as np

cimport numpy as cnp

cnp.import_array()

# What the loops read of `features.loop_rules()`, bound on first use (`bind`): `features` imports
# this module (through `compiled`), so it cannot import `features` while that loads.
cdef bint _bound = False
cdef object _Columns, _CLASS_TABLE, _TAG_INDEX, _ANCESTOR_INDEX
cdef object _descriptor_cues
cdef dict _DESCRIPTOR_CUES, _CONTEXT_CUES
cdef Py_ssize_t _memo_limit = 0
cdef const cnp.uint16_t* _classes = NULL  # `_CLASS_TABLE`'s entries
cdef Py_ssize_t _bmp = 0  # the table's last entry: every code point from there on
cdef str _CLOSERS, _SENT_END_CHARS
cdef Py_ssize_t _OTHER_TAG, _N_ANCESTORS, _MIN_TOKEN
cdef unsigned char _token_chars[128]
cdef unsigned char _SPLITS, _BEFORE_HUMP, _AFTER_HUMP, _ENDS_TAG


def bind():
    """Bind (again) to `features.loop_rules()`, and empty the cue memos made under the rules before:
    what the first call of a loop does."""
    global _bound
    _bound = False
    _bind()


cdef int _bind() except -1:
    global _bound, _Columns, _CLASS_TABLE, _TAG_INDEX, _ANCESTOR_INDEX, _descriptor_cues, _DESCRIPTOR_CUES, _CONTEXT_CUES
    global _memo_limit, _classes, _bmp, _CLOSERS, _SENT_END_CHARS, _OTHER_TAG, _N_ANCESTORS, _MIN_TOKEN
    global _SPLITS, _BEFORE_HUMP, _AFTER_HUMP, _ENDS_TAG
    from . import features
    rules = features.loop_rules()
    n_ancestors = max(rules.ancestor_index.values(), default=-1) + 1
    if n_ancestors > 64:
        raise RuntimeError(f"features has {n_ancestors} ancestor tags, more than the compiled context cues' 64 bits: "
                           "widen `_Chain.above` in _loops.pyx")
    token_chars = bytes(rules.token_chars)
    if len(token_chars) != 128:
        raise RuntimeError(f"features' token characters are {len(token_chars)} entries, not one per ASCII character")
    _CLASS_TABLE = np.ascontiguousarray(rules.class_table, dtype=np.uint16)
    _classes, _bmp = <const cnp.uint16_t*>cnp.PyArray_DATA(_CLASS_TABLE), len(_CLASS_TABLE) - 1
    _Columns, _CLOSERS, _SENT_END_CHARS = rules.columns, rules.closers, rules.sentence_end_chars
    _TAG_INDEX, _OTHER_TAG = rules.tag_index, rules.other_tag
    _ANCESTOR_INDEX, _N_ANCESTORS = rules.ancestor_index, n_ancestors
    memcpy(_token_chars, <const char*>token_chars, 128)
    _SPLITS, _BEFORE_HUMP, _AFTER_HUMP, _ENDS_TAG = rules.token_flags
    _MIN_TOKEN = rules.min_token_chars
    _descriptor_cues, _memo_limit = rules.descriptor_cues, rules.memo_limit
    _DESCRIPTOR_CUES, _CONTEXT_CUES = rules.descriptor_cues_memo, rules.context_cues_memo
    _DESCRIPTOR_CUES.clear()
    _CONTEXT_CUES.clear()
    _bound = True
    return 0


cdef inline Py_ssize_t _parent_end(str xpath):
    """The length of `features._parent(xpath)`: where its last "/" is (0 for none)."""
    cdef Py_ssize_t i = len(xpath) - 1
    while i >= 0 and PyUnicode_READ_CHAR(xpath, i) != 47:  # "/"
        i -= 1
    return max(i, 0)


cdef inline str _parent(str xpath):
    """`xpath.rpartition("/")[0]`."""
    return xpath[:_parent_end(xpath)]


cdef unsigned long long _SPREAD[256]  # the bits of a byte, one per byte lane


cdef void _spread_init() noexcept:
    cdef unsigned int f, k
    for f in range(256):
        _SPREAD[f] = 0
        for k in range(8):
            _SPREAD[f] |= (<unsigned long long>((f >> k) & 1)) << (8 * k)


_spread_init()


cdef inline void _flush(unsigned long long lanes, unsigned long* per) noexcept:
    """Add the 8 byte lanes' counts to `per`."""
    cdef int k
    for k in range(8):
        per[k] += (lanes >> (8 * k)) & 0xFF


@cython.wraparound(False)
def block_columns(list blocks):
    """`features._columns` of a page: one pass over its blocks and their code points."""
    cdef Py_ssize_t i, j, n = len(blocks), k, length
    cdef str text, xpath, context, tag
    cdef Py_UCS4 ch

    cdef unsigned long per[16]
    cdef unsigned long long low, high
    cdef cnp.uint16_t f
    cdef Py_ssize_t pending
    if not _bound:
        _bind()
    texts, xpaths, contexts = [None] * n, [None] * n, [None] * n
    lengths, tag_ids, parent, grand, context_ids = (np.empty(n, dtype=np.int64) for _ in range(5))
    words, links, depth, ends, text_count, slashes = (np.empty(n) for _ in range(6))
    char_counts = np.empty((n, 16))
    first_flags, last_flags = np.zeros(n, dtype=np.uint16), np.zeros(n, dtype=np.uint16)
    cdef cnp.int64_t[::1] v_len = lengths, v_tag = tag_ids, v_par = parent, v_gra = grand, v_ctx = context_ids
    cdef double[::1] v_words = words, v_links = links, v_depth = depth, v_ends = ends, v_count = text_count
    cdef double[::1] v_sl = slashes
    cdef double[:, ::1] v_chars = char_counts
    cdef cnp.uint16_t[::1] v_first = first_flags, v_last = last_flags
    cdef dict seen = {}, parents = {}, grands = {}, context_codes = {}
    cdef object last_xpath = None, last_context = None, last_parent = None
    for i in range(n):
        b = blocks[i]
        text, xpath, context, tag = b.text, b.xpath, b.context, b.tag
        texts[i], xpaths[i], contexts[i] = text, xpath, context
        length = len(text)
        v_len[i] = length
        v_words[i] = b.words
        v_links[i] = b.link_words
        v_depth[i] = b.depth
        for k in range(16):
            per[k] = 0
        low, high, pending = 0, 0, 0
        for ch in text:  # each bit of the table's entries, counted in byte lanes (8 bits a word)
            f = _classes[ch if ch < _bmp else _bmp]
            low += _SPREAD[f & 0xFF]
            high += _SPREAD[f >> 8]
            pending += 1
            if pending == 255:
                _flush(low, per)
                _flush(high, per + 8)
                low, high, pending = 0, 0, 0
        _flush(low, per)
        _flush(high, per + 8)
        for k in range(16):
            v_chars[i, k] = <double>per[k]
        if length:
            ch = text[0]
            v_first[i] = _classes[ch if ch < _bmp else _bmp]
            ch = text[length - 1]
            v_last[i] = _classes[ch if ch < _bmp else _bmp]
        j = length - 1
        while j >= 0 and text[j] in _CLOSERS:
            j -= 1
        v_ends[i] = 1.0 if j >= 0 and text[j] in _SENT_END_CHARS else 0.0
        seen[text] = seen.get(text, 0) + 1
        got = _TAG_INDEX.get(tag)
        v_tag[i] = _OTHER_TAG if got is None else <Py_ssize_t>got
        if xpath is last_xpath:  # the walk's blocks under one element share its xpath string
            v_sl[i], v_par[i], v_gra[i] = v_sl[i - 1], v_par[i - 1], v_gra[i - 1]
        else:
            v_sl[i] = xpath.count("/")
            k = _parent_end(xpath)
            if last_parent is not None and k == len(last_parent) and PyUnicode_Tailmatch(xpath, last_parent, 0, k, -1):
                v_par[i], v_gra[i] = v_par[i - 1], v_gra[i - 1]  # a sibling of the previous block
            else:
                p = xpath[:k]
                v_par[i] = parents.setdefault(p, len(parents))
                v_gra[i] = grands.setdefault(_parent(p), len(grands))
                last_parent = p
            last_xpath = xpath
        if context is last_context:
            v_ctx[i] = v_ctx[i - 1]
        else:
            v_ctx[i] = context_codes.setdefault(context, len(context_codes))
            last_context = context
    for i in range(n):
        v_count[i] = <Py_ssize_t>seen[texts[i]]
    return _Columns(texts=texts, xpaths=xpaths, contexts=contexts, lengths=lengths, words=words, links=links,
                    depth=depth, ends=ends, text_count=text_count, char_counts=char_counts, first_flags=first_flags,
                    last_flags=last_flags, tag=tag_ids, slashes=slashes, parent_id=parent, grandparent_id=grand,
                    context_id=context_ids, distinct_contexts=list(context_codes))


cdef unsigned int _CRC_TABLE[256]


cdef void _crc_init() noexcept:
    """zlib's CRC-32 table (the reflected polynomial), as `zlib.crc32` computes it."""
    cdef unsigned int c, _bit, n
    for n in range(256):
        c = n
        for _bit in range(8):
            c = (0xEDB88320 ^ (c >> 1)) if (c & 1) else (c >> 1)
        _CRC_TABLE[n] = c


_crc_init()


cdef tuple _ascii_cues(str descriptor):
    """`features._descriptor_cues` of an ASCII descriptor, by `features`' token characters: the tag
    is the part before the first character that ends it; the rest splits on separators (digits
    among them) and between the two sides of a hump; tokens of `min_token_chars` or more, lower-cased
    (`str.lower` on ASCII), hashed with zlib's CRC-32."""
    cdef const unsigned char* s = <const unsigned char*>PyUnicode_DATA(descriptor)
    cdef Py_ssize_t n = len(descriptor), i = 0, start, j
    cdef unsigned char c, before = 0, b
    cdef unsigned int crc
    cdef bint split
    while i < n and not (_token_chars[s[i]] & _ENDS_TAG):
        i += 1
    column = _ANCESTOR_INDEX.get(descriptor[:i])
    hashes = []
    start = -1
    while i <= n:
        c = _token_chars[s[i]] if i < n else _SPLITS
        split = (c & _SPLITS) != 0
        if split or ((before & _BEFORE_HUMP) and (c & _AFTER_HUMP)):
            if start >= 0 and i - start >= _MIN_TOKEN:
                crc = 0xFFFFFFFF
                for j in range(start, i):
                    b = s[j]
                    if 65 <= b <= 90:  # A-Z
                        b += 32
                    crc = _CRC_TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
                hashes.append(crc ^ 0xFFFFFFFF)
            start = -1 if split else i
        elif start < 0:
            start = i
        before = c
        i += 1
    return (() if column is None else (column,), tuple(hashes))


cdef inline object _remembered(dict memo, object key, object value):
    """`value`, put in `memo` as `segment.remember` puts it (emptied first past `memo_limit`)."""
    if len(memo) > _memo_limit:
        memo.clear()
    memo[key] = value
    return value


cdef tuple _cues_of(str d):
    """`features._descriptor_cues`, with `_ascii_cues` for the ASCII descriptors."""
    cues = _DESCRIPTOR_CUES.get(d)
    if cues is None:
        cues = _remembered(_DESCRIPTOR_CUES, d, _ascii_cues(d)) if d.isascii() else _descriptor_cues(d)
    return <tuple>cues


cdef class _Chain:
    """The descriptors of the last context `_cues_of_context` split, one level each: where each ends
    in the string, its cues, and the ancestor-tag columns of it and all above it as bits. The next
    context reuses the levels it shares with this one (a page's contexts share long prefixes)."""

    cdef str context
    cdef list ends, cues, above

    def __cinit__(self):
        self.context, self.ends, self.cues, self.above = "", [], [], []


cdef tuple _cues_of_context(str context, _Chain chain, Py_ssize_t near):
    """`features._context_cues_of(context, near)`: the levels `chain` shares with `context` are taken
    from it, the rest split and looked up."""
    cdef Py_ssize_t n = len(context), shared = 0, m = 0, levels, k, start
    cdef unsigned long long bits
    cdef tuple cues
    cdef int col
    if not context:
        return ((), ())
    shared = _common_prefix(context, chain.context)
    ends, levels = chain.ends, len(chain.ends)
    while m < levels and <Py_ssize_t>ends[m] <= shared and (<Py_ssize_t>ends[m] == n or context[<Py_ssize_t>ends[m]] == u" "):
        m += 1
    del chain.ends[m:], chain.cues[m:], chain.above[m:]
    start = <Py_ssize_t>ends[m - 1] + 1 if m else 0
    bits = <unsigned long long>chain.above[m - 1] if m else 0
    for d in (context[start:].split(" ") if start <= n else ()):
        cues = _cues_of(d)
        for col in cues[0]:
            bits |= 1ULL << col
        start += len(d)
        chain.ends.append(start)
        chain.cues.append(cues)
        chain.above.append(bits)
        start += 1
    chain.context = context
    ancestors = [col for col in range(_N_ANCESTORS) if bits >> col & 1]
    hashes = []
    levels = len(chain.cues)
    for k in range(levels - 1, max(levels - 1 - near, -1), -1):
        hashes += (<tuple>chain.cues[k])[1]
    return (tuple(ancestors), tuple(hashes))


# A growing list of (block, value) pairs.
cdef struct _Pairs:
    cnp.intp_t* rows
    cnp.int64_t* values
    Py_ssize_t size, cap


cdef int _add(_Pairs* p, Py_ssize_t row, tuple values) except -1:
    cdef Py_ssize_t k, m = len(values), cap
    if p.size + m > p.cap:
        cap = max(2 * p.cap, p.size + m, 256)
        p.rows = <cnp.intp_t*>_resized(p.rows, cap * sizeof(cnp.intp_t))
        p.values = <cnp.int64_t*>_resized(p.values, cap * sizeof(cnp.int64_t))
        p.cap = cap
    for k in range(m):
        p.rows[p.size] = row
        p.values[p.size] = <cnp.int64_t>values[k]
        p.size += 1
    return 0


cdef void* _resized(void* p, size_t n) except NULL:
    """`realloc`, raising MemoryError on failure (`p` is then left as it was, for its owner to free)."""
    cdef void* q = realloc(p, n)
    if q is NULL:
        raise MemoryError()
    return q


cdef tuple _arrays(_Pairs* p, object dtype):
    """The pairs as numpy arrays: the blocks (intp), the values (`dtype`)."""
    rows = np.empty(p.size, dtype=np.intp)
    values = np.empty(p.size, dtype=np.int64)
    if p.size:
        memcpy(cnp.PyArray_DATA(rows), p.rows, p.size * sizeof(cnp.intp_t))
        memcpy(cnp.PyArray_DATA(values), p.values, p.size * sizeof(cnp.int64_t))
    return rows, values.astype(dtype)


@cython.wraparound(False)
def context_cues(list contexts, Py_ssize_t near):
    """`features._context_cues(contexts, near)`: the same pairs and the same memo, the loops in C."""
    cdef Py_ssize_t i, n = len(contexts)
    cdef _Chain chain = _Chain()
    cdef _Pairs ancestors, tokens
    cdef tuple cues
    if not _bound:
        _bind()
    ancestors.rows = tokens.rows = NULL
    ancestors.values = tokens.values = NULL
    ancestors.size = ancestors.cap = tokens.size = tokens.cap = 0
    memo = _CONTEXT_CUES
    try:
        for i in range(n):
            context = contexts[i]
            cues = memo.get(context)
            if cues is None:
                cues = _remembered(memo, context, _cues_of_context(context, chain, near))
            _add(&ancestors, i, <tuple>cues[0])
            _add(&tokens, i, <tuple>cues[1])
        return (*_arrays(&ancestors, np.intp), *_arrays(&tokens, np.uint32))
    finally:
        free(ancestors.rows)
        free(ancestors.values)
        free(tokens.rows)
        free(tokens.values)


@cython.wraparound(False)
def value_runs(const cnp.int64_t[::1] values):
    """`features._value_runs`: for each position, the length of the run of equal consecutive values
    it belongs to."""
    cdef Py_ssize_t n = values.shape[0], start = 0, i, k
    out = np.empty(n)
    cdef double[::1] o = out
    for i in range(1, n + 1):
        if i == n or values[i] != values[start]:
            for k in range(start, i):
                o[k] = <double>(i - start)
            start = i
    return out


@cython.wraparound(False)
def inside(list xpaths, str container):
    """1.0 for each xpath at or under `container`, else 0.0: `features._inside`."""
    cdef Py_ssize_t i, n = len(xpaths), m = len(container)
    cdef str x
    out = np.zeros(n)
    cdef double[::1] o = out
    for i in range(n):
        x = xpaths[i]
        if PyUnicode_Tailmatch(x, container, 0, m, -1) and (len(x) == m or x[m] == u"/"):
            o[i] = 1.0
    return out


cdef Py_ssize_t _common_prefix(str a, str b):
    """How many leading code points `a` and `b` share (byte by byte when both are stored alike)."""
    cdef Py_ssize_t i = 0, n = min(len(a), len(b))
    cdef int ka = PyUnicode_KIND(a), kb = PyUnicode_KIND(b)
    cdef void* da = PyUnicode_DATA(a)
    cdef void* db = PyUnicode_DATA(b)
    if ka == kb:
        while i < n * ka and (<const unsigned char*>da)[i] == (<const unsigned char*>db)[i]:
            i += 1
        return i // ka
    while i < n and PyUnicode_READ(ka, da, i) == PyUnicode_READ(kb, db, i):
        i += 1
    return i


@cython.wraparound(False)
def prefix_sums(list xpaths, const double[::1] plain):
    """`features._prefix_sums`: the same sums in the same order, the loops in C. Each prefix is
    numbered when first met; a prefix a block shares with the previous block keeps the previous
    block's number without a lookup: neighbours in a page share most of their path."""
    cdef Py_ssize_t i, end, n = len(xpaths), common, k, prev_len = 0, length, cap = 1
    cdef double w
    cdef str path, prev = ""
    cdef dict number = {}
    cdef list prefixes = []  # in order of first meeting, as the Python dict has them
    for i in range(n):
        cap = max(cap, len(<str>xpaths[i]) + 1)
    sums = np.zeros(64)
    cdef double[::1] acc = sums
    # ids[end]: the number of the previous path's prefix of `end` characters (-1: not a prefix)
    cdef Py_ssize_t* buf = <Py_ssize_t*>malloc(2 * cap * sizeof(Py_ssize_t))
    if buf is NULL:
        raise MemoryError()
    cdef Py_ssize_t* ids = buf
    cdef Py_ssize_t* made = buf + cap
    try:
        for i in range(n):
            w = plain[i]
            if w <= 0:
                continue
            path = xpaths[i]
            length = len(path)
            common = _common_prefix(path, prev)
            for k in range(length + 1):
                made[k] = -1
            end = length
            while end > 0:
                if end <= common and end <= prev_len and ids[end] >= 0:
                    k = ids[end]
                else:
                    key = path[:end]
                    got = number.get(key)
                    if got is None:
                        k = len(prefixes)
                        number[key] = k
                        prefixes.append(key)
                        if k == acc.shape[0]:
                            sums = np.concatenate([sums, np.zeros(k)])
                            acc = sums
                    else:
                        k = <Py_ssize_t>got
                made[end] = k
                acc[k] += w
                end -= 1
                while end > 0 and PyUnicode_READ_CHAR(path, end) != 47:  # back to the previous "/"
                    end -= 1
            ids, made = made, ids
            prev, prev_len = path, length
    finally:
        free(buf)
    return prefixes, sums[: len(prefixes)].copy()


ctypedef struct _Node:
    double threshold  # a leaf's value, for leaves
    int feature  # -1 for leaves
    int missing_left
    int left
    int right


cdef class Forest:
    """A fitted binary `HistGradientBoostingClassifier` as one packed node array (numeric splits
    only). It reads private attributes of the model: a scikit-learn release outside
    `boilerbench.extractor.compiled.SKLEARN_TESTED` is refused with a RuntimeError that names the range."""

    cdef object packed  # the numpy array that owns the nodes
    cdef object roots
    cdef double baseline
    cdef readonly int n_features

    def __init__(self, model):
        from . import compiled
        compiled.check_sklearn()  # before reading scikit-learn's private attributes
        if getattr(model, "n_trees_per_iteration_", 1) != 1 or getattr(model, "is_categorical_", None) is not None:
            raise ValueError("only binary models with numeric features are compiled")
        nodes = [p[0].nodes for p in model._predictors]
        sizes = [len(n) for n in nodes]
        offsets = np.cumsum([0] + sizes)
        flat = np.concatenate(nodes)
        shift = np.repeat(offsets[:-1], sizes)
        leaf = flat["is_leaf"].astype(bool)
        layout = [("threshold", "f8"), ("feature", "i4"), ("missing_left", "i4"), ("left", "i4"), ("right", "i4")]
        packed = np.zeros(len(flat), dtype=layout)
        packed["threshold"] = np.where(leaf, flat["value"], flat["num_threshold"])
        packed["feature"] = np.where(leaf, -1, flat["feature_idx"])
        packed["missing_left"] = flat["missing_go_to_left"]
        packed["left"] = flat["left"] + shift
        packed["right"] = flat["right"] + shift
        if packed.dtype.itemsize != sizeof(_Node):
            raise ValueError("unexpected node layout")
        self.packed = packed
        self.roots = offsets[:-1].astype(np.intp)
        self.baseline = float(np.asarray(model._baseline_prediction).ravel()[0])
        self.n_features = model.n_features_in_

    @cython.wraparound(False)
    def raw(self, X):
        """Raw scores (log-odds) of the rows of `X`: the baseline plus each tree's leaf, added in
        the trees' order (scikit-learn's order, so the same floating-point sums)."""
        if X.dtype != np.float32:  # features are float32; rounding float64 here would change splits
            raise TypeError(f"X must be float32, not {X.dtype}")
        cdef const float[:, ::1] x = np.ascontiguousarray(X)
        cdef Py_ssize_t n = x.shape[0], i, t
        cdef const Py_ssize_t[::1] roots = self.roots
        cdef _Node* nodes = <_Node*>cnp.PyArray_DATA(self.packed)
        cdef _Node* nd
        cdef double v
        if x.shape[1] != self.n_features:
            raise ValueError(f"X has {x.shape[1]} features, the model {self.n_features}")
        out = np.full(n, self.baseline, dtype=np.float64)
        cdef double[::1] o = out
        for t in range(roots.shape[0]):
            for i in range(n):
                nd = &nodes[roots[t]]
                while nd.feature >= 0:
                    v = x[i, nd.feature]
                    if v != v:
                        nd = &nodes[nd.left if nd.missing_left else nd.right]
                    elif v <= nd.threshold:
                        nd = &nodes[nd.left]
                    else:
                        nd = &nodes[nd.right]
                o[i] += nd.threshold
        return out
