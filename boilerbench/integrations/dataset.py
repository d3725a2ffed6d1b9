"""`build-dataset`: the benchmark as a Hugging Face dataset folder (parquet + a card, no loading script).

Three configs, each with train / validation / test splits (the `excluded` pages — WCXB dev pages of
sites that have a test page — are left out, so no site is in two splits):

* `pages` — one row per page: ids, provenance and licence, the page (HTML, or text for text pages),
  the human gold text and snippets, the gold as Markdown (the content blocks as the classifier's
  Markdown writer renders them) and the source's own Markdown gold where it ships one;
* `blocks` — one row per block: the segmenter's block, its derived label and category, statistics,
  and its structure (`types.Structure`: kind, level, list type, table cell, code language, links);
* `lines` — the text-mode view: each page rendered as a crawl's text dump by each of
  `render.RENDERERS` (the segmenter's own lines, and real HTML-to-text tools), one row per line
  with its label (`renderer` says which), what the text-mode model is trained and evaluated on.

The card (`README.md`) declares the configs in its YAML header and carries the evaluation table
generated from `baselines/`, the same numbers as `leaderboard.md`.
"""

from __future__ import annotations

import os
import typing
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import fields
from functools import lru_cache
from pathlib import Path
from typing import Any

from tqdm import tqdm

from ..benchmark.corpora.store import Corpus
from ..benchmark.groundtruth import load_labeled
from ..benchmark.leaderboard import (
    SPEED_NOTE,
    STRUCTURE_NOTE,
    TITLE_NOTE,
    load_results,
    main_table,
    structure_corpus_table,
    structure_table,
)
from ..benchmark.render import rendered
from ..benchmark.runner import decode_page
from ..core.categories import BOILERPLATE_CATEGORIES, CONTENT_CATEGORIES
from ..core.structure import STRUCTURE_VERSION
from ..core.text import decode_bytes
from ..core.types import CONTENT, SPLITS, STRUCTURE_FIELD_KINDS, STRUCTURE_KINDS, LabeledPage, Link, Page, Structure
from ..extractor.markdown import to_markdown

CONFIGS = ("pages", "blocks", "lines")
LICENSES = {  # source → (licence, attribution)
    "wcxb": ("CC-BY-4.0", "WCXB v1.0, the Web Content Extraction Benchmark"),
    "scrapinghub": ("MIT", "Scrapinghub (Zyte) article-extraction-benchmark"),
    "trafilatura-eval": (
        "Apache-2.0",
        "trafilatura's evaluation set (Adrien Barbaresi); the repository is Apache-2.0, the pages are "
        "third-party web pages kept for evaluation",
    ),
}
# Rows per parquet row group, by config: what the build holds in memory per file, and what a
# reader (the Hub's viewer, `datasets` streaming) reads at once; a similar amount of data in each
# config's group (a `pages` row carries a whole page, a `lines` row one line).
ROW_GROUP_ROWS = {"pages": 100, "blocks": 25_000, "lines": 100_000}
CHUNK_PAGES = 8  # pages per worker job: a few pages' rows in flight, enough work to keep both cores busy

# The `blocks` config's structure columns: the fields of `Structure`, in its order, each named as
# the field is but a code block's `language` (in `pages`, `language` is the page's).
STRUCTURE_COLUMNS: dict[str, str] = {f.name: "code_language" if f.name == "language" else f.name for f in fields(Structure)}
_LINK_FIELDS = tuple(f.name for f in fields(Link))


def _arrow_type(pa: Any, hint: Any) -> Any:
    """The Arrow type of a `Structure` or `Link` field, read from its annotation: a tuple of
    dataclasses is a list of structs of their fields."""
    scalar = {str: pa.string(), int: pa.int32(), bool: pa.bool_()}
    if hint in scalar:
        return scalar[hint]
    if typing.get_origin(hint) is tuple:
        item = typing.get_args(hint)[0]
        return pa.list_(pa.struct([(name, _arrow_type(pa, h)) for name, h in typing.get_type_hints(item).items()]))
    raise TypeError(f"no Arrow type for a structure field annotated {hint!r}")


