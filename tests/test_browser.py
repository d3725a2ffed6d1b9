"""The `show` and `report` pages in a real, headless Chromium: the DOM after load has the expected
block rows and system columns, a page with a `<script>` in its text runs nothing (a control page
whose script does run proves the check can fail), and a screenshot is saved.

Skipped, with the reason, only when no Chromium is installed (`.ci/run` installs Debian's)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import lxml.html
import numpy as np
import pytest

from boilerbench.benchmark import CHECKOUT
from boilerbench.cli import main

CHROMIUM = next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")) if p), None)
pytestmark = [
    pytest.mark.slow,  # a browser per test
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium installed (Debian: apt-get install chromium)"),
]
SYSTEMS = ["trafilatura", "resiliparse", "all-text", "oracle"]


def _chromium(*args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None  # the module is skipped without it
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run", *args]
    env = {**os.environ, "HOME": os.environ.get("HOME", "/tmp")}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env, check=False)


def dom_after_load(path: Path) -> lxml.html.HtmlElement:
    """The page's DOM as Chromium holds it once loaded (scripts, had any run, included)."""
    r = _chromium("--virtual-time-budget=2000", "--dump-dom", path.resolve().as_uri())
    assert r.returncode == 0 and "<html" in r.stdout, r.stderr[-2000:]
    return lxml.html.fromstring(r.stdout)


def screenshot(path: Path, png: Path, height: int = 1000) -> Path:
    r = _chromium(f"--window-size=1400,{height}", f"--screenshot={png}", path.resolve().as_uri())
    assert r.returncode == 0 and png.is_file() and png.stat().st_size > 10_000, r.stderr[-2000:]
    return png


def one_page_corpus(tmp_path: Path, name: str, html: str, gold: str) -> Path:
    """A corpus of one page (`NAME-0001`), imported as a user's own pages are."""
    html_dir, gold_dir = tmp_path / "html", tmp_path / "gold"
    html_dir.mkdir()
    gold_dir.mkdir()
    (html_dir / f"{name}.html").write_text(html, encoding="utf-8")
    (gold_dir / f"{name}.txt").write_text(gold, encoding="utf-8")
    corpus = tmp_path / "corpus"
    assert main(["import", "--html-dir", str(html_dir), "--gold-dir", str(gold_dir), "--name", name, "--out", str(corpus)]) == 0
    return corpus


@pytest.fixture(scope="module")
def shot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("screenshots")


def test_show_page_in_chromium(tmp_path, shot_dir) -> None:
    out = tmp_path / "show.html"
    assert main(["show", "wcxb-0495", "--systems", ",".join(SYSTEMS), "--out", str(out)]) == 0
    dom = dom_after_load(out)
    from boilerbench.benchmark.corpora.store import Corpus
    from boilerbench.benchmark.groundtruth import load_labeled

    corpus = Corpus.open()
    labeled_page = load_labeled(corpus, [p for p in corpus.pages if p.page_id == "wcxb-0495"], progress=False)[0]
    assert len(dom.cssselect("tr.block")) == len(labeled_page.blocks)
    assert [th.text_content() for th in dom.cssselect("th.sys")] == SYSTEMS
    assert len(dom.cssselect("tr.system")) == len(SYSTEMS)
    screenshot(out, shot_dir / "show-wcxb-0495.png")


def test_a_script_in_page_text_runs_nothing(tmp_path) -> None:
    payload = "<script>document.title='pwned';document.body.setAttribute('data-pwned','1')</script>"
    escaped = payload.replace("<", "&lt;").replace(">", "&gt;")
    corpus = one_page_corpus(
        tmp_path,
        "evil",
        f"<html><body><p>{escaped} is quoted here.</p><p>And a second paragraph.</p></body></html>",
        f"{payload} is quoted here.\nAnd a second paragraph.",
    )
    out = tmp_path / "evil.html"
    assert main(["show", "evil-0001", "--data", str(corpus), "--systems", "all-text,oracle", "--out", str(out)]) == 0
    dom = dom_after_load(out)
    body = dom.find(".//body")
    assert body is not None and dom.findtext(".//title") != "pwned" and body.get("data-pwned") is None
    assert any(payload in td.text_content() for td in dom.cssselect("td.text"))
    # the control: the same script, as markup, does run in this browser — the check above can fail
    control = tmp_path / "control.html"
    control.write_text(f"<!doctype html><html><head><title>safe</title></head><body>{payload}</body></html>", encoding="utf-8")
    ran = dom_after_load(control)
    body = ran.find(".//body")
    assert body is not None and ran.findtext(".//title") == "pwned" and body.get("data-pwned") == "1"


def test_report_site_in_chromium(tmp_path, shot_dir, small_test_corpus) -> None:
    from boilerbench.benchmark.corpora.store import Corpus
    from boilerbench.benchmark.leaderboard import load_results
    from boilerbench.benchmark.report import build_site

    corpus = Corpus.open(small_test_corpus(tmp_path / "corpus", ["wcxb-4207", "wcxb-0495", "trafeval-0133"]))
    index = build_site(corpus, tmp_path / "site", folder=CHECKOUT / "baselines", systems=SYSTEMS, worst=1, progress=False)
    dom = dom_after_load(index)
    assert len(dom.cssselect("table.leaderboard tbody tr")) == len(load_results(CHECKOUT / "baselines"))
    assert len(dom.cssselect("div.figure img")) == 2
    assert len(dom.cssselect("ul.worst li a")) == 2  # trafilatura's and resiliparse's worst page
    screenshot(index, shot_dir / "report-index.png", height=2400)


def test_show_text_column_in_view_at_1400px(tmp_path, shot_dir) -> None:
    """With every system's column, the blocks' text is on screen at 1,400 px: a page whose
    paragraphs are long runs of a dense glyph (m) shows a wide band of dark pixels in the left
    half of the screenshot (the text column comes first and wraps)."""
    from PIL import Image

    para = " ".join(["mmmmmmmm"] * 120)
    corpus = one_page_corpus(
        tmp_path,
        "wide",
        f"<html><body><nav><a href='/'>Home</a></nav><p>{para}</p><p>{para}</p></body></html>",
        f"{para}\n{para}",
    )
    out = tmp_path / "wide-show.html"
    assert main(["show", "wide-0001", "--data", str(corpus), "--systems", "all", "--out", str(out)]) == 0
    png = screenshot(out, shot_dir / "show-1400px.png", height=1400)
    img = Image.open(png).convert("L")
    width, height = img.size
    assert width == 1400
    dark = np.asarray(img) < 80  # rows × columns
    # below the systems' table (the lower 40% of the screen), the columns of the left half that
    # hold dark pixels in many rows: the wrapped lines of the text column
    dark_columns = [x for x in range(0, width // 2) if dark[int(0.6 * height) : height : 2, x].sum() > 20]
    assert len(dark_columns) > 40 and dark_columns[-1] - dark_columns[0] > 300, (
        len(dark_columns),
        dark_columns[:3],
        dark_columns[-3:],
    )
