# The compiled twins' signatures (`_speedups.pyx`), for type checkers, which cannot read the
# built extension; each stands for the Python twin that `compiled.Twins` names.
from typing import Any

import numpy as np
from lxml import etree

from ..extractor.features import Columns
from .types import Block

def bind() -> None: ...
def segment_tree(root: etree._Element) -> list[Block] | None: ...
def block_columns(blocks: list[Block]) -> Columns: ...
def context_cues(contexts: list[str]) -> np.ndarray: ...
def dense_rows(
    texts: list[str],
    lengths: np.ndarray,
    words: np.ndarray,
    links: np.ndarray,
    log_words: np.ndarray,
    log_lengths: np.ndarray,
    log_same: np.ndarray,
    ends: np.ndarray,
    heading: np.ndarray,
    para: np.ndarray,
    listy: np.ndarray,
    depth: np.ndarray,
    hidden: np.ndarray,
    parent: np.ndarray,
    grand: np.ndarray,
    context: np.ndarray,
    table: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]: ...
def inside(xpaths: list[str], container: str) -> np.ndarray: ...
def densest_container(xpaths: list[str], plain: list[float], half: float) -> str: ...

class Forest:
    n_features: int
    def __init__(self, model: Any) -> None: ...
    def raw(self, X: np.ndarray) -> np.ndarray: ...
