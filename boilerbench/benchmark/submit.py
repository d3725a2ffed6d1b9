"""`submit`: score an external system's outputs on the test split and put it on the leaderboard.

A submission is JSONL, one object per test page: `{"page_id", "text"}` (an extractor's output, projected
onto blocks by the same aligner as every baseline) or `{"page_id", "labels": [0/1 per block]}` (a block
classifier). It is checked completely before anything is written: one bad line refuses the whole file
with a message naming the line, and the result file and leaderboard are written atomically after.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.types import LabeledPage
from ..core.types import check_name as check_safe_name
from .corpora.store import Corpus
from .evaluate import Scored, kept_scored, output_scored, score_report
from .groundtruth import load_labeled
from .leaderboard import atomic_write, baselines_dir, load_results, result_record, stored_best, write_leaderboard
from .scoring import paired_bootstrap

MAX_BYTES = 256 * 1024 * 1024  # far above a text submission of the whole test split
SPLIT = "test"


class SubmissionError(ValueError):
    """The submission is refused; the message names the line and the problem. Nothing was written."""


@dataclass(frozen=True)
class Entry:
    page_id: str
    text: str | None
    labels: tuple[bool, ...] | None


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number JSON allows")


def parse(path: Path, max_bytes: int | None = None) -> list[tuple[int, Entry]]:
    """(line number, entry) of every non-blank line; the first malformed line raises."""
    max_bytes = MAX_BYTES if max_bytes is None else max_bytes
    if not path.is_file():
        raise SubmissionError(f"{path}: no such file")
    size = path.stat().st_size
    if size > max_bytes:
        raise SubmissionError(f"{path}: {size:,} bytes, over the {max_bytes:,}-byte limit")
    out = []
    with path.open("rb") as f:
        for lineno, raw in enumerate(f, start=1):
            where = f"{path}:{lineno}"
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                raise SubmissionError(f"{where}: not UTF-8 ({e.reason} at byte {e.start})") from None
            if not line.strip():
                continue
            try:
                obj = json.loads(line, parse_constant=_refuse_constant)
            except ValueError as e:
                raise SubmissionError(f"{where}: not JSON ({e})") from None
            out.append((lineno, _entry(obj, where)))
    if not out:
        raise SubmissionError(f"{path}: no submission lines")
    return out


def _entry(obj: Any, where: str) -> Entry:
    if not isinstance(obj, dict):
        raise SubmissionError(f"{where}: expected a JSON object, got {type(obj).__name__}")
    unknown = sorted(set(obj) - {"page_id", "text", "labels"})
    if unknown:
        raise SubmissionError(f"{where}: unknown field(s) {unknown}; expected page_id and text or labels")
    page_id = obj.get("page_id")
    if not isinstance(page_id, str) or not page_id:
        raise SubmissionError(f"{where}: page_id must be a non-empty string")
    if ("text" in obj) == ("labels" in obj):
        raise SubmissionError(f"{where}: give exactly one of text or labels")
    if "text" in obj:
        if not isinstance(obj["text"], str):
            raise SubmissionError(f"{where}: text must be a string")
        return Entry(page_id, obj["text"], None)
    labels = obj["labels"]
    if not isinstance(labels, list):
        raise SubmissionError(f"{where}: labels must be a list of 0/1")
    for k, v in enumerate(labels):
        # bool is an int in Python: true/false are refused along with 2, 0.5 and NaN
        if isinstance(v, bool) or not isinstance(v, int) or v not in (0, 1):
            shown = "NaN" if isinstance(v, float) and math.isnan(v) else json.dumps(v)
            raise SubmissionError(f"{where}: labels[{k}] is {shown}, not 0 or 1")
    return Entry(page_id, None, tuple(v == 1 for v in labels))


def check_name(name: str, folder: Path, force: bool) -> Path:
    """The result file a submission named `name` writes; refuses names that escape the folder or
    would replace a baseline, and a resubmission without `force`."""
    try:
        check_safe_name("name", name)
    except ValueError as e:
        raise SubmissionError(str(e)) from None
    path = folder / f"{name}.json"
    if path.exists():
        try:
            kind = json.loads(path.read_text(encoding="utf-8")).get("kind")
        except (OSError, ValueError):
            kind = None
        if kind != "submission":
            raise SubmissionError(f"name {name!r} is taken by a {kind or 'baseline'} result ({path}); choose another")
        if not force:
            raise SubmissionError(f"a submission named {name!r} exists ({path}); pass --force to replace it")
    return path


_URL_RE = re.compile(r"^https?://[^\s()<>\[\]]+$")


def check_about(url: str | None, description: str | None) -> None:
    """The URL and description go into the leaderboard's Markdown: a plain http(s) link, one line."""
    if url is not None and not _URL_RE.match(url):
        raise SubmissionError(f"--url {url!r}: give an http(s) address without spaces, brackets or parentheses")
    if description is not None and (len(description) > 300 or "\n" in description or "|" in description):
        raise SubmissionError("--description: one line of at most 300 characters, without '|'")


