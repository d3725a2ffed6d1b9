"""Readers of the public releases in `../shared/corpora/`, used once by `import-releases`.

Each reader yields `RawPage`s with the source's own split; `build.import_releases` decides the
benchmark splits. Facts from `DATA-NOTES.md` handled here: WCXB `dev/` repeats 139 test pages
(`metadata.json` decides the split), some WCXB gold files have no URL, trafilatura-eval pages sit
in `eval/` or `cache/` with non-ASCII names.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ...core.types import Gold

LICENSES = {
    "wcxb": "CC-BY-4.0",
    "scrapinghub": "MIT",
    "trafilatura-eval": "Apache-2.0",
}
ATTRIBUTION = {
    "wcxb": "WCXB v1.0, Murrough Foley (2026), https://github.com/murroughfoley/wcx — CC-BY-4.0",
    "scrapinghub": "article-extraction-benchmark, Scrapinghub (2020) — MIT",
    "trafilatura-eval": "trafilatura evaluation data, Adrien Barbaresi — Apache-2.0 repository of third-party pages",
}


@dataclass(frozen=True)
class RawPage:
    source: str
    source_id: str
    source_split: str
    url: str
    domain: str
    page_type: str | None
    data: bytes
    gold: Gold  # page_id filled in by the import


def read_wcxb(root: Path) -> Iterator[RawPage]:
    meta = json.loads((root / "metadata.json").read_text(encoding="utf-8"))["files"]
    for file_id in sorted(meta):
        info = meta[file_id]
        folder = root / ("test" if info["split"] == "test" else "dev")
        gt = json.loads((folder / "ground-truth" / f"{file_id}.json").read_text(encoding="utf-8"))
        g = gt["ground_truth"]
        yield RawPage(
            source="wcxb",
            source_id=file_id,
            source_split=info["split"],
            url=gt.get("url") or "",
            domain=info["domain"],
            page_type=info.get("page_type"),
            data=gzip.decompress((folder / "html" / f"{file_id}.html.gz").read_bytes()),
            gold=Gold(
                page_id="",
                text=g.get("main_content") or "",
                with_snippets=tuple(g.get("with") or ()),
                without_snippets=tuple(g.get("without") or ()),
                title=g.get("title"),
            ),
        )


def read_wcxb_markdown(root: Path) -> dict[str, str]:
    """WCXB's Markdown gold by file id: `main_content_markdown`, which only the dev files carry (not
    in WCXB's README; `DATA-NOTES.md`). It marks headings, lists, tables, code and links, so it checks
    the blocks' structure (issue 27) against a gold nobody derived from this project's segmenter."""
    meta = json.loads((root / "metadata.json").read_text(encoding="utf-8"))["files"]
    out: dict[str, str] = {}
    for file_id in sorted(meta):
        if meta[file_id]["split"] == "test":
            continue
        gt = json.loads((root / "dev" / "ground-truth" / f"{file_id}.json").read_text(encoding="utf-8"))
        if markdown := gt["ground_truth"].get("main_content_markdown"):
            out[file_id] = markdown
    return out


def read_scrapinghub(root: Path) -> Iterator[RawPage]:
    gt = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    for key in sorted(gt):
        item = gt[key]
        yield RawPage(
            source="scrapinghub",
            source_id=key,
            source_split="test",
            url=item.get("url") or "",
            domain="",
            page_type="article",
            data=gzip.decompress((root / "html" / f"{key}.html.gz").read_bytes()),
            gold=Gold(page_id="", text=item.get("articleBody") or "", title=item.get("headline")),
        )


def read_trafilatura_eval(root: Path) -> Iterator[RawPage]:
    data = json.loads((root / "evaldata.json").read_text(encoding="utf-8"))
    for url in sorted(data):
        item = data[url]
        path = next(
            (p for p in (root / "eval" / f"{item['file']}.gz", root / "cache" / f"{item['file']}.gz") if p.exists()),
            None,
        )
        if path is None:
            raise FileNotFoundError(f"trafilatura-eval: {item['file']} (for {url}) is in neither eval/ nor cache/")
        yield RawPage(
            source="trafilatura-eval",
            source_id=item["file"],
            source_split="test",
            url=url,
            domain="",
            page_type=None,
            data=gzip.decompress(path.read_bytes()),
            gold=Gold(
                page_id="",
                text=None,
                with_snippets=tuple(item.get("with") or ()),
                without_snippets=tuple(item.get("without") or ()),
                title=item.get("title"),
            ),
        )


READERS = {
    "wcxb": ("wcxb", read_wcxb),
    "scrapinghub": ("scrapinghub", read_scrapinghub),
    "trafilatura-eval": ("trafilatura-eval", read_trafilatura_eval),
}
