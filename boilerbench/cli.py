"""`python -m boilerbench <command>`: the project's entry points."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .core.text import BinaryInputError
from .core.types import (
    CATEGORY_GROUP_NAMES,
    CLEAN_OUTPUTS,
    PAGE_FORMAT_CHOICES,
    PAGE_FORMATS,
    PAGE_SPLITS,
    PAGE_TYPES,
    SPLITS,
    TRAIN_ONLY,
    TRAIN_PARTS,
    Block,
    Page,
    check_choice,
    check_keep,
)
from .core.warc import WarcStats, is_warc

# Each command imports the modules it runs inside its function, so that `--help` and every other
# command start without them: behind them are lxml and numpy (~0.3 s), scikit-learn (~4 s),
# matplotlib, and even the corpus store and the systems registry cost ~50 ms each
# (tarfile/lzma, importlib.metadata) against ~0.2 s for the whole start.
if TYPE_CHECKING:
    from .benchmark.corpora.store import Corpus


def _open_corpus(data: str | None) -> Corpus:
    """`Corpus.open` of --data (None: the bundled corpus), a folder that does not exist named as such."""
    from .benchmark.corpora.store import Corpus

    if data is not None and not Path(data).exists():
        raise FileNotFoundError(f"--data {data}: no such folder")
    return Corpus.open(data)


def _out_folder(out: str) -> Path:
    """--out DIR, refused up front if DIR is a file (not `[Errno 17] File exists` from a mkdir)."""
    if Path(out).exists() and not Path(out).is_dir():
        raise ValueError(f"--out {out}: is a file, not a folder")
    return Path(out)


def _write_json(path: str, obj: object) -> None:
    Path(path).write_text(json.dumps(obj, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _cmd_validate(args: argparse.Namespace) -> int:
    from .benchmark.groundtruth import load_labeled
    from .benchmark.validate import format_report, report

    corpus = _open_corpus(args.data)
    pages = corpus.select(split=args.split) if args.split else corpus.pages
    labeled = load_labeled(corpus, pages, workers=args.workers, cache=not args.no_cache)
    rep = report(labeled, markdown=corpus.markdown_gold)
    rep["dataset_revision"] = corpus.revision()
    print(format_report(rep))
    if args.json:
        _write_json(args.json, rep)
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from .benchmark.evaluate import evaluate, format_table, resolve
    from .benchmark.leaderboard import save_results, stored_best
    from .benchmark.systems import NOT_BY_DEFAULT, REGISTRY

    systems = resolve(args.systems)
    if args.systems is None:
        for name, reason in NOT_BY_DEFAULT.items():
            print(f"not run by default: {name}: {reason}; --systems all runs it", file=sys.stderr)
    why = _cannot_run(systems)
    if len(why) == len(systems):  # not an empty table and exit 0
        raise ValueError(f"no requested system can run here: {' | '.join(why.values())}")
    run = list(systems)
    if args.save:
        if args.data or args.split != "test":
            raise ValueError("--save records results on the bundled test split only")
        if args.no_structure:
            raise ValueError("--save records the structure scores too: drop --no-structure")
        # The paired test in each result file is against the best system of the run: a run of a
        # few systems also runs the board's best (not saved; its outputs are usually cached).
        best = stored_best()
        if best is not None and best not in run and best in REGISTRY:
            run.append(best)
    reports = []
    for data in args.data or [None]:
        corpus = _open_corpus(data)
        split = args.split if data is None else (args.split if args.split != "test" else None)
        rep = evaluate(
            corpus,
            split=split,
            systems=run,
            timeout=args.timeout,
            workers=args.workers,
            cache=not args.no_cache,
            structured=not args.no_structure,
        )
        print(format_table(rep))
        reports.append(rep)
    if args.json:
        payload = reports[0] if len(reports) == 1 else {"runs": reports}
        _write_json(args.json, payload)
    if args.save:
        for path in save_results(reports[0], names=systems):
            print(f"wrote {path}")
    return 0


def _cannot_run(names: list[str]) -> dict[str, str]:
    """Why each of `names` cannot run here (`load_system`'s MissingSystem: a package or a model it
    needs is absent); reference rows always run."""
    from .benchmark.systems import REFERENCE, MissingSystem, load_system

    why: dict[str, str] = {}
    for name in names:
        try:
            if name not in REFERENCE:
                load_system(name)
        except MissingSystem as e:
            why[name] = str(e)
    return why


def _cmd_bench(args: argparse.Namespace) -> int:
    from .benchmark.bench import (
        bench_core,
        bench_scale,
        bench_startup,
        bench_systems,
        format_core,
        format_peak,
        format_scale,
        format_startup,
        format_systems,
        peak_memory,
    )

    if args.peak_memory:
        peak = peak_memory(args.peak_memory)
        print(format_peak(peak))
        if args.json:
            _write_json(args.json, peak)
        return 0 if peak["returncode"] == 0 else 1
    if args.repeats < 1:
        raise ValueError(f"--repeats {args.repeats}: give 1 or more")
    corpus = _open_corpus(args.data)
    result = {"startup": bench_startup(corpus, repeats=args.repeats)}
    print(format_startup(result["startup"]))
    result["core"] = bench_core(corpus)
    print(format_core(result["core"]))
    if not args.core_only:
        result["systems"] = bench_systems(corpus, repeats=args.repeats)
        print(format_systems(result["systems"]))
    if args.scale:
        n = args.scale_records
        result["scale"] = bench_scale(corpus, records=n, small=max(1, n // 4), compare=max(1, n // 10))
        print(format_scale(result["scale"]))
    if args.json:
        _write_json(args.json, result)
    return 0


def _cmd_train(args: argparse.Namespace) -> int:
    from .benchmark.train import train

    page_formats = [m.strip() for m in args.page_formats.split(",") if m.strip()]
    parts = (args.only,) if args.only else TRAIN_PARTS
    train(_open_corpus(args.data), page_formats=page_formats, parts=parts)  # which checks each page_format
    return 0


def _keep(args: argparse.Namespace) -> tuple[str, ...]:
    """`clean --keep a,b` as the tuple `extract(..., keep=...)` takes, each group checked."""
    return check_keep([g.strip() for g in (args.keep or "").split(",") if g.strip()])


def _cmd_clean(args: argparse.Namespace) -> int:
    from .extractor.clean import clean_many, expand, mirrored, skipped_summary

    args.keep = _keep(args)
    _check_url(args.url)
    inputs = args.inputs or ["-"]
    if inputs == ["-"]:
        return _clean_stdin(args)
    outdir = _out_folder(args.out) if args.out else None
    skipped: list[Path] = []
    places = expand(inputs, skipped)
    if skipped:
        print(f"boilerbench: {skipped_summary(skipped)}", file=sys.stderr)
    missing = [path for path, _ in places if not Path(path).exists()]
    for path in missing:  # a usage error (exit 2), but the other inputs are still cleaned
        print(f"boilerbench: error: {path}: no such file or folder", file=sys.stderr)
    places = [(path, rel) for path, rel in places if path not in missing]
    paths = [path for path, _ in places]
    if not paths:
        if missing:
            return 2
        raise ValueError(f"no input files match {' '.join(inputs)}")
    crawls = [p for p in paths if is_warc(p)]
    if crawls:
        if len(crawls) != len(paths):
            raise ValueError("give WARC/WET files or pages, not both in one call")
        if args.url:
            raise ValueError("--url names one page's address; a WARC/WET record carries its own: drop --url")
        code = _clean_crawls(crawls, args)
        return 2 if missing else code
    failed = written = 0
    targets = mirrored(places, outdir, OUT_SUFFIXES[args.format]) if outdir else {}
    if outdir:
        outdir.mkdir(parents=True, exist_ok=True)
    for res in clean_many(paths, args.page_format, args.format, progress=len(paths) > 1, keep=args.keep, url=args.url):
        if res.error:
            failed += 1
            print(f"boilerbench: error: {res.error}", file=sys.stderr)
            continue
        if outdir:
            target = targets[res.name]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(res.output + "\n" if res.output else "", encoding="utf-8")
            written += 1
        else:
            if len(paths) + len(missing) > 1 and args.format != "jsonl":  # JSONL rows name their input
                print(f"==> {res.name} <==")
            if res.output:
                print(res.output)
    if outdir:
        print(f"wrote {written} file(s) under {outdir}", file=sys.stderr)
    return 2 if missing else 1 if failed else 0


OUT_SUFFIXES = {"text": ".txt", "jsonl": ".jsonl", "markdown": ".md"}  # what `clean --out` names a page's output, by --format


def _check_url(url: str | None) -> None:
    """`clean --url`: an absolute http(s) address, what a page's relative links are resolved against."""
    if url is None:
        return
    split = urlsplit(url)
    if split.scheme not in ("http", "https") or not split.netloc:
        raise ValueError(f"--url {url!r}: give the page's absolute address (http:// or https://, with its host)")


