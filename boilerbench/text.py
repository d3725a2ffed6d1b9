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
_BINARY_MAGIC = (b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"PK\x03\x04", b"%PDF", b"\x1f\x8b", b"\x7fELF")


def looks_binary(data: bytes) -> bool:
    head = data[:8192]
    if head.startswith(_BINARY_MAGIC):
        return True
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    return head.count(b"\x00") > max(1, len(head) // 100)


def decode_bytes(data: bytes) -> str:
    """Bytes of a web page → text: BOM, then declared charset, then UTF-8, then detection.

    Undecodable bytes are replaced, never fatal; non-text input raises `BinaryInputError`.
    """
    if looks_binary(data):
        raise BinaryInputError("input looks binary (not an HTML or text document)")
    for bom, enc in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            return data[len(bom):].decode(enc, errors="replace")
    m = _META_CHARSET_RE.search(data[:4096])
    declared = m.group(1).decode("ascii", "ignore").lower() if m else None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        # A few stray bytes in a UTF-8 page (a truncated capture, one mis-encoded widget) should
        # not turn the whole page into Latin-1 mojibake.
        text = data.decode("utf-8", errors="replace")
        if text.count("\ufffd") <= max(3, len(text) // 1000):
            return text
    if declared:
        try:
            codecs.lookup(declared)
            if declared.replace("-", "").replace("_", "") not in ("utf8",):
                return data.decode(declared, errors="replace")
        except LookupError:
            pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000]).best()
    if best is not None:
        return data.decode(best.encoding, errors="replace")
    return data.decode("cp1252", errors="replace")


_WCXB_WORD_RE = re.compile(r"\w+")


def bag_of_words(text: str) -> Counter[str]:
    """Word multiset exactly as WCXB's published metric counts it: lower-cased `\\w+` tokens."""
    return Counter(_WCXB_WORD_RE.findall(text.lower()))
