"""`boilerbench.extract`, the library call: a page's bytes decoded as `clean` decodes a file
(windows-1251 and Shift_JIS pages, gzip), the kept text and the blocks of one classification, the
CLI printing what the library returns, and an import that loads neither the benchmark nor
scikit-learn."""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from threadpoolctl import threadpool_limits

from boilerbench import ExtractedBlock, cli, extract
from boilerbench.core.categories import BOILERPLATE_CATEGORIES, CONTENT_CATEGORIES
from boilerbench.core.segment import segment_html, segment_text
from boilerbench.core.text import BinaryInputError
from boilerbench.core.types import BOILERPLATE, CONTENT, PAGE_TYPES
from boilerbench.extractor.classifier import shipped
from boilerbench.extractor.extract import classify
from tests.conftest import RealPage

REPO = Path(__file__).resolve().parents[1]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64 + b"IHDR" + b"\x00" * 64


@pytest.fixture(scope="module", autouse=True)
def _one_thread() -> Iterator[None]:
    with threadpool_limits(limits=1):
        yield


@pytest.mark.parametrize(("fixture", "charset"), [("gto_windows_1251", "windows-1251"), ("lhpat_shift_jis", "shift_jis")])
def test_legacy_charset_bytes_are_decoded_as_clean_decodes_them(
    fixture: str, charset: str, request: pytest.FixtureRequest, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A Russian page in windows-1251 and a Japanese one in Shift_JIS, given as bytes: the same
    kept text as the decoded page (not the mojibake of reading them as UTF-8), the gold's first
    paragraph in it, and what `clean` prints for the file, gzipped or not."""
    rp: RealPage = request.getfixturevalue(fixture)
    with pytest.raises(UnicodeDecodeError):
        rp.data.decode("utf-8")
    text = extract(rp.data, rp.page.url)
    assert text == extract(rp.data.decode(charset)) and "\ufffd" not in text
    assert rp.gold.text is not None
    first = next(p.strip() for p in rp.gold.text.splitlines() if p.strip())
    assert first in text.splitlines()
    assert extract(gzip.compress(rp.data)) == text
    path = tmp_path / "page.html"
    path.write_bytes(rp.data)
    assert cli.main(["clean", str(path)]) == 0
    assert capsys.readouterr().out == text + "\n"


def test_blocks_are_the_classifiers_decisions(jefftk: RealPage) -> None:
    """`output="blocks"`: every block of the page in order, with the shipped model's decision and
    score, a category of its label's kind, the page's predicted type and the url given; the kept
    text is the content blocks."""
    url = jefftk.page.url
    blocks = extract(jefftk.data, url, output="blocks")
    page = segment_html(jefftk.data)
    decided = shipped("html").decide(page)
    assert all(isinstance(b, ExtractedBlock) for b in blocks)
    assert [(b.index, b.text) for b in blocks] == [(b.index, b.text) for b in page]
    assert [b.label == CONTENT for b in blocks] == decided.kept and 0 < sum(decided.kept) < len(page)
    assert [b.score for b in blocks] == decided.scores.tolist()
    assert {(b.page_type, b.url) for b in blocks} == {(decided.page_type, url)} and decided.page_type in PAGE_TYPES
    for b in blocks:
        assert b.category in (CONTENT_CATEGORIES if b.label == CONTENT else BOILERPLATE_CATEGORIES)
    assert extract(jefftk.data, url) == "\n".join(b.text for b in blocks if b.label == CONTENT)
    assert {b.label for b in blocks} == {CONTENT, BOILERPLATE}


def test_a_crawls_text_dump_is_read_line_by_line(vietnam_bytes: bytes) -> None:
    """A text page is detected as such and decided by the text model, one block per line."""
    d = classify(vietnam_bytes)
    assert d.page_format == "text" and d.blocks == segment_text(vietnam_bytes)
    assert extract(vietnam_bytes) == extract(vietnam_bytes, page_format="text") == d.text
    lines = d.text.splitlines()
    assert lines and "No data" not in lines and "Komentar (0)" not in lines


def test_empty_and_binary_pages() -> None:
    """An empty page keeps nothing; bytes that are no text document are an error naming the url."""
    assert extract(b"") == extract(" \n ") == ""
    assert extract(b"", output="blocks") == []
    with pytest.raises(BinaryInputError, match=re.escape("https://example.org/logo: input looks binary")):
        extract(PNG, "https://example.org/logo")


def test_the_cli_and_the_library_give_the_same_blocks(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, lhpat_shift_jis: RealPage
) -> None:
    """`clean --format jsonl` writes `extract`'s blocks: the same decisions, the score rounded."""
    path = tmp_path / "page.html"
    path.write_bytes(lhpat_shift_jis.data)
    assert cli.main(["clean", "--format", "jsonl", str(path)]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    blocks = extract(lhpat_shift_jis.data, output="blocks")
    assert rows == [{"path": str(path), **b.json_row()} for b in blocks]
    assert [r["score"] for r in rows] == [round(b.score, 4) for b in blocks]


# What a fresh interpreter has loaded after `import boilerbench`, after `from boilerbench import
# extract`, and after a first call on a page (its bytes on stdin).
_LOADED = """import json, sys
loaded = []
import boilerbench
loaded.append(sorted(sys.modules))
from boilerbench import extract
loaded.append(sorted(sys.modules))
extract(sys.stdin.buffer.read())
loaded.append(sorted(sys.modules))
print(json.dumps(loaded))
"""
HEAVY = ("numpy", "lxml", "sklearn", "skops", "scipy")


def _packages(modules: list[str], packages: tuple[str, ...]) -> list[str]:
    """The modules that are one of `packages` or inside one."""
    return [m for m in modules if m in packages or m.startswith(tuple(p + "." for p in packages))]


def test_importing_extract_loads_no_benchmark_and_nothing_heavy(jefftk: RealPage) -> None:
    """`import boilerbench` loads the package alone; `from boilerbench import extract` loads no
    benchmark or integration module and neither lxml, numpy nor scikit-learn (they load on the
    first call); and a call, models and all, still loads no benchmark or integration module."""
    done = subprocess.run(
        [sys.executable, "-c", _LOADED], cwd=REPO, input=jefftk.data, capture_output=True, check=False, timeout=300
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    package, imported, called = json.loads(done.stdout)
    assert [m for m in package if m.startswith("boilerbench")] == ["boilerbench"]
    assert _packages(package, HEAVY) == []
    assert _packages(imported, HEAVY) == []
    forbidden = ("boilerbench.benchmark", "boilerbench.integrations")
    assert _packages(imported, forbidden) == [] and _packages(called, forbidden) == []
    assert "boilerbench.extractor.extract" in imported and "sklearn" in called  # the call did load the model
