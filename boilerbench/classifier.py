"""The boilerbench block classifier: featurizer + two-stage gradient boosting, a scikit-learn `Pipeline`.

Two models, trained by `python -m boilerbench train` on the train split and tuned on validation
only (hyper-parameters and the decision threshold; the test split is never read):

* `html` — every feature of `features.FEATURE_NAMES`, for HTML pages;
* `text` — only line features (`features.LINE_FEATURES`), for plain-text pages such as a crawl's
  text dump: trained on the train pages rendered as lines, one line per block.

Each is a `ContextStack`: a first gradient-boosting model scores every block from its own features;
a second one, when validation says it pays for its cost, decides from those scores in context
(`features.context_features`: the neighbours', container's and page's scores) plus the block's own
dense features. The second model is fitted on out-of-fold first-stage scores (folds by site), so it
learns how far to trust them on unseen sites. Every train page weighs the same in both fits: the
metric is a mean over pages. (Shipped: html decides with the first stage alone; text uses both.)

Models are saved with skops and loaded with an explicit list of trusted types (never pickle).
"""

from __future__ import annotations

import json
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin, clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import Pipeline

from .features import (
    CONTEXT_NAMES,
    FEATURE_NAMES,
    FEATURES_VERSION,
    LINE_CONTEXT_NAMES,
    LINE_FEATURES,
    columns,
    context_features,
    page_features,
    structure_keys,
)
from .types import Block

try:  # the compiled forest (optional: see setup.py)
    from . import _speedups
except ImportError:  # pragma: no cover - a build without a C compiler
    _speedups = None

MODEL_DIR = Path(__file__).resolve().parent / "models"
SEED = 0
MODES = ("html", "text")
# Leading featurizer columns that are not features: which page a row belongs to, and the
# page-local grouping keys of `features.structure_keys` (the second stage groups blocks by them).
KEY_NAMES = ("page", "parent_id", "grandparent_id", "context_id", "words")
N_KEYS = len(KEY_NAMES)
# The second stage sees the block's own dense features, not the hashed DOM tokens and ancestor
# cues: those already spoke through the first stage's score.
_SPARSE_PREFIXES = ("anc_", "near_tok_")


class BlockFeaturizer(TransformerMixin, BaseEstimator):
    """Pages (lists of blocks) → one row per block, pages concatenated in order: `KEY_NAMES`
    columns, then the features."""

    def __init__(self, text_only: bool = False):
        self.text_only = text_only

    def _names(self) -> list[str]:
        return LINE_FEATURES if self.text_only else FEATURE_NAMES

    def fit(self, X: Sequence[Sequence[Block]], y: Any = None) -> BlockFeaturizer:
        self.n_features_out_ = N_KEYS + len(self._names())
        return self

    def transform(self, X: Sequence[Sequence[Block]]) -> np.ndarray:
        mats = []
        for i, blocks in enumerate(X):
            cols = columns(blocks)
            keys = structure_keys(blocks, self.text_only, cols)
            mats.append(np.hstack([np.full((len(blocks), 1), i), keys, page_features(blocks, self.text_only, keys, cols)]))
        if not mats:
            return np.zeros((0, N_KEYS + len(self._names())), dtype=np.float64)
        return np.concatenate(mats, axis=0)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.array(list(KEY_NAMES) + self._names(), dtype=object)


def _hgb(**params: Any) -> HistGradientBoostingClassifier:
    return HistGradientBoostingClassifier(random_state=SEED, early_stopping=False, **params)


