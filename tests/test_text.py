"""text.tokenize (the one tokeniser) and text.decode_bytes (the one decoder)."""

from __future__ import annotations

import codecs

import pytest

from boilerbench.core.text import BinaryInputError, decode_bytes, has_word, looks_binary, normalize_space, tokenize

# --- tokenize ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("Hello, WORLD!", ["hello", "world"]),
        # case folding is casefold(), not lower(): ß folds to ss, so both spellings align
        ("Straße STRASSE", ["strasse", "strasse"]),
        ("ÜBERSICHT Übersicht übersicht", ["übersicht"] * 3),
        # NFKC: ligatures, full-width letters and circled digits become plain tokens
        ("ﬁnal ＡＢＣ ①", ["final", "abc", "1"]),
        # composed and decomposed accents give the same token
        ("cafe\u0301 café", ["café", "café"]),
        # punctuation is dropped, word characters inside tokens are split on it
        ("— a/b; (c) «d» … don't", ["a", "b", "c", "d", "don", "t"]),
        ("Báo Thanh niên01/11/2024", ["báo", "thanh", "niên01", "11", "2024"]),
        ("", []),
        ("  ...!!! — • | ", []),
    ],
)
def test_tokenize(text: str, tokens: list[str]) -> None:
    assert tokenize(text) == tokens


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("话剧《约定无期限》", list("话剧约定无期限")),
        # digits between ideographs stay one token; ideographs are one token each
        ("河北农大果树93(01)班", ["河", "北", "农", "大", "果", "树", "93", "01", "班"]),
        ("ひらがなカタカナ", list("ひらがなカタカナ")),
        ("ภาษาไทย", list("ภาษาไทย")),
        ("Toyota の新型SUV", ["toyota", "の", "新", "型", "suv"]),
    ],
)
def test_tokenize_cjk_per_character(text: str, tokens: list[str]) -> None:
    assert tokenize(text) == tokens


def test_tokenize_real_chinese_snippet_is_one_token_per_ideograph(xinhuanet) -> None:
    snippet = xinhuanet.gold.with_snippets[0]  # "一个约定，信守15年，感人至深；一段真情，延续15年"
    toks = tokenize(snippet)
    assert toks[:4] == ["一", "个", "约", "定"]
    assert "15" in toks
    ideographs = [c for c in snippet if "\u4e00" <= c <= "\u9fff"]
    assert len(toks) == len(ideographs) + snippet.count("15")


def test_tokenize_is_stable_under_renormalisation() -> None:
    text = "Ｆｕｌｌ-width ﬁ Straße 话剧 Ǆ"
    assert tokenize(text) == tokenize(" ".join(tokenize(text)))


def test_has_word_and_normalize_space() -> None:
    assert has_word("— 1 —") and has_word("话") and not has_word(" | • — ")
    assert normalize_space("  a \n\t b\u00a0 c  ") == "a b c"
    assert normalize_space("one\n   two  three\n\n\nfour ", keep_newlines=True) == "one\ntwo three\nfour"


# --- decode_bytes ------------------------------------------------------------------------------


def test_decode_utf8_real_text(vietnam_bytes: bytes) -> None:
    text = decode_bytes(vietnam_bytes)
    assert text == vietnam_bytes.decode("utf-8")
    assert "Vietnam.vn - Nền tảng quảng bá Việt Nam" in text


def test_decode_strips_utf8_bom(vietnam_bytes: bytes) -> None:
    text = decode_bytes(codecs.BOM_UTF8 + vietnam_bytes)
    assert not text.startswith("\ufeff")
    assert text == vietnam_bytes.decode("utf-8")


