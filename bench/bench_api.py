"""Latency and throughput of the REST API over the full shared catalog (44k products, 9.5k photos).

Prints p50 / p99 through the API (FastAPI's in-process TestClient: the whole HTTP stack, no socket)
for text search, image search, recommendations, complete-the-look, similar products and browsing,
next to what the same run measured for the parts underneath (one text / image embedding, one
vector search, one BM25 search), and requests per second for text search under concurrency
against a uvicorn server on 127.0.0.1 in a separate process.

The prepared data directory (ingest, embed, index, synthetic shoppers) is cached under ``--work``
(default /tmp/fashion-search-bench-api); preparing it with fashion-lite takes minutes on 2 cores.

    python bench/bench_api.py                      # fashion-lite, the shared catalog
    python bench/bench_api.py --model fake:64      # without the model (plumbing only)
    python bench/bench_api.py --json /tmp/api.json
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

DEFAULT_CATALOG = Path(__file__).resolve().parents[2] / "shared" / "data" / "fashion-product-images"
DEFAULT_WORK = Path("/tmp/fashion-search-bench-api")

TEXT_QUERIES = [
    "red summer dress",
    "white sneakers",
    "black leather handbag",
    "formal shirt for men under 40",
    "Puma",
    "Titan watch",
    "blue jeans",
    "ethnic kurta for women",
    "running shoes between 30 and 80",
    "sunglasses",
    "striped tshirt",
    "green casual shorts",
    "gold necklace",
    "winter jacket for men",
    "Nike sports shoes",
    "pink top",
    "brown belt",
    "backpack",
    "floral skirt",
    "silver watch for women",
]


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _ms(samples: list[float]) -> dict[str, float]:
    arr = np.array(samples) * 1000.0
    return {
        "p50": round(float(np.percentile(arr, 50)), 2),
        "p99": round(float(np.percentile(arr, 99)), 2),
        "mean": round(float(arr.mean()), 2),
        "n": len(samples),
    }


def _timed(fn: Callable[[], Any], n: int, warm: int = 3) -> list[float]:
    for _ in range(warm):
        fn()
    out = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        out.append(time.perf_counter() - started)
    return out


def _slug(model: str) -> str:
    return "".join(c if c.isalnum() or c in "-." else "_" for c in model)


# -- preparation ----------------------------------------------------------------------------------


def prepare(work: Path, catalog: Path, model: str) -> Path:
    """The data directory for ``model`` over ``catalog``, built once and reused."""
    from fashion_search.app import build
    from fashion_search.catalog.ingest import ingest_catalog
    from fashion_search.embed.pipeline import embed_catalog
    from fashion_search.settings import load_settings

    data_dir = work / _slug(model)
    marker = data_dir / "bench-ready.json"
    settings = load_settings(data_dir=data_dir, model=model)
    services = build(settings)
    # The spec ("fashion-lite") stays when the shipped weights change; the embedder's name does not.
    model_name = services.embedder().name
    if marker.is_file():
        info = json.loads(marker.read_text())
        if info.get("catalog") == str(catalog) and info.get("model_name") == model_name:
            _log(f"reusing prepared data in {data_dir}")
            services.close()
            return data_dir
    timings: dict[str, float] = {}
    try:
        started = time.perf_counter()
        report = ingest_catalog(
            catalog / "styles.csv", catalog / "images", services.store, seed=settings.seed
        )
        services.record_catalog(catalog / "images")
        timings["ingest_s"] = time.perf_counter() - started
        _log(f"ingested {report.products_written} products in {timings['ingest_s']:.1f} s")

        last = [0.0]

        def progress(done: int, total: int) -> None:
            if total and (time.perf_counter() - last[0] > 30 or done == total):
                last[0] = time.perf_counter()
                _log(f"  embedded {done}/{total}")

        started = time.perf_counter()
        embed = embed_catalog(
            services.store, services.embedder(), catalog / "images", batch_size=64, progress=progress
        )
        timings["embed_s"] = time.perf_counter() - started
        _log(f"embedded in {timings['embed_s']:.1f} s: {embed.to_dict().get('coverage')}")
        started = time.perf_counter()
        services.rebuild_index()
        timings["index_s"] = time.perf_counter() - started
        started = time.perf_counter()
        shoppers = services.bootstrap_users()
        timings["users_s"] = time.perf_counter() - started
        _log(f"created {shoppers.users} shoppers with {shoppers.events} events in {timings['users_s']:.1f} s")
    finally:
        services.close()
    marker.write_text(
        json.dumps({"catalog": str(catalog), "model": model, "model_name": model_name, **timings}, indent=2)
    )
    return data_dir


# -- the server for the throughput run ----------------------------------------------------------------


def serve(data_dir: Path, model: str, port: int) -> None:
    """Run the API on 127.0.0.1:port (the child process of the throughput run)."""
    import uvicorn

    from fashion_search.api import create_app
    from fashion_search.app import build
    from fashion_search.settings import load_settings

    settings = load_settings(data_dir=data_dir, model=model)
    services = build(settings)
    services.warm_up()
    uvicorn.run(
        create_app(settings, services, warm_up=False), host="127.0.0.1", port=port, log_level="warning"
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def throughput(data_dir: Path, model: str, concurrency: int, seconds: float) -> dict[str, Any]:
    import httpx

    port = _free_port()
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(data_dir), "--model", model, "--port", str(port)],
        stdout=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        deadline = time.time() + 300
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if child.poll() is not None or time.time() > deadline:
                raise RuntimeError("the benchmark server did not start")
            time.sleep(0.5)
        latencies: list[float] = []
        errors = [0]
        lock = threading.Lock()
        stop = time.perf_counter() + seconds

        def worker(seed: int) -> None:
            rng = random.Random(seed)
            with httpx.Client(base_url=base, timeout=30) as client:
                while time.perf_counter() < stop:
                    started = time.perf_counter()
                    r = client.post("/search/text", json={"text": rng.choice(TEXT_QUERIES), "k": 10})
                    took = time.perf_counter() - started
                    with lock:
                        if r.status_code == 200:
                            latencies.append(took)
                        else:
                            errors[0] += 1

        started = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(worker, range(concurrency)))
        elapsed = time.perf_counter() - started
        return {
            "concurrency": concurrency,
            "seconds": round(elapsed, 1),
            "requests": len(latencies),
            "errors": errors[0],
            "requests_per_s": round(len(latencies) / elapsed, 1),
            "latency_ms": _ms(latencies),
        }
    finally:
        child.terminate()
        child.wait(timeout=30)


# -- the benchmark ----------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict[str, Any]:
    from fastapi.testclient import TestClient

    from fashion_search.api import create_app
    from fashion_search.app import build
    from fashion_search.domain import ImageStatus, where
    from fashion_search.outfit.rules import complementary_roles
    from fashion_search.settings import load_settings

    results: dict[str, Any] = {"load_average_start": os.getloadavg(), "cpus": os.cpu_count()}
    data_dir = prepare(args.work, args.catalog, args.model)
    settings = load_settings(data_dir=data_dir, model=args.model)
    services = build(settings)
    started = time.perf_counter()
    services.warm_up()
    results["warm_up_s"] = round(time.perf_counter() - started, 2)
    index = services.index()
    products = services.products()
    results["catalog"] = {
        "products": index.count(),
        "photos": index.count("image"),
        "users": len(services.users()),
        "model": services.embedder().name,
        "dim": services.embedder().dim,
    }
    _log(f"catalog: {results['catalog']}, warm-up {results['warm_up_s']} s")
    rng = random.Random(0)
    photographed = [p for p in products.values() if p.image_status is ImageStatus.PRESENT]
    photos = [(services.images_dir() or Path()) / str(p.image_file) for p in rng.sample(photographed, 40)]
    photo_bytes = [p.read_bytes() for p in photos]
    n = args.requests

    # What the API calls underneath, measured in the same run.
    from PIL import Image

    embedder = services.embedder()
    query_vector = embedder.embed_texts(["red summer dress"])[0]
    pil = [Image.open(p).convert("RGB") for p in photos[:10]]
    it = iter(range(10**9))
    reference = {
        "embed_text": _ms(_timed(lambda: embedder.embed_texts([rng.choice(TEXT_QUERIES) + str(next(it))]), n))
    }
    reference["embed_image"] = _ms(_timed(lambda: embedder.embed_images([rng.choice(pil)]), max(20, n // 5)))
    reference["vector_search_hybrid_k10"] = _ms(_timed(lambda: index.search("hybrid", query_vector, k=10), n))
    men = where(gender=["Men", "Unisex"])
    reference["vector_search_hybrid_k200_gender_filter"] = _ms(
        _timed(lambda: index.search("hybrid", query_vector, k=200, where=men), n)
    )
    keyword = services.keyword_index()
    reference["bm25_search_k50"] = _ms(_timed(lambda: keyword.search(rng.choice(TEXT_QUERIES), k=50), n))
    results["reference"] = reference
    _log(f"reference: {json.dumps(reference)}")

    api: dict[str, Any] = {}
    with TestClient(create_app(settings, services, warm_up=False)) as client:
        user_ids = [1, 2, 3, 4, 5] + rng.sample(range(6, len(services.users()) + 1), 40)
        anchors = [
            p.id
            for p in rng.sample(list(products.values()), min(400, len(products)))
            if complementary_roles(p)
        ][:60]

        def ok(r: Any) -> None:
            if r.status_code != 200:
                raise RuntimeError(f"{r.request.url} answered {r.status_code}: {r.text[:200]}")

        api["text_search"] = _ms(
            _timed(lambda: ok(client.post("/api/v1/search/text", json={"text": rng.choice(TEXT_QUERIES)})), n)
        )
        api["text_search_personalised"] = _ms(
            _timed(
                lambda: ok(
                    client.post(
                        "/api/v1/search/text",
                        json={"text": rng.choice(TEXT_QUERIES), "user_id": rng.choice(user_ids)},
                    )
                ),
                n,
            )
        )
        api["image_search"] = _ms(
            _timed(
                lambda: ok(
                    client.post(
                        "/api/v1/search/image",
                        files={"file": ("p.jpg", rng.choice(photo_bytes), "image/jpeg")},
                    )
                ),
                max(20, n // 4),
            )
        )
        api["recommendations"] = _ms(
            _timed(lambda: ok(client.get(f"/api/v1/recommendations/{rng.choice(user_ids)}")), n)
        )
        api["recommendations_budget_restricted"] = _ms(
            _timed(
                lambda: ok(
                    client.get(
                        f"/api/v1/recommendations/{rng.choice(user_ids)}",
                        params={"max_price": 50, "restrict_category": "true"},
                    )
                ),
                n,
            )
        )
        api["complete_the_look"] = _ms(
            _timed(lambda: ok(client.get(f"/api/v1/products/{rng.choice(anchors)}/complete-look")), n)
        )
        api["complete_the_look_personalised"] = _ms(
            _timed(
                lambda: ok(
                    client.get(
                        f"/api/v1/products/{rng.choice(anchors)}/complete-look",
                        params={"user_id": rng.choice(user_ids)},
                    )
                ),
                n,
            )
        )
        api["similar"] = _ms(
            _timed(lambda: ok(client.get(f"/api/v1/products/{rng.choice(anchors)}/similar")), n)
        )
        api["browse_with_facets"] = _ms(
            _timed(
                lambda: ok(
                    client.get(
                        "/api/v1/products",
                        params={"gender": rng.choice(["Men", "Women"]), "price_max": 50, "limit": 24},
                    )
                ),
                n,
            )
        )
    results["api"] = api
    _log(f"api: {json.dumps(api)}")
    if args.concurrency > 0:
        _log(f"throughput: {args.concurrency} clients for {args.seconds} s against uvicorn ...")
        results["text_search_throughput"] = throughput(data_dir, args.model, args.concurrency, args.seconds)
    results["load_average_end"] = os.getloadavg()
    services.close()
    return results


def print_table(results: dict[str, Any]) -> None:
    print(f"catalog: {results['catalog']}   warm-up: {results['warm_up_s']} s")
    print(
        f"load average at start {results['load_average_start']}, end {results['load_average_end']} "
        f"({results['cpus']} CPUs)"
    )
    targets = {"text_search": 15.0, "image_search": 60.0, "recommendations": 10.0}
    print(f"{'through the API':40s} {'p50 ms':>9s} {'p99 ms':>9s} {'target p50':>11s}")
    for name, row in results["api"].items():
        target = f"<= {targets[name]:.0f}" if name in targets else ""
        print(f"{name:40s} {row['p50']:9.2f} {row['p99']:9.2f} {target:>11s}")
    print(f"{'underneath (same run)':40s} {'p50 ms':>9s} {'p99 ms':>9s}")
    for name, row in results["reference"].items():
        print(f"{name:40s} {row['p50']:9.2f} {row['p99']:9.2f}")
    tp = results.get("text_search_throughput")
    if tp:
        print(
            f"text search under {tp['concurrency']} concurrent clients (uvicorn, 127.0.0.1): "
            f"{tp['requests_per_s']} requests/s, p50 {tp['latency_ms']['p50']} ms, "
            f"p99 {tp['latency_ms']['p99']} ms, {tp['errors']} errors"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="fashion-lite")
    parser.add_argument("--catalog", type=Path, default=DEFAULT_CATALOG)
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8, help="0 skips the throughput run")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--serve", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.serve, args.model, args.port)
        return
    results = run(args)
    print_table(results)
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
