"""evaluate end to end on a small corpus cut from the bundled test split: the reference rows are
what their definitions say, real systems' per-page scores are what a direct run gives, the report
has the keys result files and the leaderboard read, the CLI works, and a re-run is served from cache."""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import replace
from importlib import metadata
from pathlib import Path

import pytest

import boilerbench
from boilerbench import cli
from boilerbench.benchmark import evaluate as evaluate_mod
from boilerbench.benchmark import scoring, structure, systems
from boilerbench.benchmark.corpora.store import Corpus, write_corpus, write_markdown_gold
from boilerbench.benchmark.evaluate import evaluate, format_table, reference_scored, resolve, score_system
from boilerbench.benchmark.groundtruth import load_labeled
from boilerbench.benchmark.leaderboard import save_results
from boilerbench.benchmark.runner import Output, decode_page, run_systems
from boilerbench.benchmark.systems import load_system
from boilerbench.benchmark.validate import structure_checks, structure_summary
from boilerbench.core.align import project
from boilerbench.core.text import bag_of_words
from boilerbench.core.types import CONTENT
from tests import fake_systems

# 13 test pages: 7 WCXB (full gold; wcxb-4542 has an empty gold = a page without content,
# wcxb-4145 has no visible block at all) and 6 trafilatura-eval (snippet labels, no gold text;
# German, English, Chinese).
PAGE_IDS = [
    "wcxb-4352",
    "wcxb-4207",
    "wcxb-4762",
    "wcxb-4542",
    "wcxb-4169",
    "wcxb-4117",
    "wcxb-4145",
    "trafeval-0094",
    "trafeval-0041",
    "trafeval-0079",
    "trafeval-0182",
    "trafeval-0123",
    "trafeval-0109",
]
REAL = ["trafilatura", "resiliparse"]
SYSTEMS = [*REAL, "all-text", "nothing", "oracle"]
REPORT_KEYS = {
    "version",
    "pages",
    "errors",
    "block_f1",
    "block_precision",
    "block_recall",
    "word_f1",
    "word_precision",
    "word_recall",
    "pages_per_s",
    "leakage",
    "by_corpus",
}


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory, small_test_corpus) -> Path:
    return small_test_corpus(tmp_path_factory.mktemp("small-corpus"), PAGE_IDS)


@pytest.fixture(scope="module")
def small(corpus_dir: Path) -> Corpus:
    return Corpus.open(corpus_dir)


@pytest.fixture(scope="module")
def first_run(small: Corpus):
    """The first evaluate run, timed, with every system's per-page results captured."""
    captured: list[list[scoring.PageResult]] = []
    calls: list[str] = []
    real_aggregate, real_run = scoring.aggregate, run_systems

    def spy_aggregate(results):
        captured.append(list(results))
        return real_aggregate(results)

    def spy_run(*a, **kw):
        calls.append(kw.get("mode", "text"))
        return real_run(*a, **kw)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(scoring, "aggregate", spy_aggregate)
        mp.setattr(evaluate_mod, "run_systems", spy_run)
        t0 = time.perf_counter()
        report = evaluate(small, systems=SYSTEMS, workers=2, progress=False)
        seconds = time.perf_counter() - t0
    assert calls == ["text", "structured"]  # every system in one run, then those with a structured mode in one
    per_page = dict(zip(SYSTEMS, captured))  # aggregate is called once per system, in order
    return report, per_page, seconds


@pytest.fixture(scope="module")
def labeled(small: Corpus):
    return load_labeled(small, small.select(split="test"), workers=1, progress=False)


def _has_content(labeled_page) -> bool:
    return any(b.label == CONTENT for b in labeled_page.blocks)


def _has_labels(labeled_page) -> bool:
    return any(b.label is not None for b in labeled_page.blocks)


# --- the report ---------------------------------------------------------------------------------


