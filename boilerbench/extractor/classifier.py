"""The boilerbench block classifier: featurizer + page-type model + two-stage gradient boosting,
a scikit-learn `Pipeline`.

Two models, trained by `python -m boilerbench train` on the train split (WCXB train and
trafilatura-eval's train part, whose snippet labels decide only some blocks: the undecided ones are
never trained on) and tuned on validation only (the second stage and the decision thresholds; the
test split is never read):

* `html` — every feature of `features.FEATURE_NAMES`, for HTML pages;
* `text` — only line features (`features.LINE_FEATURES`), for plain-text pages such as a crawl's
  text dump: trained on the train pages rendered as lines, one line per block.

Page types: a comment thread under an article is boilerplate, the posts of a forum page are its
content, so the page's type decides. The featurizer holds a small multinomial logistic model of
WCXB's page types (`PAGE_TYPES`) over a page summary (the mean and word-weighted mean of its block
features); its probabilities are the last columns of every block's row (`PAGE_TYPE_NAMES`), and a
page predicted an article may get its own decision threshold (where validation says so). On train
pages they are out of fold (by site), so the block model learns how far to trust them on unseen
sites.

Each model is a `ContextStack`: a first gradient-boosting model scores every block from its own
features; a second one, when validation says it pays for its cost, decides from those scores in
surroundings (`features.surrounding_features`: the neighbours', container's and page's scores) plus the
block's own dense features, on every page or only on the pages predicted articles (`SECOND_ROUTES`:
the page type routes the page). The second model is fitted on out-of-fold first-stage scores (folds
by site). Every train page weighs the same in both fits: the metric is a mean over pages.

Validation is per source and per page type (`VALIDATION_GROUPS`: WCXB, trafilatura-eval's news
pages, WCXB's article pages); a choice is taken only when it loses on none of them.

On the page types validation chose (`BlockClassifier.item_lists`, in the model's record), the
decisions keep whole repeated items (`items.ItemLists`): on a collection page the classifier keeps a
card's title and drops its price and summary, which read like a menu's links.

Beside the HTML classifier, a category model (`CategoryModel`, `boilerbench-html-categories`) says
what every block is: its group of `types.CATEGORY_GROUPS` (content, comments, related/teaser,
navigation/header/footer, media/caption, metadata/byline, other), predicted from the same rows the
classifier reads. It decides about keeping a block in two cases only: it drops the kept blocks it
calls comments on pages that are not forums, and bylines on articles (`CategoryModel.overrule`,
`types.OVERRULED_GROUPS`, the thresholds chosen on validation by `train`), and it keeps a group a
caller asks for (`extract(..., keep=("comments",))`).
Text pages have none (`types.CATEGORY_MODEL_FORMATS`: their groups are the rule-based categorizer's).

Models are saved with skops and loaded with an explicit list of trusted types (never pickle).
"""

from __future__ import annotations

import hashlib
import json
import os
import weakref
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import skops.io as sio
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin, clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from ..core.types import (
    CATEGORY_GROUP_NAMES,
    CATEGORY_MODEL_FORMATS,
    OVERRULED_GROUPS,
    PAGE_FORMATS,
    PAGE_TYPES,
    Block,
    check_choice,
)
from .compiled import LOOPS
from .features import (
    FEATURE_NAMES,
    FEATURES_VERSION,
    LINE_FEATURES,
    LINE_SURROUNDING_NAMES,
    SURROUNDING_NAMES,
    columns,
    page_features,
    structure_keys,
    surrounding_features,
)
from .items import ItemLists

MODEL_DIR = Path(__file__).resolve().parent / "models"
SEED = 0
# Leading featurizer columns that are not features: which page a row belongs to, and the
# page-local grouping keys of `features.structure_keys` (the second stage groups blocks by them).
KEY_NAMES = ("page", "parent_id", "grandparent_id", "context_id", "words")
N_KEYS = len(KEY_NAMES)
# The second stage sees the block's own dense features, not the hashed DOM tokens and ancestor
# cues: those already spoke through the first stage's score.
_SPARSE_PREFIXES = ("anc_", "near_tok_")


PAGE_TYPE_NAMES = [f"type_{t}" for t in PAGE_TYPES]
ARTICLE_INDEX = PAGE_TYPES.index("article")
# Regularisation of the page-type model (chosen on WCXB validation's page types).
PAGE_TYPE_C = 0.01


