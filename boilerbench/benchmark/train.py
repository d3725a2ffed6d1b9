"""Training the block classifier (`python -m boilerbench train`): the training data from the labeled
corpus, the validation that chooses the second stage and the thresholds, and the saved models;
then the HTML category model (`fit_categories`), fitted on the labeled blocks' category groups and
scored per group on validation (`train --only categories` fits it alone, beside the saved
classifier). Inference (`boilerbench.extractor.classifier`) never imports this module."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from ..core.segment import as_lines
from ..core.types import (
    BOILERPLATE,
    CATEGORY_GROUP_NAMES,
    CATEGORY_MODEL_FORMATS,
    CONTENT,
    GROUP_OF,
    ITEM_LIST_FORMATS,
    OVERRULED_GROUPS,
    PAGE_FORMATS,
    PAGE_TYPES,
    TRAIN_ONLY,
    TRAIN_PARTS,
    Block,
    check_choice,
)
from ..extractor.classifier import (
    ARTICLE_INDEX,
    MODEL_DIR,
    N_KEYS,
    PAGE_TYPE_C,
    SEED,
    BlockClassifier,
    BlockFeaturizer,
    CategoryModel,
    ContextStack,
    hist_gradient_boosting,
    load_category_model,
    load_model,
    page_summary,
    page_weights,
)
from ..extractor.items import ItemLists
from .corpora.build import site
from .groundtruth import load_labeled
from .render import missing_renderers, rendered
from .scoring import SCORED_APART, prf

# --- training ---------------------------------------------------------------------------------

# The first stage is fixed (chosen on validation while building the feature set, see the model's
# JSON record); `train` chooses the second stage from `SECOND_GRID` (None: no second stage) and
# the threshold on validation. Prediction costs about the same per tree whatever its size, so the
# stages are few and deep; a costlier choice must beat a cheaper one by `MIN_GAIN` to be taken.
FIRST_STAGE = {"max_iter": 150, "learning_rate": 0.15, "max_leaf_nodes": 63, "min_samples_leaf": 40}


def make_pipeline(page_format: str, first: dict[str, Any] | None = None, second: dict[str, Any] | None = None) -> Pipeline:
    model = ContextStack(
        hist_gradient_boosting(**(first or FIRST_STAGE)), hist_gradient_boosting(**second) if second else None, page_format
    )
    return Pipeline([("features", BlockFeaturizer(page_format=page_format)), ("model", model)])


MIN_GAIN = 0.002
SECOND_GRID: tuple[dict[str, Any] | None, ...] = (
    None,
    {"max_iter": 60, "learning_rate": 0.1, "max_leaf_nodes": 31, "min_samples_leaf": 40},
    {"max_iter": 100, "learning_rate": 0.1, "max_leaf_nodes": 31, "min_samples_leaf": 40},
)
# Each second stage is tried on every page, and routed to the pages predicted articles only (the
# page type decides where context helps: on validation, news pages gained from it and other WCXB
# pages could lose); the routed one is cheaper, so it comes first.
SECOND_ROUTES: tuple[tuple[str, ...] | None, ...] = (("article",), None)
THRESHOLDS = tuple(float(round(t, 2)) for t in np.arange(0.2, 0.81, 0.02))


def mean_page_f1(pages_labels: Sequence[np.ndarray], pages_scores: Sequence[np.ndarray], threshold: float) -> float:
    """Mean per-page block F1 (the benchmark's primary metric) at a threshold, over each page's
    labeled blocks (labels 1/0, or -1 undecided; pages with none left out)."""
    f1 = page_f1s(pages_labels, pages_scores, threshold)
    kept = f1[~np.isnan(f1)]
    return float(kept.mean()) if len(kept) else 0.0


def page_f1s(pages_labels: Sequence[np.ndarray], pages_scores: Sequence[np.ndarray], threshold: float) -> np.ndarray:
    """Block F1 of each page at a threshold (NaN for a page without a labeled block)."""
    return kept_f1s(pages_labels, [np.asarray(s) >= threshold for s in pages_scores])


def kept_f1s(pages_labels: Sequence[np.ndarray], pages_kept: Sequence[np.ndarray | Sequence[bool]]) -> np.ndarray:
    """Block F1 of each page's decisions (NaN for a page without a labeled block)."""
    out = np.full(len(pages_labels), np.nan)
    for i, (y, kept) in enumerate(zip(pages_labels, pages_kept)):
        y = np.asarray(y)
        labeled = y >= 0
        if not labeled.any():
            continue
        k, c = np.asarray(kept, dtype=bool)[labeled], y[labeled] > 0
        tp = float(np.sum(k & c))
        out[i] = prf(tp, float(np.sum(k & ~c)), float(np.sum(~k & c)))[2]
    return out


def _split_by_page(values: np.ndarray, sizes: Sequence[int]) -> list[np.ndarray]:
    return np.split(values, np.cumsum(sizes)[:-1]) if len(sizes) else []


@dataclass(frozen=True)
class TrainPage:
    """One page for `fit_and_select`: its blocks (or lines), labels (1 content, 0 boilerplate, -1
    undecided), source, page type (None when the source gives none) and site; for `fit_categories`,
    each block's category group (`types.GROUP_OF` of its labeled category; None where undecided)."""

    blocks: list[Block]
    labels: np.ndarray
    source: str
    page_type: str | None
    site: str
    groups: tuple[str | None, ...] = ()
    apart: tuple[bool, ...] = ()  # blocks scored apart on the board (`scoring.SCORED_APART`: the title)

    @property
    def scored(self) -> np.ndarray:
        """`labels` as the validation metrics read them: the blocks `evaluate` scores apart left
        undecided (-1), so every choice is made on the figure the board shows."""
        if not any(self.apart):
            return self.labels
        out = self.labels.copy()
        out[np.asarray(self.apart, dtype=bool)] = -1
        return out


# Validation groups: a choice must lose on none of them (WCXB's article pages: the news-like part
# of the corpus with full labels).
VALIDATION_GROUPS: dict[str, Any] = {
    "wcxb": lambda p: p.source == "wcxb",
    "trafilatura-eval": lambda p: p.source == "trafilatura-eval",
    "wcxb-article": lambda p: p.source == "wcxb" and p.page_type == "article",
}


@dataclass(frozen=True)
class Thresholds:
    """A decision rule and its validation block F1 per group (`VALIDATION_GROUPS`)."""

    default: float
    article: float
    f1: dict[str, float]

    @property
    def mean(self) -> float:
        return float(np.mean(list(self.f1.values())))

    def loses_to(self, other: Thresholds) -> bool:
        return any(self.f1[g] < other.f1[g] for g in self.f1)


def choose_thresholds(pages: Sequence[TrainPage], scores: Sequence[np.ndarray], article: np.ndarray) -> Thresholds:
    """The thresholds with the best mean of the groups' validation F1: one for all pages, or one for
    pages predicted articles (`article`) and one for the rest, the latter only when it loses on no
    group against the best single threshold."""
    F = np.array([page_f1s([p.scored for p in pages], scores, t) for t in THRESHOLDS])  # thresholds × pages
    masks = {g: np.array([bool(fn(p)) for p in pages]) & ~np.isnan(F[0]) for g, fn in VALIDATION_GROUPS.items()}

    def rule(ta: int, to: int) -> Thresholds:
        per_page = np.where(article, F[ta], F[to])
        f1 = {g: round(float(per_page[m].mean()), 4) if m.any() else 0.0 for g, m in masks.items()}
        return Thresholds(THRESHOLDS[to], THRESHOLDS[ta], f1)

    def key(r: Thresholds) -> tuple[float, float]:
        return (r.mean, -abs(r.default - 0.5) - abs(r.article - 0.5))

    single = max((rule(t, t) for t in range(len(THRESHOLDS))), key=key)
    pairs = [rule(ta, to) for ta in range(len(THRESHOLDS)) for to in range(len(THRESHOLDS))]
    return max([r for r in pairs if not r.loses_to(single)], key=key, default=single)


# Whole repeated items (`items.ItemLists`): the page types tried, each with the share of a list's
# items that must hold a kept block, the items' alikeness fixed (validation was flat in it); a
# candidate routed to types with fewer than `MIN_ITEM_LIST_PAGES` validation pages predicted of them
# is not tried (a gain on fewer is one page's luck). Chosen as the second stage is: the best mean of
# `VALIDATION_GROUPS`, gaining `MIN_GAIN` and losing on no group against none.
ITEM_LIST_TYPES: tuple[tuple[str, ...], ...] = (("collection",), ("collection", "listing"), ("collection", "listing", "product"))
ITEM_LIST_SHARES = (0.3, 0.5, 0.7, 0.9)
ITEM_LIST_ALIKE = 0.5
MIN_ITEM_LIST_PAGES = 5


def choose_item_lists(
    pages: Sequence[TrainPage], kept: Sequence[Sequence[bool]], page_types: Sequence[str | None]
) -> tuple[ItemLists | None, list[dict[str, Any]]]:
    """The item-list rule (or None) for the classifier's validation decisions `kept` on pages of the
    predicted `page_types`, and every trial with its validation block F1 per group and the F1 of
    the pages it is routed to."""
    labels = [p.scored for p in pages]
    base = kept_f1s(labels, kept)
    masks = {g: np.array([bool(fn(p)) for p in pages]) & ~np.isnan(base) for g, fn in VALIDATION_GROUPS.items()}
    masks = {g: m for g, m in masks.items() if m.any()}

    def per_group(f1: np.ndarray) -> dict[str, float]:
        return {g: round(float(f1[m].mean()), 4) for g, m in masks.items()}

    types = np.asarray(page_types, dtype=object)
    off = per_group(base)
    trials: list[dict[str, Any]] = [{"item_lists": None, "pages": 0, "f1": off, "routed_f1": None}]
    best: tuple[float, ItemLists | None] = (float(np.mean(list(off.values()))), None)
    for routed in ITEM_LIST_TYPES:
        where = np.isin(types, routed) & ~np.isnan(base)
        if where.sum() < MIN_ITEM_LIST_PAGES:
            continue
        for share in ITEM_LIST_SHARES:
            rule = ItemLists(routed, share, ITEM_LIST_ALIKE)
            f1 = base.copy()
            for i in map(int, np.flatnonzero(where)):
                f1[i] = kept_f1s([labels[i]], [rule.apply(pages[i].blocks, kept[i], page_types[i])])[0]
            groups = per_group(f1)
            trials.append(
                {
                    "item_lists": rule.to_json(),
                    "pages": int(where.sum()),
                    "f1": groups,
                    "routed_f1": [round(float(base[where].mean()), 4), round(float(f1[where].mean()), 4)],
                }
            )
            mean = float(np.mean(list(groups.values())))
            if mean >= best[0] + MIN_GAIN and all(groups[g] >= off[g] for g in off):
                best = (mean, rule)
    return best[1], trials


def item_list_table(trials: Sequence[dict[str, Any]]) -> str:
    """`choose_item_lists`' trials as the table `train` prints."""

    def lead(t: dict[str, Any]) -> list[str]:
        rule, routed = t["item_lists"], t["routed_f1"]
        return [
            "off" if rule is None else ", ".join(rule["types"]),
            "-" if rule is None else str(rule["items_kept"]),
            str(t["pages"]),
            "-" if routed is None else f"{routed[0]:.4f} → {routed[1]:.4f}",
        ]

    head = ["item lists on", "share of items kept", "its pages", "their F1 (before → after)"]
    return group_f1_table(head, [(lead(t), t["f1"], []) for t in trials])


def group_f1_table(
    head: Sequence[str], rows: Sequence[tuple[Sequence[str], dict[str, float], Sequence[str]]], tail: Sequence[str] = ()
) -> str:
    """A table of trials `train` prints: each row's leading cells, its validation F1 per group
    (`VALIDATION_GROUPS`' order, as the first row has them), their mean, then its trailing cells."""
    groups = list(rows[0][1]) if rows else list(VALIDATION_GROUPS)
    lines = ["| " + " | ".join([*head, *groups, "mean", *tail]) + " |", "|---" * (len(head) + len(groups) + 1 + len(tail)) + "|"]
    for cells, f1, after in rows:
        values = [f1[g] for g in groups]
        lines.append("| " + " | ".join([*cells, *(f"{v:.4f}" for v in values), f"{np.mean(values):.4f}", *after]) + " |")
    return "\n".join(lines)


def decisions_on(pages: Sequence[TrainPage], clf: BlockClassifier) -> tuple[list[list[bool]], list[str | None]]:
    """The classifier's validation decisions without its item lists, and each page's predicted type."""
    rule, clf.item_lists = clf.item_lists, None
    try:
        decided = [clf.decide(p.blocks) for p in pages]
    finally:
        clf.item_lists = rule
    return [d.kept for d in decided], [d.page_type for d in decided]


def set_item_lists(validation: Sequence[TrainPage], clf: BlockClassifier, log: Any = print) -> BlockClassifier:
    """Choose `clf`'s item lists on validation (`choose_item_lists`), log the table, record the trials."""
    rule, trials = choose_item_lists(validation, *decisions_on(validation, clf))
    clf.item_lists = rule
    clf.info["item_list_trials"] = trials
    log(
        f"[{clf.page_format}] whole repeated items (validation block F1; chosen: "
        f"{'off' if rule is None else rule.to_json()}):\n{item_list_table(trials)}"
    )
    return clf


def validation_table(trials: Sequence[dict[str, Any]]) -> str:
    """The per-source validation table `train` prints."""
    rows: list[tuple[Sequence[str], dict[str, float], Sequence[str]]] = [
        (
            [
                str(t["second"]),
                "-" if t["second"] is None else ", ".join(t["second_types"] or ["all"]),
                f"{t['thresholds']['article']} / {t['thresholds']['default']}",
            ],
            {g: t["validation_block_f1"][g] for g in VALIDATION_GROUPS},
            [],
        )
        for t in trials
    ]
    return group_f1_table(["second stage", "its pages", "thresholds (article / other)"], rows)


def fit_and_select(
    train: Sequence[TrainPage],
    validation: Sequence[TrainPage],
    page_format: str,
    grid: Sequence[dict[str, Any] | None] = SECOND_GRID,
    log: Any = print,
    first: dict[str, Any] = FIRST_STAGE,
) -> BlockClassifier:
    """Fit the page-type model and the first stage on train (out of fold by site), then each
    second-stage grid point (in order of cost), each routed as `SECOND_ROUTES` says; keep the one
    and the thresholds with the best mean validation F1 over `VALIDATION_GROUPS`, a costlier one
    only when it gains `MIN_GAIN` and loses on no group."""
    featurizer = BlockFeaturizer(page_format=page_format).fit([])
    t0 = time.perf_counter()
    train_rows = [featurizer.block_features(p.blocks) for p in train]
    validation_rows = [featurizer.block_features(p.blocks) for p in validation]
    train_types = featurizer.fit_page_types(
        np.array([page_summary(F) for _, F in train_rows]), [p.page_type for p in train], [p.site for p in train]
    )
    validation_types = featurizer.page_type_probs(np.array([page_summary(F) for _, F in validation_rows]))

    def matrix(parts: Sequence[tuple[np.ndarray, np.ndarray]], types: np.ndarray) -> np.ndarray:
        rows = [
            np.hstack([np.full((len(F), 1), i), keys, featurizer.with_page_types(F, types[i])])
            for i, (keys, F) in enumerate(parts)
        ]
        return np.concatenate(rows) if rows else np.zeros((0, featurizer.n_features_out_))

    X_train, X_validation = matrix(train_rows, train_types), matrix(validation_rows, validation_types)
    y_train = np.concatenate([p.labels for p in train]) if train else np.zeros(0, dtype=int)
    sizes = [len(p.blocks) for p in validation]
    known = [i for i, p in enumerate(validation) if p.page_type in PAGE_TYPES]
    type_accuracy = (
        float(np.mean([PAGE_TYPES[int(validation_types[i].argmax())] == validation[i].page_type for i in known]))
        if known
        else 0.0
    )
    article = validation_types.argmax(axis=1) == ARTICLE_INDEX
    row_groups = np.repeat(np.asarray([p.site for p in train], dtype=object), [len(p.blocks) for p in train])
    log(
        f"[{page_format}] features: train {X_train.shape}, validation {X_validation.shape} in {time.perf_counter() - t0:.1f}s; "
        f"page types on validation: accuracy {type_accuracy:.3f} ({len(known)} pages)"
    )
    t1 = time.perf_counter()
    stack = ContextStack(hist_gradient_boosting(**first), None, page_format)
    out_of_fold = stack.fit_first(X_train, y_train, row_groups)
    log(f"[{page_format}] first stage {first} fitted ({time.perf_counter() - t1:.0f}s)")
    first_va = stack.predict_proba(X_validation)  # the same for every trial below
    best: tuple[Thresholds, dict[str, Any] | None, Any, tuple[str, ...] | None] | None = None
    trials = []
    for params in grid:
        t1 = time.perf_counter()
        stack.second = None if params is None else hist_gradient_boosting(**params)
        stack.fit_second(X_train, y_train, out_of_fold)
        for route in SECOND_ROUTES if params is not None else (None,):
            stack.second_types = route
            rule = choose_thresholds(
                validation, _split_by_page(stack.predict_proba(X_validation, first_va)[:, 1], sizes), article
            )
            trials.append(
                {
                    "second": params,
                    "second_types": route,
                    "thresholds": {"default": rule.default, "article": rule.article},
                    "validation_block_f1": rule.f1,
                }
            )
            log(
                f"[{page_format}] second stage {params} on {route or 'all'} pages: validation block F1 {rule.f1} "
                f"({time.perf_counter() - t1:.0f}s)"
            )
            if best is None or (rule.mean >= best[0].mean + MIN_GAIN and not rule.loses_to(best[0])):
                best = (rule, params, stack.second_, route)
    assert best is not None
    rule, params, second, route = best
    stack.second, stack.second_ = (None if params is None else hist_gradient_boosting(**params)), second
    stack.second_types = route
    pipeline = Pipeline([("features", featurizer), ("model", stack)])
    log(
        f"[{page_format}] validation block F1 per source (chosen: second stage {params} on {route or 'all'} pages):\n"
        f"{validation_table(trials)}"
    )
    info = {
        "params": {"first": first, "second": params, "second_types": route, "page_type_C": PAGE_TYPE_C},
        "validation_block_f1": rule.f1,
        "page_type_validation_accuracy": round(type_accuracy, 4),
        "trials": trials,
        "train_pages": len(train),
        "train_blocks": int(np.sum(y_train >= 0)),
        "validation_pages": len(validation),
    }
    holdout = source_holdout(train, validation, X_train, y_train, X_validation, stack.first_, first, article)
    log(
        f"[{page_format}] leave one source out (first stage alone, thresholds chosen on the other sources):\n{holdout_table(holdout)}"
    )
    info["source_holdout"] = holdout
    types = {"article": rule.article} if rule.article != rule.default else {}
    clf = BlockClassifier(pipeline, rule.default, page_format, info, types)
    return set_item_lists(validation, clf, log) if page_format in ITEM_LIST_FORMATS else clf


def source_holdout(
    train: Sequence[TrainPage],
    validation: Sequence[TrainPage],
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_validation: np.ndarray,
    fitted_first: Any,
    first: dict[str, Any],
    article: np.ndarray,
) -> list[dict[str, Any]]:
    """Does what the model learns carry to a source it never saw? For each train source: the first
    stage fitted without its pages, scored on that source's validation pages (its thresholds chosen
    on the other sources' validation pages, so nothing of the held-out source is seen), beside the
    first stage fitted on every source. A choice that only pays on the source it was fitted on
    shows here as a gap."""
    sources = sorted({p.source for p in train})
    if len(sources) < 2:
        return []
    row_source = np.repeat(np.asarray([p.source for p in train], dtype=object), [len(p.blocks) for p in train])
    page_source = np.asarray([p.source for p in validation], dtype=object)
    sizes = [len(p.blocks) for p in validation]
    F_train, F_val = X_train[:, N_KEYS:].astype(np.float32), X_validation[:, N_KEYS:].astype(np.float32)
    everyone = _split_by_page(fitted_first.predict_proba(F_val)[:, 1], sizes)
    out = []
    for held in sources:
        rows = (row_source != held) & (y_train >= 0)
        seen, unseen = page_source != held, page_source == held
        if not rows.any() or not seen.any() or not unseen.any():
            continue
        model = hist_gradient_boosting(**first).fit(
            F_train[rows], y_train[rows] > 0, sample_weight=page_weights(X_train[rows, 0])
        )
        without = _split_by_page(model.predict_proba(F_val)[:, 1], sizes)
        row: dict[str, Any] = {"held_out": held, "pages": int(unseen.sum())}
        for name, scores in (("without", without), ("with", everyone)):
            pick = [p for p, s in zip(validation, seen) if s]
            rule = choose_thresholds(pick, [sc for sc, s in zip(scores, seen) if s], article[seen])
            held_pages = [p for p, u in zip(validation, unseen) if u]
            held_scores = [sc for sc, u in zip(scores, unseen) if u]
            f1 = page_f1s([p.scored for p in held_pages], held_scores, rule.default)
            if rule.article != rule.default:  # the article threshold on held-out pages predicted articles
                f1_article = page_f1s([p.scored for p in held_pages], held_scores, rule.article)
                f1 = np.where(article[unseen], f1_article, f1)
            row[name] = round(float(np.nanmean(f1)), 4)
        out.append(row)
    return out


def holdout_table(rows: Sequence[dict[str, Any]]) -> str:
    """`source_holdout` as the table `train` prints."""
    lines = [
        "| held-out source | its validation pages | fitted without it | fitted on every source | gap |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['held_out']} | {r['pages']} | {r['without']:.4f} | {r['with']:.4f} | {r['with'] - r['without']:+.4f} |"
        )
    return "\n".join(lines)


def label_codes(labels: Sequence[str | None]) -> np.ndarray:
    """Labels as the fits read them: 1 content, 0 boilerplate, -1 undecided (never fitted)."""
    return np.array([1 if lab == CONTENT else 0 if lab == BOILERPLATE else -1 for lab in labels], dtype=np.int64)


def label_groups(labels: Sequence[str | None], categories: Sequence[str]) -> tuple[str | None, ...]:
    """Each block's category group as the category model is fitted on it: None where the label is."""
    return tuple(None if lab is None else GROUP_OF[c] for lab, c in zip(labels, categories))


def training_data(labeled: Sequence[Any], page_format: str) -> list[TrainPage]:
    """A `TrainPage` per page with at least one labeled block; text mode renders each page as lines."""
    out = []
    for labeled_page in labeled:
        y = label_codes([b.label for b in labeled_page.blocks])
        if not (y >= 0).any():
            continue
        blocks = [b.block for b in labeled_page.blocks]
        groups = label_groups([b.label for b in labeled_page.blocks], [b.category for b in labeled_page.blocks])
        if page_format == "text":
            blocks, owner = as_lines(blocks)
            y = y[owner] if owner else np.zeros(0, dtype=np.int64)
            groups = tuple(groups[o] for o in owner)
        apart = tuple(b.category == SCORED_APART for b in labeled_page.blocks)
        if page_format == "text":
            apart = tuple(apart[o] for o in owner)
        page = labeled_page.page
        out.append(TrainPage(blocks, y, page.source, page.page_type, site(page.domain), groups, apart))
    return out


def rendered_training_data(pages: Sequence[Any]) -> list[TrainPage]:
    """A `TrainPage` per `render.RenderedPage` with at least one labeled line."""
    out = []
    for rp in pages:
        y = label_codes(rp.labels)
        if (y >= 0).any():
            groups = label_groups(rp.labels, rp.categories)
            apart = tuple(c == SCORED_APART for c in rp.categories)
            out.append(TrainPage(rp.lines, y, rp.page.source, rp.page.page_type, site(rp.page.domain), groups, apart))
    return out


# --- the category model -----------------------------------------------------------------------

# The category model's boosting, and how its rows are drawn and weighed (chosen on validation, see
# its JSON record). Each page weighs the same, as in the classifier's fit; within a page, rows of
# one group beyond `CATEGORY_CAP` are a random sample that carries the whole group's weight (the
# four-hundredth link of a menu teaches little, and the fit's time is its rows); the groups'
# totals are then evened out by `CATEGORY_BALANCE` (0: as the pages hold them, 1: all equal), so
# that a comment thread on a few pages is not outweighed by every page's navigation.
CATEGORY_STAGE = {"max_iter": 60, "learning_rate": 0.15, "max_leaf_nodes": 31, "min_samples_leaf": 40, "max_bins": 63}
CATEGORY_CAP = 20
CATEGORY_BALANCE = 1.0


def category_sample(
    page: np.ndarray, groups: np.ndarray, cap: int = CATEGORY_CAP, balance: float = CATEGORY_BALANCE
) -> tuple[np.ndarray, np.ndarray]:
    """The rows the category model is fitted on and their weights: the labeled rows (`groups` not
    "") of each page, at most `cap` of one group per page (a seeded random choice), weighted as
    `CATEGORY_CAP` and `CATEGORY_BALANCE` say (mean weight 1)."""
    rows = np.flatnonzero(groups != "")
    if not len(rows):
        return rows, np.zeros(0)
    pg = np.array([f"{p}\x00{g}" for p, g in zip(page[rows], groups[rows])], dtype=object)
    _, pg_code, pg_count = np.unique(pg, return_inverse=True, return_counts=True)
    order = np.random.RandomState(SEED).permutation(len(rows))
    by_group = order[np.argsort(pg_code[order], kind="stable")]  # each (page, group)'s rows, shuffled
    starts = np.r_[0, np.flatnonzero(np.diff(pg_code[by_group])) + 1]
    rank = np.empty(len(rows), dtype=np.int64)
    rank[by_group] = np.arange(len(rows)) - np.repeat(starts, np.diff(np.r_[starts, len(rows)]))
    sampled = rank < cap  # each (page, group)'s sample carries the weight of all its rows
    w = (page_weights(page[rows]) * pg_count[pg_code] / np.minimum(pg_count[pg_code], cap))[sampled]
    names, g_code = np.unique(groups[rows][sampled], return_inverse=True)
    totals = np.bincount(g_code, weights=w)  # of the rows fitted on, as they are weighed
    w = w * ((totals.sum() / len(names) / totals) ** balance)[g_code]
    return rows[sampled], w * (len(w) / w.sum())


def group_scores(truth: Sequence[str], predicted: Sequence[str]) -> dict[str, Any]:
    """Per-group precision, recall and F1 over blocks, with each group's blocks, and the accuracy."""
    t, p = np.asarray(truth, dtype=object), np.asarray(predicted, dtype=object)
    out: dict[str, Any] = {}
    for g in CATEGORY_GROUP_NAMES:
        tp = float(np.sum((t == g) & (p == g)))
        precision, recall, f1 = prf(tp, float(np.sum((t != g) & (p == g))), float(np.sum((t == g) & (p != g))))
        out[g] = {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4), "blocks": int(np.sum(t == g))}
    return {"groups": out, "accuracy": round(float(np.mean(t == p)), 4) if len(t) else 0.0}


