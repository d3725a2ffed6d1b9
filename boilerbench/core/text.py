"""Text primitives shared by the segmenter, the aligner and the scorers: one tokeniser, one decoder.

Gold text and block text must be tokenised the same way or alignment drifts, so there is exactly one
`tokenize` in the project.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections import Counter

# Scripts written without spaces between words: each character is a token, so that Chinese or
# Japanese gold aligns character by character instead of as one sentence-long "word".
_CJK = (
    "\u3040-\u30ff"  # hiragana, katakana
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # CJK ideographs
    "\u0e00-\u0e7f"  # Thai
)
_CJK_RE = re.compile(f"([{_CJK}])")
_WORD_RE = re.compile(r"\w+")
_HAS_WORD_RE = re.compile(r"\w")
_SPACE_RE = re.compile(r"\s+")
_INLINE_SPACE_RE = re.compile(r"[^\S\n]+")


SENT_END_CHARS = ".!?。！？…"
CLOSERS = "\"'”’»)"


def ends_sentence(text: str) -> bool:
    """Ends with a sentence end, closing quotes and brackets aside."""
    last = text.rstrip(CLOSERS)[-1:]
    return last != "" and last in SENT_END_CHARS


def tokenize(text: str) -> list[str]:
    """Lower-cased, NFKC-normalised word tokens; punctuation dropped; CJK split per character."""
    text = unicodedata.normalize("NFKC", text).casefold()
    if _CJK_RE.search(text):
        text = _CJK_RE.sub(r" \1 ", text)
    return _WORD_RE.findall(text)


def has_word(text: str) -> bool:
    return _HAS_WORD_RE.search(text) is not None


def normalize_space(text: str, keep_newlines: bool = False) -> str:
    """Collapse white space runs to one space (or keep line breaks, for `pre` and text pages)."""
    if not keep_newlines:
        return _SPACE_RE.sub(" ", text).strip()
    lines = (_INLINE_SPACE_RE.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


class BinaryInputError(ValueError):
    """Raised for bytes that are not a text document (images, archives, executables)."""


_META_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.I)
_BINARY_MAGIC = (
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",
    b"PK\x03\x04",
    b"%PDF",
    b"\x1f\x8b",
    b"\x7fELF",
    b"\xfd7zXZ\x00",
    b"BZh",
    b"\x28\xb5\x2f\xfd",
    b"7z\xbc\xaf",
    b"RIFF",
    b"OggS",
    b"ID3",
    b"wOFF",
    b"wOF2",
    b"SQLite format 3\x00",
)
# C0 controls that no text document is made of (tab, new lines, form feed and escape aside).
_CONTROLS = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 27)) + b"\x7f"


def looks_binary(data: bytes) -> bool:
    """Magic numbers of common binary formats, NUL bytes (beyond UTF-16 with a BOM), or more than
    1% control bytes in the first 8 KB (random bytes, which compressed or encrypted data resemble,
    hit `_CONTROLS` `len(_CONTROLS)` times in 256)."""
    head = data[:8192]
    if head.startswith(_BINARY_MAGIC):
        return True
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    if head.count(b"\x00") > max(1, len(head) // 100):
        return True
    return len(head) - len(head.translate(None, _CONTROLS)) > max(2, len(head) // 100)


# What browsers (WHATWG Encoding) decode these labels as: latin-1 pages use cp1252's 0x80–0x9F.
_LABEL_ALIASES = {
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "gb2312": "gb18030",
    "gbk": "gb18030",
}


def _declared_codec(data: bytes) -> str | None:
    m = _META_CHARSET_RE.search(data[:4096])
    if not m:
        return None
    return _codec(m.group(1).decode("ascii", "ignore"))


def _codec(label: str) -> str | None:
    label = _LABEL_ALIASES.get(label.lower(), label.lower())
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def decode_bytes(data: bytes, transport_charset: str | None = None) -> str:
    """Bytes of a web page → text: BOM, then the charset the transport declared (an HTTP header),
    then UTF-8, then the page's declared charset, then detection.

    Undecodable bytes are replaced, never fatal; non-text input raises `BinaryInputError`.
    """
    if looks_binary(data):
        raise BinaryInputError("input looks binary (not an HTML or text document)")
    for bom, enc in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            return data[len(bom) :].decode(enc, errors="replace")
    codec = _codec(transport_charset) if transport_charset else None
    if codec is not None:
        return data.decode(codec, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = _declared_codec(data)
    if declared is None or declared == "utf-8":
        # Declared UTF-8 (or nothing declared) with a few stray bytes — a truncated capture, one
        # mis-encoded widget — stays UTF-8 rather than turning into Latin-1 mojibake.
        text = data.decode("utf-8", errors="replace")
        if declared == "utf-8" or text.count("\ufffd") <= max(3, len(text) // 1000):
            return text
    else:
        return data.decode(declared, errors="replace")
    from charset_normalizer import from_bytes  # ~20 ms that the CLI's start and most pages do without

    best = from_bytes(data[:200_000]).best()
    if best is not None:
        return data.decode(best.encoding, errors="replace")
    return data.decode("cp1252", errors="replace")


_WCXB_WORD_RE = re.compile(r"\w+")


def to_utf8(text: str) -> bytes:
    """`text` as UTF-8; a lone surrogate (a careless decoder's) becomes U+FFFD, as bad bytes do."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace").encode("utf-8")


def bag_of_words(text: str) -> Counter[str]:
    """Word multiset exactly as WCXB's published metric counts it: lower-cased `\\w+` tokens."""
    return Counter(_WCXB_WORD_RE.findall(text.lower()))


def text_table(rows: list[list[str]], left: int = 1) -> list[str]:
    """Rows of cells as aligned console lines: the first `left` columns left-aligned, the rest
    right-aligned, a rule under the header row."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) if i < left else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return lines
