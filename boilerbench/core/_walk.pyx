# cython: language_level=3, boundscheck=False, cdivision=True
"""The core's compiled twin: the segment walk, for crawl-scale throughput; optional at install (setup.py).

`segment_tree(root)` is `segment.walk_tree` (its Python twin, the specification) over libxml2's
nodes read directly (lxml's public C API), instead of one Python event per element. It makes the
same blocks: runs of plain text (the code points `segment.plain_chars` marks: ASCII, Latin, general
punctuation) are normalised and their words counted here, other runs go through the Python
module's own `emit_text`, and descriptors through its `describe`, memoised by the element's raw tag
and cue attributes. It covers trees from lxml's HTML parser with no comment, PI or entity nodes
(what `segment.parse_html` makes) and returns None for anything else, which the Python walk then
handles.

Each block's structure, when the caller asks for it (`structure`; else each block's is None, and the
walk keeps no anchor and looks no structure up), is read by the Python `WALK_RULES.reader`
(`structure.StructureReader`) from the facts the walk records of the block, what it passes anyway:
the owner's tag and its parent's (most blocks' structure is theirs, memoised in
`WALK_RULES.tag_structures`), else the owner element (an lxml proxy of its node), and the block's
anchors (each `<a href>`'s href and the text it has in the block, cut from the run's bytes and
normalised as `structure.anchor` says: here on ASCII, as block text is, else by it). `segment_tree`
reads every block's; `segment_tree_later` hands the reader over, for the caller to read the blocks
it needs.

It walks and counts; every rule it follows is the Python module's, received when it binds
(`segment.WALK_RULES`): the tag kinds, the cue attributes, the character classes, the document's
own xpath and tag. `boilerbench.core.compiled` is the switch between it and its Python twin.
"""

from cpython.bytes cimport PyBytes_FromStringAndSize
from cpython.dict cimport PyDict_GetItem
from cpython.object cimport PyObject, PyObject_GenericSetAttr
from cpython.unicode cimport PyUnicode_DecodeASCII, PyUnicode_DecodeUTF8
from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memcpy, memset, strcmp, strlen

cimport lxml.includes.etreepublic as cetree
from lxml.includes.tree cimport xmlAttr, xmlNode

cetree.import_lxml__etree()

cdef enum:
    _SLOTS = 256  # a power of two
    _TALLY = 8  # distinct child tags an open element numbers as the walk meets them
    _LOOKAHEAD = 32  # siblings `_Walk.later` reads before numbering the whole parent instead
    _MAX_CUES = 16  # room for the cue attributes' names


# What the walk reads of `segment.WALK_RULES`, bound on first use (`bind`): `segment` imports this
# module (through `compiled`), so it cannot import `segment` while that loads.
cdef bint _bound = False
_object_new = object.__new__
cdef object _KINDS, _describe, _kind, emit_text, Block, _Reader, _tag_structure, _anchor, Structure
cdef frozenset _PARENT_KEYED
cdef dict _TAG_STRUCTURES
cdef Py_ssize_t _memo_limit = 0
cdef int _K_LINK, _K_BLOCK, _K_PRE, _K_BREAK  # the tag kinds the walk tells apart
cdef unsigned char _P_WORD, _P_SPACE  # `segment.plain_chars` flags
cdef bytes _PLAIN_TABLE  # `WALK_RULES.plain_chars()`
cdef const unsigned char* _plain = NULL
cdef Py_ssize_t _plain_limit = 0
cdef str _DOCUMENT_XPATH, _DOCUMENT_TAG
cdef list _CUE_NAMES  # `WALK_RULES.cue_attributes`, as bytes
cdef tuple _CUE_STRS  # and as they are
cdef const char* _cue_names[_MAX_CUES]
cdef Py_ssize_t _n_cues = 0


def bind():
    """Bind (again) to `segment.WALK_RULES`, and forget the descriptors made under the rules
    before: what the first walk does."""
    global _bound
    _bound = False
    _bind()


