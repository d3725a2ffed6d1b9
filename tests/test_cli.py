"""The `show` command, error exits, that the cache stays out of the checkout, and that the CLI
starts without the heavy modules its commands load."""

from __future__ import annotations

import gzip
import re
import subprocess
import sys
from pathlib import Path

import pytest

from boilerbench import cli
from boilerbench.benchmark import cache as bb_cache
from boilerbench.benchmark.corpora.store import Corpus
from boilerbench.benchmark.labels import label_page

LINE_RE = re.compile(r"^\s*(\d+) ([Cb?])([* ]) (\S+)\s+(\d\.\d\d) (\S+)\s+(.*)$")


def block_lines(lines: list[str]) -> list[re.Match[str]]:
    """`LINE_RE` over `show`'s block lines; a line that is not one fails the test, shown."""
    rows = [LINE_RE.match(line) for line in lines]
    assert all(rows), [line for line, m in zip(lines, rows) if not m]
    return [m for m in rows if m is not None]


@pytest.mark.slow
def test_show_prints_every_block(capsys, real_page) -> None:
    rp = real_page("wcxb-0495")
    assert cli.main(["show", "wcxb-0495"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("# wcxb-0495  wcxb/validation  article  en  https://www.jefftk.com/p/backup-strategy")
    rows = block_lines(out[1:])
    expected = label_page(rp.page, rp.data, rp.gold).blocks
    assert len(rows) == len(expected)
    for m, b in zip(rows, expected):
        assert int(m.group(1)) == b.block.index
        assert m.group(2) == {"content": "C", "boilerplate": "b", None: "?"}[b.label]
        assert m.group(4) == b.category
        assert m.group(6) == b.block.tag
        assert b.block.text.replace("\n", " ⏎ ").startswith(m.group(7).rstrip("…"))
    assert any(m.group(7).startswith("rsync -t -l -r -c ps:jtk/") and " ⏎ " in m.group(7) for m in rows)


def test_show_width_and_gold(capsys) -> None:
    assert cli.main(["show", "wcxb-0495", "--width", "30", "--gold"]) == 0
    out = capsys.readouterr().out
    body, gold = out.split("## gold\n")
    texts = [m.group(7) for m in block_lines(body.splitlines()[1:])]
    assert max(len(t) for t in texts) == 30
    assert any(t.endswith("…") for t in texts)
    assert gold.startswith("After reading a post from someone who nearly lost all their data")


def test_show_several_pages_and_unlabeled_blocks(capsys) -> None:
    assert cli.main(["show", "trafeval-0133", "wcxb-0406"]) == 0
    out = capsys.readouterr().out
    headers = [line for line in out.splitlines() if line.startswith("# ")]
    assert [h.split()[1] for h in headers] == ["trafeval-0133", "wcxb-0406"]  # corpus order
    assert " ? " in out  # snippet-only page: unlabeled blocks


def test_show_a_file_prints_the_classifiers_blocks(capsys, tmp_path: Path) -> None:
    """`show page.html` (not "unknown page id"): every block of the file, C where the shipped
    classifier keeps it, its category and score; a gzipped copy shows the same; --gold is refused."""
    from boilerbench.extractor.extract import classify

    page = Path(__file__).parent / "fixtures" / "wcxb-0495-jefftk.html"
    assert cli.main(["show", str(page), "--width", "0"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"# {page}  html  ")
    d = classify(page.read_bytes(), "auto", name=page.name)
    rows = block_lines(out[1:])
    assert len(rows) == len(d.blocks) > 10
    for m, b, kept, row in zip(rows, d.blocks, d.kept, d.extracted_blocks()):
        assert (int(m.group(1)), m.group(2), m.group(4), float(m.group(5)), m.group(6)) == (
            b.index,
            "C" if kept else "b",
            row.category,
            round(row.score, 2),
            b.tag,
        )
        assert m.group(7) == b.text.replace("\n", " ⏎ ")
    assert {m.group(2) for m in rows} == {"C", "b"}
    packed = tmp_path / "page.html.gz"
    packed.write_bytes(gzip.compress(page.read_bytes()))
    assert cli.main(["show", str(packed), "--width", "0"]) == 0
    assert capsys.readouterr().out.splitlines()[1:] == out[1:]
    assert cli.main(["show", str(page), "--gold"]) == 2
    assert "give a page id" in capsys.readouterr().err


@pytest.mark.parametrize("args", [["show", "nope-0000"], ["show", "wcxb-0495", "nope-0000", "also-missing"]])
def test_show_unknown_page_id(capsys, args: list[str]) -> None:
    assert cli.main(args) == 2
    cap = capsys.readouterr()
    assert cap.out == ""
    missing = sorted(a for a in args[1:] if a != "wcxb-0495")
    assert cap.err.strip() == f"boilerbench: error: unknown page id(s): {', '.join(missing)}"


def test_show_on_a_folder_that_is_not_a_corpus(capsys, tmp_path: Path) -> None:
    assert cli.main(["show", "x", "--data", str(tmp_path)]) == 2
    assert "not a boilerbench corpus" in capsys.readouterr().err


def test_no_command_is_a_usage_error(capsys) -> None:
    with pytest.raises(SystemExit) as e:
        cli.main([])
    assert e.value.code == 2
    assert "usage" in capsys.readouterr().err


def test_cache_goes_to_the_test_cache_dir(cache_dir: Path) -> None:
    repo_cache = Path(cli.__file__).resolve().parents[1] / ".cache"
    assert cache_dir.resolve() != repo_cache.resolve()
    assert bb_cache.cache_dir().resolve() == cache_dir.resolve()
    assert cli.main(["show", "wcxb-0406"]) == 0
    assert (cache_dir / "labeled.sqlite").is_file()


def test_pages_lists_and_filters(capsys) -> None:
    """`pages` lists the corpus's pages (tab-separated: id, source, split, type, language, url)."""
    assert cli.main(["pages", "--split", "test", "--source", "wcxb", "--type", "forum"]) == 0
    out, err = capsys.readouterr()
    rows = [line.split("\t") for line in out.splitlines()]
    corpus = Corpus.open()
    expected = [p for p in corpus.select(split="test", source="wcxb") if p.page_type == "forum"]
    assert [r[0] for r in rows] == [p.page_id for p in expected] and len(rows) > 10
    assert all(r[1:4] == ["wcxb", "test", "forum"] and len(r) == 6 for r in rows)
    assert f"{len(rows)} page(s)" in err
    with pytest.raises(SystemExit):
        cli.main(["pages", "--type", "blog"])  # not a page type: argparse names the choices


def test_pages_refuses_an_unknown_source(capsys) -> None:
    """Not "0 page(s)" and exit 0: the corpus's own sources are named."""
    assert cli.main(["pages", "--source", "nosuch"]) == 2
    cap = capsys.readouterr()
    sources = sorted({p.source for p in Corpus.open().pages})
    assert cap.out == "" and len(sources) == 3
    assert cap.err == f"boilerbench: error: --source must be one of {', '.join(map(repr, sources))}; got 'nosuch'\n"


@pytest.mark.parametrize("command", [["evaluate", "--systems", "all-text"], ["pages"], ["show", "wcxb-0406"], ["validate"]])
def test_data_that_does_not_exist_is_named_so(capsys, tmp_path: Path, command: list[str]) -> None:
    assert cli.main([*command, "--data", str(tmp_path / "no" / "such")]) == 2
    assert capsys.readouterr().err == f"boilerbench: error: --data {tmp_path / 'no' / 'such'}: no such folder\n"


@pytest.mark.parametrize("command", [["report"], ["build-dataset"], ["clean", str(Path(__file__).parent / "fixtures")]])
def test_out_that_is_a_file_is_refused_by_name(capsys, tmp_path: Path, command: list[str]) -> None:
    """Not `[Errno 17] File exists`; the file is left as it was."""
    out = tmp_path / "taken"
    out.write_text("mine\n", encoding="utf-8")
    assert cli.main([*command, "--out", str(out)]) == 2
    assert capsys.readouterr().err == f"boilerbench: error: --out {out}: is a file, not a folder\n"
    assert out.read_text(encoding="utf-8") == "mine\n"


def test_evaluate_refuses_when_no_requested_system_can_run(capsys, monkeypatch, tmp_path: Path, small_test_corpus) -> None:
    """`evaluate --systems trafilatura` without trafilatura: not an empty table and exit 0, but one
    line naming each system and why it cannot run (packages hidden as if never installed)."""
    monkeypatch.setitem(sys.modules, "trafilatura", None)  # `import trafilatura` fails as when absent
    monkeypatch.setitem(sys.modules, "readability", None)
    data = str(small_test_corpus(tmp_path / "corpus", ["wcxb-0406", "wcxb-0495"]))
    assert cli.main(["evaluate", "--data", data, "--systems", "trafilatura,readability-lxml", "--workers", "1"]) == 2
    cap = capsys.readouterr()
    assert cap.out == ""
    assert cap.err == (
        "boilerbench: error: no requested system can run here: "
        'trafilatura: trafilatura not installed (no module trafilatura); pip install -e ".[trafilatura]" | '
        'readability-lxml: readability-lxml not installed (no module readability); pip install -e ".[readability-lxml]"\n'
    )
    # one that runs is enough: the others are skipped, named on stderr; a corpus of your own is
    # scored on every page, whatever its splits (not "split None")
    assert cli.main(["evaluate", "--data", data, "--systems", "trafilatura,all-text", "--workers", "1"]) == 0
    out, err = capsys.readouterr()
    assert "skipping trafilatura: trafilatura not installed" in err
    assert [line.split()[0] for line in out.splitlines() if line.startswith(("all-text", "trafilatura"))] == ["all-text"]
    assert out.splitlines()[-1].startswith("every split, 2 pages, dataset revision ")


def test_an_os_error_names_its_path_without_errno(capsys, tmp_path: Path) -> None:
    """`--out FILE/sub`: the OS's reason and the path, one line, exit 2 (was a NotADirectoryError traceback)."""
    (tmp_path / "taken").write_text("mine\n", encoding="utf-8")
    out = tmp_path / "taken" / "sub"
    assert cli.main(["clean", str(Path(__file__).parent / "fixtures" / "wcxb-0495-jefftk.html"), "--out", str(out)]) == 2
    assert capsys.readouterr().err == f"boilerbench: error: {out}: Not a directory\n"


def test_show_raw_writes_the_archived_bytes(capsysbinary) -> None:
    corpus = Corpus.open()
    page = next(p for p in corpus.pages if p.page_id == "wcxb-0406")
    assert cli.main(["show", "wcxb-0406", "--raw"]) == 0
    assert capsysbinary.readouterr().out == corpus.read(page)
    assert cli.main(["show", "wcxb-0406", "wcxb-0495", "--raw"]) != 0


def test_a_pipe_closed_by_its_reader_is_a_normal_end() -> None:
    """`pages | head -1`: the reader closes the pipe after one line, long before the listing ends
    (far more than a pipe holds); no traceback, and 141 as a Unix tool stopped by SIGPIPE exits."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "boilerbench", "pages"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline().decode("utf-8")
    proc.stdout.close()
    err = proc.stderr.read().decode("utf-8")
    assert proc.wait(timeout=120) == 141, err
    assert first.split("\t")[0] == Corpus.open().pages[0].page_id
    assert err == ""


HEAVY = (
    "numpy",
    "lxml",
    "sklearn",
    "scipy",
    "matplotlib",
    "rapidfuzz",
    "tqdm",
    "skops",
    "pyarrow",
    "datasets",
    "warcio",
    "charset_normalizer",
    "py3langid",
    "boilerbench.benchmark.corpora.store",
    "boilerbench.benchmark.systems",
)


@pytest.mark.parametrize(
    "code", ["import boilerbench", "import boilerbench.cli", "from boilerbench.cli import main; main(['--help'])"]
)
def test_the_cli_starts_without_what_its_commands_load(code: str) -> None:
    """`--help` and the start of every command stay ~0.2 s: each command imports its own modules."""
    probe = f"""
import sys
try:
    {code}
except SystemExit:
    pass
print(' '.join(m for m in {HEAVY!r} if m in sys.modules))
"""
    run = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=Path(__file__).resolve().parents[1]
    )
    assert run.stdout.splitlines()[-1].strip() == ""
