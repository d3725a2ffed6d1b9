"""runner.run_systems: a crash, a hang or a dying worker costs one page, never the run; outputs
are cached by (system, version, page) and read back without re-running anything."""

from __future__ import annotations

import importlib
import importlib.util
import multiprocessing as mp
import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from boilerbench.benchmark import systems
from boilerbench.benchmark.runner import Output, run_systems
from tests.conftest import labeled_and_html

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # `tests.fake_systems` must import here and in the forked workers
    sys.path.insert(0, str(REPO))
fake_systems = importlib.import_module("tests.fake_systems")

# Five real pages of the bundled test split (WCXB and trafilatura-eval); the second one is marked.
PAGE_IDS = ["wcxb-4352", "trafeval-0094", "wcxb-4207", "trafeval-0041", "wcxb-4762"]
MARKED = 1
TIMEOUT = 2.0

FAKES = {
    "fake-raise": "tests.fake_systems:extract_raise",
    "fake-hang": "tests.fake_systems:extract_hang",
    "fake-exit": "tests.fake_systems:extract_exit",
    "fake-bytes": "tests.fake_systems:extract_bytes",
}


@pytest.fixture(autouse=True)
def _fresh_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A fresh output cache per test (the rest of the environment is isolated by conftest)."""
    monkeypatch.setenv("BOILERBENCH_CACHE", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def real_pages():
    """The labeled pages and their decoded HTML, in the same order."""
    labeled, html = labeled_and_html(PAGE_IDS)
    assert all(h.strip() for h in html)
    return labeled, html


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch, real_pages):
    """Register the fake systems (the forked workers inherit the patched REGISTRY and the marker)."""
    labeled, _ = real_pages
    for name, target in FAKES.items():
        monkeypatch.setitem(systems.REGISTRY, name, target)
    monkeypatch.setenv(fake_systems.MARKER_ENV, labeled[MARKED].page.url)
    return {name: systems.load_system(name) for name in FAKES}


class _Html:
    """`load_html` for run_systems that counts its calls."""

    def __init__(self, html: list[str]):
        self.html, self.calls = html, 0

    def __call__(self) -> list[str]:
        self.calls += 1
        return list(self.html)


def _expected_ok(html: str) -> str:
    return fake_systems.visible_text(html)


def test_fake_systems_behave_on_unmarked_pages(fakes, real_pages) -> None:
    labeled, html = real_pages
    # the in-process call on an unmarked page is what the workers must return
    for name in ("fake-raise", "fake-bytes"):
        text = fakes[name].fn(html[0], labeled[0].page.url, labeled[0].page.language)
        assert isinstance(text, str) and text == _expected_ok(html[0]) and text.strip()
    with pytest.raises(RuntimeError):
        fakes["fake-raise"].fn(html[MARKED], labeled[MARKED].page.url, "de")


@pytest.mark.slow
def test_failures_cost_one_page_and_cached_rerun_is_instant(fakes, real_pages) -> None:
    labeled, html = real_pages
    loaded = list(fakes.values())
    load_html = _Html(html)

    t0 = time.monotonic()
    out = run_systems(loaded, labeled, load_html, timeout=TIMEOUT, workers=2, cache=True, progress=False)
    first = time.monotonic() - t0
    assert load_html.calls == 1
    assert set(out) == set(FAKES)
    assert first >= TIMEOUT  # the hanging page was waited for...
    assert first < TIMEOUT + 20  # ...and only for its timeout
    assert not mp.active_children()  # hung and dead workers were reaped

    url = labeled[MARKED].page.url
    errors = {name: outs[MARKED].error for name, outs in out.items()}
    assert errors["fake-raise"] == f"RuntimeError: {fake_systems.failure_message(url)[:200]}"
    assert errors["fake-hang"] == f"timeout after {TIMEOUT:g}s"
    assert errors["fake-exit"] is not None and errors["fake-exit"].startswith("worker died")
    assert "exit code 3" in errors["fake-exit"]
    assert errors["fake-bytes"] == "TypeError: fake-bytes returned bytes, not str"
    assert out["fake-hang"][MARKED].seconds == TIMEOUT
    for name, outs in out.items():
        assert len(outs) == len(labeled)
        assert outs[MARKED].text == ""
        for i, o in enumerate(outs):
            if i == MARKED:
                continue
            # pages before and after the failure (after a replaced worker) have their outputs
            assert o.error is None, (name, i, o.error)
            assert o.text == _expected_ok(html[i]) and o.text.strip()
            assert o.seconds >= 0 and o.kept is None

    # second run: every output comes from the cache; nothing is extracted, nothing waits
    load_again = _Html(html)
    t0 = time.monotonic()
    again = run_systems(loaded, labeled, load_again, timeout=TIMEOUT, workers=2, cache=True, progress=False)
    second = time.monotonic() - t0
    assert load_again.calls == 0
    assert second < TIMEOUT / 2
    assert again == out


def test_cache_disabled_reruns(fakes, real_pages) -> None:
    labeled, html = real_pages
    s = [fakes["fake-raise"]]
    first = run_systems(s, labeled, _Html(html), timeout=TIMEOUT, workers=2, cache=False, progress=False)
    load_html = _Html(html)
    second = run_systems(s, labeled, load_html, timeout=TIMEOUT, workers=2, cache=False, progress=False)
    assert load_html.calls == 1  # nothing was read back
    assert [o.text for o in second["fake-raise"]] == [o.text for o in first["fake-raise"]]
    assert second["fake-raise"][MARKED].error is not None
    load_cached = _Html(html)  # the uncached runs refreshed the cache: a cached run reads the last one back
    third = run_systems(s, labeled, load_cached, timeout=TIMEOUT, workers=2, cache=True, progress=False)
    assert load_cached.calls == 0 and third == second


@pytest.mark.slow
def test_partly_cached_runs_only_the_rest(fakes, real_pages) -> None:
    """Pages already cached are not re-run: the hanging page cached from a first run over a subset
    does not cost its timeout again when the full list is run."""
    labeled, html = real_pages
    s = [fakes["fake-hang"]]
    sub = [0, MARKED]
    first = run_systems(
        s, [labeled[i] for i in sub], _Html([html[i] for i in sub]), timeout=TIMEOUT, workers=2, cache=True, progress=False
    )
    assert first["fake-hang"][1].error == f"timeout after {TIMEOUT:g}s"
    load_html = _Html(html)
    t0 = time.monotonic()
    full = run_systems(s, labeled, load_html, timeout=TIMEOUT, workers=2, cache=True, progress=False)
    assert time.monotonic() - t0 < TIMEOUT
    assert load_html.calls == 1  # three pages were missing
    outs = full["fake-hang"]
    assert outs[0] == first["fake-hang"][0] and outs[MARKED] == first["fake-hang"][1]
    assert all(o.error is None and o.text == _expected_ok(h) for i, (o, h) in enumerate(zip(outs, html)) if i != MARKED)


def test_output_json_round_trip() -> None:
    for o in (Output("text", 0.25), Output("", 2.0, "timeout after 2s"), Output("a\nb", 0.1, None, (True, False, True))):
        assert Output.from_json(o.to_json()) == o


def test_cached_output_depends_on_the_language_the_extractor_was_given(real_pages) -> None:
    labeled, html = real_pages
    i = PAGE_IDS.index("trafeval-0041")  # a German page: jusText keeps its text only with the German stop list
    labeled_page = labeled[i]
    assert labeled_page.page.language == "de"
    justext_ = systems.load_system("justext")
    as_german = justext_.fn(html[i], labeled_page.page.url, "de")
    as_english = justext_.fn(html[i], labeled_page.page.url, "en")
    assert as_german.strip() and as_german != as_english  # the language really changes the output
    relabeled = replace(labeled_page, page=replace(labeled_page.page, language="en"))  # same bytes, same sha256
    first = run_systems([justext_], [labeled_page], _Html([html[i]]), timeout=30, workers=1, cache=True, progress=False)
    assert first["justext"][0].text == as_german
    second = run_systems([justext_], [relabeled], _Html([html[i]]), timeout=30, workers=1, cache=True, progress=False)
    assert second["justext"][0].text == as_english


def test_a_failing_post_is_said_and_the_run_goes_on(fakes, real_pages, capsys: pytest.CaptureFixture[str]) -> None:
    """The caller's per-output work raising on one page is said on stderr, that page is left out of
    `post_results` (the caller redoes it), and every page still has its output."""
    labeled, html = real_pages

    def post(i: int, out: Output) -> int:
        if i == MARKED:
            raise ValueError("cannot project")
        return len(out.text)

    results: dict[str, dict[int, int]] = {}
    out = run_systems(
        [fakes["fake-bytes"]],
        labeled,
        _Html(html),
        timeout=TIMEOUT,
        workers=1,
        cache=False,
        progress=False,
        post=post,
        post_results=results,
    )
    assert sorted(results["fake-bytes"]) == [i for i in range(len(labeled)) if i != MARKED]
    assert len(out["fake-bytes"]) == len(labeled) and out["fake-bytes"][0].text.strip()
    err = capsys.readouterr().err
    assert f"`post` failed on {labeled[MARKED].page.page_id}" in err and "ValueError: cannot project" in err


_CHATTY = """
import json
import sys
from boilerbench.benchmark.corpora.store import Corpus
from boilerbench.benchmark.groundtruth import load_labeled
from boilerbench.benchmark.runner import decode_page, run_systems
from boilerbench.benchmark.systems import load_system

