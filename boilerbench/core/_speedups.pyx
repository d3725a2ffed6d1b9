# cython: language_level=3, boundscheck=False, cdivision=True
"""Compiled twins of the hot loops, for crawl-scale throughput; optional at install (setup.py).

`boilerbench.compiled` is the registry of the entry points below and the one switch between them
and their Python twins, which stay the specification:

* `segment_tree(root)` — `segment.segment_tree` over libxml2's nodes read directly (lxml's public
  C API), instead of one Python event per element. It makes the same blocks: runs of plain text
  (ASCII, and the Latin and punctuation code points of `segment.plain_chars`) are normalised and
  counted here, other runs go through the Python module's own `emit_text`, and descriptors
  through its `describe`, memoised by the element's raw tag and cue attributes. It covers trees
  from lxml's HTML parser with no comment, PI or entity nodes (what `segment.parse_html` makes)
  and returns None for anything else, which the Python walk then handles.
* `block_columns`, `context_cues`, `densest_container`, `inside`, `dense_rows` — `features.columns`,
  the context cues, `.densest_container`, the densest-container test and the loops of the dense
  columns: the same values and memos, the per-block loops in C.
* `Forest` — a fitted `HistGradientBoostingClassifier`'s trees as one packed node array, summed per
  row in one C loop: the same raw scores as scikit-learn's, without its per-tree call and thread
  start.

What this module reads of the Python modules is their documented interfaces, `segment.WALK_RULES`
and `features.FEATURE_RULES`; `bind` checks them against the constants and column names written
here, so a change on one side fails loudly at the first call instead of giving other numbers.
`tests/test_speedups.py` checks each entry point against the Python code it replaces.
"""

cimport cython
from cpython.bytes cimport PyBytes_FromStringAndSize
from cpython.object cimport PyObject, PyObject_GenericSetAttr
from cpython.unicode cimport PyUnicode_DATA, PyUnicode_DecodeASCII, PyUnicode_DecodeUTF8, PyUnicode_KIND, PyUnicode_READ, PyUnicode_READ_CHAR, PyUnicode_Tailmatch
from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memcpy, memset, strcmp, strlen

cimport lxml.includes.etreepublic as cetree
from lxml.includes.tree cimport xmlAttr, xmlNode

import numpy as np

cimport numpy as cnp

cetree.import_lxml__etree()
cnp.import_array()

# The Python rules the compiled loops call, bound on first use (`bind`): `segment` and `features`
# import this module, so it cannot import them while they load. It reads only their documented
# interfaces, `segment.WALK_RULES` and `features.FEATURE_RULES`.
cdef bint _bound = False
cdef object _KINDS, _describe, _kind, emit_text, Block, _Columns
_object_new = object.__new__
cdef object _CONTEXT_HOT, _DESCRIPTOR_CUES, _descriptor_cues, _remember, _ANC_INDEX
cdef object _TAG_INDEX, _HEADINGS, _LISTS
cdef str _CLOSERS, _SENT_END_CHARS
cdef Py_ssize_t _N_TAGS, _N_CUES
cdef int _NEAR0, _HASH_NEAR
cdef Py_UCS4 _PIPE, _COPYRIGHT, _COLON
cdef bytes _PLAIN_TABLE  # `WALK_RULES.plain_chars()`
cdef const unsigned char* _plain = NULL
cdef Py_ssize_t _plain_limit = 0


def bind():
    """Bind (again) to `segment.WALK_RULES` and `features.FEATURE_RULES`, checking that their
    constants and dense column names are the ones this module's loops were written for: what
    the first call of an entry point does. Raises RuntimeError, saying what differs, if not."""
    global _bound
    _bound = False
    _bind()


cdef int _bind() except -1:
    global _bound, _KINDS, _describe, _kind, emit_text, Block, _Columns, _CONTEXT_HOT, _N_CUES
    global _DESCRIPTOR_CUES, _descriptor_cues, _remember, _ANC_INDEX, _NEAR0, _HASH_NEAR
    global _TAG_INDEX, _HEADINGS, _LISTS, _CLOSERS, _SENT_END_CHARS, _N_TAGS, _PLAIN_TABLE, _plain, _plain_limit
    global _PIPE, _COPYRIGHT, _COLON
    from . import segment
    from ..extractor import features
    walk, rules = segment.WALK_RULES, features.FEATURE_RULES
    _expect("segment's tag kinds", tuple(walk.kinds), (K_INLINE, K_LINK, K_BLOCK, K_PRE, K_BREAK, K_DROP))
    _expect("segment's cue attributes", sorted(walk.cue_attributes), sorted(_CUE_ATTRIBUTES))
    _expect("segment's plain-character flags", tuple(walk.plain_flags), (P_PLAIN, P_WORD, P_SPACE))
    _expect("features' character-class bits", tuple(rules.char_flags), (F_LETTER, F_UPPER, F_DIGIT, F_PUNCT, F_SENT_END))
    _expect("features' `Columns` fields", sorted(rules.column_fields), sorted(_COLUMN_FIELDS))
    if rules.near0 > 64:
        raise RuntimeError(f"features has {rules.near0} ancestor tags, more than the compiled context cues' 64 bits: "
                           "widen `_Chain.above` in _speedups.pyx")
    _bind_dense(rules)
    _KINDS, _describe, _kind, emit_text = walk.kind_memo, walk.describe, walk.kind, walk.emit_text
    _CONTEXT_HOT, _N_CUES, _remember = rules.context_hot, rules.n_cues, rules.remember
    _DESCRIPTOR_CUES, _descriptor_cues, _ANC_INDEX = rules.descriptor_cues_memo, rules.descriptor_cues, rules.ancestor_index
    _NEAR0, _HASH_NEAR = rules.near0, rules.hash_near
    _TAG_INDEX, _HEADINGS, _LISTS, _N_TAGS = rules.tag_index, rules.heading_tags, rules.list_tags, rules.n_tags
    _CLOSERS, _SENT_END_CHARS = rules.closers, rules.sentence_end_chars
    _PIPE, _COPYRIGHT, _COLON = rules.pipe, rules.copyright, rules.colon
    _PLAIN_TABLE = walk.plain_chars()
    _plain, _plain_limit = <const unsigned char*>_PLAIN_TABLE, len(_PLAIN_TABLE)
    Block, _Columns = walk.block, rules.columns
    _bound = True
    return 0


cdef int _expect(str what, object theirs, object ours) except -1:
    if theirs != ours:
        raise RuntimeError(f"{what} ({theirs}) are not the compiled loops' ({ours}): update _speedups.pyx and rebuild it")
    return 0


cdef enum:
    _SLOTS = 256  # a power of two
    _TALLY = 8  # distinct child tags an open element numbers as the walk meets them
    _LOOKAHEAD = 32  # siblings `_Walk.later` reads before numbering the whole parent instead


# An open element's element children met so far, by lower-case tag (borrowed references: the
# walk's `kind_values` and `spill` keep each tag string alive).
ctypedef struct _Tally:
    int used  # -1: more than _TALLY tags, `_Walk.number` numbers its children instead
    PyObject* lows[_TALLY]
    int counts[_TALLY]