cdef int _bind() except -1:
    global _bound, _KINDS, _describe, _kind, emit_text, Block, _Reader, _tag_structure, _TAG_STRUCTURES
    global _memo_limit, _anchor
    global Structure, _PARENT_KEYED
    global _K_LINK, _K_BLOCK, _K_PRE, _K_BREAK
    global _P_WORD, _P_SPACE, _PLAIN_TABLE, _plain, _plain_limit, _DOCUMENT_XPATH, _DOCUMENT_TAG, _CUE_NAMES, _CUE_STRS, _n_cues
    from . import segment
    rules = segment.WALK_RULES
    kinds = tuple(rules.kinds)
    if list(kinds) != sorted(set(kinds)) or len(kinds) != 6:
        raise RuntimeError(f"segment's tag kinds {kinds} are not six increasing values: the walk compares them by order")
    _, _K_LINK, _K_BLOCK, _K_PRE, _K_BREAK, _ = kinds
    names = [name.encode("ascii") for name in rules.cue_attributes]
    if len(names) > _MAX_CUES:
        raise RuntimeError(f"segment has {len(names)} cue attributes, the compiled walk room for {_MAX_CUES}")
    _CUE_NAMES, _CUE_STRS, _n_cues = names, tuple(rules.cue_attributes), len(names)
    for k in range(_n_cues):
        _cue_names[k] = <const char*>(<bytes>names[k])
    _, _P_WORD, _P_SPACE = rules.plain_flags
    table = rules.plain_chars()
    if len(table) < 128 or not all(table[c] for c in range(128)):
        raise RuntimeError("segment.plain_chars does not mark every ASCII code point: the walk reads ASCII classes there")
    _PLAIN_TABLE = table
    _plain, _plain_limit = <const unsigned char*>_PLAIN_TABLE, len(_PLAIN_TABLE)
    _DOCUMENT_XPATH, _DOCUMENT_TAG = rules.document
    _KINDS, _describe, _kind, emit_text = rules.kind_memo, rules.describe, rules.kind, rules.emit_text
    Block, _memo_limit, _Reader = rules.block, rules.memo_limit, rules.reader
    _TAG_STRUCTURES, _tag_structure, _anchor = rules.tag_structures, rules.tag_structure, rules.anchor
    Structure, _PARENT_KEYED = rules.structure, frozenset(rules.parent_keyed)
    _DESCRIPTORS.clear()
    _bound = True
    return 0


# An open element's element children met so far, by lower-case tag (borrowed references: the
# walk's `kind_values` and `spill` keep each tag string alive).
ctypedef struct _Tally:
    int used  # -1: more than _TALLY tags, `_Walk.number` numbers its children instead
    PyObject* tags[_TALLY]
    int counts[_TALLY]

cdef enum:  # libxml2's node types
    ELEMENT = 1
    TEXT = 3
    CDATA = 4


class _Unsupported(Exception):
    """A node the compiled walk does not cover (comment, PI, entity, namespaced name)."""


cdef inline str _utf8(const unsigned char* s):
    return PyUnicode_DecodeUTF8(<const char*>s, strlen(<const char*>s), NULL)


cdef str _attr_value(xmlAttr* a):
    """An attribute's value as lxml gives it: its text children joined (one, mostly); an entity
    or other node among them is left to lxml (`_Unsupported`)."""
    cdef xmlNode* t = a.children
    if t is NULL:
        return ""
    if t.next is NULL and t.type == TEXT:
        return _utf8(t.content) if t.content is not NULL else ""
    parts = []
    while t is not NULL:
        if t.type != TEXT:
            raise _Unsupported()
        if t.content is not NULL:
            parts.append(_utf8(t.content))
        t = t.next
    return "".join(parts)


cdef object _href(xmlNode* c):
    """`el.get("href")` of an element: its `href` attribute's value, None without one."""
    cdef xmlAttr* a = c.properties
    while a is not NULL:
        if a.ns is NULL and strcmp(<const char*>a.name, "href") == 0:
            return _attr_value(a)
        a = a.next
    return None


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


