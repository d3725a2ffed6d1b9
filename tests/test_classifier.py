"""The block classifier: the shipped models load and classify a real page, `load_model` refuses
files it must not trust, and a model trained on a small slice of the bundled corpus (into tmp_path)
beats keeping everything on held-out test pages."""

from __future__ import annotations

import builtins
import collections
import fractions
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import skops.io as sio
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer
from threadpoolctl import threadpool_limits

from boilerbench.benchmark.corpora.store import Corpus
from boilerbench.benchmark.groundtruth import load_labeled
from boilerbench.benchmark.labels import derive_labels
from boilerbench.benchmark.scoring import SCORED_APART, block_scores
from boilerbench.benchmark.train import (
    MIN_GAIN,
    OVERRULE_THRESHOLDS,
    THRESHOLDS,
    VALIDATION_GROUPS,
    TrainPage,
    category_sample,
    fit_and_select,
    fit_categories,
    group_scores,
    kept_f1s,
    make_pipeline,
    mean_page_f1,
    training_data,
)
from boilerbench.benchmark.train import train as train_models
from boilerbench.core import compiled
from boilerbench.core.segment import as_lines, segment_html, segment_text
from boilerbench.core.text import has_word
from boilerbench.core.types import (
    BOILERPLATE,
    CATEGORY_GROUP_NAMES,
    CATEGORY_MODEL_FORMATS,
    CONTENT,
    GROUP_OF,
    OVERRULED_GROUPS,
    PAGE_FORMATS,
    PAGE_TYPES,
)
from boilerbench.extractor import classifier
from boilerbench.extractor.classifier import (
    MODEL_DIR,
    N_KEYS,
    BlockClassifier,
    BlockFeaturizer,
    CategoryModel,
    ContextStack,
    category_model_path,
    feature_names,
    load_category_model,
    load_model,
    shipped,
    shipped_categories,
)
from boilerbench.extractor.features import FEATURE_NAMES, FEATURES_VERSION, LINE_FEATURES

N_TRAIN, N_VALIDATION, N_TEST = 40, 15, 15
TINY_FIRST = {"max_iter": 30}
TINY_GRID = (None, {"max_iter": 10})


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    """One OpenMP thread for the gradient boosting: small inputs are faster that way, and a busy
    second core cannot stall every prediction."""
    with threadpool_limits(limits=1):
        yield


def _block_f1(labels, kept) -> float:
    s = block_scores(labels, kept)
    assert s is not None
    return s["block_f1"]


# --- the shipped models -------------------------------------------------------------------------


@pytest.mark.parametrize("page_format", ["html", "text"])
def test_load_shipped_models(page_format: str) -> None:
    clf = load_model(page_format)
    assert isinstance(clf, BlockClassifier)
    assert clf.page_format == page_format
    assert isinstance(clf.pipeline, Pipeline)
    featurizer = clf.pipeline.named_steps["features"]
    assert isinstance(featurizer, BlockFeaturizer)
    assert featurizer.page_format == page_format
    model = clf.pipeline.named_steps["model"]
    assert isinstance(model, ContextStack) and model.page_format == page_format
    assert model.n_features_in_ == N_KEYS + len(feature_names(page_format))
    assert feature_names(page_format)[: len(LINE_FEATURES if page_format == "text" else FEATURE_NAMES)] == list(
        LINE_FEATURES if page_format == "text" else FEATURE_NAMES
    )
    if model.second_ is not None:
        assert model.second_.n_features_in_ == len(model.second_input_names())
    assert 0.0 < clf.threshold < 1.0
    meta = json.loads((MODEL_DIR / f"boilerbench-{page_format}.json").read_text(encoding="utf-8"))
    assert clf.threshold == meta["threshold"]
    assert clf.info["features_version"] == FEATURES_VERSION[page_format]
    assert shipped(page_format).threshold == clf.threshold


def test_blocks_in_any_sequence(jefftk) -> None:
    """`predict` takes a tuple of blocks as it takes a list (the compiled loop reads a list only)."""
    blocks = segment_html(jefftk.data)
    assert shipped("html").predict(tuple(blocks)) == shipped("html").predict(blocks)