def _clean_stdin(args: argparse.Namespace) -> int:
    """`clean` or `clean -`: one page from stdin to stdout."""
    if args.out:
        raise ValueError("--out DIR takes input files; stdin is cleaned to stdout: drop --out and redirect (> FILE)")
    if sys.stdin is None:  # `clean <&-`: Python starts without a stdin
        raise ValueError("stdin is closed: give FILE, DIR or GLOB, or pipe a page in")
    try:
        data = sys.stdin.buffer.read()
    except OSError as e:
        raise ValueError(f"cannot read stdin: {e.strerror or e}") from e
    from .extractor.clean import clean_bytes

    try:
        out = clean_bytes(data, args.page_format, args.format, "-", args.keep, args.url)
    except BinaryInputError as e:
        print(f"boilerbench: error: {e}", file=sys.stderr)
        return 1
    if out:
        print(out)
    return 0


def _clean_crawls(paths: list[str], args: argparse.Namespace) -> int:
    """WARC/WET files → one JSON line per usable record (url, text; blocks with --format jsonl, the
    kept blocks as Markdown with --format markdown),
    streamed to stdout or to DIR/<file>.jsonl; what was skipped goes to stderr."""
    from .extractor.clean import clean_warc

    outdir = _out_folder(args.out) if args.out else None
    if outdir:
        outdir.mkdir(parents=True, exist_ok=True)
    for path in paths:
        stats = WarcStats()
        rows = clean_warc(path, args.page_format, args.format, progress=True, stats=stats, keep=args.keep)
        if outdir:
            name = Path(path).name
            target = outdir / ((name[:-3] if name.endswith(".gz") else name) + ".jsonl")  # crawl.warc.gz → crawl.warc.jsonl
            with target.open("w", encoding="utf-8") as f:
                for row in rows:
                    f.write(json.dumps(row, ensure_ascii=False) + "\n")
        else:
            for row in rows:
                sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(f"{path}: {stats.summary()}", file=sys.stderr)
    return 0


