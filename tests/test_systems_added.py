"""The extractors added as baselines in issue 24 (rs-trafilatura, magic-html, GNE, Mozilla's
Readability.js under Node): each run for real on real pages of the bundled test split, returning
the article's text; each skipped, with its own reason, where it cannot run. The Node runner: one
child per worker, which dies with a worker the runner kills."""

from __future__ import annotations

import os
import re
import shutil
import sys
import time
from pathlib import Path

import pytest

from boilerbench.benchmark import systems
from boilerbench.benchmark.corpora.store import Corpus
from boilerbench.benchmark.groundtruth import load_labeled
from boilerbench.benchmark.runner import decode_page, run_systems
from boilerbench.benchmark.scoring import word_scores
from boilerbench.benchmark.systems import MissingSystem, Requirement, _node
from tests.conftest import labeled_and_html

# pages whose gold is a whole text: Scrapinghub articles and a WCXB one, all of the test split
PAGE_IDS = ["scrapinghub-04a6711caa", "scrapinghub-05844573ca", "wcxb-4207", "scrapinghub-042bb7b5fe"]
# each system, on pages where it finds the article (GNE, written for Chinese news, misses most of the
# first one and all of the third)
ADDED = {
    "rs-trafilatura": PAGE_IDS[:3],
    "rs-trafilatura-precision": PAGE_IDS[:3],
    "magic-html": PAGE_IDS[:3],
    "readability-js": PAGE_IDS[:3],
    "gne": [PAGE_IDS[1], PAGE_IDS[3]],
}
BIG_PAGE = "wcxb-4072"  # 281 kB: Readability.js takes seconds on it (the timeout test)


@pytest.fixture(autouse=True)
def _fresh_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BOILERBENCH_CACHE", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def pages():
    """(labeled pages, decoded HTML) of PAGE_IDS and BIG_PAGE, in that order."""
    labeled, html = labeled_and_html([*PAGE_IDS, BIG_PAGE])
    assert all(labeled_page.page.split == "test" for labeled_page in labeled)
    assert all(labeled_page.gold.text for labeled_page in labeled[: len(PAGE_IDS)])
    return labeled, html


def _load(name: str) -> systems.System:
    try:
        return systems.load_system(name)
    except MissingSystem as e:
        pytest.skip(str(e))


@pytest.fixture(scope="module", autouse=True)
def _stop_node():
    """The pytest process's own node child (the direct calls below start it) ends with the module."""
    yield
    from boilerbench.benchmark.systems import readability_js

    readability_js._NODE.close()


@pytest.mark.parametrize("name", ADDED)
def test_added_system_returns_the_article_text(name: str, pages) -> None:
    labeled, html = pages
    s = _load(name)
    s.warm_up()
    for labeled_page, h in zip(labeled, html):
        if labeled_page.page.page_id not in ADDED[name]:
            continue
        out = s.fn(h, labeled_page.page.url, labeled_page.page.language)
        assert isinstance(out, str) and out.strip(), f"{name} extracted nothing from {labeled_page.page.page_id}"
        scores = word_scores(out, labeled_page.gold.text or "")
        # the article, not its title alone nor the whole page with its menus
        assert scores["word_recall"] >= 0.8, (name, labeled_page.page.page_id, scores)
        assert scores["word_precision"] >= 0.8, (name, labeled_page.page.page_id, scores)


def test_precision_setting_is_passed_on(pages) -> None:
    """rs-trafilatura-precision is rs-trafilatura with favor_precision, not a second name for it."""
    labeled, html = pages
    default, precise = _load("rs-trafilatura"), _load("rs-trafilatura-precision")
    outs = [
        (default.fn(h, labeled_page.page.url, None), precise.fn(h, labeled_page.page.url, None))
        for labeled_page, h in zip(labeled, html)
    ]
    assert any(a != b for a, b in outs)