@pytest.mark.parametrize("page_format", CATEGORY_MODEL_FORMATS)
def test_load_shipped_category_models(page_format: str, jefftk) -> None:
    """A category model loads beside its page format's classifier, predicts only known groups (the same as
    scikit-learn's `predict`) from the rows that classifier reads, and its record holds its
    per-group validation figures."""
    cats = load_category_model(page_format)
    assert isinstance(cats, CategoryModel) and cats.page_format == page_format
    assert set(cats.model.classes_) == set(CATEGORY_GROUP_NAMES) and cats.model.n_trees_per_iteration_ == len(
        CATEGORY_GROUP_NAMES
    )
    assert cats.model.n_features_in_ == len(feature_names(page_format))
    meta = json.loads(category_model_path(page_format).with_suffix(".json").read_text(encoding="utf-8"))
    assert (
        meta == cats.info
        and meta["features_version"] == FEATURES_VERSION[page_format]
        and meta["groups"] == list(cats.model.classes_)
    )
    figures = meta["validation"]["groups"]
    assert set(figures) == set(CATEGORY_GROUP_NAMES)
    assert all(0.0 < f["precision"] <= 1.0 and 0.0 < f["recall"] <= 1.0 and f["blocks"] > 0 for f in figures.values())
    blocks = segment_html(jefftk.data)
    if page_format == "text":
        blocks = as_lines(blocks)[0]
    d = shipped(page_format).decide(blocks)
    assert d.rows is not None
    groups = cats.groups(d.rows)
    assert len(groups) == len(blocks) and set(groups) <= set(CATEGORY_GROUP_NAMES) and "content" in groups
    assert shipped_categories(page_format).groups(d.rows) == groups and cats.groups(None) == cats.groups(d.rows[:0]) == []
    assert groups == cats.model.predict(d.rows).tolist()
    # the compiled forests (one per group) and scikit-learn's sums give the same raw scores
    raw = cats.raw(d.rows)
    with compiled.python_only():
        assert np.array_equal(cats.raw(d.rows), raw) and cats.groups(d.rows) == groups
    assert np.array_equal(raw, cats.model._raw_predict(d.rows))


def test_load_missing_category_model_names_train(tmp_path: Path) -> None:
    with pytest.raises(
        FileNotFoundError, match=r"boilerbench-html-categories\.skops.*train --page-formats html --only categories"
    ):
        load_category_model("html", folder=tmp_path)


def test_load_unknown_mode() -> None:
    with pytest.raises(ValueError, match="page_format must be one of"):
        load_model("pdf")


def test_load_missing_model_names_train(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="train") as info:
        load_model("html", folder=tmp_path)
    assert "boilerbench-html.skops" in str(info.value)


def _copy_shipped(page_format: str, folder: Path) -> None:
    for suffix in (".skops", ".json"):
        shutil.copyfile(MODEL_DIR / f"boilerbench-{page_format}{suffix}", folder / f"boilerbench-{page_format}{suffix}")


def test_load_a_copy_of_the_shipped_model(tmp_path: Path, jefftk) -> None:
    """The control for the refusals below: a faithful copy loads and scores as the original."""
    _copy_shipped("html", tmp_path)
    blocks = segment_html(jefftk.data)
    assert np.array_equal(load_model("html", folder=tmp_path).scores(blocks), shipped("html").scores(blocks))


@pytest.mark.slow
def test_model_version_is_a_hash_of_what_decides(tmp_path: Path) -> None:
    """The version the shipped system reports (`model_hash`) and its cached outputs hang on: saving
    the same fitted models again, even from a loaded copy (skops names arrays after object ids, and
    zip entries carry a time), gives new bytes and the same version; a different threshold, a new one."""
    from dataclasses import replace

    from boilerbench.extractor.classifier import category_model_path, model_hash, model_path

    once, twice, moved = tmp_path / "once", tmp_path / "twice", tmp_path / "moved"
    for page_format in PAGE_FORMATS:
        load_model(page_format).save(once)
        load_model(page_format, folder=once).save(twice)
    load_category_model("html").save(once)
    load_category_model("html", folder=once).save(twice)
    assert model_path("html", once).read_bytes() != model_path("html", MODEL_DIR).read_bytes()  # other bytes
    assert model_hash(once) == model_hash(twice) == model_hash(MODEL_DIR)
    # the category models count: another fitted one, or none, is another version
    regrouped = tmp_path / "regrouped"
    shutil.copytree(once, regrouped)
    html = load_category_model("html", folder=once)
    replace(html, info={**html.info, "note": "a record's other keys do not decide"}).save(regrouped)
    assert model_hash(regrouped) == model_hash(once)
    replace(html, info={**html.info, "overrule_thresholds": {"comments": 0.9}}).save(
        regrouped
    )  # it decides which blocks are dropped
    assert model_hash(regrouped) != model_hash(once)
    other = classifier.hist_gradient_boosting(max_iter=2).fit(np.eye(4).repeat(5, axis=0), ["content", "comments"] * 10)
    replace(html, model=other).save(regrouped)
    assert model_hash(regrouped) != model_hash(once)
    category_model_path("html", regrouped).unlink()
    assert model_hash(regrouped) not in (model_hash(once), model_hash(MODEL_DIR))
    for page_format in PAGE_FORMATS:
        clf = load_model(page_format, folder=once)
        (replace(clf, threshold=clf.threshold + 0.01) if page_format == "html" else clf).save(moved)
    load_category_model("html", folder=once).save(moved)
    assert load_model("html", folder=moved).threshold == load_model("html").threshold + 0.01
    assert model_hash(moved) != model_hash(once)
    assert model_hash(tmp_path / "none") != model_hash(once)
    model_path("text", moved).write_bytes(b"not a zip file")  # a damaged file: an error naming it
    with pytest.raises(ValueError, match=r"boilerbench-text\.skops: not a readable skops file"):
        model_hash(moved)


