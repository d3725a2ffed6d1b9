"""Extractors written for Node.js, run from Python: one long-lived `node` child per worker process,
spoken to in JSON lines, so each page costs one round trip and not one Node start-up.

The Node side is the folder `node/` beside this file (package.json, its committed lock,
extract.js); `npm ci --prefix boilerbench/benchmark/systems/node` (`install_command()`) installs it. The child reads requests on stdin and
exits at its end: when the runner kills a worker that overran its timeout, the kernel closes the
worker's end of the pipe and the child goes with it (on Linux it is also killed at once, by
PR_SET_PDEATHSIG, in case it is busy on the page that timed out).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

NODE_DIR = Path(__file__).resolve().with_name("node")
SCRIPT = NODE_DIR / "extract.js"
NODE_MIN = (18, 0)  # the oldest Node.js the folder's jsdom runs on (node/package.json's engines; a test holds them equal)


def node_version() -> tuple[int, ...] | None:
    """The version of the `node` on PATH, or None where there is none that runs."""
    node = shutil.which("node")
    if node is None:
        return None
    try:
        out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30, check=True).stdout
        return tuple(int(x) for x in out.strip().lstrip("v").split("."))
    except (OSError, subprocess.SubprocessError, ValueError):
        return None


def install_command(folder: Path = NODE_DIR) -> str:
    """The one command that installs the Node folder, exactly as its lock says."""
    return f"npm ci --prefix {folder}"


def missing(package: str, folder: Path = NODE_DIR) -> str | None:
    """Why a Node extractor cannot run here (no usable `node`, or the folder not installed), saying
    what to run; None when it can."""
    version = node_version()
    wanted = ".".join(map(str, NODE_MIN))
    install = install_command(folder)
    if version is None:
        return f"no working `node` on PATH; install Node.js >= {wanted} with npm, then run `{install}`"
    if version[:2] < NODE_MIN:
        return f"node {'.'.join(map(str, version))} is older than the {wanted} jsdom needs; install a newer Node.js, then run `{install}`"
    if not (folder / "node_modules" / package / "package.json").is_file():
        return f"{package} is not installed; run `{install}`"
    return None


def package_version(package: str) -> str:
    """The installed version of a package of the Node folder (what a system's outputs depend on)."""
    manifest = NODE_DIR / "node_modules" / package / "package.json"
    return str(json.loads(manifest.read_text(encoding="utf-8"))["version"])


def _die_with_parent() -> Callable[[], None] | None:
    """What the child runs before node starts, on Linux: be killed when the worker that started it
    dies. libc's prctl is looked up here, in the parent: the child, forked from a process that may
    have threads, only calls it."""
    if sys.platform != "linux":
        return None
    import ctypes

    prctl = ctypes.CDLL(None, use_errno=True).prctl
    PR_SET_PDEATHSIG = 1
    return lambda: prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


class NodeProcess:
    """`node extract.js`, started on first use in the process that uses it (a forked worker starts
    its own: a child inherited from the parent would be shared by both)."""

    def __init__(self, script: Path = SCRIPT):
        self.script = script
        self.proc: subprocess.Popen[bytes] | None = None
        self.pid = 0  # the process that started `proc`
        self.stderr: IO[bytes] | None = None

    def start(self) -> None:
        if self.proc is not None and self.pid == os.getpid() and self.proc.poll() is None:
            return
        if self.pid != os.getpid():
            self._forget()
        self.close()
        # a file, not a pipe: node's messages can never fill it and block node; it lives as long as node, closed in close()
        self.stderr = tempfile.TemporaryFile()  # noqa: SIM115
        self.proc = subprocess.Popen(
            ["node", str(self.script)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            cwd=self.script.parent,
            preexec_fn=_die_with_parent(),
        )
        self.pid = os.getpid()

    def call(self, request: dict[str, Any]) -> dict[str, Any]:
        """One request, one answer; RuntimeError (saying what node printed) if node died on it,
        and the next call starts a new one."""
        self.start()
        assert self.proc is not None and self.proc.stdin is not None and self.proc.stdout is not None
        try:
            self.proc.stdin.write(json.dumps(request).encode() + b"\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
        except (BrokenPipeError, OSError):
            line = b""
        if not line:
            raise RuntimeError(f"node exited ({self._why()})")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def _why(self) -> str:
        """How node ended, and the end of what it printed on stderr; the process is closed."""
        assert self.proc is not None
        code = self.proc.wait(10)
        said = b""
        if self.stderr is not None:
            self.stderr.seek(0)
            said = self.stderr.read()[-300:]
        self.close()
        return f"code {code}: {said.decode(errors='replace').strip()}" if said.strip() else f"code {code}"

    def _forget(self) -> None:
        """In a forked process, drop our copies of the parent's pipes: its child is not ours to stop."""
        if self.proc is not None:
            for pipe in (self.proc.stdin, self.proc.stdout):
                if pipe is not None:
                    pipe.close()
        if self.stderr is not None:
            self.stderr.close()
        self.proc = self.stderr = None

    def close(self) -> None:
        """End the child (closing its stdin is enough: it exits at the end of its input)."""
        if self.proc is not None:
            for pipe in (self.proc.stdin, self.proc.stdout):
                if pipe is not None:
                    pipe.close()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.stderr is not None:
            self.stderr.close()
        self.proc = self.stderr = None