cdef enum:  # `WALK_RULES.plain_flags`
    P_PLAIN = 1
    P_WORD = 2
    P_SPACE = 4

cdef enum:  # `FEATURE_RULES.char_flags`: the bits of the character-class table
    F_LETTER = 1
    F_UPPER = 2
    F_DIGIT = 4
    F_PUNCT = 8
    F_SENT_END = 16

cdef enum:
    ELEMENT = 1
    TEXT = 3
    CDATA = 4

# `WALK_RULES.kinds`: inline, link, block, pre, break, drop
cdef enum:
    K_INLINE = 0
    K_LINK = 1
    K_BLOCK = 2
    K_PRE = 3
    K_BREAK = 4
    K_DROP = 5


class _Unsupported(Exception):
    """A node the compiled walk does not cover (comment, PI, entity, namespaced name)."""


cdef inline str _utf8(const unsigned char* s):
    return PyUnicode_DecodeUTF8(<const char*>s, strlen(<const char*>s), NULL)


cdef inline bint _is_text(xmlNode* c) noexcept:
    return c is not NULL and (c.type == TEXT or c.type == CDATA)


cdef str _run_text(xmlNode* c):
    """lxml's `.text` / `.tail`: the run of text nodes from `c` on, joined."""
    parts = []
    while _is_text(c):
        if c.content is not NULL:
            parts.append(_utf8(c.content))
        c = c.next
    return "".join(parts)


cdef xmlNode* _first_element(xmlNode* c) except? NULL:
    """The first element at or after `c` among its siblings, skipping text; NULL at the end."""
    while c is not NULL:
        if c.type == ELEMENT:
            if c.ns is not NULL:
                raise _Unsupported()
            return c
        if c.type != TEXT and c.type != CDATA:
            raise _Unsupported()
        c = c.next
    return NULL


cdef tuple _kind_of(xmlNode* c):
    tag = _utf8(c.name)
    return _KINDS.get(tag) or _kind(tag)


_CUE_ATTRIBUTES = ("class", "id", "role", "style", "hidden")  # what `_is_cue` tests


cdef inline bint _is_cue(const char* name) noexcept:
    """One of `WALK_RULES.cue_attributes`, the attributes `describe` reads."""
    return (strcmp(name, "class") == 0 or strcmp(name, "id") == 0 or strcmp(name, "role") == 0
            or strcmp(name, "style") == 0 or strcmp(name, "hidden") == 0)


cdef list _cue_items(xmlNode* c):
    """(name, value) of the element's attributes that `_describe` reads, in order, as lxml's
    `el.items()` gives them on an HTML tree (`_describe` skips the others: the same descriptor)."""
    cdef xmlAttr* a = c.properties
    cdef xmlNode* t
    out = []
    while a is not NULL:
        if a.ns is not NULL:
            raise _Unsupported()
        if _is_cue(<const char*>a.name):
            t = a.children
            if t is NULL:
                value = ""
            elif t.next is NULL and t.type == TEXT:
                value = _utf8(t.content) if t.content is not NULL else ""
            else:
                parts = []
                while t is not NULL:
                    if t.type != TEXT:
                        raise _Unsupported()
                    if t.content is not NULL:
                        parts.append(_utf8(t.content))
                    t = t.next
                value = "".join(parts)
            out.append((_utf8(a.name), value))
        a = a.next
    return out


cdef struct _Buf:
    char* data
    Py_ssize_t size, cap


cdef int _reserve(_Buf* b, Py_ssize_t n) except -1:
    """Room for `n` bytes after the buffer's content."""
    cdef Py_ssize_t cap
    if b.size + n > b.cap:
        cap = max(2 * b.cap, b.size + n, 256)
        b.data, b.cap = <char*>_resized(b.data, cap), cap
    return 0


cdef void* _resized(void* p, size_t n) except NULL:
    """`realloc`, raising MemoryError on failure (`p` is then left as it was, for its owner to free)."""
    cdef void* q = realloc(p, n)
    if q is NULL:
        raise MemoryError()
    return q


cdef int _append(_Buf* b, const char* s, Py_ssize_t n) except -1:
    _reserve(b, n)
    memcpy(b.data + b.size, s, n)
    b.size += n
    return 0


# Descriptors by the raw bytes they are made of (tag, then each cue attribute's name and value):
# a site repeats its class and id values on every element of a kind, and on every page.
cdef dict _DESCRIPTORS = {}
cdef _Buf _key


cdef int _append_sized(_Buf* b, const char* s, Py_ssize_t n) except -1:
    """`n`, then the `n` bytes: keys made of pieces cannot collide."""
    _append(b, <const char*>&n, sizeof(Py_ssize_t))
    return _append(b, s, n)


cdef const unsigned char* _ascii_value(xmlAttr* a) noexcept:
    """The value of an attribute that is one ASCII text piece ("" for none), else NULL."""
    cdef xmlNode* t = a.children
    cdef const unsigned char* v
    cdef Py_ssize_t i = 0
    if t is NULL:
        return <const unsigned char*>""
    if t.next is not NULL or t.type != TEXT:
        return NULL
    v = <const unsigned char*>t.content if t.content is not NULL else <const unsigned char*>""
    while v[i]:
        if v[i] >= 128:
            return NULL
        i += 1
    return v


cdef bint _match_ci(const unsigned char* s, Py_ssize_t* i, const char* word) noexcept:
    """`word` (lower case) at s[*i], any case; *i moves past it when it is there."""
    cdef Py_ssize_t k = 0, j = i[0]
    while word[k]:
        if s[j] == 0 or (s[j] | 32 if 65 <= s[j] <= 90 else s[j]) != <unsigned char>word[k]:
            return False
        j += 1
        k += 1
    i[0] = j
    return True


cdef bint _style_hides(const unsigned char* s) noexcept:
    """`segment._HIDDEN_STYLE_RE.search(s)` on ASCII: display:none or visibility:hidden."""
    cdef Py_ssize_t i = 0
    while s[i]:
        if _property_is(s, i, "display", "none") or _property_is(s, i, "visibility", "hidden"):
            return True
        i += 1
    return False


cdef bint _property_is(const unsigned char* s, Py_ssize_t i, const char* name, const char* value) noexcept:
    """`name\\s*:\\s*value` at s[i], any case."""
    if not _match_ci(s, &i, name):
        return False
    while _ascii_space(s[i]):
        i += 1
    if s[i] != 58:  # :
        return False
    i += 1
    while _ascii_space(s[i]):
        i += 1
    return _match_ci(s, &i, value)


cdef int _append_trimmed(_Buf* b, const unsigned char* v, Py_ssize_t limit) except -1:
    """`v.strip().replace(" ", "_")[:limit]`, for ASCII `v`."""
    cdef Py_ssize_t n = strlen(<const char*>v), start = 0, k
    cdef char ch
    while start < n and _ascii_space(v[start]):
        start += 1
    while n > start and _ascii_space(v[n - 1]):
        n -= 1
    n = min(n, start + limit)
    _reserve(b, n - start)
    for k in range(start, n):
        ch = <char>v[k]
        b.data[b.size] = 95 if ch == 32 else ch  # "_" for " "
        b.size += 1
    return 0


