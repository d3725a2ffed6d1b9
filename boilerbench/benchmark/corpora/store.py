"""The on-disk corpus format: what `annotations/` holds and what `import` writes.

    <root>/pages.jsonl            one `Page` per line (metadata, split, sha256 of the bytes, archive)
    <root>/html/<archive>.tar.xz  the raw page bytes, solid-compressed in shards of ≤ `SHARD_PAGES`
                                  pages; members are named `<page_id>.html` (or `.txt`)
    <root>/gold/<source>.jsonl.gz one `Gold` per line
    <root>/corrections/*.tsv      hand corrections of derived labels (see `labels`)
    <root>/markdown/<source>.jsonl.gz  a source's Markdown gold, `{"page_id", "markdown"}` a line,
                                  where the release has one (WCXB's train and validation pages): the
                                  structure check of `validate`, outside the `revision`, which hashes
                                  what the block labels and scores are made from

Archives and gold files are written once and never rewritten: corrections and derived labels live
in small files beside them. Solid xz shards are smaller than per-page gzip (similar pages compress
together), and a shard is small enough to decompress whole whenever one of its pages is read.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import lzma
import os
import tarfile
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from pathlib import Path

from ...core.types import PAGE_SPLITS, Gold, Page, check_choice
from .. import CHECKOUT

SHARD_PAGES = 200
MARKDOWN_DIR = "markdown"
SHARD_BYTES = 60_000_000


def default_root() -> Path:
    """The bundled ground truth: `$BOILERBENCH_ANNOTATIONS`, else `annotations/` of the checkout."""
    env = os.environ.get("BOILERBENCH_ANNOTATIONS")
    if env:
        return Path(env)
    return CHECKOUT / "annotations"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@lru_cache(maxsize=2)
def _read_archive(path: Path) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    with tarfile.open(path, "r:xz") as tar:
        for member in tar:
            f = tar.extractfile(member)
            if f is not None:
                out[member.name] = f.read()
    return out


@dataclass
class Corpus:
    """A corpus folder in the project's format: pages, their bytes and gold."""

    root: Path
    pages: list[Page] = field(default_factory=list)

    @classmethod
    def open(cls, root: str | Path | None = None) -> Corpus:
        root = Path(root) if root is not None else default_root()
        index = root / "pages.jsonl"
        if not index.is_file():
            raise FileNotFoundError(f"{root}: not a boilerbench corpus (no pages.jsonl)")
        with index.open(encoding="utf-8") as f:
            pages = [Page.from_json(json.loads(line)) for line in f if line.strip()]
        return cls(root=root, pages=pages)

    def select(self, split: str | None = None, source: str | None = None) -> list[Page]:
        """Pages of a split (one of `PAGE_SPLITS`; None = all) and/or source."""
        if split is not None:
            check_choice("split", split, PAGE_SPLITS)
        return [p for p in self.pages if (split is None or p.split == split) and (source is None or p.source == source)]

    def read(self, page: Page) -> bytes:
        data = _read_archive(self.root / "html" / f"{page.archive}.tar.xz")[_member(page)]
        if sha256(data) != page.sha256:
            raise ValueError(f"{page.page_id}: bytes do not match the recorded sha256")
        return data

    def iter_bytes(self, pages: Iterable[Page]) -> Iterator[tuple[Page, bytes]]:
        """Bytes of many pages, one archive at a time (each shard is decompressed once)."""
        by_archive: dict[str, list[Page]] = {}
        for p in pages:
            by_archive.setdefault(p.archive, []).append(p)
        for archive in sorted(by_archive):
            for p in by_archive[archive]:
                yield p, self.read(p)

    @cached_property
    def gold(self) -> dict[str, Gold]:
        gold: dict[str, Gold] = {}
        for path in sorted((self.root / "gold").glob("*.jsonl.gz")):
            with gzip.open(path, "rt", encoding="utf-8") as f:
                for line in f:
                    if line.strip():
                        g = Gold.from_json(json.loads(line))
                        gold[g.page_id] = g
        return gold

    @cached_property
    def markdown_gold(self) -> dict[str, str]:
        """Each page's Markdown gold, by page id, for the pages whose release has one."""
        out: dict[str, str] = {}
        for path in sorted((self.root / MARKDOWN_DIR).glob("*.jsonl.gz")):
            with gzip.open(path, "rt", encoding="utf-8") as f:
                out.update((d["page_id"], d["markdown"]) for d in map(json.loads, f) if d)
        return out

    def revision(self) -> str:
        """Hash of the ground truth (index, gold, corrections): every result file records it."""
        h = hashlib.sha256()
        files = [self.root / "pages.jsonl", *sorted((self.root / "gold").glob("*.jsonl.gz"))]
        files += sorted((self.root / "corrections").glob("*.tsv"))
        for path in files:
            h.update(path.name.encode())
            h.update(path.read_bytes())
        return h.hexdigest()[:12]