def test_load_refuses_a_features_version_mismatch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert tuple(FEATURES_VERSION) == PAGE_FORMATS  # a version per model page_format, no other
    for page_format in PAGE_FORMATS:
        _copy_shipped(page_format, tmp_path)
    meta_path = tmp_path / "boilerbench-text.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["features_version"] = FEATURES_VERSION["text"] + "-old"
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ValueError, match=r"text features v.*-old.*train"):
        load_model("text", folder=tmp_path)
    load_model("html", folder=tmp_path)  # the other page_format's model is not concerned
    # a change to the HTML features only: the HTML model must be retrained, the text one still loads
    monkeypatch.setitem(FEATURES_VERSION, "html", FEATURES_VERSION["html"] + "-new")
    monkeypatch.setitem(FEATURES_VERSION, "text", meta["features_version"])
    with pytest.raises(ValueError, match="html features"):
        load_model("html", folder=tmp_path)
    assert load_model("text", folder=tmp_path).page_format == "text"


def _save_pipeline(pipeline: Pipeline, folder: Path, page_format: str = "html") -> None:
    sio.dump(pipeline, folder / f"boilerbench-{page_format}.skops")
    meta = {"threshold": 0.5, "page_format": page_format, "features_version": FEATURES_VERSION[page_format]}
    (folder / f"boilerbench-{page_format}.json").write_text(json.dumps(meta), encoding="utf-8")


@pytest.mark.slow
def test_load_refuses_a_foreign_type(tmp_path: Path) -> None:
    base = shipped("html").pipeline
    # allowed: a collections.OrderedDict attribute
    ok = make_pipeline("html")
    ok.set_params(model=base.named_steps["model"])
    ok.named_steps["features"].fit([])
    ok.named_steps["features"].notes_ = collections.OrderedDict(a=1)
    _save_pipeline(ok, tmp_path)
    assert load_model("html", folder=tmp_path).pipeline.named_steps["features"].notes_ == {"a": 1}
    # refused: a fractions.Fraction attribute
    bad = make_pipeline("html")
    bad.set_params(model=base.named_steps["model"])
    bad.named_steps["features"].fit([])
    bad.named_steps["features"].notes_ = fractions.Fraction(1, 3)
    _save_pipeline(bad, tmp_path)
    assert "fractions.Fraction" in sio.get_untrusted_types(file=tmp_path / "boilerbench-html.skops")
    with pytest.raises(ValueError, match=r"untrusted types \['fractions.Fraction'\]"):
        load_model("html", folder=tmp_path)


def test_load_refuses_a_model_that_runs_code(tmp_path: Path, jefftk) -> None:
    marker = tmp_path / "code-ran"
    code = f"open({str(marker)!r}, 'w').write('the model file ran code')"
    base = shipped("html").pipeline
    evil = Pipeline(
        [
            # whatever the input: a 0-d array holding `code`, then its str, then exec of it
            ("a", FunctionTransformer(np.full_like, kw_args={"fill_value": code, "dtype": object, "shape": ()})),
            ("b", FunctionTransformer(builtins.str)),
            ("c", FunctionTransformer(builtins.exec)),
            ("features", base.named_steps["features"]),
            ("model", base.named_steps["model"]),
        ]
    )
    _save_pipeline(evil, tmp_path)
    assert "builtins.exec" in sio.get_untrusted_types(file=tmp_path / "boilerbench-html.skops")
    with pytest.raises(ValueError, match="untrusted"):
        clf = load_model("html", folder=tmp_path)
        # reached only when load_model accepted the file: show what that costs
        try:
            clf.scores(segment_html(jefftk.data))
        except TypeError:
            pass  # exec returned None, which the featurizer cannot read: but the code already ran
        assert not marker.exists(), "predicting with the loaded model ran code stored in the model file"