def match(entries: list[tuple[int, Entry]], labeled: list[LabeledPage], path: Path) -> list[Entry]:
    """The entries in the order of `labeled`; refuses unknown, duplicate, missing pages and label
    lists of the wrong length. A page with no block at all may be left out (the `blocks` config has
    no row to build its line from): it is taken as keeping nothing."""
    by_id = {labeled_page.page.page_id: labeled_page for labeled_page in labeled}
    seen: dict[str, int] = {}
    for lineno, entry in entries:
        where = f"{path}:{lineno}"
        if entry.page_id not in by_id:
            raise SubmissionError(f"{where}: unknown page_id {entry.page_id!r} (not a {SPLIT} page)")
        if entry.page_id in seen:
            raise SubmissionError(f"{where}: duplicate page_id {entry.page_id!r} (first on line {seen[entry.page_id]})")
        seen[entry.page_id] = lineno
        n = len(by_id[entry.page_id].blocks)
        if entry.labels is not None and len(entry.labels) != n:
            raise SubmissionError(f"{where}: {len(entry.labels)} labels for page {entry.page_id!r}, which has {n} blocks")
    missing = [pid for pid in by_id if pid not in seen and by_id[pid].blocks]
    if missing:
        raise SubmissionError(f"{path}: {len(missing)} {SPLIT} page(s) missing, e.g. {', '.join(missing[:5])}")
    mine = {pid: Entry(pid, None, ()) for pid in by_id if pid not in seen}
    mine.update((entry.page_id, entry) for _, entry in entries)
    return [mine[labeled_page.page.page_id] for labeled_page in labeled]


def entry_scored(labeled_page: LabeledPage, entry: Entry) -> Scored:
    """What the scorers need of one entry: text is projected onto blocks, labels are the decisions
    (their word F1 is measured on the kept blocks' text, as for the reference rows)."""
    return kept_scored(labeled_page, entry.labels) if entry.labels is not None else output_scored(labeled_page, entry.text or "")


def versus_stored_best(page_block_f1: dict[str, float], folder: Path) -> dict[str, float | str] | None:
    """The paired bootstrap test of a submission's per-page block F1 against the board's best system,
    whose result file keeps its own per page (`page_block_f1`): the same test `evaluate --save`
    records, over the pages both scored; None on an empty board."""
    best = next((r for r in load_results(folder) if r["system"] == stored_best(folder)), None)
    if best is None:
        return None
    theirs = best["metrics"].get("page_block_f1", {})
    common = sorted(page_block_f1.keys() & theirs.keys())
    test = paired_bootstrap([page_block_f1[p] for p in common], [theirs[p] for p in common])
    return {"against": best["system"], **{k: round(v, 4) for k, v in test.items()}}


def submit(
    path: Path,
    name: str,
    url: str | None = None,
    description: str | None = None,
    force: bool = False,
    corpus: Corpus | None = None,
    folder: Path | None = None,
) -> tuple[Path, dict[str, Any]]:
    """Validate, score, write `<folder>/<name>.json` and regenerate the leaderboard; nothing is
    written unless every check passes."""
    folder = folder or baselines_dir()
    out = check_name(name, folder, force)
    check_about(url, description)
    entries = parse(path)
    corpus = corpus or Corpus.open()
    pages = corpus.select(split=SPLIT)
    labeled = load_labeled(corpus, pages)
    ordered = match(entries, labeled, path)
    results = [entry_scored(labeled_page, entry) for labeled_page, entry in zip(labeled, ordered)]
    report = score_report(
        labeled, {name: results}, {name: None}, kind="submission", structured={}
    )  # text or labels: no structure
    metrics = report["systems"][name]
    metrics.pop("vs_best", None)  # against itself: the test that counts is against the board's best
    test = versus_stored_best(metrics["page_block_f1"], folder)
    if test is not None:
        metrics["vs_best"] = test
    report.update(dataset_revision=corpus.revision(), split=SPLIT)
    submitted = {
        "file_sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "format": "/".join(sorted({"labels" if entry.labels is not None else "text" for entry in ordered})),
        **({"url": url} if url else {}),
        **({"description": description} if description else {}),
    }
    record = result_record(name, metrics, report, submitted=submitted)
    atomic_write(out, json.dumps(record, indent=1, ensure_ascii=False) + "\n")
    write_leaderboard(folder)
    return out, record
