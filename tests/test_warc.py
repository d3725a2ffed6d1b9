"""Crawl input: a WARC made here from real pages — with a non-HTML record, a page in a legacy
charset and a last gzip member cut short — read by `warc.iter_records`, cleaned by `clean`, and run
through the datatrove step under `LocalPipelineExecutor` (same kept text as `clean`); WET records
in text mode."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import pytest

from boilerbench.cli import main
from boilerbench.core.types import CATEGORY_GROUP_NAMES, PAGE_TYPES
from boilerbench.core.warc import WarcStats, iter_records
from boilerbench.extractor.clean import clean_bytes
from boilerbench.extractor.extract import classify

warcio = pytest.importorskip("warcio")
from warcio.statusandheaders import StatusAndHeaders  # noqa: E402
from warcio.warcwriter import WARCWriter  # noqa: E402

LEGACY = "https://example.de/legacy"
GERMAN = "trafeval-0133"  # autopresse.de, the conftest fixture
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def _record(writer, url: str, payload: bytes, content_type: str, kind: str = "response", identified: str | None = None):
    headers = {"WARC-Identified-Payload-Type": identified or content_type.split(";")[0]}
    if kind == "response":
        http = StatusAndHeaders("200 OK", [("Content-Type", content_type)], protocol="HTTP/1.1")
        rec = writer.create_warc_record(
            url, "response", payload=io.BytesIO(payload), http_headers=http, warc_headers_dict=headers
        )
    else:
        headers["Content-Type"] = content_type
        rec = writer.create_warc_record(url, kind, payload=io.BytesIO(payload), warc_headers_dict=headers)
    writer.write_record(rec)


@pytest.fixture(scope="module")
def pages(jefftk, erikdemaine, autopresse, xinhuanet) -> dict[str, str]:
    """url → the page's decoded HTML (as `clean` reads it)."""
    from boilerbench.core.text import decode_bytes

    return {
        f"https://example.org/{rp.page.page_id}": decode_bytes(rp.data) for rp in (jefftk, erikdemaine, autopresse, xinhuanet)
    }


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory, pages: dict[str, str]) -> Path:
    """pages as UTF-8 responses, a PNG response, the German page in windows-1252 (said only by the
    HTTP header), then a record whose gzip member is cut short."""
    folder = tmp_path_factory.mktemp("crawl")
    path = folder / "crawl.warc.gz"
    with path.open("wb") as f:
        w = WARCWriter(f, gzip=True)
        _record(w, "https://example.org/crawl-info", b"software: test", "application/warc-fields", kind="metadata")
        for url, html in pages.items():
            _record(w, url, html.encode("utf-8"), "text/html; charset=utf-8")
        _record(w, "https://example.org/logo.png", PNG, "image/png")
        german = next(html for url, html in pages.items() if url.endswith(GERMAN))
        legacy = german.replace('charset="utf-8"', "").replace("charset=utf-8", "").encode("cp1252", errors="replace")
        _record(w, LEGACY, legacy, "text/html; charset=windows-1252")
        _record(w, "https://example.org/cut", pages[next(iter(pages))].encode("utf-8"), "text/html")
    data = path.read_bytes()
    path.write_bytes(data[:-200])  # the last member loses its end
    return path


@pytest.fixture(scope="module")
def wet(tmp_path_factory: pytest.TempPathFactory, vietnam_bytes: bytes) -> Path:
    path = tmp_path_factory.mktemp("wet") / "crawl.warc.wet.gz"
    with path.open("wb") as f:
        w = WARCWriter(f, gzip=True)
        _record(w, "https://www.vietnam.vn/id/page", vietnam_bytes, "text/plain", kind="conversion")
    return path


def test_reader_counts_what_it_skips(crawl, pages) -> None:
    stats = WarcStats()
    records = list(iter_records(crawl, stats))
    assert [r.url for r in records] == [*pages, LEGACY]
    assert all(r.kind == "html" for r in records)
    assert stats.html == len(pages) + 1
    assert stats.skipped == {"not HTML": 1, "metadata": 1}
    assert stats.truncated == 1  # the cut member: reported, not fatal
    for r in records[: len(pages)]:
        assert r.text == pages[r.url]
    legacy = records[-1].text
    assert "ü" in legacy or "ä" in legacy or "ö" in legacy  # windows-1252 from the HTTP header, not mojibake
    assert "Ã" not in legacy


@pytest.mark.slow
def test_clean_a_warc_streams_jsonl(crawl, pages, capsys) -> None:
    assert main(["clean", str(crawl)]) == 0
    captured = capsys.readouterr()
    rows = [json.loads(line) for line in captured.out.splitlines()]
    assert [r["url"] for r in rows] == [*pages, LEGACY]
    for r in rows[: len(pages)]:
        assert r["text"] == clean_bytes(pages[r["url"]].encode("utf-8"), "html")
        assert r["page_format"] == "html" and r["text"]
    assert "1 skipped (not HTML)" in captured.err and "cut short" in captured.err