def test_shipped_html_model_on_a_real_page(jefftk) -> None:
    """wcxb-0495 (a validation page: the model was not fitted on it): far better than all-text."""
    blocks = segment_html(jefftk.data)
    labels, _ = derive_labels(blocks, jefftk.gold)
    assert CONTENT in labels and BOILERPLATE in labels
    clf = shipped("html")
    kept = clf.predict(blocks)
    assert len(kept) == len(blocks) and all(isinstance(k, bool) for k in kept)
    scores = clf.scores(blocks)
    assert kept == [bool(s >= clf.threshold) for s in scores]
    assert ((scores >= 0) & (scores <= 1)).all()
    model_f1 = _block_f1(labels, kept)
    all_text_f1 = _block_f1(labels, [True] * len(blocks))
    assert model_f1 >= all_text_f1 + 0.25, (model_f1, all_text_f1)
    assert model_f1 >= 0.8
    # the menus at top and bottom are dropped, the longest paragraph is kept
    assert not any(k for b, k in zip(blocks, kept) if b.text in ("Posts", "Contact", "More Posts"))
    longest = max(blocks, key=lambda b: b.words)
    assert kept[longest.index]


@pytest.mark.parametrize("page_format", ["html", "text"])
@pytest.mark.slow
def test_scores_equal_the_pipeline(page_format: str, corpus) -> None:
    """`scores` calls the pipeline's steps itself (and skips the featurizer for a one-stage HTML
    model): the same numbers as `Pipeline.predict_proba`, on 30 pages."""
    clf = shipped(page_format)
    for _, data in corpus.iter_bytes(corpus.select(split="validation")[::7]):
        blocks = segment_html(data)
        if page_format == "text":
            blocks = as_lines(blocks)[0]
        if blocks:
            assert np.array_equal(clf.scores(blocks), clf.pipeline.predict_proba([blocks])[:, 1])


@pytest.mark.slow
def test_second_stage_routed_by_page_type(corpus) -> None:
    """A second stage routed to some page types decides those pages and only those: on the others
    the scores are the first stage's, through `decide` and through the pipeline alike."""
    clf = shipped("text")
    model = clf.pipeline.steps[1][1]
    assert model.second_ is not None
    pages = [as_lines(segment_html(data))[0] for _, data in corpus.iter_bytes(corpus.select(split="validation")[::9])]
    pages = [p for p in pages if p]
    types = [clf.decide(p).page_type for p in pages]
    assert types[0] is not None
    routed = ContextStack(model.first, model.second, "text", second_types=(types[0],))
    routed.first_, routed.second_, routed.classes_ = model.first_, model.second_, model.classes_
    routed_clf = BlockClassifier(Pipeline([clf.pipeline.steps[0], ("model", routed)]), clf.threshold, "text", {})
    featurizer = clf.pipeline.steps[0][1]
    assert len(set(types)) > 1
    for blocks, page_type in zip(pages, types):
        _, F = featurizer.rows(blocks)
        first = classifier._predict_proba(model.first_, F)[:, 1]
        scores = routed_clf.scores(blocks)
        assert np.array_equal(scores, routed_clf.pipeline.predict_proba([blocks])[:, 1])
        # given the first stage's probabilities (as `fit_and_select` passes them), the same scores
        X = featurizer.transform([blocks])
        assert np.array_equal(routed.predict_proba(X, classifier._predict_proba(model.first_, F))[:, 1], scores)
        if page_type == types[0]:
            assert np.array_equal(scores, clf.scores(blocks))
        else:
            assert np.array_equal(scores, first) and not np.array_equal(scores, clf.scores(blocks))


def test_shipped_models_on_no_blocks() -> None:
    for page_format in ("html", "text"):
        assert shipped(page_format).predict([]) == []
        assert len(shipped(page_format).scores([])) == 0


# --- as_lines -----------------------------------------------------------------------------------


def test_as_lines_splits_a_pre_into_lines_of_one_block() -> None:
    blocks = segment_html("<p>An intro paragraph.</p><pre>a\nb</pre><p>After.</p>")
    assert [b.text for b in blocks] == ["An intro paragraph.", "a\nb", "After."]
    lines, owner = as_lines(blocks)
    assert [line.text for line in lines] == ["An intro paragraph.", "a", "b", "After."]
    assert owner == [0, 1, 1, 2]
    assert [line.index for line in lines] == [0, 1, 2, 3]
    assert all(line.tag == "line" and line.link_words == 0 for line in lines)
    # exactly what segment_text makes of the rendered page
    assert [(line.text, line.words) for line in lines] == [
        (b.text, b.words) for b in segment_text("\n".join(b.text for b in blocks))
    ]


