"""render: real pages as real HTML-to-text tools dump them, each line labeled by the aligner."""

from __future__ import annotations

from collections import Counter

import pytest

from boilerbench.benchmark.corpora.store import Corpus
from boilerbench.benchmark.groundtruth import load_labeled
from boilerbench.benchmark.render import RENDERERS, render_text, rendered
from boilerbench.benchmark.train import rendered_training_data
from boilerbench.core.segment import as_lines
from boilerbench.core.types import BOILERPLATE, CONTENT


@pytest.fixture(scope="module")
def pages():
    corpus = Corpus.open()
    # a full-gold WCXB train page and a snippet-labeled trafilatura-eval train page
    pick = corpus.select(split="train", source="wcxb")[:2] + corpus.select(split="train", source="trafilatura-eval")[:1]
    return corpus, pick, rendered(corpus, pick, workers=1, progress=False)


@pytest.mark.slow
def test_every_page_by_every_renderer(pages) -> None:
    _, pick, out = pages
    assert [(r.page.page_id, r.renderer) for r in out] == [(p.page_id, r) for p in pick for r in RENDERERS]
    for r in out:
        assert len(r.lines) == len(r.labels) == len(r.categories) == len(r.owners)
        assert [b.index for b in r.lines] == list(range(len(r.lines)))


def test_renderers_differ_and_labels_come_from_the_gold(pages) -> None:
    corpus, pick, out = pages
    wcxb = [r for r in out if r.page.page_id == pick[0].page_id]
    texts = {r.renderer: [b.text for b in r.lines] for r in wcxb}
    assert len({tuple(t) for t in texts.values()}) == len(RENDERERS)  # four different dumps
    for r in wcxb:  # full gold: every line decided, both classes present
        assert set(r.labels) == {CONTENT, BOILERPLATE}, r.renderer
    gold_words = set(corpus.gold[pick[0].page_id].text.lower().split())
    for r in wcxb:
        content = " ".join(b.text for b, lab in zip(r.lines, r.labels) if lab == CONTENT).lower().split()
        assert sum(w in gold_words for w in content) / len(content) > 0.9, r.renderer
    snippets = [r for r in out if r.page.source == "trafilatura-eval"]
    for r in snippets:  # snippets decide a few lines, the rest stay undecided
        counts = Counter(r.labels)
        assert counts[None] > counts[CONTENT] + counts[BOILERPLATE] > 0, r.renderer


def test_blocks_renderer_is_as_lines(pages) -> None:
    corpus, pick, out = pages
    labeled_page = load_labeled(corpus, pick[:1], progress=False)[0]
    lines, owner = as_lines([b.block for b in labeled_page.blocks])
    r = next(r for r in out if r.renderer == "blocks")
    assert [b.text for b in r.lines] == [b.text for b in lines] and r.owners == owner
    assert r.labels == [labeled_page.blocks[o].label for o in owner]


def test_resiliparse_dump_keeps_alt_texts() -> None:
    html = '<html><body><p>Some text of the article here.</p><img src="a.jpg" alt="A photo caption"></body></html>'
    assert "A photo caption" in render_text(html, "resiliparse")
    with pytest.raises(ValueError, match="renderer"):
        render_text(html, "lynx")


def test_rendered_training_data_keeps_pages_with_labels(pages) -> None:
    _, _, out = pages
    data = rendered_training_data(out)
    assert len(data) == len(out)
    assert {p.source for p in data} == {"wcxb", "trafilatura-eval"}
    assert all(len(p.blocks) == len(p.labels) for p in data)
