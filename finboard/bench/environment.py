"""What a run was measured on: machine, software versions, commit, command line.

It exists because benchmark figures are meaningless without their context,
and a later reader (or ``flask bench compare``) must see whether two runs
were made on the same machine with the same versions.
"""

from __future__ import annotations

import os
import platform
import shlex
import shutil
import subprocess
import sys
from importlib import metadata

import psutil

from finboard.settings import PROJECT_ROOT

PACKAGES = (
    "flask",
    "flask-sqlalchemy",
    "fastapi",
    "django",
    "sqlalchemy",
    "psycopg",
    "psycopg-pool",
    "gunicorn",
    "uvicorn",
    "uvicorn-worker",
    "pydantic",
    "redis",
    "argon2-cffi",
    "psutil",
    "matplotlib",
)


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def os_name() -> str:
    try:
        with open("/etc/os-release") as release:
            for line in release:
                if line.startswith("PRETTY_NAME="):
                    return f"{line.split('=', 1)[1].strip().strip(chr(34))} (kernel {platform.release()})"
    except OSError:
        pass
    return platform.platform()


def package_versions() -> dict[str, str | None]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def git_commit() -> dict[str, str | bool | None]:
    def git(*args: str) -> str | None:
        try:
            out = subprocess.run(["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return out.stdout.strip() if out.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": bool(status) if status is not None else None}


def docker_engine() -> str | None:
    """The Docker engine's version when one answers, else None."""
    if shutil.which("docker") is None:
        return None
    try:
        out = subprocess.run(
            ["docker", "version", "--format", "{{.Server.Version}}"], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return (out.stdout.strip() or None) if out.returncode == 0 else None


def docker_image_size_mb(image: str) -> float | None:
    try:
        out = subprocess.run(
            ["docker", "image", "inspect", image, "--format", "{{.Size}}"], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return round(int(out.stdout.strip()) / 1e6, 1) if out.returncode == 0 and out.stdout.strip().isdigit() else None


def redis_version(url: str | None) -> str | None:
    if not url:
        return None
    try:
        import redis

        return redis.Redis.from_url(url, socket_connect_timeout=2).info("server").get("redis_version")
    except Exception:  # noqa: BLE001 - unreachable Redis is reported as None
        return None


def command_line() -> str:
    argv = list(sys.argv)
    if argv and argv[0].endswith(("flask", "flask.exe")):
        argv[0] = "flask"
    return shlex.join(argv)


def collect(*, postgres_version: str | None, redis_url: str | None, wrk: str | None) -> dict:
    memory = psutil.virtual_memory()
    return {
        "cpu_model": cpu_model(),
        "cores_logical": os.cpu_count(),
        "cores_physical": psutil.cpu_count(logical=False),
        "memory_gb": round(memory.total / 1024**3, 1),
        "os": os_name(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "packages": package_versions(),
        "postgresql": postgres_version,
        "redis": redis_version(redis_url),
        "wrk": wrk,
        "docker_engine": docker_engine(),
        "git": git_commit(),
        "hostname": platform.node(),
        "load_average": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None,
    }
