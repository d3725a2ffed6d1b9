"""The compiled twins (`_speedups`) against the Python code they replace: same blocks, same scores.

The extension is optional at install (no C compiler, no extension: the Python code runs). Where a
compiler is on PATH the build must have made it, so a build that silently fell back to Python fails
here instead of only running slower.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
import random
import re
import shutil
import sys
from typing import Any

import numpy as np
import pytest
from lxml import etree

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    tomllib = pytest.importorskip("tomli")

from boilerbench.core import compiled, segment
from boilerbench.core.segment import parse_html, walk_tree
from boilerbench.core.types import PAGE_TYPES
from boilerbench.extractor import classifier, features

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

if shutil.which(os.environ.get("CC", "cc")):
    from boilerbench.core import _speedups as speedups  # built wherever a compiler is: an ImportError fails
else:  # pragma: no cover
    speedups = pytest.importorskip("boilerbench.core._speedups", reason="no C compiler: the extension was not built")


def test_the_package_uses_them() -> None:
    """Every entry point of the registry is the extension's, in use; each names a Python twin
    that exists."""
    assert compiled.ABSENT_BECAUSE is None and compiled.status() == "in use"
    assert compiled.active == compiled.BUILT
    for name in compiled.NAMES:
        assert getattr(compiled.active, name) is getattr(speedups, name), name
        module, _, attr = compiled.PYTHON_TWINS[name].partition(":")
        target: object = importlib.import_module(module)
        for part in attr.split("."):
            target = getattr(target, part)
        assert callable(target), name


def test_one_switch() -> None:
    """`python_only` turns every entry point off and back on; `switch_off` is the same for good."""
    with compiled.python_only():
        assert all(getattr(compiled.active, name) is None for name in compiled.NAMES)
        assert compiled.status() == "switched off"
    assert compiled.active == compiled.BUILT


def test_scikit_learn_range_is_one_fact() -> None:
    """pyproject.toml bounds scikit-learn to the range the compiled forest is tested with."""
    with open(os.path.join(REPO, "pyproject.toml"), "rb") as f:
        dependencies = tomllib.load(f)["project"]["dependencies"]
    assert compiled.SKLEARN_REQUIREMENT in dependencies
    import sklearn

    compiled.check_sklearn(sklearn.__version__)  # the installed one is in it


@pytest.mark.parametrize("version", ["1.8.2", "1.10.0", "1.10.0rc1", "2.0", "nightly"])
def test_forest_refuses_untested_scikit_learn(monkeypatch: pytest.MonkeyPatch, version: str) -> None:
    import sklearn

    with pytest.raises(RuntimeError, match=re.escape(compiled.SKLEARN_REQUIREMENT)):
        compiled.check_sklearn(version)
    monkeypatch.setattr(sklearn, "__version__", version)
    with pytest.raises(RuntimeError, match="outside the range"):
        speedups.Forest(classifier.shipped("html").pipeline.steps[1][1].first_)


def same_blocks(html: str | bytes) -> None:
    root = parse_html(html)
    if root is not None:
        same_blocks_of(root)


def same_blocks_of(root: etree._Element) -> None:
    compiled = speedups.segment_tree(root)
    assert compiled is not None, "an HTML parser tree the compiled walk should cover"
    assert compiled == walk_tree(root)


@pytest.mark.slow
def test_real_pages(corpus) -> None:
    """Every 10th page of every source (about 300 pages): the same blocks, field for field."""
    pages = [p for p in corpus.select() if p.fmt == "html"][::10]
    assert len({p.source for p in pages}) == 3
    for _page, data in corpus.iter_bytes(pages):
        same_blocks(data)


@pytest.mark.parametrize(
    "html",
    [
        "<p>one</p><p>two</p>",
        "<div>before<p>inner</p>after</div>tail after the div",
        "<p>One <a href='#'>two <b>three</b></a> four<br>five<hr>six</p>",
        "<pre>  line one\n\n   line two  </pre><pre>x<a>y\nz</a></pre>",
        "<ul><li>a1</li><li>a2</li><LI>a3</LI><li class='x  y' id=' my id ' role='menu item'>a4</li></ul>",
        "<div hidden>tab</div><div style='display : none'>gone</div><div style='color:red'>red</div>",
        "<p>caf\u00e9 na\u0131ve \u65e5\u672c\u8a9e\u306e\u6587\u7ae0 \u0645\u0631\u062d\u0628\u0627</p><p>e\u0301</p>",
        "<p>&amp; &lt;tag&gt; &nbsp;&nbsp; &copy; &unknown; &#x1F600;</p>",
        "<o:p>office</o:p><fb:like>like</fb:like><my-widget>custom</my-widget>",
        "<p>before<script>x()</script> and after<style>p{}</style> end</p><noscript><p>kept</p></noscript>",
        "<table><tr><td>1</td><td>two</td></tr><tr><th>h</th></tr></table>",
        "<p>unclosed <b>bold <i>both</p> after <div>x",
        "<svg><text>drawn</text></svg>tail of svg<math><mi>x</mi></math>after math",
        "<a href='/'>link only</a><a>\u00a0</a><a>\u3000word\u3000</a>",
        "<p><![CDATA[cdata text]]></p>",
        '<p title="a &amp; b" class="&lt;x&gt;">attribute entities</p>',
        "<div class='\u00e9t\u00e9 \x1cx'>unicode class</div>",
        # runs of plain characters (Latin, punctuation, their white space) are made in C, the rest not
        "<p>\u201cquoted\u201d \u2014 caf\u00e9\u00a0cr\u00e8me\u2026 na\u00efve <a>l\u00e9a\u00a0link</a> x</p>"
        "<p>\u00a0\u2003</p><p>\u00df\u200bstra\u00dfe_\u00aa\u00b2</p><p>\u00bd \u00b4x \u0301e \u02dc</p><p>\u2009\u2019</p>",
        # descriptors are memoised by their raw attributes: repeats, reorderings, another tag
        "<div class='a' style='display:none'>x</div><div class='a'>y</div><div style='display:none' class='a'>z</div>"
        "<span class='a'>w</span><div class='a'>v</div><div class=''>e</div><div id='a'>i</div>",
        "<p>\u200b</p><p>|</p><p>\u2022 \u2022</p><p>1</p>",
        "</html>text after the end<p>and a paragraph</p>",
        "<body><p>a</p></body><body><p>second body</p></body>",
        "<input value='x'>after input<select><option>o</option></select>after select",
        "<br><br>lone<br>",
        "<div>" * 300 + "deep" + "</div>" * 300,
        "<ul>" + "<li>item</li>" * 500 + "</ul>",
        # xpath numbers: counted as the walk meets siblings, with a lookahead for a later one of
        # the same tag, and whole-parent numbering past 8 tags or 32 siblings
        "<div>" + "".join(f"<x-{k}>t{k}</x-{k}><x-{k}>u{k}</x-{k}>" for k in range(12)) + "</div>",
        "<div><span>first</span>" + "<b>b</b>" * 40 + "<span>last</span></div>",
        "<div><span>only</span>" + "<b>b</b>" * 40 + "</div><div><i>one</i>" + "<u>u</u>" * 31 + "<i>two</i></div>",
        "<div><p>a</p><br><p>b</p><script>s</script><p>c</p><hr><img src=x><p>d</p></div>",
    ],
)
def test_edge_cases(html: str) -> None:
    same_blocks(f"<!DOCTYPE html><html><head><title>T</title></head><body>{html}</body></html>")
    same_blocks(html)


def test_random_cue_attributes() -> None:
    """Descriptors made in C from ASCII class/id/role/style/hidden values, against `_describe`:
    white space of every kind, long values, duplicates, empty values, style spellings, and
    non-ASCII values (which go to `_describe` itself)."""
    rng = random.Random(17)
    pieces = ["a", "menu", "Nav", " ", "  ", "\t", "\n", "\x0b", "\x0c", "\x1c", "\x1f", "_", "-", "x" * 70, "\u00e9", "&amp;"]
    styles = [
        "display:none",
        "DISPLAY : NONE",
        "display:\tnone;",
        "display: block",
        "visibility:hidden",
        "Visibility :  Hidden",
        "visibility: visible",
        "display:nonex",
        "xdisplay:none",
        "display",
        "display:",
        "",
    ]
    for _ in range(300):
        attrs = []
        for _ in range(rng.randint(0, 5)):
            name = rng.choice(["class", "id", "role", "style", "hidden", "title", "CLASS"])
            value = rng.choice(styles) if name == "style" else "".join(rng.choices(pieces, k=rng.randint(0, 6)))
            attrs.append(f'{name}="{value}"')
        same_blocks(f"<div {' '.join(attrs)}><p>text</p></div>")


def test_tags_renamed_after_parsing() -> None:
    """A tree changed through lxml after parsing: an upper-case tag is another name in libxml2,
    the same tag in an xpath."""
    root = segment.parse_html("<html><body><div><p>one</p><span>x</span><p>two</p></div></body></html>")
    assert root is not None
    div = root.find(".//div")
    assert div is not None
    etree.SubElement(div, "P").text = "three"
    span = div.find("span")
    assert span is not None
    span.tag = "P"
    same_blocks_of(root)


def test_random_markup() -> None:
    """Random tag soup from the tags the walk treats differently: 400 pages, fixed seed."""
    rng = random.Random(7)
    tags = [
        "p",
        "div",
        "a",
        "span",
        "li",
        "ul",
        "pre",
        "br",
        "hr",
        "script",
        "td",
        "tr",
        "b",
        "h2",
        "noscript",
        "iframe",
        "nav",
        "P",
        "DIV",
        "A",
        "x-y",
        "o:p",
        "svg",
        "template",
    ]
    words = ["alpha", "beta", "\u00e9t\u00e9", "\u4e2d\u6587", "42", "|", " ", "\n", "&amp;", "\u00a0", "--"]
    attrs = ["", " class='menu item'", " id='main'", " role=nav", " hidden", " style='display:none'", " CLASS=Up"]
    for _ in range(400):
        parts = []
        for _ in range(rng.randint(1, 60)):
            r = rng.random()
            t = rng.choice(tags)
            if r < 0.35:
                parts.append(f"<{t}{rng.choice(attrs)}>")
            elif r < 0.6:
                parts.append(f"</{t}>")
            else:
                parts.append(" ".join(rng.choices(words, k=rng.randint(1, 5))))
        same_blocks("".join(parts))


def test_trees_it_does_not_cover_fall_back() -> None:
    """Comments (kept by another parser) or XML trees: the compiled walk declines, and
    `segment_tree` gives the Python walk's blocks."""
    html = "<html><body><p>one<!-- note --> two</p><p>three</p></body></html>"
    root = etree.fromstring(html, etree.HTMLParser(remove_comments=False))
    assert speedups.segment_tree(root) is None
    assert segment.segment_tree(root) == walk_tree(root)
    xml = etree.fromstring("<html xmlns='http://www.w3.org/1999/xhtml'><body><p>x</p></body></html>")
    assert speedups.segment_tree(xml) is None
    assert segment.segment_tree(xml) == walk_tree(xml)


