"""`show PAGE --out FILE.html`: one self-contained page, a row per block and a column per system,
errors marked as the labels say, each system's page scores on top, and a page's own markup shown
as text (nothing of it runs). Read back with lxml, not a browser (the browser tests are issue 7's)."""

from __future__ import annotations

import json
from pathlib import Path

import lxml.html
import pytest

from boilerbench.benchmark import CHECKOUT
from boilerbench.benchmark.corpora.store import Corpus
from boilerbench.benchmark.groundtruth import load_labeled
from boilerbench.benchmark.leaderboard import structure_by_corpus, structure_cells
from boilerbench.cli import main
from boilerbench.core.types import BOILERPLATE, CONTENT, Link, Structure

PAGE = "wcxb-4207"  # a WCXB test page
SYSTEMS = ["trafilatura", "all-text", "nothing", "oracle"]


@pytest.fixture(scope="module")
def shown(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("show") / "page.html"
    assert main(["show", PAGE, "--systems", ",".join(SYSTEMS), "--out", str(out)]) == 0
    corpus = Corpus.open()
    labeled_page = load_labeled(corpus, [p for p in corpus.pages if p.page_id == PAGE], progress=False)[0]
    return out, lxml.html.fromstring(out.read_text(encoding="utf-8")), labeled_page


def test_one_row_per_block_and_one_column_per_system(shown) -> None:
    _, doc, labeled_page = shown
    rows = doc.cssselect("tr.block")
    assert len(rows) == len(labeled_page.blocks) > 20
    assert [th.text_content() for th in doc.cssselect("th.sys")] == SYSTEMS
    assert [tr.cssselect("td")[0].text_content() for tr in doc.cssselect("tr.system")] == SYSTEMS
    assert [th.text_content() for th in doc.cssselect("table.blocks th")][:2] == ["text", "#"]  # the text first
    for tr, b in zip(rows, labeled_page.blocks):
        cells = tr.cssselect("td")
        assert cells[0].text_content() == b.block.text and cells[0].get("class") == "text"
        assert cells[2].text_content() == (b.label or "?")
        assert cells[3].text_content() == b.category


def test_errors_are_marked_as_the_labels_say(shown) -> None:
    _, doc, labeled_page = shown
    col = {n: i for i, n in enumerate(SYSTEMS)}
    rows = doc.cssselect("tr.block")
    cells = [[td.get("class") for td in tr.cssselect("td.sys")] for tr in rows]
    n_content = sum(b.label == CONTENT for b in labeled_page.blocks)
    n_boiler = sum(b.label == BOILERPLATE for b in labeled_page.blocks)
    assert n_content and n_boiler
    # keeping everything leaks every boilerplate block; keeping nothing loses every content block
    assert sum("leak" in c[col["all-text"]] for c in cells) == n_boiler
    assert sum("lost" in c[col["nothing"]] for c in cells) == n_content
    assert not any("leak" in c[col["oracle"]] or "lost" in c[col["oracle"]] for c in cells)
    header = [th.text_content() for th in doc.cssselect("table.systems th")]
    scores = {
        tr.cssselect("td")[0].text_content(): dict(zip(header, (td.text_content() for td in tr.cssselect("td"))))
        for tr in doc.cssselect("tr.system")
    }
    assert scores["oracle"]["block F1"] == "1.000"  # on this page
    assert scores["all-text"]["leaked boilerplate"] == str(n_boiler)
    assert scores["nothing"]["lost content"] == str(n_content)
    has_title = any(b.category == "title" and b.label is not None for b in labeled_page.blocks)
    assert (scores["all-text"]["title kept"], scores["nothing"]["title kept"]) == (("yes", "no") if has_title else ("—", "—"))


def test_self_contained_and_inert(shown) -> None:
    out, doc, _ = shown
    text = out.read_text(encoding="utf-8")
    assert not doc.cssselect("script, link, img, iframe, object, embed")
    assert "Content-Security-Policy" in text and "default-src 'none'" in text
    assert not [el for el in doc.iter() if any(el.get(a) for a in ("src", "href"))]


def test_a_page_with_a_script_in_its_text_runs_nothing(tmp_path: Path) -> None:
    html_dir, gold_dir = tmp_path / "html", tmp_path / "gold"
    html_dir.mkdir()
    gold_dir.mkdir()
    payload = "<script>document.title='pwned'</script><img src=x onerror=alert(1)>"
    body = "<p>" + payload.replace("<", "&lt;").replace(">", "&gt;") + " is what the article quotes.</p>"
    (html_dir / "evil.html").write_text(
        f"<html><body><nav><a href='/'>Home</a></nav>{body}<p>Second paragraph of the story.</p></body></html>", encoding="utf-8"
    )
    (gold_dir / "evil.txt").write_text(f"{payload} is what the article quotes.\nSecond paragraph of the story.", encoding="utf-8")
    corpus = tmp_path / "corpus"
    assert main(["import", "--html-dir", str(html_dir), "--gold-dir", str(gold_dir), "--name", "evil", "--out", str(corpus)]) == 0
    page_id = json.loads((corpus / "pages.jsonl").read_text(encoding="utf-8").splitlines()[0])["page_id"]
    out = tmp_path / "evil.html"
    assert main(["show", page_id, "--data", str(corpus), "--systems", "all-text,oracle", "--out", str(out)]) == 0
    raw = out.read_text(encoding="utf-8")
    doc = lxml.html.fromstring(raw)
    assert not doc.cssselect("script, img")
    assert any(payload in td.text_content() for td in doc.cssselect("td.text"))  # shown, as text
    assert "&lt;script&gt;document.title" in raw and "<script>" not in raw


def test_out_needs_one_page(tmp_path, capsys) -> None:
    assert main(["show", PAGE, "wcxb-0495", "--out", str(tmp_path / "x.html")]) == 2
    assert "one page id" in capsys.readouterr().err
    assert not (tmp_path / "x.html").exists()


# --- the report site -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, small_test_corpus):
    """The site from the repository's result files (read only), worst pages on a small test corpus."""
    from boilerbench.benchmark.leaderboard import load_results
    from boilerbench.benchmark.report import build_site

    root = tmp_path_factory.mktemp("site")
    corpus = Corpus.open(small_test_corpus(root / "corpus", [PAGE, "wcxb-0495", "trafeval-0133", "wcxb-4352"]))
    results = CHECKOUT / "baselines"
    index = build_site(
        corpus,
        root / "site",
        folder=results,
        systems=["trafilatura", "resiliparse", "all-text", "oracle"],
        worst=2,
        progress=False,
    )
    return index, lxml.html.fromstring(index.read_text(encoding="utf-8")), load_results(results)


@pytest.mark.slow
def test_site_index_has_the_leaderboard_figures_and_tables(site) -> None:
    index, doc, records = site
    rows = doc.cssselect("table.leaderboard tbody tr")
    assert [tr.cssselect("td")[1].text_content() for tr in rows] == [
        r["system"] for r in sorted(records, key=lambda r: -(r["metrics"].get("block_f1") or 0))
    ]
    imgs = doc.cssselect("div.figure img")  # scatter and heatmap, inline
    assert len(imgs) == 2 and all(i.get("src").startswith("data:image/png;base64,") for i in imgs)
    for stem in ("quality-speed", "leakage"):
        assert (index.parent / f"{stem}.svg").is_file() and (index.parent / f"{stem}.png").is_file()
    assert len(doc.cssselect("table.groups")) == 2  # page types, languages
    structure_rows = doc.cssselect("table.structure tbody tr")  # every system (no reference row), with the board's cells
    by_name = {r["system"]: r for r in records}
    assert sorted(tr.cssselect("td")[0].text_content() for tr in structure_rows) == sorted(
        r["system"] for r in records if r.get("kind") != "reference"
    )
    for tr in structure_rows:
        cells = [td.text_content() for td in tr.cssselect("td")]
        assert cells[1:] == structure_cells(by_name[cells[0]])
    corpus_rows = [[td.text_content() for td in tr.cssselect("td")] for tr in doc.cssselect("table.structure-corpus tbody tr")]
    assert corpus_rows == structure_by_corpus(records)[1] and corpus_rows  # the board's figures, per corpus
    assert not doc.cssselect("script, link, iframe")
    assert not [i for i in doc.cssselect("img") if not i.get("src", "").startswith("data:")]


@pytest.mark.slow
def test_site_links_each_systems_worst_pages(site) -> None:
    index, doc, _ = site
    items = doc.cssselect("ul.worst li")
    assert [li.cssselect("b")[0].text_content() for li in items] == ["trafilatura", "resiliparse"]
    for li in items:
        links = li.cssselect("a")
        assert len(links) == 2
        for a in links:
            page = index.parent / a.get("href")
            assert page.is_file()
            shown = lxml.html.fromstring(page.read_text(encoding="utf-8"))
            assert [th.text_content() for th in shown.cssselect("th.sys")] == ["trafilatura", "resiliparse", "all-text", "oracle"]


def test_show_any_file_with_the_classifier_alone(tmp_path, vietnam_bytes) -> None:
    """A crawl's text dump (no gold): one row per line, the classifier's column agrees with `clean`."""
    from boilerbench.extractor.extract import classify

    page = tmp_path / "vietnam-vn-news-id.txt"
    page.write_bytes(vietnam_bytes)
    out = tmp_path / "v.html"
    assert main(["show", str(page), "--out", str(out)]) == 0
    doc = lxml.html.fromstring(out.read_text(encoding="utf-8"))
    d = classify(vietnam_bytes, "auto", name=page.name)
    rows = doc.cssselect("tr.block")
    assert len(rows) == len(d.blocks) > 40
    assert [th.text_content() for th in doc.cssselect("th.sys")] == ["boilerbench-text"]
    assert ["keep" in tr.cssselect("td.sys")[0].get("class", "").split() for tr in rows] == d.kept
    assert {tr.cssselect("td.gold")[0].text_content() for tr in rows} == {"?"}  # no gold: nothing marked as an error
    assert [tr.cssselect("td")[3].text_content() for tr in rows] == d.block_groups()  # the category model's, as `show FILE`


def test_structure_lost_is_marked_per_block(shown) -> None:
    """trafilatura's column marks (≠) the content blocks its Markdown gets wrong against the blocks'
    gold structure, as its output parsed and projected here says; the text-only rows say "text"."""
    from boilerbench.benchmark.report import lost_structure, short_structure
    from boilerbench.benchmark.runner import decode_page
    from boilerbench.benchmark.structure import assign, parse
    from boilerbench.benchmark.systems import load_system

    _, doc, labeled_page = shown
    system = load_system("trafilatura")
    assert system.structured_fn is not None and system.structured_format is not None
    html = decode_page(Corpus.open().read(labeled_page.page))
    markup = system.structured_fn(html, labeled_page.page.url, labeled_page.page.language)
    projected = assign([b.block for b in labeled_page.blocks], parse(system.structured_format, markup, labeled_page.page.url))
    col = SYSTEMS.index("trafilatura")
    marked = 0
    for tr, b, p in zip(doc.cssselect("tr.block"), labeled_page.blocks, projected):
        assert tr.cssselect("td")[5].text_content() == short_structure(b.block.structure)
        cell = tr.cssselect("td.sys")[col]
        wrong = b.label == CONTENT and b.category != "title" and bool(lost_structure(b.block.structure, p))
        assert ("flat" in (cell.get("class") or "")) == wrong and cell.text_content().endswith("≠") == wrong
        marked += wrong
        if wrong:
            assert short_structure(p) in (cell.get("title") or "")
    header = [th.text_content() for th in doc.cssselect("table.systems th")]
    structure = {
        tr.cssselect("td")[0].text_content(): tr.cssselect("td")[header.index("structure")].text_content()
        for tr in doc.cssselect("tr.system")
    }
    assert structure["all-text"] == structure["oracle"] == "text"
    assert structure["trafilatura"] != "text"
    assert marked == 0 or structure["trafilatura"] != "1.000"


@pytest.mark.parametrize(
    ("structure", "short"),
    [
        (None, "—"),
        (Structure(), "p"),
        (Structure(kind="heading", level=2), "h2"),
        (Structure(kind="list_item", level=3, ordered=True), "li3"),
        (Structure(kind="table_cell", row=0, col=4, header=True), "td 0,4"),
        (Structure(kind="code", language="go", links=(Link("https://a.b/", "x"),)), "code +1↗"),
    ],
)
def test_short_structure(structure, short) -> None:
    from boilerbench.benchmark.report import short_structure

    assert short_structure(structure) == short