@pytest.mark.slow
def test_readability_js_reads_a_page_whose_css_broke_jsdom_28(pages) -> None:
    """Gizmodo's Scrapinghub page: jsdom 28's CSS parser (cssstyle 6) threw a TypeError on one of
    its style sheets, so Readability.js never saw the page; the folder pins jsdom 26, which reads it."""
    corpus = Corpus.open()
    [page] = [p for p in corpus.pages if p.page_id == "scrapinghub-7bb1ca9035"]
    [labeled_page] = load_labeled(corpus, [page], workers=1, progress=False, cache=False)
    out = _load("readability-js").fn(decode_page(corpus.read(page)), page.url, page.language)
    assert word_scores(out, labeled_page.gold.text or "")["word_recall"] >= 0.8


def test_gne_finding_no_body_is_an_empty_answer(pages) -> None:
    """Where GNE finds no text it answers "" (WCXB's 4207), and where it finds no body at all it
    raises NoContentException: that too is the answer "", not a failure of the page."""
    labeled, html = pages
    s = _load("gne")
    i = PAGE_IDS.index("wcxb-4207")
    assert s.fn(html[i], labeled[i].page.url, None) == ""
    assert s.fn("<html></html>", None, None) == ""


@pytest.mark.slow
def test_readability_js_in_workers_matches_direct_calls(pages) -> None:
    """The runner's forked workers each start their own node (not the parent's, started by the
    direct calls here): their outputs are those of the direct calls, page for page."""
    labeled, html = pages
    s = _load("readability-js")
    direct = [s.fn(h, labeled_page.page.url or None, labeled_page.page.language) for labeled_page, h in zip(labeled, html)]
    out = run_systems([s], labeled, lambda: html, timeout=60, workers=2, cache=False, progress=False)
    assert [o.error for o in out["readability-js"]] == [None] * len(html)
    assert [o.text for o in out["readability-js"]] == direct


def _node_children_alive() -> set[int]:
    """Live (not zombie) processes running this checkout's extract.js that are not this process's
    own children."""
    found = set()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
            status = (proc / "status").read_text()
        except OSError:
            continue
        if str(_node.SCRIPT).encode() not in cmdline:
            continue
        fields = dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)
        if fields.get("State", "").startswith("Z") or int(fields["PPid"]) == os.getpid():
            continue
        found.add(int(proc.name))
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.slow
def test_a_timed_out_worker_leaves_no_node_behind(pages) -> None:
    """The runner kills a worker that overruns its timeout (here while it is still starting node):
    no node of that worker is left running."""
    labeled, html = pages
    s = _load("readability-js")
    before = _node_children_alive()
    out = run_systems([s], [labeled[-1]], lambda: [html[-1]], timeout=0.3, workers=1, cache=False, progress=False)
    assert out["readability-js"][0].error == "timeout after 0.3s"
    deadline = time.monotonic() + 5.0
    while _node_children_alive() - before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _node_children_alive() - before


def _busy_worker(html: str, conn) -> None:
    """A worker as the runner's: warm up, say so, then extract a page that keeps node busy."""
    s = systems.load_system("readability-js")
    s.warm_up()
    conn.send("ready")
    s.fn(html, None, None)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.slow
def test_a_killed_worker_takes_its_busy_node_with_it(pages) -> None:
    """Killed (SIGKILL, as the runner kills) while its node is busy on a page, a worker takes that
    node with it at once, not when node has finished the page and reads the end of its input."""
    import multiprocessing as mp

    _, html = pages
    _load("readability-js")
    parent, child = mp.get_context("fork").Pipe()
    worker = mp.get_context("fork").Process(target=_busy_worker, args=(html[-1] * 3, child), daemon=True)
    worker.start()
    assert parent.poll(120) and parent.recv() == "ready"
    time.sleep(0.3)  # the page is sent: node is parsing it (seconds for three copies of a 281 kB page)
    nodes = {pid for pid in _node_children_alive() if _ppid(pid) == worker.pid}
    assert len(nodes) == 1
    worker.kill()
    worker.join(5)
    deadline = time.monotonic() + 0.5
    while nodes & _node_children_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not nodes & _node_children_alive()


def _ppid(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("PPid:")))


