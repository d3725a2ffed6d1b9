"""`bench`: speed figures measured in one run on one core, on the same pages.

Start-up figures: how long `import boilerbench` and `from boilerbench import extract` take, and the
first `extract` call (its imports, the model, one page), each in fresh interpreters. Core figures:
the segmenter (decode + parse + blocks, their structure not read: what the text paths run) and the
aligner (tokenise + align the gold) over WCXB test, longest pages included. Timed in this process,
one page after another.
"""

from __future__ import annotations

import json
import os
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..core import compiled
from ..core.align import TokenizedPage, align
from ..core.segment import segment
from ..core.types import Page
from ..extractor import compiled as _extractor_twins  # noqa: F401  (declared on import: `compiled.status()` covers both sides)
from .corpora.store import Corpus

# What a user's program pays to start: the package, the library call, the `clean` command's module,
# and the classifier's module (scikit-learn and skops: what the first call loads).
IMPORTS = (
    "import boilerbench",
    "from boilerbench import extract",
    "import boilerbench.extractor.clean",
    "import boilerbench.extractor.classifier",
)
_TIME_IMPORT = "import time\nt0 = time.perf_counter()\n{statement}\nprint(time.perf_counter() - t0)"
_TIME_CALLS = """import sys, time
from boilerbench import extract
page = sys.stdin.buffer.read()
t0 = time.perf_counter()
extract(page)
t1 = time.perf_counter()
extract(page)
print(t1 - t0, time.perf_counter() - t1)
"""


def _fresh_python(code: str, stdin: bytes = b"") -> list[float]:
    """Run `code` in a fresh interpreter on one thread, importing this package (the folder above
    it comes first on its path), and return the numbers it prints."""
    import boilerbench

    root = Path(boilerbench.__file__).resolve().parents[1]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, input=stdin, capture_output=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"a fresh interpreter failed: {done.stderr.decode(errors='replace')[-1000:]}")
    return [float(x) for x in done.stdout.split()]


def bench_startup(corpus: Corpus, pages: Sequence[Page] | None = None, repeats: int = 3) -> dict[str, Any]:
    """Seconds each of `IMPORTS` takes in a fresh interpreter, and the first `extract` call (its
    imports, the shipped model, one page: the first WCXB test page) after `from boilerbench import
    extract`, then a second call on the same page. Each figure is the median of `repeats` runs,
    the measures taking turns (a run never shares the machine with another)."""
    first = list(pages if pages is not None else corpus.select(split="test", source="wcxb"))[:1]
    if not first:
        raise ValueError("bench: the corpus has no WCXB test page to time the first call on")
    page, data = next(corpus.iter_bytes(first))
    _progress(f"start-up: imports and the first call in fresh interpreters, {repeats} run(s) each")
    imports: dict[str, list[float]] = {statement: [] for statement in IMPORTS}
    calls: list[list[float]] = []
    for _ in range(repeats):
        for statement in IMPORTS:
            imports[statement] += _fresh_python(_TIME_IMPORT.format(statement=statement))
        calls.append(_fresh_python(_TIME_CALLS, data))
    first_s, next_s = ([c[k] for c in calls] for k in range(2))
    return {
        "repeats": repeats,
        "import_s": {statement: round(statistics.median(runs), 3) for statement, runs in imports.items()},
        "import_runs_s": {statement: [round(x, 3) for x in runs] for statement, runs in imports.items()},
        "page": page.page_id,
        "page_bytes": len(data),
        "first_call_s": round(statistics.median(first_s), 3),
        "next_call_s": round(statistics.median(next_s), 4),
        "compiled": compiled.status(),
    }


def format_startup(r: dict[str, Any]) -> str:
    rows = [
        *r["import_s"].items(),
        ("extract(page), the first call", r["first_call_s"]),
        ("extract(page), the next", r["next_call_s"]),
    ]
    width = max(len(name) for name, _ in rows)
    lines = [f"start-up, each in a fresh interpreter, median of {r['repeats']} run(s):"]
    lines += [f"  {name:<{width}}  {s:7.3f} s" for name, s in rows]
    lines.append(f"  (the first call: its imports, the model, one page: {r['page']}, {r['page_bytes'] / 1000:,.0f} kB)")
    return "\n".join(lines)


