"""The boilerbench classifier as a datatrove extractor step.

    WarcReader("s3://…/warc/") → BoilerbenchExtractor() → filters → JsonlWriter("out/")

`BoilerbenchWarcReader` is datatrove's `WarcReader` reading records as `boilerbench.core.warc` does:
the charset from the HTTP header first, and a file whose last gzip member is cut short ends
there (counted as `truncated_file`) instead of failing the task.

The extractor is a `BaseExtractor`, so datatrove's per-document timeout and error accounting apply as for its
own extractors (the page is processed in datatrove's sandbox process; a page that times out, crashes
the process or raises is counted — `timeout`, `broken_process`, `clean_error` — and skipped). The
step holds no model: each task's process loads the shipped ones when it starts (before it forks
its sandbox), so the step pickles small and runs unchanged under the local, Slurm and Ray executors.

`page_format`: "html", "text" (documents that are already text, e.g. WET records), or "auto" (by
whether the document looks like HTML). `keep`: category groups kept even where the classifier drops
a block (`types.CATEGORY_GROUP_NAMES`, e.g. `("comments",)`), as `extract(..., keep=...)`.
`output="markdown"`: each document's text is its kept blocks as Markdown (as `extract(...,
output="markdown")`, links resolved against the document's `url`). `add_metadata=True` adds
`boilerbench` to each document's metadata: the page_format, the predicted
page type, the kept ratio (kept blocks / blocks), the per-block decisions as a "0101…" string and
the category group of each block (`categories`, in block order: as `extract(..., output="blocks")`
gives them).
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Callable, Sequence
from functools import lru_cache
from multiprocessing.process import BaseProcess
from typing import Any, ClassVar

from datatrove.data import DocumentsPipeline
from datatrove.pipeline.extractors.base import BaseExtractor, ExtractorSandbox
from datatrove.pipeline.readers import WarcReader
from datatrove.utils.logging import logger
from datatrove.utils.typeshelper import StatHints

from ..core.text import to_utf8
from ..core.threads import one_core
from ..core.types import (
    CATEGORY_MODEL_FORMATS,
    KEPT_OUTPUTS,
    PAGE_FORMAT_CHOICES,
    PAGE_FORMATS,
    check_choice,
    check_keep,
    encode_bits,
)
from ..core.warc import WarcStats, iter_records
from ..extractor.classifier import shipped, shipped_categories
from ..extractor.extract import classify, structure_for


@lru_cache(maxsize=1)
def _one_core() -> None:
    """Once per process. The sandbox is forked from the task's process and GNU OpenMP's thread pool
    does not survive a fork, so the model predicts on one thread (what one-core tasks want anyway)."""
    one_core()


class _ForkedSandbox(ExtractorSandbox):
    """datatrove's sandbox, its process forked from the task's process (which holds the loaded
    models) whatever the default start method is. Under forkserver or spawn (a task run by
    datatrove's local executor with several workers, or Python ≥ 3.14's default), each sandbox
    would be a fresh interpreter loading the models inside its first document's timeout (1 s by
    default, less than loading takes), so every replacement sandbox timed out again. Only the
    process creation differs from `ExtractorSandbox._ensure_process` (datatrove 0.10)."""

    _context = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else None)
    process: BaseProcess | None  # set by `ExtractorSandbox.__init__`

    def _ensure_process(self, extract_fn: Callable[..., Any]) -> None:
        if self.process is not None and self.process.is_alive():
            return
        if self.process is not None:
            self._cleanup_process()
        self.parent_conn, self.child_conn = self._context.Pipe()
        self.process = self._context.Process(target=self._worker, args=(self.child_conn, extract_fn), daemon=True)
        self.process.start()
        self.all_processes.append(self.process)
        if self.parent_conn.poll(self.timeout):
            self.parent_conn.recv()  # the worker's "ready"
        else:
            self._cleanup_process()
            raise TimeoutError(f"Worker process failed to initialize within {self.timeout} seconds (warmup timeout).")


Decided = tuple[str, str, str, str | None, list[str] | None]


def _decide(
    text: str | bytes,
    page_format: str,
    keep: tuple[str, ...] = (),
    groups: bool = False,
    output: str = "text",
    url: str | None = None,
) -> Decided:
    """(kept text, or Markdown for `output="markdown"`, its links resolved against `url`; decisions
    as bits, page format, predicted page type, the blocks' category groups when `groups`) of one
    document; runs in the sandbox process, which is sent the document's text as UTF-8 bytes
    (`to_utf8`): a str would be encoded to cross the pipe, decoded on the other side, and encoded
    again for libxml2."""
    _one_core()
    markdown = output == "markdown"
    d = classify(text, page_format, utf8=True, keep=keep, url=url if markdown else None, structure=structure_for(output))
    kept = d.markdown if markdown else d.text
    return kept, encode_bits(d.kept), d.page_format, d.page_type, d.block_groups() if groups else None


class BoilerbenchExtractor(BaseExtractor):
    """boilerbench's block classifier: keeps the content blocks of each document's HTML (or text)."""

    name = "🧹 boilerbench"
    _requires_dependencies: ClassVar[list[str]] = ["skops"]
    _warned_error: bool  # set by `BaseExtractor.__init__`

    def __init__(
        self,
        page_format: str = "auto",
        timeout: float = 1.0,
        add_metadata: bool = False,
        keep: Sequence[str] = (),
        output: str = "text",
    ):
        super().__init__(timeout)
        self.page_format = check_choice("page_format", page_format, PAGE_FORMAT_CHOICES)
        self.add_metadata = add_metadata
        self.keep = check_keep(keep)
        self.output = check_choice("output", output, KEPT_OUTPUTS)

    def extract(self, text: str) -> str:
        return _decide(text, self.page_format, self.keep, output=self.output)[0]

    def _extract(self, data: bytes | str, url: str | None = None) -> Decided:
        """A document: its UTF-8 text and url, as `run` sends them (the sandbox unpacks the pair)."""
        return _decide(data, self.page_format, self.keep, self.add_metadata, self.output, url)

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        """`BaseExtractor.run`, with the decisions kept for the metadata: the same sandbox, the
        same timeout and the same stats. The models are loaded here, in the task's process, before
        the sandbox process is forked from it: a sandbox (and each one that replaces a killed one)
        starts with them, and loading them never counts against a document's timeout."""
        for page_format in PAGE_FORMATS if self.page_format == "auto" else (self.page_format,):
            shipped(page_format)
            if page_format in CATEGORY_MODEL_FORMATS:  # every decision reads it (the comment overrule)
                shipped_categories(page_format)
        with _ForkedSandbox(timeout=self.timeout, warmup_text="") as extractor:
            for doc in data:
                self.stat_update(StatHints.total)
                with self.track_time():
                    try:
                        item = (to_utf8(doc.text), doc.metadata.get("url"))
                        text, bits, page_format, page_type, groups = extractor.process_document(item, self._extract)
                        self.stat_update("extracted")
                    except TimeoutError:
                        self.stat_update("timeout")
                        logger.warning("⏰ Timeout while cleaning record text. Skipping record.")
                        continue
                    except EOFError:
                        self.stat_update("broken_process")
                        logger.warning("Process died unexpectedly, will create new process for next document")
                        continue
                    except Exception as e:  # datatrove's accounting: count, warn once, go on
                        self.stat_update("clean_error")
                        if not self._warned_error:
                            logger.warning(
                                f'❌ Error "{e}" while cleaning record text. Skipping record. This message will only appear once.'
                            )
                            self._warned_error = True
                        continue
                doc.text = text
                if self.add_metadata:
                    doc.metadata["boilerbench"] = _metadata(bits, page_format, page_type, groups or [])
                if doc.text:
                    self.stat_update(StatHints.forwarded)
                    self.update_doc_stats(doc)
                    yield doc
                else:
                    self.stat_update(StatHints.dropped)


def _metadata(bits: str, page_format: str, page_type: str | None, groups: list[str]) -> dict[str, Any]:
    return {
        "page_format": page_format,
        "page_type": page_type,
        "kept_ratio": round(bits.count("1") / len(bits), 4) if bits else 0.0,
        "labels": bits,
        "categories": groups,
    }


class BoilerbenchWarcReader(WarcReader):
    """datatrove's `WarcReader`, reading records with `boilerbench.core.warc.iter_records`: HTTP-header
    charsets, WET conversion records as text, non-HTML and cut-short records skipped and counted."""

    name = "🕷 boilerbench WARC"

    def read_file(self, filepath: str) -> DocumentsPipeline:
        stats = WarcStats()
        with self.data_folder.open(filepath, "rb", compression=None) as f:
            for ri, rec in enumerate(iter_records(f, stats)):
                with self.track_time():
                    doc = self.get_document_from_dict(
                        {"text": rec.text, "id": rec.record_id, "url": rec.url, "warc_kind": rec.kind}, filepath, ri
                    )
                if doc:
                    yield doc
        for why, n in stats.skipped.items():
            self.stat_update(f"skipped_{why.replace(' ', '_')}", value=n)
        if stats.truncated:
            self.stat_update("truncated_file", value=stats.truncated)
