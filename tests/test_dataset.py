"""`build-dataset` on a slice of the bundled corpus, read back with the real `datasets.load_dataset`
offline: row counts and labels match the annotations, the card's YAML declares the configs and
splits, no site is in both training and test, and the card carries the leaderboard's table. The
build streams: a build in tiny row groups reads back row for row as the slice's rows made at once.
The blocks carry their structure (typed columns, null where a kind has no use for a field) and the
pages their gold as Markdown, which a CommonMark parser reads back as the content blocks' kinds."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from boilerbench.benchmark import CHECKOUT
from boilerbench.benchmark import leaderboard as board
from boilerbench.benchmark.corpora.store import Corpus
from boilerbench.benchmark.groundtruth import load_labeled
from boilerbench.benchmark.labels import derive_labels
from boilerbench.benchmark.render import RENDERERS, render_text
from boilerbench.core.segment import as_lines, segment_text
from boilerbench.core.structure import STRUCTURE_VERSION
from boilerbench.core.text import decode_bytes
from boilerbench.core.types import STRUCTURE_FIELD_KINDS, STRUCTURE_KINDS, Block, LabeledPage, Link, Structure
from boilerbench.extractor.markdown import to_markdown
from boilerbench.integrations.dataset import (
    CONFIGS,
    LICENSES,
    STRUCTURE_COLUMNS,
    _chunk_tables,
    _GroupWriter,
    _schemas,
    build_dataset,
    check_splits,
)
from tests.test_markdown import found_again

datasets = pytest.importorskip("datasets")
pq = pytest.importorskip("pyarrow.parquet")
yaml = pytest.importorskip("yaml")
pytestmark = pytest.mark.slow  # every test builds a dataset or reads the one built


STRUCTURE_PAGES = ("wcxb-0426", "wcxb-2853", "wcxb-0286", "wcxb-0494")  # train, validation, train, validation


@pytest.fixture(scope="module")
def slice_pages():
    corpus = Corpus.open()
    pick = (
        corpus.select(split="train")[:3]
        + corpus.select(split="validation")[:2]
        + corpus.select(split="test", source="wcxb")[:2]
        + corpus.select(split="test", source="scrapinghub")[:1]
        + corpus.select(split="test", source="trafilatura-eval")[:2]
        + corpus.select(split="excluded")[:1]  # left out of the dataset
        # WCXB pages with a Markdown gold, rich in structure: headings, lists, code with its
        # language, links; a page of data tables; links inside code (wcxb-0494's "Run" links)
        + [p for p in corpus.pages if p.page_id in STRUCTURE_PAGES]
    )
    return corpus, pick


@pytest.fixture(scope="module")
def built(slice_pages, tmp_path_factory: pytest.TempPathFactory):
    corpus, pages = slice_pages
    out = tmp_path_factory.mktemp("hf") / "boilerbench"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BOILERBENCH_BASELINES", str(CHECKOUT / "baselines"))  # read only: the card's table
        result = build_dataset(corpus, out, pages=pages, progress=False)
    labeled = {labeled_page.page.page_id: labeled_page for labeled_page in load_labeled(corpus, pages, progress=False)}
    return out, result, labeled


SMALL_GROUPS = {"pages": 2, "blocks": 100, "lines": 300}  # rows per row group: several per file on the slice


@pytest.fixture(scope="module")
def streamed(slice_pages, tmp_path_factory: pytest.TempPathFactory):
    """The slice built on two workers in row groups of `SMALL_GROUPS` rows."""
    corpus, pages = slice_pages
    out = tmp_path_factory.mktemp("hf-small-groups") / "boilerbench"
    result = build_dataset(corpus, out, pages=pages, progress=False, workers=2, row_group_rows=SMALL_GROUPS)
    return out, result


@pytest.fixture()
def offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return tmp_path / "hf-cache"


def _expected(labeled, split: str) -> list[LabeledPage]:
    return [labeled_page for labeled_page in labeled.values() if labeled_page.page.split == split]


@pytest.mark.parametrize("split", ["train", "validation", "test"])
def test_blocks_load_offline_with_the_annotations_labels(built, offline, split: str) -> None:
    out, result, labeled = built
    ds = datasets.load_dataset(str(out), "blocks", split=split, cache_dir=str(offline))
    pages = _expected(labeled, split)
    assert len(ds) == sum(len(labeled_page.blocks) for labeled_page in pages) == result["rows"]["blocks"][split]
    want = {
        (labeled_page.page.page_id, b.block.index): (b.label, b.category, b.block.text)
        for labeled_page in pages
        for b in labeled_page.blocks
    }
    got = {(r["page_id"], r["index"]): (r["label"], r["category"], r["text"]) for r in ds}
    assert got == want
    assert set(ds["label"]) <= {"content", "boilerplate", None}
    assert "content" in ds["label"] and "boilerplate" in ds["label"]
    if split == "test":  # snippet-only pages leave blocks unlabeled: null, not a made-up label
        assert None in ds["label"]


def test_pages_load_offline(built, offline) -> None:
    out, _, labeled = built
    ds = datasets.load_dataset(str(out), "pages", cache_dir=str(offline))
    assert set(ds) == {"train", "validation", "test"}
    for split in ds:
        assert sorted(ds[split]["page_id"]) == sorted(labeled_page.page.page_id for labeled_page in _expected(labeled, split))
    test = ds["test"]
    for row in test:
        labeled_page = labeled[row["page_id"]]
        assert row["license"] == LICENSES[row["source"]][0] == labeled_page.page.license
        assert row["gold_text"] == labeled_page.gold.text
        assert row["with_snippets"] == list(labeled_page.gold.with_snippets)
        assert row["html"] and "<" in row["html"]
    assert any(r["gold_text"] is None and r["with_snippets"] for r in test)  # trafilatura-eval
    excluded = {labeled_page.page.page_id for labeled_page in labeled.values() if labeled_page.page.split == "excluded"}
    assert excluded and not excluded & {pid for split in ds for pid in ds[split]["page_id"]}


def test_lines_load_offline(built, offline) -> None:
    """Every page by every renderer: the `blocks` rows are the segmenter's lines with their block's
    label; a tool's rows are its own text, line by line, labeled by the aligner."""
    out, _, labeled = built
    ds = datasets.load_dataset(str(out), "lines", split="train", cache_dir=str(offline))
    assert set(ds["renderer"]) == set(RENDERERS)
    expected = 0
    for labeled_page in _expected(labeled, "train"):
        lines, owner = as_lines([b.block for b in labeled_page.blocks])
        rows = [r for r in ds if r["page_id"] == labeled_page.page.page_id and r["renderer"] == "blocks"]
        assert [r["text"] for r in rows] == [line.text for line in lines]
        assert [r["label"] for r in rows] == [labeled_page.blocks[o].label for o in owner]
        assert [r["block"] for r in rows] == owner
        expected += len(rows)
        html = decode_bytes(Corpus.open().read(labeled_page.page))
        for renderer in RENDERERS[1:]:
            rows = [r for r in ds if r["page_id"] == labeled_page.page.page_id and r["renderer"] == renderer]
            assert [r["text"] for r in rows] == [b.text for b in segment_text(render_text(html, renderer))]
            assert [r["label"] for r in rows] == derive_labels(segment_text(render_text(html, renderer)), labeled_page.gold)[0]
            assert all(r["block"] is None for r in rows)
            expected += len(rows)
    assert len(ds) == expected
    assert "content" in ds["label"] and "boilerplate" in ds["label"]


