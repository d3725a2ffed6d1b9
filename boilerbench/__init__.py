"""boilerbench: a benchmark and training set for web boilerplate removal, scored per block, and the
block classifier trained on it: `boilerbench.extract(page)` keeps a page's main text.

`extract` is loaded when first asked for (`__getattr__`), so `import boilerbench` (which every
submodule and `python -m boilerbench` import first) loads nothing else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["ExtractedBlock", "__version__", "extract"]

if TYPE_CHECKING:  # what mypy and IDEs see; at run time `__getattr__` imports them on first use
    from .extractor.extract import ExtractedBlock, extract


def __getattr__(name: str) -> Any:
    if name in ("extract", "ExtractedBlock"):
        from .extractor import extract as module

        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
