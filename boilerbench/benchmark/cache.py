"""A content-addressed cache for repeated work (labeled blocks, extractor outputs).

Keys are hashes of everything the value depends on (page bytes, gold, code versions), so a stale
entry is never read: changing an input changes the key. Values are JSON, never pickle. The store is
one SQLite file under `.cache/` (git-ignored), safe to delete at any time.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from . import CHECKOUT

T = TypeVar("T")


def cache_dir() -> Path:
    env = os.environ.get("BOILERBENCH_CACHE")
    return Path(env) if env else CHECKOUT / ".cache"


def key(*parts: str) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()


class Cache:
    """get/put JSON values by key in one table of one SQLite file."""

    def __init__(self, name: str, enabled: bool = True):
        self.enabled = enabled and os.environ.get("BOILERBENCH_NO_CACHE") != "1"
        self._db: sqlite3.Connection | None = None
        self.path = cache_dir() / f"{name}.sqlite"

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=60)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v BLOB)")
        return self._db

    def get(self, k: str) -> Any | None:
        if not self.enabled:
            return None
        row = self._conn().execute("SELECT v FROM kv WHERE k = ?", (k,)).fetchone()
        if row is None:
            return None
        try:
            return json.loads(gzip.decompress(row[0]))
        except (OSError, ValueError):
            return None  # a damaged entry is a miss, not a failure

    def lookup(
        self, keys: dict[str, list[str]], decode: Callable[[Any], T], read: bool = True
    ) -> tuple[dict[str, list[T | None]], dict[str, list[int]]]:
        """For each name's keys: the decoded values (None for a miss), and the indices of the
        misses, by name (names without one left out). `read=False`: every key is a miss (a
        run that recomputes everything, and still writes)."""

        def value(k: str) -> T | None:
            v = self.get(k) if read else None
            return None if v is None else decode(v)

        found = {name: [value(k) for k in ks] for name, ks in keys.items()}
        misses = {name: idx for name, vs in found.items() if (idx := [i for i, v in enumerate(vs) if v is None])}
        return found, misses

    def put_many(self, items: list[tuple[str, Any]]) -> None:
        if not self.enabled or not items:
            return
        rows = [(k, gzip.compress(json.dumps(v, ensure_ascii=False).encode("utf-8"), 3)) for k, v in items]
        db = self._conn()
        with db:
            db.executemany("INSERT OR REPLACE INTO kv VALUES (?, ?)", rows)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