def _structure(row: dict[str, Any]) -> Structure:
    """A `blocks` row's structure columns back as a `Structure` (a null column: the field's default)."""
    given = {name: row[column] for name, column in STRUCTURE_COLUMNS.items() if row[column] is not None}
    given["links"] = tuple(Link(**link) for link in row["links"])
    return Structure(**given)


def _block(row: dict[str, Any]) -> Block:
    return Block(row["index"], row["xpath"], row["tag"], row["text"], row["words"], row["link_words"], structure=_structure(row))


def test_blocks_carry_their_structure(built, offline) -> None:
    """The structure columns, typed as `datasets` reads them, hold each block's structure: every
    field of `Structure` a column, null where the kind has no use for it; a heading has its level, a
    list item its depth, a table cell its row and column, code its language, a link its absolute href."""
    out, _, labeled = built
    assert [f.name for f in fields(Structure)] == list(STRUCTURE_COLUMNS)
    Value, List = datasets.Value, datasets.List
    link = {"href": Value("string"), "text": Value("string")}
    want_types = {
        "kind": Value("string"),
        "level": Value("int32"),
        "ordered": Value("bool"),
        "row": Value("int32"),
        "col": Value("int32"),
        "header": Value("bool"),
        "code_language": Value("string"),
        "links": List(link),
    }
    seen: Counter[str] = Counter()
    pages_url = {page_id: labeled_page.page.url for page_id, labeled_page in labeled.items()}
    for split in ("train", "validation", "test"):
        ds = datasets.load_dataset(str(out), "blocks", split=split, cache_dir=str(offline))
        assert {c: ds.features[c] for c in want_types} == want_types
        for row in ds:
            block = labeled[row["page_id"]].blocks[row["index"]].block
            assert _structure(row) == block.structure, row  # the columns say what the block's structure says
            kind = row["kind"]
            assert kind in STRUCTURE_KINDS
            for name, kinds in STRUCTURE_FIELD_KINDS.items():
                if kind not in kinds:
                    assert row[STRUCTURE_COLUMNS[name]] is None, (name, row)
            if kind == "heading":
                assert 1 <= row["level"] <= 6 and row["row"] is None
                assert block.tag == f"h{row['level']}"
                seen["heading"] += 1
            elif kind == "list_item":
                assert row["level"] >= 0 and row["ordered"] is not None  # 0: an `li` outside any list
                seen["nested item" if row["level"] > 1 else "list_item"] += 1
            elif kind == "table_cell":
                assert row["row"] >= 0 and row["col"] >= 0 and row["header"] is not None
                seen["cell"] += row["col"] > 0
            elif kind == "code":
                assert row["code_language"] != ""
                seen["code with language"] += row["code_language"] is not None
            elif kind == "paragraph":
                assert row["level"] is None and row["row"] is None and row["code_language"] is None
            for link_row in row["links"]:
                href = urlsplit(link_row["href"])
                if pages_url[row["page_id"]]:  # (without the page's URL, an href is as written)
                    assert href.scheme and (href.netloc or href.scheme not in ("http", "https")), link_row  # absolute
                assert link_row["text"] and link_row["text"] in row["text"]
                seen["link"] += 1
    assert min(seen[k] for k in ("heading", "list_item", "nested item", "cell", "code with language", "link")) > 0, seen
    # hrefs are resolved against the page: a page's relative hrefs are written absolute
    ds = datasets.load_dataset(str(out), "blocks", split="train", cache_dir=str(offline))
    page = labeled["wcxb-0426"].page
    hrefs = [link_row["href"] for row in ds if row["page_id"] == page.page_id for link_row in row["links"]]
    html = decode_bytes(Corpus.open().read(page))
    assert any(f'href="{h}"' not in html for h in hrefs)  # written relative in the page, absolute here