def _structure_schema(pa: Any) -> list[tuple[str, Any]]:
    hints = typing.get_type_hints(Structure)
    return [(column, _arrow_type(pa, hints[name])) for name, column in STRUCTURE_COLUMNS.items()]


def structure_columns(s: Structure) -> dict[str, Any]:
    """A block's structure as the `blocks` config's columns: null where the block's kind has no
    use for a field (`types.STRUCTURE_FIELD_KINDS`: a paragraph has no level, a heading no row) and
    for a code block whose markup names no language; the links a list of {href, text}."""
    row: dict[str, Any] = {}
    for name, column in STRUCTURE_COLUMNS.items():
        value = getattr(s, name)
        if (name in STRUCTURE_FIELD_KINDS and s.kind not in STRUCTURE_FIELD_KINDS[name]) or value == "":
            value = None
        elif isinstance(value, tuple):
            value = [{f: getattr(link, f) for f in _LINK_FIELDS} for link in value]
        row[column] = value
    return row


def _field_kinds() -> str:
    """What `STRUCTURE_FIELD_KINDS` says, in words for the card: which columns each kind fills."""
    by_kinds: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for name, kinds in STRUCTURE_FIELD_KINDS.items():
        by_kinds[kinds].append(f"`{STRUCTURE_COLUMNS[name]}`")
    return "; ".join(f"{', '.join(cols)} for {' and '.join(f'`{k}`' for k in kinds)}" for kinds, cols in by_kinds.items())


def gold_markdown(page: Page, labeled_page: LabeledPage) -> str | None:
    """The page's gold as Markdown: its content blocks (the title among them) written by the
    classifier's own writer (`extractor.markdown.to_markdown`); None where the source gives only
    snippets, whose blocks are mostly unlabeled (no content blocks to write)."""
    if labeled_page.gold.text is None:
        return None
    blocks = labeled_page.blocks
    return to_markdown(page.page_format, [b.block for b in blocks], [b.label == CONTENT for b in blocks])


def _need_pyarrow() -> Any:
    try:
        import pyarrow as pa  # the `hf` extra: the card alone does without it
        import pyarrow.parquet as pq
    except ImportError as e:  # pragma: no cover - depends on the installation
        raise ImportError("build-dataset needs pyarrow: pip install 'boilerbench[hf]'") from e
    return pa, pq


def _schemas(pa: Any) -> dict[str, Any]:
    s = pa.string()
    return {
        "pages": pa.schema(
            [
                ("page_id", s),
                ("url", s),
                ("domain", s),
                ("source", s),
                ("license", s),
                ("language", s),
                ("page_type", s),
                ("split", s),
                ("format", s),
                ("html", s),
                ("gold_text", s),
                ("gold_markdown", s),
                ("source_markdown", s),
                ("title", s),
                ("with_snippets", pa.list_(s)),
                ("without_snippets", pa.list_(s)),
                ("sha256", s),
            ]
        ),
        "blocks": pa.schema(
            [
                ("page_id", s),
                ("index", pa.int32()),
                ("xpath", s),
                ("tag", s),
                ("text", s),
                ("label", s),
                ("category", s),
                ("words", pa.int32()),
                ("link_words", pa.int32()),
                ("link_density", pa.float32()),
                ("depth", pa.int32()),
                ("context", s),
                *_structure_schema(pa),
                ("gold_coverage", pa.float32()),
                ("corrected", pa.bool_()),
                ("source", s),
                ("split", s),
            ]
        ),
        "lines": pa.schema(
            [
                ("page_id", s),
                ("renderer", s),
                ("line", pa.int32()),
                ("block", pa.int32()),
                ("text", s),
                ("label", s),
                ("category", s),
                ("source", s),
                ("split", s),
            ]
        ),
    }


