"""``crawlqa.toml``: the whole job in one file, one table per config model, the models' own field names.

```toml
[job]     # roots, out, run_id, llm (auto|offline|openai), engine, task_runner, crawl_parts ...
roots = "roots.txt"            # a roots file, or a list of URLs
[crawl]   # crawlers.config.CrawlConfig
max_pages = 500
deny = ["/tag/", "\\?page="]
[crawl.domains."example.org"]
delay = 1.0
[synth]   # synth.config.SynthConfig
[filter]  # filters.config.FilterConfig
[llm]     # synth.llm.config.LLMConfig (no api_key: OPENAI_API_KEY stays in the environment)
[e2h]     # synth.e2h.config.E2HConfig, plus corpus and seeds
```

The file is read from ``--config FILE`` (or the flows' ``config`` parameter), else ``crawlqa.toml`` in
the working folder when there is one. Input files it names (``[job] roots``, ``[e2h] seeds``) are
relative to the file's folder; ``out`` and ``corpus`` to the working folder. Every table is validated by its model when the file is read;
an error names the file, the table and the key. Precedence: command line > environment
(``CRAWLQA_*``, ``OPENAI_BASE_URL``, and any key as ``CRAWLQA_<TABLE>__<KEY>``) > file > the models'
defaults (``resolve``).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

CONFIG_NAME = "crawlqa.toml"
NO_FILE = "none"  # a ``config`` value meaning: read no file at all
MAX_CONFIG_BYTES = 1_000_000


class ConfigError(ValueError):
    """A configuration value is unusable; ``where`` names it (``[crawl] max_pages``)."""

    def __init__(self, message: str, *, section: str = "", key: str = "", source: str = "") -> None:
        super().__init__(message)
        self.section, self.key, self.source = section, key, source


class JobSection(BaseModel):
    """``[job]``: what to run and where the output goes."""

    model_config = ConfigDict(extra="forbid")

    roots: list[str] | str | None = Field(None, description="a roots file (one URL per line), or a list of root URLs")
    out: str | None = Field(None, description="output folder; the run folder is OUT/RUN_ID (default data)")
    run_id: str | None = Field(None, description="run id (default: a UTC timestamp)")
    llm: Literal["auto", "offline", "openai"] | None = Field(
        None, description="writer: auto = a model when OPENAI_API_KEY/OPENAI_BASE_URL/[llm] base_url is set")
    engine: Literal["prefect", "local"] | None = Field(None, description="run as a Prefect flow, or plain Python")
    task_runner: Literal["threads", "dask"] | None = Field(None, description="where per-shard tasks run")
    dask_address: str | None = Field(None, description="scheduler address of an existing Dask cluster")
    workers: int | None = Field(None, ge=1, description="task-runner workers")
    crawl_parts: int | None = Field(None, ge=1, description="crawl tasks, each with a share of the roots")
    candidates_per_shard: int | None = Field(None, ge=1, description="candidates per write task")
    rows_per_shard: int | None = Field(None, ge=1, description="rows per qa/rejects shard")


def _section_models() -> dict[str, type[BaseModel]]:
    from crawlers.config import CrawlConfig
    from filters.config import FilterConfig
    from synth.config import SynthConfig
    from synth.e2h.config import E2HConfig
    from synth.llm.config import LLMConfig

    return {"job": JobSection, "crawl": CrawlConfig, "synth": SynthConfig, "filter": FilterConfig,
            "llm": LLMConfig, "e2h": E2HConfig}


E2H_EXTRA = ("corpus", "seeds")  # [e2h] keys that are job inputs, not E2HConfig fields
SECTIONS = ("job", "crawl", "synth", "filter", "llm", "e2h")


def first_error(exc: ValidationError) -> tuple[str, str]:
    """(dotted key, message) of a validation error's first problem, with the value it got."""
    e = exc.errors()[0]
    key = ".".join(str(x) for x in e["loc"])
    msg = e["msg"].removeprefix("Value error, ")
    if e["type"] == "extra_forbidden":
        msg = "unknown key"
    elif "input" in e and not isinstance(e["input"], dict):
        shown = repr(e["input"])
        msg += f" (got {shown[:80]}{'...' if len(shown) > 80 else ''})"
    more = len(exc.errors()) - 1
    return key, msg + (f"; and {more} more problem(s)" if more else "")