def bench_core(corpus: Corpus, pages: Sequence[Page] | None = None) -> dict[str, Any]:
    pages = list(pages if pages is not None else corpus.select(split="test", source="wcxb"))
    _progress(f"core: segmenter and aligner on {len(pages)} pages")
    data = [(p, d) for p, d in corpus.iter_bytes(pages)]
    gold = corpus.gold
    t0 = time.perf_counter()
    blocks = [segment(d, p.page_format, structure=False) for p, d in data]  # what the text paths segment
    t_seg = time.perf_counter() - t0
    slowest = 0.0
    t0 = time.perf_counter()
    for (p, _), bl in zip(data, blocks):
        t = time.perf_counter()
        align(TokenizedPage(bl), gold[p.page_id].text or "")
        slowest = max(slowest, time.perf_counter() - t)
    t_align = time.perf_counter() - t0
    n = len(data)
    return {
        "pages": n,
        "megabytes": round(sum(len(d) for _, d in data) / 1e6, 1),
        "blocks": sum(len(b) for b in blocks),
        "segment_pages_per_s": round(n / t_seg, 1),
        "align_pages_per_s": round(n / t_align, 1),
        "align_slowest_page_s": round(slowest, 3),
        "compiled": compiled.status(),
    }


def format_core(r: dict[str, Any]) -> str:
    return (
        f"core, one process, {r['pages']} pages ({r['megabytes']} MB, {r['blocks']:,} blocks):\n"
        f"  segmenter  {r['segment_pages_per_s']:8.1f} pages/s  (decode + parse + blocks, no structure)\n"
        f"  aligner    {r['align_pages_per_s']:8.1f} pages/s  (tokenise + align gold; slowest page {r['align_slowest_page_s']} s)\n"
        f"  compiled extension: {r['compiled']}"
    )


CLEAN_TEXT, CLEAN_MARKDOWN = "clean", "clean --format markdown"
BENCH_SYSTEMS = ("boilerbench", "boilerbench-python", CLEAN_TEXT, CLEAN_MARKDOWN, "trafilatura", "rs-trafilatura", "resiliparse")
PURE_PYTHON = "boilerbench-python"  # the classifier with the compiled extension switched off
# `clean`'s own work on a page, given its URL: the classifier and the kept text, or the kept blocks
# as Markdown (links resolved against the URL); what `--format markdown` costs is the difference
CLEAN_OUTPUT = {CLEAN_TEXT: "text", CLEAN_MARKDOWN: "markdown"}


def _in_child(target: Any, *args: Any, method: str = "fork") -> dict[str, Any]:
    """Run `target(*args, conn)` in a child process (one at a time: a timing never shares the
    machine with another) and return what it sends, or the exit code when it sent nothing.
    `method` "forkserver": a process that starts clean, so its peak memory is its own, not the
    harness's (a forked child counts every page of its parent as resident)."""
    import multiprocessing as mp

    ctx = mp.get_context(method)
    parent, child = ctx.Pipe()
    # typeshed's get_context(str) is a BaseContext, which has no Process; every context it returns has one
    proc = ctx.Process(target=target, args=(*args, child))  # type: ignore[attr-defined]
    proc.start()
    child.close()
    try:
        r = parent.recv()
    except EOFError:
        proc.join()
        r = {"error": f"exited with code {proc.exitcode}"}
    proc.join()
    return r


def _time_system(name: str, htmls: Sequence[str], urls: Sequence[str | None], conn: Any) -> None:
    import resource

    from ..core.threads import one_core
    from .runner import quiet_libraries
    from .systems import load_system

    one_core()
    quiet_libraries()
    if name == PURE_PYTHON:
        compiled.switch_off()
    system = load_system("boilerbench" if name in (PURE_PYTHON, *CLEAN_OUTPUT) else name)
    fn = system.fn
    if name in CLEAN_OUTPUT:
        from ..extractor.extract import classify, structure_for

        output = CLEAN_OUTPUT[name]

        def call(h: str, url: str | None) -> Any:
            d = classify(h, "html", url=url, structure=structure_for(output))
            return d.markdown if output == "markdown" else d.text

    elif system.kind == "blocks":

        def call(h: str, url: str | None) -> Any:
            return fn(h)

    else:

        def call(h: str, url: str | None) -> Any:
            return fn(h, None, None)

    call(htmls[0], urls[0])  # warm-up: imports, model loading
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    for h, u in zip(htmls, urls):
        call(h, u)
    dt = time.perf_counter() - t0
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    conn.send({"version": system.version, "seconds": dt, "peak_rss_mb": rss1 / 1024, "rss_growth_mb": (rss1 - rss0) / 1024})


