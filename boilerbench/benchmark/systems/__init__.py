"""The systems registry: name → "module:function", imported only when a system is used.

Adding a baseline is one module in this package, one line here and one extra in pyproject.toml.
The module satisfies `SystemModule`: it declares its `KIND` and the packages it `REQUIRES`, and
defines the function its registry line names:

* KIND "text": `extract(html, url, language) -> str`, a text extractor; its output is projected
  onto blocks by the same aligner that labels the gold;
* KIND "blocks": `predict(html) -> list[bool]`, a block classifier deciding directly for each block
  of `segment.segment_html(html)`.

A system that can also emit structure (issue 27) has a line in `STRUCTURED` naming a second function
of its module, `extract_markdown` or `extract_html(html, url, language) -> str`.

A module imports its packages inside the functions that use them (as datatrove's extractors do):
the module itself always imports, so `load_system` can check what it declares first and name the
pip package and the extra that installs what is missing. A system that also runs on files of its
own (the classifier's trained model) satisfies `ModelSystemModule` as well. Reference rows
(`all-text`, `nothing`, `oracle`) are computed from the labels by the evaluator.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from typing import Any, Protocol, runtime_checkable

from ... import __version__
from ...core.types import STRUCTURED_FORMATS, check_choice

REGISTRY: dict[str, str] = {
    "trafilatura": "trafilatura:extract",
    "trafilatura-precision": "trafilatura:extract_precision",
    "trafilatura-recall": "trafilatura:extract_recall",
    "readability-lxml": "readability:extract",
    "justext": "justext:extract",
    "boilerpy3": "boilerpy3:extract",
    "resiliparse": "resiliparse:extract",
    "goose3": "goose3:extract",
    "newspaper4k": "newspaper4k:extract",
    "inscriptis": "inscriptis:extract",
    "html-text": "html_text:extract",
    "news-please": "news_please:extract",
    "c4-lines": "c4_lines:extract",
    "rs-trafilatura": "rs_trafilatura:extract",
    "rs-trafilatura-precision": "rs_trafilatura:extract_precision",
    "magic-html": "magic_html:extract",
    "gne": "gne:extract",
    "readability-js": "readability_js:extract",
    "boilerbench": "shipped_classifier:predict_html",
    "boilerbench-text": "shipped_classifier:predict_text",
}
# The systems that also emit structure (issue 27): name → (format, "module:function"), the function
# taking what the text one takes and returning Markdown or HTML (one of types.STRUCTURED_FORMATS). It
# is a second call beside the text one, run in a pass of its own (`runner.run_systems(mode=
# "structured")`): the text outputs, their cache and their timing stay what the board has, and the
# structured outputs are cached apart. The others (text only) keep no structure and are not scored on it.
STRUCTURED: dict[str, tuple[str, str]] = {
    "trafilatura": ("markdown", "trafilatura:extract_markdown"),
    "rs-trafilatura": ("markdown", "rs_trafilatura:extract_markdown"),
    "readability-lxml": ("html", "readability:extract_html"),
    "readability-js": ("html", "readability_js:extract_html"),
    "resiliparse": ("html", "resiliparse:extract_html"),
    "newspaper4k": ("html", "newspaper4k:extract_html"),
    "magic-html": ("html", "magic_html:extract_html"),
    "boilerbench": ("markdown", "shipped_classifier:extract_markdown"),
}
REFERENCE = ("all-text", "nothing", "oracle")
# Registered systems the default run leaves out, and why; `--systems all` (or the name) runs them.
NOT_BY_DEFAULT: dict[str, str] = {
    "news-please": "it wraps newspaper4k's extraction and scores as newspaper4k does (the board has both rows)",
}
KINDS = ("text", "blocks")


class MissingSystem(RuntimeError):
    """The system cannot run here: a package it requires is absent, or its model (a one-line skip,
    not a crash)."""


@dataclass(frozen=True)
class Requirement:
    """A package a system imports: the name it imports, the distribution pip installs (default: the
    import name), the extra of this project that installs it (default: the pip name) and the oldest
    Python it installs on, where that is newer than the project's (its extra carries the same
    `python_version` marker, so `.[all]` still installs on older Pythons)."""

    module: str
    pip: str = ""
    extra: str = ""
    python: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "pip", self.pip or self.module)
        object.__setattr__(self, "extra", self.extra or self.pip)

    @property
    def hint(self) -> str:
        return f'pip install -e ".[{self.extra}]"'


@runtime_checkable
class SystemModule(Protocol):
    """What every module of this package declares, besides the function its registry line names
    (read-only members, so that a module's `REQUIRES = (Requirement(...),)` type-checks)."""

    @property
    def KIND(self) -> str:
        """One of KINDS."""

    @property
    def REQUIRES(self) -> tuple[Requirement, ...]:
        """What `load_system` imports first; the first one's installed version is the system's."""


@runtime_checkable
class ModelSystemModule(SystemModule, Protocol):
    """A system that also runs on files of its own (a trained model), which may be absent, which its
    version must name, and whose loading is not part of the time per page."""

    def missing(self) -> str | None:
        """Why the system cannot run though its packages are installed, or None."""

    def version(self) -> str:
        """What its outputs depend on (cached outputs are keyed by it)."""

    def warm_up(self) -> None:
        """Load the files, before the clock starts."""


_MODEL_HOOKS = tuple(n for n in vars(ModelSystemModule) if not n.startswith("_"))  # missing, version, warm_up


def _nothing() -> None:
    """The warm-up of a system that is only its packages: `load_system` has imported them."""


@dataclass(frozen=True)
class System:
    """A loaded system: what the runner calls, and the version its results record."""

    name: str
    kind: str  # one of KINDS, or "reference"
    requires: tuple[Requirement, ...]
    version: str
    fn: Callable[..., Any]
    warm_up: Callable[[], None] = _nothing
    structured_format: str | None = None  # one of STRUCTURED_FORMATS, for a system of `STRUCTURED`
    structured_fn: Callable[..., str] | None = None

    @property
    def package(self) -> str | None:
        """The distribution whose version is the system's (None: this project's own code)."""
        return versioned_package(self.requires)


def available() -> list[str]:
    return [*REGISTRY, *REFERENCE]


def default_systems() -> list[str]:
    """What a run that names no system runs: every registered system but `NOT_BY_DEFAULT`."""
    return [n for n in available() if n not in NOT_BY_DEFAULT]


def entry(name: str) -> tuple[str, str]:
    """A registry line, read: (module, function)."""
    module, function = REGISTRY[name].split(":")
    return module, function


def structured_entry(name: str) -> tuple[str, str] | None:
    """A system's structured mode, read: (format, function of its module); None for a text-only one.
    The function lives in the module of the registry line (one module per system)."""
    if name not in STRUCTURED:
        return None
    fmt, line = STRUCTURED[name]
    module, function = line.split(":")
    if module != entry(name)[0]:
        raise TypeError(f"{name}: its structured mode {line!r} is not in its module {entry(name)[0]!r}")
    return check_choice("structured format", fmt, STRUCTURED_FORMATS), function


def versioned_package(requires: Sequence[Requirement]) -> str | None:
    """The distribution whose version is a system's: its first requirement, the extractor itself
    (None for this project's own code)."""
    return requires[0].pip if requires else None


def module_of(name: str) -> SystemModule:
    """The module of a registered system, checked against `SystemModule` (and, if it defines any
    of its hooks, `ModelSystemModule`); MissingSystem if the module itself cannot be imported."""
    module_name = entry(name)[0]
    qualified = module_name if "." in module_name else f"{__name__}.{module_name}"
    try:
        module = importlib.import_module(qualified)
    except ImportError as e:
        raise MissingSystem(f"{name}: not installed (no module {e.name or e!s})") from e
    if not (
        isinstance(module, SystemModule)
        and module.KIND in KINDS
        and isinstance(module.REQUIRES, tuple)
        and all(isinstance(r, Requirement) for r in module.REQUIRES)
    ):
        raise TypeError(f"{name}: {qualified} must declare KIND (one of {KINDS}) and REQUIRES (a tuple of Requirement)")
    hooks = [h for h in _MODEL_HOOKS if hasattr(module, h)]
    if hooks and not isinstance(module, ModelSystemModule):
        raise TypeError(f"{name}: {qualified} defines {', '.join(hooks)} but not all of {', '.join(_MODEL_HOOKS)}")
    return module


def require(name: str, requires: Sequence[Requirement]) -> None:
    """Import each declared package: MissingSystem naming the pip package and the extra that
    installs it (the one place that says what to install)."""
    for r in requires:
        if r.python and sys.version_info < r.python:
            wanted, here = ".".join(map(str, r.python)), ".".join(map(str, sys.version_info[:2]))
            raise MissingSystem(f"{name}: {r.pip} needs Python >= {wanted} (this is {here}); {r.hint} under Python {wanted}")
        try:
            importlib.import_module(r.module)
        except ImportError as e:
            raise MissingSystem(f"{name}: {r.pip} not installed (no module {e.name or r.module}); {r.hint}") from e


def installed_version(requires: Sequence[Requirement]) -> str:
    """The installed version of `versioned_package`; this project's version for a system that
    requires nothing."""
    package = versioned_package(requires)
    if package is None:
        return __version__
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "unknown"


def load_system(name: str) -> System:
    """Import a registered system and what it requires; MissingSystem if anything is absent."""
    if name in REFERENCE:
        return System(name, "reference", (), __version__, lambda *a: None)
    if name not in REGISTRY:
        raise KeyError(f"unknown system {name!r}; registered: {', '.join(available())}")
    module = module_of(name)
    require(name, module.REQUIRES)
    fn = getattr(module, entry(name)[1])  # the function the registry line names
    structured = structured_entry(name)
    fmt, structured_fn = (structured[0], getattr(module, structured[1])) if structured else (None, None)
    if isinstance(module, ModelSystemModule):
        why = module.missing()
        if why:
            raise MissingSystem(f"{name}: {why}")
        return System(name, module.KIND, module.REQUIRES, module.version(), fn, module.warm_up, fmt, structured_fn)
    return System(name, module.KIND, module.REQUIRES, installed_version(module.REQUIRES), fn, _nothing, fmt, structured_fn)
