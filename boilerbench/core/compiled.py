"""The optional compiled twins (`_speedups.pyx`): one registry of its entry points, one switch.

Each entry point stands for Python code that stays the specification (`Twins` names it, field by
field); both give the same values (`tests/test_speedups.py`, and `tests/fingerprint.py` on every
bundled page). Call sites choose one way: `compiled.active.<entry point>`, None where the
extension is absent or switched off, and then the Python twin runs. What the compiled side reads
of the Python modules is their documented `segment.WALK_RULES` and `features.FEATURE_RULES`,
checked against its own constants and column names when it binds them (`_speedups.bind`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from typing import Any


def _twin(python: str) -> Any:
    return field(default=None, metadata={"python": python})


@dataclass(frozen=True)
class Twins:
    """The compiled entry points in use, by name; None each where the Python twin (the field's
    `python` metadata, "module:name") runs instead."""

    segment_tree: Any = _twin("boilerbench.core.segment:walk_tree")
    block_columns: Any = _twin("boilerbench.extractor.features:_columns")
    context_cues: Any = _twin("boilerbench.extractor.features:_context_cues")
    dense_rows: Any = _twin("boilerbench.extractor.features:_dense")
    densest_container: Any = _twin("boilerbench.extractor.features:densest_container")
    inside: Any = _twin("boilerbench.extractor.features:_inside")
    Forest: Any = _twin("sklearn.ensemble:HistGradientBoostingClassifier")


NAMES = tuple(f.name for f in fields(Twins))
PYTHON_TWINS = {f.name: f.metadata["python"] for f in fields(Twins)}
REBUILD = "rebuild it: pip install -e . (or python setup.py build_ext --inplace)"


def _load() -> tuple[Twins, str | None]:
    """The built extension's entry points, or none and why."""
    try:
        from . import _speedups
    except ImportError as e:
        return Twins(), f"{type(e).__name__}: {e}"
    missing = [name for name in NAMES if not hasattr(_speedups, name)]
    if missing:
        return (
            Twins(),
            f"boilerbench.core._speedups has no {', '.join(missing)}: it was built from an older _speedups.pyx; {REBUILD}",
        )
    return Twins(**{name: getattr(_speedups, name) for name in NAMES}), None


BUILT, ABSENT_BECAUSE = _load()
active = BUILT  # what call sites read; `switch_off` and `python_only` replace it


def switch_off() -> None:
    """From now on, in this process, every call site runs its Python twin (bench's pure-Python run)."""
    global active
    active = Twins()


@contextmanager
def python_only() -> Iterator[None]:
    """The Python twins only, inside the block (tests and the fingerprint compare the two)."""
    global active
    before = active
    active = Twins()
    try:
        yield
    finally:
        active = before


def status() -> str:
    """ "in use", "switched off", or "absent" and why: what bench's output says."""
    if ABSENT_BECAUSE is not None:
        return f"absent ({ABSENT_BECAUSE})"
    return "in use" if active == BUILT else "switched off"


# The scikit-learn releases `_speedups.Forest` is tested with (the lowest in, the first out): it
# reads private attributes of fitted models (`_predictors` and their node arrays,
# `_baseline_prediction`), which a release may change. pyproject.toml states the same range
# (`tests/test_speedups.py` checks that it does).
SKLEARN_TESTED = ((1, 9), (1, 10))
SKLEARN_REQUIREMENT = "scikit-learn>={}.{},<{}.{}".format(*SKLEARN_TESTED[0], *SKLEARN_TESTED[1])


def check_sklearn(version: str | None = None) -> None:
    """Raise a RuntimeError naming the tested range when scikit-learn (`version`, else the
    installed one) is outside it, before anything reads its private attributes."""
    if version is None:
        import sklearn

        version = sklearn.__version__
    m = re.match(r"(\d+)\.(\d+)", version)
    if m is None or not SKLEARN_TESTED[0] <= (int(m[1]), int(m[2])) < SKLEARN_TESTED[1]:
        raise RuntimeError(
            f"scikit-learn {version} is outside the range the compiled forest is tested with ({SKLEARN_REQUIREMENT}): "
            f"it reads private attributes of fitted models; pip install '{SKLEARN_REQUIREMENT}'"
        )