def test_as_lines_on_a_real_pre(jefftk) -> None:
    blocks = segment_html(jefftk.data)
    pre = next(b for b in blocks if b.tag == "pre")
    lines, owner = as_lines(blocks)
    assert len(lines) == len(owner)
    mine = [line.text for line, o in zip(lines, owner) if o == pre.index]
    assert mine == [t for t in pre.text.split("\n") if has_word(t)]
    assert len(mine) >= 5
    assert owner == sorted(owner)  # lines come in block order
    assert set(owner) == {b.index for b in blocks}  # every block has at least one line


# --- training on a small slice ------------------------------------------------------------------


@pytest.fixture(scope="module")
def labeled_slice():
    """Train: WCXB pages (full labels, page types) and trafilatura-eval pages (snippets only)."""
    corpus = Corpus.open()
    train = (
        corpus.select(split="train", source="wcxb")[: N_TRAIN - 10] + corpus.select(split="train", source="trafilatura-eval")[:10]
    )
    validation = (
        corpus.select(split="validation", source="wcxb")[: N_VALIDATION - 5]
        + corpus.select(split="validation", source="trafilatura-eval")[:5]
    )
    test = corpus.select(split="test", source="wcxb")[:N_TEST]
    labeled_pages = load_labeled(corpus, train + validation + test, workers=2, progress=False, cache=False)
    return labeled_pages[:N_TRAIN], labeled_pages[N_TRAIN : N_TRAIN + N_VALIDATION], labeled_pages[N_TRAIN + N_VALIDATION :]


@pytest.fixture(scope="module")
def trained(labeled_slice, tmp_path_factory: pytest.TempPathFactory):
    train_labeled, validation_labeled, _ = labeled_slice
    train = training_data(train_labeled, "html")
    validation = training_data(validation_labeled, "html")
    logged: list[str] = []
    clf = fit_and_select(train, validation, "html", grid=TINY_GRID, log=logged.append, first=TINY_FIRST)
    folder = tmp_path_factory.mktemp("trained-model")
    path = clf.save(folder)
    return clf, folder, path, train, logged


@pytest.mark.slow
def test_training_data(labeled_slice) -> None:
    """Every train page with a labeled block; snippet pages keep their undecided blocks as -1 (the
    features see the whole page, the fit only the decided blocks)."""
    train_labeled, _, _ = labeled_slice
    html = training_data(train_labeled, "html")
    text = training_data(train_labeled, "text")
    assert len(html) == len(text) == N_TRAIN
    assert {p.source for p in html} == {"wcxb", "trafilatura-eval"}
    for page, lines, labeled_page in zip(html, text, train_labeled):
        assert isinstance(page, TrainPage) and page.page_type == labeled_page.page.page_type
        assert len(page.blocks) == len(page.labels) == len(labeled_page.blocks)
        expected = [1 if b.label == CONTENT else 0 if b.label == BOILERPLATE else -1 for b in labeled_page.blocks]
        assert list(page.labels) == expected
        if labeled_page.gold.text is None:
            assert -1 in expected and (np.array(expected) >= 0).any()
        else:
            assert -1 not in expected
        assert len(lines.blocks) == len(lines.labels) >= len(page.blocks)
        _, owner = as_lines(page.blocks)
        assert list(lines.labels) == [page.labels[o] for o in owner]  # a line has its block's label
        # the validation metrics read `scored`: the title (scored apart on the board) undecided there
        title = [b.category == SCORED_APART for b in labeled_page.blocks]
        assert list(page.scored) == [-1 if t else y for t, y in zip(title, expected)]
        assert list(lines.scored) == [page.scored[o] for o in owner]
    assert any(SCORED_APART in (b.category for b in lp.blocks) for lp in train_labeled)  # the check above bites


@pytest.mark.slow
def test_undecided_blocks_are_not_trained_on(labeled_slice) -> None:
    """Flipping the labels of undecided blocks to anything changes nothing: they are never fitted."""
    train_labeled, _, _ = labeled_slice
    train = training_data(train_labeled, "html")
    stack = ContextStack(classifier.hist_gradient_boosting(**TINY_FIRST), None, "html")
    featurizer = BlockFeaturizer().fit([])
    parts = [featurizer.block_features(p.blocks) for p in train]
    X = np.concatenate([np.hstack([np.full((len(F), 1), i), k, F]) for i, (k, F) in enumerate(parts)])
    y = np.concatenate([p.labels for p in train])
    assert (y == -1).sum() > 100
    a = stack.fit_first(X, y)
    stack_a = stack.first_
    flipped = np.where(y == -1, -2, y)
    b = stack.fit_first(X, flipped)
    assert np.array_equal(a, b)
    assert np.array_equal(
        stack_a.predict_proba(X[:, N_KEYS:].astype(np.float32)), stack.first_.predict_proba(X[:, N_KEYS:].astype(np.float32))
    )


