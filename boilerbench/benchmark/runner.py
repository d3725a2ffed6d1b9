"""Running systems on pages, isolated: a crash or a hang costs one page, never the run.

Each system runs in worker processes of its own, one per chunk of pages (forked, so they share the
parent's decoded pages without copying). The parent sends page indices and waits at most `timeout`
seconds per page; a worker that overruns is killed and replaced, one that dies is replaced, and the
page is recorded with empty output and an error. Two workers run at once (both cores). Only the
extractor call itself is timed.

Outputs are cached by (system, version, page sha256, url, language): they do not depend on how the benchmark cuts
or labels pages, so a change of segmenter or labels re-scores without re-running extractors.

A run is in one of `MODES`: "text" calls each system's extractor (or block classifier), "structured"
its structured mode (`systems.STRUCTURED`: Markdown or HTML), whose outputs are cached apart.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import zip_longest
from multiprocessing.connection import Connection, wait
from typing import Any

from tqdm import tqdm

from ..core.segment import SegmentError
from ..core.text import decode_bytes
from ..core.threads import one_core
from ..core.types import LabeledPage, check_choice, decode_bits, encode_bits
from .cache import Cache, key
from .systems import System, load_system

DEFAULT_TIMEOUT = 30.0
CHUNKS = 4  # chunks per system
CHUNK_MIN = 100  # pages; fewer would spend more time starting workers than extracting
MODES = ("text", "structured")


@dataclass(frozen=True)
class Output:
    """One system's answer on one page: its text (block systems: also their decisions; a structured
    run: its Markdown or HTML), the time the call took, and any error."""

    text: str
    seconds: float
    error: str | None = None
    kept: tuple[bool, ...] | None = None
    structured_format: str | None = None  # a structured run's answer: the format of `text`

    def to_json(self) -> dict[str, Any]:
        kept = None if self.kept is None else encode_bits(self.kept)
        d = {"text": self.text, "seconds": self.seconds, "error": self.error, "kept": kept}
        return d | ({"format": self.structured_format} if self.structured_format else {})

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Output:
        kept = d.get("kept")
        return cls(d["text"], d["seconds"], d.get("error"), None if kept is None else decode_bits(kept), d.get("format"))


# Set in the parent before forking; workers read them from their copy of memory.
_PAGES: Sequence[LabeledPage] = ()
_HTML: Callable[[int], str] | None = None
_POST: Callable[[int, Output], Any] | None = None
_MODE = "text"


def output_key(system: System, labeled_page: LabeledPage, mode: str = "text") -> str:
    """Everything an extractor's output depends on: the system, its version, what it is given, and
    (a structured run) the format it writes."""
    page = labeled_page.page
    if check_choice("mode", mode, MODES) == "structured":
        return key(
            "structured-output", str(system.structured_format), system.name, system.version, page.sha256, page.url, page.language
        )
    return key("output", system.name, system.version, page.sha256, page.url, page.language)


def _apply(system: System, i: int) -> Output:
    labeled_page = _PAGES[i]
    assert _HTML is not None
    html = _HTML(i)
    t0 = time.perf_counter()
    if _MODE == "structured":
        if system.structured_fn is None:
            raise TypeError(f"{system.name} has no structured mode")
        markup = system.structured_fn(html, labeled_page.page.url or None, labeled_page.page.language)
        dt = time.perf_counter() - t0
        if not isinstance(markup, str):
            raise TypeError(f"{system.name} returned {type(markup).__name__}, not str, in its structured mode")
        return Output(markup, dt, structured_format=system.structured_format)
    if system.kind == "blocks":
        kept = tuple(bool(k) for k in system.fn(html))
        dt = time.perf_counter() - t0
        if len(kept) != len(labeled_page.blocks):
            raise ValueError(f"{system.name} returned {len(kept)} decisions for {len(labeled_page.blocks)} blocks")
        return Output("\n".join(b.block.text for b, k in zip(labeled_page.blocks, kept) if k), dt, None, kept)
    text = system.fn(html, labeled_page.page.url or None, labeled_page.page.language)
    dt = time.perf_counter() - t0
    if text is not None and not isinstance(text, str):
        raise TypeError(f"{system.name} returned {type(text).__name__}, not str")
    return Output(text or "", dt)


def _error_text(e: BaseException) -> str:
    """A page's failure as its output records it: the exception's type and the start of its message."""
    return f"{type(e).__name__}: {str(e)[:200]}"


def quiet_libraries() -> None:
    """In this process, drop what extractor libraries log up to ERROR (goose3: a date it cannot
    parse, and "Parser lxml failed to parse the content" at ERROR before it tries another parser;
    boilerpy3: nested links) and the Python warnings they raise (dateutil: a time zone it does not
    know, under news-please). Nothing configures logging, so Python would print each on stderr,
    between the progress bars, naming no page: hundreds in an uncached run. A page's failure is
    the exception its extractor raises, recorded in its Output; a line logged on the way to a text
    (goose3's next parser worked) is no failure of the page."""
    logging.disable(logging.ERROR)
    warnings.simplefilter("ignore")


def _worker(conn: Connection, name: str) -> None:
    one_core()
    quiet_libraries()
    system = load_system(name)
    system.warm_up()  # load models before the clock starts: pages/s is about pages, not start-up
    while True:
        try:
            i = conn.recv()
        except EOFError:
            return
        if i is None:
            return
        try:
            out = _apply(system, i)
        except Exception as e:  # the page's failure, reported; the worker lives on
            out = Output("", 0.0, _error_text(e))
        extra = post_error = None
        if _POST is not None:  # the caller's per-output work (projection), untimed, on this core
            try:
                extra = _POST(i, out)
            except Exception as e:  # said by the parent; the caller redoes the work for the page
                post_error = _error_text(e)
        conn.send((out, extra, post_error))


class _Slot:
    """One worker process running one system over its list of pages."""

    def __init__(self, ctx: Any, name: str, todo: list[int]):
        self.ctx, self.name, self.todo = ctx, name, todo
        self.pos = 0
        self.sent_at = 0.0
        self.proc: Any = None
        self.conn: Connection | None = None
        self._start()

    def _start(self) -> None:
        parent, child = self.ctx.Pipe()
        self.proc = self.ctx.Process(target=_worker, args=(child, self.name), daemon=True)
        self.proc.start()
        child.close()
        self.conn = parent

    def current(self) -> int:
        return self.todo[self.pos]

    def send_next(self) -> bool:
        if self.pos >= len(self.todo):
            self.stop()
            return False
        assert self.conn is not None
        self.conn.send(self.todo[self.pos])
        self.sent_at = time.monotonic()
        return True

    def restart(self) -> None:
        self.kill()
        self._start()

    def kill(self) -> None:
        if self.proc is not None and self.proc.is_alive():
            self.proc.kill()
        if self.proc is not None:
            self.proc.join(5)
        if self.conn is not None:
            self.conn.close()
        self.proc = self.conn = None

    def stop(self) -> None:
        if self.conn is not None:
            try:
                self.conn.send(None)
            except (BrokenPipeError, OSError):  # the worker is gone already: kill() below reaps it
                pass
        if self.proc is not None:
            self.proc.join(5)
        self.kill()


def run_systems(
    systems: Sequence[System],
    pages: Sequence[LabeledPage],
    load_html: Callable[[], Sequence[str]],
    timeout: float = DEFAULT_TIMEOUT,
    workers: int | None = None,
    cache: bool = True,
    progress: bool = True,
    post: Callable[[int, Output], Any] | None = None,
    post_results: dict[str, dict[int, Any]] | None = None,
    mode: str = "text",
) -> dict[str, list[Output]]:
    """Outputs of every system on every page (cached ones read back, the rest computed; with
    `cache=False` all are computed, and cached for later runs).

    `load_html` gives the decoded pages, in the order of `pages`; it is called only when some
    output is not cached. `post(i, output)`, if given, runs in the worker right after each fresh
    extraction (so it shares both cores with extraction); its results land in `post_results`. A
    page whose `post` raised is said on stderr and left out of them (the caller redoes it, as for
    a cached output). `mode` (one of `MODES`): what of each system is run.
    """
    global _PAGES, _HTML, _POST, _MODE
    store = Cache("outputs")  # written either way: a run with cache=False refreshes the outputs (and timings) it re-ran
    keys = {s.name: [output_key(s, labeled_page, mode) for labeled_page in pages] for s in systems}
    results, todo = store.lookup(keys, Output.from_json, read=cache)
    if todo:
        _PAGES, _HTML, _POST, _MODE = pages, load_html().__getitem__, post, mode
        try:
            _extract(todo, results, keys, store, timeout, workers or min(2, os.cpu_count() or 1), progress, post_results)
        finally:
            _PAGES, _HTML, _POST, _MODE = (), None, None, "text"
    store.close()
    final: dict[str, list[Output]] = {}
    for name, outs in results.items():
        done = [o for o in outs if o is not None]
        if len(done) != len(outs):
            raise RuntimeError(f"{name}: some pages were never run")
        final[name] = done
    return final


def _chunks(todo: dict[str, list[int]]) -> list[tuple[str, list[int]]]:
    """Each system's pages in a few chunks, one worker process per chunk, dealt in turns (every
    system's first chunk, then every second one…): the pages done so far always mix fast and slow
    extractors as the whole run does, so the progress bar's estimate of the time left holds from
    the first turn on; and the cores stay busy to the end, the last turn being every system's last
    quarter rather than one slow extractor alone."""
    per_system = []
    for name in sorted(todo, key=lambda n: -len(todo[n])):
        idx = todo[name]
        size = max(CHUNK_MIN, -(-len(idx) // CHUNKS))
        per_system.append([(name, idx[k : k + size]) for k in range(0, len(idx), size)])
    return [chunk for turn in zip_longest(*per_system) for chunk in turn if chunk is not None]


def _extract(
    todo: dict[str, list[int]],
    results: dict[str, list[Output | None]],
    keys: dict[str, list[str]],
    store: Cache,
    timeout: float,
    workers: int,
    progress: bool,
    post_results: dict[str, dict[int, Any]] | None,
) -> None:
    """Run each system on its `todo` pages in worker processes, `workers` at a time, filling in
    `results` and caching each output under its key as it comes."""
    ctx = mp.get_context("fork")
    queue = _chunks(todo)
    bar = tqdm(
        total=sum(len(v) for v in todo.values()),
        desc="extract" if _MODE == "text" else f"extract ({_MODE})",
        unit="page",
        disable=not progress,
    )
    slots: list[_Slot] = []
    pending: list[tuple[str, Any]] = []
    try:
        while queue or slots:
            while queue and len(slots) < workers:
                slot = _Slot(ctx, *queue.pop(0))
                if slot.send_next():
                    slots.append(slot)
            ready = _wait(slots, timeout)
            for slot in list(slots):
                i = slot.current()
                answer = _answer(slot, ready, timeout)
                if answer is None:  # still working on page i
                    continue
                out, extra, post_error = answer
                if post_results is not None and extra is not None:
                    post_results.setdefault(slot.name, {})[i] = extra
                if post_error is not None:
                    tqdm.write(
                        f"{slot.name}: `post` failed on {_PAGES[i].page.page_id} in the worker ({post_error});"
                        " left out of post_results, for the caller to redo",
                        file=sys.stderr,
                    )
                results[slot.name][i] = out
                pending.append((keys[slot.name][i], out.to_json()))
                bar.update()
                slot.pos += 1
                if not slot.send_next():
                    slots.remove(slot)
            if len(pending) >= 200:
                store.put_many(pending)
                pending = []
    finally:
        for slot in slots:
            slot.kill()
        store.put_many(pending)
        bar.close()


def _wait(slots: list[_Slot], timeout: float) -> list[Any]:
    """The connections of the slots that have answered, once one has or the first page's time is up."""
    now = time.monotonic()
    deadline = min(s.sent_at + timeout for s in slots) if slots else now
    return wait([s.conn for s in slots if s.conn is not None], timeout=max(0.0, deadline - now))


def _answer(slot: _Slot, ready: list[Any], timeout: float) -> tuple[Output, Any, str | None] | None:
    """What the slot's worker answered on its current page (the output, what `post` made of it,
    `post`'s error), or an error output when the worker died or overran `timeout` (then it is
    replaced); None while the worker is still at it."""
    if slot.conn in ready:
        try:
            return slot.conn.recv()  # type: ignore[union-attr]
        except (EOFError, OSError):
            slot.proc.join(1)
            code = slot.proc.exitcode
            slot.restart()
            return Output("", 0.0, f"worker died (exit code {code})"), None, None
    if time.monotonic() - slot.sent_at >= timeout:
        slot.restart()
        return Output("", timeout, f"timeout after {timeout:g}s"), None, None
    return None


def decode_page(data: bytes) -> str:
    """Decoded page for extractors; undecodable input becomes an empty page (scored, not fatal)."""
    try:
        return decode_bytes(data)
    except (ValueError, SegmentError):
        return ""