def test_pages_carry_their_gold_as_markdown(built, offline) -> None:
    """`gold_markdown` is the content blocks written by the classifier's Markdown writer: a CommonMark
    parser reads back every content block's kind (heading level, list depth, table column, code
    language) and every link from it, as the dataset's own `blocks` rows give them. `source_markdown`
    is the source's Markdown gold where it has one (WCXB train and validation), null elsewhere."""
    out, _, labeled = built
    corpus = Corpus.open()
    links_in_code = 0
    pages = datasets.load_dataset(str(out), "pages", cache_dir=str(offline))
    blocks = {split: datasets.load_dataset(str(out), "blocks", split=split, cache_dir=str(offline)) for split in pages}
    for split in pages:
        assert pages[split].features["gold_markdown"] == pages[split].features["source_markdown"] == datasets.Value("string")
        rows_by_page: dict[str, list[dict[str, Any]]] = {}
        for row in blocks[split]:
            rows_by_page.setdefault(row["page_id"], []).append(row)
        for page_row in pages[split]:
            page_id = page_row["page_id"]
            labeled_page = labeled[page_id]
            assert page_row["source_markdown"] == corpus.markdown_gold.get(page_id)
            if labeled_page.gold.text is None:  # snippets only: no content blocks to write
                assert page_row["gold_markdown"] is None
                continue
            rows = sorted(rows_by_page[page_id], key=lambda r: r["index"])
            kept = [r["label"] == "content" for r in rows]
            markdown = page_row["gold_markdown"]
            assert markdown == to_markdown(page_row["format"], [b.block for b in labeled_page.blocks], kept)
            # every link found again but those inside code, which a fence cannot hold (the card says so)
            in_code = sum(len(r["links"]) for r, k in zip(rows, kept) if k and r["kind"] == "code")
            links_in_code += in_code
            assert found_again([_block(r) for r in rows], kept, markdown) == Counter({"link in code": in_code}), page_id
    assert links_in_code
    with_source = [r for split in pages for r in pages[split] if r["source_markdown"] is not None]
    assert {r["page_id"] for r in with_source} >= set(STRUCTURE_PAGES)
    assert all(r["source"] == "wcxb" and r["split"] in ("train", "validation") for r in with_source)
    assert all(r["gold_markdown"] is None for r in pages["test"] if r["source"] == "trafilatura-eval")


