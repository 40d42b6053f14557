"""Events posted while searches and recommendations run on other threads, over real HTTP: none is
lost, every profile counts exactly its stored events, no 5xx. A second server on the same data
directory refuses to start, naming the first."""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

if TYPE_CHECKING:
    from conftest import Catalog
    from fashion_search.api.live import LiveServer

API = "/api/v1"
POSTERS = 6
EVENTS_PER_POSTER = 25
READERS = 3


def _stored_events(catalog: Catalog) -> Counter[int]:
    db = catalog.services.store.path
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return Counter(user for (user,) in conn.execute("SELECT user_id FROM events"))
    finally:
        conn.close()


def test_events_during_searches_are_all_kept_and_profiles_agree(server: LiveServer, catalog: Catalog) -> None:
    products = sorted(catalog.services.products())
    users = [u.id for u in catalog.services.users().list_users(personas_only=False, limit=100)[0]][:5]
    before = _stored_events(catalog)
    statuses: list[int] = []
    posted: Counter[int] = Counter()
    lock = threading.Lock()
    stop = threading.Event()

    def post(worker: int) -> None:
        with httpx.Client(base_url=server.url, timeout=60) as http:
            for i in range(EVENTS_PER_POSTER):
                user = users[(worker + i) % len(users)]
                kind = ("view", "add_to_cart", "purchase")[i % 3]
                batch = [
                    {"product_id": products[(worker * 31 + i * 7 + j) % len(products)], "type": kind}
                    for j in range(1 + i % 3)
                ]
                response = http.post(f"{API}/users/{user}/events", json=batch)
                with lock:
                    statuses.append(response.status_code)
                    if response.status_code == 201:
                        posted[user] += len(batch)
                        assert response.json()["accepted"] == len(batch)

    def read(worker: int) -> None:
        with httpx.Client(base_url=server.url, timeout=60) as http:
            while not stop.is_set():
                for response in (
                    http.post(
                        f"{API}/search/text", json={"text": "blue shirt", "k": 10, "user_id": users[0]}
                    ),
                    http.get(f"{API}/recommendations/{users[worker % len(users)]}", params={"limit": 10}),
                    http.get(f"{API}/products/{products[worker]}/similar", params={"user_id": users[1]}),
                    http.get(f"{API}/users/{users[2]}/profile"),
                ):
                    with lock:
                        statuses.append(response.status_code)

    readers = [threading.Thread(target=read, args=(w,)) for w in range(READERS)]
    posters = [threading.Thread(target=post, args=(w,)) for w in range(POSTERS)]
    for thread in readers + posters:
        thread.start()
    for thread in posters:
        thread.join()
    stop.set()
    for thread in readers:
        thread.join()

    assert not [s for s in statuses if s >= 500]
    assert Counter(statuses)[201] == POSTERS * EVENTS_PER_POSTER
    after = _stored_events(catalog)
    assert after - before == posted  # every acknowledged event stored, nothing else
    with httpx.Client(base_url=server.url, timeout=60) as http:
        for user in users:
            profile = http.get(f"{API}/users/{user}/profile").json()
            assert profile["interactions"] == after[user]
            assert sum(profile["event_counts"].values()) == after[user]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(data_dir: Path, port: int) -> subprocess.Popen[str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "FASHION_SEARCH_MODEL": "fake:64"}
    command = [str(Path(sys.executable).with_name("fashion-search")), "serve", "--data-dir", str(data_dir)]
    return subprocess.Popen(
        [*command, "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _wait_ready(url: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        try:
            if httpx.get(f"{url}/api/v1/health/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError("the server did not become ready")


@pytest.mark.slow
def test_a_second_server_on_the_same_data_dir_refuses_and_a_killed_one_leaves_no_stale_lock(
    tmp_path: Path, catalog: Catalog
) -> None:
    data_dir = tmp_path / "data"
    shutil.copytree(catalog.settings.data_dir, data_dir, ignore=shutil.ignore_patterns("server.lock"))
    first_port = _free_port()
    first = _serve(data_dir, first_port)
    try:
        _wait_ready(f"http://127.0.0.1:{first_port}", first)
        second = _serve(data_dir, _free_port())
        out, err = second.communicate(timeout=180)
        message = " ".join((out + err).split())
        assert second.returncode == 7, message
        assert f"another fashion-search server (pid {first.pid})" in message
        # The first one is unaffected.
        assert httpx.get(f"http://127.0.0.1:{first_port}/api/v1/health/ready").status_code == 200
    finally:
        first.kill()  # SIGKILL: the OS drops the lock with the process
        first.communicate()
    third_port = _free_port()
    third = _serve(data_dir, third_port)
    try:
        _wait_ready(f"http://127.0.0.1:{third_port}", third)
    finally:
        third.terminate()
        third.communicate(timeout=60)
