"""Ground-truth labels on real pages of the bundled corpus, and hand corrections."""

from __future__ import annotations

from pathlib import Path

import pytest

from boilerbench.benchmark.groundtruth import load_labeled
from boilerbench.benchmark.labels import CORRECTION_FIELDS, Correction, derive_labels, label_page, load_corrections
from boilerbench.core.categories import CATEGORIES
from boilerbench.core.segment import document_titles, segment
from boilerbench.core.types import BOILERPLATE, CONTENT, Gold

# --- full gold text (WCXB) -------------------------------------------------------------------


def test_wcxb_page_labels(real_page) -> None:
    rp = real_page("wcxb-0495")  # jefftk.com blog post
    labeled_page = label_page(rp.page, rp.data, rp.gold)
    labels = {b.block.text: b.label for b in labeled_page.blocks}
    assert all(b.label in (CONTENT, BOILERPLATE) for b in labeled_page.blocks)  # full gold: nothing unlabeled
    assert labels["Posts"] == labels["Contact"] == BOILERPLATE  # the site menu
    assert labels["More Posts"] == BOILERPLATE
    pre = next(b for b in labeled_page.blocks if b.block.tag == "pre")
    assert pre.label == CONTENT and pre.category == "code"
    for b in labeled_page.blocks:
        assert b.category in CATEGORIES
        assert 0.0 <= b.coverage <= 1.0
        if b.label == CONTENT:
            assert b.coverage >= 0.5
    # every gold 'with' snippet lies in content, every 'without' snippet in boilerplate
    for s in rp.gold.with_snippets:
        assert any(s in b.block.text and b.label == CONTENT for b in labeled_page.blocks), s
    for s in ("January 22nd, 2019", "Jeff Kaufman", "Comment via:"):
        assert s in rp.gold.without_snippets
        assert all(b.label == BOILERPLATE for b in labeled_page.blocks if s in b.block.text), s


def test_title_block_is_content_when_gold_has_a_title(real_page) -> None:
    rp = real_page("wcxb-0406")  # erikdemaine.org: the gold text leaves the h1 title out
    assert rp.gold.title == "The Fold-and-Cut Problem"
    assert "Fold-and-Cut Problem" not in rp.gold.text
    labeled_page = label_page(rp.page, rp.data, rp.gold)
    h1 = [b for b in labeled_page.blocks if b.block.tag == "h1"]
    title = next(b for b in h1 if b.block.text == "The Fold-and-Cut Problem")
    assert title.label == CONTENT and title.category == "title"
    site = next(b for b in h1 if b.block.text.startswith("Erik Demaine's"))
    assert site.label == BOILERPLATE and site.category != "title"
    # without a gold title the same h1 is still found: it sits just before the first content block
    lp2 = label_page(rp.page, rp.data, Gold(rp.page.page_id, rp.gold.text))
    assert [b.category for b in lp2.blocks if b.block.text == "The Fold-and-Cut Problem"] == ["title"]


def test_title_without_a_gold_title_is_the_h1_the_page_names(real_page) -> None:
    # ctpost.com: Scrapinghub's gold has no title and its text leaves the headline out; the byline,
    # share buttons and lead picture put the h1 17 blocks above the text
    rp = real_page("scrapinghub-05844573ca")
    headline = "New SUVs and electric vehicles highlight L.A. Auto Show"
    assert rp.gold.title is None and headline not in rp.gold.text
    assert document_titles(rp.data) == (headline, f"{headline} - Connecticut Post")
    labeled_page = label_page(rp.page, rp.data, rp.gold)
    h1 = next(b for b in labeled_page.blocks if b.block.text == headline)
    assert (h1.block.tag, h1.label, h1.category) == ("h1", CONTENT, "title")
    first_text = next(b.block.index for b in labeled_page.blocks if b.label == CONTENT and b is not h1)
    assert first_text - h1.block.index > 5  # beyond the reach of the rule without a title
    # without the page's own titles the headline stays boilerplate, and it is the only block they change
    plain, _ = derive_labels(segment(rp.data), rp.gold)
    assert plain[h1.block.index] == BOILERPLATE
    assert [i for i, (a, b) in enumerate(zip(plain, (b.label for b in labeled_page.blocks))) if a != b] == [h1.block.index]


def test_title_of_an_empty_gold_is_not_promoted(real_page) -> None:
    rp = real_page("wcxb-0406")
    labels, coverage = derive_labels(segment(rp.data), Gold(rp.page.page_id, "", title=rp.gold.title))
    assert set(labels) == {BOILERPLATE} and set(coverage) == {0.0}


