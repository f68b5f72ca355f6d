"""Running py-spy on a server's process tree: found, started, attached, stopped, its output read.

It exists so ``flask bench profile`` says clearly why it cannot sample
(py-spy not installed, ptrace refused) instead of leaving an empty profile.
py-spy samples from outside the process: ``record --pid MASTER
--subprocesses`` follows every worker the server forks, ``--nonblocking``
reads their memory without pausing them (the figures are of an undisturbed
server; a stack may now and then be torn, which only adds noise), and
``--gil`` samples only the thread holding the GIL — Python's CPU, not a thread
the kernel merely calls runnable (why: finboard.bench.profile_layers) — and
``--format raw`` writes collapsed stacks (finboard.bench.profile_layers reads
them). py-spy runs in a session of its own and is stopped with SIGINT, on
which it writes its file.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

PIN = "py-spy==0.4.3"
INSTALL_HINT = f"install it with `pip install {PIN}` (pinned in requirements-dev.txt; the bench extra)"
# The py-spy binary to use when set (tests point it elsewhere); else py-spy on PATH, or beside this Python.
# Not an environment variable: settings are read in finboard.settings only (tests/project/test_settings.py).
BINARY: str | None = None
DEFAULT_RATE = 200  # samples per second per process
ATTACH_TIMEOUT_S = 15


class ProfilerError(RuntimeError):
    """py-spy is missing, may not attach, or wrote nothing; the message says why and what to do."""


def find_pyspy() -> str:
    """The py-spy executable; ProfilerError when there is none."""
    configured = BINARY
    if configured:
        found = shutil.which(configured)
        if found is None:
            raise ProfilerError(f"py-spy is not installed: {configured!r} is not an executable; {INSTALL_HINT}")
        return found
    found = shutil.which("py-spy")
    beside = Path(sys.executable).parent / "py-spy"
    if found is None and beside.is_file() and os.access(beside, os.X_OK):
        found = str(beside)
    if found is None:
        raise ProfilerError(f"py-spy is not installed (not on PATH nor beside {sys.executable}): {INSTALL_HINT}")
    return found


def pyspy_version(binary: str | None = None) -> str | None:
    try:
        out = subprocess.run([binary or find_pyspy(), "--version"], capture_output=True, text=True, timeout=10)
    except (OSError, ProfilerError, subprocess.TimeoutExpired):
        return None
    return (out.stdout or out.stderr).strip().splitlines()[0] if (out.stdout or out.stderr).strip() else None


def ptrace_note() -> str:
    """Why py-spy may be refused, from the machine's settings (for the error message)."""
    note = []
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        note.append("this user is not root")
    with suppress(OSError, ValueError):
        scope = int(Path("/proc/sys/kernel/yama/ptrace_scope").read_text().strip())
        if scope >= 1:
            note.append(f"kernel.yama.ptrace_scope is {scope} (0 lets a user trace its own processes)")
    note.append("in a container, ptrace needs the SYS_PTRACE capability")
    return "; ".join(note)


def record_argv(binary: str, pid: int, out_file: Path, rate: int = DEFAULT_RATE) -> list[str]:
    """py-spy on ``pid`` and every process it forks, not pausing them, GIL holders only, as collapsed stacks."""
    return [
        binary, "record", "--pid", str(pid), "--subprocesses", "--nonblocking", "--gil", "--rate", str(rate),
        "--format", "raw", "--output", str(out_file),
    ]  # fmt: skip


@dataclass
class Recording:
    """What one py-spy run wrote: the collapsed-stacks file, its own count of samples and errors, its log."""

    path: Path
    samples: int | None
    errors: int | None
    log: str


class Recorder:
    """One py-spy ``record`` of a process tree: ``start`` (waits until it samples), ``stop`` (it writes its file)."""

    def __init__(self, pid: int, out_file: Path, log_file: Path, rate: int = DEFAULT_RATE, binary: str | None = None):
        self.argv = record_argv(binary or find_pyspy(), pid, out_file, rate)
        self.out_file, self.log_file = out_file, log_file
        self.process: subprocess.Popen | None = None

    def log(self) -> str:
        try:
            return self.log_file.read_text(errors="replace")
        except OSError:
            return ""

    def start(self, timeout: float = ATTACH_TIMEOUT_S) -> None:
        """Start py-spy and wait until it says it samples; ProfilerError (with its words) when it can't."""
        self.out_file.unlink(missing_ok=True)
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("wb") as log:
            self.process = subprocess.Popen(
                self.argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if "Sampling process" in self.log():
                time.sleep(0.2)  # --subprocesses: the workers are found on its first pass
                return
            if self.process.poll() is not None and "Sampling process" not in self.log():
                raise ProfilerError(self._refused(f"py-spy exited with code {self.process.returncode}"))
            time.sleep(0.05)
        self.kill()
        raise ProfilerError(self._refused(f"py-spy did not start sampling within {timeout:.0f}s"))

    def _refused(self, what: str) -> str:
        log = self.log().strip()
        hint = ""
        if re.search(r"permission|denied|ptrace|Operation not permitted", log, re.IGNORECASE):
            hint = f" py-spy needs ptrace on the server's processes: {ptrace_note()}."
        return f"{what}: {log[-800:] or '(no output)'}.{hint}"

    def stop(self, timeout: float = 30) -> Recording:
        """SIGINT (py-spy then writes its file) and wait; ProfilerError when no file came of it."""
        process = self.process
        if process is None:
            raise ProfilerError("py-spy was never started")
        if process.poll() is None:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        log = self.log()
        if not self.out_file.exists():
            raise ProfilerError(self._refused(f"py-spy wrote no profile (exit code {process.returncode})"))
        match = re.search(r"Samples: (\d+) Errors: (\d+)", log)
        samples, errors = (int(match[1]), int(match[2])) if match else (None, None)
        return Recording(self.out_file, samples, errors, log[-2000:])

    def kill(self) -> None:
        """End py-spy at once (an interrupted run)."""
        if self.process is not None and self.process.poll() is None:
            with suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            with suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=5)