def test_report_keys(first_run, small: Corpus) -> None:
    report, _, _ = first_run
    assert set(report["systems"]) == set(SYSTEMS)
    assert report["dataset_revision"] == small.revision()
    assert report["metric_version"] == scoring.METRIC_VERSION
    assert report["split"] == "test"
    assert report["pages"] == len(PAGE_IDS)
    assert report["skipped"] == {}
    for name, row in report["systems"].items():
        assert set(row) >= REPORT_KEYS, (name, REPORT_KEYS - set(row))
        assert row["pages"] == len(PAGE_IDS)
        assert row["errors"] == 0 and row["page_errors"] == {}
        assert set(row["by_corpus"]) == {"wcxb", "trafilatura-eval"}
        assert set(row["by_corpus"]["wcxb"]) >= {"pages", "block_f1", "word_f1"}
        assert row["by_corpus"]["wcxb"]["pages"] == 7
        assert set(row["leakage"]) == {"boilerplate_kept", "content_dropped"}
        assert "unknown" in row["by_page_type"]  # trafilatura-eval pages have no page type
        assert {"en", "de", "zh"} <= set(row["by_language"])
    for name in REAL:
        row = report["systems"][name]
        package = load_system(name).package
        assert package is not None
        assert row["version"] == metadata.version(package)
        assert row["kind"] == "system"
        assert row["pages_per_s"] is not None and row["pages_per_s"] > 0
    for name in ("all-text", "nothing", "oracle"):
        row = report["systems"][name]
        assert row["version"] == boilerbench.__version__
        assert row["kind"] == "reference"
        assert row["pages_per_s"] is None
    # paired test against the best system, for every row but the oracle
    assert "vs_best" not in report["systems"]["oracle"]
    best = {report["systems"][n]["vs_best"]["against"] for n in SYSTEMS if n != "oracle"}
    assert len(best) == 1
    # JSON-serialisable as the CLI writes it, and the readable table lists every row
    assert json.loads(json.dumps(report))["systems"].keys() == report["systems"].keys()
    table = format_table(report)
    assert all(name in table for name in SYSTEMS)


def test_figures_within_unit_interval(first_run) -> None:
    report, per_page, _ = first_run
    for name, row in report["systems"].items():
        for k in (*scoring.PRIMARY, "block_f1_w", "block_precision_w", "block_recall_w"):
            assert row[k] is not None and 0.0 <= row[k] <= 1.0, (name, k, row[k])
        lo, hi = row["block_f1_ci"]
        assert 0.0 <= lo <= row["block_f1"] <= hi <= 1.0
        for share in (*row["leakage"]["boilerplate_kept"].values(), *row["leakage"]["content_dropped"].values()):
            assert 0.0 <= share <= 1.0
        for r in per_page[name]:
            assert all(0.0 <= v <= 1.0 for v in r.scores.values()), (name, r.page_id, r.scores)


def test_report_means_are_means_of_page_scores(first_run) -> None:
    report, per_page, _ = first_run
    for name in SYSTEMS:
        results = per_page[name]
        assert sorted(r.page_id for r in results) == sorted(PAGE_IDS)
        for k in ("block_f1", "word_f1", "block_recall"):
            vals = [r.scores[k] for r in results if k in r.scores]
            assert report["systems"][name][k] == round(sum(vals) / len(vals), 4)


# --- reference rows -----------------------------------------------------------------------------


def test_oracle_is_perfect_on_block_labels(first_run, labeled) -> None:
    report, per_page, _ = first_run
    row = report["systems"]["oracle"]
    assert row["block_f1"] == row["block_precision"] == row["block_recall"] == 1.0
    assert row["block_f1_w"] == 1.0
    assert set(row["leakage"]["boilerplate_kept"].values()) == {0.0}
    assert set(row["leakage"]["content_dropped"].values()) == {0.0}
    scored = [r for r in per_page["oracle"] if "block_f1" in r.scores]
    assert len(scored) == sum(_has_labels(labeled_page) for labeled_page in labeled)
    assert all(r.scores["block_f1"] == 1.0 for r in scored)