def _progress(message: str) -> None:
    """Which run is going on, on stderr (a bench takes minutes; the figures go to stdout)."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def bench_systems(
    corpus: Corpus, names: Sequence[str] = BENCH_SYSTEMS, pages: Sequence[Page] | None = None, repeats: int = 3
) -> dict[str, Any]:
    """End-to-end pages/s (decoded HTML in, text or block decisions out) of each system, one process
    each (forked in turn, never at the same time), on the same pages; ratios against trafilatura.

    Each system runs `repeats` times, every run in a new process (so no run starts with what an
    earlier one memoised), the systems taking turns; its figures are those of its median run."""
    from .runner import decode_page

    pages = list(pages if pages is not None else corpus.select(split="test", source="wcxb"))
    htmls = [decode_page(d) for _, d in corpus.iter_bytes(pages)]
    urls = [p.url for p in pages]
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    for k in range(repeats):
        for i, name in enumerate(names):
            if not any("error" in r for r in runs[name]):
                _progress(f"systems: run {k + 1}/{repeats}, {name} ({i + 1}/{len(names)}) on {len(htmls)} pages")
                runs[name].append(_in_child(_time_system, name, htmls, urls))
    out: dict[str, Any] = {}
    for name, rs in runs.items():
        failed = [r for r in rs if "error" in r]
        if failed:
            out[name] = failed[0]
            continue
        r = dict(sorted(rs, key=lambda r: r["seconds"])[len(rs) // 2])
        r["pages_per_s"] = round(len(htmls) / r["seconds"], 1)
        r["runs_pages_per_s"] = [round(len(htmls) / x["seconds"], 1) for x in rs]
        r["peak_rss_mb"] = max(x["peak_rss_mb"] for x in rs)
        out[name] = r
    base = out.get("trafilatura", {}).get("pages_per_s")
    for r in out.values():
        if base and "pages_per_s" in r:
            r["vs_trafilatura"] = round(r["pages_per_s"] / base, 2)
    result = {"pages": len(htmls), "repeats": repeats, "systems": out, "compiled": compiled.status()}
    text, markdown = (out.get(name, {}).get("pages_per_s") for name in CLEAN_OUTPUT)
    if text and markdown:
        result["markdown_vs_clean"] = round(markdown / text, 3)
    return result


def format_systems(r: dict[str, Any]) -> str:
    lines = [f"systems, one process each, end to end on the same {r['pages']} pages (WCXB test), median of {r['repeats']} runs:"]
    if r["compiled"] != "in use":  # then boilerbench runs in Python too, like boilerbench-python
        lines.append(f"  (boilerbench's compiled extension: {r['compiled']})")
    width = max(18, *(len(name) for name in r["systems"]))
    for name, s in r["systems"].items():
        if "error" in s:
            lines.append(f"  {name:<{width}} error: {s['error']}")
            continue
        lines.append(
            f"  {name:<{width}} {s['pages_per_s']:8.1f} pages/s   ×{s.get('vs_trafilatura', float('nan')):.2f} trafilatura"
            f"   (runs: {', '.join(f'{x:.1f}' for x in s['runs_pages_per_s'])})"
            f"   peak RSS {s['peak_rss_mb']:.0f} MB (+{s['rss_growth_mb']:.0f} MB while running)   {s['version']}"
        )
    if "markdown_vs_clean" in r:
        ratio = r["markdown_vs_clean"]
        lines.append(f"  {CLEAN_MARKDOWN}: ×{ratio:.2f} the pages/s of {CLEAN_TEXT} (the text), in the same run")
    return "\n".join(lines)


# --- at crawl scale -------------------------------------------------------------------------------

PROJECTED_PAGES = 3_000_000_000


def write_warcs(htmls: Sequence[tuple[str, bytes]], folder: Path, records: int, files: int = 8) -> list[Path]:
    """`records` WARC response records cycling over the pages (unique URLs), spread over `files`
    gzipped files — the input of the scale benchmark."""
    import io

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"crawl-{k:03d}.warc.gz" for k in range(files)]
    handles = [p.open("wb") for p in paths]
    writers = [WARCWriter(h, gzip=True) for h in handles]
    try:
        for i in range(records):
            url, data = htmls[i % len(htmls)]
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
            w = writers[i % files]
            w.write_record(
                w.create_warc_record(
                    f"{url}#copy-{i}",
                    "response",
                    payload=io.BytesIO(data),
                    http_headers=http,
                    warc_headers_dict={"WARC-Identified-Payload-Type": "text/html"},
                )
            )
    finally:
        for h in handles:
            h.close()
    return paths


STARTED_AFTER = 100  # records: each pipeline's start (imports, models, sandbox) is behind it by then


def _clock_step(path: str) -> Any:
    """A datatrove step that passes documents on and notes when each one passed: put before the
    extractor, the gap between two records is one record's whole time in the pipeline (writing
    the last one, reading and extracting this one), whatever the extractor drops."""
    from datatrove.pipeline.base import PipelineStep

    class Clock(PipelineStep):
        name = "⏱ clock"
        type = "CLOCK"

        def run(self, data: Any, rank: int = 0, world_size: int = 1) -> Any:
            times = []
            for doc in data:
                times.append(time.perf_counter())
                yield doc
            Path(path).write_text(json.dumps(times), encoding="utf-8")

    return Clock()


def _started_ms(path: Path, after: int) -> float | None:
    """Milliseconds per record after the first `after`, from a `_clock_step`'s file; None where
    no clock ran (runs of more than one task)."""
    if not path.exists():
        return None
    times = json.loads(path.read_text(encoding="utf-8"))
    if len(times) <= after + 1:
        return None
    return round(1000 * (times[-1] - times[after]) / (len(times) - 1 - after), 3)


def _run_pipeline(folder: str, extractor: str, tasks: int, out: str, started_after: int, conn: Any) -> None:
    import multiprocessing as mp
    import resource

    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.writers import JsonlWriter

    from ..core.threads import one_core
    from ..integrations.datatrove import BoilerbenchExtractor, BoilerbenchWarcReader

    one_core()
    # This process was started by forkserver (for an honest peak RSS), which makes forkserver its
    # default start method; a task under Slurm or Ray forks. Both extractors' sandboxes should
    # start as they would there, so neither pays a fresh interpreter per sandbox.
    mp.set_start_method("fork", force=True)
    if extractor == "boilerbench":
        step: Any = BoilerbenchExtractor(timeout=30)
    else:
        from datatrove.pipeline.extractors import Trafilatura

        step = Trafilatura(timeout=30)
    pipeline = [BoilerbenchWarcReader(folder, glob_pattern="*.warc.gz"), step, JsonlWriter(out)]
    if tasks == 1:
        pipeline.insert(1, _clock_step(out + "-clock.json"))
    t0 = time.perf_counter()
    LocalPipelineExecutor(pipeline, tasks=tasks, workers=tasks, logging_dir=out + "-logs", skip_completed=False).run()
    seconds = time.perf_counter() - t0
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    conn.send(
        {
            "seconds": seconds,
            "peak_rss_mb": round(max(kids, me)),
            "main_rss_mb": round(me),
            "child_rss_mb": round(kids),
            "step_ms": _step_ms(Path(out + "-logs")),
            "started_ms": _started_ms(Path(out + "-clock.json"), started_after),
        }
    )


def _step_ms(logs: Path) -> dict[str, float]:
    """Mean milliseconds per document of each pipeline step (reader, extractor, writer), from
    datatrove's own stats: where a record's time goes. A run that left no readable stats raises
    (the child's traceback, and its exit code in the run's row), rather than losing the steps' times unsaid."""
    steps = json.loads((logs / "stats.json").read_text(encoding="utf-8"))
    kinds = {"READER": "reader", "EXTRAC": "extractor", "WRITER": "writer"}
    out = {}
    for step in steps:
        kind = next((v for k, v in kinds.items() if k in step.get("name", "")), None)
        times = step.get("time_stats")
        mean = times.get("mean") if isinstance(times, dict) else None
        if kind and mean is not None:
            out[kind] = round(1000 * mean, 2)
    return out