@pytest.mark.slow
def test_clean_a_warc_with_block_labels(crawl, tmp_path, pages) -> None:
    out = tmp_path / "out"
    assert main(["clean", str(crawl), "--format", "jsonl", "--out", str(out)]) == 0
    rows = [json.loads(line) for line in (out / "crawl.warc.jsonl").read_text(encoding="utf-8").splitlines()]
    first = rows[0]
    d = classify(pages[first["url"]], "html")
    assert [b["label"] == "content" for b in first["blocks"]] == d.kept
    assert first["text"] == d.text


@pytest.mark.slow
def test_wet_records_are_cleaned_in_text_mode(wet, vietnam_bytes, capsys) -> None:
    assert main(["clean", str(wet)]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 1 and rows[0]["page_format"] == "text"
    assert rows[0]["text"] == clean_bytes(vietnam_bytes, "text")
    assert "No data" not in rows[0]["text"].splitlines()


def test_a_plain_gzip_file_is_not_a_crawl(tmp_path, capsys) -> None:
    bad = tmp_path / "not.warc.gz"
    bad.write_bytes(gzip.compress(b"hello, I am not a WARC file\n" * 20))
    stats = WarcStats()
    assert list(iter_records(bad, stats)) == []
    assert stats.truncated == 1


# --- datatrove -------------------------------------------------------------------------------------


@pytest.mark.slow
def test_datatrove_step_gives_the_same_text_as_clean(crawl, wet, pages, tmp_path, capsys) -> None:
    pytest.importorskip("datatrove")
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.writers import JsonlWriter

    from boilerbench.integrations.datatrove import BoilerbenchExtractor, BoilerbenchWarcReader

    # the HTML records with `keep`, the WET records without: the step keeps what `clean` keeps,
    # and its metadata holds the category groups `clean --format jsonl` writes
    assert main(["clean", "--keep", "comments,metadata/byline", "--format", "jsonl", str(crawl)]) == 0
    rows = list(map(json.loads, capsys.readouterr().out.splitlines()))
    assert main(["clean", "--format", "jsonl", str(wet)]) == 0
    rows += list(map(json.loads, capsys.readouterr().out.splitlines()))
    expected = {r["url"]: r["text"] for r in rows}
    groups = {r["url"]: [b["category"] for b in r["blocks"]] for r in rows}

    out = tmp_path / "out"
    pipeline = [
        BoilerbenchWarcReader(str(crawl.parent), glob_pattern="*.warc.gz"),
        BoilerbenchExtractor(add_metadata=True, timeout=30, keep=("comments", "metadata/byline")),
        JsonlWriter(str(out), compression=None),
    ]
    LocalPipelineExecutor(pipeline=pipeline, tasks=1, workers=1, logging_dir=str(tmp_path / "logs")).run()
    wet_pipeline = [
        BoilerbenchWarcReader(str(wet.parent), glob_pattern="*.wet.gz"),
        BoilerbenchExtractor(page_format="text", add_metadata=True, timeout=30),
        JsonlWriter(str(tmp_path / "wet-out"), compression=None),
    ]
    LocalPipelineExecutor(pipeline=wet_pipeline, tasks=1, workers=1, logging_dir=str(tmp_path / "wet-logs")).run()
    docs = [
        json.loads(line)
        for folder in (out, tmp_path / "wet-out")
        for f in sorted(folder.glob("*.jsonl"))
        for line in f.read_text(encoding="utf-8").splitlines()
    ]
    got = {d["metadata"]["url"]: d for d in docs}
    assert set(pages) | {LEGACY, "https://www.vietnam.vn/id/page"} <= set(got)
    for url, d in got.items():
        meta = d["metadata"]["boilerbench"]
        if url in expected:
            assert d["text"] == expected[url], url
            assert meta["categories"] == groups[url], url
        assert 0 < meta["kept_ratio"] <= 1 and set(meta["labels"]) <= {"0", "1"}
        assert len(meta["categories"]) == len(meta["labels"]) and set(meta["categories"]) <= set(CATEGORY_GROUP_NAMES)
        assert meta["page_type"] in PAGE_TYPES
    assert got["https://www.vietnam.vn/id/page"]["metadata"]["boilerbench"]["page_format"] == "text"


@pytest.mark.slow
def test_datatrove_step_loads_the_models_before_its_sandbox(pages) -> None:
    """The task's process loads the models before it forks the sandbox, so loading them never
    counts against the first document's timeout (nor against a replacement sandbox's)."""
    pytest.importorskip("datatrove")
    from datatrove.data import Document

    from boilerbench.extractor.classifier import shipped, shipped_categories
    from boilerbench.integrations.datatrove import BoilerbenchExtractor

    html = next(iter(pages.values()))
    for page_format, loaded in (("html", 1), ("auto", 2)):
        shipped.cache_clear()
        shipped_categories.cache_clear()
        docs = list(BoilerbenchExtractor(page_format=page_format, timeout=30).run(iter([Document(text=html, id="a")])))
        # the category model too: every HTML decision reads it (the comment overrule); text pages have none
        assert shipped.cache_info().currsize == loaded and shipped_categories.cache_info().currsize == 1, page_format
        assert len(docs) == 1 and docs[0].text == classify(html, "html").text
    shipped_categories.cache_clear()
    step = BoilerbenchExtractor(page_format="text", timeout=30)
    docs = list(step.run(iter([Document(text=html, id="a")])))
    assert shipped_categories.cache_info().currsize == 0 and docs[0].text == classify(html, "text").text
    step = BoilerbenchExtractor(page_format="html", timeout=30, keep=("comments",))
    docs = list(step.run(iter([Document(text=html, id="a")])))
    assert docs[0].text == classify(html, "html", keep=("comments",)).text


def _step_in_a_fresh_process(html: str, conn) -> None:  # conn: a multiprocessing Connection
    from datatrove.data import Document

    from boilerbench.integrations.datatrove import BoilerbenchExtractor

    step = BoilerbenchExtractor(page_format="html")  # the default 1 s timeout
    docs = list(step.run(iter([Document(text=html, id=str(i)) for i in range(3)])))
    conn.send([d.text for d in docs])


@pytest.mark.slow
def test_datatrove_step_sandbox_is_forked_under_forkserver(pages) -> None:
    """A task process started by forkserver (datatrove's local executor with several workers) has
    forkserver as its default start method: the sandbox is still forked from it, with the models,
    so the first document does not spend its 1 s timeout loading them."""
    pytest.importorskip("datatrove")
    import multiprocessing as mp

    if "forkserver" not in mp.get_all_start_methods():
        pytest.skip("no forkserver on this platform")
    html = next(iter(pages.values()))
    ctx = mp.get_context("forkserver")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_step_in_a_fresh_process, args=(html, child))
    proc.start()
    try:
        assert parent.poll(120), "the step did not finish in 2 minutes"
        texts = parent.recv()
    finally:
        proc.kill()
        proc.join()
    assert texts == [classify(html, "html").text] * 3