cdef _Buf _made


cdef object _ascii_describe(str low, xmlNode* c):
    """`WALK_RULES.describe(low, _cue_items(c))` when each cue attribute's value is one ASCII
    piece; None otherwise (the caller then calls it)."""
    cdef xmlAttr* a = c.properties
    cdef const unsigned char* v
    cdef const unsigned char* cls = NULL
    cdef const unsigned char* ident = NULL
    cdef const unsigned char* role = NULL
    cdef const unsigned char* style = NULL
    cdef const char* name
    cdef bint hidden = False
    cdef Py_ssize_t i = 0, start, tokens = 0
    while a is not NULL:
        name = <const char*>a.name
        if _is_cue(name):
            v = _ascii_value(a)
            if v is NULL:
                return None
            if strcmp(name, "class") == 0:
                cls = v
            elif strcmp(name, "id") == 0:
                ident = v
            elif strcmp(name, "role") == 0:
                role = v
            elif strcmp(name, "style") == 0:
                style = v
            else:
                hidden = True
        a = a.next
    _made.size = 0
    if cls is not NULL:  # `cls.split()[:6]`, joined by "." after a "."
        while cls[i] and tokens < 6:
            while _ascii_space(cls[i]):
                i += 1
            if not cls[i]:
                break
            start = i
            while cls[i] and not _ascii_space(cls[i]):
                i += 1
            _append(&_made, ".", 1)
            _append(&_made, <const char*>cls + start, i - start)
            tokens += 1
    if ident is not NULL and ident[0]:
        _append(&_made, "#", 1)
        _append_trimmed(&_made, ident, 60)
    if role is not NULL and role[0]:
        _append(&_made, "@", 1)
        _append_trimmed(&_made, role, 30)
    if hidden or (style is not NULL and _style_hides(style)):
        _append(&_made, "!hidden", 7)
    return low + PyUnicode_DecodeASCII(_made.data, _made.size, NULL) if _made.size else low


cdef str _descriptor(str low, xmlNode* c):
    """`_describe(low, el.items())` of an element, memoised by its raw cue attributes."""
    cdef xmlAttr* a = c.properties
    cdef xmlNode* t
    cdef bint cued = False
    if a is NULL:
        return low
    _key.size = 0
    _append_sized(&_key, <const char*>c.name, strlen(<const char*>c.name))
    while a is not NULL:
        if a.ns is not NULL:
            raise _Unsupported()
        if _is_cue(<const char*>a.name):
            cued = True
            _append_sized(&_key, <const char*>a.name, strlen(<const char*>a.name))
            t = a.children
            while t is not NULL:  # a value in pieces (as `_cue_items` reads it) keys as the pieces
                if t.type != TEXT:
                    raise _Unsupported()
                if t.content is not NULL:
                    _append(&_key, "\1", 1)
                    _append_sized(&_key, <const char*>t.content, strlen(<const char*>t.content))
                t = t.next
            _append(&_key, "\0", 1)
        a = a.next
    if not cued:
        return low
    key = PyBytes_FromStringAndSize(_key.data, _key.size)
    got = _DESCRIPTORS.get(key)
    if got is None:
        got = _ascii_describe(low, c)
        if got is None:
            got = _describe(low, _cue_items(c))
        got = _remember(_DESCRIPTORS, key, got)
    return <str>got


# ASCII classes: white space as `str.isspace` / `str.split` see it (\t-\r, \x1c-\x1f, space), and
# word characters as `\w` matches them ([0-9A-Za-z_]).
cdef inline bint _ascii_space(unsigned char c) noexcept:
    return c == 32 or 9 <= c <= 13 or 28 <= c <= 31


cdef inline bint _ascii_word(unsigned char c) noexcept:
    return (48 <= c <= 57) or (65 <= c <= 90) or (97 <= c <= 122) or c == 95


cdef Py_ssize_t _word_runs(const unsigned char* s, Py_ssize_t n) noexcept:
    """`segment._ascii_word_count`: the number of `\\w+` runs of ASCII text."""
    cdef Py_ssize_t i, runs = 0
    cdef bint inside = False, w
    for i in range(n):
        w = _ascii_word(s[i])
        if w and not inside:
            runs += 1
        inside = w
    return runs


cdef bint _is_ascii(const unsigned char* s, Py_ssize_t n) noexcept:
    cdef Py_ssize_t i
    for i in range(n):
        if s[i] >= 128:
            return False
    return True


cdef inline unsigned char _plain_flags(const unsigned char* s, Py_ssize_t n, Py_ssize_t* i) noexcept:
    """The `segment.plain_chars` flags of the UTF-8 character at `s[i]`, `i` moved past it; 0 for a
    code point that is not plain or a byte sequence that is not UTF-8."""
    cdef unsigned char c = s[i[0]]
    cdef Py_ssize_t cp
    if c < 0x80:
        i[0] += 1
        return _plain[c]
    if (c >> 5) == 6 and i[0] + 1 < n and (s[i[0] + 1] & 0xC0) == 0x80:
        cp = ((c & 0x1F) << 6) | (s[i[0] + 1] & 0x3F)
        i[0] += 2
        return _plain[cp] if 0x80 <= cp < _plain_limit else 0
    if (c >> 4) == 14 and i[0] + 2 < n and (s[i[0] + 1] & 0xC0) == 0x80 and (s[i[0] + 2] & 0xC0) == 0x80:
        cp = ((c & 0x0F) << 12) | ((s[i[0] + 1] & 0x3F) << 6) | (s[i[0] + 2] & 0x3F)
        i[0] += 3
        return _plain[cp] if 0x800 <= cp < _plain_limit else 0
    return 0


cdef Py_ssize_t _plain_runs(const unsigned char* s, Py_ssize_t n) noexcept:
    """The number of `\\w+` runs of UTF-8 text made of plain characters; -1 if one is not."""
    cdef Py_ssize_t i = 0, runs = 0
    cdef unsigned char f
    cdef bint inside = False
    while i < n:
        f = _plain_flags(s, n, &i)
        if not f:
            return -1
        if f & P_WORD:
            runs += not inside
            inside = True
        else:
            inside = False
    return runs


cdef object _block(Py_ssize_t index, str xpath, str tag, str text, object words, object link_words, str context,
                   Py_ssize_t depth):
    """`Block(index, xpath, …)`, its fields set as the frozen dataclass's `__init__` sets them
    (`object.__setattr__`, in field order), without the call through Python."""
    b = _object_new(Block)
    PyObject_GenericSetAttr(b, "index", index)
    PyObject_GenericSetAttr(b, "xpath", xpath)
    PyObject_GenericSetAttr(b, "tag", tag)
    PyObject_GenericSetAttr(b, "text", text)
    PyObject_GenericSetAttr(b, "words", words)
    PyObject_GenericSetAttr(b, "link_words", link_words)
    PyObject_GenericSetAttr(b, "context", context)
    PyObject_GenericSetAttr(b, "depth", depth)
    return b