@pytest.mark.slow
def test_trained_model_saved_and_loaded(trained, labeled_slice) -> None:
    clf, folder, path, train_pages, logged = trained
    assert path == folder / "boilerbench-html.skops" and path.is_file()
    assert (folder / "boilerbench-html.json").is_file()
    assert sorted(p.name for p in folder.iterdir()) == ["boilerbench-html.json", "boilerbench-html.skops"]
    loaded = load_model("html", folder=folder)
    assert loaded.threshold == clf.threshold and loaded.type_thresholds == clf.type_thresholds
    assert loaded.threshold in THRESHOLDS
    assert set(loaded.type_thresholds) <= {"article"}
    assert loaded.info["params"]["first"] == TINY_FIRST
    assert loaded.info["params"]["second"] in TINY_GRID
    assert loaded.info["train_pages"] == len(train_pages) == N_TRAIN
    assert loaded.info["validation_pages"] == N_VALIDATION
    assert loaded.info["train_blocks"] == sum(int((p.labels >= 0).sum()) for p in train_pages)
    f1 = loaded.info["validation_block_f1"]
    assert set(f1) == set(VALIDATION_GROUPS) and all(0.0 < v <= 1.0 for v in f1.values())
    # the best trial, or a cheaper one within MIN_GAIN of it
    params = loaded.info["params"]
    chosen = next(
        t for t in loaded.info["trials"] if (t["second"], t["second_types"]) == (params["second"], params["second_types"])
    )
    assert f1 == chosen["validation_block_f1"]
    mean = np.mean(list(f1.values()))
    assert max(np.mean(list(t["validation_block_f1"].values())) for t in loaded.info["trials"]) < mean + MIN_GAIN
    assert loaded.info["features_version"] == FEATURES_VERSION["html"]
    assert any("validation block F1 per source" in line and "trafilatura-eval" in line for line in logged)
    # the loaded pipeline gives the fitted one's scores and page type
    _, _, test_lp = labeled_slice
    blocks = [b.block for b in test_lp[0].blocks]
    assert np.allclose(loaded.scores(blocks), clf.scores(blocks))
    assert loaded.decide(blocks).page_type == clf.decide(blocks).page_type in PAGE_TYPES


@pytest.mark.slow
def test_trained_model_beats_all_text_on_held_out_pages(trained, labeled_slice) -> None:
    _, folder, _, _, _ = trained
    _, _, test_lp = labeled_slice
    assert all(labeled_page.page.split == "test" and labeled_page.page.source == "wcxb" for labeled_page in test_lp)
    clf = load_model("html", folder=folder)
    model, all_text = [], []
    for labeled_page in test_lp:
        labels = [b.label for b in labeled_page.blocks]
        if block_scores(labels, [True] * len(labels)) is None:
            continue
        blocks = [b.block for b in labeled_page.blocks]
        model.append(_block_f1(labels, clf.predict(blocks)))
        all_text.append(_block_f1(labels, [True] * len(blocks)))
    assert len(model) >= 10
    assert np.mean(model) > np.mean(all_text) + 0.05, (np.mean(model), np.mean(all_text))


@pytest.mark.slow
def test_thresholds_are_the_best_on_validation(trained, labeled_slice) -> None:
    """The recorded per-group validation F1 is what the saved model's decisions score (the title left
    out, `TrainPage.scored`, as on the board), and no single threshold has a better mean over the groups."""
    clf, _, _, _, _ = trained
    _, validation_labeled, _ = labeled_slice
    validation = training_data(validation_labeled, "html")
    decided = [clf.decide(p.blocks) for p in validation]
    f1 = {}
    for group, member in VALIDATION_GROUPS.items():
        pages = [(p, d) for p, d in zip(validation, decided) if member(p)]
        kept = [np.array(d.kept, dtype=float) for _, d in pages]
        f1[group] = round(mean_page_f1([p.scored for p, _ in pages], kept, 0.5), 4) if pages else 0.0
    assert f1 == clf.info["validation_block_f1"]
    groups = {g: [p for p in validation if m(p)] for g, m in VALIDATION_GROUPS.items()}
    for t in THRESHOLDS:
        single = np.mean(
            [mean_page_f1([p.scored for p in ps], [clf.scores(p.blocks) for p in ps], t) if ps else 0.0 for ps in groups.values()]
        )
        assert single <= np.mean(list(f1.values())) + 1e-9, t


