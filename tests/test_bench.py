"""bench: core speed (segmenter, aligner) and end-to-end systems speed on 5 real WCXB test pages."""

from __future__ import annotations

import importlib
import subprocess
import sys
import time
from pathlib import Path

import pytest

from boilerbench.benchmark import systems
from boilerbench.benchmark.bench import CLEAN_MARKDOWN, CLEAN_TEXT, bench_core, bench_systems, format_core, format_systems
from boilerbench.core import compiled
from boilerbench.core.segment import segment

N_PAGES = 5
REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # `tests.fake_systems` must import here and in the forked children
    sys.path.insert(0, str(REPO))
fake_systems = importlib.import_module("tests.fake_systems")


@pytest.fixture(scope="module")
def pages(corpus):
    pages = corpus.select(split="test", source="wcxb")[:N_PAGES]
    assert len(pages) == N_PAGES
    return pages


@pytest.fixture(scope="module")
def with_trafilatura(corpus, pages):
    return bench_systems(corpus, names=("boilerbench", "resiliparse", "trafilatura"), pages=pages)


def test_bench_core(corpus, pages) -> None:
    r = bench_core(corpus, pages=pages)
    assert r["pages"] == N_PAGES
    data = [d for _, d in corpus.iter_bytes(pages)]
    assert r["megabytes"] == round(sum(len(d) for d in data) / 1e6, 1)
    assert r["blocks"] == sum(len(segment(d, p.page_format)) for p, d in zip(pages, data)) > 0
    assert r["segment_pages_per_s"] > 0
    assert r["align_pages_per_s"] > 0
    assert 0 < r["align_slowest_page_s"] <= N_PAGES / r["align_pages_per_s"] + 0.01
    text = format_core(r)
    assert f"{N_PAGES} pages" in text and "segmenter" in text and "aligner" in text
    assert f"{r['blocks']:,} blocks" in text
    assert r["compiled"] == compiled.status() and f"compiled extension: {r['compiled']}" in text


@pytest.mark.slow
def test_bench_systems_without_trafilatura(corpus, pages, capsys) -> None:
    r = bench_systems(corpus, names=("boilerbench", "resiliparse"), pages=pages)
    progress = [line for line in capsys.readouterr().err.splitlines() if line.startswith("[bench]")]
    assert progress == [
        f"[bench] systems: run {k}/3, {name} ({i}/2) on {N_PAGES} pages"
        for k in (1, 2, 3)
        for i, name in ((1, "boilerbench"), (2, "resiliparse"))
    ]
    assert r["pages"] == N_PAGES
    assert list(r["systems"]) == ["boilerbench", "resiliparse"]
    for name, s in r["systems"].items():
        assert "error" not in s, (name, s)
        assert s["pages_per_s"] > 0
        assert s["seconds"] > 0
        assert s["pages_per_s"] == round(N_PAGES / s["seconds"], 1)
        assert len(s["runs_pages_per_s"]) == r["repeats"] == 3
        assert sorted(s["runs_pages_per_s"])[1] == s["pages_per_s"]  # the median run
        assert s["peak_rss_mb"] > 0 and s["rss_growth_mb"] >= 0
        assert "vs_trafilatura" not in s  # nothing to compare with
    assert r["systems"]["boilerbench"]["version"] == systems.load_system("boilerbench").version


@pytest.mark.slow
def test_bench_systems_with_trafilatura(with_trafilatura) -> None:
    r = with_trafilatura
    assert r["pages"] == N_PAGES
    assert list(r["systems"]) == ["boilerbench", "resiliparse", "trafilatura"]
    base = r["systems"]["trafilatura"]["pages_per_s"]
    assert base > 0
    for name, s in r["systems"].items():
        assert "error" not in s, (name, s)
        assert s["pages_per_s"] > 0
        assert s["vs_trafilatura"] > 0
        assert s["vs_trafilatura"] == round(s["pages_per_s"] / base, 2)
        assert s["version"] == systems.load_system(name).version
    assert r["systems"]["trafilatura"]["vs_trafilatura"] == 1.0


@pytest.mark.slow
def test_format_systems(with_trafilatura) -> None:
    text = format_systems(with_trafilatura)
    lines = text.splitlines()
    assert f"same {N_PAGES} pages" in lines[0]
    said = 0 if with_trafilatura["compiled"] == "in use" else 1  # the line that says why it is not
    assert len(lines) == 1 + said + 3
    for name, line in zip(with_trafilatura["systems"], lines[1 + said :]):
        assert line.split()[0] == name
        assert "pages/s" in line and "trafilatura" in line


