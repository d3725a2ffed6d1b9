"""The pre-commit hooks are .ci/run's checks: each check of its lint section has a hook running the
same tool with the same options on the same files, and the quick-tests hook is its pytest command
with the quick tests' marker expression, the one the README gives. Both files are parsed, so a
check added to .ci/run without its hook fails here."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

yaml = pytest.importorskip("yaml")  # the test extra's pyyaml (untyped: no stubs installed)

REPO = Path(__file__).resolve().parents[1]
CI_RUN = REPO / ".ci" / "run"
CONFIG = REPO / ".pre-commit-config.yaml"
QUICK_HOOK = "quick-tests"


def command(line: str) -> list[str]:
    """A command line as [tool, *arguments]: `"$py" -m ruff check .` and `python -m ruff check .`
    are both ruff; a tool called by its path (`.ci/venv/bin/cython-lint`) is its file name; a
    module name is its script's (`cython_lint` is cython-lint)."""
    words = shlex.split(line)
    if len(words) > 2 and words[1] == "-m" and re.fullmatch(r"\$\{?py\}?|python3?|.*/python3?", words[0]):
        tool, args = words[2], words[3:]
    else:
        tool, args = Path(words[0]).name, words[1:]
    return [tool.replace("_", "-"), *args]


def ci_run() -> tuple[list[list[str]], list[str]]:
    """.ci/run's checks (the commands from its lint comment up to the tests) and its pytest command."""
    joined: list[str] = []
    for line in CI_RUN.read_text(encoding="utf-8").splitlines():  # one entry per command: a line ending in a backslash goes on
        if joined and joined[-1].endswith("\\"):
            joined[-1] = joined[-1][:-1] + " " + line.strip()
        else:
            joined.append(line.strip())
    start = next(i for i, line in enumerate(joined) if line.startswith("# lint"))
    end = next(i for i, line in enumerate(joined) if i > start and line == "set +e")
    checks = [command(line) for line in joined[start + 1 : end] if line and not line.startswith("#")]
    pytest_lines = [line for line in joined[end:] if re.search(r"-m pytest\b", line)]
    assert len(pytest_lines) == 1, pytest_lines
    return checks, command(pytest_lines[0])


def hooks() -> dict[str, dict[str, Any]]:
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    return {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}


def hook_command(hook: dict[str, Any]) -> list[str]:
    return [*command(hook["entry"]), *hook.get("args", [])]


def named_files(path: str) -> list[str]:
    """The files an argument names (a glob expanded), relative to the checkout; none for an option."""
    return sorted(p.relative_to(REPO).as_posix() for p in REPO.glob(path) if p.is_file())


def mirrors(hook: dict[str, Any], check: list[str]) -> bool:
    """The hook runs the check: the same command, or (a hook given the committed files) the same
    command whose other arguments all name files, every one of them taken by the hook's `files`."""
    run = hook_command(hook)
    if not hook.get("pass_filenames", True):
        return run == check
    if check[: len(run)] != run or len(check) == len(run):
        return False
    named = [named_files(path) for path in check[len(run) :]]
    pattern = re.compile(hook.get("files", ""))
    return all(named) and all(pattern.search(f) for files in named for f in files)


def test_every_check_of_ci_run_has_its_hook() -> None:
    checks, _ = ci_run()
    assert [c[0] for c in checks][:3] == ["ruff", "ruff", "mypy"], checks  # the section was found
    all_hooks = hooks()
    for check in checks:
        found = [name for name, hook in all_hooks.items() if name != QUICK_HOOK and mirrors(hook, check)]
        assert found, f"no hook in {CONFIG.name} runs .ci/run's `{shlex.join(check)}`"
    for hook in all_hooks.values():
        assert hook["language"] == "system", f"{hook['id']}: the installed tool, at pyproject's version"


def test_quick_tests_hook_is_ci_runs_pytest_on_the_quick_tests() -> None:
    _, ci_pytest = ci_run()
    run = hook_command(hooks()[QUICK_HOOK])
    marker = run[run.index("-m") + 1]
    assert run == [*ci_pytest, "-m", marker] and marker == "not slow"
    assert hooks()[QUICK_HOOK]["pass_filenames"] is False  # the tests, not the committed files


def test_readme_gives_the_quick_tests_command() -> None:
    """The README's quick loop selects the tests the hook runs."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    quick = [command(m) for m in re.findall(r"`(python -m pytest [^`]*-m [^`]*)`", readme)]
    assert len(quick) == 1, quick
    run = hook_command(hooks()[QUICK_HOOK])
    assert quick[0][quick[0].index("-m") + 1] == run[run.index("-m") + 1]


def test_parsing_sees_a_missing_hook() -> None:
    """The check above can fail: a .ci/run check no hook runs, a hook on other files, other options."""
    ruff = {"id": "r", "entry": "python -m ruff check .", "language": "system", "pass_filenames": False}
    assert mirrors(ruff, command('"$py" -m ruff check .'))
    assert not mirrors(ruff, command('"$py" -m ruff check --fix .'))
    lint = {"id": "c", "entry": "cython-lint", "language": "system", "files": r"\.(pyx|pxd)$"}
    assert mirrors(lint, command(".ci/venv/bin/cython-lint boilerbench/core/*.pyx"))
    assert mirrors(lint, command('"$py" -m cython_lint boilerbench/core/_walk.pyx'))
    assert not mirrors(lint, command(".ci/venv/bin/cython-lint --max-line-length 88 boilerbench/core/*.pyx"))
    assert not mirrors({**lint, "files": r"\.pxd$"}, command(".ci/venv/bin/cython-lint boilerbench/core/*.pyx"))
    assert not mirrors(lint, command(".ci/venv/bin/cython-lint boilerbench/core/*.nothing"))


def test_the_config_is_valid_for_pre_commit() -> None:
    pytest.importorskip("pre_commit", reason="pre-commit is not installed (the test extra installs it)")
    r = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-config", str(CONFIG)], capture_output=True, text=True, check=False
    )
    assert r.returncode == 0, r.stdout + r.stderr
