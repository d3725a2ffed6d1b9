"""One-time import of the public releases into `annotations/`: ids, domains, splits, languages.

Splits, all by *site* (registrable domain, hashed), so a site never straddles two splits:

* WCXB test and Scrapinghub pages are `test`, whole.
* trafilatura-eval is split by site into train / validation / test (`SITE_SPLIT_SHARES`, about
  40/20/40): it is the only news-heavy corpus with a part to train on. A site of it that has a page
  in another corpus's test split, or that a test page of unknown site names, is `test`; a page
  whose site is unknown is `test` too.
* WCXB dev pages go to `train` or `validation` (≈85/15); a dev page whose site trafilatura-eval
  already holds follows that site's split. A dev page whose site has any test page, or is
  unknown, is `excluded` (kept in the archive, never trained on), so no test site leaks into
  training.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

from tqdm import tqdm

from ...core.segment import SegmentError, segment
from ...core.types import SPLITS, Gold, Page
from .releases import LICENSES, READERS, RawPage, read_wcxb_markdown
from .store import Corpus, write_corpus, write_markdown_gold

VALIDATION_SHARE = 0.15
# Sources split by site into train / validation / test: (split, share) in bucket order.
SITE_SPLIT_SHARES: dict[str, tuple[tuple[str, float], ...]] = {
    "trafilatura-eval": (("train", 0.4), ("validation", 0.2), ("test", 0.4)),
}
_ID_PREFIX = {"wcxb": "wcxb", "scrapinghub": "scrapinghub", "trafilatura-eval": "trafeval"}
# Second-level labels under which registrations happen one level deeper (example.co.uk).
_SECOND_LEVEL = {"co", "com", "org", "net", "ac", "gov", "edu", "ne", "or", "go", "gob", "nic", "ltd", "plc"}


def host(url: str) -> str:
    """Lower-cased host of a URL without `www.` and port."""
    netloc = urlsplit(url).netloc.lower().rsplit("@", 1)[-1].split(":")[0]
    return netloc[4:] if netloc.startswith("www.") else netloc


_CANONICAL_RE = re.compile(
    rb"""<link[^>]+rel=["']canonical["'][^>]+href=["'](https?://[^"']+)|"""
    rb"""<meta[^>]+property=["']og:url["'][^>]+content=["'](https?://[^"']+)""",
    re.I,
)


def page_url(url: str, data: bytes) -> str:
    """The page's URL: the given one when it is an http(s) URL, else the page's canonical / og:url
    (some trafilatura-eval keys are labels like 'hard::name.html', some WCXB pages have none)."""
    if url.startswith(("http://", "https://")):
        return url
    m = _CANONICAL_RE.search(data[:500_000])
    return (m.group(1) or m.group(2)).decode("utf-8", "replace") if m else ""


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
    import py3langid  # ~0.2 s (it loads its model): only pages without a language need it

    return py3langid.classify(text[:20_000])[0]


# Hand corrections of detected languages, beside the index (`page_id`, `language`, `note`; `#` starts
# a comment line): where py3langid is wrong (a page mixing languages, a language it does not know).
# `reindex` writes them into `pages.jsonl`, which every reader of a page's language reads.
LANGUAGES_FILE = "languages.tsv"
LANGUAGE_FIELDS = ("page_id", "language", "note")
_LANGUAGE_RE = re.compile(r"[a-z]{2,3}")  # ISO 639-1, or 639-3 for a language 639-1 has no code for


def load_languages(root: Path) -> dict[str, str]:
    """page id → corrected language, from `<root>/languages.tsv` (none: empty). Errors name the line."""
    path = root / LANGUAGES_FILE
    if not path.is_file():
        return {}
    rows = [
        (n, line) for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if line.strip() and line[0] != "#"
    ]
    if not rows or tuple(rows[0][1].split("\t")) != LANGUAGE_FIELDS:
        raise ValueError(f"{path.name}:{rows[0][0] if rows else 1}: header must be {' '.join(LANGUAGE_FIELDS)} (tab-separated)")
    out: dict[str, str] = {}
    for n, line in rows[1:]:
        cells = line.split("\t")
        if len(cells) != len(LANGUAGE_FIELDS):
            raise ValueError(f"{path.name}:{n}: {len(cells)} columns, expected {len(LANGUAGE_FIELDS)}")
        page_id, language = cells[0].strip(), cells[1].strip()
        if not _LANGUAGE_RE.fullmatch(language):
            raise ValueError(f"{path.name}:{n}: language {language!r} is not an ISO 639 code (two or three lower-case letters)")
        if page_id in out:
            raise ValueError(f"{path.name}:{n}: {page_id} is corrected twice")
        out[page_id] = language
    return out


def _page_text(raw: RawPage) -> str:
    if raw.gold.text:
        return raw.gold.text
    try:
        blocks = segment(raw.data)
    except SegmentError:
        return ""
    long = [b.text for b in blocks if b.words >= 8] or [b.text for b in blocks]
    return "\n".join(long + list(raw.gold.with_snippets))


def _site_split(source: str, s: str) -> str:
    """The split of a site-split source's site, by the site's hash (a salt per source, so its
    buckets are independent of WCXB's train/validation ones)."""
    b, edge = _bucket(f"{source}:{s}"), 0.0
    for split, share in SITE_SPLIT_SHARES[source]:
        edge += share
        if b < edge:
            return split
    return SITE_SPLIT_SHARES[source][-1][0]


