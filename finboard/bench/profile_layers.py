"""Which layer of the stack a py-spy sample's CPU belongs to: server, framework, SQL layer, driver, …

It exists so ``flask bench profile`` can say where an adapter's CPU goes
beyond its framework-less ceiling's, by layer rather than by a thousand
function names. It reads py-spy's collapsed stacks (``py-spy record --format
raw``): one line per distinct stack, outermost frame first, frames joined by
``;`` and the sample count last, each frame ``func (path/to/file.py:line)`` —
the path shortened by py-spy to the part below a ``sys.path`` entry
(``flask/app.py``, ``json/encoder.py``, ``finboard/rawsql/reads.py``) or, with
``--full-filenames``, absolute. With ``--subprocesses`` the stack starts with
``process PID:"command line"`` frames, which say whose sample it is.

py-spy samples only the thread holding the GIL (``--gil``): that is the
Python (user-mode) CPU. Without it py-spy counts every thread the kernel calls
runnable, and on a loaded machine a worker woken from ``poll`` waits its turn
for a CPU there — the first profiles counted 2.7–3.8× the CPU the workers
used, most of it in psycopg's and gunicorn's waits. What runs without the GIL
is mostly system calls (socket reads and writes, ``poll``, ``accept``): the
**kernel** layer, the server tree's system CPU time from /proc, not a sample.

A sample's **self** layer is its innermost frame's, by the frame's package.
Code without Python frames (C extensions: orjson, psycopg's C core, httptools,
uvloop, pydantic-core; system calls) shows as the Python frame that called it,
which is why ``finboard/rawsql/documents.py`` — rows to JSON through orjson —
counts as serialisation, not as the SQL layer. The standard library is
transparent: a frame of ``socket``, ``selectors``, ``threading``, ``asyncio``
… is charged to the nearest caller that has a layer (``socket.send`` under
gunicorn is server time; the event loop, below which the ASGI server's frames
sit, is server time; ``asyncio.wait_for`` awaited by Starlette is framework
time), except ``json`` (serialisation); a stack of stdlib frames only is
``stdlib/other``. pydantic is the framework's when a framework frame called it
(FastAPI's validation), else serialisation (the shared contract's models,
``model_dump_json``). A sample's
**inclusive** layers are every layer on its stack (the framework's request
handling with everything it calls).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

SERVER = "server"
FRAMEWORK = "framework"
ORM = "orm"
SQL_LAYER = "sql layer"
DRIVER = "driver"
SERIALISATION = "serialisation"
APP = "app"
OTHER = "stdlib/other"
KERNEL = "kernel (system calls)"
SAMPLED = (SERVER, FRAMEWORK, ORM, SQL_LAYER, DRIVER, SERIALISATION, APP, OTHER)  # what samples are charged to
LAYERS = (*SAMPLED, KERNEL)
LAYER_NOTES = {
    SERVER: "gunicorn, uvicorn, granian, h11, httptools, uvloop, and the asyncio loop they run",
    FRAMEWORK: "Flask, Werkzeug, Jinja2 and Flask's extensions; FastAPI, Starlette, anyio and pydantic when a "
    "framework frame calls it; Django, asgiref",
    ORM: "SQLAlchemy, Flask-SQLAlchemy",
    SQL_LAYER: "finboard/rawsql (the shared hand-written SQL layer) but its documents",
    DRIVER: "psycopg, psycopg_pool, redis",
    SERIALISATION: "orjson (via finboard/rawsql/documents.py), json, pydantic-core, pydantic called by app code",
    APP: "finboard/ and backends/ (the adapter's own code)",
    OTHER: "standard library with no caller of a known layer, and anything unknown",
    KERNEL: "the server tree's system CPU from /proc: system calls, run without the GIL, so never sampled",
}
# pydantic is the framework's (FastAPI's validation) when a framework frame calls it, else serialisation.
CALLER_DECIDES = frozenset({"pydantic", "pydantic_core", "pydantic_settings"})

# Top-level package (the first component of the shortened path) → layer.
PACKAGES = {
    **dict.fromkeys(("gunicorn", "uvicorn", "uvicorn_worker", "granian", "h11", "httptools", "uvloop"), SERVER),
    **dict.fromkeys(
        (
            "flask",
            "werkzeug",
            "jinja2",
            "markupsafe",
            "itsdangerous",
            "click",
            "blinker",
            "flask_login",
            "flask_wtf",
            "wtforms",
            "flask_talisman",
            "flask_limiter",
            "flask_caching",
            "flask_migrate",
            "limits",
            "fastapi",
            "starlette",
            "pydantic",
            "pydantic_settings",
            "anyio",
            "sniffio",
            "django",
            "asgiref",
        ),
        FRAMEWORK,
    ),  # fmt: skip
    **dict.fromkeys(("sqlalchemy", "flask_sqlalchemy", "alembic", "greenlet"), ORM),
    **dict.fromkeys(("psycopg", "psycopg_pool", "psycopg_c", "psycopg_binary", "redis"), DRIVER),
    **dict.fromkeys(("orjson", "json", "pydantic", "pydantic_core", "pydantic_settings"), SERIALISATION),
    **dict.fromkeys(("finboard", "backends", "wsgi"), APP),
}
# Paths (shortened, "/"-separated) whose layer is not their package's; the first prefix that matches wins.
PATHS = (
    ("finboard/rawsql/documents.py", SERIALISATION),
    ("finboard/rawsql/", SQL_LAYER),
    ("backends/asgi_worker.py", SERVER),
    ("backends/server_conf.py", SERVER),
    ("gunicorn.conf.py", SERVER),
)
STDLIB = frozenset(sys.stdlib_module_names) - {"json"}
_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")
_PROCESS = re.compile(r'^process (?P<pid>\d+):"(?P<cmd>.*)"$')
_PYTHON_DIR = re.compile(r"/(?:lib|Lib)/python3(?:\.\d+)?/(?:(?:site|dist)-packages/)?")
_PACKAGES_DIR = re.compile(r"/(?:site|dist)-packages/")


@dataclass(frozen=True)
class Frame:
    """One frame of a stack: its function, its (shortened) file and line, and the layer it belongs to."""

    func: str
    path: str  # shortened: flask/app.py, json/encoder.py, finboard/rawsql/reads.py
    line: int | None
    package: str  # the first component of the path (its stem for a one-file module): flask, json, socket
    layer: str | None  # None: transparent (the standard library), charged to its caller

    @property
    def key(self) -> str:
        """The function without its line: what the top-functions tables aggregate by."""
        return f"{self.func} ({self.path})"


@dataclass
class Sample:
    """One distinct stack of a collapsed profile with its count, classified."""

    pid: int | None
    command: str
    frames: tuple[Frame, ...]  # outermost first
    count: int

    @property
    def self_frame(self) -> Frame | None:
        """The innermost frame with a layer (stdlib frames charged to their caller); None: no layer at all."""
        return next((f for f in reversed(self.frames) if f.layer is not None), None)

    @property
    def self_layer(self) -> str:
        frame = self.self_frame
        if frame is None:
            return OTHER
        if frame.package in CALLER_DECIDES and self._called_by_framework(frame):
            return FRAMEWORK
        return frame.layer

    def _called_by_framework(self, frame: Frame) -> bool:
        """Whether the nearest caller of ``frame`` outside pydantic and the stdlib is a framework frame."""
        at = self.frames.index(frame)
        for caller in reversed(self.frames[:at]):
            if caller.layer is None or caller.package in CALLER_DECIDES:
                continue
            return caller.layer == FRAMEWORK
        return False

    @property
    def innermost(self) -> Frame | None:
        return self.frames[-1] if self.frames else None

    @property
    def inclusive_layers(self) -> set[str]:
        """Every layer with a frame on the stack (the self layer included; pydantic as the self layer says)."""
        return {f.layer for f in self.frames if f.layer is not None and f.package not in CALLER_DECIDES} | {
            self.self_layer
        }


def shorten(path: str, roots: Iterable[str] = ()) -> str:
    """An absolute path (``--full-filenames``) as py-spy shortens it: below site-packages, the stdlib or a root."""
    path = path.replace("\\", "/")
    if not path.startswith("/"):
        return path
    for root in sorted((str(r).rstrip("/") + "/" for r in roots), key=len, reverse=True):
        if path.startswith(root):
            return path[len(root) :]
    packages = [m.end() for m in _PACKAGES_DIR.finditer(path)]
    if packages:  # the last site-packages: a venv inside another tree
        return path[packages[-1] :]
    match = _PYTHON_DIR.search(path)
    if match is not None:
        return path[match.end() :]
    for marker in ("/finboard/", "/backends/"):  # the project from another checkout (a baseline worktree)
        at = path.rfind(marker)
        if at >= 0:
            return path[at + 1 :]
    return path


def package_of(path: str) -> str:
    """``flask/app.py`` → ``flask``; ``socket.py`` → ``socket``; ``<frozen importlib._bootstrap>`` → ``importlib``."""
    if path.startswith("<frozen "):
        return path[len("<frozen ") :].rstrip(">").split(".")[0]
    head = path.split("/", 1)[0]
    return head[:-3] if head.endswith(".py") and "/" not in path else head.split(".")[0]


def layer_of(path: str, package: str) -> str | None:
    """The layer of a frame in ``path`` (shortened); None for the standard library (transparent)."""
    for prefix, layer in PATHS:
        if path.startswith(prefix):
            return layer
    if package in PACKAGES:
        return PACKAGES[package]
    if package in STDLIB or path.startswith("<"):
        return None
    if not path.endswith((".py", ".pyx")):  # a frame torn by a --nonblocking read (``__package__ (__doc__:386…)``)
        return None
    return OTHER


def parse_frame(text: str, roots: Iterable[str] = ()) -> Frame:
    """One py-spy frame, ``func (path:line)`` (or ``func (path)`` with ``--function``), classified."""
    match = _FRAME.match(text.strip())
    if match is None:  # a native or unnamed frame: no file to classify it by
        return Frame(text.strip(), "", None, "", OTHER)
    path = shorten(match["file"], roots)
    package = package_of(path)
    line = int(match["line"]) if match["line"] else None
    return Frame(match["func"], path, line, package, layer_of(path, package))


def parse_line(line: str, roots: Iterable[str] = ()) -> Sample | None:
    """One line of ``py-spy record --format raw``; None for a blank or malformed line."""
    line = line.rstrip("\n")
    stack, _, count = line.rpartition(" ")
    if not stack or not count.isdigit():
        return None
    pid, command, frames = None, "", []
    for part in stack.split(";"):
        process = _PROCESS.match(part)
        if process is not None:  # the innermost process frame is the sampled one (parents come first)
            pid, command = int(process["pid"]), process["cmd"]
            continue
        if part.startswith("thread (0x") or part == "":
            continue
        frames.append(parse_frame(part, roots))
    return Sample(pid, command, tuple(frames), int(count))


def parse(lines: Iterable[str], roots: Iterable[str] = ()) -> Iterator[Sample]:
    """Every sample of a collapsed-stacks file (its lines)."""
    roots = tuple(roots)
    for line in lines:
        sample = parse_line(line, roots)
        if sample is not None and sample.count > 0:
            yield sample