@pytest.mark.parametrize(("bom", "codec"), [(codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")])
def test_decode_utf16_with_bom(bom: bytes, codec: str) -> None:
    html = "<html><body><p>Nền tảng quảng bá Việt Nam</p></body></html>"
    data = bom + html.encode(codec)
    assert not looks_binary(data)  # half the bytes are NULs, but the BOM says text
    assert decode_bytes(data) == html


def test_decode_declared_windows_1252_real_page(autopresse) -> None:
    """auto-presse.de declares windows-1252 and is not UTF-8."""
    with pytest.raises(UnicodeDecodeError):
        autopresse.data.decode("utf-8")
    text = decode_bytes(autopresse.data)
    assert "\ufffd" not in text
    assert "Den Vortrieb übernimmt immer der 1,5-Liter-Hybridantrieb" in text
    assert "Bußgeldrechner" in text


def test_decode_declared_gb2312_real_page(xinhuanet) -> None:
    text = decode_bytes(xinhuanet.data)
    assert "话剧《约定无期限》河北各市巡演结束" in text
    for snippet in xinhuanet.gold.with_snippets[:2]:
        assert snippet in text


# Strings from real pages of the bundled corpus that declare a single-byte charset
# (trafeval-0064 and trafeval-0565), as their own bytes.
_DECLARED = [
    (
        b'<html><head><meta charset="iso-8859-1"></head><body><p>Zur\xfcck zur \xdcbersicht</p></body></html>',
        "Zurück zur Übersicht",
    ),
    (
        b'<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1252"></head>'
        b"<body><title>Bundesliga: Dortmund - M\xf6nchengladbach live</title></body></html>",
        "Dortmund - Mönchengladbach live",
    ),
]


@pytest.mark.parametrize(("data", "expected"), _DECLARED)
def test_decode_declared_single_byte_charset(data: bytes, expected: str) -> None:
    text = decode_bytes(data)
    assert expected in text
    assert "\ufffd" not in text


def test_decode_declared_latin1_real_corpus_page(real_page) -> None:
    rp = real_page("trafeval-0790")
    text = decode_bytes(rp.data)
    assert "\ufffd" not in text
    assert "Darüber diskutieren Experten seit gestern" in text


def test_decode_declared_charset_when_many_non_ascii() -> None:
    """With enough non-ASCII bytes the declared single-byte charset is used."""
    data = b'<meta charset="iso-8859-1"><p>' + b"Gr\xfc\xdfe aus M\xfcnchen, sch\xf6ne \xc4pfel. " * 20 + b"</p>"
    text = decode_bytes(data)
    assert text.count("Grüße aus München, schöne Äpfel.") == 20
    assert "\ufffd" not in text


def test_decode_iso_8859_1_label_means_windows_1252(real_page) -> None:
    text = decode_bytes(real_page("trafeval-0038").data)
    assert not any("\x80" <= ch <= "\x9f" for ch in text)
    assert "Ich bin Du – und Du schaust zu" in text


def test_decode_stray_bytes_in_utf8_are_replaced_not_fatal(vietnam_bytes: bytes) -> None:
    cut = vietnam_bytes.index(b"Komentar (0)")
    data = vietnam_bytes[:cut] + b"\xff" + vietnam_bytes[cut:]
    text = decode_bytes(data)
    assert "\ufffdKomentar (0)" in text
    # the rest of the page is still read as UTF-8, not as a single-byte charset (no mojibake)
    assert "Vietnam.vn - Nền tảng quảng bá Việt Nam" in text


def test_decode_real_utf8_page_with_stray_bytes(real_page) -> None:
    """trafeval-0068 declares UTF-8 and has 3 stray Latin-1 bytes; its umlauts must survive."""
    rp = real_page("trafeval-0068")
    text = decode_bytes(rp.data)
    assert "So schön winterlich ist es wie" in text
    assert "Ã" not in text


@pytest.mark.parametrize(
    "data",
    [
        b'<meta charset="us-ascii"><p>caf\xe9 \xff\xfe ok</p>',
        b'<meta charset="x-no-such-charset"><p>caf\xe9 \x81\x8d ok</p>',
        b"<p>" + bytes(range(0x80, 0x100)) + b" ok</p>",
    ],
)
def test_decode_bad_bytes_never_fatal(data: bytes) -> None:
    text = decode_bytes(data)
    assert isinstance(text, str)
    assert "ok</p>" in text


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + b"\x00" * 200,
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!",
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01",
        b"PK\x03\x04\x14\x00\x00\x00\x08\x00",
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03",
        b"\x7fELF\x02\x01\x01\x00",
        b"<html>" + b"\x00\x01\x02\x03" * 500,  # NUL-heavy, no magic
    ],
)
def test_decode_binary_raises(data: bytes) -> None:
    assert looks_binary(data)
    with pytest.raises(BinaryInputError):
        decode_bytes(data)
    assert issubclass(BinaryInputError, ValueError)


def test_a_few_nuls_do_not_make_a_page_binary(vietnam_bytes: bytes) -> None:
    data = vietnam_bytes.replace(b"No data", b"No\x00data", 1)
    assert not looks_binary(data)
    assert "Komentar (0)" in decode_bytes(data)
