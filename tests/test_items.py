"""Whole repeated items (`items.ItemLists`) on real pages of the bundled corpus, and the rule's
place in the classifier's record and in `train`."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from boilerbench.benchmark.corpora.store import Corpus, write_corpus
from boilerbench.benchmark.groundtruth import load_labeled
from boilerbench.benchmark.scoring import block_scores
from boilerbench.benchmark.train import MIN_GAIN, MIN_ITEM_LIST_PAGES, choose_item_lists, decisions_on, training_data
from boilerbench.benchmark.train import train as train_models
from boilerbench.core.segment import segment_html
from boilerbench.core.types import PAGE_TYPES, LabeledPage
from boilerbench.extractor.classifier import (
    MODEL_DIR,
    BlockClassifier,
    CategoryModel,
    category_model_path,
    load_model,
    model_hash,
    model_path,
    shipped,
)
from boilerbench.extractor.extract import decide_blocks
from boilerbench.extractor.items import ItemLists, alikeness, inner_paths, item_lists, stripped_xpaths

SHOP = "wcxb-0659"  # a WCXB validation page of type collection: a shop's grid of 39 cups under a menu
GRID = "/html/body/div[4]/div/ul/li"  # its product grid ("Showing all 39 results")
MENU = "/html/body/div[2]/div[1]/ul/li"  # its top menu


@pytest.fixture(scope="module")
def shop() -> LabeledPage:
    corpus = Corpus.open()
    [page] = [p for p in corpus.select(split="validation", source="wcxb") if p.page_id == SHOP]
    [labeled] = load_labeled(corpus, [page], workers=1, progress=False, cache=False)
    return labeled


def _f1(labeled: LabeledPage, kept: list[bool]) -> float:
    s = block_scores([b.label for b in labeled.blocks], kept)
    assert s is not None
    return s["block_f1"]


def _unruled(clf: BlockClassifier) -> BlockClassifier:
    return replace(clf, item_lists=None)


def test_lists_read_from_the_xpaths(shop: LabeledPage) -> None:
    """The grid's 39 cards are one list of alike items; the menu is a list too."""
    blocks = [b.block for b in shop.blocks]
    lists = item_lists(blocks)
    items = lists[GRID]
    assert sorted(items) == list(range(1, 40))
    assert all(blocks[i].xpath.startswith(f"{GRID}[{k}]/") for k, idx in items.items() for i in idx)
    inner = inner_paths(stripped_xpaths(blocks), GRID, items)
    assert inner[0][:3] == ["/a/h2", "/a/h2", "/a/div/div"] and alikeness(inner) >= 0.9
    assert MENU in lists and len(lists[MENU]) == 7
    # the page's outer sections are a list too, of items that are not alike
    assert alikeness(inner_paths(stripped_xpaths(blocks), "/html/body/div", lists["/html/body/div"])) < 0.5


def test_whole_cards_kept_on_a_collection_page(shop: LabeledPage) -> None:
    """The classifier keeps each card's title and drops its price and colours; the rule keeps the
    cards whole (the page's F1 from 0.24 to above 0.9), and the menu, none of whose items is kept,
    stays dropped. On another page type the rule changes nothing."""
    blocks = [b.block for b in shop.blocks]
    d = _unruled(shipped("html")).decide(blocks)
    assert d.page_type == "collection"
    items = item_lists(blocks)[GRID]
    cards = sorted(i for idx in items.values() for i in idx)
    price = next(i for i in cards if "$" in blocks[i].text)
    assert any(d.kept[i] for i in cards) and not d.kept[price]
    rule = ItemLists(("collection",), 0.3)
    kept = rule.apply(blocks, d.kept, d.page_type)
    assert all(kept[i] for i in cards)
    assert [k for i, k in enumerate(kept) if i not in set(cards)] == [k for i, k in enumerate(d.kept) if i not in set(cards)]
    assert not any(kept[i] for idx in item_lists(blocks)[MENU].values() for i in idx)
    assert _f1(shop, d.kept) < 0.3 and _f1(shop, kept) > 0.9
    assert ItemLists(("listing",), 0.3).apply(blocks, d.kept, d.page_type) == d.kept
    assert ItemLists(("collection",), 0.3).apply(blocks, d.kept, "article") == d.kept
    # a list is kept whole only where enough of its items hold a kept block: every card's title
    # is kept; with only 10 of the 39 cards' (26%), 30% are too few and 20% enough
    fewer = list(d.kept)
    for k, idx in items.items():
        if k > 10:
            for i in idx:
                fewer[i] = False
    assert rule.apply(blocks, fewer, d.page_type) == fewer
    assert all(ItemLists(("collection",), 0.2).apply(blocks, fewer, d.page_type)[i] for i in cards)


