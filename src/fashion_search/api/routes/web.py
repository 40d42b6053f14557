"""The storefront: ``/`` serves the page, ``/static/*`` its scripts, styles and icon (no build step)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from fashion_search.errors import ConfigurationError

STATIC_PREFIX = "/static"
# Revalidate every time (cheap with ETags): a page that mixes an old and a new module breaks.
NO_CACHE = {"Cache-Control": "no-cache"}


def web_dir() -> Path:
    """The folder that holds index.html and the storefront's assets, inside the installed package."""
    folder = Path(str(files("fashion_search").joinpath("web")))
    if not (folder / "index.html").is_file():
        raise ConfigurationError(
            f"the storefront's files are missing from {folder}; reinstall fashion-search (its package "
            "data includes web/**)"
        )
    return folder


class _RevalidatedFiles(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update(NO_CACHE)
        return response


def install_storefront(app: FastAPI) -> None:
    """Serve the storefront page at ``/`` and its assets under ``/static`` on ``app``."""
    folder = web_dir()
    index = folder / "index.html"

    @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
    def storefront() -> FileResponse:
        return FileResponse(index, media_type="text/html; charset=utf-8", headers=NO_CACHE)

    app.mount(STATIC_PREFIX, _RevalidatedFiles(directory=folder), name="static")
