"""The compiled twins against the Python code they stand for: same blocks, same counts, same scores;
and the rules they follow written once, in Python.

Two extensions, one per side: the core's walk (`boilerbench.core._walk`) and the extractor's loops
(`boilerbench.extractor._loops`). Each is optional at install (no C compiler, no extension: the
Python code runs). Where a compiler is on PATH the build must have made them, so a build that
silently fell back to Python fails here instead of only running slower.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
import random
import re
import shutil
import subprocess
import sys

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
from boilerbench.extractor import compiled as extractor_compiled

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

if shutil.which(os.environ.get("CC", "cc")):  # built wherever a compiler is: an ImportError fails
    from boilerbench.core import _walk as walk
    from boilerbench.extractor import _loops as loops
else:  # pragma: no cover
    walk = pytest.importorskip("boilerbench.core._walk", reason="no C compiler: the extensions were not built")
    loops = pytest.importorskip("boilerbench.extractor._loops", reason="no C compiler: the extensions were not built")


def test_the_package_uses_them() -> None:
    """Both sides' extensions are declared, built and in use; every twin in use is its module's,
    and names a Python twin that exists."""
    assert [e.module for e in compiled.EXTENSIONS] == ["boilerbench.core._walk", "boilerbench.extractor._loops"]
    assert compiled.status() == "in use"
    for extension, module in ((compiled.WALK, walk), (extractor_compiled.LOOPS, loops)):
        assert extension.absent_because is None and extension.active is extension.built
        for name in extension.names:
            assert getattr(extension.active, name) is getattr(module, name), name
            python, _, attr = extension.python_twins[name].partition(":")
            target: object = importlib.import_module(python)
            for part in attr.split("."):
                target = getattr(target, part)
            assert callable(target), name


def test_one_switch() -> None:
    """`python_only` turns every twin of both sides off and back on."""
    with compiled.python_only():
        for extension in compiled.EXTENSIONS:
            assert all(getattr(extension.active, name) is None for name in extension.names)
        assert compiled.status() == "switched off"
    assert all(e.active is e.built for e in compiled.EXTENSIONS) and compiled.status() == "in use"


def test_the_core_walk_binds_no_extractor_module() -> None:
    """The core's compiled walk binds to the core's rules only: a fresh interpreter that segments a
    page with it has loaded no extractor or benchmark module."""
    code = (
        "import sys; from boilerbench.core import compiled, segment; "
        "assert compiled.WALK.active.segment_tree is not None; "
        "segment.segment_html('<div class=a><p>Hello there</p></div>'); "
        "print(sorted(m for m in sys.modules if m.startswith(('boilerbench.extractor', 'boilerbench.benchmark'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_scikit_learn_range_is_one_fact() -> None:
    """pyproject.toml bounds scikit-learn to the range the compiled forest is tested with."""
    with open(os.path.join(REPO, "pyproject.toml"), "rb") as f:
        dependencies = tomllib.load(f)["project"]["dependencies"]
    assert extractor_compiled.SKLEARN_REQUIREMENT in dependencies
    import sklearn

    extractor_compiled.check_sklearn(sklearn.__version__)  # the installed one is in it


@pytest.mark.parametrize("version", ["1.8.2", "1.10.0", "1.10.0rc1", "2.0", "nightly"])
def test_forest_refuses_untested_scikit_learn(monkeypatch: pytest.MonkeyPatch, version: str) -> None:
    import sklearn

    with pytest.raises(RuntimeError, match=re.escape(extractor_compiled.SKLEARN_REQUIREMENT)):
        extractor_compiled.check_sklearn(version)
    monkeypatch.setattr(sklearn, "__version__", version)
    with pytest.raises(RuntimeError, match="outside the range"):
        loops.Forest(classifier.shipped("html").pipeline.steps[1][1].first_)


# --- the walk ---------------------------------------------------------------------------------


def same_blocks(html: str | bytes) -> None:
    root = parse_html(html)
    if root is not None:
        same_blocks_of(root)


def same_blocks_of(root: etree._Element) -> None:
    """Both walks, structure read and not: the same blocks; and without it, the same blocks but
    their structure, which is None (not read), never a default."""
    made = walk.segment_tree(root)
    assert made is not None, "an HTML parser tree the compiled walk should cover"
    assert made == walk_tree(root)
    bare = walk.segment_tree(root, None, False)
    assert bare is not None
    assert bare == walk_tree(root, None, False)
    assert bare == [dataclasses.replace(b, structure=None) for b in made]


@pytest.mark.slow
def test_real_pages(corpus) -> None:
    """Every 10th page of every source (about 300 pages): the same blocks, field for field."""
    pages = [p for p in corpus.select() if p.page_format == "html"][::10]
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
    """Descriptors of random class/id/role/style/hidden values, memoised by the compiled walk by
    their raw bytes: white space of every kind, long values, duplicates, empty values, style
    spellings, non-ASCII values."""
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
    span = div.find("span") if div is not None else None
    assert div is not None and span is not None
    etree.SubElement(div, "P").text = "three"
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
    assert walk.segment_tree(root) is None
    assert segment.segment_tree(root) == walk_tree(root)
    assert segment.segment_tree(root, None, False) == walk_tree(root, None, False)
    assert all(b.structure is None for b in walk_tree(root, None, False))
    xml = etree.fromstring("<html xmlns='http://www.w3.org/1999/xhtml'><body><p>x</p></body></html>")
    assert walk.segment_tree(xml) is None
    assert segment.segment_tree(xml) == walk_tree(xml)
    assert segment.segment_tree(xml, None, False) == walk_tree(xml, None, False)


# --- the forest ---------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("page_format", ["html", "text"])
def test_forest_scores_equal_scikit_learn(corpus, page_format: str) -> None:
    """The shipped models' first and second stages: raw scores equal to the last bit, and the
    classifier's probabilities equal to scikit-learn's own predict_proba."""
    clf = classifier.shipped(page_format)
    featurizer, stack = clf.pipeline.steps[0][1], clf.pipeline.steps[1][1]
    pages = corpus.select(split="test")[::40]
    blocks = [segment.segment(data, page.page_format) for page, data in corpus.iter_bytes(pages)]
    if page_format == "text":
        blocks = [segment.as_lines(b)[0] for b in blocks]
    X = featurizer.transform(blocks)
    F = X[:, classifier.N_KEYS :].astype(np.float32)
    first = loops.Forest(stack.first_)
    assert np.array_equal(first.raw(F), stack.first_._raw_predict(F)[:, 0])
    expected = stack.first_.predict_proba(F)
    if stack.second_ is not None:
        second_in = stack.second_inputs(X, expected[:, 1])
        assert np.array_equal(loops.Forest(stack.second_).raw(second_in), stack.second_._raw_predict(second_in)[:, 0])
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


# --- the feature loops ---------------------------------------------------------------------------


def _fresh_memos() -> None:
    features._CONTEXT_CUES.clear()
    features._DESCRIPTOR_CUES.clear()


@pytest.mark.slow
def test_context_cues_equal_python(corpus) -> None:
    pages = corpus.select(split="validation")[::10]
    contexts = list(dict.fromkeys(b.context for _, data in corpus.iter_bytes(pages) for b in segment.segment_html(data)))
    contexts += ["", "div", "div.a#b@c!hidden", "x " * 50, "span.née div.Ünïcode#x"]
    try:
        for near in (features.NEAR_ANCESTORS, 1, 50):
            _fresh_memos()
            made = loops.context_cues(contexts, near)
            memo = dict(features._CONTEXT_CUES)
            _fresh_memos()
            python = features._context_cues(contexts, near)
            assert memo == features._CONTEXT_CUES  # the memo both twins share holds the same entries
            for got, want in zip(made, python):
                assert got.dtype == want.dtype and np.array_equal(got, want)
            assert len(made[0]) and len(made[2])
    finally:  # the memo is keyed by context alone (the features use one `near`): leave no other near's entries
        _fresh_memos()


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
        contexts = list(dict.fromkeys(contexts))
        _fresh_memos()
        made = loops.context_cues(contexts, features.NEAR_ANCESTORS)
        _fresh_memos()
        python = features._context_cues(contexts, features.NEAR_ANCESTORS)
        assert all(np.array_equal(a, b) for a, b in zip(made, python)), contexts


def test_ascii_token_hashes_equal_python() -> None:
    """The compiled tokenizer of ASCII descriptors (by `features`' token characters) against the
    regular expression and zlib: separators, digit runs, humps, short tokens, every ASCII character."""
    rng = random.Random(3)
    alphabet = [chr(c) for c in range(32, 127)] + ["\t", "\x1c"] + ["ab", "Menu", "navBar", "X1y2"] * 10
    for _ in range(2000):
        d = "".join(rng.choices(alphabet, k=rng.randint(0, 14)))
        d = d.replace(" ", "")  # a descriptor has no space (the context's separator)
        _fresh_memos()
        made = loops.context_cues([d], 1)
        _fresh_memos()
        python = features._context_cues([d], 1)
        assert all(np.array_equal(a, b) for a, b in zip(made, python)), d


def same_columns(got: np.ndarray, want: np.ndarray, names: list[str] | tuple[str, ...], where: str) -> None:
    """Equal matrices, compared column by column, a failure naming the column."""
    assert got.shape == want.shape == (got.shape[0], len(names)) and got.dtype == want.dtype, where
    for k, name in enumerate(names):
        assert np.array_equal(got[:, k], want[:, k]), f"{where}: column {name}"


@pytest.mark.slow
def test_page_features_equal_python(corpus) -> None:
    """Whole feature matrices, HTML and text mode, compiled loops against the Python ones, every
    column checked by name, on 100 pages of all sources; and the `Columns` they are made from."""
    pages = [p for p in corpus.select() if p.page_format == "html"][5::30]
    blocks = [(p.page_id, segment.segment_html(data)) for p, data in corpus.iter_bytes(pages)]
    lines = [(page_id, segment.as_lines(b)[0]) for page_id, b in blocks]
    _fresh_memos()  # both paths start from empty memos, whatever ran before
    fast = [features.page_features(b) for _, b in blocks]
    fast_text = [features.page_features(b, page_format="text") for _, b in lines]
    cols = [features.columns(b) for _, b in blocks]
    with compiled.python_only():
        _fresh_memos()
        for (page_id, b), F, col in zip(blocks, fast, cols):
            same_columns(F, features.page_features(b), features.FEATURE_NAMES, page_id)
            python = features.columns(b)
            for field in dataclasses.fields(features.Columns):
                got, want = getattr(col, field.name), getattr(python, field.name)
                assert type(got) is type(want) and getattr(got, "dtype", None) == getattr(want, "dtype", None), field.name
                assert np.array_equal(got, want) if isinstance(want, np.ndarray) else got == want, field.name
        for (page_id, b), F in zip(lines, fast_text):
            same_columns(F, features.page_features(b, page_format="text"), features.LINE_FEATURES, f"{page_id} as lines")
    assert sum(len(b) for _, b in blocks) > 10_000


def test_prefix_sums_equal_python() -> None:
    rng = random.Random(11)
    for _ in range(300):
        xpaths = [
            "/html" + "".join(f"/{rng.choice('abc')}[{rng.randint(1, 3)}]" for _ in range(rng.randint(0, 5)))
            for _ in range(rng.randint(0, 30))
        ]
        plain = np.array([float(rng.choice([0, 0, 1, 2, 5, 40])) for _ in xpaths])
        prefixes, sums = loops.prefix_sums(xpaths, plain)
        want_prefixes, want_sums = features._prefix_sums(xpaths, plain)
        assert prefixes == want_prefixes and np.array_equal(sums, want_sums)
        half = 0.5 * max(1.0, float(plain.sum()))
        main = features.densest_container(prefixes, sums, half)
        assert main == "/html" or sum(w for x, w in zip(xpaths, plain) if (x + "/").startswith(main + "/")) >= half


def test_inside_equal_python() -> None:
    rng = random.Random(12)
    for _ in range(300):
        paths = [
            "/html" + "".join(f"/{rng.choice(['a', 'ab', 'b'])}[{rng.randint(1, 2)}]" for _ in range(rng.randint(0, 4)))
            for _ in range(rng.randint(0, 20))
        ]
        container = rng.choice([*paths, "/html", "/html/a[1]", "/html/a"])
        assert np.array_equal(loops.inside(paths, container), features._inside(paths, container))


def test_value_runs_equal_python() -> None:
    rng = np.random.default_rng(14)
    for n in (0, 1, 2, 3, 17, 300):
        for _ in range(50):
            values = rng.integers(0, 3, n).astype(np.int64)
            assert np.array_equal(loops.value_runs(values), features._value_runs(values))


# --- each rule written once --------------------------------------------------------------------


@pytest.fixture
def rebound(monkeypatch: pytest.MonkeyPatch):
    """Change a rule constant for one test: both extensions bind again (and forget what they
    memoised) after the change, and again after it is undone."""

    def change(module: object, name: str, value: object) -> None:
        monkeypatch.setattr(module, name, value)
        walk.bind()
        loops.bind()

    yield change
    monkeypatch.undo()
    walk.bind()
    loops.bind()


# (module, constant, new value, the feature columns it may change: name prefixes)
RULES = [
    (features, "MEAN_WORD_LEN_CAP", 4.0, ("mean_word_len",)),
    (features, "PIPES_CAP", 0.5, ("pipes",)),
    (features, "LINK_DOMINATED", 0.05, ("link_run",)),
    (features, "NO_NEIGHBOUR", -7.0, ("n-", "n+")),
    (features, "MAIN_SHARE", 0.95, ("in_main", "main_depth_diff")),
    (features, "NEAR_ANCESTORS", 1, ("near_tok_",)),
    (features, "MIN_TOKEN_CHARS", 5, ("near_tok_",)),
    (segment, "CLASS_TOKENS", 1, ("near_tok_", "same_context_blocks", "context_run", "hidden")),
    (segment, "ID_CHARS", 3, ("near_tok_", "same_context_blocks", "context_run", "hidden")),
]


# a validation page with "|"s, hidden elements, menus and prose
RULES_PAGE = "trafeval-0013"


@pytest.mark.parametrize(("module", "name", "value", "columns"), RULES, ids=[r[1] for r in RULES])
def test_a_rule_changed_in_python_changes_both_paths(rebound, real_page, module, name, value, columns) -> None:
    """A rule constant changed on the Python side (a cap, a threshold, a fill value, a search depth,
    a descriptor's length): the compiled and the Python path give the same, changed features, on a
    real page, and only the columns that rule makes change."""
    data = real_page(RULES_PAGE).data
    _fresh_memos()
    before = features.page_features(segment.segment_html(data))
    rebound(module, name, value)
    _fresh_memos()
    made = features.page_features(segment.segment_html(data))
    with compiled.python_only():
        _fresh_memos()
        python = features.page_features(segment.segment_html(data))
    same_columns(made, python, features.FEATURE_NAMES, f"{name} = {value}")
    changed = {features.FEATURE_NAMES[k] for k in np.flatnonzero((made != before).any(axis=0))}
    assert changed, f"{name} = {value} changed no feature of the page"
    assert all(c.startswith(columns) for c in changed), sorted(changed)


def test_models_the_forest_does_not_cover_use_scikit_learn() -> None:
    """A categorical-feature model: `Forest` refuses it, and the classifier's scores come from
    scikit-learn instead of failing."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    rng = np.random.default_rng(0)
    X = np.column_stack([rng.integers(0, 4, 200), rng.normal(size=200)]).astype(np.float32)
    y = (X[:, 0] > 1).astype(int)
    model = HistGradientBoostingClassifier(categorical_features=[0], max_iter=5, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="numeric"):
        loops.Forest(model)
    assert np.array_equal(classifier._predict_proba(model, X), model.predict_proba(X))
