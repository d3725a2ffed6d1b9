"""Static HTML views of the benchmark: a page's blocks side by side for every system (`show --out`).

Every page is one self-contained file: inline CSS, no script, no external asset, and a Content
Security Policy that forbids both, so a report opened from anywhere fetches nothing and runs nothing.
All page text is escaped: a page's own markup or scripts are shown as text, never interpreted.
"""

from __future__ import annotations

import html
from .evaluate import Scored, score_system
from .types import BOILERPLATE, CONTENT, LabeledPage

_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.3em;margin:0 0 .2em} .meta{color:#555;margin-bottom:1em;word-break:break-all}
table{border-collapse:collapse} th,td{border:1px solid #ddd;padding:2px 6px;vertical-align:top}
th{background:#f4f4f4;position:sticky;top:0}
td.text{max-width:60em;white-space:pre-wrap;word-break:break-word}
tr.content td.gold{background:#dff3df} tr.boilerplate td.gold{background:#f3e3e3} tr.unlabeled td.gold{color:#999}
td.sys{text-align:center;font-family:monospace}
td.keep{background:#e8f5e8} td.drop{background:#fafafa;color:#bbb}
td.leak{background:#f8b4b4;font-weight:bold} td.lost{background:#ffd27f;font-weight:bold}
.legend span{display:inline-block;padding:0 .5em;margin-right:.5em;border:1px solid #ddd}
"""


def _f(v: float | None) -> str:
    return "—" if v is None else f"{v:.3f}"


def _cell(label: str | None, kept: bool) -> tuple[str, str]:
    """(css class, mark) of one system's decision on one block: leaked boilerplate and lost
    content are the errors to see."""
    if label == BOILERPLATE and kept:
        return "leak", "✓"
    if label == CONTENT and not kept:
        return "lost", "·"
    return ("keep", "✓") if kept else ("drop", "·")


def page_html(lp: LabeledPage, scored: dict[str, Scored], versions: dict[str, str | None] | None = None, skipped: dict[str, str] | None = None) -> str:
    """One page's blocks in order — gold label, category, one column per system — with each
    system's block and word F1 on this page at the top."""
    e = html.escape
    names = list(scored)
    results = {n: score_system(n, [lp], [scored[n]])[0] for n in names}
    p = lp.page
    rows = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        f"<title>{e(p.page_id)} — boilerbench</title><style>{_STYLE}</style></head><body>",
        f"<h1>{e(p.page_id)}</h1>",
        f'<div class="meta">{e(p.source)} · {e(p.split)} · {e(p.page_type or "—")} · {e(p.language)} · {e(p.url or "")}</div>',
        '<table class="systems"><thead><tr><th>system</th><th>version</th><th>block F1</th><th>block P</th>'
        "<th>block R</th><th>word F1</th><th>kept</th><th>leaked boilerplate</th><th>lost content</th><th>error</th></tr></thead><tbody>",
    ]
    for n in names:
        s = results[n].scores
        kept = scored[n].kept
        leaks = sum(1 for b, k in zip(lp.blocks, kept) if k and b.label == BOILERPLATE)
        lost = sum(1 for b, k in zip(lp.blocks, kept) if not k and b.label == CONTENT)
        rows.append(
            f'<tr class="system"><td>{e(n)}</td><td>{e(str((versions or {}).get(n) or "—"))}</td>'
            f"<td>{_f(s.get('block_f1'))}</td><td>{_f(s.get('block_precision'))}</td><td>{_f(s.get('block_recall'))}</td>"
            f"<td>{_f(s.get('word_f1'))}</td><td>{sum(kept)}/{len(kept)}</td><td>{leaks}</td><td>{lost}</td>"
            f"<td>{e(scored[n].error or '')}</td></tr>"
        )
    rows.append("</tbody></table>")
    for n, why in (skipped or {}).items():
        rows.append(f'<p class="skipped">{e(n)}: not run ({e(why)})</p>')
    rows.append(
        '<p class="legend"><span>✓ kept</span><span>· dropped</span>'
        '<span style="background:#f8b4b4">leaked boilerplate</span><span style="background:#ffd27f">lost content</span></p>'
    )
    head = "".join(f'<th class="sys" title="{e(n)}">{e(n)}</th>' for n in names)
    rows.append(f'<table class="blocks"><thead><tr><th>#</th><th>gold</th><th>category</th><th>tag</th>{head}<th>text</th></tr></thead><tbody>')
    for i, b in enumerate(lp.blocks):
        label = b.label
        cls = {CONTENT: "content", BOILERPLATE: "boilerplate"}.get(label or "", "unlabeled")
        cells = []
        for n in names:
            css, mark = _cell(label, scored[n].kept[i])
            cells.append(f'<td class="sys {css}">{mark}</td>')
        rows.append(
            f'<tr class="block {cls}"><td>{b.block.index}</td><td class="gold">{e(label or "?")}</td>'
            f"<td>{e(b.category)}</td><td>{e(b.block.tag)}</td>{''.join(cells)}<td class=\"text\">{e(b.block.text)}</td></tr>"
        )
    rows += ["</tbody></table>", "</body></html>"]
    return "\n".join(rows) + "\n"
