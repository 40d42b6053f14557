"""Lakehouse interop: products, users, events and vectors as Parquet files or Delta tables."""

from fashion_search.lakehouse.formats import FORMATS
from fashion_search.lakehouse.schema import SCHEMAS, TABLES
from fashion_search.lakehouse.transfer import TransferReport, export_store, import_store

__all__ = ["FORMATS", "SCHEMAS", "TABLES", "TransferReport", "export_store", "import_store"]
