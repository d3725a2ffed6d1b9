"""The project's own block classifier (`classifier.py`), its shipped models, as a system: HTML mode
(registered as "boilerbench") and text mode ("boilerbench-text"), through the extractor's one path
from a page to decisions (`extract.classify`, `extract.decide_blocks`).

`predict_html` decides on the page's blocks directly; `predict_text` sees the page only as a crawl's
text dump (one line per block line, no markup) and a block is kept when at least half its lines are.
"""

from __future__ import annotations

from ... import __version__
from ...core.segment import as_lines, segment_html
from ...core.types import CATEGORY_MODEL_FORMATS, PAGE_FORMATS
from ...extractor.classifier import model_hash, model_path, shipped, shipped_categories
from ...extractor.extract import classify, decide_blocks, extract
from ...extractor.markdown import MARKDOWN_VERSION

KIND = "blocks"
REQUIRES = ()  # this project's own code; its model files are what `missing` checks


def missing() -> str | None:
    """Why the system cannot run (no trained model), or None."""
    absent = [m for m in PAGE_FORMATS if not model_path(m).is_file()]
    return f"no trained model ({', '.join(absent)}); run `python -m boilerbench train`" if absent else None


def version() -> str:
    """The package version, the hash of the shipped models and the Markdown writer's version:
    retraining, or a change of what its structured mode writes, invalidates cached outputs."""
    return f"{__version__}+{model_hash()}.md{MARKDOWN_VERSION}"  # one local segment (PEP 440)


def warm_up() -> None:
    """Load the models before the clock starts: pages/s is about pages, not start-up."""
    for page_format in PAGE_FORMATS:
        shipped(page_format)
    for page_format in CATEGORY_MODEL_FORMATS:
        shipped_categories(page_format)


def predict_html(html: str) -> list[bool]:
    return classify(html, "html", structure=False).kept


def extract_markdown(html: str, url: str | None = None, language: str | None = None) -> str:
    """Its structured mode: the kept blocks as CommonMark (`extract(..., output="markdown")`, what
    `clean --format markdown` writes), parsed and scored as every other system's Markdown is."""
    return extract(html, url, page_format="html", output="markdown")


def predict_text(html: str) -> list[bool]:
    blocks = segment_html(html, structure=False)
    lines, owner = as_lines(blocks)
    kept = decide_blocks(lines, "text").kept
    votes = [[0, 0] for _ in blocks]
    for k, b in zip(kept, owner):
        votes[b][0] += k
        votes[b][1] += 1
    return [2 * v[0] >= v[1] > 0 for v in votes]
