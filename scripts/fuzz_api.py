"""Fuzz the API with schemathesis against its own OpenAPI document, on a real server on 127.0.0.1.

Builds a demo catalog (``fashion-search demo --no-serve``, fake:64 model) in a temporary data
directory unless ``--data-dir`` already holds one, serves it with uvicorn in a thread (admin token
set, so the admin route is exercised too), and runs ``schemathesis run`` over every operation with
these checks: no 5xx, documented status codes, content types, headers and response schemas,
schema-violating requests rejected, required auth header enforced, unsupported methods refused.

``positive_data_acceptance`` is left out on purpose: some schema-valid requests are refused for
reasons a JSON schema cannot state (an unknown product id in an event, a filter on an unknown
field, all ranking weights zero), always with a 4xx that names the reason.

    python scripts/fuzz_api.py                         # the large run: 80 cases per operation
    python scripts/fuzz_api.py --max-examples 8        # the small run CI does (tests/reliability)

Prints one JSON summary line (cases generated, failures, errors) and exits 1 on any failure.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
        "missing_required_header",
        "unsupported_method",
    ]
)
ADMIN_TOKEN = "fuzz-admin-token"


def _bin(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def build_catalog(data_dir: Path, products: int) -> None:
    if (data_dir / "index").is_dir():
        return
    subprocess.run(
        [
            _bin("fashion-search"),
            "demo",
            "--no-serve",
            "--n-products",
            str(products),
            "--model",
            "fake:64",
            "--data-dir",
            str(data_dir),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def run_schemathesis(
    url: str, args: argparse.Namespace, report: Path, workdir: Path
) -> subprocess.CompletedProcess[str]:
    command = [
        _bin("schemathesis"),
        "run",
        f"{url}/api/v1/openapi.json",
        "--checks",
        CHECKS,
        "--max-examples",
        str(args.max_examples),
        "--workers",
        str(args.workers),
        "--phases",
        "examples,coverage,fuzzing",
        "--header",
        f"Authorization: Bearer {ADMIN_TOKEN}",
        "--generation-database",
        "none",
        "--report",
        "json",
        "--report-json-path",
        str(report),
        "--request-timeout",
        "60",
        "--no-color",
    ]
    if args.seed is not None:
        command += ["--seed", str(args.seed)]
    # Run in a scratch folder: schemathesis keeps state in ./.schemathesis.
    return subprocess.run(command, capture_output=True, text=True, check=False, cwd=workdir)


def summarise(report: dict[str, Any], seconds: float) -> dict[str, Any]:
    cases = report.get("test_cases", {})
    return {
        "operations": report.get("operations", {}).get("tested"),
        "cases": cases.get("generated"),
        "cases_with_failures": cases.get("with_failures"),
        "unique_failures": cases.get("unique_failures"),
        "failures": report.get("failures", []),
        "errors": report.get("errors", []),
        "seed": report.get("seed"),
        "exit_code": report.get("exit_code"),
        "seconds": round(seconds, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--max-examples", type=int, default=80, help="cases per operation and phase")
    parser.add_argument("--products", type=int, default=300, help="size of the demo catalog")
    parser.add_argument("--data-dir", type=Path, help="reuse (or build into) this data directory")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--log", type=Path, help="write schemathesis' full output here")
    args = parser.parse_args(argv)

    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from fashion_search.api import create_app
    from fashion_search.api.live import LiveServer
    from fashion_search.settings import load_settings

    with tempfile.TemporaryDirectory(prefix="fuzz-api-") as tmp:
        data_dir = args.data_dir or Path(tmp) / "data"
        build_catalog(data_dir, args.products)
        settings = load_settings(data_dir=data_dir, model="fake:64", api={"admin_token": ADMIN_TOKEN})
        report_path = Path(tmp) / "report.json"
        started = time.perf_counter()
        with LiveServer(create_app(settings)) as server:
            result = run_schemathesis(server.url, args, report_path, Path(tmp))
        seconds = time.perf_counter() - started
        if args.log is not None:
            args.log.write_text(result.stdout + result.stderr, encoding="utf-8")
        if not report_path.is_file():
            sys.stderr.write(result.stdout[-4000:] + result.stderr[-4000:])
            return 2
        summary = summarise(json.loads(report_path.read_text(encoding="utf-8")), seconds)
    print(json.dumps(summary))
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-8000:])
    return 0 if result.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
