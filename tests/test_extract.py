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
from boilerbench.benchmark.labels import label_page
from boilerbench.core.categories import BOILERPLATE_CATEGORIES, CONTENT_CATEGORIES, categorize
from boilerbench.core.segment import segment_html, segment_text
from boilerbench.core.text import BinaryInputError
from boilerbench.core.types import (
    BOILERPLATE,
    CATEGORY_GROUP_NAMES,
    CATEGORY_MODEL_FORMATS,
    COMMENTS_GROUP,
    CONTENT,
    GROUP_OF,
    METADATA_GROUP,
    OVERRULED_GROUPS,
    PAGE_TYPES,
)
from boilerbench.extractor.classifier import shipped, shipped_categories
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
    """`output="blocks"`: every block of the page in order, with the shipped models' decision (the
    classifier's, the comments the category model calls so dropped) and the classifier's score, a category of its label's kind, the page's predicted type and the url given; the kept
    text is the content blocks."""
    url = jefftk.page.url
    blocks = extract(jefftk.data, url, output="blocks")
    page = segment_html(jefftk.data)
    decided = shipped("html").decide(page)
    assert all(isinstance(b, ExtractedBlock) for b in blocks)
    assert [(b.index, b.text) for b in blocks] == [(b.index, b.text) for b in page]
    categories = shipped_categories("html")
    kept = categories.overrule(decided.rows, decided.kept, decided.page_type, categories.overrule_thresholds)
    assert [b.label == CONTENT for b in blocks] == kept and 0 < sum(kept) < len(page)
    assert [b.score for b in blocks] == decided.scores.tolist()
    assert {(b.page_type, b.url) for b in blocks} == {(decided.page_type, url)} and decided.page_type in PAGE_TYPES
    for b in blocks:
        assert b.rule_category in (CONTENT_CATEGORIES if b.label == CONTENT else BOILERPLATE_CATEGORIES)
    assert [b.category for b in blocks] == shipped_categories("html").groups(decided.rows, decided.page_type)
    assert {b.category for b in blocks} <= set(CATEGORY_GROUP_NAMES) and len({b.category for b in blocks}) > 2
    assert extract(jefftk.data, url) == "\n".join(b.text for b in blocks if b.label == CONTENT)
    assert {b.label for b in blocks} == {CONTENT, BOILERPLATE}


def test_comment_threads_are_dropped_on_articles(real_page) -> None:
    """A news article with a long reader discussion the classifier keeps (trafeval-0366,
    trafilatura-eval validation: never trained on). The category model drops the kept blocks it
    calls comments (above the threshold `train` chose, in its record): most of the thread the labels
    call comments and nothing outside it; `keep=("comments",)` brings them back. What it drops it
    drops as a group `types.OVERRULED_GROUPS` lets overrule on the page's type: comments never on a
    forum, whose posts are its content, bylines only on articles; without thresholds, nothing."""
    rp = real_page("trafeval-0366")
    categories = shipped_categories("html")
    thresholds = categories.overrule_thresholds
    assert COMMENTS_GROUP in thresholds
    page = segment_html(rp.data)
    decided = shipped("html").decide(page)
    blocks = extract(rp.data, output="blocks")
    thread = {i for i, b in enumerate(label_page(rp.page, rp.data, rp.gold).blocks) if b.category == "comments"}
    kept_thread = {i for i in thread if decided.kept[i]}
    dropped = {i for i, (k, b) in enumerate(zip(decided.kept, blocks)) if k and b.label == BOILERPLATE}
    as_comments = {i for i in dropped if blocks[i].category == COMMENTS_GROUP}
    assert decided.page_type == "article" and len(kept_thread) >= 100
    assert len(as_comments & kept_thread) >= 0.8 * len(kept_thread) and as_comments <= thread
    assert {blocks[i].category for i in dropped} <= {g for g in thresholds if "article" in OVERRULED_GROUPS[g]}
    assert [b.label == CONTENT for b in blocks] == categories.overrule(decided.rows, decided.kept, decided.page_type, thresholds)
    assert not any(b.label == CONTENT and not k for b, k in zip(blocks, decided.kept))  # it only drops
    back = extract(rp.data, output="blocks", keep=("comments",))
    assert all(back[i].label == CONTENT for i in as_comments)
    everything = {COMMENTS_GROUP: 0.0}  # every kept row has some comment probability
    assert not any(categories.overrule(decided.rows, decided.kept, decided.page_type, everything))
    assert categories.overrule(decided.rows, decided.kept, "forum", everything) == decided.kept
    assert categories.overrule(decided.rows, decided.kept, "product", {METADATA_GROUP: 0.0}) == decided.kept
    assert categories.overrule(decided.rows, decided.kept, decided.page_type, {}) == decided.kept