def test_all_text_keeps_everything(first_run, labeled) -> None:
    report, per_page, _ = first_run
    row = report["systems"]["all-text"]
    assert row["block_recall"] == 1.0
    assert set(row["leakage"]["boilerplate_kept"].values()) == {1.0}
    assert set(row["leakage"]["content_dropped"].values()) == {0.0}
    by_id = {labeled_page.page.page_id: labeled_page for labeled_page in labeled}
    for r in per_page["all-text"]:
        labeled_page = by_id[r.page_id]
        if not _has_labels(labeled_page):
            assert "block_recall" not in r.scores
        elif _has_content(labeled_page):
            # the page's title block is scored apart (`title_kept`), not in block P/R/F1
            labeled_blocks = [b for b in labeled_page.blocks if b.label is not None and b.category != scoring.SCORED_APART]
            share = sum(b.label == CONTENT for b in labeled_blocks) / len(labeled_blocks)
            assert r.scores["block_precision"] == pytest.approx(share)
        else:  # no gold content, something kept: P 0, R 1, F1 0
            assert (r.scores["block_precision"], r.scores["block_recall"], r.scores["block_f1"]) == (0.0, 1.0, 0.0)


def test_nothing_scores_zero_where_the_gold_has_content(first_run, labeled) -> None:
    report, per_page, _ = first_run
    by_id = {labeled_page.page.page_id: labeled_page for labeled_page in labeled}
    assert any(
        _has_labels(labeled_page) and not _has_content(labeled_page) for labeled_page in labeled
    )  # wcxb-4542: the empty case is exercised
    for r in per_page["nothing"]:
        labeled_page = by_id[r.page_id]
        if not _has_labels(labeled_page):
            assert "block_recall" not in r.scores
        elif _has_content(labeled_page):
            assert r.scores["block_recall"] == r.scores["block_f1"] == 0.0
        else:  # no gold content & nothing kept: 1 by definition
            assert r.scores["block_recall"] == r.scores["block_f1"] == 1.0
        if labeled_page.gold.text is not None:
            expected = 1.0 if not bag_of_words(labeled_page.gold.text) else 0.0
            assert r.scores["word_f1"] == expected
    # the same through the module's own per-page path
    again = score_system("nothing", labeled, [reference_scored("nothing", labeled_page) for labeled_page in labeled])
    assert [r.scores for r in again] == [r.scores for r in per_page["nothing"]]
    n_scored = sum(_has_labels(labeled_page) for labeled_page in labeled)
    n_empty = sum(_has_labels(labeled_page) and not _has_content(labeled_page) for labeled_page in labeled)
    assert report["systems"]["nothing"]["block_recall"] == round(n_empty / n_scored, 4)


@pytest.mark.parametrize("name", REAL)
def test_real_system_page_scores_match_a_direct_run(first_run, labeled, small: Corpus, name: str) -> None:
    """Runner + projection + scoring agree with calling the extractor here and scoring by hand, its
    structured mode's output parsed, projected and scored by hand too."""
    _, per_page, _ = first_run
    system = load_system(name)
    html = {p.page_id: decode_page(d) for p, d in small.iter_bytes(labeled_page.page for labeled_page in labeled)}
    results = {r.page_id: r for r in per_page[name]}
    assert set(results) == set(PAGE_IDS)
    for labeled_page in labeled:
        out = system.fn(html[labeled_page.page.page_id], labeled_page.page.url, labeled_page.page.language)
        kept = project([b.block for b in labeled_page.blocks], out)
        apart = [b.category == scoring.SCORED_APART and b.label is not None for b in labeled_page.blocks]  # the page title
        labels = [None if a else b.label for a, b in zip(apart, labeled_page.blocks)]
        expected = scoring.block_scores(labels, kept, [b.block.words for b in labeled_page.blocks]) or {}
        if any(apart):
            expected["title_kept"] = float(next(k for a, k in zip(apart, kept) if a))
        if labeled_page.gold.text is not None:
            expected.update(scoring.word_scores(out, labeled_page.gold.text))
        assert system.structured_fn is not None and system.structured_format is not None
        markup = system.structured_fn(html[labeled_page.page.page_id], labeled_page.page.url, labeled_page.page.language)
        elements = structure.parse(system.structured_format, markup, labeled_page.page.url)
        projected = structure.assign([b.block for b in labeled_page.blocks], elements)
        gold = [b.block.structure for b in labeled_page.blocks]
        categories = [b.category for b in labeled_page.blocks]
        expected.update(scoring.structure_scores(scoring.structure_counts(labels, categories, gold, projected)))
        assert results[labeled_page.page.page_id].scores == pytest.approx(expected), labeled_page.page.page_id
        assert results[labeled_page.page.page_id].error is None