corpus = Corpus.open()
page = next(p for p in corpus.pages if p.page_id == sys.argv[1])
odd = decode_page(corpus.read(page))
odd = odd.replace(
    "<head>", '<head><meta property="article:published_time" content="1 day ago"><meta name="date" content="Jan 5 2019 10:00 EST">', 1
)
odd = odd.replace("</body>", '<p><a href="/a">one <a href="/b">two</a></a> links nested.</p></body>', 1)
chatty = [load_system(n) for n in ("goose3", "boilerpy3", "news-please")]
if sys.argv[2] == "direct":
    texts = [s.fn(odd, None, None) for s in chatty]
else:
    labeled = load_labeled(corpus, [page], workers=1, progress=False, cache=False)
    out = run_systems(chatty, labeled, lambda: [odd], workers=1, progress=False, cache=False)
    assert all(o[0].error is None for o in out.values())
    texts = [o[0].text for o in out.values()]
print(json.dumps(texts))
"""


@pytest.mark.slow
def test_extractor_warnings_stay_out_of_the_run_output(tmp_path: Path) -> None:
    """goose3 and boilerpy3 log a warning per odd page (a relative publish date, nested links) and
    news-please's libraries raise Python warnings (a time zone dateutil does not know; newspaper's
    missing nltk), which Python prints on stderr: called directly they do (the control), in the
    run's workers they do not, and the texts are the same. Each in a fresh interpreter, as a user
    runs it (pytest's own log capture would hide them here)."""
    warnings = ["could not be resolved to UTC", "nested A elements", "identified but not understood"]
    if importlib.util.find_spec("nltk") is None:  # newspaper warns only where nltk is absent
        warnings.append("nltk is not installed")
    env = {**os.environ, "BOILERBENCH_CACHE": str(tmp_path), "PYTHONPATH": str(REPO)}
    err, texts = {}, {}
    for how in ("direct", "run"):
        run = subprocess.run(
            [sys.executable, "-c", _CHATTY, PAGE_IDS[0], how], capture_output=True, text=True, env=env, timeout=300
        )
        assert run.returncode == 0, run.stderr
        err[how], texts[how] = run.stderr, run.stdout
    assert all(w in err["direct"] for w in warnings), err["direct"]
    assert not any(w in err["run"] for w in warnings), err["run"]
    assert texts["run"] == texts["direct"] and texts["run"].startswith("[")


def test_chunks_are_dealt_in_turns_across_systems() -> None:
    """The progress bar's estimate holds only if the pages done so far mix the systems as the whole
    run does: every system's first chunk comes before any system's second."""
    from boilerbench.benchmark.runner import CHUNK_MIN, _chunks

    todo = {"slow": list(range(4 * CHUNK_MIN)), "fast": list(range(4 * CHUNK_MIN)), "few": [0, 1]}
    queue = _chunks(todo)
    assert [name for name, _ in queue[:3]] == ["slow", "fast", "few"]
    assert [name for name, _ in queue[3:]] == ["slow", "fast"] * 3
    for name, pages in todo.items():  # every page once, in order
        assert [i for n, chunk in queue if n == name for i in chunk] == pages


_GOOSE = """
import json
import sys
from boilerbench.benchmark.corpora.store import Corpus
from boilerbench.benchmark.groundtruth import load_labeled
from boilerbench.benchmark.runner import decode_page, run_systems
from boilerbench.benchmark.systems import REGISTRY, load_system

corpus = Corpus.open()
page = next(p for p in corpus.pages if p.page_id == sys.argv[1])
html = decode_page(corpus.read(page))
REGISTRY["goose3-as-is"] = "tests.fake_systems:goose3_as_is"
goose = load_system("goose3-as-is")
if sys.argv[2] == "direct":
    try:
        goose.fn(html, None, None)
        error = None
    except ValueError as e:
        error = f"ValueError: {e}"
else:
    labeled = load_labeled(corpus, [page], workers=1, progress=False, cache=False)
    error = run_systems([goose], labeled, lambda: [html], workers=1, progress=False, cache=False)["goose3-as-is"][0].error
print(json.dumps(error))
"""


@pytest.mark.slow
def test_goose3_parser_errors_are_the_pages_error_not_stderr_lines(tmp_path: Path) -> None:
    """goose3 logs "Parser lxml failed to parse the content" (at ERROR, naming no page) for each
    parser that raises on a page, then raises itself when none is left: on this test page as it is
    (control characters lxml refuses, which the goose3 system drops first) called directly it prints
    both parsers' lines; in the run's workers stderr stays clean and the failure is the page's
    Output error, the same exception."""
    pytest.importorskip("goose3")
    env = {**os.environ, "BOILERBENCH_CACHE": str(tmp_path), "PYTHONPATH": str(REPO)}
    err, error = {}, {}
    for how in ("direct", "run"):
        run = subprocess.run(
            [sys.executable, "-c", _GOOSE, "trafeval-0152", how], capture_output=True, text=True, env=env, timeout=300
        )
        assert run.returncode == 0, run.stderr
        err[how], error[how] = run.stderr, run.stdout
    assert "Parser lxml failed to parse the content" in err["direct"]
    assert err["run"] == ""
    assert '"ValueError: All strings must be XML compatible' in error["run"]
    assert error["run"][:60] == error["direct"][:60]


# --- the structured mode (issue 27) ---------------------------------------------------------------


@pytest.mark.slow
def test_structured_mode_runs_its_own_function_and_is_cached_apart(fakes, real_pages, monkeypatch: pytest.MonkeyPatch) -> None:
    """A structured run calls the system's structured function (its output tagged with its format),
    a failure costs one page as in a text run, and its outputs are cached under keys of their own:
    a text run after it extracts again, a second structured run extracts nothing."""
    labeled, html = real_pages
    monkeypatch.setitem(systems.STRUCTURED, "fake-raise", ("html", "tests.fake_systems:structured_raise"))
    system = systems.load_system("fake-raise")
    assert system.structured_format == "html"
    load_html = _Html(html)
    out = run_systems([system], labeled, load_html, timeout=TIMEOUT, workers=1, progress=False, mode="structured")["fake-raise"]
    assert load_html.calls == 1
    for i, o in enumerate(out):
        if i == MARKED:
            assert o.error == f"RuntimeError: {fake_systems.failure_message(labeled[MARKED].page.url)[:200]}"
            assert o.text == "" and o.structured_format is None
        else:
            assert o.error is None and o.text == html[i] and o.structured_format == "html"
    assert Output.from_json(out[0].to_json()) == out[0]
    again = _Html(html)
    assert run_systems([system], labeled, again, workers=1, progress=False, mode="structured")["fake-raise"] == out
    assert again.calls == 0
    text = _Html(html)
    texts = run_systems([system], labeled, text, workers=1, progress=False)["fake-raise"]
    assert text.calls == 1 and texts[0].text == _expected_ok(html[0]) and texts[0].structured_format is None


@pytest.mark.slow
def test_structured_mode_of_a_text_only_system_is_each_pages_error(fakes, real_pages) -> None:
    labeled, html = real_pages
    out = run_systems([fakes["fake-bytes"]], labeled[:2], _Html(html[:2]), workers=1, progress=False, mode="structured")
    assert [o.error for o in out["fake-bytes"]] == ["TypeError: fake-bytes has no structured mode"] * 2


def test_an_unknown_mode_is_refused(fakes, real_pages) -> None:
    labeled, html = real_pages
    with pytest.raises(ValueError, match="mode must be one of 'text', 'structured'"):
        run_systems([fakes["fake-bytes"]], labeled, _Html(html), progress=False, mode="markdown")