def test_bench_json_has_the_start_up_figures(corpus, pages, small_test_corpus, tmp_path, capsys) -> None:
    """`bench --json`: the import time of each of `IMPORTS` (`import boilerbench`, `from boilerbench
    import extract`, beside `clean`'s and the classifier's modules) and of the first and next
    `extract` call, each from fresh interpreters, and printed; then the core figures."""
    import json

    from boilerbench.benchmark.bench import IMPORTS
    from boilerbench.cli import main

    folder = small_test_corpus(tmp_path / "corpus", [p.page_id for p in pages[:2]])
    out = tmp_path / "bench.json"
    assert main(["bench", "--core-only", "--repeats", "1", "--data", str(folder), "--json", str(out)]) == 0
    r = json.loads(out.read_text(encoding="utf-8"))
    assert list(r) == ["startup", "core"]
    startup = r["startup"]
    assert list(startup["import_s"]) == list(IMPORTS) == list(startup["import_runs_s"])
    assert IMPORTS[:2] == ("import boilerbench", "from boilerbench import extract")
    assert all(len(runs) == 1 for runs in startup["import_runs_s"].values())
    assert startup["page"] == pages[0].page_id and startup["page_bytes"] > 0
    assert startup["first_call_s"] > startup["next_call_s"] > 0
    printed = capsys.readouterr().out
    assert all(statement in printed for statement in IMPORTS) and "the first call" in printed
    assert main(["bench", "--core-only", "--repeats", "0"]) == 2