def _member(page: Page) -> str:
    return f"{page.page_id}.{'txt' if page.page_format == 'text' else 'html'}"


def write_corpus(root: Path, records: Iterable[tuple[Page, bytes, Gold]], shard_key: str = "") -> list[Page]:
    """Write pages (archived in shards), gold and the index. Refuses to overwrite an archive."""
    (root / "html").mkdir(parents=True, exist_ok=True)
    (root / "gold").mkdir(parents=True, exist_ok=True)
    groups: dict[str, list[tuple[Page, bytes, Gold]]] = {}
    for page, data, gold in records:
        group = f"{page.source}{'-' + shard_key if shard_key else ''}"
        groups.setdefault(page.archive or group, []).append((page, data, gold))
    written: list[Page] = []
    jobs: list[tuple[Path, list[tuple[str, bytes]]]] = []
    golds: dict[str, list[Gold]] = {}
    for group, items in sorted(groups.items()):
        items.sort(key=lambda r: r[0].page_id)
        shard: list[tuple[Page, bytes]] = []
        size = n = 0

        def close_shard(group: str) -> None:
            nonlocal shard, size, n
            if shard:
                name = f"{group}-{n:02d}"
                jobs.append((root / "html" / f"{name}.tar.xz", [(_member(p), d) for p, d in shard]))
                written.extend(replace(p, archive=name, sha256=sha256(d)) for p, d in shard)
                n += 1
            shard, size = [], 0

        for page, data, gold in items:
            if shard and (len(shard) >= SHARD_PAGES or size + len(data) > SHARD_BYTES):
                close_shard(group)
            shard.append((page, data))
            size += len(data)
            golds.setdefault(page.source, []).append(gold)
        close_shard(group)
    for path, _ in jobs:
        if path.exists():
            raise FileExistsError(f"{path} exists: page archives are written once")
    if jobs:
        with ProcessPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
            list(pool.map(_write_archive, *zip(*jobs)))
    for source, source_golds in golds.items():
        path = root / "gold" / f"{source}.jsonl.gz"
        if path.exists():
            raise FileExistsError(f"{path} exists: gold files are written once")
        buf = "".join(json.dumps(g.to_json(), ensure_ascii=False) + "\n" for g in source_golds)
        with gzip.GzipFile(path, "wb", mtime=0) as gz:
            gz.write(buf.encode("utf-8"))
    written.sort(key=lambda p: p.page_id)
    with (root / "pages.jsonl").open("w", encoding="utf-8") as f:
        for p in written:
            f.write(json.dumps(p.to_json(), ensure_ascii=False) + "\n")
    return written


def write_markdown_gold(root: Path, source: str, markdown: dict[str, str]) -> Path:
    """Write a source's Markdown gold (page id → Markdown), once, as the gold files are written."""
    path = root / MARKDOWN_DIR / f"{source}.jsonl.gz"
    if path.exists():
        raise FileExistsError(f"{path} exists: gold files are written once")
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = "".join(json.dumps({"page_id": k, "markdown": markdown[k]}, ensure_ascii=False) + "\n" for k in sorted(markdown))
    with gzip.GzipFile(path, "wb", mtime=0) as gz:
        gz.write(buf.encode("utf-8"))
    return path


def _write_archive(path: Path, members: list[tuple[str, bytes]]) -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 0
            info.mode = 0o444
            tar.addfile(info, io.BytesIO(data))
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(lzma.compress(buf.getvalue(), preset=9))
    tmp.replace(path)
