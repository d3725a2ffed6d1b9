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

_STEP = re.compile(r"([^\[/]+)\[(\d+)\]$")
_INDEX = re.compile(r"\[\d+\]")


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
        for items, depth in item_lists(blocks).values():
            if len(items) < self.min_items:
                continue
            if sum(any(kept[i] for i in idx) for idx in items.values()) < self.items_kept * len(items):
                continue
            if alikeness([[blocks[i].xpath for i in idx] for idx in items.values()], depth) < self.alike:
                continue
            for idx in items.values():
                for i in idx:
                    out[i] = True
        return out


def item_lists(blocks: Sequence[Block]) -> dict[str, tuple[dict[int, list[int]], int]]:
    """Every list a page's xpaths show: the list's path (its parent's path and the items' tag) →
    (item index → the positions in `blocks` of the blocks under that item, and the number of steps down to the
    item)."""
    lists: dict[str, tuple[dict[int, list[int]], int]] = {}
    for position, b in enumerate(blocks):
        steps = b.xpath.strip("/").split("/")
        for depth, step in enumerate(steps, 1):
            m = _STEP.match(step)
            if m is None:
                continue
            key = "/".join(steps[: depth - 1]) + "/" + m.group(1)
            if key not in lists:
                lists[key] = (defaultdict(list), depth)
            lists[key][0][int(m.group(2))].append(position)
    return lists


def alikeness(items: Sequence[Sequence[str]], depth: int) -> float:
    """How alike the items of a list are (their blocks' xpaths, `depth` steps down to the item):
    the mean, over items, of the share of an item's inner paths (indices left out) that at least
    half the items have."""
    shapes = [{_INDEX.sub("", "/".join(x.strip("/").split("/")[depth:])) for x in xpaths} for xpaths in items]
    counts = Counter(path for shape in shapes for path in shape)
    typical = {path for path, n in counts.items() if 2 * n >= len(shapes)}
    return sum(len(shape & typical) / len(shape) for shape in shapes) / len(shapes) if shapes else 0.0
