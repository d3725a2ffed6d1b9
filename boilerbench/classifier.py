"""The boilerbench block classifier: featurizer + gradient boosting, a scikit-learn `Pipeline`.

Two models, trained by `python -m boilerbench train` on the train split and tuned on validation
only (hyper-parameters and the decision threshold; the test split is never read):

* `html` — every feature of `features.FEATURE_NAMES`, for HTML pages;
* `text` — only line features (`features.LINE_FEATURES`), for plain-text pages such as a crawl's
  text dump: trained on the train pages rendered as lines, one line per block.

Models are saved with skops and loaded with an explicit list of trusted types (never pickle).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import Pipeline

from .features import FEATURE_NAMES, FEATURES_VERSION, LINE_FEATURES, page_features
from .types import Block

MODEL_DIR = Path(__file__).resolve().parent / "models"
SEED = 0
MODES = ("html", "text")


class BlockFeaturizer(TransformerMixin, BaseEstimator):
    """Pages (lists of blocks) → one feature row per block, pages concatenated in order."""

    def __init__(self, text_only: bool = False):
        self.text_only = text_only

    def _names(self) -> list[str]:
        return LINE_FEATURES if self.text_only else FEATURE_NAMES

    def fit(self, X: Sequence[Sequence[Block]], y: Any = None) -> BlockFeaturizer:
        self.n_features_out_ = len(self._names())
        return self

    def transform(self, X: Sequence[Sequence[Block]]) -> np.ndarray:
        mats = [page_features(blocks, text_only=self.text_only) for blocks in X]
        if not mats:
            return np.zeros((0, len(self._names())), dtype=np.float32)
        return np.concatenate(mats, axis=0)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.array(self._names(), dtype=object)


def make_pipeline(text_only: bool, **params: Any) -> Pipeline:
    model = HistGradientBoostingClassifier(random_state=SEED, early_stopping=False, **params)
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
        if not blocks:
            return np.zeros(0)
        return self.pipeline.predict_proba([blocks])[:, 1]

    def predict(self, blocks: Sequence[Block]) -> list[bool]:
        return [bool(s >= self.threshold) for s in self.scores(blocks)]

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
    untrusted = sio.get_untrusted_types(file=path)
    refused = [t for t in untrusted if t not in TRUSTED_TYPES]
    if refused:
        raise ValueError(f"{path}: refusing to load untrusted types {refused}")
    pipeline = sio.load(path, trusted=untrusted)
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

PARAM_GRID = (
    {"max_iter": 250, "learning_rate": 0.1, "max_leaf_nodes": 31, "min_samples_leaf": 40},
    {"max_iter": 400, "learning_rate": 0.1, "max_leaf_nodes": 63, "min_samples_leaf": 40},
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
    grid: Sequence[dict[str, Any]] = PARAM_GRID,
    log: Any = print,
) -> BlockClassifier:
    """Fit each grid point on train; keep the one (and the threshold) with the best validation F1."""
    text_only = mode == "text"
    featurizer = BlockFeaturizer(text_only=text_only).fit([])
    t0 = time.perf_counter()
    Xtr = featurizer.transform([b for b, _ in train])
    ytr = np.concatenate([y for _, y in train]).astype(bool)
    Xva = featurizer.transform([b for b, _ in validation])
    yva = [y.astype(bool) for _, y in validation]
    sizes = [len(b) for b, _ in validation]
    log(f"[{mode}] features: train {Xtr.shape}, validation {Xva.shape} in {time.perf_counter() - t0:.1f}s")
    best: tuple[float, float, dict[str, Any], Any] | None = None
    trials = []
    for params in grid:
        t1 = time.perf_counter()
        model = HistGradientBoostingClassifier(random_state=SEED, early_stopping=False, **params).fit(Xtr, ytr)
        scores = _split_by_page(model.predict_proba(Xva)[:, 1], sizes)
        f1s = {t: mean_page_f1(yva, scores, t) for t in THRESHOLDS}
        thr = max(f1s, key=lambda t: (f1s[t], -abs(t - 0.5)))
        trials.append({"params": params, "threshold": thr, "validation_block_f1": round(f1s[thr], 4)})
        log(f"[{mode}] {params}: validation block F1 {f1s[thr]:.4f} at threshold {thr} ({time.perf_counter() - t1:.0f}s)")
        if best is None or f1s[thr] > best[0]:
            best = (f1s[thr], thr, params, model)
    assert best is not None
    f1, thr, params, model = best
    pipeline = Pipeline([("features", featurizer), ("model", model)])
    info = {
        "params": params,
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


def train(corpus: Any, modes: Sequence[str] = MODES, folder: Path = MODEL_DIR, grid: Sequence[dict[str, Any]] = PARAM_GRID, log: Any = print) -> list[BlockClassifier]:
    """Train on `train`, select on `validation`, save. The test split is not read."""
    from .groundtruth import load_labeled

    train_lp = load_labeled(corpus, corpus.select(split="train"))
    val_lp = load_labeled(corpus, corpus.select(split="validation"))
    out = []
    for mode in modes:
        clf = fit_and_select(training_data(train_lp, mode), training_data(val_lp, mode), mode, grid, log)
        clf.info["dataset_revision"] = corpus.revision()
        path = clf.save(folder)
        log(f"[{mode}] saved {path} ({path.stat().st_size / 1e6:.1f} MB), threshold {clf.threshold}")
        out.append(clf)
    return out