def _cmd_show(args: argparse.Namespace) -> int:
    from .benchmark.groundtruth import load_labeled

    if len(args.page_ids) == 1 and Path(args.page_ids[0]).is_file():
        return _show_file(Path(args.page_ids[0]), args)
    corpus = _open_corpus(args.data)
    wanted = set(args.page_ids)
    pages = [p for p in corpus.pages if p.page_id in wanted]
    missing = wanted - {p.page_id for p in pages}
    if missing:
        raise ValueError(f"unknown page id(s): {', '.join(sorted(missing))}")
    if args.raw:
        if len(pages) != 1:
            raise ValueError("--raw writes one page's bytes: give one page id")
        sys.stdout.buffer.write(corpus.read(pages[0]))
        sys.stdout.flush()
        return 0
    if args.out:
        return _show_html(corpus, pages, args)
    for labeled_page in load_labeled(corpus, pages, workers=1, progress=False):
        p = labeled_page.page
        print(f"# {p.page_id}  {p.source}/{p.split}  {p.page_type or '-'}  {p.language}  {p.url}")
        for b in labeled_page.blocks:
            mark = "*" if b.corrected else " "
            print(_block_line(b.block, _LABEL_MARK[b.label] + mark, b.category, b.coverage, args.width))
        if args.gold and labeled_page.gold.text is not None:
            print("## gold\n" + labeled_page.gold.text)
    return 0