cdef class _Walk:
    """The state of one page's walk (see `segment.segment_tree`; same names, same rules)."""

    cdef xmlNode* root
    cdef xmlNode** nodes  # open (entered) elements, outermost first
    cdef int* kinds
    cdef int* nums  # each open element's number among its parent's children of its tag (-1: unknown)
    cdef _Tally* tallies  # each open element's children met so far
    cdef Py_ssize_t size, cap
    cdef list lows, descs, paths, ctxs, owners, rows  # lows, descs, paths, ctxs: one per open element
    cdef list recent  # per stack level: (parent's context, descriptor, context) last made there
    cdef int link, pre
    cdef bint has_text, has_link
    cdef _Buf raw, link_raw, scratch  # the run's text (UTF-8), the part of it in links (pieces joined by " ")
    cdef dict position, totals
    # `_kind_of` by the address of the element's name (libxml2 keeps one copy of each name per
    # document): open addressing over _SLOTS slots, the tuples in `kind_values`
    cdef const void* kind_names[_SLOTS]
    cdef int kind_index[_SLOTS]
    cdef list kind_values, spill  # spill: kind tuples met after the table filled up, kept alive

    def __cinit__(self):
        self.cap = 64
        self.nodes = <xmlNode**>malloc(self.cap * sizeof(xmlNode*))
        self.kinds = <int*>malloc(self.cap * sizeof(int))
        self.nums = <int*>malloc(self.cap * sizeof(int))
        self.tallies = <_Tally*>malloc(self.cap * sizeof(_Tally))
        if self.nodes is NULL or self.kinds is NULL or self.nums is NULL or self.tallies is NULL:
            raise MemoryError()
        self.size = 0
        self.lows, self.descs, self.paths, self.ctxs, self.rows, self.recent = [], [], [], [], [], []
        self.owners = [0]  # stack positions (1-based) of open block-level elements; 0: none
        self.position, self.totals = {}, {}
        self.kind_values, self.spill = [], []
        memset(self.kind_names, 0, sizeof(self.kind_names))

    def __dealloc__(self):
        free(self.nodes)
        free(self.kinds)
        free(self.nums)
        free(self.tallies)
        free(self.raw.data)
        free(self.link_raw.data)
        free(self.scratch.data)

    cdef int push(self, xmlNode* c, int kind, str low, int num) except -1:
        if self.size == self.cap:
            self.cap *= 2
            self.nodes = <xmlNode**>_resized(self.nodes, self.cap * sizeof(xmlNode*))
            self.kinds = <int*>_resized(self.kinds, self.cap * sizeof(int))
            self.nums = <int*>_resized(self.nums, self.cap * sizeof(int))
            self.tallies = <_Tally*>_resized(self.tallies, self.cap * sizeof(_Tally))
        self.nodes[self.size] = c
        self.kinds[self.size] = kind
        self.nums[self.size] = num
        self.tallies[self.size].used = 0
        self.size += 1
        self.lows.append(low)
        self.descs.append(None)
        self.paths.append(None)
        self.ctxs.append(None)
        return 0

    cdef tuple kind_of(self, xmlNode* c):
        cdef size_t h = (<size_t>c.name >> 4) & (_SLOTS - 1)
        cdef int probes
        for probes in range(_SLOTS):
            if self.kind_names[h] == <const void*>c.name:
                return <tuple>self.kind_values[self.kind_index[h]]
            if self.kind_names[h] is NULL:
                found = _kind_of(c)
                if len(self.kind_values) < _SLOTS // 2:
                    self.kind_names[h] = <const void*>c.name
                    self.kind_index[h] = len(self.kind_values)
                    self.kind_values.append(found)
                else:
                    self.spill.append(found)
                return found
            h = (h + 1) & (_SLOTS - 1)
        found = _kind_of(c)
        self.spill.append(found)
        return found

    cdef int tally(self, str low) except -2:
        """Count one more child of the innermost open element with tag `low`: its number among
        the children of that tag so far, or -1 when the element has too many tags to tally."""
        cdef _Tally* t
        cdef int k
        if self.size == 0:
            return -1
        t = &self.tallies[self.size - 1]
        if t.used < 0:
            return -1
        for k in range(t.used):
            if t.lows[k] == <PyObject*>low or <str>t.lows[k] == low:
                t.counts[k] += 1
                return t.counts[k]
        if t.used == _TALLY:
            t.used = -1
            return -1
        t.lows[t.used] = <PyObject*>low
        t.counts[t.used] = 1
        t.used += 1
        return 1

    cdef int later(self, xmlNode* c, str low) except -2:
        """1 when a later sibling of `c` has tag `low`, 0 when none has, -1 when the first
        _LOOKAHEAD siblings do not tell."""
        cdef int k
        c = _first_element(c.next)
        for k in range(_LOOKAHEAD):
            if c is NULL:
                return 0
            if <str>self.kind_of(c)[1] == low:
                return 1
            c = _first_element(c.next)
        return 0 if c is NULL else -1

    cdef str xpath(self, Py_ssize_t at):
        """lxml's getpath of the open element at stack position `at` (0-based): `[n]` only when its
        parent has more than one child of that (lower-case) tag."""
        cdef xmlNode* c = self.nodes[at]
        cdef int num, many
        path = self.paths[at]
        if path is not None:
            return path
        low = self.lows[at]
        if at == 0:
            path = "/" + low
        else:
            num = self.nums[at]
            many = 1 if num > 1 else (self.later(c, low) if num == 1 else -1)
            if many < 0:
                n = self.number(self.nodes[at - 1], c)
                many = self.totals[<size_t>self.nodes[at - 1]][low] > 1
            else:
                n = num
            path = self.xpath(at - 1) + (f"/{low}[{n}]" if many else "/" + low)
        self.paths[at] = path
        return path

    cdef object number(self, xmlNode* parent, xmlNode* child):
        """The number of `child` among `parent`'s element children of its lower-case tag. Every
        child of `parent` is numbered in one pass, and `totals` keeps how many of each tag it has."""
        cdef xmlNode* c
        n = self.position.get(<size_t>child)
        if n is not None:
            return n
        counts = {}
        c = _first_element(parent.children)
        while c is not NULL:
            low = self.kind_of(c)[1]
            n = counts.get(low, 0) + 1
            counts[low] = n
            self.position[<size_t>c] = n
            c = _first_element(c.next)
        self.totals[<size_t>parent] = counts
        return self.position[<size_t>child]

    cdef object made(self):
        """`segment.emit_text` of the run: (text, words, link words), or None. ASCII runs outside
        `<pre>` in C (white space collapsed, `\\w+` runs counted), the rest by the Python rule."""
        cdef Py_ssize_t i, j = 0, words, links
        cdef unsigned char ch
        cdef bint gap = False
        cdef const unsigned char* r = <const unsigned char*>self.raw.data
        cdef bint ascii = _is_ascii(r, self.raw.size)
        if not self.pre and not ascii:
            made = self.plain_made()
            if made is not False:
                return made
        if self.pre or not ascii:
            raw = PyUnicode_DecodeUTF8(self.raw.data, self.raw.size, NULL)
            link_raw = PyUnicode_DecodeUTF8(self.link_raw.data, self.link_raw.size, NULL) if self.has_link else ""
            return emit_text(raw, link_raw, self.pre > 0)
        words = _word_runs(r, self.raw.size)
        if not words:
            return None
        self.scratch.size = 0
        _reserve(&self.scratch, self.raw.size)
        cdef char* out = self.scratch.data
        for i in range(self.raw.size):
            ch = r[i]
            if _ascii_space(ch):
                gap = j > 0
            else:
                if gap:
                    out[j] = 32
                    j += 1
                    gap = False
                out[j] = <char>ch
                j += 1
        links = min(words, _word_runs(<const unsigned char*>self.link_raw.data, self.link_raw.size)) if self.has_link else 0
        return (PyUnicode_DecodeASCII(out, j, NULL), words, links)

    cdef object plain_made(self):
        """`made` of a run of plain characters (`segment.plain_chars`: Latin scripts, punctuation),
        where `emit_text` comes down to collapsing white space and counting `\\w+` runs; False
        for a run with another character, which `emit_text` then makes."""
        cdef const unsigned char* r = <const unsigned char*>self.raw.data
        cdef Py_ssize_t n = self.raw.size, i = 0, start, j = 0, words = 0, links = 0
        cdef unsigned char f
        cdef bint gap = False, inside = False
        _reserve(&self.scratch, n)
        cdef char* out = self.scratch.data
        while i < n:
            start = i
            f = _plain_flags(r, n, &i)
            if not f:
                return False
            if f & P_SPACE:
                gap = j > 0
                inside = False
                continue
            if gap:
                out[j] = 32
                j += 1
                gap = False
            memcpy(out + j, r + start, i - start)
            j += i - start
            if f & P_WORD:
                words += not inside
                inside = True
            else:
                inside = False
        if not words:
            return None
        if self.has_link:
            links = _plain_runs(<const unsigned char*>self.link_raw.data, self.link_raw.size)
            if links < 0:
                return False
            links = min(words, links)
        return (PyUnicode_DecodeUTF8(out, j, NULL), words, links)

    cdef int emit(self, Py_ssize_t owner) except -1:
        """The run in progress becomes a block (if it has a word); cleared either way."""
        cdef Py_ssize_t i
        made = self.made()
        self.raw.size = self.link_raw.size = 0
        self.has_link = False
        if made is None:
            return 0
        text, words, link_words = made
        if owner:
            xpath, tag = self.xpath(owner - 1), self.lows[owner - 1]
        else:
            xpath, tag = "/html", "html"
        self.rows.append(_block(len(self.rows), xpath, tag, text, words, link_words, self.context(), self.size))
        return 0

    cdef str context(self):
        """`" ".join` of the open elements' descriptors, kept per stack level (each level's extends
        its parent's). `recent` keeps the last string made at each level, after its element
        closed: a sibling with the same descriptor under the same parent reuses it, so the blocks
        of a list or a menu share one context string (and its hash)."""
        cdef Py_ssize_t i = self.size - 1, top = self.size
        cdef list descs = self.descs, ctxs = self.ctxs, recent = self.recent
        cdef tuple r
        if i < 0:
            return ""
        while i >= 0 and ctxs[i] is None:
            i -= 1
        ctx = ctxs[i] if i >= 0 else None
        while len(recent) < top:
            recent.append(None)
        for i in range(i + 1, top):
            desc = descs[i]
            if desc is None:
                desc = descs[i] = _descriptor(self.lows[i], self.nodes[i])
            r = <tuple>recent[i]
            if r is not None and r[0] is ctx and r[1] is desc:
                ctx = r[2]
            else:
                made = desc if ctx is None else f"{ctx} {desc}"
                recent[i] = (ctx, desc, made)
                ctx = made
            ctxs[i] = ctx
        return ctx

    cdef int text(self, xmlNode* c) except -1:
        """lxml's `.text` / `.tail` run starting at `c` joins the run in progress: white space
        before the run's first word is left out (it would be stripped anyway)."""
        cdef xmlNode* d
        cdef Py_ssize_t i, n, total = 0
        cdef const unsigned char* t
        cdef bint space = True, ascii = True
        if not _is_text(c):
            return 0
        d = c
        while _is_text(d):
            if d.content is not NULL:
                t = <const unsigned char*>d.content
                n = strlen(<const char*>t)
                total += n
                if space and not self.has_text:
                    for i in range(n):
                        if t[i] >= 128:
                            ascii = False
                        elif not _ascii_space(t[i]):
                            space = False
                            break
            d = d.next
        if total == 0:
            return 0
        if not self.has_text:
            if space and not ascii:  # non-ASCII white space (no-break space…): Python's rule
                space = _run_text(c).isspace()
            if space:
                return 0
            self.has_text = True
        if self.link and self.has_link:
            _append(&self.link_raw, " ", 1)
        d = c
        while _is_text(d):
            if d.content is not NULL:
                n = strlen(<const char*>d.content)
                _append(&self.raw, <const char*>d.content, n)
                if self.link:
                    _append(&self.link_raw, <const char*>d.content, n)
            d = d.next
        if self.link:
            self.has_link = True
        return 0

    cdef bint start(self, xmlNode* c) except -1:
        """A "start" event: True when the element is entered (its children walked)."""
        cdef int kind, num
        kind_low = self.kind_of(c)
        kind = kind_low[0]
        num = self.tally(<str>kind_low[1])
        if kind >= K_BREAK:
            if kind == K_BREAK and self.has_text:
                self.emit(self.owners[-1])
                self.has_text = False
            return False
        if kind >= K_BLOCK:
            if self.has_text:
                self.emit(self.owners[-1])
                self.has_text = False
            self.owners.append(self.size + 1)
            if kind == K_PRE:
                self.pre += 1
        elif kind == K_LINK:
            self.link += 1
        self.push(c, kind, kind_low[1], num)
        self.text(c.children)
        return True

    cdef int end(self, xmlNode* c) except -1:
        cdef int kind
        if self.size and self.nodes[self.size - 1] == c:
            kind = self.kinds[self.size - 1]
            if kind >= K_BLOCK:
                if self.has_text:
                    self.emit(self.owners[-1])
                    self.has_text = False
                self.owners.pop()
                if kind == K_PRE:
                    self.pre -= 1
            elif kind == K_LINK:
                self.link -= 1
            self.size -= 1
            self.lows.pop()
            self.descs.pop()
            self.paths.pop()
            self.ctxs.pop()
        self.text(c.next)
        return 0

    cdef int run(self) except -1:
        cdef xmlNode* cur = self.root
        cdef xmlNode* nxt
        cdef bint descend = self.start(cur)
        while True:
            if descend:
                nxt = _first_element(cur.children)
                if nxt is not NULL:
                    cur = nxt
                    descend = self.start(cur)
                    continue
            self.end(cur)
            if cur == self.root:
                break
            nxt = _first_element(cur.next)
            if nxt is not NULL:
                cur = nxt
                descend = self.start(cur)
                continue
            cur = cur.parent
            descend = False
        if self.has_text:
            self.emit(self.owners[-1])
        return 0


