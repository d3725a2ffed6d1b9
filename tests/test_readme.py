"""The README's code blocks are tests, every one of them: its Python API snippet runs on a real
page in Shift_JIS bytes, its dataset snippets run as written on a
small built dataset (the folder they name, `hf-dataset`, is that one), its submit and report
commands run on what they wrote, on a temporary copy of `baselines/`, and its datatrove snippet
runs as a saved script on a small WARC, its s3 paths made local. The set-up blocks are checked,
not run: their install and test commands are the ones `.ci/run` runs on every checkout, and the
main job, a full `evaluate`, is a command the CLI accepts."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from boilerbench.benchmark import CHECKOUT
from boilerbench.benchmark.corpora.store import Corpus
from boilerbench.benchmark.leaderboard import write_leaderboard
from boilerbench.cli import main
from tests.conftest import RealPage

datasets = pytest.importorskip("datasets")
README = (CHECKOUT / "README.md").read_text(encoding="utf-8")
# test pages of the three sources; wcxb-4145 has no block at all
PAGE_IDS = ["wcxb-4352", "wcxb-4207", "wcxb-4145", "trafeval-0094", "scrapinghub-042bb7b5fe"]


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README, re.S)


def test_every_readme_code_block_is_tested() -> None:
    """Each fenced block is claimed by one test of this file: a new block fails here until a test
    runs it."""
    fences = re.findall(r"^```(\w*)$", README, re.M)
    assert fences[::2] and set(fences[::2]) == {"bash", "python"} and not any(fences[1::2])  # opened with a language
    python, bash = _blocks("python"), _blocks("bash")
    assert len(python) + len(bash) == len(fences) // 2
    dataset = [code for code in python if "hf-dataset" in code]  # test_readme_snippets_submissions_and_report
    crawl = [code for code in python if "datatrove" in code]  # test_readme_datatrove_snippet_runs_as_a_script
    api = [code for code in python if "from boilerbench import extract" in code]  # test_readme_api_snippet
    assert len(dataset) == 3 and len(crawl) == 1 and len(api) == 1 and len(python) == len(dataset) + len(crawl) + len(api)
    setup = [b for b in bash if "pip install" in b or "pytest" in b]  # test_readme_setup_is_what_ci_runs
    runs = [b for b in bash if b.startswith("python -m boilerbench submit")]  # test_readme_snippets_submissions_and_report
    assert len(setup) == 2 and len(runs) == 1 and len(bash) == len(setup) + len(runs)


def test_readme_setup_is_what_ci_runs() -> None:
    """The set-up commands, checked structurally (installing is CI's job, and a full `evaluate` runs
    every installed system on the whole test split, too long for a test): the install and the test
    command are the ones `.ci/run` runs on every checkout, and the main job is an `evaluate` the
    CLI accepts."""
    from boilerbench.cli import build_parser

    ci = (CHECKOUT / ".ci" / "run").read_text(encoding="utf-8")
    install, tests = [b for b in _blocks("bash") if "pip install" in b or "pytest" in b]
    commands = [c.strip() for c in install.strip().split("&&")]
    node = "npm ci --prefix boilerbench/benchmark/systems/node"  # the Node extractors' install, as `missing()` says it
    assert commands == ["python -m pip install -U pip", 'pip install -e ".[all,test]"', node, "python -m boilerbench evaluate"]
    # .ci/run installs into a venv of its own ($py: Python 3.12 where the machine has one)
    assert '"$py" -m pip install -q -U pip' in ci and '"$py" -m pip install -q -e ".[all,test]"' in ci
    assert build_parser().parse_args(shlex.split(commands[3])[3:]).func.__name__ == "_cmd_evaluate"
    assert tests.strip() == "python -m pytest -q" and '"$py" -m pytest -q' in ci
    assert node in ci


def test_readme_api_snippet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys, lhpat_shift_jis) -> None:
    """The Python API snippet, run as written on `page.html`, a real page in Shift_JIS bytes: it
    prints the page's kept text, decoded (not mojibake), then a line per block with its decision
    and category group, then the text kept with the blocks of `keep`'s groups."""
    from boilerbench import extract
    from boilerbench.core.types import CATEGORY_GROUP_NAMES

    [code] = [code for code in _blocks("python") if "from boilerbench import extract" in code]
    assert "keep=" in code
    (tmp_path / "page.html").write_bytes(lhpat_shift_jis.data)
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md", "exec"), {})
    out = capsys.readouterr().out
    text = extract(lhpat_shift_jis.data)
    blocks = extract(lhpat_shift_jis.data, output="blocks")
    assert out.startswith(text + "\n") and "商標" in text
    rows = out[len(text) + 1 :].splitlines()[: len(blocks)]
    assert [r.split()[:2] for r in rows] == [[b.label, b.category] for b in blocks]
    assert {b.category for b in blocks} <= set(CATEGORY_GROUP_NAMES)
    with_comments = extract(lhpat_shift_jis.data, keep=("comments",))
    assert out.endswith("\n" + with_comments + "\n") and len(out.splitlines()) == len(text.splitlines()) + len(blocks) + len(
        with_comments.splitlines()
    )