def _cmd_pages(args: argparse.Namespace) -> int:
    """The corpus's pages, one a line: id, source, split, page type, language, url (tab-separated)."""
    corpus = _open_corpus(args.data)
    if args.source is not None:
        check_choice("--source", args.source, sorted({p.source for p in corpus.pages}))
    pages = [p for p in corpus.select(split=args.split, source=args.source) if args.type is None or p.page_type == args.type]
    for p in pages:
        print("\t".join((p.page_id, p.source, p.split, p.page_type or "-", p.language, p.url)))
    print(f"{len(pages)} page(s)", file=sys.stderr)
    return 0


def _cmd_errors(args: argparse.Namespace) -> int:
    """Each page a system failed on and its error, one a line: system, page id, error (tab-separated;
    an error's line breaks become spaces)."""
    from .benchmark.leaderboard import load_results

    if args.files:
        found = [pair for f in args.files for pair in _systems_of(f, _read_json(f))]
    else:
        found = [(r["system"], r["metrics"]) for r in load_results()]
    wanted = [n.strip() for n in (args.systems or "").split(",") if n.strip()]
    for name in wanted:
        check_choice("system", name, sorted({n for n, _ in found}))
    rows = []
    for name, metrics in found:
        if wanted and name not in wanted:
            continue
        errors, count = metrics.get("page_errors"), metrics.get("errors")
        if errors is None and count:
            raise ValueError(
                f"{name}: its results count {count} failing page(s) but name none (written before they did: re-save them)"
            )
        rows += [(name, page_id, " ".join(error.split())) for page_id, error in (errors or {}).items()]
    for row in rows:
        print("\t".join(row))
    print(f"{len(rows)} failing page(s)", file=sys.stderr)
    return 0


def _read_json(path: str) -> object:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: not JSON ({e})") from None


def _systems_of(where: str, obj: object) -> list[tuple[str, dict[str, Any]]]:
    """(name, metrics) of each system in a result file (`baselines/<system>.json`) or an `evaluate
    --json` report (one run, or one per corpus under "runs")."""
    if isinstance(obj, dict) and isinstance(obj.get("metrics"), dict) and "system" in obj:
        return [(obj["system"], obj["metrics"])]
    if isinstance(obj, dict) and isinstance(obj.get("systems"), dict):
        return list(obj["systems"].items())
    if isinstance(obj, dict) and isinstance(obj.get("runs"), list):
        return [pair for run in obj["runs"] for pair in _systems_of(where, run)]
    raise ValueError(f"{where}: neither a result file nor an `evaluate --json` report")


_LABEL_MARK = {"content": "C", "boilerplate": "b", None: "?"}


def _block_line(block: Block, marks: str, category: str, number: float, width: int, category_width: int = 12) -> str:
    """One block as `show` prints it: index, marks, category (padded to `category_width`), a number
    in [0, 1], tag, text (cut to `width` characters; 0: whole)."""
    text = block.text.replace("\n", " ⏎ ")
    if width and len(text) > width:
        text = text[: width - 1] + "…"
    return f"{block.index:4d} {marks} {category:<{category_width}} {number:4.2f} {block.tag:<10} {text}"


