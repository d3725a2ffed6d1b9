"""leaderboard: self-describing result files, the generated leaderboard, atomic writes."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from dataclasses import replace
from pathlib import Path

import pytest

from boilerbench.benchmark import leaderboard, scoring
from boilerbench.benchmark.corpora.store import Corpus, write_corpus
from boilerbench.benchmark.evaluate import evaluate
from boilerbench.benchmark.leaderboard import (
    atomic_write,
    leakage_grid,
    load_results,
    pareto_front,
    place_labels,
    render,
    result_record,
    save_results,
    write_leaderboard,
)

PAGE_IDS = ["wcxb-4352", "wcxb-4207", "wcxb-4542", "wcxb-4169", "trafeval-0041", "trafeval-0182", "trafeval-0123"]
SYSTEMS = ["trafilatura", "resiliparse", "all-text", "nothing", "oracle"]
BASELINES = Path(__file__).resolve().parents[1] / "baselines"  # the real ones (`CHECKOUT` is patched below)
RECORD_KEYS = {"system", "version", "kind", "dataset_revision", "metric_version", "split", "date", "metrics"}


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The 'checkout' whose leaderboard.md a default write goes to is a tmp dir (the environment
    itself is isolated by conftest)."""
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    monkeypatch.setattr(leaderboard, "CHECKOUT", checkout)
    return checkout


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory):
    """A real evaluate report: two extractors and the reference rows on 7 bundled test pages."""
    bundled = Corpus.open()
    by_id = {p.page_id: p for p in bundled.pages}
    root = tmp_path_factory.mktemp("leaderboard-corpus")
    write_corpus(root, [(replace(by_id[i], split="test", archive=""), bundled.read(by_id[i]), bundled.gold[i]) for i in PAGE_IDS])
    rep = evaluate(Corpus.open(root), systems=SYSTEMS, workers=2, progress=False)
    assert rep["split"] == "test"
    # the rows differ, so the order of the leaderboard is a real check
    assert len({rep["systems"][s]["block_f1"] for s in SYSTEMS}) >= 4
    return rep