SCALE_PAIRS = 3


def bench_scale(
    corpus: Corpus,
    records: int = 20_000,
    small: int = 5_000,
    compare: int = 2_000,
    work: Path | None = None,
    pairs: int = SCALE_PAIRS,
    started_after: int = STARTED_AFTER,
) -> dict[str, Any]:
    """The datatrove pipeline (boilerbench WARC reader → extractor → JSONL) on a WARC of the bundled
    pages repeated to `records`: records/s and peak RSS with 1 and 2 tasks, `small` vs `records`
    records (memory must stay flat); then datatrove's trafilatura step and boilerbench's on the
    same `compare` records, back to back, `pairs` times. The ratio is the median of the pairs':
    this machine's speed drifts over minutes, and the two runs of a pair share it."""
    import shutil
    import tempfile

    pages = corpus.select(split="test", source="wcxb")
    htmls = [(p.url or f"https://example.org/{p.page_id}", d) for p, d in corpus.iter_bytes(pages)]
    tmp = Path(tempfile.mkdtemp(prefix="boilerbench-scale-", dir=work))
    runs: dict[str, Any] = {}
    plan: list[tuple[str, int, int, int | None]] = [
        ("boilerbench", small, 1, None),
        ("boilerbench", records, 1, None),
        ("boilerbench", records, 2, None),
    ]
    plan += [(name, compare, 1, k) for k in range(pairs) for name in ("trafilatura", "boilerbench")]
    try:
        for n in sorted({small, records, compare}):
            write_warcs(htmls, tmp / f"warc-{n}", n)
        for i, (name, n, tasks, pair) in enumerate(plan):
            _progress(f"scale: run {i + 1}/{len(plan)}, {name} on {n:,} records, {tasks} task{'s' if tasks > 1 else ''}")
            r = _in_child(
                _run_pipeline,
                str(tmp / f"warc-{n}"),
                name,
                tasks,
                str(tmp / f"out-{name}-{n}-{tasks}-{pair}"),
                started_after,
                method="forkserver",
            )
            if "seconds" in r:
                r["records_per_s"] = round(n / r["seconds"], 1)
            label = f"{name} {n:,} records, {tasks} task{'s' if tasks > 1 else ''}" + (
                f" (pair {pair + 1}/{pairs})" if pair is not None else ""
            )
            runs[label] = {"system": name, "records": n, "tasks": tasks, "pair": pair, **r}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for r in runs.values():
        if r.get("records_per_s") and r["tasks"] == 1:
            r["core_hours_3e9"] = round(PROJECTED_PAGES / r["records_per_s"] / 3600)
            if r.get("step_ms"):  # what the steps' own timings leave out: reading the WARC, the executor
                r["step_ms"]["rest"] = round(1000 / r["records_per_s"] - sum(r["step_ms"].values()), 2)
    out: dict[str, Any] = {"runs": runs, "started_after": started_after}
    by_pair = [{r["system"]: r for r in runs.values() if r["pair"] == k} for k in range(pairs)]
    for median, each, ms in _PAIR_MEASURES:
        ratios = []
        for k in range(pairs):
            ours, theirs = by_pair[k].get("boilerbench", {}), by_pair[k].get("trafilatura", {})
            mine, other = ms(ours), ms(theirs)
            if mine and other:
                ratios.append(round(other / mine, 2))
        out[median], out[each] = (statistics.median(ratios) if ratios else None), ratios
    return out