def _show_file(path: Path, args: argparse.Namespace) -> int:
    """`show FILE`: any HTML or text file (gzipped or not) with the shipped classifier's decisions,
    printed (C kept, b dropped, then the category model's group and the classifier's score: no
    gold, so no coverage) or, with --out, as one HTML page."""
    from .extractor.extract import classify, page_text

    if args.raw or args.gold:
        raise ValueError(f"--raw and --gold read a corpus page; {path} is a file: give a page id")
    text = page_text(path.read_bytes(), str(path))
    if args.out:
        from .benchmark.leaderboard import atomic_write
        from .benchmark.report import render_classifier_page

        atomic_write(Path(args.out), render_classifier_page(path.name, text))
        print(f"wrote {args.out}")
        return 0
    d = classify(text, "auto", name=path.name, structure=False)  # printed without structure
    print(f"# {path}  {d.page_format}  {d.page_type or '-'}  (the shipped models: decision, category group and score)")
    widest = max(map(len, CATEGORY_GROUP_NAMES))
    for b, row in zip(d.blocks, d.extracted_blocks()):
        print(_block_line(b, _LABEL_MARK[row.label] + " ", row.category, row.score, args.width, widest))
    return 0


def _show_html(corpus: Corpus, pages: list[Page], args: argparse.Namespace) -> int:
    """`show PAGE --out FILE.html`: the page's blocks with every system's decisions, one file."""
    from .benchmark.evaluate import RunOptions, collect_scored, collect_structured, resolve
    from .benchmark.groundtruth import load_labeled
    from .benchmark.leaderboard import atomic_write
    from .benchmark.report import render_page

    if len(pages) != 1:
        raise ValueError("--out writes one page: give one page id")
    names = resolve(args.systems)
    labeled = load_labeled(corpus, pages, workers=1, progress=False)
    scored, versions, skipped = collect_scored(corpus, labeled, names, RunOptions(progress=False))
    structured, _ = collect_structured(corpus, labeled, list(scored), RunOptions(progress=False))
    first = {n: v[0] for n, v in structured.items()}
    atomic_write(Path(args.out), render_page(labeled[0], {n: v[0] for n, v in scored.items()}, versions, skipped, first))
    print(f"wrote {args.out} ({len(labeled[0].blocks)} blocks, {len(scored)} systems)")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from .benchmark.report import build_site

    path = build_site(_open_corpus(args.data), _out_folder(args.out), worst=args.worst)
    print(f"wrote {path} (open it in a browser; it fetches and runs nothing)")
    return 0


def _cmd_import(args: argparse.Namespace) -> int:
    from .benchmark.corpora.folder import import_folder, import_warc

    if args.warc:
        if not args.gold_jsonl or args.html_dir or args.gold_dir:
            raise ValueError("with --warc give --gold-jsonl (and no --html-dir / --gold-dir)")
        rep = import_warc(Path(args.warc), Path(args.gold_jsonl), args.name, Path(args.out), license=args.license)
    elif args.html_dir and args.gold_dir:
        rep = import_folder(Path(args.html_dir), Path(args.gold_dir), args.name, Path(args.out), license=args.license)
    else:
        raise ValueError("give --html-dir and --gold-dir, or --warc and --gold-jsonl")
    for problem in rep.problems:
        print(problem, file=sys.stderr)
    if rep.summary:
        print(rep.summary, file=sys.stderr)
    print(f"imported {len(rep.imported)} pages into {args.out} ({len(rep.problems)} problems)")
    return 0 if rep.imported else 1


def _cmd_submit(args: argparse.Namespace) -> int:
    from .benchmark.submit import submit

    path, record = submit(
        Path(args.file),
        args.name,
        url=args.url,
        description=args.description,
        force=args.force,
        corpus=_open_corpus(args.data) if args.data else None,
    )
    m = record["metrics"]
    word = "—" if m["word_f1"] is None else f"{m['word_f1']:.3f}"
    print(f"{args.name}: block F1 {m['block_f1']:.3f}, word F1 {word} on {m['pages']} test pages")
    print(f"wrote {path} and regenerated the leaderboard")
    return 0