class ContextStack(ClassifierMixin, BaseEstimator):
    """Two stages of gradient boosting over `BlockFeaturizer` rows (see the module docstring)."""

    def __init__(self, first: Any = None, second: Any = None, text_only: bool = False, folds: int = 2):
        self.first = first
        self.second = second
        self.text_only = text_only
        self.folds = folds

    def _parts(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return X[:, 0], X[:, 1:N_KEYS], X[:, N_KEYS:].astype(np.float32)

    def _dense(self) -> np.ndarray:
        names = LINE_FEATURES if self.text_only else FEATURE_NAMES
        return np.array([i for i, n in enumerate(names) if not n.startswith(_SPARSE_PREFIXES)])

    def second_inputs(self, X: np.ndarray, first_scores: np.ndarray) -> np.ndarray:
        page, keys, F = self._parts(X)
        return np.hstack([context_features(first_scores, page, keys, self.text_only), F[:, self._dense()]])

    def second_input_names(self) -> list[str]:
        names = LINE_FEATURES if self.text_only else FEATURE_NAMES
        ctx = LINE_CONTEXT_NAMES if self.text_only else CONTEXT_NAMES
        return [f"ctx_{n}" for n in ctx] + [names[i] for i in self._dense()]

    def fit_first(self, X: np.ndarray, y: np.ndarray, groups: np.ndarray | None = None) -> np.ndarray:
        """Fit the first stage on all rows; return its out-of-fold scores (folds by `groups`, one
        group per row, e.g. the page's site; by page when None)."""
        page, _, F = self._parts(X)
        w = page_weights(page)
        groups = page if groups is None else np.asarray(groups)
        names, codes = np.unique(groups, return_inverse=True)
        fold_of_group = np.random.RandomState(SEED).permutation(len(names)) % self.folds
        fold = fold_of_group[codes]
        oof = np.zeros(len(y))
        for k in range(self.folds):
            held = fold == k
            if held.any() and (~held).any():
                model = clone(self.first).fit(F[~held], y[~held], sample_weight=w[~held])
                oof[held] = model.predict_proba(F[held])[:, 1]
        self.first_ = clone(self.first).fit(F, y, sample_weight=w)
        self.second_ = None
        self.classes_ = self.first_.classes_
        self.n_features_in_ = X.shape[1]
        return oof

    def fit_second(self, X: np.ndarray, y: np.ndarray, oof: np.ndarray) -> ContextStack:
        """Fit `second` on the first stage's out-of-fold scores (`second` None: no second stage,
        the first decides alone)."""
        if self.second is None:
            self.second_ = None
        else:
            self.second_ = clone(self.second).fit(self.second_inputs(X, oof), y, sample_weight=page_weights(X[:, 0]))
        return self

    def fit(self, X: np.ndarray, y: np.ndarray, groups: np.ndarray | None = None) -> ContextStack:
        return self.fit_second(X, y, self.fit_first(X, y, groups))

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        if len(X) == 0:
            return np.zeros((0, 2))
        _, _, F = self._parts(X)
        first = _predict_proba(self.first_, F)
        if self.second_ is None:
            return first
        return _predict_proba(self.second_, self.second_inputs(X, first[:, 1]))

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.classes_[(self.predict_proba(X)[:, 1] >= 0.5).astype(int)]


# Compiled forests by fitted model. A fit never changes a model in place here (`clone(...).fit`),
# so a model's forest stays valid for as long as the model lives.
_FORESTS: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()


def _predict_proba(model: HistGradientBoostingClassifier, X: np.ndarray) -> np.ndarray:
    """`model.predict_proba(X)` (float32 rows), through the compiled forest when the package was
    built with it: the same numbers from one C loop, without scikit-learn's per-tree call."""
    if _speedups is None:
        return model.predict_proba(X)
    forest = _FORESTS.get(model)
    if forest is None:
        try:
            forest = _speedups.Forest(model)
        except ValueError:  # a model the compiled loop does not cover (multi-class, categorical)
            forest = False
        _FORESTS[model] = forest
    if forest is False:
        return model.predict_proba(X)
    return model._loss.predict_proba(forest.raw(X))


def page_weights(page: np.ndarray) -> np.ndarray:
    """Sample weights that give every page the same total weight (mean 1): the metric is a mean
    over pages, and a forum thread of 3,000 blocks should not outweigh a hundred articles."""
    _, codes, counts = np.unique(page, return_inverse=True, return_counts=True)
    w = 1.0 / counts[codes]
    return w * (len(w) / w.sum()) if len(w) else w


def make_pipeline(text_only: bool, first: dict[str, Any] | None = None, second: dict[str, Any] | None = None) -> Pipeline:
    model = ContextStack(_hgb(**(first or FIRST_STAGE)), _hgb(**second) if second else None, text_only)
    return Pipeline([("features", BlockFeaturizer(text_only=text_only)), ("model", model)])


def as_lines(blocks: Sequence[Block]) -> tuple[list[Block], list[int]]:
    """A page rendered as a crawl's text dump: one line per block line (a `pre` block gives several),
    as the text-mode model sees it; also, for each line, the block it came from."""
    from .segment import segment_text

    lines: list[Block] = []
    owner: list[int] = []
    for b in blocks:
        for line in segment_text(b.text):
            lines.append(Block(len(lines), f"/text/line[{len(lines) + 1}]", "line", line.text, line.words, 0))
            owner.append(b.index)
    return lines, owner


@dataclass
class BlockClassifier:
    """A fitted pipeline with its decision threshold and the record of how it was chosen."""

    pipeline: Pipeline
    threshold: float
    mode: str
    info: dict[str, Any]

    def scores(self, blocks: Sequence[Block]) -> np.ndarray:
        """Content probability of each block: `pipeline.predict_proba`, its two steps called
        directly (the Pipeline's own dispatch costs about 0.17 ms a page, a tenth of the features).
        A one-stage HTML model gets the page's features as they are, without the grouping keys
        only a second stage reads and the float64 round trip of the featurizer's rows."""
        if not blocks:
            return np.zeros(0)
        (_, featurizer), (_, model) = self.pipeline.steps
        if model.second_ is None and not featurizer.text_only:
            return _predict_proba(model.first_, page_features(blocks))[:, 1]
        return model.predict_proba(featurizer.transform([blocks]))[:, 1]

    def predict(self, blocks: Sequence[Block]) -> list[bool]:
        return (self.scores(blocks) >= self.threshold).tolist()

    def save(self, folder: Path = MODEL_DIR) -> Path:
        import skops.io as sio

        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"boilerbench-{self.mode}.skops"
        sio.dump(self.pipeline, path)
        meta = {"threshold": self.threshold, "mode": self.mode, "features_version": FEATURES_VERSION, **self.info}
        (folder / f"boilerbench-{self.mode}.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
        return path


# The only types a model file may hold beyond skops' own safe defaults: anything else is refused
# (a prefix like "builtins." would admit `exec`).
TRUSTED_TYPES = (
    "boilerbench.classifier.BlockFeaturizer",
    "boilerbench.classifier.ContextStack",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
)


def load(mode: str = "html", folder: Path = MODEL_DIR) -> BlockClassifier:
    """Load a saved model with skops, trusting only the explicit `TRUSTED_TYPES` (never pickle)."""
    import skops.io as sio

    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    path = folder / f"boilerbench-{mode}.skops"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no trained model; run `python -m boilerbench train`")
    try:  # skops audits the file's types against its safe defaults and ours, and refuses others
        pipeline = sio.load(path, trusted=list(TRUSTED_TYPES))
    except sio.exceptions.UntrustedTypesFoundException as e:
        refused = [t for t in sio.get_untrusted_types(file=path) if t not in TRUSTED_TYPES]
        raise ValueError(f"{path}: refusing to load untrusted types {refused}") from e
    meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    if meta.get("features_version") != FEATURES_VERSION:
        raise ValueError(f"{path}: trained with features v{meta.get('features_version')}, code has v{FEATURES_VERSION}")
    return BlockClassifier(pipeline, float(meta["threshold"]), mode, meta)


@lru_cache(maxsize=2)
def shipped(mode: str = "html") -> BlockClassifier:
    return load(mode)


def model_hash(folder: Path = MODEL_DIR) -> str:
    """Short hash of the saved models and their metadata (absent models hash as such)."""
    import hashlib

    h = hashlib.sha256()
    for path in sorted(folder.glob("boilerbench-*.*")) if folder.is_dir() else []:
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:8]


# --- training ---------------------------------------------------------------------------------

# The first stage is fixed (chosen on validation while building the feature set, see the model's
# JSON record); `train` chooses the second stage from `SECOND_GRID` (None: no second stage) and
# the threshold on validation. Prediction costs about the same per tree whatever its size, so the
# stages are few and deep; a costlier choice must beat a cheaper one by `MIN_GAIN` to be taken.
FIRST_STAGE = {"max_iter": 150, "learning_rate": 0.15, "max_leaf_nodes": 63, "min_samples_leaf": 40}
MIN_GAIN = 0.002
SECOND_GRID: tuple[dict[str, Any] | None, ...] = (
    None,
    {"max_iter": 60, "learning_rate": 0.1, "max_leaf_nodes": 31, "min_samples_leaf": 40},
    {"max_iter": 100, "learning_rate": 0.1, "max_leaf_nodes": 31, "min_samples_leaf": 40},
)
THRESHOLDS = tuple(round(t, 2) for t in np.arange(0.2, 0.81, 0.02))


def mean_page_f1(pages_labels: Sequence[np.ndarray], pages_scores: Sequence[np.ndarray], threshold: float) -> float:
    """Mean per-page block F1 (the benchmark's primary metric) at a threshold."""
    from .scoring import prf

    total = 0.0
    for y, s in zip(pages_labels, pages_scores):
        k = s >= threshold
        tp = float(np.sum(k & y))
        total += prf(tp, float(np.sum(k & ~y)), float(np.sum(~k & y)))[2]
    return total / max(1, len(pages_labels))


def _split_by_page(values: np.ndarray, sizes: Sequence[int]) -> list[np.ndarray]:
    return np.split(values, np.cumsum(sizes)[:-1]) if len(sizes) else []


def fit_and_select(
    train: Sequence[tuple[Sequence[Block], np.ndarray]],
    validation: Sequence[tuple[Sequence[Block], np.ndarray]],
    mode: str,
    grid: Sequence[dict[str, Any] | None] = SECOND_GRID,
    log: Any = print,
    groups: Sequence[str] | None = None,
    first: dict[str, Any] = FIRST_STAGE,
) -> BlockClassifier:
    """Fit the first stage on train (and out of fold, by `groups`: one site per train page), then
    each second-stage grid point (in order of cost); keep the one (and the threshold) with the best
    validation F1, a costlier one only when it gains `MIN_GAIN`."""
    text_only = mode == "text"
    featurizer = BlockFeaturizer(text_only=text_only).fit([])
    t0 = time.perf_counter()
    Xtr = featurizer.transform([b for b, _ in train])
    ytr = np.concatenate([y for _, y in train]).astype(bool) if train else np.zeros(0, dtype=bool)
    Xva = featurizer.transform([b for b, _ in validation])
    yva = [y.astype(bool) for _, y in validation]
    sizes = [len(b) for b, _ in validation]
    row_groups = None if groups is None else np.repeat(np.asarray(groups, dtype=object), [len(b) for b, _ in train])
    log(f"[{mode}] features: train {Xtr.shape}, validation {Xva.shape} in {time.perf_counter() - t0:.1f}s")
    t1 = time.perf_counter()
    stack = ContextStack(_hgb(**first), None, text_only)
    oof = stack.fit_first(Xtr, ytr, row_groups)
    log(f"[{mode}] first stage {first} fitted ({time.perf_counter() - t1:.0f}s)")
    best: tuple[float, float, dict[str, Any] | None, Any] | None = None
    trials = []
    for params in grid:
        t1 = time.perf_counter()
        stack.second = None if params is None else _hgb(**params)
        stack.fit_second(Xtr, ytr, oof)
        scores = _split_by_page(stack.predict_proba(Xva)[:, 1], sizes)
        f1s = {t: mean_page_f1(yva, scores, t) for t in THRESHOLDS}
        thr = max(f1s, key=lambda t: (f1s[t], -abs(t - 0.5)))
        trials.append({"second": params, "threshold": thr, "validation_block_f1": round(f1s[thr], 4)})
        log(f"[{mode}] second stage {params}: validation block F1 {f1s[thr]:.4f} at threshold {thr} ({time.perf_counter() - t1:.0f}s)")
        if best is None or f1s[thr] >= best[0] + MIN_GAIN:
            best = (f1s[thr], thr, params, stack.second_)
    assert best is not None
    f1, thr, params, second = best
    stack.second, stack.second_ = (None if params is None else _hgb(**params)), second
    pipeline = Pipeline([("features", featurizer), ("model", stack)])
    info = {
        "params": {"first": first, "second": params},
        "validation_block_f1": round(f1, 4),
        "trials": trials,
        "train_pages": len(train),
        "train_blocks": int(len(ytr)),
        "validation_pages": len(validation),
    }
    return BlockClassifier(pipeline, thr, mode, info)


def training_data(labeled: Sequence[Any], mode: str) -> list[tuple[list[Block], np.ndarray]]:
    """(blocks, content labels) per page with full labels; text mode renders each page as lines."""
    from .types import CONTENT

    out = []
    for lp in labeled:
        if lp.gold.text is None:
            continue
        blocks = [b.block for b in lp.blocks]
        y = np.array([b.label == CONTENT for b in lp.blocks], dtype=bool)
        if mode == "text":
            lines, owner = as_lines(blocks)
            out.append((lines, y[owner] if owner else np.zeros(0, dtype=bool)))
        else:
            out.append((blocks, y))
    return out


def train(corpus: Any, modes: Sequence[str] = MODES, folder: Path = MODEL_DIR, grid: Sequence[dict[str, Any]] = SECOND_GRID, log: Any = print) -> list[BlockClassifier]:
    """Train on `train`, select on `validation`, save. The test split is not read."""
    from .groundtruth import load_labeled

    train_lp = load_labeled(corpus, corpus.select(split="train"))
    val_lp = load_labeled(corpus, corpus.select(split="validation"))
    sites = [lp.page.domain for lp in train_lp if lp.gold.text is not None]
    out = []
    for mode in modes:
        clf = fit_and_select(training_data(train_lp, mode), training_data(val_lp, mode), mode, grid, log, groups=sites)
        clf.info["dataset_revision"] = corpus.revision()
        path = clf.save(folder)
        log(f"[{mode}] saved {path} ({path.stat().st_size / 1e6:.1f} MB), threshold {clf.threshold}")
        out.append(clf)
    return out