def test_the_shipped_record_decides(shop: LabeledPage, jefftk) -> None:
    """The shipped classifier applies the item lists its record holds, through `decide_blocks`
    too; the record holds the trial that `train` chose, which gained on validation and lost on no group."""
    clf = shipped("html")
    meta = json.loads(model_path("html").with_suffix(".json").read_text(encoding="utf-8"))
    assert (clf.item_lists is None) == (meta.get("item_lists") is None)
    for blocks in ([b.block for b in shop.blocks], segment_html(jefftk.data)):
        d, bare = clf.decide(blocks), _unruled(clf).decide(blocks)
        expected = bare.kept if clf.item_lists is None else clf.item_lists.apply(blocks, bare.kept, bare.page_type)
        assert d.kept == expected
        assert decide_blocks(blocks, "html").classifier_kept == [k and not c for k, c in zip(d.kept, _overruled(blocks, d))]
    if clf.item_lists is not None:
        trials = meta["item_list_trials"]
        off = trials[0]["f1"]
        [chosen] = [t for t in trials if t["item_lists"] == clf.item_lists.to_json()]
        assert all(chosen["f1"][g] >= off[g] for g in off)
        assert np.mean(list(chosen["f1"].values())) >= np.mean(list(off.values())) + MIN_GAIN - 1e-4  # rounded to 4 places


def _overruled(blocks, d) -> list[bool]:
    from boilerbench.extractor.classifier import shipped_categories

    cats = shipped_categories("html")
    return [not k for k in cats.overrule(d.rows, [True] * len(blocks), d.page_type, cats.overrule_thresholds)]


def test_record_round_trip_and_hash(tmp_path: Path) -> None:
    """The rule goes into the record and comes back with the model; it decides, so it is part of
    the models' version (`model_hash`); an unknown page type is refused."""
    for name in ("boilerbench-html", "boilerbench-text", "boilerbench-html-categories"):
        for suffix in (".skops", ".json"):
            shutil.copyfile(MODEL_DIR / f"{name}{suffix}", tmp_path / f"{name}{suffix}")
    before = model_hash(tmp_path)
    clf = load_model("html", folder=tmp_path)
    rule = ItemLists(("collection", "listing"), 0.5)
    skops = model_path("html", tmp_path).read_bytes()
    replace(clf, item_lists=rule).save_record(tmp_path)
    assert model_path("html", tmp_path).read_bytes() == skops
    assert load_model("html", folder=tmp_path).item_lists == rule
    assert ItemLists.from_json(rule.to_json()) == rule
    assert model_hash(tmp_path) != before
    replace(clf, item_lists=None).save_record(tmp_path)
    assert load_model("html", folder=tmp_path).item_lists is None
    with pytest.raises(ValueError, match="page type must be one of"):
        ItemLists(("catalogue",), 0.5)
    assert set(PAGE_TYPES) >= {"collection", "listing"}


