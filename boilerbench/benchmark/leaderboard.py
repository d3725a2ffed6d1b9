"""Result files (`baselines/<system>.json`) and the leaderboard generated from them, with its
figures (the quality–speed scatter and the leakage heatmap, which the `report` site shows too).

A result file describes itself: system, version, kind, dataset revision, metric version, split, date
and all metrics. `leaderboard.md` is regenerated from every file in `baselines/` — never edited by
hand — and every write is atomic (temp file + rename), so a crash leaves the old files intact.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import tempfile
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, cast

from ..core.categories import BOILERPLATE_CATEGORIES
from . import CHECKOUT
from .scoring import METRIC_VERSION, SPEED_BASE, STRUCTURE_SCORES

if TYPE_CHECKING:  # matplotlib is imported by `_pyplot`, when a figure is drawn
    from matplotlib.axes import Axes
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.transforms import Bbox


def baselines_dir() -> Path:
    env = os.environ.get("BOILERBENCH_BASELINES")
    return Path(env) if env else CHECKOUT / "baselines"


def atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes the file private; results are for reading
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def result_record(
    name: str, metrics: dict[str, Any], report: dict[str, Any], submitted: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "system": name,
        "version": metrics.get("version"),
        "kind": "submission" if submitted else metrics.get("kind", "system"),
        "dataset_revision": report["dataset_revision"],
        "metric_version": METRIC_VERSION,
        "split": report["split"],
        "date": _dt.date.today().isoformat(),
        **({"submission": submitted} if submitted else {}),
        "metrics": {k: v for k, v in metrics.items() if k not in ("version", "kind")},
    }


def save_results(report: dict[str, Any], folder: Path | None = None, names: Collection[str] | None = None) -> list[Path]:
    """One result file per system of an `evaluate` report (or of `names` among them); then the
    leaderboard."""
    folder = folder or baselines_dir()
    paths = []
    for name, metrics in report["systems"].items():
        if names is not None and name not in names:
            continue
        path = folder / f"{name}.json"
        atomic_write(path, json.dumps(result_record(name, metrics, report), indent=1, ensure_ascii=False) + "\n")
        paths.append(path)
    write_leaderboard(folder)
    return paths


def stored_best(folder: Path | None = None) -> str | None:
    """The system (not a reference row) with the best block F1 among the stored results."""
    systems = [r for r in load_results(folder) if r.get("kind") == "system"]
    best = max(systems, key=lambda r: r["metrics"].get("block_f1") or 0.0, default=None)
    return best["system"] if best else None


def load_results(folder: Path | None = None) -> list[dict[str, Any]]:
    folder = folder or baselines_dir()
    out = []
    for path in sorted(folder.glob("*.json")):
        rec = json.loads(path.read_text(encoding="utf-8"))
        if rec.get("split", "test") == "test":
            out.append(rec)
    return out


def _f(v: Any) -> str:
    return "—" if v is None else f"{v:.3f}"


def _rate(v: float | None) -> str:
    return "—" if v is None else f"{v:.1f}"


def _worst_leaks(metrics: dict[str, Any], n: int = 3) -> str:
    kept = metrics.get("leakage", {}).get("boilerplate_kept", {})
    top = sorted(kept.items(), key=lambda kv: -kv[1])[:n]
    return ", ".join(f"{c} {100 * v:.0f}%" for c, v in top) or "—"


METRIC_COLUMNS = (
    "block F1 [95% CI]",
    "vs best: Δ, p",
    "block P",
    "block R",
    "word F1",
    "title kept",
    "leaks most",
    "pages/s",
    "× trafilatura",
    "errors",
    "version",
)
TITLE_NOTE = (
    "The page's own title block is left out of block P/R/F1 and scored on its own (*title kept*: the share of "
    "pages whose title block the system keeps), since corpora disagree on it: WCXB and Scrapinghub keep the "
    "title in a field apart from the text, and many extractors return it as metadata."
)
SPEED_NOTE = (
    "`pages/s`: one worker process, the extractor call only, timed when `evaluate` made the output "
    f"(on the machine that saved the board); `× {SPEED_BASE}`: the ratio to {SPEED_BASE}'s on the same board, "
    "which holds across machines. `python -m boilerbench bench` measures speed on yours."
)


# The structure table (issue 27): per system, what its structured mode writes and the F1 of each
# structure element over content blocks (`scoring.STRUCTURE_SCORES`, in that order after the first two).
STRUCTURE_COLUMNS = ("output", "structure [95% CI]", "headings", "list items", "table cells", "code", "links")
STRUCTURE_NOTE = (
    "*Structure*: systems with a structured output (Markdown or HTML) are run in that mode too; their output is parsed "
    "(CommonMark with GFM tables, or HTML), projected onto the page's blocks by the aligner, and each content block's "
    "structure is compared with the one its DOM gives it: headings of the right level, list items of the right depth, "
    "table cells in the right row and column, code blocks, and the links (absolute hrefs) inside each block, each an F1 "
    "per page; *structure* is the mean of those a page has, averaged over pages. *text*: the system writes text only, "
    "which keeps no structure (not scored, rather than scored 0: nothing was measured)."
)


def structure_cells(record: dict[str, Any]) -> list[str]:
    """A result's cells under `STRUCTURE_COLUMNS` ("not run" for a file saved before structure was scored)."""
    m = record["metrics"]
    if "structured_format" not in m:
        return ["not run", *["—"] * (len(STRUCTURE_COLUMNS) - 1)]
    fmt = m["structured_format"]
    if not fmt:
        return ["text", *["—"] * (len(STRUCTURE_COLUMNS) - 1)]
    ci = m.get("structure_score_ci")
    elements = [_f(m.get(k)) for k in STRUCTURE_SCORES if k != "structure_score"]
    return [fmt, _f(m.get("structure_score")) + (f" [{ci[0]:.3f}–{ci[1]:.3f}]" if ci else ""), *elements]


