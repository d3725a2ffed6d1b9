"""The package's layout holds: every import inside `boilerbench`, at module level or in a function,
goes the way the data flows — the core imports only the core; the extractor the core; the benchmark
the core and the extractor (training is the benchmark's, so inference never loads it); the
integrations any of those. Read from the source (ast), so an import deep in a function counts too."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "boilerbench"

# what each part may import from the package (its own modules included)
ALLOWED = {
    "core": {"core"},
    "extractor": {"core", "extractor"},
    "benchmark": {"core", "extractor", "benchmark"},
    "integrations": {"core", "extractor", "benchmark", "integrations"},
}
# the package's face (`__init__`, `__main__`, `cli`) sits on top and may import any part
TOP = {"__init__", "__main__", "cli"}
# the one import against the flow, and why: `bench --scale` times the datatrove step on a crawl
EXCEPTIONS = {("benchmark.bench", "integrations.datatrove")}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _python_lines(path: Path) -> str:
    """The source ast can read: a Cython file's Python-level imports (`cimport`s are C, not modules)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix != ".pyx":
        return text
    imports = re.findall(r"^[ \t]*((?:from[ \t]+\S+[ \t]+import|import)[ \t]+[^\n#]+)", text, flags=re.M)
    return "\n".join(line.strip() for line in imports if " cimport " not in f" {line} ")


def _imports(path: Path) -> set[str]:
    """The package modules `path` imports, as dotted names under `boilerbench` (without it)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(_python_lines(path))):
        if isinstance(node, ast.Import):
            found |= {a.name.removeprefix("boilerbench.") for a in node.names if a.name.startswith("boilerbench.")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".") if package else []
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                target = ".".join([*base, *([node.module] if node.module else [])])
            elif node.module and (node.module == "boilerbench" or node.module.startswith("boilerbench.")):
                target = node.module.removeprefix("boilerbench").lstrip(".")
            else:
                continue
            if node.module is None or target == package:  # `from . import a, b`: the names may be modules
                found |= {f"{target}.{a.name}".lstrip(".") for a in node.names if target or a.name in ALLOWED}
            else:
                found.add(target)
    return found


def _sources() -> list[Path]:
    """Every Python and Cython file of the package (the compiled loops import Python modules too)."""
    return sorted(p for p in [*PACKAGE.rglob("*.py"), *PACKAGE.rglob("*.pyx")] if "node_modules" not in p.parts)


def test_the_package_has_the_four_parts_and_nothing_else_at_the_top() -> None:
    top = {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir() if p.suffix == ".py" or (p / "__init__.py").is_file()}
    assert top == TOP | set(ALLOWED)


@pytest.mark.parametrize("path", _sources(), ids=lambda p: _module_name(p) or "__init__")
def test_imports_follow_the_data_flow(path: Path) -> None:
    name = _module_name(path)
    part = name.split(".")[0]
    if part in TOP or not name:
        return
    wrong = sorted(
        target
        for target in _imports(path)
        if target.split(".")[0] not in ALLOWED[part] | {""} and (name, target) not in EXCEPTIONS
    )
    assert not wrong, f"boilerbench.{name} ({part}) imports {wrong}: against the layout (see ALLOWED)"


def test_the_checker_sees_imports_in_functions_and_relative_ones() -> None:
    """The reader itself: relative imports at any depth and imports inside functions are found."""
    classifier = PACKAGE / "extractor" / "classifier.py"
    assert "core.types" in _imports(classifier)
    train = PACKAGE / "benchmark" / "train.py"
    assert {"extractor.classifier", "benchmark.groundtruth"} <= _imports(train)
    bench = PACKAGE / "benchmark" / "bench.py"  # imports the datatrove step inside a function
    assert "integrations.datatrove" in _imports(bench)
    walk = PACKAGE / "core" / "_walk.pyx"  # the compiled walk binds to its Python twin's rules
    assert _imports(walk) == {"core.segment"}