@pytest.mark.slow
def test_choose_item_lists_on_real_pages(shop: LabeledPage) -> None:
    """On validation pages with the shop among them, a rule is chosen only when it gains
    `MIN_GAIN` and loses on no group; every trial is routed to its types' pages only."""
    corpus = Corpus.open()
    pages = [p for p in corpus.select(split="validation") if p.page_id != SHOP][::6]
    labeled = [*load_labeled(corpus, pages, workers=1, progress=False), shop]
    validation = training_data(labeled, "html")
    kept, types = decisions_on(validation, shipped("html"))
    rule, trials = choose_item_lists(validation, kept, types)
    off = trials[0]["f1"]
    assert trials[0]["item_lists"] is None and len(trials) > 1
    for t in trials[1:]:
        assert t["pages"] == sum(pt in t["item_lists"]["types"] for pt in types)
    if rule is not None:
        [chosen] = [t for t in trials if t["item_lists"] == rule.to_json()]
        assert all(chosen["f1"][g] >= off[g] for g in off)
        assert np.mean(list(chosen["f1"].values())) >= np.mean(list(off.values())) + MIN_GAIN - 1e-4
    else:
        assert all(
            np.mean(list(t["f1"].values())) < np.mean(list(off.values())) + MIN_GAIN or any(t["f1"][g] < off[g] for g in off)
            for t in trials[1:]
        )


@pytest.mark.slow
def test_train_only_decisions_rewrites_records_only(tmp_path: Path) -> None:
    """`train --only decisions`: the saved models' fitted files stay byte for byte, their records
    get the item-list and overrule choices, and the train split is not read."""
    bundled = Corpus.open()
    pages = [p for p in bundled.select(split="validation", source="wcxb") if p.page_id == SHOP]
    pages += bundled.select(split="validation", source="wcxb")[:8] + bundled.select(split="test", source="wcxb")[:1]
    write_corpus(tmp_path / "corpus", [(replace(p, archive=""), bundled.read(p), bundled.gold[p.page_id]) for p in pages])
    folder = tmp_path / "models"
    folder.mkdir()
    for name in ("boilerbench-html", "boilerbench-html-categories"):
        for suffix in (".skops", ".json"):
            shutil.copyfile(MODEL_DIR / f"{name}{suffix}", folder / f"{name}{suffix}")
    skops = {p.name: p.read_bytes() for p in folder.glob("*.skops")}
    logged: list[str] = []
    clf, cats = train_models(
        Corpus.open(tmp_path / "corpus"), page_formats=["html"], folder=folder, log=logged.append, parts=("decisions",)
    )
    assert isinstance(clf, BlockClassifier) and isinstance(cats, CategoryModel)
    assert {p.name: p.read_bytes() for p in folder.glob("*.skops")} == skops
    record = json.loads(model_path("html", folder).with_suffix(".json").read_text(encoding="utf-8"))
    assert record["item_lists"] == (None if clf.item_lists is None else clf.item_lists.to_json())
    assert any("whole repeated items" in line for line in logged)
    # too few pages of any routed type here: nothing is tried (`MIN_ITEM_LIST_PAGES`), nothing chosen
    small = Corpus.open(tmp_path / "corpus")
    validation = training_data(load_labeled(small, small.select(split="validation"), progress=False, workers=1), "html")
    _, types = decisions_on(validation, shipped("html"))
    assert 0 < types.count("collection") < MIN_ITEM_LIST_PAGES
    assert [t["item_lists"] for t in record["item_list_trials"]] == [None] and clf.item_lists is None
    assert load_model("html", folder=folder).item_lists == clf.item_lists
    categories = json.loads(category_model_path("html", folder).with_suffix(".json").read_text(encoding="utf-8"))
    assert categories["overrule_trials"] and categories["overrule_thresholds"] == cats.overrule_thresholds
    with pytest.raises(ValueError, match="chosen alone"):
        train_models(Corpus.open(tmp_path / "corpus"), page_formats=["html"], folder=folder, parts=("classifier", "decisions"))