def segment_tree(cetree._Element root):
    """`segment.segment_tree` for a tree of lxml's HTML parser; None when the tree holds nodes the
    compiled walk does not cover (the caller then walks it in Python)."""
    if not _bound:
        _bind()
    cdef _Walk w = _Walk()
    w.root = root._c_node
    if w.root.type != ELEMENT or w.root.ns is not NULL:
        return None
    try:
        w.run()
    except _Unsupported:
        return None
    return w.rows


cdef inline bint _separator(unsigned char c) noexcept:
    """`features._TOKEN_SPLIT_RE`'s separators and digits, on ASCII (`\\s` includes \\x1c-\\x1f)."""
    return (c == 46 or c == 35 or c == 64 or c == 33 or c == 95 or c == 45 or c == 32  # . # @ ! _ - space
            or 9 <= c <= 13 or 28 <= c <= 31 or 48 <= c <= 57)  # \t-\r, \x1c-\x1f, digits


cdef unsigned int _CRC_TABLE[256]


cdef void _crc_init() noexcept:
    cdef unsigned int c, k, n
    for n in range(256):
        c = n
        for k in range(8):
            c = (0xEDB88320 ^ (c >> 1)) if (c & 1) else (c >> 1)
        _CRC_TABLE[n] = c


_crc_init()