def group_table(scores: dict[str, Any]) -> str:
    """`group_scores` as the table `train` prints."""
    lines = ["| group | precision | recall | F1 | blocks |", "|---|---|---|---|---|"]
    for g, r in scores["groups"].items():
        lines.append(f"| {g} | {r['precision']:.3f} | {r['recall']:.3f} | {r['f1']:.3f} | {r['blocks']} |")
    return "\n".join(lines) + f"\n\naccuracy {scores['accuracy']:.3f}"


def fit_categories(
    train: Sequence[TrainPage],
    validation: Sequence[TrainPage],
    clf: BlockClassifier,
    params: dict[str, Any] = CATEGORY_STAGE,
    log: Any = print,
    cap: int = CATEGORY_CAP,
    balance: float = CATEGORY_BALANCE,
) -> CategoryModel:
    """Fit the category model of `clf`'s page format on the train pages' labeled blocks (`category_sample`)
    and score it per group on validation's. Train rows carry out-of-fold page-type probabilities
    (folds by site, as the classifier's first stage was fitted); validation rows are the ones `clf`
    itself reads, as at inference. The fit runs on one thread: on a machine whose other core is
    busy, two OpenMP threads spend most of the fit waiting for each other."""
    t0 = time.perf_counter()
    featurizer = BlockFeaturizer(clf.page_format).fit([])
    parts = [featurizer.block_features(p.blocks)[1] for p in train]
    types = featurizer.fit_page_types(
        np.array([page_summary(F) for F in parts]), [p.page_type for p in train], [p.site for p in train]
    )
    X = np.concatenate([featurizer.with_page_types(F, types[i]) for i, F in enumerate(parts)])
    page = np.repeat(np.arange(len(train)), [len(p.blocks) for p in train])
    y = np.array([g or "" for p in train for g in p.groups], dtype=object)
    rows, w = category_sample(page, y, cap, balance)
    with threadpool_limits(1):
        model = hist_gradient_boosting(**params).fit(X[rows], y[rows], sample_weight=w)
    seconds = time.perf_counter() - t0
    reads = clf.pipeline.steps[0][1]
    truth: list[str] = []
    predicted: list[str] = []
    cats = CategoryModel(model, clf.page_format, {})
    for p in validation:
        got = cats.groups(reads.rows(p.blocks)[1])
        labeled = [(g, got[i]) for i, g in enumerate(p.groups) if g is not None]
        truth += [g for g, _ in labeled]
        predicted += [guess for _, guess in labeled]
    scores = group_scores(truth, predicted)
    log(
        f"[{clf.page_format}] category model {params} on {len(rows)} of {int(np.sum(y != ''))} labeled train blocks ({seconds:.0f}s); validation:\n{group_table(scores)}"
    )
    cats.info.update(
        {
            "params": params,
            "cap": cap,
            "balance": balance,
            "validation": scores,
            "train_pages": len(train),
            "train_blocks": len(rows),
            "validation_pages": len(validation),
            "fit_seconds": round(seconds, 1),
        }
    )
    return set_overrule_thresholds(validation, clf, cats, log)