# --- caching ------------------------------------------------------------------------------------


def test_second_run_is_served_from_cache(first_run, small: Corpus, monkeypatch: pytest.MonkeyPatch) -> None:
    report, _, first_seconds = first_run
    calls: list[int] = []

    def spy_run(*a, **kw):
        calls.append(1)
        return run_systems(*a, **kw)

    monkeypatch.setattr(evaluate_mod, "run_systems", spy_run)
    t0 = time.perf_counter()
    again = evaluate(small, systems=SYSTEMS, workers=2, progress=False)
    seconds = time.perf_counter() - t0
    assert calls == []  # no extractor output was needed: every (system, page) was scored from cache
    assert seconds < 0.5 * first_seconds
    assert again["systems"] == report["systems"]
    assert again["dataset_revision"] == report["dataset_revision"]


def test_rescoring_reuses_cached_outputs(
    first_run, small: Corpus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cache_dir: Path
) -> None:
    """Without the scored caches (a new aligner, say) outputs, text and structured, are re-projected,
    not re-extracted."""
    report, _, _ = first_run
    cache = tmp_path / "cache"
    cache.mkdir()
    for f in cache_dir.iterdir():
        if not f.name.startswith(("scored", "structured")):
            shutil.copy2(f, cache / f.name)
    monkeypatch.setenv("BOILERBENCH_CACHE", str(cache))
    html_calls: list[int] = []

    def spy_run(systems, pages, load_html, **kw):
        def counted():
            html_calls.append(1)
            return load_html()

        return run_systems(systems, pages, counted, **kw)

    monkeypatch.setattr(evaluate_mod, "run_systems", spy_run)
    again = evaluate(small, systems=SYSTEMS, workers=2, progress=False)
    assert html_calls == []  # every output was in the output cache
    assert again["systems"] == report["systems"]


def test_a_run_without_the_cache_refreshes_it(
    first_run, small: Corpus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cache_dir: Path
) -> None:
    """`--no-cache` re-runs every system, and the next cached run reads those fresh outputs and
    timings back, not the older ones (the board's speed column is refreshed this way)."""
    cache = tmp_path / "cache"
    shutil.copytree(cache_dir, cache)
    monkeypatch.setenv("BOILERBENCH_CACHE", str(cache))
    fresh = evaluate(small, systems=REAL, workers=2, progress=False, cache=False)
    calls: list[int] = []

    def spy_run(*a, **kw):
        calls.append(1)
        return run_systems(*a, **kw)

    monkeypatch.setattr(evaluate_mod, "run_systems", spy_run)
    again = evaluate(small, systems=REAL, workers=2, progress=False)
    assert calls == []
    for name in REAL:
        assert again["systems"][name]["pages_per_s"] == fresh["systems"][name]["pages_per_s"]


# --- resolve and the CLI ------------------------------------------------------------------------


def test_resolve(monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve("all-text, oracle") == ["all-text", "oracle"]
    assert resolve("all") == systems.available()
    # the default run leaves out what NOT_BY_DEFAULT names (news-please wraps newspaper4k), and only that
    assert "news-please" in systems.NOT_BY_DEFAULT and "newspaper4k" not in systems.NOT_BY_DEFAULT
    assert resolve(None) == [n for n in systems.available() if n not in systems.NOT_BY_DEFAULT]
    assert "news-please" in resolve("all") and resolve("news-please") == ["news-please"]
    # a system registered after import (a plug-in, a test) is in `all` as it is in `a,b`
    monkeypatch.setitem(systems.REGISTRY, "late-plugin", "tests.fake_systems:extract_exit_slowly")
    assert "late-plugin" in resolve("all") and resolve("late-plugin") == ["late-plugin"]
    with pytest.raises(ValueError, match="bogus"):
        resolve("trafilatura,bogus")
    for empty in ("", " ", ",", " , "):  # an empty list is a mistake, not "all"
        with pytest.raises(ValueError, match="no system named"):
            resolve(empty)


def test_cli_evaluate_refuses_an_empty_system_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["evaluate", "--systems", ""]) != 0
    assert "no system named" in capsys.readouterr().err


