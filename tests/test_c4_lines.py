"""The C4 line-filter baseline (systems/c4_lines.py): its line rules, the three-sentence page rule,
and on real pages a subset of the page's own lines."""

from __future__ import annotations

import pytest

from boilerbench.benchmark import systems
from boilerbench.benchmark.runner import decode_page
from boilerbench.benchmark.systems.c4_lines import extract, keep_line
from boilerbench.core.segment import segment_html


@pytest.mark.parametrize(
    "line",
    [
        "This line has five words.",
        "Is this a real question here?",
        "What a wonderful day it is!",
        'He said that it was "fine by me."',
        "She wrote it down in her ‘little notebook’",
        "Korea Utara membantah mengirim pasukan ke Rusia tetapi mengatakan minggu lalu.",
    ],
)
def test_keep_line_keeps(line: str) -> None:
    assert keep_line(line)


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("This line has five words", "no terminal punctuation"),
        ("This line ends in a colon:", "a colon is not terminal punctuation"),
        ("This line ends with a comma,", "nor a comma"),
        ("Only four words here.", "fewer than 5 words"),
        ("Short.", "fewer than 5 words"),
        ("Please enable JavaScript to view this page.", "javascript, any case"),
        ("Our javascript widgets are loading now.", "javascript"),
        ("The function body is { return x; } here.", "a curly bracket"),
        ("Use a dict literal like {a: 1} in code.", "a curly bracket"),
        ("", "empty"),
    ],
)
def test_keep_line_drops(line: str, why: str) -> None:
    assert not keep_line(line), why


def test_five_words_is_the_boundary() -> None:
    assert not keep_line("One two three four.")
    assert keep_line("One two three four five.")
    # words are white-space separated tokens
    assert not keep_line("One-two three-four five-six seven.")


def _page(*paragraphs: str) -> str:
    return "<html><body>" + "".join(f"<p>{p}</p>" for p in paragraphs) + "</body></html>"


GOOD = [
    "The first sentence of this page is long enough.",
    "The second sentence of this page is long enough.",
    "The third sentence of this page is long enough.",
]


def test_page_with_fewer_than_three_sentences_gives_nothing() -> None:
    assert extract(_page(*GOOD[:2])) == ""
    assert extract(_page(*GOOD[:2], "Menu", "Home | About | Contact")) == ""
    assert extract(_page()) == ""
    assert extract("") == ""


def test_page_with_three_sentences_keeps_its_good_lines() -> None:
    html = _page("Menu", GOOD[0], "Enable JavaScript to see the comments below.", GOOD[1], "Read more", GOOD[2])
    assert extract(html) == "\n".join(GOOD)


def test_sentences_are_counted_in_kept_lines_only() -> None:
    # three sentences on the page, but one of them is in a dropped (too short) line
    assert extract(_page(*GOOD[:2], "Too short. Yes.")) == ""
    # one kept line holding three sentences is enough
    three = "One sentence is here. Another one follows it. And a third one ends it."
    assert extract(_page(three)) == three


def test_pre_lines_are_judged_one_by_one() -> None:
    html = _page(*GOOD).replace("</body>", "<pre>var x = {a: 1};\nThis line of the pre block is prose.\nls -la</pre></body>")
    assert extract(html).splitlines() == [*GOOD, "This line of the pre block is prose."]


@pytest.mark.parametrize("fixture", ["jefftk", "erikdemaine", "autopresse"])
def test_real_page_gives_a_subset_of_its_lines(request: pytest.FixtureRequest, fixture: str) -> None:
    rp = request.getfixturevalue(fixture)
    html = decode_page(rp.data)  # decoded as the evaluator decodes pages for extractors
    out = extract(html)
    page_lines = [line for b in segment_html(html) for line in b.text.split("\n")]
    kept = out.split("\n")
    assert out and kept
    assert all(keep_line(line) for line in kept)
    # the kept lines are page lines, in page order
    it = iter(page_lines)
    assert all(any(line == p for p in it) for line in kept)
    assert len(kept) < len(page_lines)  # menus and short lines are gone
    assert sum(keep_line(line) for line in page_lines) == len(kept)


def test_real_page_drops_the_menu(jefftk) -> None:
    kept = extract(decode_page(jefftk.data)).split("\n")
    assert "Contact" not in kept and "Posts" not in kept
    assert any(line.startswith("Most of my stuff lives in the cloud") for line in kept)
    # the rsync lines of the <pre> end without punctuation: dropped one by one
    assert not any(line.startswith("rsync") for line in kept)


def test_registered_as_a_text_system() -> None:
    s = systems.load_system("c4-lines")
    assert s.kind == "text"
    assert s.fn is extract
    assert s.fn(_page(*GOOD), None, None) == "\n".join(GOOD)