def assign_splits(
    sources: list[str], source_splits: list[str], domains: list[str], hints: list[str] | None = None
) -> tuple[list[str], Counter[str]]:
    """Benchmark split of each page, and counts of what was excluded.

    `source_splits`: the release's own split (`test`, or `dev` for WCXB's dev folder). Pages of a
    `SITE_SPLIT_SHARES` source are split by site, except that a site with a test page elsewhere, or
    no known site, stays `test`. A training page is excluded when its site has a test page, when
    its site is unknown (it cannot be checked), or when its site is named in the file name
    (`hints`) of a test page whose site is unknown (trafilatura-eval names files like
    `blog.python.org.html`).
    """
    sites = [site(d) for d in domains]
    hints = hints or [""] * len(sites)
    fixed_test = {s for src, s, sp in zip(sources, sites, source_splits) if sp == "test" and s and src not in SITE_SPLIT_SHARES}
    blind = [h.lower() for s, sp, h in zip(sites, source_splits, hints) if sp == "test" and not s and h]
    first: list[str] = []  # the split of each page before exclusions
    for src, sp, s in zip(sources, source_splits, sites):
        if src in SITE_SPLIT_SHARES:
            stays = not s or s in fixed_test or any(s in h for h in blind)
            first.append("test" if stays else _site_split(src, s))
        else:
            first.append("test" if sp == "test" else "dev")
    test_sites = {s for s, sp in zip(sites, first) if sp == "test" and s}
    site_split = {s: sp for s, sp in zip(sites, first) if sp in ("train", "validation")}
    splits: list[str] = []
    excluded: Counter[str] = Counter()
    for src, sp, s in zip(sources, first, sites):
        if sp == "test":
            splits.append("test")
        elif not s or s in test_sites or any(s in h for h in blind):
            splits.append("excluded")
            excluded[src] += 1
        elif s in site_split:
            splits.append(site_split[s])
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
    urls = [page_url(r.url, r.data) for r in raws]
    domains = [(r.domain or host(u)).lower() for r, u in zip(raws, urls)]
    splits, excluded = assign_splits(
        [r.source for r in raws], [r.source_split for r in raws], domains, [r.source_id for r in raws]
    )
    counters: Counter[str] = Counter()
    records: list[tuple[Page, bytes, Gold]] = []
    for raw, split, url, domain in zip(tqdm(raws, desc="languages", unit="page"), splits, urls, domains):
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
            url=url,
            domain=domain,
            license=LICENSES[raw.source],
            page_type=raw.page_type,
            language=detect_language(_page_text(raw)),
            split=split,
            sha256="",
            archive=f"{raw.source}-{'dev' if raw.source_split == 'dev' else 'test'}",
        )
        records.append((page, raw.data, replace(raw.gold, page_id=page_id)))
    pages = write_corpus(out, records)
    if "wcxb" in sources:
        import_markdown_gold(shared, out)
    print(f"imported {len(pages)} pages into {out}; excluded from training (domain in test): {dict(excluded)}")
    return pages


def import_markdown_gold(shared: Path, root: Path) -> Path:
    """Write WCXB's Markdown gold beside an imported corpus, for its train and validation pages (the
    excluded ones are never read; test pages have none)."""
    markdown = read_wcxb_markdown(shared / READERS["wcxb"][0])
    pages = Corpus.open(root).select(source="wcxb")
    return write_markdown_gold(
        root, "wcxb", {p.page_id: markdown[p.source_id] for p in pages if p.split in SPLITS and p.source_id in markdown}
    )


def reindex(root: Path) -> None:
    """Recompute URLs, domains and splits of an imported corpus exactly as `import_releases` does,
    write the hand-corrected languages (`languages.tsv`) over the detected ones, and rewrite its
    small index (`pages.jsonl`); archives and gold are untouched."""
    corpus = Corpus.open(root)
    languages = load_languages(root)
    unknown = sorted(languages.keys() - {p.page_id for p in corpus.pages})
    if unknown:
        raise ValueError(f"{root / LANGUAGES_FILE}: unknown page id(s) {', '.join(unknown)}")
    data = dict((p.page_id, d) for p, d in corpus.iter_bytes(corpus.pages))
    pages = corpus.pages
    urls = [page_url(p.url, data[p.page_id]) for p in pages]
    domains = [(p.domain or host(u)).lower() for p, u in zip(pages, urls)]
    source_splits = ["dev" if p.archive.startswith("wcxb-dev") else "test" for p in pages]
    splits, excluded = assign_splits([p.source for p in pages], source_splits, domains, [p.source_id for p in pages])
    new = [
        replace(p, url=u, domain=d, split=s, language=languages.get(p.page_id, p.language))
        for p, u, d, s in zip(pages, urls, domains, splits)
    ]
    with (root / "pages.jsonl").open("w", encoding="utf-8") as f:
        for p in new:
            f.write(json.dumps(p.to_json(), ensure_ascii=False) + "\n")
    changed = sum(a != b for a, b in zip(pages, new))
    print(f"reindexed {len(new)} pages ({changed} changed); excluded from training: {dict(excluded)}")
