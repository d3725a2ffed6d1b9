"""Shared fixtures: an isolated environment, the bundled corpus, and small pages cut from real ones.

Isolation: for the whole session `BOILERBENCH_CACHE` and `BOILERBENCH_BASELINES` point to session
tmp folders and `BOILERBENCH_ANNOTATIONS` / `BOILERBENCH_NO_CACHE` are unset (module-scoped fixtures
that run an evaluation are covered too); at the end of the session the checkout's `leaderboard.md`,
`baselines/*.json` and `boilerbench/extractor/models/*` must be byte-identical to what they were at its start.

Fixture files (tests/fixtures/) were cut from pages of the bundled corpus by
`tests/fixtures/make_fixtures.py`; their provenance is in tests/fixtures/README.md. Nothing here
reads ../shared: the bundled corpus ships with the repository (annotations/).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from boilerbench.benchmark.corpora.store import Corpus, write_corpus
from boilerbench.benchmark.groundtruth import load_labeled
from boilerbench.benchmark.runner import decode_page
from boilerbench.core.types import Gold, LabeledPage, Page
from boilerbench.extractor.classifier import MODEL_DIR

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class RealPage:
    page: Page
    data: bytes
    gold: Gold


def checkout_fingerprint() -> dict[str, str]:
    """sha256 of what the tests must never write: the checkout's leaderboard.md, baselines/*.json
    and the shipped models (a file appearing or disappearing changes the keys)."""
    files = [
        REPO / "leaderboard.md",
        *sorted((REPO / "baselines").glob("*.json")),
        *sorted(MODEL_DIR.glob("*")),
    ]
    assert any(MODEL_DIR.glob("*.skops")), f"no shipped model in {MODEL_DIR}: the guard would watch nothing"
    return {str(p.relative_to(REPO)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files if p.is_file()}


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("boilerbench-cache")


@pytest.fixture(scope="session")
def baselines_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("boilerbench-baselines")


@pytest.fixture(scope="session", autouse=True)
def _session_environment(cache_dir: Path, baselines_dir: Path) -> Iterator[None]:
    """Session-wide isolated cache and baselines folders; the checkout is unchanged at the end."""
    before = checkout_fingerprint()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BOILERBENCH_CACHE", str(cache_dir))
        mp.setenv("BOILERBENCH_BASELINES", str(baselines_dir))
        mp.delenv("BOILERBENCH_ANNOTATIONS", raising=False)
        mp.delenv("BOILERBENCH_NO_CACHE", raising=False)
        yield
    after = checkout_fingerprint()
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    assert not changed, f"the tests changed the checkout's {changed}"


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, cache_dir: Path, baselines_dir: Path) -> None:
    """Never touch the checkout's .cache or baselines/, and always read the bundled annotations/
    (again per test: a test may change the environment, monkeypatch restores it)."""
    monkeypatch.setenv("BOILERBENCH_CACHE", str(cache_dir))
    monkeypatch.setenv("BOILERBENCH_BASELINES", str(baselines_dir))
    monkeypatch.delenv("BOILERBENCH_ANNOTATIONS", raising=False)
    monkeypatch.delenv("BOILERBENCH_NO_CACHE", raising=False)


@pytest.fixture(scope="session")
def corpus() -> Corpus:
    return Corpus.open()


@pytest.fixture(scope="session")
def pages_by_id(corpus: Corpus) -> dict[str, Page]:
    return {p.page_id: p for p in corpus.pages}


@pytest.fixture(scope="session")
def real_page(corpus: Corpus, pages_by_id: dict[str, Page]) -> Callable[[str], RealPage]:
    """`real_page(page_id)` → the page, its bytes and its gold, from the bundled corpus."""

    def get(page_id: str) -> RealPage:
        page = pages_by_id[page_id]
        return RealPage(page, corpus.read(page), corpus.gold[page_id])

    return get


def labeled_and_html(page_ids: list[str]) -> tuple[list[LabeledPage], list[str]]:
    """The bundled pages `page_ids`, labeled (uncached), and their HTML decoded as the runner
    decodes it, in that order: what a test of running systems on real pages starts from."""
    corpus = Corpus.open()
    by_id = {p.page_id: p for p in corpus.pages}
    pages = [by_id[i] for i in page_ids]
    labeled = load_labeled(corpus, pages, workers=1, progress=False, cache=False)
    return labeled, [decode_page(corpus.read(p)) for p in pages]


def load_fixture(name: str) -> RealPage:
    """A page cut from a real one: `<name>.html` (+ `<name>.json`: page record and its cut gold)."""
    meta = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    gold = Gold.from_json(meta.pop("gold"))
    return RealPage(Page.from_json(meta), (FIXTURES / f"{name}.html").read_bytes(), gold)


@pytest.fixture(scope="session")
def jefftk() -> RealPage:
    """wcxb-0495 (jefftk.com): a blog post with a menu, a <pre>, teasers; whole article kept."""
    return load_fixture("wcxb-0495-jefftk")


@pytest.fixture(scope="session")
def erikdemaine() -> RealPage:
    """wcxb-0406 (erikdemaine.org): upper-case, unclosed-tag markup; h1 title absent from gold."""
    return load_fixture("wcxb-0406-erikdemaine")


@pytest.fixture(scope="session")
def autopresse() -> RealPage:
    """trafeval-0133 (auto-presse.de): windows-1252 bytes, snippet-only gold."""
    return load_fixture("trafeval-0133-autopresse")


@pytest.fixture(scope="session")
def xinhuanet() -> RealPage:
    """trafeval-0427 (xinhuanet via the Wayback Machine): gb2312 bytes, Chinese snippets."""
    return load_fixture("trafeval-0427-xinhuanet")


@pytest.fixture(scope="session")
def gto_windows_1251() -> RealPage:
    """scrapinghub-c4a3637c66 (gto-normativy.ru): a Russian article in windows-1251 bytes."""
    return load_fixture("scrapinghub-c4a3637c66-gto-windows-1251")


@pytest.fixture(scope="session")
def lhpat_shift_jis() -> RealPage:
    """scrapinghub-85439e26c4 (lhpat-tm.com): a Japanese blog post in Shift_JIS bytes."""
    return load_fixture("scrapinghub-85439e26c4-lhpat-shift-jis")


@pytest.fixture(scope="session")
def vietnam_bytes() -> bytes:
    """A crawl's plain-text dump of a vietnam.vn news page (Indonesian edition)."""
    return (FIXTURES / "vietnam-vn-news-id.txt").read_bytes()


@pytest.fixture(scope="session")
def small_test_corpus() -> Callable[[Path, list[str]], Path]:
    """make(root, page_ids): a corpus folder at `root` holding these bundled pages, all in test."""
    return _small_test_corpus


def _small_test_corpus(root: Path, page_ids: list[str]) -> Path:
    bundled = Corpus.open()
    by_id = {p.page_id: p for p in bundled.pages}
    records = [(replace(by_id[i], split="test", archive=""), bundled.read(by_id[i]), bundled.gold[i]) for i in page_ids]
    written = write_corpus(root, records)
    assert {p.page_id for p in written} == set(page_ids)
    return root
