"""The benchmark: corpora, labels, systems, scoring, the board, submissions and training.

Everything here may import the core and the extractor; the extractor never imports this package.
"""

from __future__ import annotations

from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]
"""The checkout the package runs from: its `annotations/`, `baselines/` and `.cache/`."""
