"""Native thread pools (OpenMP, BLAS) held to one thread: what the benchmark's workers and the
datatrove step's sandbox both need, so it lives where the extractor can import it."""

from __future__ import annotations

from threadpoolctl import threadpool_limits


def one_core() -> None:
    """Keep this process on one core: native thread pools (OpenMP, BLAS) in two workers would only
    fight each other, and a timing would measure the fight."""
    threadpool_limits(1)