# What a pair's ratio compares, in ms per record: (median's key, the pairs' key, the measure).
_PAIR_MEASURES: tuple[tuple[str, str, Callable[[dict[str, Any]], float | None]], ...] = (
    ("vs_trafilatura", "pair_ratios", lambda r: 1000 / r["records_per_s"] if r.get("records_per_s") else None),
    ("started_vs_trafilatura", "pair_started_ratios", lambda r: r.get("started_ms")),
    ("step_vs_trafilatura", "pair_step_ratios", lambda r: r.get("step_ms", {}).get("extractor")),
)


def format_scale(r: dict[str, Any]) -> str:
    lines = ["at scale: the datatrove pipeline (WARC reader → extractor → JSONL) on WARCs of the bundled pages:"]
    for label, s in r["runs"].items():
        if "error" in s:
            lines.append(f"  {label:<40} error: {s['error']}")
            continue
        hours = f"   {s['core_hours_3e9']:,} core-hours for 3·10⁹ pages" if "core_hours_3e9" in s else ""
        steps = (
            "   ms/record (datatrove's step timings): " + ", ".join(f"{k} {v:.2f}" for k, v in s["step_ms"].items())
            if s.get("step_ms")
            else ""
        )
        started = f" ({1000 / s['started_ms']:.1f} once started)" if s.get("started_ms") else ""
        lines.append(
            f"  {label:<40} {s['records_per_s']:8.1f} records/s{started}   peak RSS {s['peak_rss_mb']:,} MB{hours}{steps}"
        )

    def pairs(key: str) -> str:
        return ", ".join(f"×{x:.2f}" for x in r[key])

    if r.get("started_vs_trafilatura"):
        lines.append(
            f"  boilerbench ×{r['started_vs_trafilatura']:.2f} datatrove's trafilatura step, the whole pipeline once started "
            f"(one task each, records/s after the first {r['started_after']}, as in a task over a whole WARC file; "
            f"median of the back-to-back pairs: {pairs('pair_started_ratios')})"
        )
    if r.get("vs_trafilatura"):
        lines.append(
            f"  the whole runs, starts included (imports, models, sandbox): ×{r['vs_trafilatura']:.2f} ({pairs('pair_ratios')})"
        )
    if r.get("step_vs_trafilatura"):
        lines.append(
            f"  the extractor steps alone (datatrove's own timings): ×{r['step_vs_trafilatura']:.2f} ({pairs('pair_step_ratios')})"
        )
    return "\n".join(lines)