def _small_corpus(root: Path) -> Path:
    """The test pages of `PAGE_IDS`, and a train and a validation page, in their own splits."""
    from dataclasses import replace

    from boilerbench.benchmark.corpora.store import write_corpus

    bundled = Corpus.open()
    pages = [p for p in bundled.pages if p.page_id in PAGE_IDS]
    pages += [bundled.select(split="train", source="wcxb")[0], bundled.select(split="validation", source="wcxb")[0]]
    write_corpus(root, [(replace(p, archive=""), bundled.read(p), bundled.gold[p.page_id]) for p in pages])
    return root


@pytest.fixture()
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A folder holding `hf-dataset` (built from a small corpus) and a copy of `baselines/`."""
    from boilerbench.integrations.dataset import build_dataset

    corpus_dir = _small_corpus(tmp_path / "corpus")
    board = tmp_path / "baselines"
    shutil.copytree(CHECKOUT / "baselines", board)
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


@pytest.mark.slow
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
    board = Path(os.environ["BOILERBENCH_BASELINES"])
    write_leaderboard(board)  # the board as a checkout holds it, beside the copy of baselines/
    before = _files(folder)
    for line in commands:
        if line.startswith("python -m boilerbench report"):  # what the submissions changed, before the site
            after = _files(folder)
            changed = sorted(k for k in after.keys() - {"my-extractor.jsonl", "my-classifier.jsonl"} if before.get(k) != after[k])
            # the scatter is redrawn, to the same bytes: a submission has no speed to plot
            assert changed == [
                "baselines/my-classifier.json",
                "baselines/my-extractor.json",
                "figures/leakage.svg",
                "leaderboard.md",
            ]
            assert after["figures/quality-speed.svg"] == before["figures/quality-speed.svg"]
            named = [*changed, "figures/quality-speed.svg"]
            assert all(f"`{path.replace('my-classifier', 'my-extractor')}`" in README for path in named)  # the README says so
        argv = shlex.split(line.split("#")[0])[3:]
        assert main([*argv, "--data", str(corpus_dir)]) == 0, line
    for name in ("my-extractor", "my-classifier"):
        record = json.loads((board / f"{name}.json").read_text(encoding="utf-8"))
        assert record["kind"] == "submission" and record["metrics"]["pages"] == len(PAGE_IDS)
    index = (folder / "report" / "index.html").read_text(encoding="utf-8")
    assert "my-extractor" in index and "my-classifier" in index
    board_md = (board.parent / "leaderboard.md").read_text(encoding="utf-8")
    assert "[my-extractor](https://example.org/my-extractor) (submission)" in board_md
    assert "my-classifier (submission)" in board_md


def _files(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` but the built dataset, its cache and the corpus, by relative path."""
    skip = {"hf-dataset", "hf-cache", "corpus"}
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in folder.rglob("*")
        if p.is_file() and p.relative_to(folder).parts[0] not in skip
    }


def _crawl(folder: Path, pages: list[RealPage]) -> list[str]:
    """A small WARC in `folder` of `pages` (conftest's, cut from bundled ones); returns their URLs."""
    warcio = pytest.importorskip("warcio")
    from io import BytesIO

    from warcio.statusandheaders import StatusAndHeaders

    folder.mkdir(parents=True)
    urls = []
    with (folder / "crawl.warc.gz").open("wb") as f:
        writer = warcio.warcwriter.WARCWriter(f, gzip=True)
        for rp in pages:
            urls.append(f"https://example.org/{rp.page.page_id}")
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(urls[-1], "response", payload=BytesIO(rp.data), http_headers=http))
    return urls


