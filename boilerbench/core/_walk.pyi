# The compiled walk's signatures (`_walk.pyx`), for type checkers, which cannot read the built
# extension; `segment_tree` stands for its Python twin, `segment.walk_tree`.
from lxml import etree

from .structure import StructureReader
from .types import Block

def bind() -> None: ...
def segment_tree(root: etree._Element, url: str | None = None, structure: bool = True) -> list[Block] | None: ...
def segment_tree_later(root: etree._Element, url: str | None = None) -> tuple[list[Block], StructureReader] | None: ...