@pytest.mark.parametrize("mode", ["html", "text"])
@pytest.mark.slow
def test_forest_scores_equal_scikit_learn(corpus, mode: str) -> None:
    """The shipped models' first and second stages: raw scores equal to the last bit, and the
    classifier's probabilities equal to scikit-learn's own predict_proba."""
    clf = classifier.shipped(mode)
    featurizer, stack = clf.pipeline.steps[0][1], clf.pipeline.steps[1][1]
    pages = corpus.select(split="test")[::40]
    blocks = [segment.segment(data, page.fmt) for page, data in corpus.iter_bytes(pages)]
    if mode == "text":
        blocks = [segment.as_lines(b)[0] for b in blocks]
    X = featurizer.transform(blocks)
    F = X[:, classifier.N_KEYS :].astype(np.float32)
    first = speedups.Forest(stack.first_)
    assert np.array_equal(first.raw(F), stack.first_._raw_predict(F)[:, 0])
    expected = stack.first_.predict_proba(F)
    if stack.second_ is not None:
        second_in = stack.second_inputs(X, expected[:, 1])
        assert np.array_equal(speedups.Forest(stack.second_).raw(second_in), stack.second_._raw_predict(second_in)[:, 0])
        # the second stage decides the pages of the types it is routed to (every page when None)
        types = np.array(PAGE_TYPES)[F[:, -len(PAGE_TYPES) :].argmax(axis=1)]
        routed = np.isin(types, stack.second_types) if stack.second_types is not None else np.ones(len(F), dtype=bool)
        assert routed.any()
        expected = np.where(routed[:, None], stack.second_.predict_proba(second_in), expected)
    assert np.array_equal(stack.predict_proba(X), expected)
    with pytest.raises(TypeError, match="float32"):
        first.raw(F.astype(np.float64))
    with pytest.raises(ValueError, match="features"):
        first.raw(F[:, :-1])


