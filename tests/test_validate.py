"""The validation report: agreement of derived labels with human snippets, and gold word coverage."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from boilerbench import cli
from boilerbench.benchmark.validate import TARGETS, page_checks, report, structure_checks, summarize
from boilerbench.core.text import bag_of_words, has_word, tokenize
from boilerbench.core.types import BOILERPLATE, CONTENT, Block, Gold, LabeledBlock, LabeledPage, Page

# The targets the project set for the derived labels (issue: label quality).
PROJECT_TARGETS = {"with_snippet_agreement": 0.98, "without_snippet_agreement": 0.95, "gold_word_coverage": 0.97}
RATIOS = ("with_snippet_agreement", "without_snippet_agreement", "gold_word_coverage", "content_share")


@pytest.fixture(scope="module")
def validation_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], float]:
    """One run of the command for the module (the session environment of conftest covers it)."""
    out = tmp_path_factory.mktemp("validate") / "report.json"
    start = time.perf_counter()
    rc = cli.main(["validate", "--split", "validation", "--json", str(out)])
    elapsed = time.perf_counter() - start
    assert rc == 0
    return json.loads(out.read_text(encoding="utf-8")), elapsed


@pytest.mark.slow
def test_validate_validation_split(validation_report, corpus) -> None:
    rep, elapsed = validation_report
    assert elapsed < 90, f"validate --split validation took {elapsed:.0f}s"
    pages = {"wcxb": 200, "trafilatura-eval": 183}  # trafilatura-eval is split by site too
    assert rep["pages"] == sum(pages.values()) and rep["splits"] == {"validation": sum(pages.values())}
    assert sorted(rep["corpora"]) == sorted(pages)
    assert rep["dataset_revision"] == corpus.revision()
    for name, s in [*rep["corpora"].items(), ("overall", rep["overall"])]:
        n = pages.get(name, sum(pages.values()))
        for key in ("pages", "blocks", *RATIOS):
            assert key in s, (name, key)
        assert s["pages"] == n and s["blocks"] > n * 10
        for key in RATIOS:
            assert s[key] is None or (isinstance(s[key], float) and 0.0 <= s[key] <= 1.0), (name, key, s[key])
        # WCXB has 3-8 snippets of each kind per page beside its gold text; trafilatura-eval's
        # snippets are its labels, nothing to check them against
        assert s["snippets_checked"] > pages["wcxb"] * 4 if name != "trafilatura-eval" else s["snippets_checked"] == 0
    assert rep["blocks"] == rep["overall"]["blocks"]


@pytest.mark.parametrize("metric", sorted(PROJECT_TARGETS))
@pytest.mark.slow
def test_validation_split_meets_project_targets(validation_report, metric: str) -> None:
    rep, _ = validation_report
    assert rep["overall"][metric] >= PROJECT_TARGETS[metric]
    assert rep["corpora"]["wcxb"][metric] >= PROJECT_TARGETS[metric]


def test_targets_in_code_are_the_project_targets() -> None:
    assert TARGETS == PROJECT_TARGETS


@pytest.mark.slow
def test_worst_lists_are_sorted(validation_report) -> None:
    rep, _ = validation_report
    cov = [r["coverage"] for r in rep["worst_coverage"]]
    assert cov == sorted(cov) and len(cov) == 10
    assert all(0.0 <= c <= 1.0 for c in cov)


# --- page_checks on a hand-built page --------------------------------------------------------

TEXTS = [
    "Korea Utara menyatakan akan berdiri berdampingan dengan Rusia",  # content
    "Warisan Angka Bisnis Lokal Produk",  # boilerplate (menu)
    "Angkatan Udara Ukraina mengumumkan pada 1 November",  # content
    "Komentar (0)",  # boilerplate
]
LABELS = [CONTENT, BOILERPLATE, CONTENT, BOILERPLATE]


def hand_page(gold: Gold, labels=LABELS) -> LabeledPage:
    page = Page("t-0001", "t", "1", "", "vietnam.vn", "unknown", None, "id", "test", "", "")
    blocks = tuple(
        LabeledBlock(Block(i, f"/html/body/p[{i + 1}]", "p", t, len(t.split()), 0, "html body p", 3), lab, "paragraph")
        for i, (t, lab) in enumerate(zip(TEXTS, labels))
    )
    return LabeledPage(page, gold, blocks)


GOLD = Gold(
    "t-0001",
    "Korea Utara menyatakan akan berdiri berdampingan dengan Rusia.\n\nAngkatan Udara Ukraina mengumumkan pada "
    "1 November. Kalimat yang hilang dari halaman.",
    with_snippets=(
        "akan berdiri berdampingan",  # in content block 0: agrees
        "Bisnis Lokal",  # in a boilerplate block: disagrees
        "Rusia Angkatan Udara",  # blocks 0 and 2 are not adjacent on the page: not found
    ),
    without_snippets=(
        "Komentar (0)",  # boilerplate block 3: agrees
        "Produk Angkatan Udara",  # spans boilerplate 1 and content 2: disagrees
        "tidak ada di halaman",  # absent
    ),
)


def test_page_checks_known_answer() -> None:
    r = page_checks(hand_page(GOLD))
    assert (r["blocks"], r["labeled"], r["content"]) == (4, 4, 2)
    assert (r["with_ok"], r["with_n"], r["with_missing"]) == (1, 2, 1)
    assert (r["without_ok"], r["without_n"], r["without_missing"]) == (1, 2, 1)
    assert r["disagreements"] == ["with: 'Bisnis Lokal'", "without: 'Produk Angkatan Udara'"]
    # gold words: 8 + 7 + 5; covered: all but the 5 words of the sentence missing from the page
    assert GOLD.text is not None
    assert r["gold_words"] == sum(bag_of_words(GOLD.text).values()) == 20
    assert r["covered_words"] == 15


def test_page_checks_counts_repeated_words_once_per_occurrence() -> None:
    gold = Gold("t-0001", "Rusia Rusia Rusia Rusia")
    r = page_checks(hand_page(gold))
    assert (r["gold_words"], r["covered_words"]) == (4, 1)  # 'Rusia' appears once in the content


def test_page_checks_empty_and_snippet_only_gold() -> None:
    empty = page_checks(hand_page(Gold("t-0001", "", without_snippets=("Komentar (0)",)), [BOILERPLATE] * 4))
    assert (empty["without_ok"], empty["without_n"]) == (1, 1)
    assert "gold_words" not in empty
    snippets = page_checks(hand_page(Gold("t-0001", None, with_snippets=("Bisnis Lokal",)), [None, CONTENT, None, None]))
    assert snippets == {"page_id": "t-0001", "blocks": 4, "labeled": 1, "content": 1}


def test_summarize_and_report() -> None:
    rows = [
        page_checks(hand_page(GOLD)),
        page_checks(hand_page(Gold("t-0001", "", without_snippets=("Komentar (0)",)), [BOILERPLATE] * 4)),
    ]
    s = summarize(rows)
    assert s["pages"] == 2 and s["blocks"] == 8 and s["labeled_blocks"] == 8
    assert s["content_share"] == 0.25
    assert s["with_snippet_agreement"] == 0.5
    assert s["without_snippet_agreement"] == round(2 / 3, 4)
    assert s["gold_word_coverage"] == 0.75
    assert s["empty_gold_pages"] == 1 and s["snippets_not_found"] == 2
    rep = report([hand_page(GOLD)])
    assert rep["overall"]["pages"] == 1 and list(rep["corpora"]) == ["t"]
    assert rep["worst_snippets"][0]["page_id"] == "t-0001"


def test_structure_check_of_real_pages(jefftk, erikdemaine, corpus) -> None:
    """Two pages (fixtures cut from the real ones) against WCXB's own Markdown of the whole pages:
    every heading of erikdemaine's content blocks is one of the Markdown's, level included (the
    fixture holds 2 of its 6), jefftk's list items and links are all found again (the title blocks
    left out); jefftk's <pre> is a code block that the Markdown does not fence."""
    from boilerbench.benchmark.labels import label_page

    counts = {}
    for real in (jefftk, erikdemaine):
        labeled = label_page(real.page, real.data, real.gold)
        counts[real.page.page_id] = structure_checks(labeled, corpus.markdown_gold[real.page.page_id])
    tp, fp, fn = counts["wcxb-0406"]["heading"]
    assert tp >= 2 and fp == 0, counts
    tp, fp, fn = counts["wcxb-0495"]["list_item"]
    assert tp >= 2 and fn == 0, counts
    tp, fp, fn = counts["wcxb-0495"]["link"]
    assert tp >= 5 and fn == 0, counts
    # code counted by its words: every word of the unfenced <pre> is one the Markdown has not as code
    labeled = label_page(jefftk.page, jefftk.data, jefftk.gold)
    pre = [b.block.text for b in labeled.blocks if b.label == CONTENT and b.block.known_structure.kind == "code"]
    assert len(pre) == 1 and counts["wcxb-0495"]["code"] == (0, sum(has_word(w) for w in tokenize(pre[0])), 0), counts
    # the report counts every element of the Markdown: found, or missed; no Markdown, no check
    rep = report([labeled], markdown={"wcxb-0495": corpus.markdown_gold["wcxb-0495"]})
    found, _, missed = counts["wcxb-0495"]["link"]
    assert rep["structure"]["pages"] == 1 and rep["structure"]["link"]["gold"] == found + missed
    assert report([labeled])["structure"] is None


@pytest.mark.slow
def test_validate_reports_the_structure_check(validation_report) -> None:
    rep, _ = validation_report
    st = rep["structure"]
    assert st["pages"] == 195  # the validation pages with WCXB's Markdown gold
    for element in ("heading", "list_item", "table_cell", "code", "link"):
        assert st[element]["gold"] > 100 and 0.0 < st[element]["recall"] <= 1.0
    # headings are the element both read alike most (the gold marks fewer of the page's h1-h6)
    assert st["heading"]["recall"] > 0.9