def validate_section(section: str, values: dict, *, source: str = "") -> dict:
    """Check one table against its model; return it unchanged (only the keys given)."""
    models = _section_models()
    if section not in models:
        raise ConfigError(f"{source}unknown table [{section}] (known: {', '.join(f'[{s}]' for s in SECTIONS)})",
                          section=section, source=source)
    if not isinstance(values, dict):
        raise ConfigError(f"{source}[{section}] must be a table", section=section, source=source)
    check = dict(values)
    if section == "llm" and "api_key" in check:
        raise ConfigError(f"{source}[llm] api_key: not in a file: set OPENAI_API_KEY in the environment",
                          section="llm", key="api_key", source=source)
    if section == "llm" and isinstance(check.get("temperature"), str):  # "none": TOML has no null
        from crawlqa.config import parse_temperature

        try:
            check["temperature"] = parse_temperature(check["temperature"])
        except ValueError as exc:
            raise ConfigError(f"{source}[llm] temperature: {exc}", section="llm", key="temperature",
                              source=source) from None
    if section == "e2h":
        for k in E2H_EXTRA:
            if k in check and not isinstance(check.pop(k), str | None):
                raise ConfigError(f"{source}[e2h] {k}: must be a path", section="e2h", key=k, source=source)
    try:
        models[section].model_validate(check)
    except ValidationError as exc:
        key, msg = first_error(exc)
        where = f"[{section}] {key}" if key else f"[{section}]"
        raise ConfigError(f"{source}{where}: {msg}", section=section, key=key, source=source) from None
    return dict(values)


@dataclass
class FileConfig:
    """The tables of a config file (only the keys it sets), validated."""

    path: Path | None = None
    sections: dict[str, dict] = field(default_factory=dict)

    def get(self, section: str) -> dict:
        return dict(self.sections.get(section, {}))


def find(path: str | Path | None, cwd: Path | None = None) -> Path | None:
    """The config file to read: ``path`` (must exist), else ``crawlqa.toml`` in ``cwd`` if present."""
    if path is not None and str(path).lower() == NO_FILE:
        return None
    if path is not None:
        p = Path(path)
        if not p.is_file():
            raise ConfigError(f"config file not found: {p}")
        return p
    p = (cwd or Path.cwd()) / CONFIG_NAME
    return p if p.is_file() else None


def load(path: str | Path | None = None, *, cwd: Path | None = None) -> FileConfig:
    """Read and validate the config file (none found: an empty config)."""
    p = find(path, cwd)
    if p is None:
        return FileConfig()
    if p.stat().st_size > MAX_CONFIG_BYTES:
        raise ConfigError(f"{p}: config file larger than {MAX_CONFIG_BYTES:,} bytes")
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{p}: not valid TOML: {exc}") from None
    source = f"{p}: "
    sections = {name: validate_section(name, values, source=source) for name, values in data.items()}
    _inputs_relative_to(p.parent, sections)
    return FileConfig(path=p, sections=sections)


def _inputs_relative_to(folder: Path, sections: dict[str, dict]) -> None:
    """Input files the file names (``[job] roots``, ``[e2h] seeds``) are relative to its folder;
    output locations (``out``, ``corpus``) stay relative to the working folder."""
    from pipelines.roots import is_url_spec

    job, e2h = sections.get("job", {}), sections.get("e2h", {})
    if isinstance(job.get("roots"), str) and not is_url_spec(job["roots"]):
        job["roots"] = str(folder / job["roots"]) if not Path(job["roots"]).is_absolute() else job["roots"]
    if isinstance(job.get("roots"), list):
        job["roots"] = [r if is_url_spec(r) or Path(r).is_absolute() else str(folder / r) for r in job["roots"]]
    if isinstance(e2h.get("seeds"), str) and not Path(e2h["seeds"]).is_absolute():
        e2h["seeds"] = str(folder / e2h["seeds"])


# Keys the environment also sets: a set environment variable wins over the file.
ENV_OVERRIDES = {("job", "llm"): "crawlqa_llm", ("llm", "model"): "crawlqa_model",
                 ("synth", "max_proposals"): "crawlqa_max_proposals",
                 ("llm", "token_param"): "crawlqa_llm_token_param",
                 ("llm", "temperature"): "crawlqa_llm_temperature", ("llm", "base_url"): "openai_base_url"}


