"""The systems registry: every registered extractor loads, reports its installed version, and
returns text that the aligner can project onto a real page's blocks."""

from __future__ import annotations

import re
from importlib import metadata

import pytest

import boilerbench
from boilerbench import systems
from boilerbench.align import project
from boilerbench.corpora.store import Corpus
from boilerbench.groundtruth import load_labeled
from boilerbench.runner import page_html

PAGE_ID = "wcxb-4117"  # a WCXB test article (a training plan with tables); every baseline finds text on it


@pytest.fixture(scope="module")
def real_page():
    """(labeled page, decoded HTML) of a WCXB test page of the bundled corpus."""
    corpus = Corpus.open()
    page = next(p for p in corpus.pages if p.page_id == PAGE_ID)
    assert page.source == "wcxb" and page.split == "test"
    [lp] = load_labeled(corpus, [page], workers=1, progress=False, cache=False)
    assert len(lp.blocks) > 20
    return lp, page_html(corpus.read(page))


_VERSION_RE = re.compile(r"^\d+(\.\d+)+([.-]?(a|b|rc|post|dev)\d*)*(\+[\w.]+)?$")


@pytest.mark.parametrize("name", list(systems.REGISTRY))
def test_registered_system_contract(name: str, real_page) -> None:
    lp, html = real_page
    s = systems.load(name)
    assert s.name == name
    assert s.kind in ("text", "blocks")
    if s.package:  # a PyPI extractor: its version is the installed distribution's version
        assert s.version == metadata.version(s.package)
    else:  # this project's own systems: the package version (+ the model hash for the classifier)
        assert s.version.startswith(boilerbench.__version__)
    assert s.version != "unknown" and _VERSION_RE.match(s.version), s.version
    if s.kind == "blocks":  # one decision per block of the project's own segmentation
        kept = s.fn(html)
        assert len(kept) == len(lp.blocks) and all(isinstance(k, bool) for k in kept)
        assert any(kept) and not all(kept), f"{name} keeps all or nothing of {PAGE_ID}"
        return
    # one real page: a non-empty str, projected onto the page's blocks → one decision per block
    out = s.fn(html, lp.page.url, lp.page.language)
    assert isinstance(out, str)
    assert out.strip(), f"{name} extracted nothing from {PAGE_ID}"
    kept = project([b.block for b in lp.blocks], out)
    assert len(kept) == len(lp.blocks)
    assert all(isinstance(k, bool) for k in kept)
    assert any(kept), f"{name}'s text covers no block of the page it came from"


@pytest.mark.parametrize("name", list(systems.REGISTRY))
def test_registered_system_has_an_extra(name: str) -> None:
    """README: a baseline is one module, one REGISTRY line and one extra; `all` installs every one."""
    s = systems.load(name)
    if s.package is None:
        pytest.skip(f"{name} is this project's own code: no extra to install")
    requires = metadata.requires("boilerbench") or []
    extras = {}
    for req in requires:
        m = re.match(r"^\s*([A-Za-z0-9_.\-]+).*extra\s*==\s*['\"]([^'\"]+)['\"]", req)
        if m:
            extras.setdefault(m.group(2), set()).add(_norm(m.group(1)))
    assert _norm(s.package) in extras.get("all", set()), f"{s.package} is not in the 'all' extra"


def _norm(name: str | None) -> str:
    return re.sub(r"[-_.]+", "-", name or "").lower()


@pytest.mark.parametrize("name", systems.REFERENCE)
def test_reference_rows_load(name: str) -> None:
    s = systems.load(name)
    assert s.kind == "reference"
    assert s.package is None
    assert s.version == boilerbench.__version__


def test_available_lists_registry_and_references() -> None:
    assert systems.available() == [*systems.REGISTRY, *systems.REFERENCE]
    assert len(set(systems.available())) == len(systems.available())


@pytest.mark.parametrize("name", ["no-such-system", "", "Trafilatura", "trafilatura "])
def test_unknown_name_raises_key_error(name: str) -> None:
    with pytest.raises(KeyError, match="unknown system"):
        systems.load(name)


@pytest.mark.parametrize(
    "target",
    [
        "boilerbench_missing_mod:extract",  # no dot: looked up inside boilerbench.systems
        "boilerbench_missing_pkg.sub:extract",  # a dot: an absolute module path
    ],
)
def test_missing_module_raises_missing_system(monkeypatch: pytest.MonkeyPatch, target: str) -> None:
    monkeypatch.setitem(systems.REGISTRY, "ghost", target)
    with pytest.raises(systems.MissingSystem) as info:
        systems.load("ghost")
    msg = str(info.value)
    assert msg.startswith("ghost: not installed")
    assert "boilerbench_missing_" in msg
    assert "pip install 'boilerbench[ghost]'" in msg
    assert isinstance(info.value, RuntimeError)  # not an ImportError: callers skip it by type


def test_dotted_registry_path_is_absolute(monkeypatch: pytest.MonkeyPatch) -> None:
    """A module path with a dot is imported as is (how tests and plug-ins register systems)."""
    monkeypatch.setitem(systems.REGISTRY, "html-to-text", "boilerbench.systems._html:html_to_text")
    s = systems.load("html-to-text")
    assert s.kind == "text"
    assert s.package is None and s.version == boilerbench.__version__
    assert s.fn("<p>Hello <b>world</b></p><p>again</p>") == "Hello world\nagain"
