"""`fashion-search serve`: the REST API on Settings.api.host / port (127.0.0.1:8000 by default)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from fashion_search.cli.common import (
    ConfigOption,
    DataDirOption,
    console,
    handle_errors,
    open_services,
    settings_from,
)

if TYPE_CHECKING:
    from fashion_search.app import Services
    from fashion_search.settings import Settings

PortOption = Annotated[
    int | None, typer.Option("--port", min=0, max=65535, help="port to listen on (default: settings, 8000)")
]
HostOption = Annotated[
    str | None, typer.Option("--host", help="address to bind (default: settings, 127.0.0.1)")
]


def run_server(settings: Settings, services: Services) -> None:
    """Warm ``services`` up, then serve the API with uvicorn until interrupted (Ctrl+C).

    Warming up here, not in the server's start-up, lets a broken catalog or model fail with the
    CLI's one-line error instead of a server traceback.
    """
    import uvicorn

    from fashion_search.api import create_app
    from fashion_search.api.instance import DataDirLock
    from fashion_search.api.logs import configure_logging

    # One server per data directory: a second one refuses here, before loading anything.
    with DataDirLock(settings.data_dir):
        console().print("loading the model, index and shoppers ...")
        services.warm_up()
        app = create_app(settings, services, warm_up=False)
        host, port = settings.api.host, settings.api.port
        console().print(
            f"serving the API on http://{host}:{port}/api/v1 (docs: http://{host}:{port}/api/v1/docs); "
            "Ctrl+C to stop",
            highlight=False,
        )
        configure_logging(settings.api.log_level)
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


def serve_command(
    port: PortOption = None,
    host: HostOption = None,
    config: ConfigOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Serve the REST API (search, products, users, recommendations) for the catalog in the store."""
    with handle_errors():
        settings = with_address(settings_from(config, data_dir), host, port)
        with open_services(settings) as services:
            run_server(settings, services)


def with_address(settings: Settings, host: str | None, port: int | None) -> Settings:
    """``settings`` with the API's host and port replaced where given."""
    update = {k: v for k, v in (("host", host), ("port", port)) if v is not None}
    if not update:
        return settings
    return settings.model_copy(update={"api": settings.api.model_copy(update=update)})
