"""Benchmark of the fashion-lite encoder (prints figures; not a test).

    python bench/bench_encoder.py [--catalog DIR] [--images 320] [--threads 2]

Measures, ONNX (onnxruntime) against eager PyTorch in the same run: image embedding throughput at
batch 32 end to end (JPEG decode, squash, normalise, towers, heads), single text query latency
p50/p99, the whole catalog's description embedding time (eager: timed on a sample and scaled), and
peak memory (max RSS after the ONNX half, then after the eager half too). The machine's load
average is printed first and last: on a shared box the figures move with it.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from fashion_search.embed.descriptions import describe_product
from fashion_search.embed.fashion_lite import FashionLiteEmbedder

DEFAULT_CATALOG = Path(__file__).resolve().parents[2] / "shared" / "data" / "fashion-product-images"
QUERIES = [
    "white sneakers",
    "scarlet gown",
    "navy blue formal shirt for men",
    "black leather handbag",
    "summer floral dress for women under 50",
    "running shoes",
    "silver analog watch",
    "kurta for a wedding",
]


def image_throughput(model: FashionLiteEmbedder, files: list[bytes], batch: int = 32) -> float:
    model.embed_images([Image.open(io.BytesIO(files[0]))])  # warm-up (session start)
    start = time.perf_counter()
    for i in range(0, len(files), batch):
        model.embed_images([Image.open(io.BytesIO(b)) for b in files[i : i + batch]])
    return len(files) / (time.perf_counter() - start)


def query_latency(model: FashionLiteEmbedder, n: int) -> tuple[float, float]:
    model.embed_texts(["warm-up"])
    times = []
    for i in range(n):
        start = time.perf_counter()
        model.embed_texts([QUERIES[i % len(QUERIES)]])
        times.append((time.perf_counter() - start) * 1000)
    return float(np.percentile(times, 50)), float(np.percentile(times, 99))


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def full_catalog_seconds(model: FashionLiteEmbedder, texts: list[str]) -> float:
    start = time.perf_counter()
    for i in range(0, len(texts), 256):
        model.embed_texts(texts[i : i + 256])
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", type=Path, default=DEFAULT_CATALOG)
    parser.add_argument("--images", type=int, default=320)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--cache-dir", type=Path, default=None)
    args = parser.parse_args()

    from fashion_search.embed.train import load_photo_products

    cache = args.cache_dir or Path(tempfile.mkdtemp(prefix="fashion-lite-bench-"))
    products, paths = load_photo_products(args.catalog)
    rng = np.random.default_rng(0)
    chosen = [products[i] for i in rng.choice(len(products), min(args.images, len(products)), replace=False)]
    shared = [paths[p.id].read_bytes() for p in chosen]
    # Real catalog photos are 3:4 portraits of 1080x1440 and more; the shared ones were shrunk to 224.
    portraits = []
    for b in shared[:96]:
        buf = io.BytesIO()
        Image.open(io.BytesIO(b)).convert("RGB").resize((1080, 1440)).save(buf, "JPEG", quality=90)
        portraits.append(buf.getvalue())

    from fashion_search.catalog.styles import read_styles

    rows = read_styles(args.catalog / "styles.csv").rows
    texts = [describe_product(r.to_product()) for r in rows]
    print(f"load average at start (1/5/15 min): {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    t0 = time.perf_counter()
    onnx = FashionLiteEmbedder.from_directory(cache_dir=cache, threads=args.threads)
    onnx.embed_texts(["x"])
    onnx.embed_images([Image.new("RGB", (224, 224))])
    load_s = time.perf_counter() - t0
    print(f"fashion-lite {onnx.name} (dim {onnx.dim}), {args.threads} threads")
    print(f"load + ONNX export/session start: {load_s:.1f} s")
    sets = ((f"{len(shared)} shared 224x224 photos", shared), ("96 1080x1440 JPEGs", portraits))
    onnx_rates = [image_throughput(onnx, files) for _, files in sets]
    p50, p99 = query_latency(onnx, 300)
    full = full_catalog_seconds(onnx, texts)
    onnx_peak = peak_mib()

    eager = FashionLiteEmbedder.from_directory(cache_dir=cache, threads=args.threads, runtime="eager")
    eager_rates = [image_throughput(eager, files[:64]) for _, files in sets]
    e50, e99 = query_latency(eager, 60)
    sample = texts[:: max(1, len(texts) // 2048)]
    eager_full = full_catalog_seconds(eager, sample) * len(texts) / len(sample)

    print("image embedding, batch 32, end to end (JPEG decode + preprocessing + towers + heads):")
    for (label, _), o, e in zip(sets, onnx_rates, eager_rates, strict=True):
        print(f"  {label:32s} onnx {o:6.1f} img/s   eager {e:6.1f} img/s (64 images)")
    print(
        f"single text query: onnx p50 {p50:.2f} ms p99 {p99:.2f} ms   eager p50 {e50:.2f} ms p99 {e99:.2f} ms"
    )
    print(
        f"full catalog text embedding ({len(texts)} descriptions, batches of 256): onnx {full:.1f} s "
        f"({len(texts) / full:.0f}/s)   eager {eager_full:.1f} s (scaled from {len(sample)})"
    )
    print(f"peak memory (max RSS): onnx only {onnx_peak:.0f} MiB; with eager loaded too {peak_mib():.0f} MiB")
    print(f"load average at end (1/5/15 min): {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