def set_overrule_thresholds(
    validation: Sequence[TrainPage], clf: BlockClassifier, cats: CategoryModel, log: Any = print
) -> CategoryModel:
    """Choose `cats`' overrule thresholds on validation given `clf`'s decisions
    (`choose_overrule_thresholds`), log the tables, record them and their trials."""
    thresholds, trials = choose_overrule_thresholds(validation, clf, cats)
    for group, rows_of in trials.items():
        log(
            f"[{clf.page_format}] overrule threshold of {group}: {thresholds.get(group)} "
            f"(validation block F1, {group} blocks kept per page):\n{overrule_table(rows_of)}"
        )
    cats.info.update({"overrule_thresholds": thresholds, "overrule_trials": trials})
    return cats


# The probabilities above which `CategoryModel.overrule` drops a kept block of a group (None: never).
OVERRULE_THRESHOLDS: tuple[float | None, ...] = (None, *(float(round(t, 2)) for t in np.arange(0.05, 0.96, 0.05)))


def choose_overrule_thresholds(
    pages: Sequence[TrainPage], clf: BlockClassifier, cats: CategoryModel
) -> tuple[dict[str, float], dict[str, list[dict[str, Any]]]]:
    """Each group's overrule threshold (`types.OVERRULED_GROUPS`, in that order, each given the ones
    chosen before it): of `OVERRULE_THRESHOLDS`, the one with the best mean of the groups' validation
    block F1 (`VALIDATION_GROUPS`, as the classifier's thresholds are chosen) among those that lose
    on no group against not overruling; at equal F1 (4 decimals) the higher, which drops fewer
    blocks. Each trial also counts the group's labeled blocks kept per page."""
    decisions = [clf.decide(p.blocks) for p in pages]
    labels = [p.scored for p in pages]
    scored = ~np.isnan(kept_f1s(labels, [d.kept for d in decisions]))  # the pages with a labeled block
    masks = {g: m for g, fn in VALIDATION_GROUPS.items() if (m := np.array([bool(fn(p)) for p in pages]) & scored).any()}
    chosen: dict[str, float] = {}
    trials: dict[str, list[dict[str, Any]]] = {}
    for group in OVERRULED_GROUPS:
        rows_of: list[dict[str, Any]] = []
        for t in OVERRULE_THRESHOLDS:
            thresholds = chosen if t is None else {**chosen, group: t}
            kept = [cats.overrule(d.rows, d.kept, d.page_type, thresholds) for d in decisions]
            f1 = kept_f1s(labels, kept)
            of_group = np.array([sum(k and g == group for k, g in zip(ks, p.groups)) for ks, p in zip(kept, pages)])
            rows_of.append(
                {
                    "threshold": t,
                    "f1": {g: round(float(f1[m].mean()), 4) for g, m in masks.items()},
                    "kept_per_page": {g: round(float(of_group[m].mean()), 3) for g, m in masks.items()},
                }
            )
        off = rows_of[0]
        allowed = [r for r in rows_of if all(r["f1"][g] >= off["f1"][g] for g in masks)]
        best = max(allowed, key=lambda r: (round(float(np.mean(list(r["f1"].values()))), 4), r["threshold"] or 1.0))
        if best["threshold"] is not None:
            chosen[group] = best["threshold"]
        trials[group] = rows_of
    return chosen, trials