@pytest.mark.slow
def test_readme_datatrove_snippet_runs_as_a_script(tmp_path: Path, jefftk, autopresse) -> None:
    """The crawl snippet, saved as a script as a user would and run by `python` in a fresh process,
    with its `s3://bucket/` paths replaced by local folders: it exits (datatrove's workers import the
    script again, so an unguarded pipeline starts itself in each of them and never ends), writes the
    crawl's pages, and keeps its logs beside its output, not in the working folder."""
    pytest.importorskip("datatrove")
    [code] = [code for code in _blocks("python") if "datatrove" in code]
    assert code.count("s3://bucket/") == 3  # the reader's input, the writer's output, the logs
    urls = _crawl(tmp_path / "crawl", [jefftk, autopresse])
    script = tmp_path / "pipeline.py"
    script.write_text(code.replace("s3://bucket/", f"{tmp_path.as_posix()}/"), encoding="utf-8")
    work = _run_script([str(script)], tmp_path / "cwd")
    docs = _documents(tmp_path / "text")
    assert sorted(d["metadata"]["url"] for d in docs) == sorted(urls)
    assert all(d["text"].strip() and d["metadata"]["boilerbench"]["kept_ratio"] > 0 for d in docs)
    assert (tmp_path / "text-logs" / "completions").is_dir() and not list(work.iterdir())


@pytest.mark.slow
def test_example_pipeline_runs_and_logs_beside_its_output(tmp_path: Path, jefftk, autopresse) -> None:
    """`examples/datatrove_pipeline.py` as its docstring says to run it: it exits, writes the pages
    its filter keeps, and its datatrove logs go beside the output (OUT_DIR-logs), not into the
    folder it is run from."""
    pytest.importorskip("datatrove")
    _crawl(tmp_path / "crawl", [jefftk, autopresse])
    example = CHECKOUT / "examples" / "datatrove_pipeline.py"
    work = _run_script([str(example), str(tmp_path / "crawl"), str(tmp_path / "out"), "--workers", "1"], tmp_path / "cwd")
    docs = _documents(tmp_path / "out")
    assert docs and all(len(d["text"].split()) >= 50 for d in docs)  # the example's filter
    assert (tmp_path / "out-logs" / "completions").is_dir() and not list(work.iterdir())


def _run_script(argv: list[str], cwd: Path, timeout: float = 300) -> Path:
    """Run a Python script in a fresh process from the empty folder `cwd`, as a user runs it; fails
    the test, killing the script and every worker it started, if it has not exited in `timeout` s."""
    cwd.mkdir()
    env = {**os.environ, "PYTHONPATH": str(CHECKOUT)}
    proc = subprocess.Popen(
        [sys.executable, *argv], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        _, err = proc.communicate()
        pytest.fail(f"{argv[0]} did not exit in {timeout:.0f} s; its stderr ends: {err.decode(errors='replace')[-2000:]}")
    stderr = err.decode(errors="replace")
    assert proc.returncode == 0, stderr[-3000:]
    assert "bootstrapping phase" not in stderr
    return cwd


def _documents(folder: Path) -> list[dict[str, Any]]:
    """The documents datatrove's `JsonlWriter` wrote in `folder` (gzip-compressed, its default)."""
    import gzip

    docs = []
    for path in sorted(folder.glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            docs += [json.loads(line) for line in f]
    return docs


def test_readme_outputs_are_git_ignored() -> None:
    """What the README's flows write in the checkout (the dataset folder, the two submission files,
    the report) is ignored by git, so a newcomer's `git status` stays clean."""
    git = shutil.which("git")
    if git is None or not (CHECKOUT / ".git").exists():
        pytest.skip("not a git checkout")
    # logs/: where the crawl snippet and the example used to put datatrove's logs (they no longer do)
    written = ["hf-dataset/", "my-extractor.jsonl", "my-classifier.jsonl", "report/", "logs/"]
    assert all(name.rstrip("/") in README for name in written[:-1])
    for name in written:
        check = subprocess.run([git, "check-ignore", "-q", "--no-index", name], cwd=CHECKOUT)
        assert check.returncode == 0, f"{name} is not ignored by .gitignore"