def test_card_yaml_declares_configs_and_splits(built) -> None:
    out, _result, _ = built
    text = (out / "README.md").read_text(encoding="utf-8")
    assert text.startswith("---\n")
    meta = yaml.safe_load(text.split("---\n")[1])
    configs = {c["config_name"]: c for c in meta["configs"]}
    assert set(configs) == set(CONFIGS)
    for name, c in configs.items():
        splits = {f["split"]: f["path"] for f in c["data_files"]}
        assert set(splits) == {"train", "validation", "test"}
        for split, pattern in splits.items():
            assert list(out.glob(pattern)), (name, split, pattern)
    assert configs["blocks"].get("default") is True
    assert meta["license"] == "other" and (out / "licenses" / "wcxb-CC-BY-4.0.txt").is_file()
    # every column of every config is named in the card, and the structure rules' version is given
    pa = pytest.importorskip("pyarrow")
    for config, schema in _schemas(pa).items():
        assert all(f"`{name}`" in text for name in schema.names), config
    assert f"version {STRUCTURE_VERSION}" in text and "`source_markdown`" in text and "CC-BY-4.0" in text
    for source, (licence, _) in LICENSES.items():
        assert f"| {source} | {licence} |" in text  # sizes and licences per source


def test_card_carries_the_leaderboard_table(built) -> None:
    out, _, _ = built
    text = (out / "README.md").read_text(encoding="utf-8")
    board_text = (CHECKOUT / "leaderboard.md").read_text(encoding="utf-8")
    records = board.load_results(CHECKOUT / "baselines")
    table = board.main_table(records)
    assert len(table) > 10 and any("boilerbench" in line for line in table)
    for line in table:
        assert line in text and line in board_text
    # what the title and speed columns mean: the board's own notes, word for word
    for note in (board.TITLE_NOTE, board.SPEED_NOTE):
        assert note in text and note in board_text
    # the structure table (issue 27) and its scores by corpus, from the same result files
    assert board.STRUCTURE_NOTE in text
    by_corpus = board.structure_corpus_table(records)
    assert by_corpus  # the saved board has structure scores per corpus
    for line in [*board.structure_table(records), *by_corpus]:
        assert line in text and line in board_text


def test_no_site_in_both_training_and_test(built, tmp_path) -> None:
    out, _, _ = built
    check_splits(out)
    domains = {
        s: set(pq.read_table(out / "pages" / f"{s}-00000-of-00001.parquet").column("domain").to_pylist())
        for s in ("train", "validation", "test")
    }
    assert not (domains["train"] | domains["validation"]) & domains["test"]
    # the check is real: a test page moved to a training site is caught
    bad = tmp_path / "bad"
    (bad / "pages").mkdir(parents=True)
    for s in ("train", "validation", "test"):
        table = pq.read_table(out / "pages" / f"{s}-00000-of-00001.parquet")
        if s == "test":
            col = table.column("domain").to_pylist()
            col[0] = next(iter(domains["train"]))
            table = table.set_column(table.schema.get_field_index("domain"), "domain", [col])
        pq.write_table(table, bad / "pages" / f"{s}-00000-of-00001.parquet")
    with pytest.raises(ValueError, match="in both training and test"):
        check_splits(bad)