@dataclass
class Resolved:
    """Everything ``make_job_config`` and the runners need, merged in precedence order."""

    job: dict[str, Any]
    crawl: dict[str, Any]
    synth: dict[str, Any]
    filters: dict[str, Any]
    llm_options: dict[str, Any]
    e2h: dict[str, Any]
    model: str | None
    llm: str | None
    sources: dict[tuple[str, str], str]  # (section, key) -> "cli" | "file" (the env is in Settings)

    def job_config_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of ``crawlqa.config.make_job_config`` (besides the roots)."""
        extra = {k: self.job[k] for k in ("candidates_per_shard", "rows_per_shard", "crawl_parts")
                 if self.job.get(k) is not None}
        kw: dict[str, Any] = {"out": self.job.get("out") or "data", "run_id": self.job.get("run_id"),
                              "llm": self.llm, "model": self.model, "crawl": self.crawl, "synth": self.synth,
                              "filters": self.filters, "llm_options": self.llm_options}
        return kw | extra


def environment_values(env: dict[str, dict[str, tuple[str, Any]]]) -> dict[str, dict]:
    """``CRAWLQA_<TABLE>__<KEY>`` values (``crawlqa.config.env_tables``), validated; an error names
    the variable."""
    out: dict[str, dict] = {}
    for section, keys in env.items():
        for key, (var, value) in keys.items():
            try:
                validate_section(section, {key: value})
            except ConfigError as exc:
                msg = str(exc)
                if section not in SECTIONS:
                    msg = f"no table [{section}] (known: {', '.join(f'[{s}]' for s in SECTIONS)})"
                elif ": " in msg:
                    msg = msg.split(": ", 1)[1]
                raise ConfigError(f"environment {var}: {msg}", section=section, key=key, source="env") from None
            out.setdefault(section, {})[key] = value
    return out


def resolve(fc: FileConfig, cli: dict[str, dict] | None = None, settings: Any = None,
            env: dict[str, dict[str, tuple[str, Any]]] | None = None) -> Resolved:
    """Defaults < file < environment (``CRAWLQA_*``/``OPENAI_*`` settings, ``CRAWLQA_<TABLE>__<KEY>``)
    < command line (``cli``: section -> {key: value} of the options given, None values ignored)."""
    from crawlqa.config import env_tables, load_settings

    settings = settings or load_settings()
    env_set = settings.model_fields_set
    from_env = environment_values(env_tables() if env is None else env)
    cli = {s: {k: v for k, v in (vals or {}).items() if v is not None} for s, vals in (cli or {}).items()}
    merged: dict[str, dict] = {}
    sources: dict[tuple[str, str], str] = {}
    for section in SECTIONS:
        values = {k: v for k, v in fc.get(section).items()
                  if ENV_OVERRIDES.get((section, k)) not in env_set}
        sources.update({(section, k): "file" for k in values})
        values |= from_env.get(section, {})
        sources.update({(section, k): "env" for k in from_env.get(section, {})})
        given = cli.get(section, {})
        sources.update({(section, k): "cli" for k in given})
        merged[section] = values | given
    llm_options = dict(merged["llm"])
    model = llm_options.pop("model", None)
    e2h = dict(merged["e2h"])
    return Resolved(job=merged["job"], crawl=merged["crawl"], synth=merged["synth"], filters=merged["filter"],
                    llm_options=llm_options, e2h=e2h, model=model, llm=merged["job"].get("llm"), sources=sources)


# --- printing -----------------------------------------------------------------------------------
def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(type(v).__name__)


def _toml_key(k: str) -> str:
    return k if k.replace("_", "").replace("-", "").isalnum() else _toml_value(k)


def to_toml(tables: dict[str, dict]) -> str:
    """A small TOML writer for the effective config (None values become comments)."""
    lines: list[str] = []

    def table(name: str, values: dict) -> None:
        lines.append(f"[{name}]")
        subs = []
        for k, v in values.items():
            if isinstance(v, dict):
                subs.append((k, v))
            elif v is None:
                lines.append(f"# {_toml_key(k)} = (unset)")
            else:
                lines.append(f"{_toml_key(k)} = {_toml_value(v)}")
        lines.append("")
        for k, v in subs:
            if v and all(isinstance(x, dict) for x in v.values()):
                for kk, vv in v.items():
                    table(f"{name}.{_toml_key(k)}.{_toml_key(kk)}", vv)
            else:
                table(f"{name}.{_toml_key(k)}", v)

    for name, values in tables.items():
        table(name, values)
    return "\n".join(lines)


def flow_config(config: str | None, *, job: dict, crawl: dict | None = None, synth: dict | None = None,
                filters: dict | None = None, llm: dict | None = None, model: str | None = None,
                e2h: dict | None = None) -> Resolved:
    """A flow's parameters (None = not given) over its config file (``config``: a path, None for
    ``./crawlqa.toml`` when present, ``"none"`` for no file) and the environment."""
    fc = load(config)
    return resolve(fc, {"job": job, "crawl": crawl or {}, "synth": synth or {}, "filter": filters or {},
                        "llm": {**(llm or {}), "model": model}, "e2h": e2h or {}})