def _table_rows(text: str) -> list[tuple[str, str]]:
    """(system name, line) of the main table, in order."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| # | system"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cell = line.split("|")[2].strip()
        rows.append((re.sub(r"^\*(.+)\* \(reference\)$", r"\1", cell), line))
    return rows


def _table_systems(text: str) -> list[str]:
    return [name for name, _ in _table_rows(text)]


def _section(text: str, title: str) -> list[str]:
    lines = text.splitlines()
    start = lines.index(title)
    out = []
    for line in lines[start + 1 :]:
        if line.startswith("#"):  # the next section or subsection
            break
        out.append(line)
    return [line for line in out if line.strip()]


# --- result files -------------------------------------------------------------------------------


@pytest.mark.slow
def test_save_results_writes_self_describing_files(report, tmp_path: Path) -> None:
    folder = tmp_path / "results"
    paths = save_results(report, folder=folder)
    assert sorted(p.name for p in paths) == sorted(f"{s}.json" for s in SYSTEMS)
    assert all(p.parent == folder for p in paths)
    for path in paths:
        rec = json.loads(path.read_text(encoding="utf-8"))
        name = path.stem
        assert set(rec) >= RECORD_KEYS
        assert rec["system"] == name
        assert rec["version"] == report["systems"][name]["version"]
        assert rec["kind"] == report["systems"][name]["kind"]
        assert rec["dataset_revision"] == report["dataset_revision"]
        assert rec["metric_version"] == scoring.METRIC_VERSION
        assert rec["split"] == "test"
        assert rec["date"] == dt.date.today().isoformat()
        expected = {k: v for k, v in report["systems"][name].items() if k not in ("version", "kind")}
        assert rec["metrics"] == json.loads(json.dumps(expected))
        assert rec["metrics"]["block_f1"] == report["systems"][name]["block_f1"]
    assert [r["system"] for r in load_results(folder)] == sorted(SYSTEMS)
    # no temp file left behind
    assert not [p for p in folder.iterdir() if p.suffix == ".tmp"]


@pytest.mark.slow
def test_result_record_of_a_submission(report) -> None:
    rec = result_record("mine", dict(report["systems"]["trafilatura"]), report, submitted={"by": "someone"})
    assert rec["kind"] == "submission" and rec["submission"] == {"by": "someone"}
    assert "version" not in rec["metrics"] and "kind" not in rec["metrics"]
    assert "mine (submission)" in render([rec])


# --- the leaderboard ----------------------------------------------------------------------------


@pytest.mark.slow
def test_leaderboard_table_sorted_by_block_f1(report, tmp_path: Path) -> None:
    folder = tmp_path / "results"
    save_results(report, folder=folder)
    out = write_leaderboard(folder, tmp_path / "leaderboard.md")
    assert out == tmp_path / "leaderboard.md"
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# boilerbench leaderboard")
    assert f"Dataset revision(s): {report['dataset_revision']}." in text

    order = _table_systems(text)
    assert sorted(order) == sorted(SYSTEMS)  # every system, once
    header = [c.strip() for c in next(x for x in text.splitlines() if x.startswith("| # | system")).split("|")[1:-1]]
    f1 = [report["systems"][s]["block_f1"] for s in order]
    assert f1 == sorted(f1, reverse=True)
    assert order[0] == "oracle"
    assert "| *oracle* (reference) |" in text and "| *nothing* (reference) |" in text
    for name in SYSTEMS:
        row = report["systems"][name]
        line = dict(_table_rows(text))[name]
        assert f"{row['block_f1']:.3f} [{row['block_f1_ci'][0]:.3f}–{row['block_f1_ci'][1]:.3f}]" in line
        cells = dict(zip(header, (c.strip() for c in line.split("|")[1:-1])))
        assert cells["version"] == row["version"]
        assert cells["errors"] == str(row["errors"])
        assert (cells["pages/s"] == "—") == (row["pages_per_s"] is None)
        # the page title is a column of its own: the share of pages whose title block was kept
        title = row["title_kept"]
        assert cells["title kept"] == ("—" if title is None else f"{100 * title:.0f}%")
        test = row.get("vs_best")  # the paired test against the run's best system, on the board
        if test is None:
            assert cells["vs best: Δ, p"] == "—"
        elif test["against"] == name:
            assert cells["vs best: Δ, p"] == "best"
        else:
            assert cells["vs best: Δ, p"].startswith(f"{test['diff']:+.3f}, p ")
    assert {report["systems"][s]["title_kept"] for s in ("oracle", "nothing")} == {1.0, 0.0}


@pytest.mark.slow
def test_leaderboard_per_corpus_table(report, tmp_path: Path) -> None:
    folder = tmp_path / "results"
    save_results(report, folder=folder)
    text = write_leaderboard(folder, tmp_path / "lb.md").read_text(encoding="utf-8")
    rows = _section(text, "## By corpus (block F1 / word F1)")
    assert rows[0] == "| system | trafilatura-eval | wcxb |"
    body = rows[2:]
    assert [r.split("|")[1].strip() for r in body] == _table_systems(text)
    for r in body:
        name = r.split("|")[1].strip()
        by = report["systems"][name]["by_corpus"]
        wcxb = by["wcxb"]
        assert f"| {wcxb['block_f1']:.3f} / {wcxb['word_f1']:.3f} |" in r
        assert f"{by['trafilatura-eval']['block_f1']:.3f} / — |" in r  # snippet labels only: no word F1
    page_types = _section(text, "## By page type (block F1)")
    # the corpora of each type are named (the article column is not WCXB's alone on the real board)
    assert page_types[0] == "Pages of each type come from: article: wcxb; collection: wcxb; listing: wcxb; product: wcxb."
    assert page_types[1] == "| system | article | collection | listing | product |"  # no "unknown" column


@pytest.mark.slow
def test_leaderboard_what_leaks(report, tmp_path: Path) -> None:
    folder = tmp_path / "results"
    save_results(report, folder=folder)
    text = write_leaderboard(folder, tmp_path / "lb.md").read_text(encoding="utf-8")
    leaks = _section(text, "## What leaks")
    named = [re.match(r"^- \*\*(.+?)\*\* keeps ", line).group(1) for line in leaks]  # type: ignore[union-attr]
    assert sorted(named) == ["resiliparse", "trafilatura"]  # reference rows are not explained
    for line, name in zip(leaks, named):
        kept = report["systems"][name]["leakage"]["boilerplate_kept"]
        worst = max(kept, key=kept.get)
        assert f"{worst} {100 * kept[worst]:.0f}%" in line


@pytest.mark.slow
def test_leaderboard_only_counts_test_split_records(report, tmp_path: Path) -> None:
    folder = tmp_path / "results"
    save_results(report, folder=folder)
    rec = json.loads((folder / "trafilatura.json").read_text(encoding="utf-8"))
    rec.update(system="trafilatura-on-validation", split="validation")
    (folder / "trafilatura-on-validation.json").write_text(json.dumps(rec), encoding="utf-8")
    text = write_leaderboard(folder, tmp_path / "lb.md").read_text(encoding="utf-8")
    assert "trafilatura-on-validation" not in text
    assert sorted(_table_systems(text)) == sorted(SYSTEMS)


def test_empty_leaderboard(tmp_path: Path) -> None:
    (tmp_path / "none").mkdir()
    text = write_leaderboard(tmp_path / "none", tmp_path / "lb.md").read_text(encoding="utf-8")
    assert "Dataset revision(s): —." in text
    assert _table_systems(text) == []


@pytest.mark.slow
def test_save_results_elsewhere_leaves_the_checkout_leaderboard_alone(report, tmp_path: Path, _isolated: Path) -> None:
    fake_checkout = _isolated
    (fake_checkout / "leaderboard.md").write_text("the published leaderboard\n", encoding="utf-8")
    save_results(report, folder=tmp_path / "elsewhere")
    assert (fake_checkout / "leaderboard.md").read_text(encoding="utf-8") == "the published leaderboard\n"


# --- atomic writes ------------------------------------------------------------------------------


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_atomic_write_replaces(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "file.md"
    atomic_write(path, "one\n")
    atomic_write(path, "two\n")
    assert path.read_text(encoding="utf-8") == "two\n"
    assert _leftovers(path.parent) == []


def test_atomic_write_keeps_old_file_when_write_fails_midway(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "leaderboard.md"
    path.write_text("old leaderboard\n", encoding="utf-8")
    real_fdopen = os.fdopen

    class DiskFull:
        """A file that takes half of what it is given, then fails (ENOSPC)."""

        def __init__(self, f):
            self.f = f

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()
            return False

        def write(self, text: str) -> int:
            self.f.write(text[: len(text) // 2])
            self.f.flush()
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fdopen", lambda fd, *a, **kw: DiskFull(real_fdopen(fd, *a, **kw)))
    with pytest.raises(OSError, match="No space"):
        atomic_write(path, "new leaderboard, much longer than the old one\n" * 100)
    monkeypatch.undo()
    assert path.read_text(encoding="utf-8") == "old leaderboard\n"
    assert _leftovers(tmp_path) == []


def test_atomic_write_keeps_old_file_when_rename_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "trafilatura.json"
    path.write_text('{"old": true}\n', encoding="utf-8")

    def boom(*a, **kw):
        raise PermissionError("rename refused")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(PermissionError):
        atomic_write(path, '{"new": true}\n')
    monkeypatch.undo()
    assert path.read_text(encoding="utf-8") == '{"old": true}\n'
    assert _leftovers(tmp_path) == []


def test_atomic_write_unencodable_text_keeps_old_file(tmp_path: Path) -> None:
    path = tmp_path / "lb.md"
    path.write_text("old\n", encoding="utf-8")
    with pytest.raises(UnicodeEncodeError):
        atomic_write(path, "new text " * 1000 + "\ud800")  # a lone surrogate cannot be written as UTF-8
    assert path.read_text(encoding="utf-8") == "old\n"
    assert _leftovers(tmp_path) == []


@pytest.mark.slow
def test_write_leaderboard_keeps_old_file_when_render_fails(report, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "results"
    save_results(report, folder=folder)
    out = write_leaderboard(folder, tmp_path / "lb.md")
    before = out.read_text(encoding="utf-8")
    rec = json.loads((folder / "oracle.json").read_text(encoding="utf-8"))
    rec["metrics"]["block_f1"] = "not a number"  # a damaged result file: rendering fails
    (folder / "oracle.json").write_text(json.dumps(rec), encoding="utf-8")
    with pytest.raises((TypeError, ValueError)):
        write_leaderboard(folder, out)
    assert out.read_text(encoding="utf-8") == before
    assert _leftovers(tmp_path) == []


# --- figures -------------------------------------------------------------------------------------


def test_pareto_front() -> None:
    points = [
        ("slow-good", 10.0, 0.9),
        ("fast-bad", 500.0, 0.7),
        ("dominated", 9.0, 0.8),
        ("mid", 80.0, 0.85),
        ("tie-slower", 70.0, 0.85),
    ]
    assert pareto_front(points) == ["fast-bad", "mid", "slow-good"]


@pytest.mark.slow
def test_leaderboard_embeds_the_figures(tmp_path) -> None:
    folder = tmp_path / "baselines"
    folder.mkdir()
    for name in ("trafilatura", "resiliparse", "all-text"):
        (folder / f"{name}.json").write_bytes((BASELINES / f"{name}.json").read_bytes())
    md = write_leaderboard(folder).read_text(encoding="utf-8")
    assert "(figures/quality-speed.svg)" in md and "(figures/leakage.svg)" in md
    first = (tmp_path / "figures" / "leakage.svg").read_bytes()
    write_leaderboard(folder)
    assert (tmp_path / "figures" / "leakage.svg").read_bytes() == first  # drawn deterministically


_DRAW = """
import sys
from pathlib import Path
from boilerbench.benchmark.leaderboard import figures, load_results
figures(load_results(Path(sys.argv[1])), Path(sys.argv[2]), formats=("svg", "png"))
"""


@pytest.mark.slow
def test_figures_are_the_same_bytes_from_any_process_and_any_matplotlibrc(tmp_path) -> None:
    """`submit` and `evaluate --save` redraw the tracked figures: from the same results they must
    write the same bytes, in another process (ids are content hashes under a fixed salt, no date in
    the SVG, no software tag in the PNG) and whatever the user's matplotlibrc sets (drawn under
    matplotlib's own defaults), else each run leaves a diff of thousands of lines."""
    import subprocess
    import sys

    user_rc = tmp_path / "user-rc"
    user_rc.mkdir()
    (user_rc / "matplotlibrc").write_text(
        "font.size: 13\naxes.facecolor: eeeeee\nlines.linewidth: 3\nsvg.fonttype: none\nsvg.hashsalt: mine\n", encoding="utf-8"
    )
    plain_rc = tmp_path / "plain-rc"
    plain_rc.mkdir()
    written = {}
    for run, config in (("a", plain_rc), ("b", plain_rc), ("c", user_rc)):
        env = {**os.environ, "MPLCONFIGDIR": str(config), "PYTHONPATH": str(BASELINES.parent)}
        env.pop("MPLBACKEND", None)
        out = tmp_path / run
        done = subprocess.run([sys.executable, "-c", _DRAW, str(BASELINES), str(out)], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        written[run] = {p.name: p.read_bytes() for p in sorted(out.iterdir())}
    assert sorted(written["a"]) == ["leakage.png", "leakage.svg", "quality-speed.png", "quality-speed.svg"]
    assert written["a"] == written["b"] == written["c"]


def test_scatter_labels_do_not_overlap() -> None:
    """html-text and inscriptis sit almost on one point of the scatter: their labels are moved
    apart, not printed over each other."""
    plt = leaderboard._pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    points = [("inscriptis", 98.9, 0.535), ("html-text", 119.5, 0.531), ("all-text", 110.0, 0.530), ("resiliparse", 442.6, 0.781)]
    for _, x, y in points:
        ax.scatter([x], [y])
    ax.set_xscale("log")
    ax.set_ylim(0.4, 0.9)
    boxes = place_labels(fig, ax, points)
    assert len(boxes) == len(points)
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])
    plt.close(fig)


