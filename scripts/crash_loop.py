"""Crash safety: kill -9 the ingest, the embedding job, the index build and the server at random
moments, then check that a re-run completes and that nothing is lost, doubled or half-written.

For each kill of a job, the data directory starts from the state before that job; the job is killed
after a random delay (uniform over its measured run time), the store is opened and checked, the job
is run again to completion, and the result is compared with a reference run that was never killed:

* ingest: exactly one row per product of ``styles.csv``, rows equal to the reference;
* embed: exactly one vector per product and space (image only for products with a photo), each
  equal to the reference vector (the fake model is deterministic);
* index: after the kill, the saved index loads (the old one or the new one) or there is none;
  never a corrupt one; after the re-run it holds every product and vector;
* server: events are posted (and searches, recommendations run) while it is killed; after a
  restart every event it acknowledged with 201 is in the store, at most the requests in flight
  at the kill are extra, and each shopper's profile counts exactly the stored events.

Last, an index file is truncated, and then a manifest corrupted: ``fashion-search serve`` must
refuse to start with a clear error (exit code 7), and ``fashion-search index`` must rebuild it.

    python scripts/crash_loop.py                 # 20 kills of each job (a few minutes)
    python scripts/crash_loop.py --kills 3       # the short version the slow test runs

Prints a JSON summary and exits 1 when any check fails.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np

MODEL = "fake:64"
POSTERS = 3
"""Threads posting events to the server: at most this many requests are in flight at a kill."""
SPACES = ("image", "text", "hybrid")


class CheckFailed(Exception):
    pass


def check(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {"OMP_NUM_THREADS": "1", "FASHION_SEARCH_MODEL": MODEL, "FASHION_SEARCH_API__LOG_LEVEL": "WARNING"}
    )
    return env


def _cli(*args: str) -> list[str]:
    return [str(Path(sys.executable).with_name("fashion-search")), *args]


def run(args: list[str], timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, env=_env(), capture_output=True, text=True, timeout=timeout, check=False)


def kill_after(args: list[str], delay: float) -> int | None:
    """Start ``args``, SIGKILL it after ``delay`` seconds; returns its exit code if it ended first."""
    process = subprocess.Popen(args, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        return process.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        process.wait()
        return None


# -- reading the store --------------------------------------------------------------------------


def _connect(data_dir: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(f"file:{data_dir / 'store.db'}?mode=ro", uri=True, timeout=30)
    check(conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok", f"{data_dir}: integrity check failed")
    return conn


def products_rows(data_dir: Path) -> list[tuple[Any, ...]]:
    with _connect(data_dir) as conn:
        return sorted(conn.execute("SELECT * FROM products").fetchall())


def vectors(data_dir: Path) -> dict[tuple[str, int], np.ndarray]:
    with _connect(data_dir) as conn:
        rows = conn.execute("SELECT space, product_id, vector FROM embeddings").fetchall()
    out: dict[tuple[str, int], np.ndarray] = {}
    for space, pid, blob in rows:
        check((space, pid) not in out, f"two vectors for product {pid} in space {space}")
        out[(space, pid)] = np.frombuffer(blob, dtype=np.float32)
    return out


def events(data_dir: Path) -> list[tuple[int, datetime]]:
    """(user id, time) of every stored event."""
    with _connect(data_dir) as conn:
        rows = conn.execute("SELECT user_id, timestamp FROM events").fetchall()
    return [(user, _utc(datetime.fromisoformat(stamp))) for user, stamp in rows]


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# -- the jobs -----------------------------------------------------------------------------------


class Loop:
    def __init__(self, work: Path, kills: int, jobs: set[str], rng: random.Random) -> None:
        self.work = work
        self._kills = kills
        self.jobs = jobs
        self.rng = rng
        self.catalog = work / "catalog"
        self.summary: dict[str, Any] = {}

    def fresh(self, name: str, template: Path | None) -> Path:
        target = self.work / name
        shutil.rmtree(target, ignore_errors=True)
        if template is None:
            target.mkdir(parents=True)
        else:
            shutil.copytree(template, target, ignore=shutil.ignore_patterns("server.lock"))
        return target

    def ingest_args(self, data_dir: Path) -> list[str]:
        return _cli(
            "ingest",
            "--styles",
            str(self.catalog / "styles.csv"),
            "--images",
            str(self.catalog / "images"),
            "--data-dir",
            str(data_dir),
        )

    def job_loop(
        self,
        name: str,
        args: Callable[[Path], list[str]],
        template: Path | None,
        verify_after_kill: Callable[[Path], str],
        verify_done: Callable[[Path], None],
    ) -> Path:
        """Reference run (timed), then (when ``name`` is one of the jobs) ``kills`` times: fresh copy,
        kill at a random moment, check, re-run, verify. Returns the reference data directory."""
        kills = self._kills if name in self.jobs else 0
        reference = self.fresh(f"{name}-reference", template)
        started = time.perf_counter()
        result = run(args(reference))
        duration = time.perf_counter() - started
        check(result.returncode == 0, f"{name} reference run failed: {result.stderr[-2000:]}")
        verify_done(reference)
        outcomes: dict[str, int] = {}
        delays = []
        for i in range(kills):
            target = self.fresh(f"{name}-{i}", template)
            delay = self.rng.uniform(0.05, duration)
            delays.append(delay)
            ended = kill_after(args(target), delay)
            state = "finished before the kill" if ended == 0 else verify_after_kill(target)
            outcomes[state] = outcomes.get(state, 0) + 1
            again = run(args(target))
            check(again.returncode == 0, f"{name} re-run {i} failed: {again.stderr[-2000:]}")
            verify_done(target)
            shutil.rmtree(target)
        if not kills:
            return reference
        self.summary[name] = {
            "kills": kills,
            "reference_seconds": round(duration, 2),
            "kill_delays_s": [round(min(delays), 2), round(max(delays), 2)] if delays else [],
            "state_at_kill": outcomes,
            "reruns_verified": kills,
        }
        return reference

    # -- ingest --

    def ingest(self) -> Path:
        reference_rows: list[tuple[Any, ...]] = []

        def after_kill(data_dir: Path) -> str:
            if not (data_dir / "store.db").exists():
                return "killed before the store existed"
            rows = products_rows(data_dir) if _has_table(data_dir, "products") else []
            if not rows:
                return "killed before any product was written"
            check(set(rows) <= set(reference_rows), "a partial ingest wrote a row the full one does not")
            return (
                "killed mid-ingest (partial rows)"
                if len(rows) < len(reference_rows)
                else "killed after writing"
            )

        def done(data_dir: Path) -> None:
            rows = products_rows(data_dir)
            ids = [r[0] for r in rows]
            check(len(ids) == len(set(ids)), "duplicate product rows")
            if not reference_rows:
                reference_rows.extend(rows)
            check(rows == reference_rows, f"ingest result differs from the reference ({len(rows)} rows)")

        return self.job_loop("ingest", self.ingest_args, None, after_kill, done)

    # -- embed --

    def embed(self, ingested: Path) -> Path:
        reference: dict[tuple[str, int], np.ndarray] = {}
        with _connect(ingested) as conn:
            n_products = conn.execute("SELECT COUNT(*) FROM products").fetchone()[0]
            n_photos = conn.execute(
                "SELECT COUNT(*) FROM products WHERE image_status = 'present'"
            ).fetchone()[0]
        expected = {"text": n_products, "hybrid": n_products, "image": n_photos}

        def args(data_dir: Path) -> list[str]:
            images = str(self.catalog / "images")
            return _cli("embed", "--images", images, "--batch-size", "8", "--data-dir", str(data_dir))

        def after_kill(data_dir: Path) -> str:
            found = vectors(data_dir)  # raises on a duplicate
            for key, vec in found.items():
                if reference:
                    check(np.array_equal(vec, reference[key]), f"a half-written vector for {key}")
            total = sum(expected.values())
            return (
                "killed before any vector"
                if not found
                else ("killed mid-embed (partial vectors)" if len(found) < total else "killed after writing")
            )

        def done(data_dir: Path) -> None:
            found = vectors(data_dir)
            counts = {space: sum(1 for s, _ in found if s == space) for space in SPACES}
            check(counts == expected, f"vectors per space {counts}, expected {expected}")
            if not reference:
                reference.update(found)
            check(found.keys() == reference.keys(), "vectors of other products than the reference run")
            for key, vec in found.items():
                check(np.array_equal(vec, reference[key]), f"vector {key} differs from the reference run")

        return self.job_loop("embed", args, ingested, after_kill, done)

    # -- index --

    def index(self, embedded: Path) -> Path:
        from fashion_search.errors import StoreError
        from fashion_search.index.exact import ExactIndex

        with _connect(embedded) as conn:
            n_products = conn.execute("SELECT COUNT(*) FROM products").fetchone()[0]

        def args(data_dir: Path) -> list[str]:
            return _cli("index", "--data-dir", str(data_dir))

        def after_kill(data_dir: Path) -> str:
            if not ExactIndex.exists(data_dir / "index"):
                return "killed before the manifest was written (no index)"
            try:
                index = ExactIndex.load(data_dir / "index")
            except StoreError as exc:
                raise CheckFailed(f"a killed index build left an unreadable index: {exc}") from exc
            check(index.count() == n_products, "a killed index build left a partial index")
            return "killed: the saved index (old or new) loads complete"

        def done(data_dir: Path) -> None:
            index = ExactIndex.load(data_dir / "index")
            check(index.count() == n_products, f"index holds {index.count()} of {n_products} products")

        # Rebuilding over an existing index is the common case: the template already has one.
        with_index = self.fresh("index-template", embedded)
        check(run(args(with_index)).returncode == 0, "could not build the template index")
        return self.job_loop("index", args, with_index, after_kill, done)

    # -- server --

    def server(self, indexed: Path) -> None:
        data_dir = self.fresh("server", indexed)
        ready_seconds = []
        acked: list[tuple[int, datetime]] = []
        outcomes = {"restarts_verified": 0, "events_acknowledged": 0, "extra_events_in_flight": 0}
        for i in range(self._kills):
            process, url = _start_server(data_dir)
            started = time.perf_counter()
            _wait_ready(url, process)
            ready_seconds.append(time.perf_counter() - started)
            self._verify_server_state(url, data_dir, acked)
            outcomes["restarts_verified"] += 1
            traffic = _Traffic(url, base=i)
            traffic.start()
            time.sleep(self.rng.uniform(0.3, 2.0))
            process.send_signal(signal.SIGKILL)
            process.wait()
            traffic.stop()
            acked.extend(traffic.acked)
            outcomes["events_acknowledged"] += len(traffic.acked)
            check(traffic.server_errors == 0, f"{traffic.server_errors} 5xx answers before the kill")
            stored = set(events(data_dir))
            missing = [e for e in traffic.acked if e not in stored]
            check(not missing, f"{len(missing)} acknowledged events lost by a kill")
            extra = [e for e in traffic.sent if e in stored and e not in set(traffic.acked)]
            check(len(extra) <= POSTERS, "more unacknowledged events stored than were in flight")
            outcomes["extra_events_in_flight"] += len(extra)
            acked.extend(extra)
        # One last restart: the state after the final kill must load and be consistent too.
        with _serving(data_dir) as url:
            self._verify_server_state(url, data_dir, acked)
            outcomes["restarts_verified"] += 1
        outcomes["kills"] = self._kills
        self.summary["server"] = {
            **outcomes,
            "ready_seconds": [round(min(ready_seconds), 1), round(max(ready_seconds), 1)],
        }

    @staticmethod
    def _verify_server_state(url: str, data_dir: Path, acked: list[tuple[int, datetime]]) -> None:
        stored = events(data_dir)
        keys = set(stored)
        check(all(e in keys for e in acked), "an acknowledged event is missing after a restart")
        per_user: dict[int, int] = {}
        for user_id, _ in stored:
            per_user[user_id] = per_user.get(user_id, 0) + 1
        with httpx.Client(timeout=60) as http:
            for user_id in range(1, 6):
                profile = http.get(f"{url}/users/{user_id}/profile").json()
                check(
                    profile["interactions"] == per_user.get(user_id, 0),
                    f"profile of user {user_id} counts {profile['interactions']} events, "
                    f"the store has {per_user.get(user_id, 0)}",
                )

    # -- corrupt index at start-up --

    def corrupt_index(self, indexed: Path) -> None:
        results = {}
        for how in ("truncated vectors file", "corrupt manifest"):
            data_dir = self.fresh("corrupt", indexed)
            folder = data_dir / "index"
            if how == "truncated vectors file":
                # The file the manifest names (a save keeps the previous generation's files too).
                manifest = json.loads((folder / "manifest.json").read_text())
                victim = folder / manifest["spaces"]["hybrid"]["vectors"]["file"]
                victim.write_bytes(victim.read_bytes()[: victim.stat().st_size // 2])
            else:
                manifest = folder / "manifest.json"
                manifest.write_bytes(manifest.read_bytes()[:-40])
            result = run(_cli("serve", "--data-dir", str(data_dir), "--port", str(_free_port())), timeout=120)
            message = " ".join((result.stdout + result.stderr).split())
            check(result.returncode == 7, f"serve on a {how} exited {result.returncode}: {message[-500:]}")
            check(
                "fashion-search index" in message, f"the error does not say how to rebuild: {message[-500:]}"
            )
            rebuilt = run(_cli("index", "--data-dir", str(data_dir)))
            check(rebuilt.returncode == 0, f"index rebuild after a {how} failed")
            with _serving(data_dir):
                pass  # ready after the rebuild
            results[how] = {
                "serve_exit_code": result.returncode,
                "error": message[-300:],
                "rebuilt_and_served": True,
            }
        self.summary["corrupt_index"] = results


def _has_table(data_dir: Path, table: str) -> bool:
    with _connect(data_dir) as conn:
        return conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (table,)).fetchone() is not None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_server(data_dir: Path) -> tuple[subprocess.Popen[str], str]:
    """`fashion-search serve` on a free loopback port: the process and its API base URL."""
    port = _free_port()
    process = subprocess.Popen(
        _cli("serve", "--data-dir", str(data_dir), "--port", str(port)),
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    return process, f"http://127.0.0.1:{port}/api/v1"


@contextlib.contextmanager
def _serving(data_dir: Path) -> Iterator[str]:
    """A server on ``data_dir``, ready, stopped gracefully afterwards; yields its API base URL."""
    process, url = _start_server(data_dir)
    try:
        _wait_ready(url, process)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)


def _wait_ready(url: str, process: subprocess.Popen[str], timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            err = process.stderr.read() if process.stderr is not None else ""
            raise CheckFailed(f"the server exited with {process.returncode}: {err[-1500:]}")
        try:
            if httpx.get(f"{url}/health/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise CheckFailed(f"the server at {url} was not ready in {timeout} s")


class _Traffic:
    """``POSTERS`` threads post one event per request (each with a unique timestamp), one searches and
    asks for recommendations, until the server dies."""

    def __init__(self, url: str, base: int) -> None:
        self.url = url
        self.base = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=base)
        self.sent: list[tuple[int, datetime]] = []
        self.acked: list[tuple[int, datetime]] = []
        self.server_errors = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._counter = 0
        self._threads = [threading.Thread(target=self._post) for _ in range(POSTERS)]
        self._threads.append(threading.Thread(target=self._read))

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def _post(self) -> None:
        with httpx.Client(timeout=10) as http:
            while not self._stop.is_set():
                with self._lock:
                    self._counter += 1
                    n = self._counter
                user = 1 + n % 5
                when = self.base + timedelta(microseconds=n)
                with self._lock:
                    self.sent.append((user, when))
                try:
                    response = http.post(
                        f"{self.url}/users/{user}/events",
                        json=[{"product_id": 60000 + n % 50, "type": "view", "timestamp": when.isoformat()}],
                    )
                except httpx.HTTPError:
                    return  # the server is gone
                if response.status_code >= 500:
                    self.server_errors += 1
                elif response.status_code == 201:
                    with self._lock:
                        self.acked.append((user, when))

    def _read(self) -> None:
        with httpx.Client(timeout=10) as http:
            while not self._stop.is_set():
                try:
                    for response in (
                        http.post(f"{self.url}/search/text", json={"text": "black shoes", "k": 5}),
                        http.get(f"{self.url}/recommendations/2", params={"limit": 5}),
                    ):
                        if response.status_code >= 500:
                            self.server_errors += 1
                except httpx.HTTPError:
                    return


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--kills", type=int, default=20, help="kills of each job")
    parser.add_argument("--products", type=int, default=1000, help="size of the demo catalog")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", default="ingest,embed,index,server,corrupt", help="which parts to run")
    parser.add_argument("--workdir", type=Path, help="keep the data here (default: a temporary folder)")
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from fashion_search.catalog.demo import generate_demo_catalog

    jobs = set(args.jobs.split(","))
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="crash-loop-") as tmp:
        work = args.workdir or Path(tmp)
        loop = Loop(work, args.kills, jobs, random.Random(args.seed))
        generate_demo_catalog(loop.catalog, n_products=args.products, seed=args.seed)
        status = 0
        try:
            # Each stage's reference run is the next stage's starting point.
            indexed = loop.index(loop.embed(loop.ingest()))
            if "server" in jobs:
                loop.server(indexed)
            if "corrupt" in jobs:
                loop.corrupt_index(indexed)
        except CheckFailed as exc:
            loop.summary["failed"] = str(exc)
            status = 1
    loop.summary.update(
        {"products": args.products, "seed": args.seed, "seconds": round(time.perf_counter() - started, 1)}
    )
    print(json.dumps(loop.summary, indent=2))
    return status


if __name__ == "__main__":
    sys.exit(main())
