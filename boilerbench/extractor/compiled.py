"""The extractor's compiled twins (`_loops.pyx`): the feature counting loops and the forest.

Declared here, on the extractor's side, so that the core knows nothing of them; switched with the
core's by `boilerbench.core.compiled` (`switch_off`, `python_only`, `status`). The loops count
(`features.columns`, the context cues, the densest container's sums, runs of equal values): every
formula over their counts is `features`' own, read by both twins. `Forest` sums a fitted model's
trees.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..core.compiled import Extension, twin


@dataclass(frozen=True)
class LoopTwins:
    """The extractor's compiled twins in use, by name; None each where its Python twin runs."""

    block_columns: Any = twin("boilerbench.extractor.features:_columns")
    context_cues: Any = twin("boilerbench.extractor.features:_context_cues")
    prefix_sums: Any = twin("boilerbench.extractor.features:_prefix_sums")
    inside: Any = twin("boilerbench.extractor.features:_inside")
    value_runs: Any = twin("boilerbench.extractor.features:_value_runs")
    Forest: Any = twin("sklearn.ensemble:HistGradientBoostingClassifier")


LOOPS = Extension("boilerbench.extractor._loops", LoopTwins)

# The scikit-learn releases `_loops.Forest` is tested with (the lowest in, the first out): it reads
# private attributes of fitted models (`_predictors` and their node arrays, `_baseline_prediction`),
# which a release may change. pyproject.toml states the same range (`tests/test_compiled.py` checks
# that it does).
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
