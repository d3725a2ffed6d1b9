"""Repeated item lists: on a collection or listing page the content is a grid of alike items (a
product card, a search hit, a catalogue row), and the classifier keeps an item's title but drops
the rest of it (a price, colour swatches, a one-line summary: short blocks that read like a
menu's). Where most items of a list of alike items hold a kept block, `ItemLists.apply` keeps every
block of every item: one decision over the classifier's, taken on the page types `train` chose it
for on validation (rs-trafilatura extracts listing pages by type in the same spirit).

A list is read from the blocks' xpaths: the blocks under `…/li[1]`, `…/li[2]`, … are the items of
the list `…/li`, at every depth at which a step is indexed (lxml indexes a step when its parent has
siblings of the same tag)."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..core.types import PAGE_TYPES, Block, check_choice

_INDEX = re.compile(r"\[(\d+)\]")


@dataclass(frozen=True)
class ItemLists:
    """Keep whole items of repeated item lists on pages predicted one of `types`: a list of at
    least `min_items` items is kept whole when at least `items_kept` of its items hold a block the
    classifier keeps and its items are alike (on average at least `alike` of an item's inner paths,
    indices left out, are ones that half the items have: cards, not a page's sections)."""

    types: tuple[str, ...]
    items_kept: float
    alike: float = 0.5
    min_items: int = 3

    def __post_init__(self) -> None:
        for t in self.types:
            check_choice("page type", t, PAGE_TYPES)

    def to_json(self) -> dict[str, Any]:
        return {"types": list(self.types), "items_kept": self.items_kept, "alike": self.alike, "min_items": self.min_items}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> ItemLists:
        return cls(tuple(d["types"]), float(d["items_kept"]), float(d["alike"]), int(d["min_items"]))

    def apply(self, blocks: Sequence[Block], kept: Sequence[bool], page_type: str | None) -> list[bool]:
        """`kept`, with every block of the items of each list that qualifies kept too, on a page of
        one of `types`; else `kept` as it is."""
        out = list(kept)
        if page_type not in self.types or not any(kept):
            return out
        stripped: list[str] | None = None  # each block's xpath, indices left out: read once, when needed
        for path, items in item_lists(blocks).items():
            if len(items) < self.min_items:
                continue
            if sum(any(kept[i] for i in idx) for idx in items.values()) < self.items_kept * len(items):
                continue
            if stripped is None:
                stripped = stripped_xpaths(blocks)
            if alikeness(inner_paths(stripped, path, items)) < self.alike:
                continue
            for idx in items.values():
                for i in idx:
                    out[i] = True
        return out


def item_lists(blocks: Sequence[Block]) -> dict[str, dict[int, list[int]]]:
    """Every list a page's xpaths show: the list's path (its parent's path and the items' tag,
    e.g. `/html/body/ul/li`) → item index → the positions in `blocks` of the blocks under that item."""
    lists: dict[str, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    above: dict[str, list[tuple[str, int]]] = {}  # a parent's indexed steps, read once for its children
    for position, b in enumerate(blocks):
        parent, _, own = b.xpath.rpartition("/")
        steps = above.get(parent)
        if steps is None:
            steps = above[parent] = [(parent[: m.start()], int(m.group(1))) for m in _INDEX.finditer(parent)]
        for path, item in steps:
            lists[path][item].append(position)
        if (m := _INDEX.search(own)) is not None:
            lists[f"{parent}/{own[: m.start()]}"][int(m.group(1))].append(position)
    return lists


def stripped_xpaths(blocks: Sequence[Block]) -> list[str]:
    """Each block's xpath with its indices left out (`/html/body/div/ul/li/a`)."""
    return [_INDEX.sub("", b.xpath) for b in blocks]


def inner_paths(stripped: Sequence[str], path: str, items: dict[int, list[int]]) -> list[list[str]]:
    """Per item of the list at `path` (`item_lists`), its blocks' paths below the item, indices left
    out (`stripped`: the page's `stripped_xpaths`; an xpath is the list's path, the item's index,
    then the inner steps)."""
    below = len(_INDEX.sub("", path))
    return [[stripped[i][below:] for i in idx] for idx in items.values()]


def alikeness(items: Sequence[Sequence[str]]) -> float:
    """How alike the items of a list are, given each item's blocks' `inner_paths`: the mean, over
    items, of the share of an item's inner paths that at least half the items have."""
    shapes = [set(paths) for paths in items]
    counts = Counter(path for shape in shapes for path in shape)
    typical = {path for path, n in counts.items() if 2 * n >= len(shapes)}
    return sum(len(shape & typical) / len(shape) for shape in shapes) / len(shapes) if shapes else 0.0