cdef inline Py_ssize_t _cue(const char* name) noexcept:
    """Which of `WALK_RULES.cue_attributes` (the attributes `describe` reads) `name` is; -1 for none."""
    cdef Py_ssize_t k
    for k in range(_n_cues):
        if strcmp(name, _cue_names[k]) == 0:
            return k
    return -1


cdef list _cue_items(xmlNode* c):
    """(name, value) of the element's attributes that `_describe` reads, in order, as lxml's
    `el.items()` gives them on an HTML tree (`_describe` skips the others: the same descriptor)."""
    cdef xmlAttr* a = c.properties
    cdef Py_ssize_t k
    out = []
    while a is not NULL:
        if a.ns is not NULL:
            raise _Unsupported()
        k = _cue(<const char*>a.name)
        if k >= 0:
            out.append((_CUE_STRS[k], _attr_value(a)))
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


cdef str _descriptor(str low, xmlNode* c):
    """`describe(low, el.items())` of an element, memoised by its raw tag and cue attributes: a site
    repeats its class and id values on every element of a kind, and on every page."""
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
        if _cue(<const char*>a.name) >= 0:
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
        if len(_DESCRIPTORS) > _memo_limit:  # bounded as `segment.remember` bounds a memo
            _DESCRIPTORS.clear()
        got = _DESCRIPTORS[key] = _describe(low, _cue_items(c))
    return <str>got


# ASCII classes, as `segment.plain_chars` flags them: white space as `str.split` sees it, word
# characters as `\w` matches them.
cdef inline bint _ascii_space(unsigned char c) noexcept:
    return (_plain[c] & _P_SPACE) != 0


cdef inline bint _ascii_word(unsigned char c) noexcept:
    return (_plain[c] & _P_WORD) != 0


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


cdef str _collapsed(const unsigned char* r, Py_ssize_t n, _Buf* scratch):
    """ASCII text with its white space runs collapsed to one space and stripped (`" ".join(
    text.split())`), written in `scratch`."""
    cdef Py_ssize_t i, j = 0
    cdef unsigned char ch
    cdef bint gap = False
    scratch.size = 0
    _reserve(scratch, n)
    cdef char* out = scratch.data
    for i in range(n):
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
    return PyUnicode_DecodeASCII(out, j, NULL)


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
        if f & _P_WORD:
            runs += not inside
            inside = True
        else:
            inside = False
    return runs


cdef object _block(Py_ssize_t index, str xpath, str tag, str text, object words, object link_words, str context,
                   Py_ssize_t depth, object structure):
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
    PyObject_GenericSetAttr(b, "structure", structure)
    return b