def test_heatmap_cells_and_colour_bar_share_a_unit() -> None:
    """The heatmap's cells are % of a category's blocks kept, and so is its colour bar (0–100)."""
    records = load_results(BASELINES)
    systems, cats, grid = leakage_grid(records)
    allt = next(r for r in records if r["system"] == "html-text")["metrics"]["leakage"]["boilerplate_kept"]
    row = grid[[r["system"] for r in systems].index("html-text")]
    assert row[cats.index("navigation")] == pytest.approx(100 * allt["navigation"])
    assert max(v for r in grid for v in r if v == v) > 90  # percent, not shares


# --- structure (issue 27) -------------------------------------------------------------------------


@pytest.mark.slow
def test_leaderboard_structure_table(report, tmp_path: Path) -> None:
    """The structure section: every system but the reference rows, best structure score first; a
    structured system's cells are its report's figures, a text-only system's are "text"."""
    folder = tmp_path / "results"
    save_results(report, folder=folder)
    text = write_leaderboard(folder, tmp_path / "lb.md").read_text(encoding="utf-8")
    rows = _section(text, "## Structure (per content block)")
    assert rows[0] == leaderboard.STRUCTURE_NOTE
    assert rows[1] == "| system | " + " | ".join(leaderboard.STRUCTURE_COLUMNS) + " |"
    body = {r.split("|")[1].strip(): [c.strip() for c in r.split("|")[2:-1]] for r in rows[3:]}
    assert sorted(body) == ["resiliparse", "trafilatura"]
    assert body["trafilatura"][0] == "markdown" and body["resiliparse"][0] == "html"
    for name, cells in body.items():
        m = report["systems"][name]
        assert m["structured_format"] == cells[0]
        assert cells[1].startswith("—" if m.get("structure_score") is None else f"{m['structure_score']:.3f}")
        for cell, k in zip(cells[2:], [k for k in scoring.STRUCTURE_SCORES if k != "structure_score"]):
            assert cell == ("—" if m.get(k) is None else f"{m[k]:.3f}")


