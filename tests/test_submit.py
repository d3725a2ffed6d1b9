"""`submit`: every malformed submission is refused with a message naming the problem (and the line)
and nothing written; a good one lands on the leaderboard; a resubmission needs --force; and a
submission made from the all-text row's outputs reproduces that row's published scores exactly."""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import lxml.html
import pytest

from boilerbench.benchmark import CHECKOUT
from boilerbench.benchmark import submit as submit_mod
from boilerbench.benchmark.corpora.store import Corpus
from boilerbench.benchmark.groundtruth import load_labeled
from boilerbench.cli import main

# test pages of the three sources, with and without full gold text
PAGE_IDS = [
    "wcxb-4352",
    "wcxb-4207",
    "wcxb-4145",
    "trafeval-0094",
    "trafeval-0041",
    "scrapinghub-042bb7b5fe",
    "scrapinghub-04a6711caa",
]


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory, small_test_corpus) -> Corpus:
    return Corpus.open(small_test_corpus(tmp_path_factory.mktemp("submit-corpus"), PAGE_IDS))


@pytest.fixture(scope="module")
def labeled(small: Corpus):
    return load_labeled(small, small.select(split="test"), workers=1, progress=False)


@pytest.fixture(scope="module")
def drawn_board(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A baselines folder holding one baseline result, and its leaderboard with its figures, drawn
    once for the module (drawing the figures is most of a refused submission's test)."""
    from boilerbench.benchmark.leaderboard import write_leaderboard

    root = tmp_path_factory.mktemp("board")
    folder = root / "baselines"
    folder.mkdir()
    (folder / "trafilatura.json").write_bytes((CHECKOUT / "baselines" / "trafilatura.json").read_bytes())
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BOILERBENCH_BASELINES", str(folder))
        write_leaderboard(folder)
    return root


@pytest.fixture()
def board(drawn_board: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The drawn board, a copy of its own for each test: its baselines folder."""
    shutil.copytree(drawn_board, tmp_path, dirs_exist_ok=True)
    folder = tmp_path / "baselines"
    monkeypatch.setenv("BOILERBENCH_BASELINES", str(folder))
    return folder


def _snapshot(board: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(board.parent)): p.read_bytes()
        for p in board.parent.rglob("*")
        if p.is_file() and p.suffix in (".json", ".md")
    }


def _write(path: Path, rows: Sequence[object]) -> Path:
    """A submission file: one line per row, a string as it is (a broken line), anything else as JSON."""
    path.write_text(
        "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows), encoding="utf-8"
    )
    return path


def _good_rows(labeled) -> list[dict[str, Any]]:
    """A block classifier that keeps every block of more than five words; one page as text."""
    rows = [
        {"page_id": labeled_page.page.page_id, "labels": [int(b.block.words > 5) for b in labeled_page.blocks]}
        for labeled_page in labeled
    ]
    first = labeled[0]
    rows[0] = {"page_id": first.page.page_id, "text": "\n".join(b.block.text for b in first.blocks if b.block.words > 5)}
    return rows


def _run(path: Path, small: Corpus, *extra: str) -> int:
    return main(["submit", str(path), "--data", str(small.root), *extra])


# --- a good submission -------------------------------------------------------------------------


@pytest.mark.slow
def test_good_submission_lands_on_the_leaderboard(tmp_path, small, labeled, board, capsys) -> None:
    path = _write(tmp_path / "sub.jsonl", _good_rows(labeled))
    assert _run(path, small, "--name", "longish-blocks", "--url", "https://example.org/longish") == 0
    assert "block F1" in capsys.readouterr().out
    record = json.loads((board / "longish-blocks.json").read_text(encoding="utf-8"))
    assert record["kind"] == "submission"
    assert record["submission"]["url"] == "https://example.org/longish"
    assert record["submission"]["format"] == "labels/text"
    assert record["metrics"]["pages"] == len(PAGE_IDS)
    assert 0.0 < record["metrics"]["block_f1"] < 1.0
    assert record["metrics"]["structured_format"] is None  # text or labels keep no structure: "text" on the board
    board_md = (board.parent / "leaderboard.md").read_text(encoding="utf-8")
    assert "[longish-blocks](https://example.org/longish) (submission)" in board_md
    assert "| trafilatura |" in board_md or "trafilatura" in board_md
    assert "python -m boilerbench submit" in board_md  # the leaderboard says how to submit

    # the same name again: refused without --force, nothing changed; replaced with it
    before = _snapshot(board)
    assert _run(path, small, "--name", "longish-blocks") == 2
    assert "--force" in capsys.readouterr().err
    assert _snapshot(board) == before
    assert _run(path, small, "--name", "longish-blocks", "--force") == 0
    assert "url" not in json.loads((board / "longish-blocks.json").read_text(encoding="utf-8"))["submission"]


@pytest.mark.slow
def test_labels_and_text_of_the_same_decisions_score_alike(tmp_path, small, labeled, board) -> None:
    """Text made of the kept blocks is projected back onto exactly those blocks."""
    keep = [[b.block.words > 5 for b in labeled_page.blocks] for labeled_page in labeled]
    as_labels = [
        {"page_id": labeled_page.page.page_id, "labels": [int(k) for k in ks]} for labeled_page, ks in zip(labeled, keep)
    ]
    as_text = [
        {"page_id": labeled_page.page.page_id, "text": "\n".join(b.block.text for b, k in zip(labeled_page.blocks, ks) if k)}
        for labeled_page, ks in zip(labeled, keep)
    ]
    _, a = submit_mod.submit(_write(tmp_path / "a.jsonl", as_labels), "as-labels", corpus=small, folder=board)
    _, b = submit_mod.submit(_write(tmp_path / "b.jsonl", as_text), "as-text", corpus=small, folder=board)
    for k in ("block_f1", "block_precision", "block_recall", "word_f1"):
        assert a["metrics"][k] == pytest.approx(b["metrics"][k], abs=0.02), k


# --- bad submissions: refused, nothing written ------------------------------------------------------


def _bad_cases(labeled) -> dict[str, tuple[Sequence[object], str]]:
    good = _good_rows(labeled)
    n0 = len(labeled[1].blocks)
    pid1 = labeled[1].page.page_id
    return {
        "not-json": ([*good[:2], "{not json", *good[2:]], r":3: not JSON"),
        "not-an-object": ([*good[:-1], [1, 2]], rf":{len(good)}: expected a JSON object"),
        "missing-page": (good[:-1], r"1 test page\(s\) missing"),
        "unknown-page": ([*good, {"page_id": "wcxb-9999", "text": "x"}], rf":{len(good) + 1}: unknown page_id 'wcxb-9999'"),
        "duplicate-page": ([*good, good[1]], rf":{len(good) + 1}: duplicate page_id '{pid1}' \(first on line 2\)"),
        "wrong-label-count": (
            [good[0], {"page_id": pid1, "labels": [1] * (n0 + 1)}, *good[2:]],
            rf":2: {n0 + 1} labels for page '{pid1}', which has {n0} blocks",
        ),
        "label-two": (
            [good[0], {"page_id": pid1, "labels": [2] + [0] * (n0 - 1)}, *good[2:]],
            r":2: labels\[0\] is 2, not 0 or 1",
        ),
        "label-bool": (
            [good[0], {"page_id": pid1, "labels": [True] + [0] * (n0 - 1)}, *good[2:]],
            r":2: labels\[0\] is true, not 0 or 1",
        ),
        "label-float": ([good[0], {"page_id": pid1, "labels": [0.5] + [0] * (n0 - 1)}, *good[2:]], r":2: labels\[0\] is 0.5"),
        "label-nan": (
            [good[0], json.dumps({"page_id": pid1, "labels": [math.nan] + [0] * (n0 - 1)}), *good[2:]],
            r":2: not JSON \(NaN is not a number",
        ),
        "both-fields": ([{**good[0], "labels": [1]}, *good[1:]], r":1: give exactly one of text or labels"),
        "neither-field": ([{"page_id": good[0]["page_id"]}, *good[1:]], r":1: give exactly one of text or labels"),
        "unknown-field": ([{**good[0], "score": 1}, *good[1:]], r":1: unknown field\(s\) \['score'\]"),
        "text-not-string": ([{"page_id": good[0]["page_id"], "text": 3}, *good[1:]], r":1: text must be a string"),
        "empty-file": ([], r"no submission lines"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "not-json",
        "not-an-object",
        "missing-page",
        "unknown-page",
        "duplicate-page",
        "wrong-label-count",
        "label-two",
        "label-bool",
        "label-float",
        "label-nan",
        "both-fields",
        "neither-field",
        "unknown-field",
        "text-not-string",
        "empty-file",
    ],
)
def test_bad_submission_is_refused_and_nothing_written(case, tmp_path, small, labeled, board, capsys) -> None:
    rows, message = _bad_cases(labeled)[case]
    path = _write(tmp_path / f"{case}.jsonl", rows)
    before = _snapshot(board)
    assert _run(path, small, "--name", f"bad-{case}") == 2
    err = capsys.readouterr().err
    assert err.startswith("boilerbench: error: ")
    assert pytest.importorskip("re").search(message, err), err
    assert _snapshot(board) == before
    assert not (board / f"bad-{case}.json").exists()


def test_binary_file_is_refused(tmp_path, small, board, capsys) -> None:
    path = tmp_path / "sub.jsonl"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff\xfe")
    before = _snapshot(board)
    assert _run(path, small, "--name", "binary") == 2
    assert ":1: not UTF-8" in capsys.readouterr().err
    assert _snapshot(board) == before


def test_file_over_the_size_limit_is_refused(tmp_path, small, labeled, board, capsys, monkeypatch) -> None:
    path = _write(tmp_path / "sub.jsonl", _good_rows(labeled))
    monkeypatch.setattr(submit_mod, "MAX_BYTES", path.stat().st_size - 1)
    before = _snapshot(board)
    assert _run(path, small, "--name", "too-big") == 2
    assert "over the" in capsys.readouterr().err
    assert _snapshot(board) == before


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("trafilatura", "taken by a system result"),  # would overwrite a baseline
        ("../escape", "use 1–64 letters"),
        ("sub/dir", "use 1–64 letters"),
        (".hidden", "use 1–64 letters"),
        ("x" * 65, "use 1–64 letters"),
    ],
)
def test_names_that_would_overwrite_or_escape_are_refused(name, message, tmp_path, small, labeled, board, capsys) -> None:
    path = _write(tmp_path / "sub.jsonl", _good_rows(labeled))
    before = _snapshot(board)
    assert _run(path, small, "--name", name) == 2
    assert message in capsys.readouterr().err
    assert _snapshot(board) == before
    assert not (board.parent / "escape.json").exists()


@pytest.mark.parametrize(
    ("flag", "value"), [("--url", "javascript:alert(1)"), ("--url", "https://x.org/a b"), ("--description", "two\nlines")]
)
def test_url_and_description_must_be_plain(flag, value, tmp_path, small, labeled, board, capsys) -> None:
    path = _write(tmp_path / "sub.jsonl", _good_rows(labeled))
    before = _snapshot(board)
    assert _run(path, small, "--name", "plain", flag, value) == 2
    assert flag in capsys.readouterr().err
    assert _snapshot(board) == before


def test_a_crash_while_writing_leaves_the_old_files(tmp_path, small, labeled, board, monkeypatch) -> None:
    path = _write(tmp_path / "sub.jsonl", _good_rows(labeled))
    before = _snapshot(board)

    def crash(*a, **kw):
        raise OSError("disk full")

    monkeypatch.setattr("boilerbench.benchmark.leaderboard.os.replace", crash)
    with pytest.raises(OSError, match="disk full"):
        submit_mod.submit(path, "crashes", corpus=small, folder=board)
    assert _snapshot(board) == before
    assert not [p for p in board.parent.rglob("*.tmp")]


# --- the all-text row, resubmitted -------------------------------------------------------------------


@pytest.mark.slow
def test_a_submission_of_all_text_outputs_reproduces_its_row(tmp_path, board) -> None:
    """On the bundled test split: keeping every block, as labels or as the page's text, gives the
    published all-text row's scores exactly."""
    corpus = Corpus.open()
    labeled = load_labeled(corpus, corpus.select(split="test"), progress=False)
    published = json.loads((CHECKOUT / "baselines" / "all-text.json").read_text(encoding="utf-8"))["metrics"]
    rows = [{"page_id": labeled_page.page.page_id, "labels": [1] * len(labeled_page.blocks)} for labeled_page in labeled]
    rows[::2] = [
        {"page_id": labeled_page.page.page_id, "text": "\n".join(b.block.text for b in labeled_page.blocks)}
        for labeled_page in labeled[::2]
    ]
    _, record = submit_mod.submit(_write(tmp_path / "all.jsonl", rows), "all-text-again", folder=board)
    mine = record["metrics"]
    compared = [k for k in published if k not in ("vs_best", "pages_per_s", "version", "kind")]
    assert {"block_f1", "word_f1", "by_corpus", "leakage", "block_f1_ci"} <= set(compared)
    for k in compared:
        assert mine[k] == published[k], k
    # on the board, a submission is tested against the board's best system as `evaluate --save`
    # tests every system: here trafilatura, the only system of this board, over the same pages
    traf = json.loads((board / "trafilatura.json").read_text(encoding="utf-8"))["metrics"]
    test = mine["vs_best"]
    assert test["against"] == "trafilatura" and test["p_value"] < 0.001
    assert test["diff"] == pytest.approx(mine["block_f1"] - traf["block_f1"], abs=1e-3)
    assert test["ci_low"] < test["diff"] < test["ci_high"] < 0


def test_a_page_without_blocks_may_be_left_out(tmp_path: Path) -> None:
    """Labels built from the `blocks` config have no row for a test page with zero blocks
    (wcxb-4145: its text is all in a script-built page): its missing line is accepted as keeping
    nothing; a missing page with blocks is still refused."""
    corpus = Corpus.open()
    pages = [p for p in corpus.pages if p.page_id in ("wcxb-4145", "wcxb-4207")]
    labeled = load_labeled(corpus, pages, progress=False)
    empty = next(labeled_page for labeled_page in labeled if labeled_page.page.page_id == "wcxb-4145")
    full = next(labeled_page for labeled_page in labeled if labeled_page.page.page_id == "wcxb-4207")
    assert not empty.blocks and full.blocks
    path = tmp_path / "labels.jsonl"
    entries = [(1, submit_mod.Entry(full.page.page_id, None, tuple([True] * len(full.blocks))))]
    got = submit_mod.match(entries, labeled, path)
    assert [e.page_id for e in got] == [labeled_page.page.page_id for labeled_page in labeled]
    assert next(e for e in got if e.page_id == "wcxb-4145").labels == ()
    with pytest.raises(submit_mod.SubmissionError, match="1 test page"):
        submit_mod.match([(1, submit_mod.Entry("wcxb-4145", None, ()))], labeled, path)


@pytest.mark.slow
def test_report_after_a_submission(small: Corpus, labeled, board: Path, tmp_path: Path) -> None:
    """A submission has no registered system: the report renders it from its result file (its
    per-page decisions), and ranks worst pages among those with full labels."""
    from boilerbench.benchmark.report import build_site

    submit_mod.submit(_write(tmp_path / "mine.jsonl", _good_rows(labeled)), "my-extractor", corpus=small, folder=board)
    record = json.loads((board / "my-extractor.json").read_text(encoding="utf-8"))
    assert set(record["metrics"]["page_scored"]) == {labeled_page.page.page_id for labeled_page in labeled}
    assert set(record["metrics"]["page_block_f1"]) <= set(record["metrics"]["page_scored"])
    index = build_site(small, tmp_path / "site", folder=board, worst=2, progress=False)
    doc = lxml.html.fromstring(index.read_text(encoding="utf-8"))
    items = {
        li.cssselect("b")[0].text_content(): [a.get("href", "") for a in li.cssselect("a")] for li in doc.cssselect("ul.worst li")
    }
    assert set(items) == {"my-extractor", "trafilatura"}
    full = {labeled_page.page.page_id for labeled_page in labeled if labeled_page.gold.text is not None}
    for hrefs in items.values():
        assert len(hrefs) == 2 and all(h.removeprefix("pages/").removesuffix(".html") in full for h in hrefs)
    page = lxml.html.fromstring((index.parent / items["my-extractor"][0]).read_text(encoding="utf-8"))
    assert sorted(th.text_content() for th in page.cssselect("th.sys")) == ["my-extractor", "trafilatura"]
