"""Settings: one pydantic-settings class with nested sections.

Read from ``FASHION_SEARCH_*`` environment variables (nested with ``__``, e.g.
``FASHION_SEARCH_RANKING__W_USER=0.4``) and an optional TOML file (``--config`` on the CLI or
``FASHION_SEARCH_CONFIG``). Built in entry points and passed down; never instantiated at import.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from fashion_search.errors import ConfigurationError

CONFIG_ENV = "FASHION_SEARCH_CONFIG"


class RankingSettings(BaseModel):
    w_visual: float = Field(0.5, ge=0.0, le=1.0)
    w_user: float = Field(0.3, ge=0.0, le=1.0)
    w_attribute: float = Field(0.2, ge=0.0, le=1.0)
    mmr_lambda: float = Field(0.7, ge=0.0, le=1.0, description="1 = pure relevance, 0 = pure diversity")
    candidate_pool: int = Field(200, ge=10, le=5000, description="candidates re-ranked per page")
    keyword_weight: float = Field(
        0.5, ge=0.0, le=1.0, description="weight of the keyword (BM25) ranking in rank fusion"
    )


class ApiSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    max_upload_bytes: int = Field(10 * 1024 * 1024, ge=1024)
    max_image_pixels: int = Field(40_000_000, ge=10_000)
    max_request_bytes: int | None = Field(
        None,
        ge=1024,
        description="largest request body of any kind (default: room for one base64 upload)",
    )
    rate_limit_per_second: float = Field(
        0.0, ge=0.0, description="sustained requests per second per client address; 0 turns the limit off"
    )
    rate_limit_burst: int = Field(50, ge=1, description="requests a client may send at once above the rate")
    admin_token: SecretStr | None = Field(
        None, description="bearer token of the /admin routes; unset, they answer 403 to everyone"
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="of the server's JSON log lines on stderr (INFO: one line per request)"
    )


class StylistSettings(BaseModel):
    anthropic_api_key: SecretStr | None = None
    model: str = "claude-sonnet-4-5"
    base_url: str | None = None
    max_steps: int = Field(6, ge=1, le=20)


class Settings(BaseSettings):
    """Everything configurable, with defaults that make the first run work anywhere."""

    model_config = SettingsConfigDict(
        env_prefix="FASHION_SEARCH_",
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
    )

    data_dir: Path = Field(Path("fashion-search-data"), description="where the embedded store lives")
    store_uri: str | None = Field(
        None, description="a local directory (default: data_dir) or postgresql://user@host/db"
    )
    index: Literal["auto", "exact", "hnsw"] = Field(
        "auto", description="auto = exact below hnsw_threshold products, HNSW above"
    )
    hnsw_threshold: int = Field(200_000, ge=0)
    hnsw_partition_fields: list[str] = Field(
        ["gender", "master_category", "base_colour"],
        description="text fields whose values get their own HNSW sub-graph (or exact block), so = / in "
        "filters on them walk a small graph instead of the whole one; the storefront's facets by default "
        "([] = none: smaller and faster to build); rebuild the index after a change",
    )
    model: str = Field(
        "fashion-lite", description="fashion-lite | fashion-lite:/model/dir | clip:/dir | fake:64"
    )
    model_cache_dir: Path | None = Field(
        None, description="where exported ONNX graphs are cached (default: data_dir/models)"
    )
    hybrid_image_weight: float = Field(
        0.5, ge=0.0, le=1.0, description="weight of the image vector in the hybrid vector"
    )
    embed_batch_size: int = Field(32, ge=1, le=1024)
    catalog_dir: Path | None = Field(None, description="folder holding styles.csv and images/")
    seed: int = 0
    ranking: RankingSettings = RankingSettings()
    api: ApiSettings = ApiSettings()
    stylist: StylistSettings = StylistSettings()

    @model_validator(mode="after")
    def _check_weights(self) -> Settings:
        r = self.ranking
        if r.w_visual + r.w_user + r.w_attribute <= 0:
            raise ValueError("ranking weights must not all be zero")
        return self

    @property
    def resolved_store_uri(self) -> str:
        return self.store_uri or str(self.data_dir)

    @property
    def resolved_model_cache_dir(self) -> Path:
        return self.model_cache_dir or (self.data_dir / "models")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_path = os.environ.get(CONFIG_ENV)
        if config_path:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(config_path)))
        return tuple(sources)


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Build Settings from env, an optional TOML file and explicit overrides (highest priority).

    Raises :class:`ConfigurationError` with pydantic's explanation when a value is invalid.
    """
    from pydantic import ValidationError as PydanticValidationError

    if config_file is not None and not Path(config_file).is_file():
        raise ConfigurationError(f"config file {config_file} does not exist")
    previous = os.environ.get(CONFIG_ENV)
    try:
        if config_file is not None:
            os.environ[CONFIG_ENV] = str(config_file)
        # Anthropic's conventional variable is honoured when the prefixed one is not set.
        clean = {k: v for k, v in overrides.items() if v is not None}
        settings = Settings(**clean)
        if settings.stylist.anthropic_api_key is None and os.environ.get("ANTHROPIC_API_KEY"):
            settings.stylist.anthropic_api_key = SecretStr(os.environ["ANTHROPIC_API_KEY"])
        return settings
    except PydanticValidationError as exc:
        raise ConfigurationError(f"invalid settings: {exc}") from exc
    finally:
        if config_file is not None:
            if previous is None:
                os.environ.pop(CONFIG_ENV, None)
            else:
                os.environ[CONFIG_ENV] = previous