def _rows(corpus: Corpus, pages: Sequence[Page]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """The rows of a few pages by (config, split), in page order (`pages` are one archive's run)."""
    out: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    labeled = {labeled_page.page.page_id: labeled_page for labeled_page in load_labeled(corpus, pages, workers=1, progress=False)}
    source_markdown = corpus.markdown_gold
    for page, data in corpus.iter_bytes(pages):
        labeled_page = labeled[page.page_id]
        g = labeled_page.gold
        out["pages", page.split].append(
            {
                "page_id": page.page_id,
                "url": page.url,
                "domain": page.domain,
                "source": page.source,
                "license": page.license,
                "language": page.language,
                "page_type": page.page_type,
                "split": page.split,
                "format": page.page_format,
                "html": decode_page(data) if page.page_format == "html" else decode_bytes(data),
                "gold_text": g.text,
                "gold_markdown": gold_markdown(page, labeled_page),
                "source_markdown": source_markdown.get(page.page_id),
                "title": g.title,
                "with_snippets": list(g.with_snippets),
                "without_snippets": list(g.without_snippets),
                "sha256": page.sha256,
            }
        )
        for b in labeled_page.blocks:
            blk = b.block
            out["blocks", page.split].append(
                {
                    "page_id": page.page_id,
                    "index": blk.index,
                    "xpath": blk.xpath,
                    "tag": blk.tag,
                    "text": blk.text,
                    "label": b.label,
                    "category": b.category,
                    "words": blk.words,
                    "link_words": blk.link_words,
                    "link_density": blk.link_words / max(1, blk.words),
                    "depth": blk.depth,
                    "context": blk.context,
                    **structure_columns(blk.known_structure),
                    "gold_coverage": b.coverage,
                    "corrected": b.corrected,
                    "source": page.source,
                    "split": page.split,
                }
            )
    for rp in rendered(corpus, pages, workers=1, progress=False):
        for line, label, category, owner in zip(rp.lines, rp.labels, rp.categories, rp.owners):
            out["lines", rp.page.split].append(
                {
                    "page_id": rp.page.page_id,
                    "renderer": rp.renderer,
                    "line": line.index,
                    "block": owner if owner >= 0 else None,
                    "text": line.text,
                    "label": label,
                    "category": category,
                    "source": rp.page.source,
                    "split": rp.page.split,
                }
            )
    return out


@lru_cache(maxsize=1)
def _worker_corpus(root: str) -> Corpus:
    # A worker reads bytes, gold and corrections from the folder; the pages come with each job.
    return Corpus(root=Path(root))


def _chunk_tables(job: tuple[str, list[Page]]) -> dict[tuple[str, str], Any]:
    """A worker's job: a few pages' rows as Arrow tables by (config, split), so the parent only writes."""
    root, pages = job
    pa, _ = _need_pyarrow()
    schemas = _schemas(pa)
    return {
        (config, split): pa.Table.from_pylist(rows, schema=schemas[config])
        for (config, split), rows in _rows(_worker_corpus(root), pages).items()
    }


class _GroupWriter:
    """One parquet file written as rows arrive, in row groups of `group` rows (the last may be
    smaller): it holds less than a group plus the table being added, never the whole file."""

    def __init__(self, path: Path, schema: Any, group: int) -> None:
        self.path, self.schema, self.group = path, schema, group
        self.rows = 0  # added so far
        self.pending_rows = 0  # added, not yet written: less than a group after each `add`
        self._held: list[Any] = []
        self._writer: Any = None

    def add(self, table: Any) -> None:
        self._held.append(table)
        self.pending_rows += table.num_rows
        self.rows += table.num_rows
        if self.pending_rows >= self.group:
            self._write(whole_groups_only=True)

    def _write(self, whole_groups_only: bool) -> None:
        pa, pq = _need_pyarrow()
        table = pa.concat_tables(self._held)
        n = table.num_rows - table.num_rows % self.group if whole_groups_only else table.num_rows
        if self._writer is None:
            self._writer = pq.ParquetWriter(self.path, self.schema, compression="zstd")
        self._writer.write_table(table.slice(0, n), row_group_size=self.group)
        rest = table.slice(n)
        self._held = [rest] if rest.num_rows else []
        self.pending_rows = rest.num_rows

    def close(self) -> None:
        if self._held:
            self._write(whole_groups_only=False)
        if self._writer is not None:
            self._writer.close()


def _write_parquet(
    corpus: Corpus,
    out: Path,
    pages: Sequence[Page],
    row_group_rows: Mapping[str, int],
    workers: int,
    progress: bool,
) -> dict[str, dict[str, int]]:
    """Stream every page's rows into `{config}/{split}-….parquet.partial` files: workers make the
    rows of a few pages at a time, this process appends them to the files in row groups. Returns
    the row counts; the partial files are removed if anything fails."""
    # Here, not at the top: clean imports the classifier (scikit-learn), which the workers, importing
    # this module for `_chunk_tables`, would each load for nothing.
    from ..extractor.clean import bounded_map

    pa, _ = _need_pyarrow()
    schemas = _schemas(pa)
    # corpus.iter_bytes' order (one archive at a time, stable): each worker decompresses an archive
    # once, and every config's rows keep the page order of the archives, as builds always had.
    ordered = sorted(pages, key=lambda p: p.archive)
    jobs = [(str(corpus.root), ordered[i : i + CHUNK_PAGES]) for i in range(0, len(ordered), CHUNK_PAGES)]
    writers: dict[tuple[str, str], _GroupWriter] = {}
    bar = tqdm(total=len(ordered), desc="build-dataset", unit="page", disable=not progress)
    try:
        for (_, chunk), tables in zip(jobs, bounded_map(_chunk_tables, jobs, workers, window=2 * workers)):
            for (config, split), table in tables.items():
                if (config, split) not in writers:
                    path = out / config / f"{split}-00000-of-00001.parquet.partial"
                    writers[config, split] = _GroupWriter(path, schemas[config], row_group_rows[config])
                writers[config, split].add(table)
            bar.update(len(chunk))
        for w in writers.values():
            w.close()
    except BaseException:
        for w in writers.values():
            w.path.unlink(missing_ok=True)
        raise
    finally:
        bar.close()
    counts: dict[str, dict[str, int]] = {c: {} for c in CONFIGS}
    for config in CONFIGS:
        for split in SPLITS:  # the order of SPLITS, as the card and the CLI print them
            if (config, split) in writers:
                counts[config][split] = writers[config, split].rows
    return counts


def build_dataset(
    corpus: Corpus,
    out: Path,
    pages: Sequence[Page] | None = None,
    progress: bool = True,
    workers: int | None = None,
    row_group_rows: Mapping[str, int] = ROW_GROUP_ROWS,
) -> dict[str, Any]:
    """Write the dataset folder `out` (parquet per config and split, and the card); returns the
    row counts. Refuses a non-empty `out` that is not an earlier build (nothing of yours is lost);
    an earlier build's files are replaced only once the new ones are complete. Streamed: memory
    holds a few pages' rows and one row group per file (`row_group_rows` per config), whatever
    the corpus' size."""
    _need_pyarrow()
    pages = [p for p in (corpus.pages if pages is None else pages) if p.split in SPLITS]
    if not pages:
        raise ValueError("no train, validation or test pages to build a dataset from")
    out.mkdir(parents=True, exist_ok=True)
    foreign = [p.name for p in out.iterdir() if p.name not in (*CONFIGS, "licenses", "README.md", ".gitattributes")]
    if foreign:
        raise FileExistsError(f"{out} holds other files ({', '.join(sorted(foreign)[:5])}); give an empty or new folder")
    for config in CONFIGS:
        (out / config).mkdir(exist_ok=True)
        for stale in (out / config).glob("*.parquet.partial"):  # a killed build's: never renamed into this one
            stale.unlink()
    counts = _write_parquet(corpus, out, pages, row_group_rows, workers or min(2, os.cpu_count() or 1), progress)
    for config in CONFIGS:
        folder = out / config
        for old in folder.glob("*.parquet"):
            old.unlink()
        for new in folder.glob("*.parquet.partial"):
            new.rename(new.with_suffix(""))
    check_splits(out)
    licenses = out / "licenses"
    licenses.mkdir(exist_ok=True)
    for text in sorted((corpus.root / "licenses").glob("*.txt")):
        (licenses / text.name).write_bytes(text.read_bytes())
    (out / "README.md").write_text(card(corpus, pages, counts), encoding="utf-8")
    return {"folder": str(out), "rows": counts, "dataset_revision": corpus.revision()}


def check_splits(folder: Path) -> None:
    """Raise if a site (domain) of a built folder is in both training (train, validation) and test."""
    _, pq = _need_pyarrow()
    domains: dict[str, set[str]] = {}
    for split in SPLITS:
        path = folder / "pages" / f"{split}-00000-of-00001.parquet"
        if path.is_file():
            domains[split] = {d for d in pq.read_table(path, columns=["domain"]).column("domain").to_pylist() if d}
    both = (domains.get("train", set()) | domains.get("validation", set())) & domains.get("test", set())
    if both:
        raise ValueError(f"{len(both)} site(s) in both training and test, e.g. {', '.join(sorted(both)[:5])}")


def _yaml_configs(counts: dict[str, dict[str, int]]) -> list[str]:
    lines = ["configs:"]
    for config in CONFIGS:
        lines.append(f"- config_name: {config}")
        if config == "blocks":
            lines.append("  default: true")
        lines.append("  data_files:")
        for split in SPLITS:
            if counts.get(config, {}).get(split):
                lines += [f"  - split: {split}", f"    path: {config}/{split}-*.parquet"]
    return lines


def card(corpus: Corpus, pages: Sequence[Page], counts: dict[str, dict[str, int]]) -> str:
    """The dataset card: YAML header (configs, licences, languages) and the documentation."""
    by_source: dict[str, Counter[str]] = defaultdict(Counter)
    for p in pages:
        by_source[p.source][p.split] += 1
    languages = sorted({p.language for p in pages if p.language and len(p.language) == 2})
    header = [
        "---",
        "license: other",
        "license_name: mixed-per-source",
        "license_link: licenses/",
        "pretty_name: boilerbench",
        "task_categories:",
        "- text-classification",
        "tags:",
        "- web",
        "- boilerplate-removal",
        "- main-content-extraction",
        "- html",
        "language:",
        *[f"- {lang}" for lang in languages],
        *_yaml_configs(counts),
        "---",
    ]
    sources = ["| source | licence | train | validation | test | attribution |", "|---|---|---|---|---|---|"]
    for src in sorted(by_source):
        lic, attribution = LICENSES.get(src, ("see `license` column", src))
        c = by_source[src]
        sources.append(f"| {src} | {lic} | {c['train']} | {c['validation']} | {c['test']} | {attribution} |")
    sizes = ["| config | train | validation | test |", "|---|---|---|---|"]
    for config in CONFIGS:
        by_split = counts.get(config, {})
        sizes.append(
            f"| {config} | {by_split.get('train', 0):,} | {by_split.get('validation', 0):,} | {by_split.get('test', 0):,} |"
        )
    pa, _ = _need_pyarrow()
    columns = {config: ", ".join(f"`{name}`" for name in schema.names) for config, schema in _schemas(pa).items()}
    records = load_results()
    evaluation = main_table(records) if records else ["(no results in `baselines/` yet)"]
    by_corpus = structure_corpus_table(records)
    structure = (
        [
            STRUCTURE_NOTE,
            "",
            *structure_table(records),
            *(["", "Structure score by corpus:", "", *by_corpus] if by_corpus else []),
        ]
        if records
        else []
    )
    body = f"""
# boilerbench: web pages split into blocks, each labeled content or boilerplate

A benchmark and training set for **web-boilerplate removal** (main-content extraction): every page is
cut into blocks, and each block is labeled *content* or *boilerplate* with a category that says what
kind of boilerplate it is (navigation, related headlines, empty widgets, comments, ads, share
buttons, cookie banners, bylines…). Use it to choose an extractor, to see which kind of boilerplate
each one leaks, and to train your own.

Dataset revision `{corpus.revision()}` (a hash of what the labels are made from: the page index, the
gold texts and the hand corrections; every result file records it); block structure read by the
segmenter's rules, version {STRUCTURE_VERSION} (`boilerbench/core/structure.py`). Built by `python -m
boilerbench build-dataset` from the repository's `annotations/`.

## Configs and sizes

{chr(10).join(sizes)}

```python
from datasets import load_dataset
blocks = load_dataset("DIR_OR_REPO", "blocks", split="test")   # also "pages", "lines"
```

* `pages`: {columns["pages"]}. `gold_text` is null where the source gives only snippets
  (trafilatura-eval). `gold_markdown` is the gold as Markdown: the page's content blocks (the
  page title among them, as a `#` heading) written by the classifier's own Markdown writer (the
  one `clean --format markdown` uses: CommonMark with GFM tables, headings with their levels,
  nested lists, fenced code with its language, links with absolute hrefs), so it says what the
  `blocks` rows labeled `content` say, in their structure columns; null where `gold_text` is, and
  empty where no block of the page is content (its gold text is empty, or not in its HTML).
  Markdown cannot say everything the columns say: a link inside code is not written (a fence
  holds no link), and of an anchor inside another (`<a>` in `<a>`, which the HTML parser keeps
  across `div`s) only the inner one is (CommonMark holds no link in a link).
  `source_markdown` is the source's own Markdown gold, as released, where it has one: WCXB's
  `main_content_markdown` of its train and validation pages (CC-BY-4.0, as the pages); null
  elsewhere (WCXB's test pages ship none). It was written apart from the text gold and marks
  fewer headings, tables and code blocks than the page's markup does (the repository's
  `annotations/GUIDELINES.md`, section 6, says where the two differ and why the blocks follow the DOM).
* `blocks`: {columns["blocks"]}. `label` is `content`, `boilerplate`, or null (not labeled: on
  snippet-only pages, blocks that no snippet decides; never scored). `depth` is the block's depth in
  the DOM. The structure columns say what element holds the block, read from the DOM (see
  "Structure" below).
* `lines`: {columns["lines"]}: each page
  rendered as a crawl's text dump by each renderer, one row per line (the text-mode task).
  `renderer` is `blocks` (the segmenter's blocks as lines; `block` is the block's index and the
  line has its block's label) or a real HTML-to-text tool (`resiliparse`, with alt texts;
  `inscriptis`; `html-text`), whose lines are labeled by the same aligner against the gold
  (`block` null).

## Structure

Each block's structure is read from its page's DOM, the block's owner element and its ancestors:

* `kind`: one of {", ".join(f"`{k}`" for k in STRUCTURE_KINDS)}. `h1`–`h6` are headings; a block
  in an `li` a list item, in a `td`/`th` a table cell, in a `pre` code, in a `blockquote` a quote,
  in a `figcaption`/`caption` a caption (a `p` or `div` directly inside one of these takes its
  kind); text directly in a list or table container is `other`; the rest are paragraphs. A text
  page's lines are paragraphs.
* `level`: a heading's level (1–6); a list item's nesting depth (the lists around it, 1 = top
  level; 0 for an `li` outside any list, as broken markup has).
* `ordered`: a list item of an ordered list (`ol`).
* `row`, `col`: a table cell's row in its table (0-based; the rows of `thead`, `tbody`, `tfoot`
  in document order) and its column in the row (0-based, `colspan` not counted, as a GFM table has
  no spans); `header`: a `th`, or a cell of a `thead` row.
* `code_language`: a code block's language, from a `language-X` or `lang-X` class.
* `links`: the links in the block, each `{{href, text}}`, the href absolute (resolved against the
  page URL and its `<base href>`; as written on the few pages whose URL is unknown); anchors without a letter or digit (image links) and empty or
  `javascript:` hrefs are left out. An empty list where the block has none.

A field is set only for the kinds that use it ({_field_kinds()}) and null
for the others (a paragraph's `level`, a heading's `row`); `code_language` is null too where the
markup names no language. So a filter on a column never mistakes a default for a value. Structure does not enter
the labels: a block's label and category are the same whatever its kind.

## Sources, splits and licences

{chr(10).join(sources)}

Each page row carries its source's licence in `license`. Splits are by site (registrable
domain): WCXB dev pages are divided into train and validation (≈85/15); trafilatura-eval into
train, validation and test (≈40/20/40 of its sites; its labels are `with`/`without` snippets, so
most of its blocks are null); WCXB test and Scrapinghub are test. WCXB dev pages whose site has a
test page in any source (and the dev copies of test pages) are left out, so **no site is in two
splits**. trafilatura-eval is trafilatura's own development set: its test part flatters
trafilatura. Licence texts: `licenses/` in this folder.

## What a block is

The page is parsed with libxml2 (lxml's HTML parser). Block-level elements (`p`, `div`, `li`,
`h1`–`h6`, `td`, `pre`, `section`, …) and `<br>` start and end blocks; inline elements never split
one. Scripts, styles, forms' inputs and `<head>` are dropped; `<noscript>` and hidden elements are
kept (their text is in the human gold more often than not). A block is its visible text, white
space collapsed, with its owner element's xpath and tag and its ancestors' tags and class/id/role
(`context`). Plain-text pages are split into lines.

## How the labels were made

Each source gives the human-written main text of a page (or, for trafilatura-eval, snippets that
must and must not be in it). An aligner (longest common subsequence over word tokens, in two
passes) decides which blocks that gold text covers: a block mostly covered is *content*, the rest
*boilerplate*; snippets decide blocks on snippet-only pages. The same aligner projects any
extractor's output onto blocks, which is how extractors are scored per block. Hand corrections
from an audit are applied on top (`corrected` is true for those blocks).

**Audit.** We read the blocks of 32 test pages (4,098 blocks; 16 WCXB pages of all seven page
types and 16 pages in eleven languages). Before correction the derived labels were 0.944
accurate (WCXB 0.929, multilingual 0.980); the systematic errors found were fixed in code and the
rest corrected by hand (925 corrections). Agreement with the sources' own snippets over all pages:
0.993 (with-snippets), 0.990 (without-snippets); gold word coverage 0.988.

## Categories

Content: {", ".join(f"`{c}`" for c in CONTENT_CATEGORIES)}.
Boilerplate: {", ".join(f"`{c}`" for c in BOILERPLATE_CATEGORIES)}.
Categories are derived from DOM regions, text cues and shape after the label is known; the
guidelines and hard cases are in the repository's `annotations/GUIDELINES.md`.

## Evaluation

Block F1 (content class, per page, averaged over pages) is the primary metric. {TITLE_NOTE} The
labels keep the title as content. Word F1 (WCXB's published metric) is given for comparability.
Test split, {sum(c["test"] for c in by_source.values()):,} pages:

{chr(10).join(evaluation)}

{SPEED_NOTE}

{chr(10).join(structure)}

Reproduce: `pip install -e ".[all,test]" && npm ci --prefix boilerbench/benchmark/systems/node && python -m
boilerbench evaluate --systems all` in the repository (the board's rows; the README says what each needs). To
score your own system, write one JSON line per test page (`{{"page_id", "text"}}` or
`{{"page_id", "labels"}}`) and run `python -m boilerbench submit FILE --name NAME`.
"""
    return "\n".join(header) + "\n" + body
