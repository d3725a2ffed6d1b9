"""`python -m boilerbench clean` through cli.main: HTML and text pages, files, folders, globs and
stdin, text and JSONL output, and the error cases (empty, binary, missing input)."""

from __future__ import annotations

import gzip
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from boilerbench import cli
from boilerbench.core.categories import BOILERPLATE_CATEGORIES, CONTENT_CATEGORIES
from boilerbench.core.segment import segment_html, segment_text
from boilerbench.core.text import decode_bytes, to_utf8
from boilerbench.core.types import OVERRULED_GROUPS, PAGE_TYPES
from boilerbench.extractor.classifier import shipped, shipped_categories
from boilerbench.extractor.clean import FOLDER_SUFFIXES
from boilerbench.extractor.extract import classify

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REPO = Path(__file__).resolve().parents[1]
JEFFTK = FIXTURES / "wcxb-0495-jefftk.html"
VIETNAM = FIXTURES / "vietnam-vn-news-id.txt"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64 + b"IHDR" + b"\x00" * 64


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    """One OpenMP thread for the gradient boosting (forked workers inherit it): small inputs are
    faster that way, and a busy second core cannot stall every prediction."""
    with threadpool_limits(limits=1):
        yield


def _clean(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(["clean", *args])
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def _gold_paragraphs(rp) -> list[str]:
    return [p.strip().removeprefix("- ") for p in rp.gold.text.split("\n\n") if p.strip()]


@pytest.mark.parametrize("path", [JEFFTK, VIETNAM])
@pytest.mark.parametrize("page_format", ["auto", "html", "text"])
def test_classify_utf8_bytes_as_the_str(path: Path, page_format: str) -> None:
    """What the datatrove step sends its sandbox: the decoded page as UTF-8 bytes, classified
    without decoding them back (`utf8=True`): the same blocks and decisions as the str."""
    text = decode_bytes(path.read_bytes())
    a, b = classify(text, page_format), classify(to_utf8(text), page_format, utf8=True)
    assert (a.page_format, a.blocks, a.kept) == (b.page_format, b.blocks, b.kept)
    assert a.blocks


@pytest.mark.parametrize(
    "page", ['<?xml version="1.0" encoding="latin-1"?><p>caf\u00e9 \u20ac</p>', "<p>a\x00b c\ud800d</p>", " \n ", ""]
)
def test_segment_utf8_bytes_edge_cases(page: str) -> None:
    assert segment_html(to_utf8(page), utf8=True) == segment_html(page)


# --- one HTML page ------------------------------------------------------------------------------


def test_clean_html_file(capsys, jefftk) -> None:
    code, out, _err = _clean(capsys, str(JEFFTK))
    assert code == 0
    assert out.strip()
    lines = out.splitlines()
    # the article is printed: its first paragraph and the gold's longest paragraph
    paragraphs = _gold_paragraphs(jefftk)
    assert paragraphs[0].startswith("After reading a post from someone who nearly lost all their data")
    assert paragraphs[0] in lines
    longest = max(paragraphs, key=len)  # the <pre> of rsync commands, several lines
    assert len(longest.split()) > 40
    assert longest in out
    # the menus above and below it, and the sidebar, are not
    for menu in ("Posts", "Contact", "More Posts", "Recent posts on blogs I like:"):
        assert menu not in lines, menu
    # the page's own blocks, in page order
    texts = [b.text for b in segment_html(JEFFTK.read_bytes())]
    positions = [texts.index(line) for line in lines if line in texts]
    assert positions == sorted(positions) and len(positions) >= 10


def test_clean_output_is_the_classifier_decision(capsys) -> None:
    """`clean` prints exactly the blocks the shipped html models keep: the classifier's, less the
    ones the category model overrules."""
    blocks = segment_html(JEFFTK.read_bytes())
    decided = shipped("html").decide(blocks)
    categories = shipped_categories("html")
    kept = categories.overrule(decided.rows, decided.kept, decided.page_type, categories.overrule_thresholds)
    assert 0 < sum(kept) < len(blocks)
    code, out, _ = _clean(capsys, "--page-format", "html", str(JEFFTK))
    assert code == 0
    assert out == "\n".join(b.text for b, k in zip(blocks, kept) if k) + "\n"


def test_clean_jsonl(capsys) -> None:
    code, out, _ = _clean(capsys, "--format", "jsonl", str(JEFFTK))
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    blocks = segment_html(JEFFTK.read_bytes())
    assert len(rows) == len(blocks)
    decided = shipped("html").decide(blocks)
    assert decided.page_type is not None  # the html model decides every page's type
    threshold = shipped("html").type_thresholds.get(decided.page_type, shipped("html").threshold)
    for row, b in zip(rows, blocks):
        assert set(row) == {"path", "index", "text", "label", "score", "category", "rule_category", "page_type"}
        assert row["path"] == str(JEFFTK)
        assert row["page_type"] == decided.page_type in PAGE_TYPES  # the predicted type of the page
        assert row["index"] == b.index and row["text"] == b.text
        assert row["label"] in ("content", "boilerplate")
        assert isinstance(row["score"], float) and 0.0 <= row["score"] <= 1.0
        if abs(row["score"] - threshold) > 1e-3:  # the printed score is rounded
            # kept: above the classifier's threshold, unless the category model overrules it
            assert row["label"] != "content" or row["score"] >= threshold
            assert row["label"] == "content" or row["score"] < threshold or row["category"] in OVERRULED_GROUPS
        allowed = CONTENT_CATEGORIES if row["label"] == "content" else BOILERPLATE_CATEGORIES
        assert row["rule_category"] in allowed, row
    assert {r["label"] for r in rows} == {"content", "boilerplate"}
    assert [r["category"] for r in rows] == shipped_categories("html").groups(
        decided.rows, decided.page_type
    )  # the category model's
    # the text format prints the content rows' texts
    _, text_out, _ = _clean(capsys, str(JEFFTK))
    assert text_out == "\n".join(r["text"] for r in rows if r["label"] == "content") + "\n"


def test_clean_stdin(capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    html = JEFFTK.read_bytes()
    _, from_file, _ = _clean(capsys, str(JEFFTK))
    for args in ([], ["-"]):
        monkeypatch.setattr(sys, "stdin", SimpleNamespace(buffer=io.BytesIO(html)))
        code, out, err = _clean(capsys, *args)
        assert code == 0, err
        assert out == from_file  # no name: detected as HTML by its tags


def test_clean_stdin_text_dump_is_detected(capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    _, from_file, _ = _clean(capsys, str(VIETNAM))
    monkeypatch.setattr(sys, "stdin", SimpleNamespace(buffer=io.BytesIO(VIETNAM.read_bytes())))
    code, out, _ = _clean(capsys)
    assert code == 0
    assert out == from_file


# --- a crawl's text dump ------------------------------------------------------------------------


def test_clean_text_dump_in_auto_mode(capsys) -> None:
    code, auto, _ = _clean(capsys, "--page-format", "auto", str(VIETNAM))
    assert code == 0
    _, as_text, _ = _clean(capsys, "--page-format", "text", str(VIETNAM))
    _, as_html, _ = _clean(capsys, "--page-format", "html", str(VIETNAM))
    assert auto == as_text  # a .txt file is read as text lines...
    assert auto != as_html  # ...not as one HTML block
    lines = auto.splitlines()
    source = segment_text(VIETNAM.read_bytes())
    assert set(lines) <= {b.text for b in source}
    long_paragraphs = [b.text for b in source if b.words >= 30]
    assert len(long_paragraphs) >= 10
    assert all(p in lines for p in long_paragraphs)
    assert "Komentar (0)" not in lines
    assert "No data" not in lines
    assert "Dalam kategori yang sama" not in lines


def test_clean_text_dump_jsonl(capsys) -> None:
    code, out, _ = _clean(capsys, "--format", "jsonl", str(VIETNAM))
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["text"] for r in rows] == [b.text for b in segment_text(VIETNAM.read_bytes())]
    by_text = {r["text"]: r for r in rows}
    assert by_text["Komentar (0)"]["label"] == "boilerplate"
    assert by_text["No data"]["label"] == "boilerplate"
    assert by_text["No data"]["rule_category"] == "empty-widget" and by_text["No data"]["category"] == "other"


# --- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize("content", [b"", b"  \n\t\n"])
def test_clean_empty_file(capsys, tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.html"
    path.write_bytes(content)
    code, out, err = _clean(capsys, str(path))
    assert code == 0
    assert out == ""
    assert "error" not in err


def test_clean_binary_file(capsys, tmp_path: Path) -> None:
    path = tmp_path / "image.html"
    path.write_bytes(PNG)
    code, out, err = _clean(capsys, str(path))
    assert code == 1
    assert out == ""
    assert "boilerbench: error:" in err and "binary" in err and str(path) in err
    assert "Traceback" not in err


@pytest.mark.parametrize("kind", ["archive", "noise"])
def test_clean_binary_without_a_known_magic_number(capsys, tmp_path: Path, kind: str) -> None:
    """A compressed file (one of the bundled page archives, cut) or random bytes named directly: an
    error and exit 1, not kilobytes of mojibake as kept text."""
    archive = sorted((REPO / "annotations" / "html").glob("*.tar.xz"))[0].read_bytes()[100:20_100]  # no magic
    data = archive if kind == "archive" else np.random.default_rng(0).bytes(20_000).replace(b"\x00", b"\x01")
    path = tmp_path / "dump.txt"
    path.write_bytes(data)
    code, out, err = _clean(capsys, str(path))
    assert (code, out) == (1, "")
    assert "binary" in err and str(path) in err


def test_clean_binary_stdin(capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", SimpleNamespace(buffer=io.BytesIO(PNG)))
    code, out, err = _clean(capsys)
    assert code == 1
    assert out == ""
    assert "binary" in err


def test_clean_missing_path_does_not_stop_the_others(capsys, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-page.html"
    _, alone, _ = _clean(capsys, str(JEFFTK))
    code, out, err = _clean(capsys, str(missing), str(JEFFTK))
    assert code == 2  # a usage error, as everywhere in the CLI, but the other input is cleaned
    assert f"boilerbench: error: {missing}: no such file or folder\n" in err and "Errno" not in err
    assert f"==> {JEFFTK} <==" in out
    assert out.split(f"==> {JEFFTK} <==\n", 1)[1] == alone
    # and with --out: the other file is written
    outdir = tmp_path / "out"
    code, _, err = _clean(capsys, str(JEFFTK), str(missing), "--out", str(outdir))
    assert code == 2 and str(missing) in err
    assert err.endswith(f"wrote 1 file(s) under {outdir}\n")
    assert [p.name for p in outdir.iterdir()] == [JEFFTK.stem + ".txt"]
    assert (outdir / (JEFFTK.stem + ".txt")).read_text(encoding="utf-8") == alone


def test_clean_missing_path_alone(capsys, tmp_path: Path) -> None:
    missing = tmp_path / "nonexistent"
    assert _clean(capsys, str(missing)) == (2, "", f"boilerbench: error: {missing}: no such file or folder\n")


def test_clean_stdin_with_out_is_refused(capsys, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """`clean --out DIR -`: --out names files after their inputs, stdin has none; refused, not ignored."""
    monkeypatch.setattr(sys, "stdin", SimpleNamespace(buffer=io.BytesIO(JEFFTK.read_bytes())))
    code, out, err = _clean(capsys, "--out", str(tmp_path / "out"), "-")
    assert (code, out) == (2, "")
    assert (
        err == "boilerbench: error: --out DIR takes input files; stdin is cleaned to stdout: drop --out and redirect (> FILE)\n"
    )
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_clean_closed_stdin() -> None:
    """`clean <&-`: Python starts without a stdin; one line, exit 2, no traceback."""
    run = subprocess.run(
        ["bash", "-c", f'exec "{sys.executable}" -m boilerbench clean <&-'], capture_output=True, text=True, cwd=REPO
    )
    assert (run.returncode, run.stdout) == (2, "")
    assert run.stderr == "boilerbench: error: stdin is closed: give FILE, DIR or GLOB, or pipe a page in\n"


def test_clean_gzipped_page(capsys, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A lone `.html.gz` (and a gzipped stdin) is decompressed and cleaned like the page itself;
    a damaged one is an error naming it (exit 1), not mojibake."""
    _, alone, _ = _clean(capsys, str(JEFFTK))
    packed = gzip.compress(JEFFTK.read_bytes())
    page = tmp_path / "page.html.gz"
    page.write_bytes(packed)
    assert _clean(capsys, str(page)) == (0, alone, "")
    monkeypatch.setattr(sys, "stdin", SimpleNamespace(buffer=io.BytesIO(packed)))
    assert _clean(capsys) == (0, alone, "")
    page.write_bytes(packed[: len(packed) // 2])
    code, out, err = _clean(capsys, str(page))
    assert (code, out) == (1, "")
    assert err.startswith(f"boilerbench: error: {page}: a damaged gzip file")


@pytest.mark.slow
def test_clean_folder_names_what_it_skips(capsys, tmp_path: Path) -> None:
    """A folder gives its HTML (.html, .htm, .xhtml, .shtml) and .txt files, gzipped or not; the
    others are counted on stderr, by suffix; what --out wrote is said on stderr."""
    site = tmp_path / "site"
    (site / "sub").mkdir(parents=True)
    pages = {"a.xhtml": JEFFTK, "sub/b.shtml": FIXTURES / "wcxb-0406-erikdemaine.html", "c.htm.gz": JEFFTK, "d.txt": VIETNAM}
    for rel, source in pages.items():
        data = source.read_bytes()
        (site / rel).write_bytes(gzip.compress(data) if rel.endswith(".gz") else data)
    for rel in ("index.php", "notes.md", "README", "sub/page.php"):
        (site / rel).write_bytes(JEFFTK.read_bytes())
    outdir = tmp_path / "out"
    code, out, err = _clean(capsys, str(site), "--out", str(outdir))
    assert (code, out) == (0, "")
    assert (
        "boilerbench: skipped 4 file(s) in the folders given (2 .php, 1 without a suffix, 1 .md): a folder gives its "
        ".html/.htm/.xhtml/.shtml/.txt files, gzipped or not; name others, or a glob, to clean them\n"
    ) in err
    assert err.endswith(f"wrote 4 file(s) under {outdir}\n")
    written = sorted(str(p.relative_to(outdir)) for p in outdir.rglob("*") if p.is_file())
    assert written == ["a.txt", "c.txt", "d.txt", "sub/b.txt"]
    for rel, source in pages.items():
        _, alone, _ = _clean(capsys, str(source))
        assert (outdir / rel.split(".")[0]).with_suffix(".txt").read_text(encoding="utf-8") == alone, rel


def test_readme_says_which_files_a_folder_gives() -> None:
    """The README's `clean` row names `FOLDER_SUFFIXES`, the rule `expand` follows."""
    row = next(
        line
        for line in (REPO / "README.md").read_text(encoding="utf-8").splitlines()
        if line.startswith("| `python -m boilerbench clean")
    )
    assert all(f"`{suffix}`" in row for suffix in FOLDER_SUFFIXES), row


# --- several files ------------------------------------------------------------------------------

MANY = ["wcxb-0495-jefftk.html", "wcxb-0406-erikdemaine.html", "trafeval-0133-autopresse.html", "vietnam-vn-news-id.txt"]


@pytest.fixture(scope="module")
def pages_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pages")
    for name in MANY:
        shutil.copyfile(FIXTURES / name, folder / name)
    (folder / "notes.md").write_text("not a page: ignored in a folder\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def one_by_one(pages_dir: Path) -> dict[str, str]:
    """Each page cleaned alone (cli.main, stdout captured by hand: module scope has no capsys)."""
    from contextlib import redirect_stdout

    out = {}
    for name in MANY:
        buf = io.StringIO()
        with redirect_stdout(buf):
            assert cli.main(["clean", str(pages_dir / name)]) == 0
        out[Path(name).stem] = buf.getvalue()
    assert all(out.values())
    return out


@pytest.mark.parametrize("page_format", ["text", "jsonl"])
@pytest.mark.slow
def test_clean_folder_with_out(capsys, tmp_path: Path, pages_dir: Path, one_by_one, page_format: str) -> None:
    outdir = tmp_path / "cleaned"
    code, out, err = _clean(capsys, str(pages_dir), "--out", str(outdir), "--format", page_format)
    assert code == 0, err
    assert out == ""
    suffix = ".jsonl" if page_format == "jsonl" else ".txt"
    assert sorted(p.name for p in outdir.iterdir()) == sorted(Path(n).stem + suffix for n in MANY)
    if page_format == "text":
        for stem, expected in one_by_one.items():
            assert (outdir / (stem + suffix)).read_text(encoding="utf-8") == expected
    else:
        for p in outdir.iterdir():
            rows = [json.loads(line) for line in p.read_text(encoding="utf-8").splitlines()]
            assert rows and all(r["label"] in ("content", "boilerplate") for r in rows)


def test_clean_glob_with_out(capsys, tmp_path: Path, pages_dir: Path, one_by_one) -> None:
    outdir = tmp_path / "cleaned"
    code, _, err = _clean(capsys, str(pages_dir / "*.html"), "--out", str(outdir))
    assert code == 0, err
    html = [n for n in MANY if n.endswith(".html")]
    assert len(html) == 3
    assert sorted(p.name for p in outdir.iterdir()) == sorted(Path(n).stem + ".txt" for n in html)
    for name in html:
        stem = Path(name).stem
        assert (outdir / (stem + ".txt")).read_text(encoding="utf-8") == one_by_one[stem]


@pytest.mark.slow
def test_clean_out_mirrors_the_input_tree(capsys, tmp_path: Path) -> None:
    """Sub-folders are kept and two `index.html` in two folders stay two files; names that would
    meet (`a.html`, `a.htm`) keep their own suffix."""
    site = tmp_path / "site"
    for rel in ("index.html", "news/index.html", "news/2024/index.html", "a.html", "a.htm"):
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_bytes(JEFFTK.read_bytes())
    outdir = tmp_path / "cleaned"
    code, _, err = _clean(capsys, str(site), "--out", str(outdir))
    assert code == 0, err
    written = sorted(str(p.relative_to(outdir)) for p in outdir.rglob("*") if p.is_file())
    assert written == sorted(["index.txt", "news/index.txt", "news/2024/index.txt", "a.html.txt", "a.htm.txt"])
    _, alone, _ = _clean(capsys, str(JEFFTK))
    assert all((outdir / w).read_text(encoding="utf-8") == alone for w in written)
    # two folders given apart, each with an index.html: refused before anything is written
    other = tmp_path / "other-out"
    code, _, err = _clean(capsys, str(site / "news"), str(site / "news" / "2024"), "--out", str(other))
    assert code != 0 and "several inputs would be written to" in err and not other.exists()


@pytest.mark.slow
def test_clean_jsonl_of_several_files_is_jsonl(capsys, pages_dir: Path) -> None:
    """Every line one JSON object naming its input and the page's type: no header lines."""
    paths = [str(pages_dir / n) for n in MANY]
    code, out, _ = _clean(capsys, "--format", "jsonl", *paths)
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert [p for p in dict.fromkeys(r["path"] for r in rows)] == paths
    for p in paths:
        mine = [r for r in rows if r["path"] == p]
        assert [r["index"] for r in mine] == list(range(len(mine)))
        assert len({r["page_type"] for r in mine}) == 1 and mine[0]["page_type"] in PAGE_TYPES


def test_clean_several_files_to_stdout(capsys, pages_dir: Path, one_by_one) -> None:
    paths = [str(pages_dir / n) for n in MANY[:2]]
    code, out, _ = _clean(capsys, *paths)
    assert code == 0
    expected = "".join(f"==> {p} <==\n" + one_by_one[Path(p).stem] for p in paths)
    assert out == expected


def test_clean_glob_matching_nothing(capsys, tmp_path: Path) -> None:
    code, _out, err = _clean(capsys, str(tmp_path / "*.html"))
    assert code == 2
    assert "no input files match" in err


def test_clean_out_keeps_one_file_per_input_with_the_same_stem(capsys, tmp_path: Path) -> None:
    folder = tmp_path / "pages"
    folder.mkdir()
    # the fixture page and the text dump of its gold: two inputs, same stem
    shutil.copyfile(JEFFTK, folder / JEFFTK.name)
    shutil.copyfile(FIXTURES / "wcxb-0495-jefftk.txt", folder / "wcxb-0495-jefftk.txt")
    outdir = tmp_path / "cleaned"
    code, _, err = _clean(capsys, str(folder), "--out", str(outdir))
    assert code == 0, err
    assert len(list(outdir.iterdir())) == 2


def test_clean_keeps_a_table_row_on_one_line() -> None:
    """A table's kept cells print one row a line, cells joined by ' | ' (as trafilatura and
    resiliparse print tables); a dropped cell is left out of its row; blocks outside stay lines."""
    from boilerbench.extractor.extract import CELL_SEPARATOR, Decisions

    blocks = segment_html(
        "<table><tr><th>Name</th><th>Age</th></tr><tr><td>Ann</td><td>31</td><td>x</td></tr></table><p>After.</p>"
    )
    assert [b.tag for b in blocks] == ["th", "th", "td", "td", "td", "p"]
    d = Decisions("html", blocks, [1.0] * 6, [True, True, True, True, False, True])
    assert d.text == f"Name{CELL_SEPARATOR}Age\nAnn{CELL_SEPARATOR}31\nAfter."