def overrule_table(trials: Sequence[dict[str, Any]]) -> str:
    rows = [
        ([str(r["threshold"] or "off")], r["f1"], [", ".join(f"{g} {r['kept_per_page'][g]}" for g in r["f1"])]) for r in trials
    ]
    return group_f1_table(["threshold"], rows, ["blocks of the group kept per page"])


def train(
    corpus: Any,
    page_formats: Sequence[str] = PAGE_FORMATS,
    folder: Path = MODEL_DIR,
    grid: Sequence[dict[str, Any] | None] = SECOND_GRID,
    log: Any = print,
    parts: Sequence[str] = TRAIN_PARTS,
) -> list[BlockClassifier | CategoryModel]:
    """Train on `train`, select on `validation`, save. The test split is not read. The text model
    sees every page rendered by every one of `render.RENDERERS`. `parts`: the classifier, the
    category model (for the page formats of `types.CATEGORY_MODEL_FORMATS`), or both
    (`types.TRAIN_PARTS`); the category model alone reads the classifier saved in `folder`; or
    ("decisions",) alone (`types.TRAIN_ONLY`): `choose_decisions` for the models saved in `folder`."""
    for page_format in page_formats:
        check_choice("page_format", page_format, PAGE_FORMATS)
    for part in parts:
        check_choice("part", part, TRAIN_ONLY)
    if "decisions" in parts:
        if len(parts) > 1:
            raise ValueError("the part 'decisions' is chosen alone: fitting a part chooses its decisions too")
        return choose_decisions(corpus, page_formats, folder, log)
    train_pages, val_pages = corpus.select(split="train"), corpus.select(split="validation")
    if "text" in page_formats and missing_renderers():
        raise ImportError(f"training the text model needs the renderers {missing_renderers()}: pip install 'boilerbench[all]'")
    train_labeled = load_labeled(corpus, train_pages)
    validation_labeled = load_labeled(corpus, val_pages)
    out: list[BlockClassifier | CategoryModel] = []
    for page_format in page_formats:
        categories = "categories" in parts and page_format in CATEGORY_MODEL_FORMATS
        if "categories" in parts and not categories:
            log(
                f"[{page_format}] no category model: its pages' groups are the rule-based categorizer's "
                "(types.CATEGORY_MODEL_FORMATS)"
            )
        if "classifier" not in parts and not categories:
            continue
        if page_format == "text":
            data = rendered_training_data(rendered(corpus, train_pages)), rendered_training_data(rendered(corpus, val_pages))
        else:
            data = training_data(train_labeled, page_format), training_data(validation_labeled, page_format)
        if "classifier" in parts:
            clf = fit_and_select(*data, page_format, grid, log)
            clf.info["dataset_revision"] = corpus.revision()
            path = clf.save(folder)
            log(
                f"[{page_format}] saved {path} ({path.stat().st_size / 1e6:.1f} MB), thresholds {clf.threshold} {clf.type_thresholds}"
            )
            out.append(clf)
        else:
            clf = load_model(page_format, folder)
        if categories:
            cats = fit_categories(*data, clf, log=log)
            cats.info["dataset_revision"] = corpus.revision()
            path = cats.save(folder)
            log(f"[{page_format}] saved {path} ({path.stat().st_size / 1e6:.1f} MB)")
            out.append(cats)
    return out