@pytest.mark.slow
def test_leave_one_source_out(trained, labeled_slice) -> None:
    """`train` says how the first stage does on a source it never saw: refitted without the source,
    nothing of that source reaches its figure (turning the source's train labels upside down leaves
    it as it was, and changes the figure of the model fitted on every source)."""
    clf, _, _, train_pages, logged = trained
    rows = {r["held_out"]: r for r in clf.info["source_holdout"]}
    assert set(rows) == {"wcxb", "trafilatura-eval"}
    assert any("leave one source out" in line and "| wcxb |" in line for line in logged)
    _, validation_labeled, _ = labeled_slice
    validation = training_data(validation_labeled, "html")
    for held, row in rows.items():
        assert row["pages"] == sum(p.source == held for p in validation)
        assert 0.0 < row["without"] <= 1.0 and 0.0 < row["with"] <= 1.0
    flipped = [
        TrainPage(p.blocks, np.where(p.labels >= 0, 1 - p.labels, p.labels), p.source, p.page_type, p.site)
        if p.source == "wcxb"
        else p
        for p in train_pages
    ]
    again = fit_and_select(flipped, validation, "html", grid=(None,), log=lambda _: None, first=TINY_FIRST)
    rows_again = {r["held_out"]: r for r in again.info["source_holdout"]}
    assert rows_again["wcxb"]["without"] == rows["wcxb"]["without"]
    assert rows_again["wcxb"]["with"] < rows["wcxb"]["with"]  # fitted on wcxb's labels upside down


# --- the category model -------------------------------------------------------------------------

TINY_CATEGORIES = {"max_iter": 20}


@pytest.fixture(scope="module")
def trained_categories(trained, labeled_slice):
    """A category model fitted on the slice's train pages beside the slice's classifier."""
    clf, _, _, train_pages, _ = trained
    _, validation_labeled, _ = labeled_slice
    validation = training_data(validation_labeled, "html")
    logged: list[str] = []
    return fit_categories(train_pages, validation, clf, TINY_CATEGORIES, log=logged.append), clf, validation, logged


@pytest.mark.slow
def test_category_training_data(labeled_slice) -> None:
    """Each block's group is its labeled category's, None where the label is (never trained on);
    a text page's lines take their block's."""
    train_labeled, _, _ = labeled_slice
    for page, lines, labeled_page in zip(
        training_data(train_labeled, "html"), training_data(train_labeled, "text"), train_labeled
    ):
        assert page.groups == tuple(None if b.label is None else GROUP_OF[b.category] for b in labeled_page.blocks)
        assert lines.groups == tuple(page.groups[o] for o in as_lines(page.blocks)[1])
    assert {g for p in training_data(train_labeled, "html") for g in p.groups} >= {None, "content", "navigation/header/footer"}


def test_category_sample_keeps_each_pages_and_groups_weight() -> None:
    """At most `cap` rows of one group on one page, never an unlabeled one; every page weighs the
    same, and within a page each group keeps its share (balance 0), or every group weighs the
    same in all (balance 1)."""
    page = np.repeat([0, 1, 2], [300, 40, 10])
    groups = np.array(
        ["navigation/header/footer"] * 250 + ["content"] * 50 + ["content"] * 30 + [""] * 10 + ["comments"] * 10, dtype=object
    )
    rows, w = category_sample(page, groups, cap=20, balance=0.0)
    assert np.all(groups[rows] != "") and len(set(rows)) == len(rows)
    assert [
        int(np.sum((page[rows] == p) & (groups[rows] == g)))
        for p, g in [(0, "navigation/header/footer"), (0, "content"), (1, "content"), (2, "comments")]
    ] == [20, 20, 20, 10]
    per_page = [w[page[rows] == p].sum() for p in (0, 1, 2)]
    assert np.allclose(per_page, per_page[0]) and np.isclose(w.mean(), 1.0)
    nav = w[(page[rows] == 0) & (groups[rows] == "navigation/header/footer")].sum()
    assert np.isclose(nav / per_page[0], 250 / 300)  # the group's share of its page, though capped
    rows, w = category_sample(page, groups, cap=20, balance=1.0)
    totals = [w[groups[rows] == g].sum() for g in ("navigation/header/footer", "content", "comments")]
    assert np.allclose(totals, totals[0])
    again = category_sample(page, groups, cap=20, balance=1.0)
    assert np.array_equal(again[0], rows) and np.array_equal(again[1], w)  # seeded


