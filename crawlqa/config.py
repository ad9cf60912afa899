"""The one place that reads the environment. Everything else takes plain values."""

from __future__ import annotations

from typing import Literal

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Environment settings: the OpenAI-compatible endpoint and crawlqa defaults."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", populate_by_name=True)

    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    crawlqa_model: str = "gpt-4o-mini"
    crawlqa_llm: Literal["auto", "offline", "openai"] = "auto"
    crawlqa_dedup_redis_url: str | None = None

    def llm_mode(self, requested: str | None = None) -> Literal["offline", "openai"]:
        """``auto`` means: the real model when an endpoint or key is configured, else offline."""
        mode = requested or self.crawlqa_llm
        if mode == "auto":
            return "openai" if (self.openai_api_key or self.openai_base_url) else "offline"
        if mode not in ("offline", "openai"):
            raise ValueError(f"--llm must be offline, openai or auto, not {mode!r}")
        return mode  # type: ignore[return-value]


def load_settings() -> Settings:
    return Settings()


def make_job_config(
    roots: list[str],
    *,
    out: str = "data",
    run_id: str | None = None,
    llm: str | None = None,
    model: str | None = None,
    crawl: dict | None = None,
    synth: dict | None = None,
    filters: dict | None = None,
    llm_options: dict | None = None,
    settings: Settings | None = None,
    **job: object,
):
    """Build a ``JobConfig`` from plain values plus the environment (the CLI and the flows use this)."""
    from crawlers.config import CrawlConfig
    from filters.config import FilterConfig
    from pipelines.job import JobConfig
    from pipelines.run import default_run_id, validate_run_id
    from synth.config import SynthConfig

    settings = settings or load_settings()
    mode = settings.llm_mode(llm)
    llm_cfg = None
    if mode == "openai":
        from synth.llm.config import LLMConfig

        llm_cfg = LLMConfig(
            model=model or settings.crawlqa_model, base_url=settings.openai_base_url,
            api_key=settings.openai_api_key, **(llm_options or {}),
        )
    return JobConfig(
        roots=roots, out=out, run_id=validate_run_id(run_id or default_run_id()), llm=mode,
        crawl=CrawlConfig(**(crawl or {})), synth=SynthConfig(**(synth or {})),
        filters=FilterConfig(**(filters or {})), llm_config=llm_cfg,
        dedup_redis_url=settings.crawlqa_dedup_redis_url, **job,
    )