def test_one_word_heading_in_gold_is_content(real_page) -> None:
    rp = real_page("wcxb-0406")
    labeled_page = label_page(rp.page, rp.data, rp.gold)
    assert rp.gold.text.startswith("Problem\n")
    heading = next(b for b in labeled_page.blocks if b.block.tag == "h2" and b.block.text == "Problem")
    assert heading.label == CONTENT


def test_empty_gold_page_is_all_boilerplate(corpus, real_page) -> None:
    empty = sorted(pid for pid, g in corpus.gold.items() if g.text == "")
    assert empty and all(pid.startswith("wcxb-") for pid in empty)
    for pid in empty:
        rp = real_page(pid)
        labeled_page = label_page(rp.page, rp.data, rp.gold)
        if len(labeled_page.blocks) >= 3:
            break
    else:
        pytest.fail("no empty-gold page with blocks")
    assert {b.label for b in labeled_page.blocks} == {BOILERPLATE}
    assert {b.coverage for b in labeled_page.blocks} == {0.0}
    assert all(b.category in CATEGORIES for b in labeled_page.blocks)


# --- snippets only (trafilatura-eval) --------------------------------------------------------


def _holding(blocks, snippet: str) -> list[int]:
    return [b.index for b in blocks if snippet.casefold() in b.text.casefold()]


def test_snippet_labels(real_page) -> None:
    rp = real_page("trafeval-0133")
    assert rp.gold.text is None and rp.gold.with_snippets and rp.gold.without_snippets
    labeled_page = label_page(rp.page, rp.data, rp.gold)
    blocks = [b.block for b in labeled_page.blocks]
    want_content: set[int] = set()
    for s in rp.gold.with_snippets:
        hits = _holding(blocks, s)
        assert hits, s
        # more than one occurrence: the one in the wordiest block
        want_content.add(max(hits, key=lambda i: blocks[i].words))
    want_boiler = {i for s in rp.gold.without_snippets for i in _holding(blocks, s)}
    assert want_content and want_boiler and not want_content & want_boiler
    for b in labeled_page.blocks:
        i = b.block.index
        expected = CONTENT if i in want_content else BOILERPLATE if i in want_boiler else None
        assert b.label == expected, (i, b.block.text[:60])
    assert sum(b.label is None for b in labeled_page.blocks) > len(labeled_page.blocks) / 2  # most blocks are unlabeled


def test_snippet_claimed_by_both_is_unlabeled(autopresse) -> None:
    blocks = segment(autopresse.data)
    target = next(b for b in blocks if "1,5-Liter-Hybridantrieb" in b.text)
    gold = Gold(
        autopresse.page.page_id,
        None,
        with_snippets=("1,5-Liter-Hybridantrieb",),
        without_snippets=("1,5-Liter-Hybridantrieb", "Top Meldungen"),
    )
    labels, coverage = derive_labels(blocks, gold)
    assert labels[target.index] is None
    assert labels.count(BOILERPLATE) == 1 and CONTENT not in labels
    assert set(coverage) == {0.0}


def test_snippet_labels_chinese(xinhuanet) -> None:
    labeled_page = label_page(xinhuanet.page, xinhuanet.data, xinhuanet.gold)
    by_text = {b.block.text: b.label for b in labeled_page.blocks}
    assert by_text["河北探索农村劳动力就地就近转移培训"] == BOILERPLATE
    assert [b.label for b in labeled_page.blocks if b.block.tag == "p"] == [CONTENT] * 3


# --- corrections -----------------------------------------------------------------------------

HEADER = "\t".join(CORRECTION_FIELDS) + "\n"


def _write(folder: Path, name: str, body: str, header: str = HEADER) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(header + body, encoding="utf-8")
    return path


def test_load_and_apply_corrections(tmp_path: Path, jefftk) -> None:
    pid = jefftk.page.page_id
    folder = tmp_path / "corrections"
    _write(
        folder,
        "a.tsv",
        (
            "# comment lines are skipped\n"
            f"{pid}\t5\tBackup Strategy\tcontent\ttitle\tthe h3 is this page's title\n"
            f"{pid}\t22\tComment via\t-\tcomments\tcomment links, not 'other'\n"
        ),
    )
    _write(folder, "b.tsv", f"{pid}\t0\tJeff Kaufman\tunlabeled\t-\tsite name link\n")
    (folder / "notes.txt").write_text("not a tsv: ignored", encoding="utf-8")
    corr = load_corrections(folder)
    assert list(corr) == [pid] and len(corr[pid]) == 3
    c0 = corr[pid][0]
    assert (c0.index, c0.text, c0.label, c0.category) == (5, "Backup Strategy", "content", "title")
    assert c0.origin.startswith("a.tsv:")
    assert corr[pid][1].label is None  # '-' = keep the derived label

    plain = label_page(jefftk.page, jefftk.data, jefftk.gold)
    fixed = label_page(jefftk.page, jefftk.data, jefftk.gold, corr[pid])
    b5, b22, b0 = fixed.blocks[5], fixed.blocks[22], fixed.blocks[0]
    assert b5.block.text == "Backup Strategy" and (b5.label, b5.category, b5.corrected) == (CONTENT, "title", True)
    assert b22.block.text.startswith("Comment via")
    assert (b22.label, b22.category, b22.corrected) == (plain.blocks[22].label, "comments", True)
    assert (b0.label, b0.category, b0.corrected) == (None, plain.blocks[0].category, True)
    untouched = [i for i in range(len(fixed.blocks)) if i not in (0, 5, 22)]
    assert all(fixed.blocks[i] == plain.blocks[i] for i in untouched)