def test_cli_evaluate_writes_json(corpus_dir: Path, small: Corpus, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report.json"
    assert cli.main(["evaluate", "--data", str(corpus_dir), "--systems", "all-text,oracle", "--json", str(out)]) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    assert set(report["systems"]) == {"all-text", "oracle"}
    assert report["dataset_revision"] == small.revision()
    assert report["pages"] == len(PAGE_IDS)
    assert report["systems"]["oracle"]["block_f1"] == 1.0
    assert report["systems"]["all-text"]["block_recall"] == 1.0
    printed = capsys.readouterr().out
    assert "oracle" in printed and "all-text" in printed and small.revision() in printed


def test_cli_unknown_system_exits_2(corpus_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report.json"
    code = cli.main(["evaluate", "--data", str(corpus_dir), "--systems", "all-text,bogus-extractor", "--json", str(out)])
    assert code == 2
    err = capsys.readouterr().err
    assert "system must be one of" in err and "got 'bogus-extractor'" in err
    assert not out.exists()


def test_cli_save_refuses_other_data(
    corpus_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    baselines = tmp_path / "baselines"  # this test's own (empty) baselines folder
    baselines.mkdir()
    monkeypatch.setenv("BOILERBENCH_BASELINES", str(baselines))
    assert cli.main(["evaluate", "--data", str(corpus_dir), "--systems", "all-text", "--save"]) == 2
    assert "--save" in capsys.readouterr().err
    assert list(baselines.iterdir()) == []  # no result file written


def test_cli_save_refuses_no_structure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The board's files all carry the structure scores: a saving run runs the structured modes."""
    baselines = tmp_path / "baselines"
    baselines.mkdir()
    monkeypatch.setenv("BOILERBENCH_BASELINES", str(baselines))
    assert cli.main(["evaluate", "--systems", "all-text", "--save", "--no-structure"]) == 2
    assert "drop --no-structure" in capsys.readouterr().err
    assert list(baselines.iterdir()) == []


def test_no_structure_runs_the_text_modes_only(small: Corpus, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def spy_run(*a, **kw):
        calls.append(kw.get("mode", "text"))
        return run_systems(*a, **kw)

    monkeypatch.setattr(evaluate_mod, "run_systems", spy_run)
    report = evaluate(small, systems=["resiliparse", "all-text"], workers=1, progress=False, structured=False)
    assert "structured" not in calls
    assert "structured_format" not in report["systems"]["resiliparse"]  # not run, rather than text only
    assert "structure_score" not in report["systems"]["resiliparse"]


@pytest.mark.slow
def test_cli_save_of_a_few_systems_tests_them_against_the_stored_best(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each result file's paired test is against the best system of its run: saving one system
    runs the board's best beside it (not saving it) so the test is against the board's best."""
    baselines = tmp_path / "baselines"
    baselines.mkdir()
    monkeypatch.setenv("BOILERBENCH_BASELINES", str(baselines))
    assert cli.main(["evaluate", "--systems", "c4-lines", "--save", "--workers", "1"]) == 0
    stored = (baselines / "c4-lines.json").read_text(encoding="utf-8")
    assert cli.main(["evaluate", "--systems", "nothing", "--save", "--workers", "1"]) == 0
    nothing = json.loads((baselines / "nothing.json").read_text(encoding="utf-8"))
    assert nothing["metrics"]["vs_best"]["against"] == "c4-lines" and nothing["metrics"]["vs_best"]["diff"] < 0
    assert (baselines / "c4-lines.json").read_text(encoding="utf-8") == stored  # run beside it, not rewritten
    assert sorted(p.name for p in baselines.iterdir()) == ["c4-lines.json", "nothing.json"]


def test_evaluate_empty_split_raises(small: Corpus) -> None:
    with pytest.raises(ValueError, match="no pages in split"):
        evaluate(small, split="train", systems=["all-text"], progress=False)


def test_projection_on_both_cores_equals_sequential(labeled) -> None:
    """≥ 50 outputs are projected in a forked pool; it must give what the in-process path gives."""
    jobs = []
    for i, labeled_page in enumerate(labeled):
        texts = [
            "\n".join(b.block.text for b in labeled_page.blocks),
            labeled_page.gold.text or "",
            "",
            " ".join(labeled_page.gold.with_snippets),
        ]
        jobs += [(i, Output(t, 0.01 * k, None)) for k, t in enumerate(texts)]
    assert len(jobs) >= 50
    parallel = evaluate_mod._project_all(labeled, jobs, workers=2, progress=False)
    sequential = evaluate_mod._project_all(labeled, jobs, workers=1, progress=False)
    assert parallel == sequential
    for (i, out), sc in zip(jobs, parallel):
        assert len(sc.kept) == len(labeled[i].blocks)
        assert sc.seconds == out.seconds
        if not out.text:
            assert not any(sc.kept)
    # the page's whole text covers every block
    assert all(all(sc.kept) for (_, out), sc in zip(jobs, parallel) if out.seconds == 0.0)


def test_missing_system_is_skipped_not_fatal(
    small: Corpus, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from boilerbench.benchmark import systems

    monkeypatch.setitem(systems.REGISTRY, "ghost", "boilerbench_missing_mod:extract")
    report = evaluate(small, systems=["ghost", "all-text"], workers=1, progress=False)
    assert set(report["systems"]) == {"all-text"}
    assert "not installed" in report["skipped"]["ghost"]
    assert "skipping ghost" in capsys.readouterr().err


# --- the pages a system failed on ---------------------------------------------------------------


@pytest.mark.slow
def test_errors_lists_each_failing_page_and_its_error(
    corpus_dir: Path, small: Corpus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A system fails on one real page: the report records that page's error, and `errors` lists it
    from the `evaluate --json` report and from the result files `--save` writes."""
    # a name of its own: outputs are cached by system name, not by which page the fake is told to fail on
    monkeypatch.setitem(systems.REGISTRY, "fake-raise-errors", "tests.fake_systems:extract_raise")
    marked = next(p for p in small.pages if p.page_id == "trafeval-0094")
    monkeypatch.setenv(fake_systems.MARKER_ENV, marked.url)
    out = tmp_path / "report.json"
    assert cli.main(["evaluate", "--data", str(corpus_dir), "--systems", "fake-raise-errors,all-text", "--json", str(out)]) == 0
    capsys.readouterr()
    report = json.loads(out.read_text(encoding="utf-8"))
    error = f"RuntimeError: {fake_systems.failure_message(marked.url)}"
    assert report["systems"]["fake-raise-errors"]["errors"] == 1
    assert report["systems"]["fake-raise-errors"]["page_errors"] == {marked.page_id: error}
    assert report["systems"]["all-text"]["page_errors"] == {}
    line = f"fake-raise-errors\t{marked.page_id}\t{error}\n"

    assert cli.main(["errors", str(out)]) == 0
    printed = capsys.readouterr()
    assert printed.out == line and printed.err == "1 failing page(s)\n"

    baselines = tmp_path / "baselines"  # result files of a test-split run, as `evaluate --save` writes them
    monkeypatch.setenv("BOILERBENCH_BASELINES", str(baselines))
    save_results(evaluate(small, split="test", systems=["fake-raise-errors", "all-text"], progress=False), baselines)
    assert cli.main(["errors"]) == 0
    assert capsys.readouterr().out == line
    assert cli.main(["errors", "--systems", "all-text"]) == 0
    assert capsys.readouterr().out == ""
    assert cli.main(["errors", "--systems", "fake-raise-errors,bogus"]) == 2
    assert "got 'bogus'" in capsys.readouterr().err


def test_errors_puts_each_error_on_one_line_and_refuses_what_it_cannot_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "report.json"
    report.write_text(
        json.dumps({"systems": {"x": {"errors": 1, "page_errors": {"p1": "LookupError: \n***\n  Resource\tgone\n"}}}})
    )
    assert cli.main(["errors", str(report)]) == 0
    assert capsys.readouterr().out == "x\tp1\tLookupError: *** Resource gone\n"

    old = tmp_path / "old.json"  # a result file written before they named their failing pages
    old.write_text(json.dumps({"system": "x", "metrics": {"errors": 2, "error_pages": ["p1", "p2"]}}))
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"pages": 3}))
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    for path, message in [
        (old, "x: its results count 2 failing page(s) but name none"),
        (other, "neither a result file"),
        (broken, "not JSON"),
    ]:
        assert cli.main(["errors", str(path)]) == 2
        err = capsys.readouterr().err
        assert message in err and len(err.splitlines()) == 1


# --- the table against the Markdown gold (WCXB train and validation pages) ----------------------

# Validation pages with a Markdown gold: one whose gold has every element (wcxb-0683: headings, list
# items, table cells, code, links), one with headings, lists and links and code the gold leaves
# unfenced (wcxb-0494), one whose gold is a paragraph and a link (wcxb-0380); test pages have none.
GOLD_PAGE_IDS = ["wcxb-0683", "wcxb-0494", "wcxb-0380"]
GOLD_SYSTEMS = ["boilerbench", "trafilatura"]


@pytest.fixture(scope="module")
def gold_corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A corpus of the bundled validation pages `GOLD_PAGE_IDS` with their Markdown gold, and two
    test pages (which have none), each page in its split."""
    bundled = Corpus.open()
    by_id = {p.page_id: p for p in bundled.pages}
    ids = [*GOLD_PAGE_IDS, "wcxb-4352", "wcxb-4207"]
    assert [by_id[i].split for i in ids] == ["validation"] * 3 + ["test"] * 2
    root = tmp_path_factory.mktemp("gold-corpus")
    write_corpus(root, [(replace(by_id[i], archive=""), bundled.read(by_id[i]), bundled.gold[i]) for i in ids])
    write_markdown_gold(root, "wcxb", {i: bundled.markdown_gold[i] for i in GOLD_PAGE_IDS})
    return root


def test_markdown_gold_table_is_what_its_parts_give(
    gold_corpus_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`evaluate --split validation --json`: report["markdown_gold"] holds the content blocks' row as
    `validate.structure_checks` gives it on the same pages, and each structured system's row as
    `scoring.element_counts` of its own structured output (called here), parsed, against the parsed
    gold; the printed report has the table. On the test split (no Markdown gold) there is none."""
    gold_corpus = Corpus.open(gold_corpus_dir)
    out = tmp_path / "report.json"
    run = ["evaluate", "--data", str(gold_corpus_dir), "--split", "validation", "--systems", ",".join(GOLD_SYSTEMS)]
    assert cli.main([*run, "--workers", "1", "--json", str(out)]) == 0
    assert "against the corpus's Markdown gold (3 pages" in capsys.readouterr().out
    against = json.loads(out.read_text(encoding="utf-8"))["markdown_gold"]
    assert against["pages"] == len(GOLD_PAGE_IDS) and set(against["systems"]) == set(GOLD_SYSTEMS)

    labeled = load_labeled(gold_corpus, gold_corpus.select(split="validation"), workers=1, progress=False, cache=False)
    gold = {i: gold_corpus.markdown_gold[i] for i in GOLD_PAGE_IDS}
    assert against["content_blocks"] == structure_summary([structure_checks(lp, gold[lp.page.page_id]) for lp in labeled])
    html = {p.page_id: decode_page(d) for p, d in gold_corpus.iter_bytes(lp.page for lp in labeled)}
    for name in GOLD_SYSTEMS:
        system = load_system(name)
        assert system.structured_fn is not None and system.structured_format is not None
        counts = []
        for lp in labeled:
            page = lp.page
            markup = system.structured_fn(html[page.page_id], page.url, page.language)
            elements = [(e.structure, e.text) for e in structure.parse(system.structured_format, markup, page.url)]
            gold_elements = [(e.structure, e.text) for e in structure.parse("markdown", gold[page.page_id], page.url)]
            counts.append(scoring.element_counts(elements, gold_elements, page.url))
        assert against["systems"][name] == structure_summary(counts), name
    # (not an empty table: each element has gold, and the systems find some of it)
    assert all(against["content_blocks"][e]["gold"] > 0 for e in ("heading", "list_item", "table_cell", "code", "link"))
    assert all(against["systems"][n]["link"]["f1"] > 0 for n in GOLD_SYSTEMS)

    # (the test split named: `--data` without `--split` is every page of the folder)
    report = evaluate(gold_corpus, split="test", systems=GOLD_SYSTEMS, workers=1, progress=False)
    assert report["pages"] == 2 and set(report["systems"]) == set(GOLD_SYSTEMS) and "markdown_gold" not in report
    assert "Markdown gold" not in format_table(report)