@pytest.mark.slow
def test_context_cues_equal_python(corpus) -> None:
    pages = corpus.select(split="validation")[::10]
    contexts = [b.context for _, data in corpus.iter_bytes(pages) for b in segment.segment_html(data)]
    contexts += ["", "div", "div.a#b@c!hidden", "x " * 50]
    features._CONTEXT_HOT.clear()
    compiled = speedups.context_cues(contexts)
    features._CONTEXT_HOT.clear()
    assert np.array_equal(compiled, features._context_cues(contexts))
    assert compiled.sum() > 0


def test_context_cues_equal_python_on_random_chains() -> None:
    """The compiled cues reuse the levels a context shares with the previous one: contexts that go
    deeper, back up, share a prefix that ends inside a descriptor, or hold empty descriptors."""
    rng = random.Random(13)
    parts = ["div", "div.nav", "div.navbar", "ul#menu", "li", "section.mainContent", "nav", "footer", "", "span.née", "a@button"]
    for _ in range(200):
        contexts = [" ".join(rng.choice(parts) for _ in range(rng.randint(0, 6))) for _ in range(rng.randint(1, 12))]
        for k in range(1, len(contexts)):
            if rng.random() < 0.5:  # a prefix of the previous one, cut anywhere
                contexts[k] = contexts[k - 1][: rng.randint(0, len(contexts[k - 1]))]
        features._CONTEXT_HOT.clear()
        compiled = speedups.context_cues(contexts)
        features._CONTEXT_HOT.clear()
        assert np.array_equal(compiled, features._context_cues(contexts)), contexts


