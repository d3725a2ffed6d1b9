"""The systems registry: every registered extractor loads, reports its installed version, and
returns text that the aligner can project onto a real page's blocks."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from lxml import etree

import boilerbench
from boilerbench.benchmark import scoring, systems
from boilerbench.benchmark.corpora.store import Corpus
from boilerbench.benchmark.groundtruth import load_labeled
from boilerbench.benchmark.runner import decode_page
from boilerbench.benchmark.systems import ModelSystemModule, Requirement, SystemModule
from boilerbench.benchmark.systems._html import xml_chars
from boilerbench.benchmark.systems.newspaper4k import nltk_data_named
from boilerbench.core.align import project

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    tomllib = pytest.importorskip("tomli")

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # `tests.fake_systems`, registered by dotted path below
    sys.path.insert(0, str(REPO))
fake_systems = importlib.import_module("tests.fake_systems")
EXTRAS: dict[str, list[str]] = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"][
    "optional-dependencies"
]
PAGE_ID = "scrapinghub-04a6711caa"  # a Scrapinghub test article; every baseline finds text on it (magic-html none on WCXB's 4117)


@pytest.fixture(scope="module")
def real_page():
    """(labeled page, decoded HTML) of a Scrapinghub test page of the bundled corpus."""
    corpus = Corpus.open()
    page = next(p for p in corpus.pages if p.page_id == PAGE_ID)
    assert page.source == "scrapinghub" and page.split == "test"
    [labeled_page] = load_labeled(corpus, [page], workers=1, progress=False, cache=False)
    assert len(labeled_page.blocks) > 20
    return labeled_page, decode_page(corpus.read(page))


NODE_SYSTEMS = ("readability-js",)  # no pip package: their files are the Node folder (`systems._node`)
_VERSION_RE = re.compile(r"^\d+(\.\d+)+([.-]?(a|b|rc|post|dev)\d*)*(\+[\w.]+)?$")


@pytest.mark.parametrize("name", list(systems.REGISTRY))
def test_registered_system_contract(name: str, real_page) -> None:
    labeled_page, html = real_page
    try:
        s = systems.load_system(name)
    except systems.MissingSystem as e:  # where it cannot run (absent, or not for this Python): its own reason
        pytest.skip(str(e))
    assert s.name == name
    assert s.kind in ("text", "blocks")
    module = systems.module_of(name)
    if s.package:  # a PyPI extractor: its version is the installed distribution's version
        assert s.version == metadata.version(s.package)
    elif name in NODE_SYSTEMS:  # a Node extractor: its npm package's installed version
        assert isinstance(module, ModelSystemModule) and s.version == module.version()
    else:  # this project's own systems: the package version (+ the model hash for the classifier)
        assert s.version.startswith(boilerbench.__version__)
    assert s.version != "unknown" and _VERSION_RE.match(s.version), s.version
    if s.kind == "blocks":  # one decision per block of the project's own segmentation
        kept = s.fn(html)
        assert len(kept) == len(labeled_page.blocks) and all(isinstance(k, bool) for k in kept)
        assert any(kept) and not all(kept), f"{name} keeps all or nothing of {PAGE_ID}"
        return
    # one real page: a non-empty str, projected onto the page's blocks → one decision per block
    out = s.fn(html, labeled_page.page.url, labeled_page.page.language)
    assert isinstance(out, str)
    assert out.strip(), f"{name} extracted nothing from {PAGE_ID}"
    kept = project([b.block for b in labeled_page.blocks], out)
    assert len(kept) == len(labeled_page.blocks)
    assert all(isinstance(k, bool) for k in kept)
    assert any(kept), f"{name}'s text covers no block of the page it came from"


@pytest.mark.parametrize("name", list(systems.REGISTRY))
def test_registered_module_satisfies_the_protocol(name: str) -> None:
    """Checked without the extractor installed: a system module imports its packages only when called."""
    module = systems.module_of(name)
    assert isinstance(module, SystemModule)
    assert module.KIND in systems.KINDS
    assert all(isinstance(r, Requirement) for r in module.REQUIRES)
    assert callable(getattr(module, systems.entry(name)[1]))
    assert isinstance(module, ModelSystemModule) == (name in ("boilerbench", "boilerbench-text", *NODE_SYSTEMS))


@pytest.mark.parametrize("name", list(systems.REGISTRY))
def test_install_hint_names_an_extra_of_pyproject(name: str) -> None:
    """README: a baseline is one module, one REGISTRY line and one extra; `all` installs every one.
    The hint of each declared package names an extra that exists and installs that package."""
    for r in systems.module_of(name).REQUIRES:
        assert r.extra in EXTRAS, f"{name}: {r.hint} names no extra of pyproject.toml"
        assert _norm(r.pip) in {_req_name(d) for d in EXTRAS[r.extra]}, f"{name}: the {r.extra!r} extra does not install {r.pip}"
        assert _norm(r.pip) in {_req_name(d) for d in EXTRAS["all"]}, f"{r.pip} is not in the 'all' extra"
        assert r.hint == f'pip install -e ".[{r.extra}]"'
        # a package for newer Pythons only is installed under the same marker, so `.[all]` installs on older ones
        marker = f'python_version >= "{r.python[0]}.{r.python[1]}"' if r.python else None
        for extra in (r.extra, "all"):
            for d in EXTRAS[extra]:
                if _req_name(d) == _norm(r.pip):
                    assert _marker(d) == marker, f"{name}: {d!r} in the {extra!r} extra, expected the marker {marker!r}"


def _req_name(requirement: str) -> str:
    return _norm(re.match(r"[A-Za-z0-9_.\-]+", requirement).group(0))  # type: ignore[union-attr]


def _marker(requirement: str) -> str | None:
    return requirement.split(";", 1)[1].strip() if ";" in requirement else None


def _norm(name: str | None) -> str:
    return re.sub(r"[-_.]+", "-", name or "").lower()


@pytest.mark.parametrize("name", systems.REFERENCE)
def test_reference_rows_load(name: str) -> None:
    s = systems.load_system(name)
    assert s.kind == "reference"
    assert s.package is None
    assert s.version == boilerbench.__version__


def test_available_lists_registry_and_references() -> None:
    assert systems.available() == [*systems.REGISTRY, *systems.REFERENCE]
    assert len(set(systems.available())) == len(systems.available())


@pytest.mark.parametrize("name", ["no-such-system", "", "Trafilatura", "trafilatura "])
def test_unknown_name_raises_key_error(name: str) -> None:
    with pytest.raises(KeyError, match="unknown system"):
        systems.load_system(name)


@pytest.mark.parametrize(
    "target",
    [
        "boilerbench_missing_mod:extract",  # no dot: looked up inside boilerbench.benchmark.systems
        "boilerbench_missing_pkg.sub:extract",  # a dot: an absolute module path
    ],
)
def test_missing_module_raises_missing_system(monkeypatch: pytest.MonkeyPatch, target: str) -> None:
    monkeypatch.setitem(systems.REGISTRY, "ghost", target)
    with pytest.raises(systems.MissingSystem) as info:
        systems.load_system("ghost")
    msg = str(info.value)
    assert msg.startswith("ghost: not installed")
    assert "boilerbench_missing_" in msg
    assert "pip install" not in msg  # no extra of this project installs an unknown module: none is named
    assert isinstance(info.value, RuntimeError)  # not an ImportError: callers skip it by type


def test_missing_requirement_names_the_pip_package_and_its_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(systems.REGISTRY, "ghost", "tests.fake_systems:extract_raise")
    monkeypatch.setattr(fake_systems, "REQUIRES", (Requirement("boilerbench_absent_mod", pip="absent-dist", extra="crawl"),))
    with pytest.raises(systems.MissingSystem) as info:
        systems.load_system("ghost")
    assert str(info.value) == 'ghost: absent-dist not installed (no module boilerbench_absent_mod); pip install -e ".[crawl]"'


def test_requirement_defaults() -> None:
    assert Requirement("html_text", pip="html-text") == Requirement("html_text", "html-text", "html-text")
    assert Requirement("justext").pip == Requirement("justext").extra == "justext"


@pytest.mark.parametrize(
    ("attr", "value", "message"),
    [
        ("KIND", "words", "must declare KIND"),
        ("REQUIRES", ["trafilatura"], "must declare KIND"),
        ("version", lambda: "1.0", "defines version but not all of missing, version, warm_up"),
    ],
)
def test_a_module_breaking_the_contract_is_refused(
    monkeypatch: pytest.MonkeyPatch, attr: str, value: object, message: str
) -> None:
    monkeypatch.setitem(systems.REGISTRY, "ghost", "tests.fake_systems:extract_raise")
    monkeypatch.setattr(fake_systems, attr, value, raising=False)
    with pytest.raises(TypeError, match=message):
        systems.load_system("ghost")


def test_a_module_without_the_contract_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(systems.REGISTRY, "ghost", "boilerbench.benchmark.systems._html:html_to_text")  # a helper, not a system
    with pytest.raises(TypeError, match="must declare KIND"):
        systems.load_system("ghost")


def test_dotted_registry_path_is_absolute(monkeypatch: pytest.MonkeyPatch) -> None:
    """A module path with a dot is imported as is (how tests and plug-ins register systems)."""
    monkeypatch.setitem(systems.REGISTRY, "visible-text", "tests.fake_systems:visible_text")
    s = systems.load_system("visible-text")
    assert s.kind == "text"
    assert s.package is None and s.version == boilerbench.__version__
    assert s.fn is fake_systems.visible_text


@pytest.mark.parametrize("name", list(systems.REGISTRY))
@pytest.mark.slow
def test_loading_a_system_says_nothing(name: str) -> None:
    """What a user sees of `evaluate` on stderr is its progress and real problems: loading a system
    (its packages imported, in a fresh interpreter) prints no warning (newspaper4k's about nltk,
    a feature the extraction does not use, is silenced)."""
    code = (
        "from boilerbench.benchmark.systems import MissingSystem, load_system\n"
        f"try:\n    load_system({name!r})\nexcept MissingSystem:\n    pass\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert run.stderr == ""


# --- pages the extractors failed on -------------------------------------------------------------

# Bundled pages on which a fresh install's extractors raised: trafeval-0152 (test) has a stray U+001D
# in its text, which lxml refuses when goose3 and newspaper move text between elements; for the
# language a page declares, newspaper imports a tokenizer: tinysegmenter for the Japanese
# scrapinghub-85439e26c4 (test), nltk for the Arabic trafeval-0059 (validation).
FAILED_ON = [
    ("goose3", "trafeval-0152"),
    ("newspaper4k", "trafeval-0152"),
    ("news-please", "trafeval-0152"),
    ("newspaper4k", "scrapinghub-85439e26c4"),
    ("news-please", "scrapinghub-85439e26c4"),
    ("newspaper4k", "trafeval-0059"),
    ("news-please", "trafeval-0059"),
]
KOREAN_PAGE = "scrapinghub-0ec95c7261"  # newspaper tokenizes Korean with nltk's word_tokenize: punkt_tab data


@pytest.mark.parametrize(("name", "page_id"), FAILED_ON)
def test_extractor_runs_on_a_page_it_failed_on(name: str, page_id: str, corpus: Corpus, pages_by_id) -> None:
    page, gold = pages_by_id[page_id], corpus.gold[page_id]
    html = decode_page(corpus.read(page))
    if page_id == "trafeval-0152":
        assert "\x1d" in html
    out = systems.load_system(name).fn(html, page.url, page.language)
    if gold.text is not None:  # most of the gold's words recovered
        matched, _, gold_words = scoring.word_counts(out, gold.text)
        assert matched >= 0.8 * gold_words > 0, (matched, gold_words)
    else:  # snippet gold: a snippet of the article's text is kept
        assert any(s in out for s in gold.with_snippets), out[:300]


def _have_nltk_data(name: str) -> bool:
    import nltk

    try:
        nltk.data.find(name)
    except LookupError:
        return False
    return True


@pytest.mark.parametrize("name", ["newspaper4k", "news-please"])
def test_a_korean_page_needs_nltk_data_and_says_so_in_one_line(name: str, corpus: Corpus, pages_by_id) -> None:
    """nltk's punkt_tab data is downloaded at run time (nltk.download), installed by no package:
    where it is absent, the page's error names it in one line; where it is present, the page runs."""
    page = pages_by_id[KOREAN_PAGE]
    assert page.language == "ko"
    extract = systems.load_system(name).fn
    html = decode_page(corpus.read(page))
    if _have_nltk_data("tokenizers/punkt_tab"):
        assert extract(html, page.url, page.language).strip()
        return
    with pytest.raises(LookupError) as info:
        extract(html, page.url, page.language)
    assert str(info.value).startswith("nltk data 'punkt_tab' is not installed (")
    assert "\n" not in str(info.value) and "nltk.download('punkt_tab')" in str(info.value)


@pytest.mark.parametrize("error", [KeyError("punkt_tab"), IndexError("list index out of range"), LookupError("no codec")])
def test_only_nltk_data_errors_are_reworded(error: LookupError) -> None:
    with pytest.raises(type(error)) as info, nltk_data_named():
        raise error
    assert info.value is error


@pytest.mark.parametrize("code", [*range(0x20), 0x7F, 0x85, 0xA0, 0xFFFD, 0xFFFE, 0xFFFF])
def test_xml_chars_drops_what_lxml_refuses_and_only_that(code: int) -> None:
    c = chr(code)
    try:
        etree.Element("p").text = f"a{c}b"
        refused = False
    except ValueError:
        refused = True
    assert xml_chars(f"<p>a{c}b</p>") == ("<p>ab</p>" if refused else f"<p>a{c}b</p>")
