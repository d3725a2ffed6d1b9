"""Text of an extractor's HTML output, rendered with the project's own segmenter so block breaks
become line breaks (lxml's text_content would glue "end.Next" together)."""

from __future__ import annotations

from ..segment import segment_html


def html_to_text(html: str) -> str:
    return "\n".join(b.text for b in segment_html(html)) if html and html.strip() else ""