def test_refuses_a_folder_with_other_files(slice_pages, tmp_path) -> None:
    corpus, pages = slice_pages
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(FileExistsError, match=r"notes\.txt"):
        build_dataset(corpus, tmp_path, pages=pages[:2], progress=False)
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_the_full_build_splits(slice_pages) -> None:
    """The bundled corpus as a whole keeps training and test sites apart (what the full build checks)."""
    corpus, _ = slice_pages
    sites = {s: Counter(p.domain for p in corpus.select(split=s)) for s in ("train", "validation", "test")}
    assert not (set(sites["train"]) | set(sites["validation"])) & set(sites["test"])


def test_streamed_rows_equal_what_load_dataset_reads(slice_pages, streamed, offline) -> None:
    """Built a few pages at a time on two workers and written in small row groups, the folder reads
    back (with `datasets`) exactly as the slice's rows made in one piece, in the same order."""
    corpus, pages = slice_pages
    out, result = streamed
    kept = sorted((p for p in pages if p.split != "excluded"), key=lambda p: p.archive)  # corpus.iter_bytes' order
    whole = _chunk_tables((str(corpus.root), kept))
    for config in CONFIGS:
        for split in ("train", "validation", "test"):
            ds = datasets.load_dataset(str(out), config, split=split, cache_dir=str(offline))
            want = whole[config, split].to_pylist()
            assert ds.to_list() == want, (config, split)
            assert result["rows"][config][split] == len(want)


def test_the_writer_holds_one_row_group_at_a_time(streamed) -> None:
    """Each file is written in row groups of the size asked for (the last one smaller), so the
    build never holds more than a group of a file's rows, whatever the corpus' size."""
    out, result = streamed
    for config in CONFIGS:
        most = 0
        for split, rows in result["rows"][config].items():
            meta = pq.ParquetFile(out / config / f"{split}-00000-of-00001.parquet").metadata
            sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
            assert sum(sizes) == meta.num_rows == rows
            assert meta.num_row_groups == math.ceil(rows / SMALL_GROUPS[config]), (config, split, sizes)
            assert all(n == SMALL_GROUPS[config] for n in sizes[:-1]) and 0 < sizes[-1] <= SMALL_GROUPS[config]
            most = max(most, meta.num_row_groups)
        assert most > 1, config  # the slice exceeds the group size set: several groups, not one


def test_the_group_writer_writes_each_group_as_it_fills(slice_pages, tmp_path) -> None:
    """Fed one page's blocks at a time, the writer writes every group as soon as it is full: what it
    holds stays under a group, and the file is every page's rows in order."""
    corpus, pages = slice_pages
    pa = pytest.importorskip("pyarrow")
    tables = [_chunk_tables((str(corpus.root), [p]))["blocks", "train"] for p in pages if p.split == "train"]
    assert sum(t.num_rows for t in tables) > 2 * SMALL_GROUPS["blocks"]
    writer = _GroupWriter(tmp_path / "blocks.parquet", _schemas(pa)["blocks"], SMALL_GROUPS["blocks"])
    for table in tables:
        writer.add(table)
        assert writer.pending_rows < SMALL_GROUPS["blocks"]
    writer.close()
    assert pq.read_table(tmp_path / "blocks.parquet").equals(pa.concat_tables(tables))


def test_a_failed_build_keeps_the_earlier_one(slice_pages, streamed, tmp_path) -> None:
    """A page that fails midway (its bytes do not match its sha256) stops the build with the page
    named, and the folder keeps the earlier build's files, with no partial file left."""
    corpus, pages = slice_pages
    out, _ = streamed
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    broken = [*pages[:-2], replace(pages[-2], sha256="0" * 64), pages[-1]]
    with pytest.raises(ValueError, match=rf"{pages[-2].page_id}: bytes do not match"):
        build_dataset(corpus, out, pages=broken, progress=False, workers=2, row_group_rows=SMALL_GROUPS)
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
