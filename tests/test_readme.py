"""The README's code blocks are tests: its Python snippets run as written on a small built dataset
(the folder they name, `hf-dataset`, is that one), and its submit and report commands run on what
they wrote, on a temporary copy of `baselines/`."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
from pathlib import Path

import pytest

from boilerbench.cli import main
from boilerbench.corpora.store import Corpus
from boilerbench.leaderboard import repo_root

datasets = pytest.importorskip("datasets")
README = (repo_root() / "README.md").read_text(encoding="utf-8")
# test pages of the three sources; wcxb-4145 has no block at all
PAGE_IDS = ["wcxb-4352", "wcxb-4207", "wcxb-4145", "trafeval-0094", "scrapinghub-042bb7b5fe"]


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README, re.S)


def _small_corpus(root: Path) -> Path:
    """The test pages of `PAGE_IDS`, and a train and a validation page, in their own splits."""
    from dataclasses import replace

    from boilerbench.corpora.store import write_corpus

    bundled = Corpus.open()
    pages = [p for p in bundled.pages if p.page_id in PAGE_IDS]
    pages += [bundled.select(split="train", source="wcxb")[0], bundled.select(split="validation", source="wcxb")[0]]
    write_corpus(root, [(replace(p, archive=""), bundled.read(p), bundled.gold[p.page_id]) for p in pages])
    return root


@pytest.fixture()
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A folder holding `hf-dataset` (built from a small corpus) and a copy of `baselines/`."""
    from boilerbench.dataset import build_dataset

    corpus_dir = _small_corpus(tmp_path / "corpus")
    board = tmp_path / "baselines"
    shutil.copytree(repo_root() / "baselines", board)
    monkeypatch.setenv("BOILERBENCH_BASELINES", str(board))
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    # the snippets name no cache folder: keep theirs out of the user's (datasets read the variable
    # when imported, so the setting it was read into is patched too)
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", str(tmp_path / "hf-cache"))
    build_dataset(Corpus.open(corpus_dir), tmp_path / "hf-dataset", progress=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path, corpus_dir


def test_readme_snippets_submissions_and_report(workdir) -> None:
    folder, corpus_dir = workdir
    python = [code for code in _blocks("python") if "hf-dataset" in code]  # the crawl example needs a crawl
    assert len(python) == 3 and "load_dataset" in python[0]
    for code in python:  # the load_dataset example, the text submission, the labels submission
        exec(compile(code, "README.md", "exec"), {})
    assert list((folder / "hf-cache").iterdir())  # the snippets' cache went to the test's folder
    written = {p.name for p in folder.glob("*.jsonl")}
    assert written == {"my-extractor.jsonl", "my-classifier.jsonl"}
    labels = [json.loads(line) for line in (folder / "my-classifier.jsonl").read_text(encoding="utf-8").splitlines()]
    assert "wcxb-4145" not in {r["page_id"] for r in labels}  # no block, no row, no line: accepted
    commands = [
        line
        for block in _blocks("bash")
        for line in block.splitlines()
        if line.startswith("python -m boilerbench submit") or line.startswith("python -m boilerbench report")
    ]
    assert len(commands) == 3
    for line in commands:
        argv = shlex.split(line.split("#")[0])[3:]
        assert main([*argv, "--data", str(corpus_dir)]) == 0, line
    board = Path(os.environ["BOILERBENCH_BASELINES"])
    for name in ("my-extractor", "my-classifier"):
        record = json.loads((board / f"{name}.json").read_text(encoding="utf-8"))
        assert record["kind"] == "submission" and record["metrics"]["pages"] == len(PAGE_IDS)
    index = (folder / "report" / "index.html").read_text(encoding="utf-8")
    assert "my-extractor" in index and "my-classifier" in index
    board_md = (board.parent / "leaderboard.md").read_text(encoding="utf-8")
    assert "[my-extractor](https://example.org/my-extractor) (submission)" in board_md
    assert "my-classifier (submission)" in board_md
