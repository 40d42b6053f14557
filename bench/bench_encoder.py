"""Benchmark of the fashion-lite encoder (prints figures; not a test).

    python bench/bench_encoder.py [--catalog DIR] [--images 320] [--threads 2]

Measures, ONNX (onnxruntime) against eager PyTorch in the same run: image embedding throughput at
batch 32 end to end (file read, JPEG decode, squash, normalise, towers, heads), single text query
latency p50/p99, the whole catalog's description embedding time (ONNX only), and peak memory.
"""

from __future__ import annotations

import argparse
import io
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

    t0 = time.perf_counter()
    onnx = FashionLiteEmbedder.from_directory(cache_dir=cache, threads=args.threads)
    onnx.embed_texts(["x"])
    onnx.embed_images([Image.new("RGB", (224, 224))])
    load_s = time.perf_counter() - t0
    eager = FashionLiteEmbedder.from_directory(cache_dir=cache, threads=args.threads, runtime="eager")

    print(f"fashion-lite {onnx.name} (dim {onnx.dim}), {args.threads} threads")
    print(f"load + ONNX export/session start: {load_s:.1f} s")
    print("image embedding, batch 32, end to end (JPEG decode + preprocessing + towers + heads):")
    for label, files in ((f"{len(shared)} shared 224x224 photos", shared), ("96 1080x1440 JPEGs", portraits)):
        onnx_rate = image_throughput(onnx, files)
        eager_rate = image_throughput(eager, files[:64])
        print(f"  {label:32s} onnx {onnx_rate:6.1f} img/s   eager {eager_rate:6.1f} img/s")
    p50, p99 = query_latency(onnx, 300)
    e50, e99 = query_latency(eager, 60)
    print(f"single text query: onnx p50 {p50:.2f} ms p99 {p99:.2f} ms", end="   ")
    print(f"eager p50 {e50:.2f} ms p99 {e99:.2f} ms")

    from fashion_search.catalog.styles import read_styles

    rows = read_styles(args.catalog / "styles.csv").rows
    texts = [describe_product(r.to_product()) for r in rows]
    start = time.perf_counter()
    for i in range(0, len(texts), 256):
        onnx.embed_texts(texts[i : i + 256])
    full = time.perf_counter() - start
    rate = len(texts) / full
    print(f"full catalog text embedding (ONNX): {len(texts)} descriptions in {full:.1f} s ({rate:.0f}/s)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS of this process, both runtimes loaded): {peak:.0f} MiB")


if __name__ == "__main__":
    main()
