"""The one place that reads the environment. Everything else takes plain values."""

from __future__ import annotations

import os
from typing import Literal

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

# No telemetry from Prefect's (ephemeral) server, whoever imports crawlqa: set before Prefect is
# imported (it reads its settings then); a value the user set wins.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

# The command line's quiet terminal (``crawlqa.cli`` applies them before importing Prefect): no
# banners, Prefect's own logs from WARNING up, no UI for the temporary server of a CLI run.
PREFECT_DEFAULTS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_UI_ENABLED": "false",
}


def quiet_third_parties() -> None:
    for k, v in PREFECT_DEFAULTS.items():
        os.environ.setdefault(k, v)


class Settings(BaseSettings):
    """Environment settings: the OpenAI-compatible endpoint and crawlqa defaults."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", populate_by_name=True)

    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    crawlqa_model: str = "gpt-4o-mini"
    crawlqa_llm: Literal["auto", "offline", "openai"] = "auto"
    crawlqa_dedup_redis_url: str | None = None
    crawlqa_max_proposals: int | None = Field(
        None, ge=0, description="LLM page-pair proposals per run (default 8 with a model, always 0 offline)")
    crawlqa_llm_token_param: Literal["auto", "max_tokens", "max_completion_tokens"] = "auto"
    crawlqa_llm_temperature: str | None = Field(
        None, description="sampling temperature; 'none' = not sent (reasoning models); unset = 0")

    def llm_mode(self, requested: str | None = None, base_url: str | None = None) -> Literal["offline", "openai"]:
        """``auto`` means: the real model when an endpoint or key is configured (the environment, or
        ``base_url`` from the config file), else offline."""
        mode = requested or self.crawlqa_llm
        if mode == "auto":
            return "openai" if (self.openai_api_key or self.openai_base_url or base_url) else "offline"
        if mode not in ("offline", "openai"):
            raise ValueError(f"--llm must be offline, openai or auto, not {mode!r}")
        return mode  # type: ignore[return-value]


DEFAULT_MAX_PROPOSALS = 8


def parse_temperature(value: str) -> float | None:
    """A temperature as given on the command line or in the environment: ``"none"`` → None (the
    request leaves it out, for reasoning models); a number → that number."""
    if value.strip().lower() in ("none", "omit", "default", ""):
        return None
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"temperature must be a number or 'none', not {value!r}") from None


ENV_TABLE_PREFIX = "CRAWLQA_"


def env_tables(environ: dict[str, str] | None = None) -> dict[str, dict[str, tuple[str, object]]]:
    """Config-file keys set in the environment: ``CRAWLQA_<TABLE>__<KEY>`` (``CRAWLQA_CRAWL__MAX_PAGES=500``,
    ``CRAWLQA_JOB__OUT=/srv/data``); the value is read as a TOML value (``500``, ``true``,
    ``["/tag/"]``), else taken as a string. Returns table -> key -> (variable, value)."""
    import tomllib

    out: dict[str, dict[str, tuple[str, object]]] = {}
    for var, raw in (os.environ if environ is None else environ).items():
        if not var.startswith(ENV_TABLE_PREFIX) or "__" not in var:
            continue
        table, _, key = var[len(ENV_TABLE_PREFIX):].partition("__")
        try:
            value: object = tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            value = raw
        out.setdefault(table.lower(), {})[key.lower()] = (var, value)
    return out


def load_settings() -> Settings:
    """The environment settings; a bad value is a ``ConfigError`` naming the variable."""
    try:
        return Settings()
    except ValidationError as exc:
        from crawlqa.configfile import ConfigError, first_error

        key, msg = first_error(exc)
        raise ConfigError(f"environment {key.upper()}: {msg}", section="env", key=key) from None


def _build(model: type, values: dict, section: str):
    """``model(**values)``; a validation error becomes a ``ConfigError`` naming ``[section] key``."""
    from crawlqa.configfile import ConfigError, first_error

    try:
        return model(**values)
    except ValidationError as exc:
        key, msg = first_error(exc)
        raise ConfigError(f"[{section}] {key}: {msg}", section=section, key=key.split(".")[0]) from None


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
    options = dict(llm_options or {})
    file_base_url = options.pop("base_url", None)
    mode = settings.llm_mode(llm, file_base_url)
    llm_cfg = None
    from synth.llm.config import LLMConfig

    if isinstance(options.get("temperature"), str):  # "none" in a file: TOML has no null
        options["temperature"] = parse_temperature(options["temperature"])
    options.setdefault("token_param", settings.crawlqa_llm_token_param)
    if settings.crawlqa_llm_temperature is not None:
        options.setdefault("temperature", parse_temperature(settings.crawlqa_llm_temperature))
    options.pop("model", None)  # the ``model`` argument (the command line's, else the file's)
    checked = _build(LLMConfig, {"model": model or settings.crawlqa_model,  # validated offline too
                                 "base_url": settings.openai_base_url or file_base_url,
                                 "api_key": settings.openai_api_key, **options}, "llm")
    if mode == "openai":
        llm_cfg = checked
    synth = dict(synth or {})
    _build(SynthConfig, synth, "synth")  # the values as given (offline overrides max_proposals below)
    if mode == "offline":  # proposals need a model: the offline writer would only reject them
        synth["max_proposals"] = 0
    else:
        synth.setdefault("max_proposals", settings.crawlqa_max_proposals if settings.crawlqa_max_proposals
                         is not None else DEFAULT_MAX_PROPOSALS)
        # the model writes in the page's language (the prompts ask for it, the language filter checks
        # it); the offline templates are English, so offline runs keep the default ["en"]
        synth.setdefault("languages", [])
    crawl_cfg = _build(CrawlConfig, crawl or {}, "crawl")
    synth_cfg = _build(SynthConfig, synth, "synth")
    filter_cfg = _build(FilterConfig, filters or {}, "filter")
    return _build(JobConfig, dict(
        roots=roots, out=out, run_id=validate_run_id(run_id or default_run_id()), llm=mode,
        crawl=crawl_cfg, synth=synth_cfg, filters=filter_cfg, llm_config=llm_cfg,
        dedup_redis_url=settings.crawlqa_dedup_redis_url, **job,
    ), "job")


def e2h_config(options: dict):
    """``E2HConfig`` from plain values; a bad value is a ``ConfigError`` naming ``[e2h] key``."""
    from synth.e2h.config import E2HConfig

    return _build(E2HConfig, options, "e2h")


def effective_tables(resolved, settings: Settings | None = None) -> dict[str, dict]:
    """The config a run would use, one table per model (``crawlqa config show``): the resolved
    file + command-line values over the environment and the defaults; no secret."""
    from synth.llm.config import LLMConfig

    settings = settings or load_settings()
    job = resolved.job
    roots = job.get("roots")
    kw = resolved.job_config_kwargs()
    cfg = make_job_config(["http://127.0.0.1/"], settings=settings, **kw)
    options = dict(kw["llm_options"] or {})
    base_url = options.pop("base_url", None)
    options.pop("model", None)
    if isinstance(options.get("temperature"), str):
        options["temperature"] = parse_temperature(options["temperature"])
    options.setdefault("token_param", settings.crawlqa_llm_token_param)
    if settings.crawlqa_llm_temperature is not None:
        options.setdefault("temperature", parse_temperature(settings.crawlqa_llm_temperature))
    llm = cfg.llm_config or _build(LLMConfig, {"model": kw["model"] or settings.crawlqa_model,
                                               "base_url": settings.openai_base_url or base_url, **options}, "llm")
    e2h = dict(resolved.e2h)
    e2h_extra = {k: e2h.pop(k) for k in ("corpus", "seeds") if k in e2h}
    return {
        "job": {"roots": roots, "out": str(cfg.out), "run_id": job.get("run_id"), "llm": cfg.llm,
                "engine": job.get("engine") or "prefect", "task_runner": job.get("task_runner") or "threads",
                "dask_address": job.get("dask_address"), "workers": job.get("workers") or 2,
                "crawl_parts": cfg.crawl_parts, "candidates_per_shard": cfg.candidates_per_shard,
                "rows_per_shard": cfg.rows_per_shard},
        "crawl": cfg.crawl.model_dump(mode="json"),
        "synth": cfg.synth.model_dump(mode="json"),
        "filter": cfg.filters.model_dump(mode="json"),
        "llm": llm.model_dump(mode="json", exclude={"api_key"}),
        "e2h": {"corpus": e2h_extra.get("corpus") or str(cfg.out / "latest"), "seeds": e2h_extra.get("seeds"),
                **e2h_config(e2h).model_dump(mode="json")},
    }