def choose_decisions(
    corpus: Any, page_formats: Sequence[str], folder: Path = MODEL_DIR, log: Any = print
) -> list[BlockClassifier | CategoryModel]:
    """`train --only decisions`: the decision rules of the models saved in `folder` chosen again on
    validation, as a fit chooses them (the classifier's item lists, for `types.ITEM_LIST_FORMATS`;
    then the category model's overrule thresholds, given those decisions), and only their records
    rewritten: the fitted files stay byte for byte, and so does the records' `dataset_revision` (what
    the models were fitted on; `decisions_dataset_revision`: what the decisions were chosen on). The
    train split is not read."""
    validation_labeled = load_labeled(corpus, corpus.select(split="validation"))
    out: list[BlockClassifier | CategoryModel] = []
    for page_format in page_formats:
        if page_format not in ITEM_LIST_FORMATS:
            log(
                f"[{page_format}] no decision to choose without a fit: its classifier keeps no whole items (types.ITEM_LIST_FORMATS)"
            )
            continue
        validation = training_data(validation_labeled, page_format)
        clf = set_item_lists(validation, load_model(page_format, folder), log)
        clf.info["decisions_dataset_revision"] = corpus.revision()  # `dataset_revision`: what it was fitted on
        log(f"[{page_format}] rewrote {clf.save_record(folder)}")
        out.append(clf)
        if page_format in CATEGORY_MODEL_FORMATS:
            cats = load_category_model(page_format, folder)
            set_overrule_thresholds(validation, clf, cats, log)
            cats.info["decisions_dataset_revision"] = corpus.revision()
            log(f"[{page_format}] rewrote {cats.save_record(folder)}")
            out.append(cats)
    return out