def test_bench_says_why_the_extension_is_absent(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the extension, both boilerbench rows are the Python code: the output says so, and why."""
    why = "ImportError: No module named 'boilerbench.core._walk'"
    monkeypatch.setattr(compiled.WALK, "absent_because", why)
    assert compiled.status().startswith("absent (") and why in compiled.status()
    row = {"version": "x", "seconds": 1.0, "pages_per_s": 1.0, "runs_pages_per_s": [1.0], "peak_rss_mb": 1, "rss_growth_mb": 0}
    text = format_systems({"pages": 1, "repeats": 1, "systems": {"boilerbench": row}, "compiled": compiled.status()})
    assert why in text.splitlines()[1]


def test_bench_systems_unknown_system_is_an_error_row(corpus, pages) -> None:
    r = bench_systems(corpus, names=("no-such-system", "resiliparse"), pages=pages[:1])
    s = r["systems"]["no-such-system"]
    assert set(s) == {"error"} and s["error"].startswith("exited with code")
    assert "no-such-system" in format_systems(r) and "error" in format_systems(r)
    assert r["systems"]["resiliparse"]["pages_per_s"] > 0  # the next system still runs


@pytest.mark.slow
def test_bench_pure_python_row(corpus, pages) -> None:
    """The classifier with its compiled extension switched off: the same system, slower."""
    r = bench_systems(corpus, names=("boilerbench", "boilerbench-python"), pages=pages, repeats=1)
    fast, pure = r["systems"]["boilerbench"], r["systems"]["boilerbench-python"]
    assert pure["version"] == fast["version"] and pure["pages_per_s"] > 0
    assert "boilerbench-python" in format_systems(r)


def test_bench_systems_reports_the_exit_code_of_a_dying_system(corpus, pages, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(systems.REGISTRY, "fake-exit-slowly", "tests.fake_systems:extract_exit_slowly")
    monkeypatch.setenv(fake_systems.MARKER_ENV, "<")  # every page is marked
    r = bench_systems(corpus, names=("fake-exit-slowly",), pages=pages[:1])
    assert r["systems"]["fake-exit-slowly"] == {"error": "exited with code 3"}


# --- at crawl scale (a small run: the command's figures, not a timing) ------------------------------


def test_write_warcs_spreads_unique_records(corpus, pages, tmp_path) -> None:
    from boilerbench.benchmark.bench import write_warcs
    from boilerbench.core.warc import WarcStats, iter_records

    htmls = [(p.url, d) for p, d in corpus.iter_bytes(pages)]
    paths = write_warcs(htmls, tmp_path, records=12, files=3)
    stats = WarcStats()
    urls = [r.url for path in paths for r in iter_records(path, stats)]
    assert len(urls) == len(set(urls)) == 12 and stats.html == 12 and not stats.truncated


@pytest.mark.slow
def test_bench_scale_prints_figures(corpus, tmp_path) -> None:
    pytest.importorskip("datatrove")
    from boilerbench.benchmark.bench import bench_scale, format_scale

    r = bench_scale(corpus, records=24, small=8, compare=6, work=tmp_path, pairs=2, started_after=2)
    runs = list(r["runs"].values())
    assert [(s["system"], s["records"], s["tasks"], s["pair"]) for s in runs] == [
        ("boilerbench", 8, 1, None),
        ("boilerbench", 24, 1, None),
        ("boilerbench", 24, 2, None),
        ("trafilatura", 6, 1, 0),
        ("boilerbench", 6, 1, 0),
        ("trafilatura", 6, 1, 1),
        ("boilerbench", 6, 1, 1),
    ]
    assert len(r["pair_ratios"]) == len(r["pair_step_ratios"]) == len(r["pair_started_ratios"]) == 2
    assert all(s["started_ms"] > 0 for s in runs if s["tasks"] == 1) and r["started_vs_trafilatura"] > 0
    for s in runs:
        assert "error" not in s, s
        assert s["records_per_s"] > 0 and s["peak_rss_mb"] > 0
    assert runs[0]["core_hours_3e9"] > 0 and r["vs_trafilatura"] > 0
    assert all(s["step_ms"]["extractor"] > 0 and {"reader", "extractor", "writer"} <= set(s["step_ms"]) for s in runs)
    assert "rest" in runs[0]["step_ms"] and "rest" not in runs[2]["step_ms"]  # one task: the time the steps leave out
    assert r["step_vs_trafilatura"] > 0
    text = format_scale(r)
    assert "records/s" in text and "core-hours for 3·10⁹ pages" in text and "trafilatura step" in text and "once started" in text
    assert not list(tmp_path.iterdir())  # the temporary WARCs are removed


_FORKS = """
import os, time
block = bytearray(300 * 2**20)  # touched: 300 MB in the parent
for i in range(0, len(block), 4096):
    block[i] = 1
if os.fork() == 0:  # a worker with 200 MB of its own
    own = bytearray(200 * 2**20)
    for i in range(0, len(own), 4096):
        own[i] = 1
    time.sleep(30)
    os._exit(0)
time.sleep(30)
"""


def test_tree_memory_counts_the_workers_once() -> None:
    """A parent of 300 MB forks a worker that adds 200 MB of its own: the tree takes about 500 MB
    (the parent's pages shared by the worker counted once, the worker's own counted), where the
    largest single process, what `/usr/bin/time` reports, is 300 MB."""
    from boilerbench.benchmark.bench import _descendants, tree_pss_mb

    proc = subprocess.Popen([sys.executable, "-c", _FORKS])
    try:
        deadline = time.monotonic() + 20
        mb = 0.0
        while time.monotonic() < deadline and mb < 480:
            time.sleep(0.2)
            mb = tree_pss_mb(proc.pid)
        assert len(_descendants(proc.pid)) == 2
        assert 480 <= mb <= 620, mb
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.slow
def test_peak_memory_of_a_command(capfd: pytest.CaptureFixture[str], tmp_path) -> None:
    """A command that loads the shipped models (a second or two, several samples): its tree's
    sampled PSS and its largest process's maximum RSS are both those of a Python process with
    scikit-learn loaded, tens to hundreds of MB."""
    from boilerbench.cli import main

    page = Path(__file__).parent / "fixtures" / "trafeval-0427-xinhuanet.html"
    command = f"clean {page}"
    out = tmp_path / "peak.json"
    assert main(["bench", "--peak-memory", command, "--json", str(out)]) == 0
    printed = capfd.readouterr().out
    assert "约定无期限" in printed  # the command's own output (the kept text), from its process
    assert f"peak memory of `boilerbench {command}`:" in printed
    import json

    peak = json.loads(out.read_text())
    assert peak["returncode"] == 0
    assert 20 < peak["peak_pss_mb"] <= peak["max_rss_mb"] * 1.05 < 2000, peak
    assert main(["bench", "--peak-memory", "pages --source nosuch"]) == 1  # the command's failure is the exit code


@pytest.mark.slow
def test_bench_clean_markdown_beside_clean(corpus, pages) -> None:
    """`bench` times `clean`'s work with the kept text and with Markdown on the same pages, and
    prints the second's pages/s as a ratio of the first's."""
    r = bench_systems(corpus, names=(CLEAN_TEXT, CLEAN_MARKDOWN), pages=pages, repeats=1)
    text, markdown = (r["systems"][name]["pages_per_s"] for name in (CLEAN_TEXT, CLEAN_MARKDOWN))
    assert text > 0 and markdown > 0
    assert r["markdown_vs_clean"] == round(markdown / text, 3)
    assert f"{CLEAN_MARKDOWN}: ×{r['markdown_vs_clean']:.2f} the pages/s of {CLEAN_TEXT}" in format_systems(r)
