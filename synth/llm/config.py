"""Configuration of the LLM client: plain values, filled by ``crawlqa/config.py`` from the environment.

The API key is a ``SecretStr``: its ``repr``/``str``/JSON dump show ``**********``; use
:meth:`LLMConfig.public_dict` for manifests and logs (it leaves the key out entirely).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

DEFAULT_BASE_URL = "https://api.openai.com/v1"


class LLMConfig(BaseModel):
    """Model, endpoint, sampling, concurrency, retries, budget and cache of one LLM client."""

    model_config = ConfigDict(extra="forbid")

    model: str = "gpt-4o-mini"
    base_url: str | None = Field(None, description="OpenAI-compatible endpoint ending in /v1; None = OpenAI")
    api_key: SecretStr | None = Field(None, description="never logged, never written")
    temperature: float | None = Field(0.0, description="None = not sent (the model's default)")
    max_tokens: int = Field(512, ge=1, description="cap on the answer's tokens (reasoning models: including reasoning)")
    token_param: Literal["auto", "max_tokens", "max_completion_tokens"] = Field(
        "auto", description="request field for max_tokens; auto: max_tokens, switching to max_completion_tokens "
                            "when the model rejects max_tokens (OpenAI o-series / gpt-5)")
    concurrency: int = Field(8, ge=1, description="cap of the adaptive in-flight limit")
    timeout: float = Field(60, gt=0, description="seconds per HTTP attempt")
    max_retries: int = Field(4, ge=0, description="the openai client's own retries (5xx, timeouts, connection)")
    token_budget: int | None = Field(None, ge=0, description="stop new calls when prompt+completion tokens reach it")
    cache_path: Path | None = Field(None, description="SQLite response cache; None = in-memory for this client")
    structured: Literal["json_schema", "json_object", "auto"] = Field(
        "auto", description="auto: json_schema, falling back to json_object then plain text if the server rejects it")
    rate_limit_retries: int = Field(10, ge=0, description="re-sends of one request after HTTP 429 (ours, not the client's)")
    max_retry_after: float = Field(60.0, gt=0, description="cap on a server's Retry-After pause (seconds)")
    max_failed_calls: float = Field(
        0.5, ge=0, le=1, description="a write shard fails (not marked done; retried, redone on a re-run) when more "
                                     "than this share of its requests failed to get an answer (HTTP errors, 429s, "
                                     "timeouts, connection errors); 1 = never")
    http_backend: Literal["auto", "httpx", "aiohttp"] = Field(
        "auto", description="the openai client's HTTP transport; auto = aiohttp when installed (less CPU per call)")

    def public_dict(self) -> dict:
        """The config for manifests and logs: JSON values, no API key."""
        d = self.model_dump(mode="json", exclude={"api_key"})
        d["key_configured"] = self.api_key is not None
        return d
