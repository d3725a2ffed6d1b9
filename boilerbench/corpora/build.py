"""One-time import of the public releases into `annotations/`: ids, domains, splits, languages.

Splits: WCXB test, Scrapinghub and trafilatura-eval pages are `test`. WCXB dev pages go to `train`
or `validation` by a hash of their *site* (≈85/15), so a site never straddles the two; a dev page
whose site has any test page is `excluded` (kept in the archive, never trained on), so no test
domain leaks into training.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

from tqdm import tqdm

from ..segment import SegmentError, segment
from ..types import Gold, Page
from .releases import LICENSES, READERS, RawPage
from .store import write_corpus

VALIDATION_SHARE = 0.15
_ID_PREFIX = {"wcxb": "wcxb", "scrapinghub": "scrapinghub", "trafilatura-eval": "trafeval"}
# Second-level labels under which registrations happen one level deeper (example.co.uk).
_SECOND_LEVEL = {"co", "com", "org", "net", "ac", "gov", "edu", "ne", "or", "go", "gob", "nic", "ltd", "plc"}


def host(url: str) -> str:
    """Lower-cased host of a URL without `www.` and port."""
    netloc = urlsplit(url).netloc.lower().rsplit("@", 1)[-1].split(":")[0]
    return netloc[4:] if netloc.startswith("www.") else netloc


def site(domain: str) -> str:
    """Registrable part of a host (`blog.example.co.uk` → `example.co.uk`): the unit of split leakage."""
    labels = [x for x in domain.lower().strip(".").split(".") if x]
    if labels and labels[0] == "www":
        labels = labels[1:]
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def _bucket(key: str) -> float:
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF


def detect_language(text: str) -> str:
    """ISO 639-1 code from py3langid (offline); "und" when there is too little text."""
    text = text.strip()
    if len(text) < 20:
        return "und"
    import py3langid

    return py3langid.classify(text[:20_000])[0]


def _page_text(raw: RawPage) -> str:
    if raw.gold.text:
        return raw.gold.text
    try:
        blocks = segment(raw.data)
    except SegmentError:
        return ""
    long = [b.text for b in blocks if b.words >= 8] or [b.text for b in blocks]
    return "\n".join(long + list(raw.gold.with_snippets))


def assign_splits(raws: list[RawPage]) -> tuple[list[str], Counter[str]]:
    """Benchmark split of each raw page, and counts of what was excluded."""
    sites = [site(r.domain or host(r.url)) for r in raws]
    test_sites = {s for r, s in zip(raws, sites) if r.source_split == "test"}
    splits: list[str] = []
    excluded: Counter[str] = Counter()
    for r, s in zip(raws, sites):
        if r.source_split == "test":
            splits.append("test")
        elif s in test_sites:
            splits.append("excluded")
            excluded[r.source] += 1
        else:
            splits.append("validation" if _bucket(s) < VALIDATION_SHARE else "train")
    return splits, excluded


def import_releases(shared: Path, out: Path, sources: Iterable[str] = tuple(READERS), limit: int | None = None) -> list[Page]:
    """Read the releases under `shared` and write the corpus to `out` (once; archives are immutable)."""
    raws: list[RawPage] = []
    for name in sources:
        folder, reader = READERS[name]
        for k, raw in enumerate(tqdm(reader(shared / folder), desc=f"read {name}", unit="page")):
            if limit is not None and k >= limit:
                break
            raws.append(raw)
    splits, excluded = assign_splits(raws)
    counters: Counter[str] = Counter()
    records: list[tuple[Page, bytes, Gold]] = []
    for raw, split in zip(tqdm(raws, desc="languages", unit="page"), splits):
        if raw.source == "wcxb":
            page_id = f"wcxb-{raw.source_id}"
        elif raw.source == "scrapinghub":
            page_id = f"scrapinghub-{raw.source_id[:10]}"
        else:
            counters[raw.source] += 1
            page_id = f"{_ID_PREFIX[raw.source]}-{counters[raw.source]:04d}"
        page = Page(
            page_id=page_id,
            source=raw.source,
            source_id=raw.source_id,
            url=raw.url,
            domain=(raw.domain or host(raw.url)).lower(),
            license=LICENSES[raw.source],
            page_type=raw.page_type,
            language=detect_language(_page_text(raw)),
            split=split,
            sha256="",
            archive=f"{raw.source}-{'dev' if raw.source_split == 'dev' else 'test'}",
        )
        records.append((page, raw.data, replace(raw.gold, page_id=page_id)))
    pages = write_corpus(out, records)
    print(f"imported {len(pages)} pages into {out}; excluded from training (domain in test): {dict(excluded)}")
    return pages


_SAFE_NAME_RE = re.compile(r"[^A-Za-z0-9_.-]+")


def safe_name(name: str) -> str:
    """A corpus/source name usable in file names."""
    return _SAFE_NAME_RE.sub("-", name).strip("-") or "corpus"