def same_columns(got: np.ndarray, want: np.ndarray, names: list[str] | tuple[str, ...], where: str) -> None:
    """Equal matrices, compared column by column, a failure naming the column."""
    assert got.shape == want.shape == (got.shape[0], len(names)) and got.dtype == want.dtype, where
    for k, name in enumerate(names):
        assert np.array_equal(got[:, k], want[:, k]), f"{where}: column {name}"


@pytest.mark.slow
def test_page_features_equal_python(corpus) -> None:
    """Whole feature matrices, HTML and text mode, compiled loops against the Python ones, every
    column checked by name, on 100 pages of all sources; and the `Columns` they are made from."""
    pages = [p for p in corpus.select() if p.fmt == "html"][5::30]
    blocks = [(p.page_id, segment.segment_html(data)) for p, data in corpus.iter_bytes(pages)]
    lines = [(page_id, segment.as_lines(b)[0]) for page_id, b in blocks]
    fast = [features.page_features(b) for _, b in blocks]
    fast_text = [features.page_features(b, text_only=True) for _, b in lines]
    cols = [features.columns(b) for _, b in blocks]
    with compiled.python_only():
        features._CONTEXT_HOT.clear()
        for (page_id, b), F, col in zip(blocks, fast, cols):
            same_columns(F, features.page_features(b), features.FEATURE_NAMES, page_id)
            python = features.columns(b)
            for field in dataclasses.fields(features.Columns):
                got, want = getattr(col, field.name), getattr(python, field.name)
                assert type(got) is type(want) and getattr(got, "dtype", None) == getattr(want, "dtype", None), field.name
                assert np.array_equal(got, want) if isinstance(want, np.ndarray) else got == want, field.name
        for (page_id, b), F in zip(lines, fast_text):
            same_columns(F, features.page_features(b, text_only=True), features.LINE_FEATURES, f"{page_id} as lines")
    assert sum(len(b) for _, b in blocks) > 10_000