@pytest.mark.slow
def test_category_model_validation_lands_in_its_record(trained_categories, tmp_path: Path) -> None:
    """The record's per-group validation figures are the model's own on the validation pages'
    labeled blocks (recomputed here from its predictions on the rows its classifier reads), and
    printed; saved and loaded, it predicts the same groups."""
    cats, clf, validation, logged = trained_categories
    truth, predicted = [], []
    for p in validation:
        got = cats.groups(clf.decide(p.blocks).rows)
        truth += [g for g in p.groups if g is not None]
        predicted += [got[i] for i, g in enumerate(p.groups) if g is not None]
    assert cats.info["validation"] == group_scores(truth, predicted)
    assert set(cats.info["validation"]["groups"]) == set(CATEGORY_GROUP_NAMES)
    assert cats.info["validation"]["accuracy"] > 0.5
    assert cats.info["params"] == TINY_CATEGORIES and cats.info["validation_pages"] == len(validation) == N_VALIDATION
    assert any("| comments |" in line and "accuracy" in line for line in logged)
    # the overrule thresholds: per group, in order, the best mean F1 over the validation groups
    # among the thresholds that lose on none against not overruling (ties: the higher), given the
    # groups chosen before; its F1 that of the decisions it makes
    thresholds, trials = cats.info["overrule_thresholds"], cats.info["overrule_trials"]
    assert list(trials) == list(OVERRULED_GROUPS) and set(thresholds) <= set(OVERRULED_GROUPS)

    def mean(r: dict[str, Any]) -> float:
        return round(float(np.mean(list(r["f1"].values()))), 4)

    decisions = [clf.decide(p.blocks) for p in validation]
    before: dict[str, float] = {}
    for group, rows_of in trials.items():
        assert [r["threshold"] for r in rows_of] == list(OVERRULE_THRESHOLDS)
        chosen = next(r for r in rows_of if r["threshold"] == thresholds.get(group))
        allowed = [r for r in rows_of if all(r["f1"][g] >= rows_of[0]["f1"][g] for g in r["f1"])]
        assert chosen in allowed and all(mean(r) <= mean(chosen) for r in allowed)
        assert all((r["threshold"] or 1.0) <= (chosen["threshold"] or 1.0) for r in allowed if mean(r) == mean(chosen))
        if group in thresholds:
            before[group] = thresholds[group]
        kept = [cats.overrule(d.rows, d.kept, d.page_type, before) for d in decisions]
        f1 = kept_f1s([p.scored for p in validation], kept)
        for name, f in chosen["f1"].items():
            pages = [i for i, p in enumerate(validation) if VALIDATION_GROUPS[name](p) and not np.isnan(f1[i])]
            assert round(float(np.mean(f1[pages])), 4) == f
    assert any(line.startswith("[html] overrule threshold of comments") for line in logged)
    path = cats.save(tmp_path)
    assert path == category_model_path("html", tmp_path)
    assert json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))["validation"] == cats.info["validation"]
    rows = clf.decide(validation[0].blocks).rows
    loaded = load_category_model("html", folder=tmp_path)
    assert loaded.groups(rows) == cats.groups(rows) and loaded.overrule_thresholds == thresholds


@pytest.mark.slow
def test_train_only_categories_leaves_the_classifier(tmp_path: Path) -> None:
    """`train --only categories`: the category model is fitted beside the classifier saved in the
    folder, whose files are left as they were, and reads that classifier's rows."""
    from dataclasses import replace

    from boilerbench.benchmark.corpora.store import write_corpus

    bundled = Corpus.open()
    pages = bundled.select(split="train", source="wcxb")[:12] + bundled.select(split="validation", source="wcxb")[:4]
    write_corpus(tmp_path / "corpus", [(replace(p, archive=""), bundled.read(p), bundled.gold[p.page_id]) for p in pages])
    folder = tmp_path / "models"
    folder.mkdir()
    _copy_shipped("html", folder)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    logged: list[str] = []
    [cats] = train_models(
        Corpus.open(tmp_path / "corpus"), page_formats=["html"], folder=folder, log=logged.append, parts=("categories",)
    )
    assert isinstance(cats, CategoryModel)
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [*before, "boilerbench-html-categories.json", "boilerbench-html-categories.skops"]
    )
    assert all((folder / name).read_bytes() == data for name, data in before.items())
    loaded = load_category_model("html", folder=folder)
    assert loaded.info["train_pages"] == 12 and loaded.info["validation_pages"] == 4
    blocks = segment_html(bundled.read(pages[-1]))
    assert loaded.groups(load_model("html", folder=folder).decide(blocks).rows) == cats.groups(
        shipped("html").decide(blocks).rows
    )