def test_correction_follows_its_text_when_the_index_moved(jefftk) -> None:
    c = Correction(jefftk.page.page_id, 3, "More Posts", BOILERPLATE, "teaser", "", "x.tsv:2")
    labeled_page = label_page(jefftk.page, jefftk.data, jefftk.gold, [c])
    moved = [b for b in labeled_page.blocks if b.corrected]
    assert len(moved) == 1 and moved[0].block.text == "More Posts" and moved[0].category == "teaser"


def test_load_corrections_missing_folder(tmp_path: Path) -> None:
    assert load_corrections(tmp_path / "nope") == {}


def test_bad_header(tmp_path: Path) -> None:
    path = _write(tmp_path / "c", "bad.tsv", "wcxb-0495\t0\tx\t-\t-\tn\n", header="page\tblock\ttext\n")
    with pytest.raises(ValueError, match=r"bad\.tsv") as e:
        load_corrections(path.parent)
    assert "header" in str(e.value)


@pytest.mark.parametrize(
    ("row", "match"),
    [
        ("wcxb-0495\t0\tJeff\tcontent\tno-such-category\tn\n", r"bad\.tsv:3: unknown category 'no-such-category'"),
        ("wcxb-0495\t0\tJeff\tmaybe\t-\tn\n", r"bad\.tsv:3: label 'maybe'"),
    ],
)
def test_bad_row_names_file_and_line(tmp_path: Path, row: str, match: str) -> None:
    folder = tmp_path / "c"
    _write(folder, "bad.tsv", "wcxb-0495\t1\tPosts\t-\tnavigation\tfine\n" + row)
    with pytest.raises(ValueError, match=match):
        load_corrections(folder)


def test_bad_row_line_number_counts_comment_lines(tmp_path: Path) -> None:
    folder = tmp_path / "c"
    _write(
        folder,
        "bad.tsv",
        "# a comment, as in the bundled files\nwcxb-0495\t1\tPosts\t-\tnavigation\tfine\nwcxb-0495\t0\tJeff\tmaybe\t-\tn\n",
    )
    with pytest.raises(ValueError, match=r"bad\.tsv:4:"):
        load_corrections(folder)


def test_bad_block_number_names_file_and_line(tmp_path: Path) -> None:
    folder = tmp_path / "c"
    _write(folder, "bad.tsv", "wcxb-0495\tfive\tJeff\tcontent\t-\tn\n")
    with pytest.raises(ValueError, match=r"bad\.tsv:2"):
        load_corrections(folder)


def test_correction_matching_no_block_raises(jefftk) -> None:
    c = Correction(jefftk.page.page_id, 5, "This text is on no block", CONTENT, None, "", "x.tsv:7")
    with pytest.raises(ValueError, match=r"wcxb-0495: correction from x\.tsv:7 .*matches no block"):
        label_page(jefftk.page, jefftk.data, jefftk.gold, [c])


def test_ambiguous_correction_raises(jefftk) -> None:
    """'Posts' is in the top and bottom menus: with a stale index the correction cannot be placed."""
    c = Correction(jefftk.page.page_id, 7, "Posts", CONTENT, None, "", "x.tsv:3")
    with pytest.raises(ValueError, match="matches no block"):
        label_page(jefftk.page, jefftk.data, jefftk.gold, [c])


@pytest.mark.slow
def test_bundled_corrections_all_match_their_blocks(corpus) -> None:
    """Every shipped correction still finds its block (after any segmenter change it must fail loudly)."""
    corr = load_corrections(corpus.root / "corrections")
    assert corr, "annotations/corrections/*.tsv"
    pages = [p for p in corpus.pages if p.page_id in corr]
    assert len(pages) == len(corr)  # no correction for an unknown page
    labeled = load_labeled(corpus, pages, workers=2, progress=False)
    corrected = sum(b.corrected for labeled_page in labeled for b in labeled_page.blocks)
    placed = {(c.page_id, c.index) for cs in corr.values() for c in cs}
    assert corrected == len(placed)