cdef class _Walk:
    """The state of one page's walk (see `segment.segment_tree`; same names, same rules)."""

    cdef xmlNode* root
    cdef cetree._Document doc
    cdef bint structure  # record each block's facts for its structure (else none, and no anchor is kept)
    cdef list facts  # per block: `structure.Facts`
    cdef list anchors  # the `<a href>`s with text in the run in progress: [href, start, end (-1: open)], byte offsets in `raw`
    cdef list open_anchors  # per open `<a>`, outermost first: its entry in `anchors`, or None (no href)
    cdef xmlNode** nodes  # open (entered) elements, outermost first
    cdef int* kinds
    cdef int* nums  # each open element's number among its parent's children of its tag (-1: unknown)
    cdef _Tally* tallies  # each open element's children met so far
    cdef Py_ssize_t size, cap
    cdef list tags, descriptors, paths, contexts, owners, rows  # tags (lower case) to contexts: one per open element
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
        self.tags, self.descriptors, self.paths, self.contexts, self.rows, self.recent = [], [], [], [], [], []
        self.owners = [0]  # stack positions (1-based) of open block-level elements; 0: none
        self.position, self.totals = {}, {}
        self.kind_values, self.spill = [], []
        self.anchors, self.open_anchors, self.facts = [], [], []
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
        self.tags.append(low)
        self.descriptors.append(None)
        self.paths.append(None)
        self.contexts.append(None)
        return 0

    cdef tuple kind_of(self, xmlNode* c):
        cdef size_t h = (<size_t>c.name >> 4) & (_SLOTS - 1)
        cdef int _probe
        for _probe in range(_SLOTS):
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
            if t.tags[k] == <PyObject*>low or <str>t.tags[k] == low:
                t.counts[k] += 1
                return t.counts[k]
        if t.used == _TALLY:
            t.used = -1
            return -1
        t.tags[t.used] = <PyObject*>low
        t.counts[t.used] = 1
        t.used += 1
        return 1

    cdef int later(self, xmlNode* c, str low) except -2:
        """1 when a later sibling of `c` has tag `low`, 0 when none has, -1 when the first
        _LOOKAHEAD siblings do not tell."""
        cdef int _sibling
        c = _first_element(c.next)
        for _sibling in range(_LOOKAHEAD):
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
        low = self.tags[at]
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
        cdef Py_ssize_t words, links
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
        text = _collapsed(r, self.raw.size, &self.scratch)
        links = min(words, _word_runs(<const unsigned char*>self.link_raw.data, self.link_raw.size)) if self.has_link else 0
        return (text, words, links)

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
            if f & _P_SPACE:
                gap = j > 0
                inside = False
                continue
            if gap:
                out[j] = 32
                j += 1
                gap = False
            memcpy(out + j, r + start, i - start)
            j += i - start
            if f & _P_WORD:
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

    cdef object found(self):
        """The anchors of the run in progress, as `structure.anchor` makes them (a tuple of (href,
        text); None for none); the anchors still open go on in the next run, from its start
        (`segment.walk_tree`'s `anchors`)."""
        cdef list entry
        cdef Py_ssize_t start, end
        if not self.anchors:
            return None
        cdef const unsigned char* r
        found = []
        for entry in self.anchors:
            start, end = entry[1], entry[2]
            if end < 0:
                end = self.raw.size
            if end <= start:
                continue
            r = <const unsigned char*>self.raw.data + start
            if _is_ascii(r, end - start):  # `structure.anchor`, in C on ASCII as `made` is
                if not _word_runs(r, end - start):
                    continue
                found.append((entry[0], _collapsed(r, end - start, &self.scratch)))
            else:
                made = _anchor(entry[0], PyUnicode_DecodeUTF8(self.raw.data + start, end - start, NULL))
                if made is not None:
                    found.append(made)
        self.anchors = [entry for entry in self.anchors if entry[2] < 0]
        for entry in self.anchors:
            entry[1] = 0
        return tuple(found) if found else None

    cdef int emit(self, Py_ssize_t owner) except -1:
        """The run in progress becomes a block (if it has a word); cleared either way."""
        made = self.made()
        found = self.found() if self.anchors else None
        self.raw.size = self.link_raw.size = 0
        self.has_link = False
        if made is None:
            return 0
        text, words, link_words = made
        if owner:
            xpath, tag = self.xpath(owner - 1), self.tags[owner - 1]
            parent = self.tags[owner - 2] if owner >= 2 else ""
        else:
            xpath, tag, parent = _DOCUMENT_XPATH, _DOCUMENT_TAG, ""
        self.rows.append(_block(len(self.rows), xpath, tag, text, words, link_words, self.context(), self.size, None))
        if not self.structure:
            return 0
        # as `segment.walk_tree`: the structure the tags decide, else what reads it from the owner;
        # then the anchors
        memo = PyDict_GetItem(_TAG_STRUCTURES, (tag, parent))
        structure = <object>memo if memo is not NULL else _tag_structure(tag, parent)
        if structure is not None and found is None:
            self.facts.append(structure)
            return 0
        element = key = None
        if structure is None:
            element = cetree.elementFactory(self.doc, self.nodes[owner - 1]) if owner else None
            if owner >= 2 and tag in _PARENT_KEYED:  # read once per parent element
                key = <size_t>self.nodes[owner - 2]
        self.facts.append((structure, element, tag, parent, key, found))
        return 0

    cdef str context(self):
        """`" ".join` of the open elements' descriptors, kept per stack level (each level's extends
        its parent's). `recent` keeps the last string made at each level, after its element
        closed: a sibling with the same descriptor under the same parent reuses it, so the blocks
        of a list or a menu share one context string (and its hash)."""
        cdef Py_ssize_t i = self.size - 1, top = self.size
        cdef list descriptors = self.descriptors, contexts = self.contexts, recent = self.recent
        cdef tuple r
        if i < 0:
            return ""
        while i >= 0 and contexts[i] is None:
            i -= 1
        context = contexts[i] if i >= 0 else None
        while len(recent) < top:
            recent.append(None)
        for i in range(i + 1, top):
            descriptor = descriptors[i]
            if descriptor is None:
                descriptor = descriptors[i] = _descriptor(self.tags[i], self.nodes[i])
            r = <tuple>recent[i]
            if r is not None and r[0] is context and r[1] is descriptor:
                context = r[2]
            else:
                made = descriptor if context is None else f"{context} {descriptor}"
                recent[i] = (context, descriptor, made)
                context = made
            contexts[i] = context
        return context

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
        if kind >= _K_BREAK:
            if kind == _K_BREAK and self.has_text:
                self.emit(self.owners[-1])
                self.has_text = False
            return False
        if kind >= _K_BLOCK:
            if self.has_text:
                self.emit(self.owners[-1])
                self.has_text = False
            self.owners.append(self.size + 1)
            if kind == _K_PRE:
                self.pre += 1
        elif kind == _K_LINK:
            self.link += 1
            if self.structure:
                href = _href(c)
                if href is None:
                    self.open_anchors.append(None)
                else:
                    entry = [href, self.raw.size, -1]
                    self.anchors.append(entry)
                    self.open_anchors.append(entry)
        self.push(c, kind, kind_low[1], num)
        self.text(c.children)
        return True

    cdef int end(self, xmlNode* c) except -1:
        cdef int kind
        if self.size and self.nodes[self.size - 1] == c:
            kind = self.kinds[self.size - 1]
            if kind >= _K_BLOCK:
                if self.has_text:
                    self.emit(self.owners[-1])
                    self.has_text = False
                self.owners.pop()
                if kind == _K_PRE:
                    self.pre -= 1
            elif kind == _K_LINK:
                self.link -= 1
                if self.structure:
                    entry = self.open_anchors.pop()
                    if entry is not None:
                        (<list>entry)[2] = self.raw.size
            self.size -= 1
            self.tags.pop()
            self.descriptors.pop()
            self.paths.pop()
            self.contexts.pop()
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


