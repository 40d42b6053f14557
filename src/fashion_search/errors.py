"""One error tree for the whole package.

Every error the library raises on purpose derives from :class:`FashionSearchError`. The API maps
these classes to HTTP status codes in one place and the CLI maps them to exit codes in one place;
the core never knows about either. Messages say what was wrong and, where possible, what to do.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

_Code = TypeVar("_Code")


class FashionSearchError(Exception):
    """Base class of every deliberate error in fashion_search."""


class ConfigurationError(FashionSearchError):
    """Settings are invalid or name a backend / model that cannot be used."""


class MissingDependencyError(ConfigurationError):
    """An optional dependency is needed; the message names the extra to install."""

    def __init__(self, package: str, extra: str, purpose: str) -> None:
        super().__init__(
            f"{purpose} needs the '{package}' package: install it with pip install 'fashion-search[{extra}]'"
        )
        self.package = package
        self.extra = extra


class CatalogError(FashionSearchError):
    """The catalog files cannot be read as a whole (missing file, missing columns)."""


class MissingColumnsError(CatalogError):
    """``styles.csv`` lacks required columns."""

    def __init__(self, missing: list[str], found: list[str], expected: list[str]) -> None:
        super().__init__(
            f"styles.csv is missing required column(s) {missing}; found {found}; expected {expected}"
        )
        self.missing = missing
        self.found = found
        self.expected = expected


class ValidationError(FashionSearchError):
    """A request or input value is malformed (bad filter, bad weight, bad query)."""


class FilterError(ValidationError):
    """A metadata filter names an unknown field or operator, or has a value of the wrong type."""


class NotFoundError(FashionSearchError):
    """A product, user or other entity with the given id does not exist."""

    def __init__(self, kind: str, key: object) -> None:
        super().__init__(f"{kind} {key!r} not found")
        self.kind = kind
        self.key = key


class ImageError(ValidationError):
    """An uploaded or catalog image cannot be decoded or is unsafe to decode."""


class PayloadTooLargeError(ValidationError):
    """An upload exceeds the configured size limit."""


class ModelError(FashionSearchError):
    """A model cannot be loaded or does not match the stored vectors."""


class StoreError(FashionSearchError):
    """The store or an index file is unusable (corrupt, wrong schema version, locked)."""


class PipelineError(FashionSearchError):
    """A batch job failed where it ran (e.g. a task on a Spark executor); the message names the cause."""


class IndexCorruptError(StoreError):
    """An index file on disk failed its integrity check; rebuild it with `fashion-search index`."""


def code_for(
    exc: FashionSearchError, codes: Mapping[type[FashionSearchError], _Code], default: _Code
) -> _Code:
    """The code an adapter's table gives ``exc``: the most specific listed class wins, else ``default``."""
    for cls in type(exc).__mro__:
        if cls in codes:
            return codes[cls]
    return default