# --- a crawl with gold, evaluated ---------------------------------------------------------------------


def test_import_a_warc_with_gold_and_evaluate_it(crawl, pages, jefftk, erikdemaine, tmp_path, capsys) -> None:
    """Gold keyed by URL makes a WARC a corpus that `evaluate --data` scores like any other."""
    gold = tmp_path / "gold.jsonl"
    rows = [
        {"url": "https://example.org/wcxb-0495", "text": jefftk.gold.text},
        {"url": "https://example.org/wcxb-0406", "text": erikdemaine.gold.text},
        {"url": "https://example.org/never-crawled", "text": "some gold"},
        "not json",
    ]
    gold.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    out = tmp_path / "corpus"
    assert main(["import", "--warc", str(crawl), "--gold-jsonl", str(gold), "--name", "my-crawl", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "imported 2 pages" in captured.out
    assert "gold.jsonl:4: JSONDecodeError" in captured.err
    assert "no HTML record for https://example.org/never-crawled" in captured.err
    assert "record(s) without gold" in captured.err and "cut short" in captured.err
    assert main(["evaluate", "--data", str(out), "--systems", "all-text,oracle", "--json", str(tmp_path / "r.json")]) == 0
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert report["pages"] == 2
    assert report["systems"]["oracle"]["block_f1"] == 1.0
    assert 0 < report["systems"]["all-text"]["block_f1"] < 1.0
    # the pages label as they do read from their own files
    from boilerbench.benchmark.corpora.store import Corpus
    from boilerbench.benchmark.groundtruth import load_labeled

    imported = {
        labeled_page.page.url: [b.label for b in labeled_page.blocks]
        for labeled_page in load_labeled(Corpus.open(out), progress=False)
    }
    assert set(imported) == {"https://example.org/wcxb-0495", "https://example.org/wcxb-0406"}
    from boilerbench.benchmark.labels import derive_labels
    from boilerbench.core.segment import segment_html

    for rp in (jefftk, erikdemaine):
        assert imported[f"https://example.org/{rp.page.page_id}"] == derive_labels(segment_html(rp.data), rp.gold)[0]
    assert main(["import", "--warc", str(crawl), "--name", "x", "--out", str(tmp_path / "c2")]) == 2
    assert "--gold-jsonl" in capsys.readouterr().err
