"""`python -m boilerbench import`: a folder of X.html + a folder of X.txt gold → a corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from boilerbench import cli
from boilerbench.benchmark.corpora.store import Corpus
from boilerbench.benchmark.groundtruth import load_labeled
from boilerbench.benchmark.labels import label_page
from boilerbench.core.types import BOILERPLATE, CONTENT

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00" + b"\x00" * 64


@pytest.fixture
def folders(tmp_path: Path, jefftk, erikdemaine, autopresse, xinhuanet, vietnam_bytes: bytes):
    html, gold = tmp_path / "html", tmp_path / "gold"
    html.mkdir()
    gold.mkdir()
    # two good pairs (real pages and their gold text)
    (html / "a-jefftk.html").write_bytes(jefftk.data)
    (gold / "a-jefftk.txt").write_text(jefftk.gold.text, encoding="utf-8")
    (html / "b-erikdemaine.HTM").write_bytes(erikdemaine.data)
    (gold / "b-erikdemaine.txt").write_text(erikdemaine.gold.text, encoding="utf-8")
    # problems, one each
    (html / "c-nogold.html").write_bytes(autopresse.data)
    (gold / "d-orphan.txt").write_bytes(vietnam_bytes)
    (html / "e-emptygold.html").write_bytes(xinhuanet.data)
    (gold / "e-emptygold.txt").write_text("  \n\n \t\n", encoding="utf-8")
    (html / "f-binary.html").write_bytes(PNG)
    (gold / "f-binary.txt").write_text("Some gold text for an image.", encoding="utf-8")
    (html / "g-empty.html").write_bytes(b"")
    (gold / "g-empty.txt").write_text("Gold text for an empty file.", encoding="utf-8")
    (html / "notes.md").write_text("not a page", encoding="utf-8")
    return html, gold


def run_import(html: Path, gold: Path, out: Path, name: str = "my-pages") -> int:
    return cli.main(
        ["import", "--html-dir", str(html), "--gold-dir", str(gold), "--name", name, "--out", str(out), "--license", "CC-BY-4.0"]
    )


def test_import_reports_each_problem_and_imports_the_good_pages(folders, tmp_path: Path, capsys, jefftk, erikdemaine) -> None:
    html, gold = folders
    out = tmp_path / "out"
    rc = run_import(html, gold, out)
    cap = capsys.readouterr()
    assert rc == 0
    problems = [line for line in cap.err.splitlines() if line.strip()]
    assert len(problems) == 5, cap.err
    for name, why in [
        ("c-nogold.html", "no gold"),
        ("d-orphan.txt", "without a page"),
        ("e-emptygold.txt", "empty gold"),
        ("f-binary.html", "binary"),
        ("g-empty.html", "empty"),
    ]:
        line = next((p for p in problems if p.startswith(name)), None)
        assert line is not None, f"{name} not reported: {cap.err}"
        assert why in line
    assert "imported 2 pages" in cap.out and "5 problems" in cap.out

    corpus = Corpus.open(out)
    assert sorted(p.source_id for p in corpus.pages) == ["a-jefftk.html", "b-erikdemaine.HTM"]
    by_file = {p.source_id: p for p in corpus.pages}
    for fname, rp in (("a-jefftk.html", jefftk), ("b-erikdemaine.HTM", erikdemaine)):
        p = by_file[fname]
        assert (p.source, p.split, p.license, p.page_format) == ("my-pages", "test", "CC-BY-4.0", "html")
        assert p.language == "en"
        assert corpus.read(p) == rp.data
        assert corpus.gold[p.page_id].text == rp.gold.text

    labeled = load_labeled(corpus, workers=1, progress=False)
    assert [labeled_page.page.page_id for labeled_page in labeled] == [p.page_id for p in corpus.pages]
    for labeled_page in labeled:
        labels = [b.label for b in labeled_page.blocks]
        assert labels.count(CONTENT) >= 5 and labels.count(BOILERPLATE) >= 2
        # the same labels as labeling the page directly: the import changed nothing
        direct = label_page(labeled_page.page, corpus.read(labeled_page.page), labeled_page.gold)
        assert [b.label for b in direct.blocks] == labels
    # a second load comes from the cache and is identical
    assert load_labeled(corpus, workers=1, progress=False) == labeled


def test_import_all_bad_fails(tmp_path: Path, capsys, autopresse) -> None:
    html, gold = tmp_path / "html", tmp_path / "gold"
    html.mkdir()
    gold.mkdir()
    (html / "x.html").write_bytes(PNG)
    (gold / "x.txt").write_text("gold", encoding="utf-8")
    (html / "y.html").write_bytes(autopresse.data)
    out = tmp_path / "out"
    rc = run_import(html, gold, out)
    cap = capsys.readouterr()
    assert rc != 0
    assert "x.html" in cap.err and "y.html" in cap.err
    assert "imported 0 pages" in cap.out
    assert not (out / "pages.jsonl").exists()


def test_import_refuses_an_existing_corpus(folders, tmp_path: Path, capsys) -> None:
    html, gold = folders
    out = tmp_path / "out"
    assert run_import(html, gold, out) == 0
    capsys.readouterr()
    assert run_import(html, gold, out) == 2
    assert "already holds a corpus" in capsys.readouterr().err


def test_import_missing_folder(tmp_path: Path, capsys) -> None:
    rc = run_import(tmp_path / "nope", tmp_path, tmp_path / "out")
    assert rc == 2
    assert "nope: no such folder" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["../evil", "sub/dir", ".hidden", "my pages", "x" * 65, "name\n"])
def test_import_refuses_the_names_submit_refuses(name, folders, tmp_path: Path, capsys) -> None:
    """`--name` becomes the corpus's source, its page ids and its archives' file names: a name
    `submit` would refuse (one check, `types.check_name`) is an error, nothing is written."""
    from boilerbench.benchmark.submit import SubmissionError, check_name

    with pytest.raises(SubmissionError) as refused:
        check_name(name, tmp_path / "baselines", force=False)
    html, gold = folders
    out = tmp_path / "out"
    assert run_import(html, gold, out, name=name) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"--name {name!r}: use 1–64 letters" in err
    assert str(refused.value).split(": ", 1)[1] == err.split(": ", 3)[3].strip()  # the same words
    assert not out.exists() and not list(tmp_path.glob("**/*.tar.xz"))
