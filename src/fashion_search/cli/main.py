"""The `fashion-search` Typer application: registers one function per command."""

from __future__ import annotations

import typer

from fashion_search.cli.attributes import attributes_command
from fashion_search.cli.catalog import ingest_command
from fashion_search.cli.demo import demo_command
from fashion_search.cli.embed import embed_command
from fashion_search.cli.eval import eval_command
from fashion_search.cli.index import index_command
from fashion_search.cli.lakehouse import export_command, import_command
from fashion_search.cli.report import report_command
from fashion_search.cli.search import search_command
from fashion_search.cli.serve import serve_command
from fashion_search.cli.train import train_command


def create_cli() -> typer.Typer:
    app = typer.Typer(
        name="fashion-search",
        help="Visual search and personalised recommendation for fashion catalogs.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )
    app.command("ingest")(ingest_command)
    app.command("embed")(embed_command)
    app.command("attributes")(attributes_command)
    app.command("index")(index_command)
    app.command("search")(search_command)
    app.command("train")(train_command)
    app.command("eval")(eval_command)
    app.command("report")(report_command)
    app.command("demo")(demo_command)
    app.command("export")(export_command)
    app.command("import")(import_command)
    app.command("serve")(serve_command)
    return app


def main() -> None:
    create_cli()()