def test_readability_js_version_is_readability_and_jsdom_as_locked() -> None:
    """Cached outputs are keyed by the version: it names both packages the outputs depend on, as
    installed, which `npm ci` makes the lock's."""
    import json

    s = _load("readability-js")
    locked = json.loads((_node.NODE_DIR / "package-lock.json").read_text())["packages"]
    readability, jsdom = locked["node_modules/@mozilla/readability"]["version"], locked["node_modules/jsdom"]["version"]
    assert s.version == f"{readability}+jsdom.{jsdom}"


def test_node_failure_is_the_pages_error_and_the_next_call_restarts(tmp_path: Path) -> None:
    if shutil.which("node") is None:
        pytest.skip("no node on PATH")
    script = tmp_path / "once.js"  # answers one request, then dies saying why
    script.write_text(
        'require("node:readline").createInterface({input: process.stdin}).on("line", () => {\n'
        '  if (require("node:fs").existsSync("died")) { process.stderr.write("second request\\n"); process.exit(3); }\n'
        '  require("node:fs").writeFileSync("died", "");\n'
        '  process.stdout.write(JSON.stringify({content: "<p>ok</p>", error: null}) + "\\n");\n'
        "});\n"
    )
    proc = _node.NodeProcess(script)
    try:
        assert proc.call({"html": ""}) == {"content": "<p>ok</p>", "error": None}
        with pytest.raises(RuntimeError, match=r"node exited \(code 3: second request\)"):
            proc.call({"html": ""})
        assert proc.proc is None
        with pytest.raises(RuntimeError, match="code 3"):  # a new node, which finds `died` and dies too
            proc.call({"html": ""})
    finally:
        proc.close()


def test_missing_node_says_what_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no node here
    with pytest.raises(MissingSystem) as info:
        systems.load_system("readability-js")
    assert str(info.value) == (
        f"readability-js: no working `node` on PATH; install Node.js >= 18.0 with npm, then run `npm ci --prefix {_node.NODE_DIR}`"
    )


def test_uninstalled_node_folder_says_which_command_to_run(tmp_path: Path) -> None:
    if _node.node_version() is None:
        pytest.skip("no node on PATH")
    for f in ("package.json", "package-lock.json", "extract.js"):
        shutil.copy(_node.NODE_DIR / f, tmp_path / f)
    assert (
        _node.missing("@mozilla/readability", tmp_path)
        == f"@mozilla/readability is not installed; run `npm ci --prefix {tmp_path}`"
    )


def test_node_folder_is_committed_whole() -> None:
    """What `npm ci` needs is in the repository: the manifest, its lock (naming the same
    dependencies) and the script; node_modules is not."""
    import json

    manifest = json.loads((_node.NODE_DIR / "package.json").read_text())
    lock = json.loads((_node.NODE_DIR / "package-lock.json").read_text())
    assert lock["packages"][""]["dependencies"] == manifest["dependencies"]
    assert "@mozilla/readability" in manifest["dependencies"] and _node.SCRIPT.is_file()
    oldest = re.match(r"\D*(\d+)(?:\.(\d+))?", manifest["engines"]["node"])
    assert oldest is not None and (int(oldest[1]), int(oldest[2] or 0)) == _node.NODE_MIN
    ignored = (Path(__file__).resolve().parents[1] / ".gitignore").read_text().split()
    assert "node_modules/" in ignored


def test_a_requirement_on_a_newer_python_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    """rs-trafilatura and magic-html install on Python 3.12 only: on an older one the message says
    so, instead of an install command that would install nothing there."""
    future = (sys.version_info[0], sys.version_info[1] + 1)
    req = Requirement("rs_trafilatura", pip="rs-trafilatura", python=future)
    with pytest.raises(MissingSystem) as info:
        systems.require("rs-trafilatura", [req])
    here = f"{sys.version_info[0]}.{sys.version_info[1]}"
    wanted = f"{future[0]}.{future[1]}"
    assert str(info.value) == (
        f'rs-trafilatura: rs-trafilatura needs Python >= {wanted} (this is {here}); pip install -e ".[rs-trafilatura]" under Python {wanted}'
    )
    systems.require("rs-trafilatura", [Requirement("json", python=sys.version_info[:2])])  # this Python: no complaint