@pytest.fixture
def rules(monkeypatch: pytest.MonkeyPatch):
    """`features.FEATURE_RULES` to change for one test; the extension is bound again after it."""
    yield lambda **changes: monkeypatch.setattr(features, "FEATURE_RULES", dataclasses.replace(features.FEATURE_RULES, **changes))
    monkeypatch.undo()
    speedups.bind()


@pytest.mark.parametrize("change", ["rename", "drop", "add", "log1p", "leave", "offsets", "columns", "flags"])
def test_bind_checks_the_layout(rules, change: str) -> None:
    """A dense column the compiled loops do not know, one they know missing, a different split of
    the work, other neighbours, `Columns` fields or class bits: `bind` refuses, naming what."""
    r = features.FEATURE_RULES
    names = list(r.dense_names)
    changes: dict[str, dict[str, Any]] = {
        "rename": {"dense_names": tuple(n.replace("parent_share", "parent_part") for n in names)},
        "drop": {"dense_names": tuple(n for n in names if n != "pipes")},
        "add": {"dense_names": (*names, "extra")},
        "log1p": {"loops_log1p": r.loops_log1p[:-1]},
        "leave": {"loops_leave": (*r.loops_leave, "pipes")},
        "offsets": {"neighbour_offsets": (-3, *r.neighbour_offsets)},
        "columns": {"column_fields": (*r.column_fields[:-1], "ctx")},
        "flags": {"char_flags": (2, 1, *r.char_flags[2:])},
    }
    rules(**changes[change])
    with pytest.raises(RuntimeError, match="compiled loops"):
        speedups.bind()


def test_dense_columns_go_where_the_layout_says(rules, corpus) -> None:
    """Reordered dense columns: the compiled loops write each where the layout puts it."""
    page = corpus.select(split="validation")[3]
    blocks = segment.segment_html(corpus.read(page))
    c = features.columns(blocks)
    before = features._dense_by_loops(c, speedups.dense_rows)
    order = list(range(len(features.DENSE_NAMES)))
    random.Random(5).shuffle(order)
    rules(dense_names=tuple(features.DENSE_NAMES[k] for k in order))
    speedups.bind()
    M, _ = speedups.dense_rows(*features.loop_inputs(c))
    left = (*features.FEATURE_RULES.loops_log1p, *features.FEATURE_RULES.loops_leave)  # completed by features
    written = [k for k, name in enumerate(features.DENSE_NAMES) if name not in left]
    for k in written:
        assert np.array_equal(M[:, order.index(k)], before[:, k]), features.DENSE_NAMES[k]


def test_densest_container_equal_python() -> None:
    rng = random.Random(11)
    for _ in range(300):
        xpaths = [
            "/html" + "".join(f"/{rng.choice('abc')}[{rng.randint(1, 3)}]" for _ in range(rng.randint(0, 5)))
            for _ in range(rng.randint(0, 30))
        ]
        plain = [float(rng.choice([0, 0, 1, 2, 5, 40])) for _ in xpaths]
        half = 0.5 * max(1.0, sum(plain))
        assert speedups.densest_container(xpaths, plain, half) == features.densest_container(xpaths, plain, half)


def test_inside_equal_python() -> None:
    rng = random.Random(12)
    for _ in range(300):
        paths = [
            "/html" + "".join(f"/{rng.choice(['a', 'ab', 'b'])}[{rng.randint(1, 2)}]" for _ in range(rng.randint(0, 4)))
            for _ in range(rng.randint(0, 20))
        ]
        container = rng.choice([*paths, "/html", "/html/a[1]", "/html/a"])
        want = [float((x + "/").startswith(container + "/")) for x in paths]
        assert speedups.inside(paths, container).tolist() == want


def test_models_the_forest_does_not_cover_use_scikit_learn() -> None:
    """A categorical-feature model: `Forest` refuses it, and the classifier's scores come from
    scikit-learn instead of failing."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    rng = np.random.default_rng(0)
    X = np.column_stack([rng.integers(0, 4, 200), rng.normal(size=200)]).astype(np.float32)
    y = (X[:, 0] > 1).astype(int)
    model = HistGradientBoostingClassifier(categorical_features=[0], max_iter=5, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="numeric"):
        speedups.Forest(model)
    assert np.array_equal(classifier._predict_proba(model, X), model.predict_proba(X))