@pytest.mark.slow
def test_leaderboard_structure_by_corpus(report, tmp_path: Path) -> None:
    """Under the structure table, each scored system's structure score on each test corpus, read from
    its result file's `by_corpus`, in the structure table's order."""
    folder = tmp_path / "results"
    save_results(report, folder=folder)
    text = write_leaderboard(folder, tmp_path / "lb.md").read_text(encoding="utf-8")
    rows = _section(text, "### Structure score by corpus")
    corpora = [c.strip() for c in rows[0].split("|")[2:-1]]
    assert corpora and corpora == sorted(corpora)
    names = [r.split("|")[1].strip() for r in rows[2:]]
    structure = [r.split("|")[1].strip() for r in _section(text, "## Structure (per content block)")[3:]]
    assert names == [n for n in structure if report["systems"][n].get("structure_score") is not None]
    for row in rows[2:]:
        name, *cells = [c.strip() for c in row.split("|")[1:-1]]
        by_corpus = report["systems"][name]["by_corpus"]
        assert cells == [
            "—" if by_corpus[c].get("structure_score") is None else f"{by_corpus[c]['structure_score']:.3f}" for c in corpora
        ]


def _record(name: str, **metrics: object) -> dict[str, object]:
    return {"system": name, "kind": "system", "dataset_revision": "r", "split": "test", "metrics": {"block_f1": 0.5, **metrics}}


def test_structure_cells_of_old_text_and_structured_files() -> None:
    """A file saved before structure was scored says "not run", a text-only system "text" (nothing
    measured, so no 0), a structured one its format and figures; ranked by structure score."""
    old = _record("old")
    text = _record("plain", structured_format=None)
    scored = _record(
        "md",
        structured_format="markdown",
        structure_score=0.5,
        structure_score_ci=[0.4, 0.6],
        heading_f1=0.75,
        list_item_f1=None,
        table_cell_f1=0.25,
        code_f1=1.0,
        link_f1=0.0,
    )
    assert leaderboard.structure_cells(old) == ["not run", "—", "—", "—", "—", "—", "—"]
    assert leaderboard.structure_cells(text) == ["text", "—", "—", "—", "—", "—", "—"]
    assert leaderboard.structure_cells(scored) == ["markdown", "0.500 [0.400–0.600]", "0.750", "—", "0.250", "1.000", "0.000"]
    assert [r["system"] for r in leaderboard.structure_ranked([old, text, scored])] == ["md", "old", "plain"]
