"""The content-addressed cache: what `runner` and `evaluate` read back before running anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from boilerbench.benchmark.cache import Cache, key


def test_lookup_decodes_hits_and_lists_misses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOILERBENCH_CACHE", str(tmp_path))
    monkeypatch.delenv("BOILERBENCH_NO_CACHE", raising=False)
    store = Cache("test")
    store.put_many([(key("a", "0"), {"n": 0}), (key("a", "2"), {"n": 2}), (key("b", "1"), {"n": 1})])
    keys = {"a": [key("a", str(i)) for i in range(3)], "b": [key("b", str(i)) for i in range(2)], "c": [key("b", "1")]}
    found, misses = store.lookup(keys, lambda v: v["n"])
    assert found == {"a": [0, None, 2], "b": [None, 1], "c": [1]}
    assert misses == {"a": [1], "b": [0]}  # "c" has none
    # read=False: a run that recomputes everything sees every key as a miss, and can still write
    found, misses = store.lookup(keys, lambda v: v["n"], read=False)
    assert misses == {"a": [0, 1, 2], "b": [0, 1], "c": [0]} and all(v is None for vs in found.values() for v in vs)
    store.put_many([(key("a", "1"), {"n": 1})])
    assert store.lookup({"a": keys["a"]}, lambda v: v["n"]) == ({"a": [0, 1, 2]}, {})
    store.close()
    assert (tmp_path / "test.sqlite").is_file()


def test_a_damaged_entry_is_a_miss(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOILERBENCH_CACHE", str(tmp_path))
    monkeypatch.delenv("BOILERBENCH_NO_CACHE", raising=False)
    store = Cache("test")
    k = key("x")
    store.put_many([(k, [1, 2])])
    with store._conn() as db:
        db.execute("UPDATE kv SET v = ? WHERE k = ?", (b"not gzip", k))
    assert store.lookup({"x": [k]}, list) == ({"x": [None]}, {"x": [0]})
    store.close()
