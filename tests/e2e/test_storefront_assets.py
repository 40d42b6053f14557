"""The storefront's files as the API serves them (no browser needed): the page at ``/``, every script
and stylesheet it loads, every module those import, and nothing fetched from another host."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from fashion_search.api import create_app
from fashion_search.api.routes.web import web_dir
from fashion_search.settings import load_settings

# `import ... from "./x.js"` and `import("./x.js")` in the page's modules.
IMPORT = re.compile(r"""(?:\bfrom\s*|\bimport\s*\(?\s*)["'](\.{1,2}/[^"']+)["']""")
# src="..." and href="..." in the page.
ASSET = re.compile(r"""\b(?:src|href)="(/static/[^"]+)\"""")
REMOTE = re.compile(r"""(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}[/"')]""", re.IGNORECASE)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(load_settings(data_dir=tmp_path / "data", model="fake:8"), warm_up=False)
    with TestClient(app) as c:
        yield c
    app.state.services.close()


def test_the_page_is_served_at_the_root_for_get_and_head(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-cache"
    assert '<script type="module" src="/static/app.js">' in page.text
    head = client.head("/")
    assert head.status_code == 200 and head.content == b""


def test_every_asset_and_module_resolves(client: TestClient) -> None:
    page = client.get("/").text
    pending = ASSET.findall(page)
    assert {"/static/app.js", "/static/styles.css", "/static/favicon.svg"} <= set(pending)
    seen: set[str] = set()
    types = {".js": "javascript", ".css": "text/css", ".svg": "image/svg+xml"}
    while pending:
        url = pending.pop()
        if url in seen:
            continue
        seen.add(url)
        answer = client.get(url)
        assert answer.status_code == 200, url
        assert types[Path(url).suffix] in answer.headers["content-type"], url
        if url.endswith(".js"):
            base = url.rsplit("/", 1)[0]
            for relative in IMPORT.findall(answer.text):
                assert relative.startswith("./"), f"{url} imports {relative} from outside the folder"
                pending.append(f"{base}/{relative[2:]}")
    # Every module of the folder is reachable from the page (no dead files, no missing ones).
    shipped = {f"/static/{p.name}" for p in web_dir().iterdir() if p.suffix in types}
    assert seen == shipped


def test_nothing_is_loaded_from_another_host() -> None:
    for path in web_dir().iterdir():
        if path.suffix not in {".html", ".js", ".css", ".svg"}:
            continue
        text = path.read_text(encoding="utf-8")
        # The SVG namespace is a name, not a download.
        text = text.replace("http://www.w3.org/2000/svg", "")
        assert REMOTE.findall(text) == [], f"{path.name} refers to another host"


def test_the_package_data_ships_the_storefront() -> None:
    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    data = re.search(r"\[tool\.setuptools\.package-data\]\s*fashion_search\s*=\s*\[([^\]]*)\]", text)
    assert data is not None and '"web/**/*"' in data.group(1)
    assert (web_dir() / "index.html").is_file()