def structure_ranked(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The systems (no reference rows), best structure score first, those without one after, by block F1."""
    systems = [r for r in ranked(records) if r.get("kind") != "reference"]
    return sorted(
        systems, key=lambda r: -(r["metrics"].get("structure_score") if r["metrics"].get("structure_score") is not None else -1)
    )


def structure_by_corpus(records: Sequence[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    """The structure score of each scored system on each test corpus, in `structure_ranked` order:
    the corpora, then one row of cells per system (a lead overall can hide a loss on one corpus)."""
    scored = [r for r in structure_ranked(records) if r["metrics"].get("structure_score") is not None]
    corpora = sorted(
        {c for r in scored for c, m in r["metrics"].get("by_corpus", {}).items() if m.get("structure_score") is not None}
    )
    rows = [[r["system"], *(_f(r["metrics"]["by_corpus"].get(c, {}).get("structure_score")) for c in corpora)] for r in scored]
    return corpora, rows


def structure_table(records: Sequence[dict[str, Any]]) -> list[str]:
    """The structure ranking (Markdown lines)."""
    lines = ["| system | " + " | ".join(STRUCTURE_COLUMNS) + " |", "|---" * (1 + len(STRUCTURE_COLUMNS)) + "|"]
    for r in structure_ranked(records):
        lines.append(f"| {r['system']} | " + " | ".join(structure_cells(r)) + " |")
    return lines


def structure_corpus_table(records: Sequence[dict[str, Any]]) -> list[str]:
    """`structure_by_corpus` as Markdown lines (none when no system has a structure score)."""
    corpora, rows = structure_by_corpus(records)
    if not corpora:
        return []
    lines = ["| system | " + " | ".join(corpora) + " |", "|---|" + "---|" * len(corpora)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def speed_base(records: Sequence[dict[str, Any]]) -> float | None:
    """`SPEED_BASE`'s pages/s among `records`, what the `× trafilatura` column divides by."""
    return next((r["metrics"].get("pages_per_s") for r in records if r["system"] == SPEED_BASE), None)


def _versus(record: dict[str, Any]) -> str:
    """The paired bootstrap test of the result file against the best system of its run: the mean
    block F1 difference and its p-value ("best" on the best's own row)."""
    test = record["metrics"].get("vs_best")
    if not test:
        return "—"
    if test["against"] == record["system"]:
        return "best"
    p = test["p_value"]
    return f"{test['diff']:+.3f}, " + ("p < 0.001" if p < 0.001 else f"p = {p:.3f}")


def metric_cells(record: dict[str, Any], base: float | None = None) -> list[str]:
    """A result's cells under `METRIC_COLUMNS`, as plain text: the one layout of the leaderboard,
    the dataset card and the report site (`base`: `speed_base` of the board)."""
    m = record["metrics"]
    rate = m.get("pages_per_s")
    ci = m.get("block_f1_ci")
    title = m.get("title_kept")
    return [
        _f(m.get("block_f1")) + (f" [{ci[0]:.3f}–{ci[1]:.3f}]" if ci else ""),
        _versus(record),
        _f(m.get("block_precision")),
        _f(m.get("block_recall")),
        _f(m.get("word_f1")),
        "—" if title is None else f"{100 * title:.0f}%",
        _worst_leaks(m),
        _rate(rate),
        f"×{rate / base:.2f}" if rate and base else "—",
        str(m.get("errors", "—")),
        str(record.get("version") or "—"),
    ]


def main_table(records: list[dict[str, Any]]) -> list[str]:
    """The ranking (Markdown lines), best block F1 first: the leaderboard's and the dataset card's."""
    lines = ["| # | system | " + " | ".join(METRIC_COLUMNS) + " |", "|---" * (2 + len(METRIC_COLUMNS)) + "|"]
    base = speed_base(records)
    for k, r in enumerate(ranked(records), start=1):
        name = r["system"]
        if r.get("kind") == "submission":
            url = r.get("submission", {}).get("url")
            name = (f"[{name}]({url})" if url else name) + " (submission)"
        if r.get("kind") == "reference":
            name = f"*{r['system']}* (reference)"
        lines.append(f"| {k} | {name} | " + " | ".join(metric_cells(r, base)) + " |")
    return lines


def ranked(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Best block F1 first: the order of every table and figure of results."""
    return sorted(records, key=lambda r: -(r["metrics"].get("block_f1") or 0))


def render(records: list[dict[str, Any]], figures: bool = False) -> str:
    """The leaderboard's Markdown; `figures`: embed the images `write_leaderboard` draws."""
    recs = ranked(records)
    revs = sorted({r["dataset_revision"] for r in recs})
    lines = [
        "# boilerbench leaderboard",
        "",
        "Generated by `python -m boilerbench evaluate --save` from the files in `baselines/`;",
        "do not edit by hand. Test split: WCXB test, Scrapinghub, and trafilatura-eval's test part (its sites",
        "split 40/20/40 into train/validation/test; snippet labels only; trafilatura's own development set,",
        "so it flatters trafilatura).",
        "Block F1 is the primary metric (content class, per page, averaged over pages, 95% bootstrap CI);",
        "*vs best* is a paired bootstrap test against the best system over the same pages (difference, p).",
        TITLE_NOTE,
        "Word F1 is WCXB's published metric, on pages with full gold text. *Leaks most* lists the",
        "boilerplate categories whose blocks the system keeps most often. *errors*: pages the system failed on",
        "(scored as an empty output); `python -m boilerbench errors` lists each with its error.",
        SPEED_NOTE,
        "",
        f"Dataset revision(s): {', '.join(revs) or '—'}.",
        "",
        "**Submit** your extractor or block classifier: write one JSON line per test page,",
        '`{"page_id": ..., "text": ...}` or `{"page_id": ..., "labels": [0/1 per block]}`, then run',
        "`python -m boilerbench submit FILE --name NAME [--url URL] [--description TEXT]` and open a pull",
        "request with the `baselines/NAME.json` and `leaderboard.md` it writes (the README shows how).",
        "",
    ]
    lines += main_table(recs)
    if figures:
        lines += [
            "",
            "![block F1 against pages/s, Pareto front dashed](figures/quality-speed.svg)",
            "",
            "![boilerplate kept, % per category and system](figures/leakage.svg)",
        ]
    lines += ["", "## Structure (per content block)", "", STRUCTURE_NOTE, "", *structure_table(recs)]
    if by_corpus := structure_corpus_table(recs):
        lines += ["", "### Structure score by corpus", "", *by_corpus]
    for title, key in (("By corpus (block F1 / word F1)", "by_corpus"), ("By page type (block F1)", "by_page_type")):
        groups = sorted({g for r in recs for g in r["metrics"].get(key, {})})
        if key == "by_page_type":
            groups = [g for g in groups if g != "unknown"]
        if not groups:
            continue
        lines += ["", f"## {title}", ""]
        if key == "by_page_type":
            corpora: dict[str, set[str]] = {}
            for r in recs:
                for t, cs in r["metrics"].get("page_type_corpora", {}).items():
                    corpora.setdefault(t, set()).update(cs)
            if corpora:
                lines += [
                    "Pages of each type come from: "
                    + "; ".join(f"{g}: {', '.join(sorted(corpora.get(g, ())))}" for g in groups)
                    + ".",
                    "",
                ]
        lines += ["| system | " + " | ".join(groups) + " |", "|---|" + "---|" * len(groups)]
        for r in recs:
            cells = []
            for g in groups:
                s = r["metrics"].get(key, {}).get(g, {})
                if key == "by_corpus":
                    cells.append(f"{_f(s.get('block_f1'))} / {_f(s.get('word_f1'))}")
                else:
                    cells.append(_f(s.get("block_f1")))
            lines.append(f"| {r['system']} | " + " | ".join(cells) + " |")
    lines += ["", "## What leaks", ""]
    for r in recs:
        if r.get("kind") == "reference":
            continue
        m = r["metrics"]
        dropped = m.get("leakage", {}).get("content_dropped", {})
        worst_drop = sorted(dropped.items(), key=lambda kv: -kv[1])[:2]
        lines.append(
            f"- **{r['system']}** keeps {_worst_leaks(m)} of those boilerplate blocks; drops "
            + (", ".join(f"{100 * v:.0f}% of {c}" for c, v in worst_drop) or "—")
            + " blocks."
        )
    return "\n".join(lines)


# --- figures (leaderboard.md embeds them; the report site shows them too) ------------------------------


def _pyplot() -> ModuleType:
    """pyplot, drawing to files only; imported here because matplotlib takes ~0.5 s and only the
    figures need it (`evaluate --save`, `submit` and the dataset card import this module too)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


@contextmanager
def _drawing() -> Iterator[ModuleType]:
    """pyplot under matplotlib's own defaults, not the user's matplotlibrc nor what another library
    set, and with a fixed SVG hash salt: the same results draw the same bytes (with `_save`'s
    metadata) on every run, so `submit` leaves the tracked figures alone unless they change."""
    plt = _pyplot()
    with plt.style.context("default"), plt.rc_context({"svg.hashsalt": "boilerbench"}):
        yield plt


def pareto_front(points: Sequence[tuple[str, float, float]]) -> list[str]:
    """Names of the (name, speed, quality) points no other point beats on both, fastest first."""
    front = []
    best = -1.0
    for name, _speed, quality in sorted(points, key=lambda p: (-p[1], -p[2])):
        if quality > best:
            front.append(name)
            best = quality
    return front


def _save(fig: Figure, folder: Path, stem: str, formats: Sequence[str]) -> Path:
    """The figure in each of `formats`; returns the path of the first."""
    paths = []
    for ext in formats:
        path = folder / f"{stem}.{ext}"
        fig.savefig(
            path, format=ext, dpi=110, bbox_inches="tight", metadata={"Date": None} if ext == "svg" else {"Software": None}
        )
        paths.append(path)
    return paths[0]


# Where a point's label may go, in points from the point, tried in order: right, below right,
# left, below left, further up, further down.
_LABEL_SPOTS = ((5, 3, "left"), (5, -10, "left"), (-5, 3, "right"), (-5, -10, "right"), (5, 12, "left"), (5, -19, "left"))


def place_labels(fig: Figure, ax: Axes, points: Sequence[tuple[str, float, float]]) -> list[Bbox]:
    """Label each (name, x, y) point at the first of `_LABEL_SPOTS` where it overlaps no label
    placed before it (the last spot when none is free); returns the labels' display boxes."""
    renderer = cast("FigureCanvasAgg", fig.canvas).get_renderer()  # the Agg canvas: `_pyplot`
    boxes: list[Bbox] = []
    for name, x, y in points:
        for k, (dx, dy, ha) in enumerate(_LABEL_SPOTS):
            ann = ax.annotate(name, (x, y), textcoords="offset points", xytext=(dx, dy), fontsize=8, ha=ha)
            box = ann.get_window_extent(renderer)
            if not any(box.overlaps(b) for b in boxes) or k == len(_LABEL_SPOTS) - 1:
                boxes.append(box)
                break
            ann.remove()
    return boxes


def leakage_grid(records: Sequence[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str], list[list[float]]]:
    """The heatmap's rows (systems, ranked, no reference rows), columns (boilerplate categories)
    and cells: % of the category's blocks the system keeps (NaN where it has none), the unit its
    colour bar reads."""
    systems = [r for r in ranked(records) if r.get("kind") != "reference"]
    cats = list(BOILERPLATE_CATEGORIES)
    grid = [
        [100 * r["metrics"].get("leakage", {}).get("boilerplate_kept", {}).get(c, float("nan")) for c in cats] for r in systems
    ]
    return systems, cats, grid


def figures(records: Sequence[dict[str, Any]], folder: Path, formats: Sequence[str] = ("svg", "png")) -> dict[str, Path]:
    """The quality–speed scatter (block F1 vs pages/s, log scale, Pareto front drawn) and the
    leakage heatmap (systems × boilerplate categories), in `formats` (SVG first) in `folder`."""
    with _drawing() as plt:
        return _draw(plt, records, folder, formats)


def _draw(plt: ModuleType, records: Sequence[dict[str, Any]], folder: Path, formats: Sequence[str]) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    timed = [
        (r["system"], r["metrics"]["pages_per_s"], r["metrics"]["block_f1"])
        for r in records
        if r.get("kind") != "reference" and r["metrics"].get("pages_per_s") and r["metrics"].get("block_f1") is not None
    ]
    out: dict[str, Path] = {}
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    front = pareto_front(timed)
    for name, speed, f1 in timed:
        on = name in front
        ax.scatter([speed], [f1], s=36, color="#c0392b" if on else "#555", zorder=3)
    ax.set_xscale("log")
    place_labels(fig, ax, timed)
    pts = sorted((s, f) for n, s, f in timed if n in front)
    if pts:
        ax.plot([s for s, _ in pts], [f for _, f in pts], color="#c0392b", lw=1.2, ls="--", label="Pareto front", zorder=2)
        ax.legend(loc="lower left", fontsize=8)
    ax.set_xlabel("pages/s, one core (log scale)")
    ax.set_ylabel("block F1 (test)")
    ax.set_title("Quality vs speed", fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    out["scatter"] = _save(fig, folder, "quality-speed", formats)
    plt.close(fig)

    systems, cats, grid = leakage_grid(records)
    fig, ax = plt.subplots(figsize=(1.0 + 0.55 * len(cats), 0.8 + 0.32 * len(systems)))
    im = ax.imshow(grid, cmap="Reds", vmin=0, vmax=100, aspect="auto")
    ax.set_xticks(range(len(cats)), cats, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(len(systems)), [r["system"] for r in systems], fontsize=8)
    for i, row in enumerate(grid):
        for j, v in enumerate(row):
            if v == v:  # not NaN
                ax.text(j, i, f"{v:.0f}", ha="center", va="center", fontsize=7, color="white" if v > 60 else "#222")
    fig.colorbar(im, ax=ax, fraction=0.03, label="% of the category's blocks kept")
    ax.set_title("What leaks: boilerplate kept, % per category", fontsize=10)
    out["heatmap"] = _save(fig, folder, "leakage", formats)
    plt.close(fig)
    return out


def write_leaderboard(folder: Path | None = None, out: Path | None = None) -> Path:
    """Render `leaderboard.md` beside the results folder (`baselines/` → the repository's own)."""
    folder = folder or baselines_dir()
    out = out or folder.resolve().parent / "leaderboard.md"
    records = load_results(folder)
    if records:
        figures(records, out.parent / "figures", formats=("svg",))  # what the Markdown embeds
    atomic_write(out, render(records, figures=bool(records)))
    return out