cdef tuple _ascii_cues(str descriptor):
    """`features._descriptor_cues` of an ASCII descriptor: the tag is the part before the first
    `.#@!`; the rest splits on separators, digit runs and lower→upper humps; tokens of two or more
    characters, lower-cased, hashed with CRC-32 (zlib's, computed here on the lower-cased bytes)."""
    cdef const unsigned char* s = <const unsigned char*>PyUnicode_DATA(descriptor)
    cdef Py_ssize_t n = len(descriptor), i = 0, start, j
    cdef unsigned char c, prev, b
    cdef unsigned int crc
    cdef bint sep
    while i < n:
        c = s[i]
        if c == 46 or c == 35 or c == 64 or c == 33:  # . # @ !
            break
        i += 1
    a = _ANC_INDEX.get(descriptor[:i])
    hashes = []
    start = -1
    prev = 0
    while i <= n:
        c = s[i] if i < n else 0
        sep = i == n or _separator(c)
        if sep or (97 <= prev <= 122 and 65 <= c <= 90):  # a-z then A-Z
            if start >= 0 and i - start > 1:
                crc = 0xFFFFFFFF
                for j in range(start, i):
                    b = s[j]
                    if 65 <= b <= 90:  # A-Z
                        b += 32
                    crc = _CRC_TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
                hashes.append(crc ^ 0xFFFFFFFF)
            start = -1 if sep else i
        elif start < 0:
            start = i
        prev = c
        i += 1
    return (() if a is None else (a,), tuple(hashes))


cdef tuple _cues_of(str d):
    """`FEATURE_RULES.descriptor_cues`, with `_ascii_cues` for the ASCII descriptors."""
    cues = _DESCRIPTOR_CUES.get(d)
    if cues is None:
        cues = _remember(_DESCRIPTOR_CUES, d, _ascii_cues(d)) if d.isascii() else _descriptor_cues(d)
    return <tuple>cues


cdef class _Chain:
    """The descriptors of the last context `_hot` split, one level each: where each ends in the
    string, its cues, and the ancestor-tag columns of it and all above it as bits. The next
    context reuses the levels it shares with this one (a page's contexts share long prefixes)."""

    cdef str context
    cdef list ends, cues, above

    def __cinit__(self):
        self.context, self.ends, self.cues, self.above = "", [], [], []


cdef tuple _hot(str context, _Chain chain):
    """`features._context_hot` (the same columns; the order may differ): the levels `chain`
    shares with `context` are taken from it, the rest split and looked up."""
    cdef Py_ssize_t n = len(context), shared = 0, m = 0, levels, k, start
    cdef str prev = chain.context
    cdef unsigned long long bits
    cdef tuple cues
    cdef int col
    if not context:
        return ()
    shared = _common_prefix(context, prev)
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
    hot = []
    for col in range(_NEAR0):
        if bits >> col & 1:
            hot.append(col)
    levels = len(chain.cues)
    for k in range(levels - 1, max(levels - 4, -1), -1):
        for h in (<tuple>chain.cues[k])[1]:
            hot.append(_NEAR0 + <Py_ssize_t>(<unsigned long long>h % <unsigned long long>_HASH_NEAR))
    return tuple(hot)


@cython.wraparound(False)
def context_cues(list contexts):
    """`features._context_cues`: the same rows and the same memos, the loops in C."""
    cdef Py_ssize_t i, n = len(contexts)
    cdef tuple hot
    cdef object j
    cdef _Chain chain = _Chain()
    if not _bound:
        _bind()
    out = np.zeros((n, _N_CUES), dtype=np.float32)
    cdef float[:, ::1] o = out
    memo = _CONTEXT_HOT
    last = None
    for i in range(n):
        context = contexts[i]
        if context is last:  # the walk's blocks under one element share one context string
            memcpy(&o[i, 0], &o[i - 1, 0], o.shape[1] * sizeof(float))
            continue
        last = context
        hot = memo.get(context)
        if hot is None:
            hot = _remember(memo, context, _hot(context, chain))
        for j in hot:
            o[i, <Py_ssize_t>j] = 1.0
    return out


cdef inline Py_ssize_t _parent_end(str xpath):
    """The length of `_parent(xpath)`: where its last "/" is (0 for none)."""
    cdef Py_ssize_t i = len(xpath) - 1
    while i >= 0 and PyUnicode_READ_CHAR(xpath, i) != 47:  # "/"
        i -= 1
    return max(i, 0)


cdef inline str _parent(str xpath):
    """`xpath.rpartition("/")[0]`."""
    return xpath[:_parent_end(xpath)]


@cython.wraparound(False)
def block_columns(list blocks):
    """`features.columns` of a page (`_columns`' values): one pass over the blocks."""
    cdef Py_ssize_t i, j, n = len(blocks), k
    cdef str text, xpath, context, tag
    if not _bound:
        _bind()
    texts, xpaths, contexts = [None] * n, [None] * n, [None] * n
    lengths, tag_ids, parent, grand, ctx = (np.empty(n, dtype=np.int64) for _ in range(5))
    words, links, depth, ends, same, heading, para, listy, hidden, slashes = (np.empty(n) for _ in range(10))
    cdef cnp.int64_t[::1] v_len = lengths, v_tag = tag_ids, v_par = parent, v_gra = grand, v_ctx = ctx
    cdef double[::1] v_words = words, v_links = links, v_depth = depth, v_ends = ends, v_same = same
    cdef double[::1] v_head = heading, v_para = para, v_list = listy, v_hid = hidden, v_sl = slashes
    cdef dict counts = {}, parents = {}, grands = {}, contexts_ids = {}
    cdef object last_xpath = None, last_context = None, last_parent = None
    for i in range(n):
        b = blocks[i]
        text, xpath, context, tag = b.text, b.xpath, b.context, b.tag
        texts[i], xpaths[i], contexts[i] = text, xpath, context
        v_len[i] = len(text)
        v_words[i] = b.words
        v_links[i] = b.link_words
        v_depth[i] = b.depth
        j = len(text) - 1
        while j >= 0 and text[j] in _CLOSERS:
            j -= 1
        v_ends[i] = 1.0 if j >= 0 and text[j] in _SENT_END_CHARS else 0.0
        counts[text] = counts.get(text, 0) + 1
        got = _TAG_INDEX.get(tag)
        v_tag[i] = _N_TAGS if got is None else <Py_ssize_t>got
        v_head[i] = 1.0 if tag in _HEADINGS else 0.0
        v_para[i] = 1.0 if tag == "p" else 0.0
        v_list[i] = 1.0 if tag in _LISTS else 0.0
        v_hid[i] = 1.0 if "!" in context and "!hidden" in context else 0.0
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
            v_ctx[i] = contexts_ids.setdefault(context, len(contexts_ids))
            last_context = context
    for i in range(n):
        v_same[i] = <Py_ssize_t>counts[texts[i]] - 1
    return _Columns(texts=texts, xpaths=xpaths, contexts=contexts, lengths=lengths, words=words, links=links,
                    depth=depth, ends=ends, same_text=same, tag=tag_ids, heading=heading, para=para, listy=listy,
                    hidden=hidden, slashes=slashes, parent=parent, grand=grand, context=ctx)


