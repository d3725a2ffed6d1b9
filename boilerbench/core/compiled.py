"""The optional compiled twins: one switch over every side's compiled module.

A twin is a compiled loop and the Python code it stands for, which gives the same values (the
Python twin is the specification: `tests/test_compiled.py`, and `tests/fingerprint.py` on every
bundled page). Compiled code walks and counts; every rule, cap and formula over what it counts is
written once, in Python, and both twins go through it (what a compiled module needs of the rules,
it receives from Python when it binds).

Each side of the package declares its own compiled module as an `Extension`, so the core knows
nothing of the extractor: the core's walk here (`WALK`, `_walk.pyx`), the extractor's feature
loops and forest in `boilerbench.extractor.compiled` (`_loops.pyx`). Call sites read
`<extension>.active.<twin>`: None where the module is absent or switched off, and then the Python
twin runs. `switch_off` and `python_only` switch every extension, those declared later included.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from typing import Any, Generic, TypeVar

T = TypeVar("T")

REBUILD = "rebuild it: pip install -e . (or python setup.py build_ext --inplace)"


def twin(python: str) -> Any:
    """A field of a side's twins dataclass: the compiled twin in use, or None; `python` names the
    Python twin it stands for, "module:name"."""
    return field(default=None, metadata={"python": python})


class Extension(Generic[T]):
    """One optional compiled module and its twins (`twins`: a frozen dataclass of `twin` fields),
    loaded once, when the side that declares it is imported. `active` is what call sites read."""

    def __init__(self, module: str, twins: type[T]) -> None:
        self.module = module
        self.names = tuple(f.name for f in fields(twins))  # type: ignore[arg-type]
        self.python_twins = {f.name: f.metadata["python"] for f in fields(twins)}  # type: ignore[arg-type]
        self.off = twins()
        self.built, self.absent_because = self._load(twins)
        self.active = self.off if _switched_off else self.built
        EXTENSIONS.append(self)

    def _load(self, twins: type[T]) -> tuple[T, str | None]:
        """The built module's twins, or none and why."""
        try:
            built = importlib.import_module(self.module)
        except ImportError as e:
            return self.off, f"{type(e).__name__}: {e}"
        missing = [name for name in self.names if not hasattr(built, name)]
        if missing:
            return self.off, f"{self.module} has no {', '.join(missing)}: it was built from an older .pyx; {REBUILD}"
        return twins(**{name: getattr(built, name) for name in self.names}), None


EXTENSIONS: list[Extension[Any]] = []  # in the order the sides declared them
_switched_off = False


def switch_off() -> None:
    """From now on, in this process, every call site runs its Python twin (bench's pure-Python run)."""
    global _switched_off
    _switched_off = True
    for e in EXTENSIONS:
        e.active = e.off


@contextmanager
def python_only() -> Iterator[None]:
    """The Python twins only, inside the block (tests and the fingerprint compare the two)."""
    global _switched_off
    before = _switched_off, [(e, e.active) for e in EXTENSIONS]
    switch_off()
    try:
        yield
    finally:
        _switched_off = before[0]
        for e, active in before[1]:
            e.active = active
        for e in EXTENSIONS[len(before[1]) :]:  # declared inside the block
            e.active = e.off if _switched_off else e.built


def status() -> str:
    """ "in use", "switched off", or "absent" and why, over the extensions declared so far: what
    bench's output says."""
    absent = [f"{e.module}: {e.absent_because}" for e in EXTENSIONS if e.absent_because is not None]
    if absent:
        return f"absent ({'; '.join(absent)})"
    return "switched off" if _switched_off else "in use"


@dataclass(frozen=True)
class WalkTwins:
    """The core's compiled twin (`_walk.pyx`)."""

    segment_tree: Any = twin("boilerbench.core.segment:walk_tree")
    segment_tree_later: Any = twin("boilerbench.core.segment:walk_tree_later")


WALK = Extension("boilerbench.core._walk", WalkTwins)