def feature_names(page_format: str) -> list[str]:
    """The model's feature columns: the block features, then the page-type probabilities."""
    return list(LINE_FEATURES if page_format == "text" else FEATURE_NAMES) + PAGE_TYPE_NAMES


def page_summary(F: np.ndarray) -> np.ndarray:
    """A page as one vector for the page-type model: the mean of its block features and their mean
    weighted by words (column 0 is log words); zeros for a page without blocks."""
    if len(F) == 0:
        return np.zeros(2 * F.shape[1])
    F = F.astype(np.float64)
    w = np.expm1(F[:, 0]) + 1.0
    return np.concatenate([F.mean(axis=0), w @ F / w.sum()])


def _fit_page_types(summaries: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A multinomial logistic model of page types (`PAGE_TYPES` indices `y`) over standardised
    summaries, as plain arrays: centre, scale, and a coefficient row and intercept per type (a
    type without train pages gets a probability of 0)."""

    scaler = StandardScaler().fit(summaries)
    coef = np.zeros((len(PAGE_TYPES), summaries.shape[1]))
    intercept = np.full(len(PAGE_TYPES), -np.inf)
    present = np.unique(y)
    if len(present) == 1:
        intercept[present[0]] = 0.0
    else:
        model = LogisticRegression(C=PAGE_TYPE_C, max_iter=3000).fit(scaler.transform(summaries), y)
        if len(model.classes_) == 2:  # one row for the second class against the first
            coef[model.classes_[1]], intercept[model.classes_] = model.coef_[0], (0.0, model.intercept_[0])
        else:
            coef[model.classes_], intercept[model.classes_] = model.coef_, model.intercept_
    return scaler.mean_, scaler.scale_, coef, intercept


def _page_type_probs(params: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], summaries: np.ndarray) -> np.ndarray:
    """The fitted logistic model as numpy arithmetic (a scikit-learn call per page costs more)."""
    center, scale, coef, intercept = params
    z = ((summaries - center) / scale) @ coef.T + intercept
    z = np.exp(z - z.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


class BlockFeaturizer(TransformerMixin, BaseEstimator):
    """Pages (lists of blocks) → one row per block, pages concatenated in order: `KEY_NAMES`
    columns, then `feature_names` (the block features, then the page-type probabilities of the
    fitted page-type model: `fit_page_types`)."""

    def __init__(self, page_format: str = "html"):
        self.page_format = page_format

    def _names(self) -> list[str]:
        return feature_names(self.page_format)

    def fit(self, X: Sequence[Sequence[Block]], y: Any = None) -> BlockFeaturizer:
        self.n_features_out_ = N_KEYS + len(self._names())
        return self

    def block_features(self, blocks: Sequence[Block]) -> tuple[np.ndarray, np.ndarray]:
        """A page's `structure_keys` and block features (without the page-type columns)."""
        cols = columns(blocks)
        keys = structure_keys(blocks, self.page_format, cols)
        return keys, page_features(blocks, self.page_format, cols)

    def fit_page_types(
        self, summaries: np.ndarray, types: Sequence[str | None], groups: Sequence[str], folds: int = 5
    ) -> np.ndarray:
        """Fit the page-type model on the pages whose type is known (`page_summary` rows); return
        the page-type probabilities of every page, out of fold (folds by `groups`, the pages'
        sites) for the pages it was fitted on."""
        known = np.array([t in PAGE_TYPES for t in types], dtype=bool)
        if not known.any():
            raise ValueError("the page-type model needs train pages with a page type")
        y = np.array([PAGE_TYPES.index(t) if t in PAGE_TYPES else -1 for t in types])
        self.type_center_, self.type_scale_, self.type_coef_, self.type_intercept_ = _fit_page_types(summaries[known], y[known])
        probs = self.page_type_probs(summaries)
        names, codes = np.unique(np.asarray(groups, dtype=object), return_inverse=True)
        fold = (np.random.RandomState(SEED).permutation(len(names)) % folds)[codes]
        for k in range(folds):
            held, rest = known & (fold == k), known & (fold != k)
            if held.any() and rest.any():
                probs[held] = _page_type_probs(_fit_page_types(summaries[rest], y[rest]), summaries[held])
        return probs

    def page_type_probs(self, summaries: np.ndarray) -> np.ndarray:
        """Page-type probabilities (`PAGE_TYPES` order) of page summaries, one row per page."""
        return _page_type_probs((self.type_center_, self.type_scale_, self.type_coef_, self.type_intercept_), summaries)

    def rows(self, blocks: Sequence[Block]) -> tuple[np.ndarray, np.ndarray]:
        """A page's `structure_keys`, and its feature rows (float32, `feature_names` columns)."""
        keys, F = self.block_features(blocks)
        return keys, self.with_page_types(F, self.page_type_probs(page_summary(F)[None, :])[0])

    @staticmethod
    def with_page_types(F: np.ndarray, probs: np.ndarray) -> np.ndarray:
        out = np.empty((len(F), F.shape[1] + len(PAGE_TYPES)), dtype=np.float32)
        out[:, : F.shape[1]] = F
        out[:, F.shape[1] :] = probs
        return out

    def transform(self, X: Sequence[Sequence[Block]]) -> np.ndarray:
        mats = []
        for i, blocks in enumerate(X):
            keys, F = self.rows(blocks)
            mats.append(np.hstack([np.full((len(blocks), 1), i), keys, F]))
        if not mats:
            return np.zeros((0, N_KEYS + len(self._names())), dtype=np.float64)
        return np.concatenate(mats, axis=0)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.array(list(KEY_NAMES) + self._names(), dtype=object)


def hist_gradient_boosting(**params: Any) -> HistGradientBoostingClassifier:
    return HistGradientBoostingClassifier(random_state=SEED, early_stopping=False, **params)


class ContextStack(ClassifierMixin, BaseEstimator):
    """Two stages of gradient boosting over `BlockFeaturizer` rows (see the module docstring)."""

    def __init__(
        self,
        first: Any = None,
        second: Any = None,
        page_format: str = "html",
        folds: int = 2,
        second_types: tuple[str, ...] | None = None,
    ):
        self.first = first
        self.second = second
        self.page_format = page_format
        self.folds = folds
        self.second_types = second_types

    def second_applies(self, page_type: str | None) -> bool:
        """Whether the fitted second stage decides a page of this predicted type (`second_types`:
        the types it is routed to, None for every page); the first stage decides the others."""
        return self.second_ is not None and (self.second_types is None or page_type in self.second_types)

    def _routed(self, F: np.ndarray) -> np.ndarray:
        """Rows whose page the second stage decides, by the page type predicted in their last columns."""
        if self.second_types is None:
            return np.ones(len(F), dtype=bool)
        codes = [PAGE_TYPES.index(t) for t in self.second_types]
        return np.isin(F[:, -len(PAGE_TYPES) :].argmax(axis=1), codes)

    def _parts(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return X[:, 0], X[:, 1:N_KEYS], X[:, N_KEYS:].astype(np.float32)

    def _dense(self) -> np.ndarray:
        return _dense_columns(self.page_format)

    def second_inputs(self, X: np.ndarray, first_scores: np.ndarray) -> np.ndarray:
        page, keys, F = self._parts(X)
        return self.second_inputs_of(page, keys, F, first_scores)

    def second_inputs_of(self, page: np.ndarray, keys: np.ndarray, F: np.ndarray, first_scores: np.ndarray) -> np.ndarray:
        """`second_inputs` of rows given in parts (`_parts`): what `BlockClassifier.decide` has of a page."""
        return np.hstack([surrounding_features(first_scores, page, keys, self.page_format), F[:, self._dense()]])

    def second_input_names(self) -> list[str]:
        names = feature_names(self.page_format)
        around = LINE_SURROUNDING_NAMES if self.page_format == "text" else SURROUNDING_NAMES
        return [f"surrounding_{n}" for n in around] + [names[i] for i in self._dense()]

    def fit_first(self, X: np.ndarray, y: np.ndarray, groups: np.ndarray | None = None) -> np.ndarray:
        """Fit the first stage on the labeled rows (`y`: 1 content, 0 boilerplate, -1 undecided);
        return its out-of-fold scores of every row (folds by `groups`, one group per row, e.g. the
        page's site; by page when None)."""
        page, _, F = self._parts(X)
        labeled = _labeled(y)
        w = np.zeros(len(y))
        w[labeled] = page_weights(page[labeled])
        groups = page if groups is None else np.asarray(groups)
        names, codes = np.unique(groups, return_inverse=True)
        fold_of_group = np.random.RandomState(SEED).permutation(len(names)) % self.folds
        fold = fold_of_group[codes]
        out_of_fold = np.zeros(len(y))
        for k in range(self.folds):
            held = fold == k
            fit_rows = ~held & labeled
            if held.any() and fit_rows.any():
                model = clone(self.first).fit(F[fit_rows], y[fit_rows] > 0, sample_weight=w[fit_rows])
                out_of_fold[held] = model.predict_proba(F[held])[:, 1]
        self.first_ = clone(self.first).fit(F[labeled], y[labeled] > 0, sample_weight=w[labeled])
        self.second_ = None
        self.classes_ = self.first_.classes_
        self.n_features_in_ = X.shape[1]
        return out_of_fold

    def fit_second(self, X: np.ndarray, y: np.ndarray, out_of_fold: np.ndarray) -> ContextStack:
        """Fit `second` on the first stage's out-of-fold scores (`second` None: no second stage,
        the first decides alone)."""
        if self.second is None:
            self.second_ = None
        else:
            labeled = _labeled(y)
            inputs = self.second_inputs(X, out_of_fold)[labeled]
            self.second_ = clone(self.second).fit(inputs, y[labeled] > 0, sample_weight=page_weights(X[labeled, 0]))
        return self

    def fit(self, X: np.ndarray, y: np.ndarray, groups: np.ndarray | None = None) -> ContextStack:
        return self.fit_second(X, y, self.fit_first(X, y, groups))

    def predict_proba(self, X: np.ndarray, first: np.ndarray | None = None) -> np.ndarray:
        """Class probabilities of X's rows; `first`: the first stage's, when already computed
        (`fit_and_select` computes them once for all its second-stage trials)."""
        if len(X) == 0:
            return np.zeros((0, 2))
        _, _, F = self._parts(X)
        if first is None:
            first = _predict_proba(self.first_, F)
        if self.second_ is None:
            return first
        routed = self._routed(F)
        if routed.all():
            return _predict_proba(self.second_, self.second_inputs(X, first[:, 1]))
        out = first.copy()
        if routed.any():  # whole pages: a page's rows share its page-type columns
            out[routed] = _predict_proba(self.second_, self.second_inputs(X[routed], first[routed, 1]))
        return out

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.classes_[(self.predict_proba(X)[:, 1] >= 0.5).astype(int)]


@lru_cache(maxsize=2)
def _dense_columns(page_format: str) -> np.ndarray:
    """The columns of `feature_names(page_format)` the second stage reads (all but `_SPARSE_PREFIXES`),
    worked out once per page_format (a page's second stage would otherwise spend longer on the names)."""
    names = feature_names(page_format)
    return np.array([i for i, n in enumerate(names) if not n.startswith(_SPARSE_PREFIXES)])


# Compiled forests by fitted model. A fit never changes a model in place here (`clone(...).fit`),
# so a model's forest stays valid for as long as the model lives.
_FORESTS: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()


def _predict_proba(model: HistGradientBoostingClassifier, X: np.ndarray) -> np.ndarray:
    """`model.predict_proba(X)` (float32 rows), through the compiled forest when it is in use:
    the same numbers from one C loop, without scikit-learn's per-tree call. (Outside the
    scikit-learn releases it is tested with, `Forest` raises, naming them: `compiled.SKLEARN_TESTED`.)"""
    if (compiled_forest := LOOPS.active.Forest) is None:
        return model.predict_proba(X)
    forest: Any = _FORESTS.get(model)
    if forest is None:
        try:
            forest = compiled_forest(model)
        except ValueError:  # a model the compiled loop does not cover (multi-class, categorical)
            forest = False
        _FORESTS[model] = forest
    if forest is False:
        return model.predict_proba(X)
    return model._loss.predict_proba(forest.raw(X))


def _labeled(y: np.ndarray) -> np.ndarray:
    """Rows with a label: snippet-labeled pages leave most blocks undecided (-1)."""
    return np.asarray(y) >= 0


def page_weights(page: np.ndarray) -> np.ndarray:
    """Sample weights that give every page the same total weight (mean 1): the metric is a mean
    over pages, and a forum thread of 3,000 blocks should not outweigh a hundred articles."""
    _, codes, counts = np.unique(page, return_inverse=True, return_counts=True)
    w = 1.0 / counts[codes]
    return w * (len(w) / w.sum()) if len(w) else w


@dataclass(frozen=True)
class PageDecision:
    """One page through a `BlockClassifier`: content probability and decision per block, the
    page's predicted type (None for a page without blocks), and the feature rows the decision was
    read from (what the `CategoryModel` of the same page format reads too, so they are computed once)."""

    scores: np.ndarray
    kept: list[bool]
    page_type: str | None
    rows: np.ndarray | None = field(default=None, compare=False, repr=False)


@dataclass
class BlockClassifier:
    """A fitted pipeline with its decision thresholds and the record of how they were chosen:
    `threshold` for every page, except pages predicted of a type in `type_thresholds`; then, on the
    page types `item_lists` names, whole repeated items kept (`items.ItemLists`). The decisions
    live in the record (`DECISION_KEYS`), not in the fitted pipeline."""

    pipeline: Pipeline
    threshold: float
    page_format: str
    info: dict[str, Any]
    type_thresholds: dict[str, float] = field(default_factory=dict)
    item_lists: ItemLists | None = None  # keeps whole repeated items on the page types it names (`items`)

    def decide(self, blocks: Sequence[Block]) -> PageDecision:
        """Scores, decisions and page type of one page: `pipeline.predict_proba`, its two steps
        called directly (the Pipeline's own dispatch is overhead on every page). Both stages get
        the page's rows in parts, as the featurizer made them, without the float64 round trip of
        `transform`'s rows (the same values)."""
        if not blocks:
            return PageDecision(np.zeros(0), [], None)
        (_, featurizer), (_, model) = self.pipeline.steps
        keys, F = featurizer.rows(blocks)
        page_type = PAGE_TYPES[int(np.argmax(F[0, -len(PAGE_TYPES) :]))]
        scores = _predict_proba(model.first_, F)[:, 1]
        if model.second_applies(page_type):  # the whole page is routed: no per-row routing to do
            second = model.second_inputs_of(np.zeros(len(blocks)), keys, F, scores)
            scores = _predict_proba(model.second_, second)[:, 1]
        threshold = self.type_thresholds.get(page_type, self.threshold)
        kept = (scores >= threshold).tolist()
        if self.item_lists is not None:
            kept = self.item_lists.apply(blocks, kept, page_type)
        return PageDecision(scores, kept, page_type, F)

    def scores(self, blocks: Sequence[Block]) -> np.ndarray:
        """Content probability of each block."""
        return self.decide(blocks).scores

    def predict(self, blocks: Sequence[Block]) -> list[bool]:
        return self.decide(blocks).kept

    def save(self, folder: Path = MODEL_DIR) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = model_path(self.page_format, folder)
        sio.dump(self.pipeline, path)
        self.save_record(folder)
        return path

    def save_record(self, folder: Path = MODEL_DIR) -> Path:
        """Write the model's JSON record (its decisions and how they were chosen) beside its fitted
        file, which is left as it is: what `train --only decisions` rewrites."""
        path = model_path(self.page_format, folder).with_suffix(".json")
        decides = {
            "threshold": self.threshold,
            "type_thresholds": self.type_thresholds,
            "item_lists": None if self.item_lists is None else self.item_lists.to_json(),
            "page_format": self.page_format,
            "features_version": FEATURES_VERSION[self.page_format],
        }
        meta = {**decides, **self.info, **decides}  # a loaded model's record holds the values it was loaded with
        path.write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
        return path


# The only types a model file may hold beyond skops' own safe defaults: anything else is refused
# (a prefix like "builtins." would admit `exec`).
TRUSTED_TYPES = (
    "boilerbench.extractor.classifier.BlockFeaturizer",
    "boilerbench.extractor.classifier.ContextStack",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
)


def model_path(page_format: str, folder: Path = MODEL_DIR) -> Path:
    """Where the model of `page_format` is saved (its metadata beside it, `.json`)."""
    return folder / f"boilerbench-{page_format}.skops"


def load_model(page_format: str = "html", folder: Path = MODEL_DIR) -> BlockClassifier:
    """Load a saved model with skops, trusting only the explicit `TRUSTED_TYPES` (never pickle)."""
    check_choice("page_format", page_format, PAGE_FORMATS)
    path = model_path(page_format, folder)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no trained model; run `python -m boilerbench train`")
    pipeline, meta = _load_skops(path, page_format)
    types = {t: float(v) for t, v in meta.get("type_thresholds", {}).items()}
    items = ItemLists.from_json(meta["item_lists"]) if meta.get("item_lists") else None
    return BlockClassifier(pipeline, float(meta["threshold"]), page_format, meta, types, items)


def _load_skops(path: Path, page_format: str) -> tuple[Any, dict[str, Any]]:
    """A saved model of `page_format` and its JSON record: skops audits the file's types against its safe
    defaults and `TRUSTED_TYPES` and refuses others; a record of other features is refused too."""
    try:
        model = sio.load(path, trusted=list(TRUSTED_TYPES))
    except sio.exceptions.UntrustedTypesFoundException as e:
        refused = [t for t in sio.get_untrusted_types(file=path) if t not in TRUSTED_TYPES]
        raise ValueError(f"{path}: refusing to load untrusted types {refused}") from e
    meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    if meta.get("features_version") != FEATURES_VERSION[page_format]:
        raise ValueError(
            f"{path}: trained with {page_format} features v{meta.get('features_version')}, code has v{FEATURES_VERSION[page_format]}; "
            "run `python -m boilerbench train`"
        )
    return model, meta


@lru_cache(maxsize=2)
def shipped(page_format: str = "html") -> BlockClassifier:
    return load_model(page_format)


# What a model's JSON record holds that changes its decisions (`load_model` reads them); the rest
# (parameters tried, validation scores, the dataset revision) describes how it was chosen.
DECISION_KEYS = ("page_format", "features_version", "threshold", "type_thresholds", "item_lists", "groups", "overrule_thresholds")


def _hashed_models(folder: Path) -> list[Path]:
    """The model files `model_hash` reads: each page format's classifier, then the category models."""
    return [model_path(page_format, folder) for page_format in PAGE_FORMATS] + [
        category_model_path(page_format, folder) for page_format in CATEGORY_MODEL_FORMATS
    ]


def model_hash(folder: Path = MODEL_DIR) -> str:
    """Short hash of what the saved models' decisions depend on: each page format's fitted pipeline
    and the category models (see `fitted_state`) and their `DECISION_KEYS` (absent models hash as
    such). Saving the same fitted models again gives the same hash, however the files' bytes differ,
    so a retraining to the same models keeps every cached output."""
    files = [p for path in _hashed_models(folder) for p in (path, path.with_suffix(".json"))]
    stamps = tuple((str(p), s.st_size, s.st_mtime_ns) for p in files if (s := _stat(p)) is not None)
    return _model_hash(folder, stamps)


def _stat(path: Path) -> os.stat_result | None:
    try:
        return path.stat()
    except FileNotFoundError:
        return None


@lru_cache(maxsize=8)
def _model_hash(folder: Path, stamps: tuple[tuple[str, int, int], ...]) -> str:
    """`model_hash`, computed once per state of the files (`stamps`: reading a skops file's schema takes ~0.25 s)."""
    h = hashlib.sha256()
    for path in _hashed_models(folder):
        h.update(path.name.encode())
        if not path.is_file():
            h.update(b"absent")
            continue
        record = path.with_suffix(".json")
        try:
            meta = json.loads(record.read_text(encoding="utf-8"))
        except ValueError as e:
            raise ValueError(f"{record}: not JSON ({e})") from e
        h.update(json.dumps({k: meta.get(k) for k in DECISION_KEYS}, sort_keys=True).encode())
        h.update(fitted_state(path))
    return h.hexdigest()[:8]


def fitted_state(path: Path) -> bytes:
    """A skops file's content without what each save writes anew: its schema (every object's type
    and state) with object ids dropped and each array file, named after an object id, replaced by
    the hash of its bytes, and without the skops version that wrote it; zip entry times are not read."""
    try:
        with zipfile.ZipFile(path) as z:

            def canonical(node: Any) -> Any:
                if isinstance(node, list):
                    return [canonical(v) for v in node]
                if not isinstance(node, dict):
                    return node
                return {
                    k: hashlib.sha256(z.read(v)).hexdigest() if k == "file" and isinstance(v, str) else canonical(v)
                    for k, v in node.items()
                    if k not in ("__id__", "_skops_version")
                }

            return json.dumps(canonical(json.loads(z.read("schema.json"))), sort_keys=True).encode()
    except (zipfile.BadZipFile, KeyError, ValueError) as e:  # KeyError: a member the schema names is missing
        raise ValueError(f"{path}: not a readable skops file ({type(e).__name__}: {e}); run `python -m boilerbench train`") from e


# --- the category model -----------------------------------------------------------------------


@dataclass
class CategoryModel:
    """What each block is: its category group (`types.CATEGORY_GROUP_NAMES`), from the feature rows
    the `BlockClassifier` of the same page format reads (`PageDecision.rows`, computed once for both).
    A multinomial gradient-boosting model trained beside that classifier (`python -m boilerbench
    train`); whether a block is kept is the classifier's decision, but for the blocks this model
    overrules (`overrule`) and the groups a caller asks to keep (`extract(..., keep=...)`)."""

    model: HistGradientBoostingClassifier
    page_format: str
    info: dict[str, Any]

    def groups(self, rows: np.ndarray | None, page_type: str | None = None) -> list[str]:
        """The group of each row (a page's `PageDecision.rows`; None: no blocks): the most probable
        (the largest raw score, `raw`), except where `overrule` would drop it on a page of
        `page_type`: there, the group it is dropped for (`overruling`). So a block dropped as a
        comment is called one, and `keep=("comments",)` brings back what the overrule dropped."""
        return self.decide(rows, [], page_type)[1]

    def decide(self, rows: np.ndarray | None, kept: Sequence[bool], page_type: str | None) -> tuple[list[bool], list[str]]:
        """`overrule` of the classifier's decisions `kept` with this model's thresholds, and
        `groups`, from one pass of raw scores over every row: for a caller that needs both (one
        that keeps groups), which `overrule` alone would make score its kept rows twice."""
        if rows is None or len(rows) == 0:
            return list(kept), []
        raw = self.raw(rows)
        over = self.overruling(raw, page_type, self.overrule_thresholds)
        out = [str(g) for g in self.model.classes_[raw.argmax(axis=1)]]
        for i, group in over.items():
            out[i] = group
        return [k and i not in over for i, k in enumerate(kept)], out

    @property
    def overrule_thresholds(self) -> dict[str, float]:
        """Per group of `types.OVERRULED_GROUPS`, the probability above which a block the classifier
        keeps is dropped (`overrule`), chosen by `train` on validation and kept in the model's record;
        a group without one drops nothing."""
        return {g: float(t) for g, t in (self.info.get("overrule_thresholds") or {}).items()}

    def overruling(self, raw: np.ndarray, page_type: str | None, thresholds: dict[str, float]) -> dict[int, str]:
        """The rows (of raw scores `raw`) a page of `page_type` has in a group of `thresholds` above
        its threshold, where `types.OVERRULED_GROUPS` lets that group overrule: row → group (the
        more probable, where two are). The softmax of the raw scores is the model's `predict_proba`."""
        applies = [g for g in thresholds if page_type in OVERRULED_GROUPS[g]]
        if not applies or len(raw) == 0:
            return {}
        raw = raw.astype(np.float64)
        e = np.exp(raw - raw.max(axis=1, keepdims=True))
        p = e / e.sum(axis=1, keepdims=True)
        classes = list(self.model.classes_)
        cols = [classes.index(g) for g in applies]
        over = p[:, cols] > np.array([thresholds[g] for g in applies])
        where = np.flatnonzero(over.any(axis=1))
        best = np.where(over[where], p[where][:, cols], -1.0).argmax(axis=1)
        return {int(i): applies[int(j)] for i, j in zip(where, best)}

    def overrule(
        self, rows: np.ndarray | None, kept: Sequence[bool], page_type: str | None, thresholds: dict[str, float]
    ) -> list[bool]:
        """The classifier's decisions `kept`, with the kept blocks this model puts in a group of
        `thresholds` above its threshold dropped, on the page types `types.OVERRULED_GROUPS` names
        for that group. The classifier reads each block's own features and its surroundings' scores,
        and a discussion or a byline reads like the article's prose there; this model, fitted on the
        blocks' categories, tells them apart. Only the kept blocks' rows are read."""
        if rows is None or not any(kept) or not any(page_type in OVERRULED_GROUPS[g] for g in thresholds):
            return list(kept)
        where = np.flatnonzero(kept)
        out = list(kept)
        for i in self.overruling(self.raw(rows[where]), page_type, thresholds):
            out[int(where[i])] = False
        return out

    def raw(self, rows: np.ndarray) -> np.ndarray:
        """Raw scores of the rows (float32), a column per group of `model.classes_`: through the
        compiled forest when it is in use, one per group (a multinomial model's trees are one
        binary forest per class), else scikit-learn's sums on one thread. Either way, not one
        scikit-learn call per tree (a page's few hundred rows cost less than the calls) and no
        OpenMP team started per tree."""
        forests = _class_forests(self.model)
        if forests is None:
            return self.model._raw_predict(rows, n_threads=1)
        return np.column_stack([forest.raw(rows) for forest in forests])

    def save(self, folder: Path = MODEL_DIR) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = category_model_path(self.page_format, folder)
        sio.dump(self.model, path)
        self.save_record(folder)
        return path

    def save_record(self, folder: Path = MODEL_DIR) -> Path:
        """Write the model's JSON record beside its fitted file, left as it is (`BlockClassifier.save_record`)."""
        path = category_model_path(self.page_format, folder).with_suffix(".json")
        decides = {
            "page_format": self.page_format,
            "features_version": FEATURES_VERSION[self.page_format],
            "groups": [str(g) for g in self.model.classes_],
        }
        meta = {**decides, **self.info, **decides}  # as `BlockClassifier.save`: the record holds what it was saved with
        path.write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
        return path


@dataclass(frozen=True)
class _ClassTrees:
    """One class's trees of a multinomial `HistGradientBoostingClassifier`, with the attributes the
    compiled `Forest` reads of a binary model."""

    _predictors: list[list[Any]]
    _baseline_prediction: float
    n_features_in_: int
    n_trees_per_iteration_: int = 1
    is_categorical_: None = None


def _class_forests(model: HistGradientBoostingClassifier) -> list[Any] | None:
    """A compiled `Forest` per class of `model`, made once per model; None when the compiled loops
    are not in use."""
    if (compiled_forest := LOOPS.active.Forest) is None:
        return None
    forests = _FORESTS.get(model)
    if forests is None:
        baseline = np.asarray(model._baseline_prediction).ravel()
        forests = [
            compiled_forest(_ClassTrees([[trees[k]] for trees in model._predictors], float(baseline[k]), model.n_features_in_))
            for k in range(model.n_trees_per_iteration_)
        ]
        _FORESTS[model] = forests
    return forests


def category_model_path(page_format: str, folder: Path = MODEL_DIR) -> Path:
    """Where the category model of `page_format` is saved, beside its classifier (its record: `.json`)."""
    return folder / f"boilerbench-{page_format}-categories.skops"


def load_category_model(page_format: str = "html", folder: Path = MODEL_DIR) -> CategoryModel:
    """Load a saved category model as `load_model` loads a classifier (skops, explicit trusted types);
    the page formats with one: `types.CATEGORY_MODEL_FORMATS`."""
    check_choice("page_format", page_format, CATEGORY_MODEL_FORMATS)
    path = category_model_path(page_format, folder)
    if not path.is_file():
        raise FileNotFoundError(
            f"{path}: no trained category model; run `python -m boilerbench train --page-formats {page_format} --only categories`"
        )
    model, meta = _load_skops(path, page_format)
    if not isinstance(model, HistGradientBoostingClassifier):
        raise ValueError(f"{path}: a {type(model).__name__}, not a category model")
    unknown = sorted(set(map(str, model.classes_)) - set(CATEGORY_GROUP_NAMES))
    if unknown:
        raise ValueError(
            f"{path}: predicts groups {unknown} the code does not know (types.CATEGORY_GROUPS); run `python -m boilerbench train`"
        )
    return CategoryModel(model, page_format, meta)


@lru_cache(maxsize=2)
def shipped_categories(page_format: str = "html") -> CategoryModel:
    return load_category_model(page_format)