# The fields `block_columns` fills (`_bind` checks they are `features.Columns`' own).
_COLUMN_FIELDS = ("texts", "xpaths", "contexts", "lengths", "words", "links", "depth", "ends", "same_text", "tag",
                  "heading", "para", "listy", "hidden", "slashes", "parent", "grand", "context")


# `dense_rows`' columns, known here by name only: `_bind_dense` finds each in
# `FEATURE_RULES.dense_names` (the layout both twins read) and keeps its offset in `_at`.
cdef enum:  # the block's own columns, in `_OWN` order
    C_LOG_WORDS, C_LOG_CHARS, C_MEAN_WORD_LEN, C_DIGIT_SHARE, C_UPPER_SHARE, C_PUNCT_SHARE, C_ALPHA_SHARE
    C_SENT_ENDS, C_ENDS_SENTENCE, C_STARTS_UPPER, C_HAS_COPYRIGHT, C_PIPES, C_ENDS_COLON, C_LINK_DENSITY
    C_SAME_TEXT, C_LINK_RUN, C_REL_INDEX, C_REL_WORDS_BEFORE, C_DIST_TO_LONGEST, C_SHARE_OF_LONGEST
    C_DEPTH, C_REL_DEPTH, C_HIDDEN, C_PARENT_WORDS, C_PARENT_LINKS, C_PARENT_SHARE, C_PARENT_BLOCKS
    C_GRAND_WORDS, C_GRAND_LINKS, C_GRAND_SHARE, C_SAME_CONTEXT
    _N_OWN
_OWN = ("log_words", "log_chars", "mean_word_len", "digit_share", "upper_share", "punct_share", "alpha_share",
        "sentence_ends_per_word", "ends_sentence", "starts_upper", "has_copyright", "pipes", "ends_colon", "link_density",
        "same_text_blocks", "link_run", "rel_index", "rel_words_before", "dist_to_longest", "share_of_longest",
        "depth", "rel_depth", "hidden", "parent_log_words", "parent_link_density", "parent_share", "parent_blocks",
        "grand_log_words", "grand_link_density", "grand_share", "same_context_blocks")
cdef enum:  # each neighbour's columns (`FEATURE_RULES.neighbour_column(offset, name)`), in `_NEAR` order
    N_LOG_WORDS, N_LINK_DENSITY, N_HEADING, N_PARAGRAPH, N_LIST, N_ENDS_SENTENCE, N_SAME_PARENT
    _N_NEAR
    _MAX_OFFSETS = 8
_NEAR = ("log_words", "link_density", "heading", "paragraph", "list", "ends_sentence", "same_parent")
# Written before their log1p, which `features` applies with numpy (numpy's rounding, as the Python
# twin has it), and left to `features` whole (page-wide sums, the densest container).
_LOG1P = ("link_run", "parent_log_words", "parent_blocks", "grand_log_words", "same_context_blocks")
_LEFT = ("page_log_blocks", "page_log_words", "page_link_density", "in_main", "main_depth_diff")

cdef Py_ssize_t _at[_N_OWN]
cdef Py_ssize_t _near_at[_MAX_OFFSETS][_N_NEAR]
cdef Py_ssize_t _offsets[_MAX_OFFSETS]
cdef Py_ssize_t _n_offsets = 0, _n_dense = 0


cdef int _bind_dense(object rules) except -1:
    """The offsets of every dense column, from the layout: the columns written here and those
    left to `features` must be the layout's, each once; and both sides must leave the same ones."""
    global _n_offsets, _n_dense
    cdef Py_ssize_t k, m
    names = tuple(rules.dense_names)
    offsets = tuple(rules.neighbour_offsets)
    if len(offsets) > _MAX_OFFSETS:
        raise RuntimeError(f"features has {len(offsets)} neighbour offsets, the compiled loops room for {_MAX_OFFSETS}: "
                           "raise _MAX_OFFSETS in _speedups.pyx")
    near = [rules.neighbour_column(o, name) for o in offsets for name in _NEAR]
    known = [*_OWN, *near, *_LEFT]
    if sorted(names) != sorted(known):
        raise RuntimeError(
            f"features' dense columns are not the compiled loops': {sorted(set(names) - set(known))} unknown here, "
            f"{sorted(set(known) - set(names))} missing there, {len(names)} columns against {len(known)}: "
            "update _speedups.pyx and rebuild it")
    _expect("the dense columns features takes the log1p of", tuple(rules.loops_log1p), _LOG1P)
    _expect("the dense columns features fills in", tuple(rules.loops_leave), _LEFT)
    at = {name: i for i, name in enumerate(names)}
    for k in range(_N_OWN):
        _at[k] = at[_OWN[k]]
    for k in range(len(offsets)):
        _offsets[k] = offsets[k]
        for m in range(_N_NEAR):
            _near_at[k][m] = at[near[k * _N_NEAR + m]]
    _n_offsets, _n_dense = len(offsets), len(names)
    return 0


