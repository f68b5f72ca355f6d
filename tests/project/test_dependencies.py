"""The dependency declarations agree, and the forum serves on its runtime set alone.

requirements.txt is what serving the forum installs (README, Dockerfile);
requirements-dev.txt adds the adapters, the benchmark, the tests and tooling;
pyproject.toml declares the same split as dependencies, extras and the dev
group. A package that drifts between them, a runtime pin whose own dependency
is not pinned, or a serve-time import of an extra fails here rather than in a
production install.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]
# Modules only the extras and the dev group install: the forum must not need them to serve.
EXTRAS_ONLY_MODULES = (
    "fastapi",
    "starlette",
    "uvicorn",
    "uvicorn_worker",
    "uvloop",
    "httptools",
    "aiosqlite",
    "greenlet",
    "django",
    "psutil",
    "matplotlib",
    "jsonschema",
    "pytest",
    "hypothesis",
    "httpx",
    "playwright",
    "schemathesis",
    "importlinter",
    "aiosmtpd",
)


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(filename: str) -> dict[str, str]:
    """name -> pinned version of one requirements file (its ``-r`` includes not followed)."""
    found = {}
    for line in (ROOT / filename).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        requirement = Requirement(line)
        (specifier,) = requirement.specifier
        assert specifier.operator == "==", f"{filename}: {line} is not pinned with =="
        assert canonical(requirement.name) not in found, f"{filename}: {requirement.name} is pinned twice"
        found[canonical(requirement.name)] = specifier.version
    return found


RUNTIME = pins("requirements.txt")
DEV = pins("requirements-dev.txt")


def declared(requirements: list[str]) -> list[Requirement]:
    return [Requirement(r) for r in requirements if canonical(Requirement(r).name) != "finboard"]


def test_the_dev_set_includes_the_runtime_set_and_repins_nothing():
    assert "-r requirements.txt" in (ROOT / "requirements-dev.txt").read_text().splitlines()
    assert not set(RUNTIME) & set(DEV), "pinned in both files"


def test_runtime_dependencies_are_pinned_in_requirements_txt():
    for requirement in declared(PROJECT["dependencies"]):
        name = canonical(requirement.name)
        assert name in RUNTIME, f"{requirement} is a runtime dependency: pin it in requirements.txt"
        assert requirement.specifier.contains(RUNTIME[name]), f"{requirement} excludes the pin {RUNTIME[name]}"


@pytest.mark.parametrize(
    "group", [*(f"extra {e}" for e in PROJECT["optional-dependencies"]), *PYPROJECT["dependency-groups"]]
)
def test_extras_and_dev_group_are_pinned_in_requirements_dev_txt_only(group):
    source = PROJECT["optional-dependencies"][group[6:]] if group.startswith("extra ") else None
    for requirement in declared(source if source is not None else PYPROJECT["dependency-groups"][group]):
        name = canonical(requirement.name)
        assert name in DEV, f"{requirement} ({group}) must be pinned in requirements-dev.txt, not requirements.txt"
        assert requirement.specifier.contains(DEV[name]), f"{requirement} excludes the pin {DEV[name]}"


@pytest.mark.parametrize(("filename", "pinned"), [("requirements.txt", RUNTIME), ("requirements-dev.txt", DEV)])
def test_every_pin_has_its_own_dependencies_pinned(filename, pinned):
    """The closure: what each pinned distribution requires (as installed here) is pinned too."""
    available = RUNTIME if filename == "requirements.txt" else {**RUNTIME, **DEV}
    wanted_extras = {"psycopg": {"binary", "pool"}}
    problems = []
    for name in pinned:
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            problems.append(f"{name} is not installed: pip install -r {filename}")
            continue
        if dist.version != pinned[name]:
            problems.append(f"{name} {dist.version} is installed, {filename} pins {pinned[name]}")
        for text in dist.requires or []:
            requirement = Requirement(text)
            environments = [{**default_environment(), "extra": e} for e in ("", *wanted_extras.get(name, ()))]
            if requirement.marker and not any(requirement.marker.evaluate(env) for env in environments):
                continue
            if canonical(requirement.name) not in available:
                problems.append(f"{name} needs {requirement.name}: pin it in {filename}")
    assert not problems, "\n".join(problems)


BLOCKER = """
import importlib.abc, sys
BLOCKED = set(sys.argv[1].split(","))
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r} (blocked: not in requirements.txt)", name=name)
sys.meta_path.insert(0, Block())
import importlib.util
importlib.util.find_spec = lambda name, *a: None if name.split(".")[0] in BLOCKED else _find_spec(name, *a)
"""


def run_without_extras(tmp_path, code: str) -> subprocess.CompletedProcess:
    script = "import importlib.util; _find_spec = importlib.util.find_spec\n" + BLOCKER + code
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'forum.sqlite3'}",
        "SECRET_KEY": "x" * 40,
        "FINBOARD_ENV": "testing",
    }
    env.pop("REDIS_URL", None)
    return subprocess.run(
        [sys.executable, "-c", script, ",".join(EXTRAS_ONLY_MODULES)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_forum_serves_without_any_extra(tmp_path):
    """Migrate, seed, render the home page and the API list with every extra-only module unimportable."""
    result = run_without_extras(
        tmp_path,
        """
from click.testing import CliRunner
from flask.cli import cli
for args in (["db", "upgrade"], ["seed", "--users", "3", "--posts", "5", "--comments", "5"], ["--help"]):
    out = CliRunner().invoke(cli, ["--app", "wsgi", *args])
    assert out.exit_code == 0, (args, out.output, out.exception)
from wsgi import app
client = app.test_client()
assert client.get("/").status_code == 200
assert client.get("/api/v1/posts").get_json()["total"] == 5
loaded = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
assert not loaded, loaded
print("served")
""",
    )
    assert result.returncode == 0 and "served" in result.stdout, result.stdout + result.stderr


def test_bench_and_adapters_without_their_extra_say_what_to_install(tmp_path):
    result = run_without_extras(
        tmp_path,
        """
from wsgi import app
out = app.test_cli_runner().invoke(args=["bench", "backends"])
assert "\\n" not in out.output.strip(), out.output
print(out.exit_code, out.output.strip())
from finboard.registry import get
print(get("fastapi").missing_dependencies())
print(get("django").missing_dependencies())
for module in ("backends.fastapi.main", "backends.django.wsgi"):
    try:
        __import__(module)
    except ModuleNotFoundError as exc:
        print(exc)
""",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("1 Error: flask bench needs psutil, matplotlib, jsonschema (not installed)")
    assert "pip install -r requirements-dev.txt" in lines[0] and "'.[bench]'" in lines[0]
    assert "install the fastapi extra" in lines[1] and "install the django extra" in lines[2]
    assert lines[3].startswith("the FastAPI adapter needs fastapi, greenlet (not installed)")
    assert lines[4].startswith("the Django adapter needs django (not installed)")