# --- memory of a whole command (its workers included) ----------------------------------------------


def _descendants(root: int) -> list[int]:
    """The process and every process under it, from /proc's children lists."""
    out, i = [root], 0
    while i < len(out):
        for task in Path(f"/proc/{out[i]}/task").glob("*/children"):
            try:
                out += [int(pid) for pid in task.read_text().split()]
            except OSError:  # gone meanwhile
                pass
        i += 1
    return out


def tree_pss_mb(root: int) -> float:
    """Memory a process tree takes from the machine: PSS summed over the tree, in MB (shared pages
    counted once, where summed RSS would count a forked worker's shared pages in every process, and
    `/usr/bin/time`'s maximum RSS sees one process only)."""
    kb = 0
    for pid in _descendants(root):
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:  # gone meanwhile, or not ours to read
            continue
        kb += next((int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:")), 0)
    return kb / 1024


def peak_memory(command: str, every: float = 0.1) -> dict[str, Any]:
    """Run `python -m boilerbench COMMAND` and sample its process tree's PSS every `every` s: the
    peak memory of a long command whose workers do the work (build-dataset, evaluate). A command
    shorter than a few samples is under-measured by sampling, so the largest single process's
    maximum RSS (the kernel's own count, from wait4) is reported beside it."""
    if not Path("/proc/self/smaps_rollup").is_file():
        raise ValueError("--peak-memory reads Linux's /proc/PID/smaps_rollup, which this system lacks")
    argv = shlex.split(command)
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "boilerbench", *argv])
    peak = 0.0
    while True:
        peak = max(peak, tree_pss_mb(proc.pid))
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        time.sleep(every)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {
        "command": command,
        "returncode": proc.returncode,
        "seconds": round(time.perf_counter() - t0, 1),
        "peak_pss_mb": round(peak),
        "max_rss_mb": round(usage.ru_maxrss / 1024),  # Linux counts ru_maxrss in KB
        "sample_seconds": every,
    }


def format_peak(r: dict[str, Any]) -> str:
    return (
        f"peak memory of `boilerbench {r['command']}`: {r['peak_pss_mb']:,} MB"
        f" (PSS summed over its process tree, sampled every {r['sample_seconds']} s; its largest process's"
        f" maximum RSS {r['max_rss_mb']:,} MB); {r['seconds']} s, exit code {r['returncode']}"
    )