def test_keep_comments_adds_the_thread(real_page, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A travel blog post with a long comment thread (wcxb-4085, WCXB validation: never trained on).
    The classifier drops the thread; `keep=("comments",)` keeps, besides, exactly the dropped blocks
    the category model calls comments, and they are most of the thread the gold calls comments and
    nothing outside it; `clean --keep comments` writes the same text and rows."""
    rp = real_page("wcxb-4085")
    gold = label_page(rp.page, rp.data, rp.gold).blocks
    default = extract(rp.data, output="blocks")
    with_comments = extract(rp.data, output="blocks", keep=("comments",))
    assert [b.text for b in default] == [b.block.text for b in gold]
    thread = {i for i, b in enumerate(gold) if b.category == "comments"}
    assert len(thread) >= 50 and not any(default[i].label == CONTENT for i in thread)
    added = {i for i, (a, b) in enumerate(zip(default, with_comments)) if a.label != b.label}
    assert added == {i for i, b in enumerate(default) if b.label == BOILERPLATE and b.category == "comments"}
    assert all(with_comments[i].label == CONTENT for i in added)
    # most of the thread, and nothing outside it (within it the model also takes each comment's
    # date line, which the rules call metadata)
    assert len(added & thread) >= 0.8 * len(thread) and min(thread) <= min(added) <= max(added) <= max(thread)
    # only the decisions differ: the score and both categories are the block's whatever `keep` asks
    assert [(b.score, b.category, b.rule_category) for b in with_comments] == [
        (b.score, b.category, b.rule_category) for b in default
    ]
    text = extract(rp.data, keep=("comments",))
    d = classify(rp.data, keep=("comments",))
    assert d.text == text != extract(rp.data) and d.kept == [b.label == CONTENT for b in with_comments]
    assert all(with_comments[i].text in text for i in added)
    path = tmp_path / "page.html"
    path.write_bytes(rp.data)
    assert cli.main(["clean", "--keep", "comments", str(path)]) == 0
    assert capsys.readouterr().out == text + "\n"
    assert cli.main(["clean", "--keep", "comments", "--format", "jsonl", str(path)]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rows == [{"path": str(path), **b.json_row()} for b in with_comments]


def test_a_crawls_text_dump_is_read_line_by_line(vietnam_bytes: bytes) -> None:
    """A text page is detected as such and decided by the text model, one block per line."""
    d = classify(vietnam_bytes)
    assert d.page_format == "text" and d.blocks == segment_text(vietnam_bytes)
    assert extract(vietnam_bytes) == extract(vietnam_bytes, page_format="text") == d.text
    lines = d.text.splitlines()
    assert lines and "No data" not in lines and "Komentar (0)" not in lines
    # no category model for text (types.CATEGORY_MODEL_FORMATS): the rules' groups, given the decisions
    blocks = extract(vietnam_bytes, output="blocks")
    rules = categorize(d.blocks, [CONTENT if k else BOILERPLATE for k in d.kept])
    assert [b.category for b in blocks] == [GROUP_OF[c] for c in rules] and [b.rule_category for b in blocks] == rules
    assert "text" not in CATEGORY_MODEL_FORMATS


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


@pytest.mark.parametrize("fixture", ["jefftk", "autopresse", "xinhuanet", "gto_windows_1251"])
def test_text_paths_read_no_structure_and_keep_the_same_text(fixture: str, request: pytest.FixtureRequest) -> None:
    """`extract(output="text")`, `clean` (text, jsonl) and `output="blocks"` segment without the
    blocks' structure, which none of them shows: the same text, rows and blocks as a classification
    that read it; Markdown reads it, and refuses a classification without it."""
    from boilerbench.extractor.clean import clean_bytes

    rp: RealPage = request.getfixturevalue(fixture)
    url = rp.page.url
    full = classify(rp.data, "html", url=url)
    bare = classify(rp.data, "html", url=url, structure=False)
    assert all(b.structure is not None for b in full.blocks) and all(b.structure is None for b in bare.blocks)
    assert bare.scores == full.scores and bare.kept == full.kept
    assert extract(rp.data, url, output="text") == bare.text == full.text
    assert extract(rp.data, url, output="blocks") == bare.extracted_blocks() == full.extracted_blocks()
    for output in ("text", "jsonl"):
        assert clean_bytes(rp.data, "html", output, name="p") == clean_bytes_with_structure(rp.data, output)
    assert extract(rp.data, url, output="markdown") == full.markdown
    with pytest.raises(ValueError, match="structure was not read"):
        bare.markdown  # noqa: B018
    later = classify(rp.data, "html", url=url, structure="later")  # what writes Markdown asks for
    assert all(b.structure is None for b in later.blocks) and later.kept == full.kept
    assert later.markdown == full.markdown and later.text == full.text
    with pytest.raises(ValueError, match="structure must be"):
        classify(rp.data, "html", structure="soon")  # type: ignore[arg-type]


def clean_bytes_with_structure(data: bytes, output: str) -> str:
    """`clean_bytes` as it was before it turned structure off: classify reading it."""
    d = classify(data, "html", name="p")
    if output == "text":
        return d.text
    return "\n".join(json.dumps({"path": "p", **b.json_row()}, ensure_ascii=False) for b in d.extracted_blocks())
