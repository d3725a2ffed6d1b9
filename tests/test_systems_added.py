"""The extractors added as baselines in issue 24 (rs-trafilatura, magic-html): each run for real on
real pages of the bundled test split, returning the article's text; each skipped, with its own
reason, where it cannot run."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from boilerbench import systems
from boilerbench.corpora.store import Corpus
from boilerbench.groundtruth import load_labeled
from boilerbench.runner import decode_page
from boilerbench.scoring import word_scores
from boilerbench.systems import MissingSystem, Requirement

ADDED = ["rs-trafilatura", "rs-trafilatura-precision", "magic-html"]
# pages whose gold is a whole text: two Scrapinghub articles and a WCXB one, all of the test split
PAGE_IDS = ["scrapinghub-04a6711caa", "scrapinghub-05844573ca", "wcxb-4207"]
BIG_PAGE = "wcxb-4072"  # 281 kB


@pytest.fixture(autouse=True)
def _fresh_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BOILERBENCH_CACHE", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def pages():
    """(labeled pages, decoded HTML) of PAGE_IDS and BIG_PAGE, in that order."""
    corpus = Corpus.open()
    by_id = {p.page_id: p for p in corpus.pages}
    chosen = [by_id[i] for i in [*PAGE_IDS, BIG_PAGE]]
    assert all(p.split == "test" for p in chosen)
    labeled = load_labeled(corpus, chosen, workers=1, progress=False, cache=False)
    assert all(lp.gold.text for lp in labeled[: len(PAGE_IDS)])
    return labeled, [decode_page(corpus.read(p)) for p in chosen]


def _load(name: str) -> systems.System:
    try:
        return systems.load_system(name)
    except MissingSystem as e:
        pytest.skip(str(e))


@pytest.mark.parametrize("name", ADDED)
def test_added_system_returns_the_article_text(name: str, pages) -> None:
    labeled, html = pages
    s = _load(name)
    s.warm_up()
    for lp, h in zip(labeled, html):
        if lp.page.page_id not in PAGE_IDS:
            continue
        out = s.fn(h, lp.page.url, lp.page.language)
        assert isinstance(out, str) and out.strip(), f"{name} extracted nothing from {lp.page.page_id}"
        scores = word_scores(out, lp.gold.text or "")
        # the article, not its title alone nor the whole page with its menus
        assert scores["word_recall"] >= 0.8, (name, lp.page.page_id, scores)
        assert scores["word_precision"] >= 0.8, (name, lp.page.page_id, scores)


def test_precision_setting_is_passed_on(pages) -> None:
    """rs-trafilatura-precision is rs-trafilatura with favor_precision, not a second name for it."""
    labeled, html = pages
    default, precise = _load("rs-trafilatura"), _load("rs-trafilatura-precision")
    outs = [(default.fn(h, lp.page.url, None), precise.fn(h, lp.page.url, None)) for lp, h in zip(labeled, html)]
    assert any(a != b for a, b in outs)


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