def _cmd_build_dataset(args: argparse.Namespace) -> int:
    from .integrations.dataset import build_dataset

    result = build_dataset(_open_corpus(args.data), _out_folder(args.out))
    for config, splits in result["rows"].items():
        print(f"{config:<7} " + "  ".join(f"{s} {n:,}" for s, n in splits.items()))
    print(f"wrote {args.out} (dataset revision {result['dataset_revision']})")
    return 0


def _cmd_publish(args: argparse.Namespace) -> int:
    from .integrations.publish import model_folder, publish

    with tempfile.TemporaryDirectory() as tmp:
        if args.model:
            folder, kind = model_folder(Path(tmp) / "model"), "model"
        elif args.folder:
            folder, kind = Path(args.folder), "dataset"
        else:
            raise ValueError("give --folder DIR (a folder written by build-dataset) or --model")
        listing = publish(folder, args.repo_id, repo_type=kind, dry_run=args.dry_run)
        verb = "would upload" if args.dry_run else "uploaded"
        for name, size in listing:
            print(f"{size:>12,}  {name}")
        print(f"{verb} {len(listing)} files ({sum(s for _, s in listing) / 1e6:.1f} MB) to the {kind} repo {args.repo_id}")
    return 0


def _cmd_import_releases(args: argparse.Namespace) -> int:
    from .benchmark.corpora.build import import_releases, reindex

    if args.reindex:
        reindex(Path(args.out))
        return 0
    import_releases(Path(args.shared), Path(args.out), limit=args.limit)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="boilerbench", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help="check derived labels against the human gold and snippets")
    p.add_argument("--data", help="corpus folder (default: the bundled annotations/)")
    p.add_argument("--split", choices=PAGE_SPLITS, help="only this split")
    p.add_argument("--json", metavar="FILE", help="also write the report as JSON")
    p.add_argument("--workers", type=int, default=None, help="processes (default: 2)")
    p.add_argument(
        "--no-cache", action="store_true", help="recompute labels instead of reading the cache (and cache the fresh ones)"
    )
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("evaluate", help="run systems on the test split and score them per block (the main job)")
    p.add_argument(
        "--systems",
        help="comma-separated names, or 'all' (default: all but the few systems.NOT_BY_DEFAULT names, said on stderr)",
    )
    p.add_argument("--split", default="test", choices=SPLITS)
    p.add_argument("--data", nargs="+", metavar="PATH", help="corpus folder(s) written by `import` instead of the bundled data")
    p.add_argument("--json", metavar="OUT", help="write the full report as JSON")
    p.add_argument("--save", action="store_true", help="write baselines/<system>.json and regenerate leaderboard.md")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds per page before an extractor is stopped")
    p.add_argument("--workers", type=int, default=None, help="processes (default: 2)")
    p.add_argument(
        "--no-cache", action="store_true", help="re-run extractors instead of reading cached outputs (and cache the fresh ones)"
    )
    p.add_argument(
        "--no-structure",
        action="store_true",
        help="skip the systems' structured modes (Markdown/HTML outputs) and their structure scores: text scores only",
    )
    p.set_defaults(func=_cmd_evaluate)

    p = sub.add_parser("train", help="train the block classifiers on train, tune on validation, save them")
    p.add_argument("--data", help="corpus folder (default: the bundled annotations/)")
    p.add_argument(
        "--page-formats",
        default=",".join(PAGE_FORMATS),
        help=f"the models to train, one per page format: {' or '.join(PAGE_FORMATS)}, or both (default)",
    )
    p.add_argument(
        "--only",
        choices=TRAIN_ONLY,
        help="train only the keep/drop classifier or only the category model (read from the classifier saved beside it), "
        "or only choose the saved models' decisions again on validation (their records rewritten, not their fitted files); "
        "default: both models",
    )
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser("clean", help="keep the main text of HTML or text pages with the shipped classifier")
    p.add_argument(
        "inputs",
        nargs="*",
        metavar="FILE|DIR|GLOB|-",
        help="pages to clean, gzipped or not (default: stdin); a folder gives its HTML and .txt files (README)",
    )
    p.add_argument("--page-format", default="auto", choices=PAGE_FORMAT_CHOICES)
    p.add_argument(
        "--format",
        default="text",
        choices=CLEAN_OUTPUTS,
        help="the kept text (default), a JSON object per block, or the kept blocks as Markdown (CommonMark, GFM tables)",
    )
    p.add_argument("--out", metavar="DIR", help="write one output file per input file here instead of stdout")
    p.add_argument(
        "--keep",
        metavar="GROUP[,GROUP]",
        help="keep the blocks of these category groups even where the classifier drops them (e.g. --keep comments): "
        + ", ".join(CATEGORY_GROUP_NAMES),
    )
    p.add_argument(
        "--url",
        help="the page's address (one file or stdin): its relative links become absolute (--format markdown) "
        "and each JSON object names it (--format jsonl)",
    )
    p.set_defaults(func=_cmd_clean)

    p = sub.add_parser("bench", help="speed figures, measured in one run on one core")
    p.add_argument("--data", help="corpus folder (default: the bundled annotations/)")
    p.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    p.add_argument("--core-only", action="store_true", help="only the start-up, segmenter and aligner figures (no systems)")
    p.add_argument("--repeats", type=int, default=3, help="runs per start-up and system figure, each its median (default 3)")
    p.add_argument("--scale", action="store_true", help="also the datatrove pipeline on a WARC of the bundled pages repeated")
    p.add_argument(
        "--scale-records",
        type=int,
        default=20_000,
        help="records in the scale WARC (default 20,000; a quarter for the memory check)",
    )
    p.add_argument(
        "--peak-memory",
        metavar="COMMAND",
        help="instead: run `boilerbench COMMAND` and print the peak memory of its process tree, workers included",
    )
    p.set_defaults(func=_cmd_bench)

    p = sub.add_parser("show", help="print a page's blocks with label, category and gold coverage (a file: the classifier's)")
    p.add_argument(
        "page_ids", nargs="+", metavar="PAGE_ID", help="page ids, or one HTML or text file (the shipped classifier's decisions)"
    )
    p.add_argument("--data", help="corpus folder (default: the bundled annotations/)")
    p.add_argument("--width", type=int, default=160, help="cut block text to this many characters (0: no cut)")
    p.add_argument("--gold", action="store_true", help="also print the gold text")
    p.add_argument("--systems", help="with --out: comma-separated systems, or 'all' (default: all registered)")
    p.add_argument("--out", metavar="FILE.html", help="write one self-contained HTML page: blocks × systems, errors marked")
    p.add_argument("--raw", action="store_true", help="write the page's bytes, as archived, to stdout (one page id)")
    p.set_defaults(func=_cmd_show)

    p = sub.add_parser("pages", help="list the corpus's pages: id, source, split, page type, language, url")
    p.add_argument("--data", help="corpus folder (default: the bundled annotations/)")
    p.add_argument("--split", choices=PAGE_SPLITS, help="only this split")
    p.add_argument("--source", help="only this source, e.g. wcxb (an unknown one is refused, naming the corpus's sources)")
    p.add_argument("--type", choices=PAGE_TYPES, help="only this page type")
    p.set_defaults(func=_cmd_pages)

    p = sub.add_parser("errors", help="list each page a system failed on and its error: system, page id, error")
    p.add_argument(
        "files",
        nargs="*",
        metavar="FILE.json",
        help="result files or `evaluate --json` reports (default: every file in baselines/)",
    )
    p.add_argument("--systems", help="only these systems (comma-separated)")
    p.set_defaults(func=_cmd_errors)

    p = sub.add_parser("import", help="import your own pages (X.html + X.txt gold, or a WARC + JSONL gold) as a corpus")
    p.add_argument("--html-dir")
    p.add_argument("--gold-dir")
    p.add_argument("--warc", help="a .warc/.warc.gz file: its HTML responses are the pages")
    p.add_argument("--gold-jsonl", help='with --warc: one {"url", "text"} per line (optional "with"/"without" snippet lists)')
    p.add_argument("--name", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--license", default="unknown")
    p.set_defaults(func=_cmd_import)

    p = sub.add_parser(
        "report", help="a static site from baselines/: leaderboard, leakage heatmap, quality-speed plot, worst pages"
    )
    p.add_argument("--out", default="report", metavar="DIR")
    p.add_argument("--worst", type=int, default=3, help="worst test pages rendered per system")
    p.add_argument("--data", help="corpus folder (default: the bundled annotations/)")
    p.set_defaults(func=_cmd_report)

    p = sub.add_parser("build-dataset", help="write the Hugging Face dataset folder (parquet + card)")
    p.add_argument("--out", required=True, metavar="DIR")
    p.add_argument("--data", help="corpus folder (default: the bundled annotations/)")
    p.set_defaults(func=_cmd_build_dataset)

    p = sub.add_parser("publish", help="upload the dataset folder or the classifier to the Hugging Face Hub")
    p.add_argument("--repo-id", required=True, metavar="ORG/NAME")
    p.add_argument("--folder", metavar="DIR", help="the dataset folder written by build-dataset")
    p.add_argument("--model", action="store_true", help="publish the shipped classifier as a model repo instead")
    p.add_argument("--dry-run", action="store_true", help="list what would be uploaded; no token, no network")
    p.set_defaults(func=_cmd_publish)

    p = sub.add_parser("submit", help="score your system's outputs on the test split and add it to the leaderboard")
    p.add_argument(
        "file",
        metavar="FILE",
        help='JSONL, one line per test page: {"page_id", "text"} or {"page_id", "labels": [0/1 per block]}',
    )
    p.add_argument("--name", required=True, help="the leaderboard row's name (writes baselines/NAME.json)")
    p.add_argument("--url", help="where to read about the system")
    p.add_argument("--description", help="one line about the system")
    p.add_argument("--force", action="store_true", help="replace an earlier submission of the same name")
    p.add_argument("--data", help="corpus folder (default: the bundled annotations/)")
    p.set_defaults(func=_cmd_submit)

    p = sub.add_parser("import-releases", help="(maintainers) import the public releases into annotations/ once")
    p.add_argument("--shared", default="../shared/corpora")
    p.add_argument("--out", required=True)
    p.add_argument("--limit", type=int, default=None, help="pages per source (to try the format on a slice)")
    p.add_argument("--reindex", action="store_true", help="recompute URLs, domains and splits of the corpus in --out")
    p.set_defaults(func=_cmd_import_releases)
    return parser


def _message(e: Exception) -> str:
    """An error as one line for the user: an OS error's path and reason, without `[Errno N]`."""
    if isinstance(e, OSError) and e.strerror:
        return f"{e.filename}: {e.strerror}" if e.filename else e.strerror
    return str(e)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code = args.func(args)
        sys.stdout.flush()  # a pipe closed by its reader shows here, inside the handler, not at exit
        return code
    except BrokenPipeError:
        # `... | head`: the reader has what it wanted, a normal end. Later writes (Python's own flush
        # at exit) go to devnull; 141 (128 + SIGPIPE) is what a Unix tool stopped by the pipe reports.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except (OSError, ValueError) as e:
        print(f"boilerbench: error: {_message(e)}", file=sys.stderr)
        return 2