@cython.wraparound(False)
def dense_rows(list texts, const cnp.int64_t[::1] lengths, const double[::1] words, const double[::1] links,
               const double[::1] log_words, const double[::1] log_lengths, const double[::1] log_same,
               const double[::1] ends, const double[::1] heading, const double[::1] para, const double[::1] listy,
               const double[::1] depth, const double[::1] hidden, const cnp.int64_t[::1] parent,
               const cnp.int64_t[::1] grand, const cnp.int64_t[::1] context, const unsigned char[::1] table):
    """The loops of `features._dense` on an HTML page: its `DENSE_NAMES` matrix but for the
    columns `features` completes (`FEATURE_RULES.loops_log1p`, `.loops_leave`), and the blocks'
    link words as the features have them (link density × words)."""
    cdef Py_ssize_t n = len(texts), i, j, k, o, m, t, longest = 0
    cdef Py_ssize_t bmp = table.shape[0] - 1
    cdef Py_UCS4 ch
    cdef unsigned char f
    cdef double w, chars, letters, upper, digits, punct, sent, pipes, copy, total = 0.0, wmax, dmax, run = 0.0
    cdef str text
    cdef Py_ssize_t* near
    if not _bound:
        _bind()
    cdef Py_ssize_t ld = _at[C_LINK_DENSITY]
    out = np.zeros((n, _n_dense), dtype=np.float64)
    links_f = np.empty(n, dtype=np.float64)
    cdef double[:, ::1] M = out
    cdef double[::1] L = links_f
    if n == 0:
        return out, links_f
    wmax, dmax = words[0], depth[0]
    for i in range(n):  # the text group, one pass over each block's code points
        text = texts[i]
        letters = upper = digits = punct = sent = pipes = copy = 0.0
        for ch in text:
            f = table[ch if ch < bmp else bmp]
            letters += (f & F_LETTER) != 0
            upper += (f & F_UPPER) != 0
            digits += (f & F_DIGIT) != 0
            punct += (f & F_PUNCT) != 0
            sent += (f & F_SENT_END) != 0
            if ch == _PIPE:
                pipes += 1.0
            elif ch == _COPYRIGHT:
                copy += 1.0
        w = words[i] if words[i] > 1.0 else 1.0
        chars = <double>(lengths[i] if lengths[i] > 1 else 1)
        M[i, _at[C_LOG_WORDS]] = log_words[i]
        M[i, _at[C_LOG_CHARS]] = log_lengths[i]
        M[i, _at[C_MEAN_WORD_LEN]] = min(30.0, lengths[i] / w)
        M[i, _at[C_DIGIT_SHARE]] = digits / chars
        M[i, _at[C_UPPER_SHARE]] = upper / (letters if letters > 1.0 else 1.0)
        M[i, _at[C_PUNCT_SHARE]] = punct / chars
        M[i, _at[C_ALPHA_SHARE]] = letters / chars
        M[i, _at[C_SENT_ENDS]] = sent / w
        M[i, _at[C_ENDS_SENTENCE]] = ends[i]
        if lengths[i] > 0:
            ch = text[0]
            M[i, _at[C_STARTS_UPPER]] = 1.0 if table[ch if ch < bmp else bmp] & F_UPPER else 0.0
            M[i, _at[C_ENDS_COLON]] = 1.0 if text[lengths[i] - 1] == _COLON else 0.0
        M[i, _at[C_HAS_COPYRIGHT]] = 1.0 if copy > 0.0 else 0.0
        M[i, _at[C_PIPES]] = min(10.0, pipes)
        M[i, ld] = links[i] / w
        M[i, _at[C_SAME_TEXT]] = log_same[i]
        L[i] = M[i, ld] * w
        total += words[i]
        if words[i] > wmax:
            wmax, longest = words[i], i
        if depth[i] > dmax:
            dmax = depth[i]
    i = 0
    while i < n:  # the run of link-dominated blocks each block is in
        j = i
        while j < n and M[j, ld] >= 0.5:
            j += 1
        for k in range(i, j):
            M[k, _at[C_LINK_RUN]] = <double>(j - i)
        i = j + 1 if j == i else j
    total = total if total > 1.0 else 1.0
    wmax = wmax if wmax > 1.0 else 1.0
    for i in range(n):
        M[i, _at[C_REL_INDEX]] = i / <double>(n - 1 if n > 1 else 1)
        M[i, _at[C_REL_WORDS_BEFORE]] = run / total
        M[i, _at[C_DIST_TO_LONGEST]] = (i - longest if i >= longest else longest - i) / <double>n
        run += words[i]
        M[i, _at[C_SHARE_OF_LONGEST]] = words[i] / wmax
    for k in range(_n_offsets):
        o = _offsets[k]
        near = &_near_at[k][0]
        for i in range(n):
            j = i + o
            if 0 <= j < n:
                M[i, near[N_LOG_WORDS]] = log_words[j]
                M[i, near[N_LINK_DENSITY]] = M[j, ld]
                M[i, near[N_HEADING]] = heading[j]
                M[i, near[N_PARAGRAPH]] = para[j]
                M[i, near[N_LIST]] = listy[j]
                M[i, near[N_ENDS_SENTENCE]] = ends[j]
                M[i, near[N_SAME_PARENT]] = 1.0 if parent[j] == parent[i] else 0.0
            else:
                M[i, near[N_LOG_WORDS]] = M[i, near[N_LINK_DENSITY]] = M[i, near[N_ENDS_SENTENCE]] = -1.0
    # sums over each block's parent, grandparent and context, in block order (page-local ids < n)
    sums = np.zeros((6, n))
    cdef double[:, ::1] S = sums
    for i in range(n):
        S[0, parent[i]] += words[i]
        S[1, parent[i]] += L[i]
        S[2, parent[i]] += 1.0
        S[3, grand[i]] += words[i]
        S[4, grand[i]] += L[i]
        S[5, context[i]] += 1.0
    dmax = dmax if dmax != 0.0 else 1.0
    for i in range(n):
        m, t = parent[i], grand[i]
        M[i, _at[C_DEPTH]] = depth[i]
        M[i, _at[C_REL_DEPTH]] = depth[i] / dmax
        M[i, _at[C_HIDDEN]] = hidden[i]
        M[i, _at[C_PARENT_WORDS]] = S[0, m]
        M[i, _at[C_PARENT_LINKS]] = S[1, m] / (S[0, m] if S[0, m] > 1.0 else 1.0)
        M[i, _at[C_PARENT_SHARE]] = words[i] / (S[0, m] if S[0, m] > 1.0 else 1.0)
        M[i, _at[C_PARENT_BLOCKS]] = S[2, m]
        M[i, _at[C_GRAND_WORDS]] = S[3, t]
        M[i, _at[C_GRAND_LINKS]] = S[4, t] / (S[3, t] if S[3, t] > 1.0 else 1.0)
        M[i, _at[C_GRAND_SHARE]] = words[i] / (S[3, t] if S[3, t] > 1.0 else 1.0)
        M[i, _at[C_SAME_CONTEXT]] = S[5, context[i]] - 1.0
    return out, links_f


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


def densest_container(list xpaths, list plain, double half):
    """`features.densest_container`: the same sums in the same order, the loops in C. Each
    prefix is numbered when first met; a prefix a block shares with the previous block keeps the
    previous block's number without a lookup: neighbours in a page share most of their path."""
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
    best, depth = "/html", -1
    for k in range(len(prefixes)):
        if acc[k] >= half:
            d = (<str>prefixes[k]).count("/")
            if d > depth:
                best, depth = prefixes[k], d
    return best


ctypedef struct _Node:
    double threshold  # a leaf's value, for leaves
    int feature  # -1 for leaves
    int missing_left
    int left
    int right


cdef class Forest:
    """A fitted binary `HistGradientBoostingClassifier` as one packed node array (numeric splits
    only). It reads private attributes of the model: a scikit-learn release outside
    `compiled.SKLEARN_TESTED` is refused with a RuntimeError that names the range."""

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
        packed = np.zeros(len(flat), dtype=[("threshold", "f8"), ("feature", "i4"), ("missing_left", "i4"), ("left", "i4"), ("right", "i4")])
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
        cdef Py_ssize_t n = x.shape[0], i, t, node
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