cdef _Walk _walked(cetree._Element root, bint structure):
    """The walk of `root` (None when the tree holds nodes it does not cover)."""
    if not _bound:
        _bind()
    cdef _Walk w = _Walk()
    w.root = root._c_node
    if w.root.type != ELEMENT or w.root.ns is not NULL:
        return None
    w.doc = root._doc
    w.structure = structure
    try:
        w.run()
    except _Unsupported:
        return None
    return w


def segment_tree(cetree._Element root, url=None, bint structure=True):
    """`segment.segment_tree` for a tree of lxml's HTML parser; None when the tree holds nodes the
    compiled walk does not cover (the caller then walks it in Python). `structure`: read each
    block's structure (`segment.segment_html`)."""
    cdef _Walk w = _walked(root, structure)
    if w is None:
        return None
    if structure:
        reader = _Reader(root, url, w.facts)
        for i, b in enumerate(w.rows):
            f = w.facts[i]  # a structure where the tags decide it and the block has no link
            PyObject_GenericSetAttr(b, "structure", reader.read(i) if type(f) is tuple else f)
    return w.rows


def segment_tree_later(cetree._Element root, url=None):
    """`segment.segment_tree_later` for a tree of lxml's HTML parser: the blocks without their
    structure and its reader; None as `segment_tree`."""
    cdef _Walk w = _walked(root, True)
    if w is None:
        return None
    return w.rows, _Reader(root, url, w.facts)
