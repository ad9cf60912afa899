"""The ``crawlqa`` command line: argument parsing → flows/stages. No business logic here.

Every job option can also come from a config file (``crawlqa.toml`` in the working folder, or
``--config FILE``; ``crawlqa/configfile.py``): command line > environment > file > defaults.
"""

from __future__ import annotations

import json
import logging
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from typer.core import TyperOption

# importing crawlqa.config also turns Prefect's server analytics off (before Prefect is imported)
from crawlqa.config import quiet_third_parties


def _no_bool_metavar(self: TyperOption, ctx: Any) -> str | None:
    """Flags show no ``<bool>`` placeholder in the help (they take no value)."""
    return None if self.is_flag else _typer_display_type_rich(self, ctx)


_typer_display_type_rich = TyperOption.display_type_rich
TyperOption.display_type_rich = _no_bool_metavar  # type: ignore[method-assign]

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Manufacture hard, verifiable QA data for web-browsing agents (CRAWLQA + E2HQA).")
config_app = typer.Typer(no_args_is_help=True, help="The config file (crawlqa.toml): show the effective config.")
app.add_typer(config_app, name="config")
console = Console()
err = Console(stderr=True)
STATE: dict[str, Any] = {"quiet": False}


class Engine(StrEnum):
    prefect = "prefect"
    local = "local"


DEFAULT_ENGINE = Engine.prefect  # run, e2h and demo alike ([job] engine in the config file)


class LLMMode(StrEnum):
    auto = "auto"
    offline = "offline"
    openai = "openai"


class TokenParam(StrEnum):
    auto = "auto"
    max_tokens = "max_tokens"
    max_completion_tokens = "max_completion_tokens"


class LogLevel(StrEnum):
    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"


Out = Annotated[Path | None, typer.Option("--out", help="output folder; the run folder is OUT/RUN_ID \\[default: data]")]
RunId = Annotated[str | None, typer.Option("--run-id", help="run id (default: a UTC timestamp); the same id resumes a run")]
ConfigOpt = Annotated[Path | None, typer.Option(
    "--config", help="config file (TOML, one table per config model); default: ./crawlqa.toml when present")]
Roots = Annotated[list[str] | None, typer.Option(
    "--roots", metavar="FILE|URL", help="a roots file (one URL per line, # comments) or a root URL; repeat for more")]
LLMOpt = Annotated[LLMMode | None, typer.Option(
    help="writer: auto = a model when OPENAI_API_KEY/OPENAI_BASE_URL is set, else offline templates \\[default: auto]")]
ModelOpt = Annotated[str | None, typer.Option(help="model name for the openai writer \\[default: gpt-4o-mini]")]
EngineOpt = Annotated[Engine | None, typer.Option(
    help="prefect: a Prefect flow (ephemeral, or PREFECT_API_URL); local: plain Python \\[default: prefect]")]


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            v = version("crawlqa")
        except PackageNotFoundError:
            from crawlqa import __version__ as v
        console.print(f"crawlqa {v}", highlight=False)
        raise typer.Exit(0)


@app.callback()
def main_options(
    ctx: typer.Context,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="print the version and exit")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress and no summary: errors and the run folder only")] = False,
    log_level: Annotated[LogLevel, typer.Option(
        "--log-level", help="crawlqa log lines shown on stderr from this level up")] = LogLevel.WARNING,
) -> None:
    """Manufacture hard, verifiable QA data for web-browsing agents (CRAWLQA + E2HQA)."""
    from rich.logging import RichHandler

    STATE["quiet"] = quiet
    level = logging.ERROR if quiet else getattr(logging, log_level.value)
    lg = logging.getLogger("crawlqa")
    saved = (lg.level, lg.propagate)
    handler = RichHandler(console=err, show_path=False, show_time=False, markup=False, level=level)
    lg.addHandler(handler)
    lg.propagate = False  # Prefect's root console handler would print every line a second time
    if lg.getEffectiveLevel() > level:  # never raised: Prefect's run-log forwarding wants INFO
        lg.setLevel(level)

    def restore() -> None:  # the command is over (matters when the CLI runs in-process, as in tests)
        lg.removeHandler(handler)
        lg.setLevel(saved[0])
        lg.propagate = saved[1]

    ctx.call_on_close(restore)


def _quiet_prefect() -> None:
    """No banners and Prefect's logs from WARNING up on the terminal; called before Prefect is imported."""
    quiet_third_parties()


def _fail(msg: str, code: int = 2) -> typer.Exit:
    from rich.markup import escape

    err.print(f"[red]error:[/red] {escape(msg)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


# The command-line option of each config key (for errors that name what the user typed).
OPTION_OF = {("crawl", "download_delay"): "--delay", ("crawl", "obey_robots"): "--no-robots",
             ("llm", "concurrency"): "--llm-concurrency", ("llm", "token_param"): "--llm-token-param",
             ("job", "llm"): "--llm", ("llm", "model"): "--model"}


def _config_error(exc: Exception, resolved: Any = None) -> typer.Exit:
    """A ``ConfigError`` as one line naming the option the user gave (or the file key)."""
    section, key = getattr(exc, "section", ""), getattr(exc, "key", "")
    msg = str(exc)
    if resolved is not None and resolved.sources.get((section, key)) == "cli":
        option = OPTION_OF.get((section, key), "--" + key.replace("_", "-"))
        msg = f"{option}: {msg.split(': ', 1)[1] if ': ' in msg else msg}"
    elif resolved is not None and resolved.sources.get((section, key)) == "file" and getattr(exc, "source", "") == "":
        from crawlqa import configfile

        msg = f"{STATE.get('config_path') or configfile.CONFIG_NAME}: {msg}"
    return _fail(msg)


def _file_config(config: Path | None):
    from crawlqa import configfile

    try:
        fc = configfile.load(config)
    except configfile.ConfigError as exc:
        raise _fail(str(exc)) from None
    STATE["config_path"] = str(fc.path) if fc.path else None
    return fc


def _resolve(fc: Any, cli: dict[str, dict]):
    from crawlqa import configfile
    from crawlqa.config import load_settings

    try:
        return configfile.resolve(fc, cli, load_settings())
    except configfile.ConfigError as exc:
        raise _fail(str(exc)) from None


def _load_roots(specs: list[str] | None, file_roots: list[str] | str | None = None) -> list[str]:
    from rich.markup import escape

    from pipelines.roots import RootsError, load_root_specs

    if not specs:
        if file_roots is None:
            raise _fail("no roots: give --roots FILE|URL (repeatable) or [job] roots in the config file")
        specs = [file_roots] if isinstance(file_roots, str) else list(file_roots)
    try:
        parsed = load_root_specs(list(specs))
    except RootsError as exc:
        raise _fail(str(exc)) from None
    for p in parsed.problems:
        err.print(f"[yellow]skipped[/yellow] {escape(p)}", highlight=False, soft_wrap=True)
    return parsed.urls


def _crawl_opts(*, max_depth: int | None = None, max_pages: int | None = None,
                max_pages_per_root: int | None = None, no_robots: bool = False, delay: float | None = None,
                concurrency: int | None = None, allow_private: bool = False, autothrottle: bool | None = None,
                sitemap: bool = False, allow: list[str] | None = None, deny: list[str] | None = None) -> dict:
    """The crawl options given on the command line (only those: the rest comes from the file)."""
    opts = {"max_depth": max_depth, "max_pages": max_pages, "max_pages_per_root": max_pages_per_root,
            "download_delay": delay, "concurrency": concurrency, "autothrottle": autothrottle,
            "allow": allow or None, "deny": deny or None}
    if no_robots:
        opts["obey_robots"] = False
    if allow_private:
        opts["allow_private"] = True
    if sitemap:
        opts["sitemap"] = True
    return {k: v for k, v in opts.items() if v is not None}


def _llm_options(token_budget: int | None, concurrency_llm: int | None, token_param: TokenParam | None,
                 temperature: str | None, model: str | None = None) -> dict:
    from crawlqa.config import parse_temperature

    opts: dict = {k: v for k, v in {"token_budget": token_budget, "concurrency": concurrency_llm,
                                    "token_param": token_param and token_param.value, "model": model}.items()
                  if v is not None}
    if temperature is not None:
        try:
            parse_temperature(temperature)
        except ValueError as exc:
            raise _fail(f"--temperature: {exc}") from None
        opts["temperature"] = temperature  # as given: "none" must survive the merge (None = not given)
    return opts


def _job_config(urls: list[str], r: Any):
    """The run's ``JobConfig`` from the resolved options; a bad value is a one-line error, exit 2."""
    from crawlqa.config import make_job_config
    from crawlqa.configfile import ConfigError

    try:
        return make_job_config(urls, **r.job_config_kwargs())
    except ConfigError as exc:
        raise _config_error(exc, r) from None
    except ValueError as exc:  # a bad run id
        raise _fail(str(exc)) from None


def _display():
    from crawlqa.progress import ProgressDisplay

    return ProgressDisplay(err, enabled=not STATE["quiet"])


def _on_stage(report: Any) -> None:
    if not STATE["quiet"]:
        err.print(f"[dim]stage {report.stage} done in {report.seconds:.1f}s"
                  f"{' (resumed)' if report.skipped else ''}[/dim]")


def _run_job(urls: list[str], r: Any) -> dict:
    """Run the CRAWLQA job on the resolved options (engine from the command line, file, or default)."""
    from crawlqa.configfile import NO_FILE
    from crawlqa.runguard import guarded_run

    cfg = _job_config(urls, r)  # validates everything before anything starts
    engine = Engine(r.job.get("engine") or DEFAULT_ENGINE)
    with guarded_run(cfg.out, cfg.run_id, err), _display():  # run lock, Ctrl-C, one-line failures
        if engine is Engine.local:
            from pipelines.job import run_crawlqa

            return run_crawlqa(cfg, on_stage=_on_stage)
        _quiet_prefect()
        from flows import crawlqa_flow, with_runner

        f = with_runner(crawlqa_flow, r.job.get("task_runner") or "threads", r.job.get("dask_address"),
                        r.job.get("workers") or 2)
        kw = r.job_config_kwargs()
        return f(roots=urls, out=str(kw["out"]), run_id=cfg.run_id, llm=kw["llm"], model=kw["model"],
                 crawl_options=kw["crawl"], synth_options=kw["synth"] or None, filter_options=kw["filters"] or None,
                 llm_options=kw["llm_options"] or None, crawl_parts=cfg.crawl_parts,
                 candidates_per_shard=cfg.candidates_per_shard, rows_per_shard=cfg.rows_per_shard, config=NO_FILE)


# --- options shared by run and crawl ----------------------------------------------------------------
MaxDepth = Annotated[int | None, typer.Option(help="link depth from each root (root = 0) \\[default: 2]")]
MaxPages = Annotated[int | None, typer.Option(help="page budget for the whole run \\[default: 1000]")]
MaxPagesPerRoot = Annotated[int | None, typer.Option(
    help="page budget per root \\[default: --max-pages when that is given, else 200]")]
Delay = Annotated[float | None, typer.Option(help="seconds between requests to one host \\[default: 0.25]")]
Concurrency = Annotated[int | None, typer.Option(help="concurrent requests in all \\[default: 16]")]
NoRobots = Annotated[bool, typer.Option("--no-robots", help="ignore robots.txt (only for sites you own)")]
AllowPrivate = Annotated[bool, typer.Option(
    "--allow-private", help="allow private/loopback addresses beyond the roots' own origins")]
AutoThrottle = Annotated[bool | None, typer.Option(
    "--autothrottle/--no-autothrottle", help="adapt the delay to the server's latency \\[default: on]")]
Sitemap = Annotated[bool, typer.Option("--sitemap", help="seed each root with its site's /sitemap.xml pages")]
Allow = Annotated[list[str] | None, typer.Option(
    "--allow", metavar="REGEX", help="follow only links matching this regular expression (repeatable)")]
Deny = Annotated[list[str] | None, typer.Option(
    "--deny", metavar="REGEX", help="never follow links matching this regular expression (repeatable)")]
KeepEasy = Annotated[bool, typer.Option(
    "--keep-easy", help="keep questions whose answer one search of the question finds in the top 3 (tagged "
                        "with shortcut_rank) instead of rejecting them")]
SolveK = Annotated[int | None, typer.Option(
    "--solve", metavar="K", min=1, help="then run K agent attempts per kept question (crawlqa solve; needs a model)")]


@app.command()
def run(
    roots: Roots = None,
    config: ConfigOpt = None,
    out: Out = None,
    run_id: RunId = None,
    max_depth: MaxDepth = None,
    max_pages: MaxPages = None,
    max_pages_per_root: MaxPagesPerRoot = None,
    llm: LLMOpt = None,
    model: ModelOpt = None,
    token_budget: Annotated[int | None, typer.Option(help="stop new LLM calls after this many tokens")] = None,
    llm_concurrency: Annotated[int | None, typer.Option(help="max concurrent LLM calls \\[default: 8]")] = None,
    delay: Delay = None,
    concurrency: Concurrency = None,
    no_robots: NoRobots = False,
    allow_private: AllowPrivate = False,
    autothrottle: AutoThrottle = None,
    sitemap: Sitemap = False,
    allow: Allow = None,
    deny: Deny = None,
    engine: EngineOpt = None,
    task_runner: Annotated[str | None, typer.Option(help="where per-shard tasks run: threads or dask \\[default: threads]")] = None,
    dask_address: Annotated[str | None, typer.Option(help="scheduler address of an existing Dask cluster")] = None,
    crawl_parts: Annotated[int | None, typer.Option(
        help="split the roots across this many crawl tasks (one Scrapy process each, on the task runner) \\[default: 1]")] = None,
    max_proposals: Annotated[int | None, typer.Option(
        help="LLM page-pair proposals per run (default 8 with a model; 0 offline)")] = None,
    llm_token_param: Annotated[TokenParam | None, typer.Option(
        help="request field capping the answer (OpenAI reasoning models want max_completion_tokens)")] = None,
    temperature: Annotated[str | None, typer.Option(
        help="sampling temperature, or 'none' to leave it out of requests (default 0)")] = None,
    keep_easy: KeepEasy = False,
    solve_k: SolveK = None,
) -> None:
    """The whole CRAWLQA job: crawl the roots, mine evidence, write and filter questions."""
    fc = _file_config(config)
    r = _resolve(fc, {
        "job": {"out": out and str(out), "run_id": run_id, "llm": llm and llm.value, "engine": engine and engine.value,
                "task_runner": task_runner, "dask_address": dask_address, "crawl_parts": crawl_parts},
        "crawl": _crawl_opts(max_depth=max_depth, max_pages=max_pages, max_pages_per_root=max_pages_per_root,
                             no_robots=no_robots, delay=delay, concurrency=concurrency, allow_private=allow_private,
                             autothrottle=autothrottle, sitemap=sitemap, allow=allow, deny=deny),
        "synth": {"max_proposals": max_proposals},
        "filter": {"keep_easy": keep_easy or None},
        "llm": _llm_options(token_budget, llm_concurrency, llm_token_param, temperature, model),
    })
    _job_config(["http://127.0.0.1/"], r)  # the options first, then the roots
    urls = _load_roots(roots, r.job.get("roots"))
    manifest = _run_job(urls, r)
    if solve_k:
        run_path = Path(r.job.get("out") or "data") / manifest["run_id"]
        _solve(run_path, r, {"k": solve_k}, Engine(r.job.get("engine") or DEFAULT_ENGINE))
        manifest = json.loads((run_path / "manifest.json").read_text())
    _print(manifest, Path(r.job.get("out") or "data"))


def _print(manifest: dict, out: Path) -> None:
    from crawlqa.summary import print_summary

    run_path = str(Path(out) / manifest["run_id"])
    if STATE["quiet"]:
        console.print(run_path, highlight=False, markup=False, soft_wrap=True)  # one line, as given: for scripts
        return
    print_summary(manifest, console, run_path=run_path)


@app.command()
def crawl(
    roots: Roots = None,
    config: ConfigOpt = None,
    out: Out = None,
    run_id: RunId = None,
    max_depth: MaxDepth = None,
    max_pages: MaxPages = None,
    max_pages_per_root: MaxPagesPerRoot = None,
    delay: Delay = None,
    concurrency: Concurrency = None,
    no_robots: NoRobots = False,
    allow_private: AllowPrivate = False,
    autothrottle: AutoThrottle = None,
    sitemap: Sitemap = False,
    allow: Allow = None,
    deny: Deny = None,
) -> None:
    """Only crawl: write pages/ and crawl rejects (then `crawlqa synth RUN_DIR`)."""
    from pipelines import job as J
    from pipelines.counters import Counters

    fc = _file_config(config)
    r = _resolve(fc, {
        "job": {"out": out and str(out), "run_id": run_id, "llm": "offline"},
        "crawl": _crawl_opts(max_depth=max_depth, max_pages=max_pages, max_pages_per_root=max_pages_per_root,
                             no_robots=no_robots, delay=delay, concurrency=concurrency, allow_private=allow_private,
                             autothrottle=autothrottle, sitemap=sitemap, allow=allow, deny=deny),
    })
    _job_config(["http://127.0.0.1/"], r)  # the options first, then the roots
    urls = _load_roots(roots, r.job.get("roots"))
    cfg = _job_config(urls, r)
    from crawlqa.runguard import guarded_run

    with guarded_run(cfg.out, cfg.run_id, err), _display():  # run lock, Ctrl-C, one-line failures
        run = J.run_dir(cfg)
        counters = Counters()
        report = J.stage_crawl(run, cfg, counters)
        manifest = J.finalize(run, cfg, [report], counters)
    _print(manifest, Path(cfg.out))


def _job_from_run(run_dir: Path, r: Any):
    from crawlqa.config import make_job_config
    from crawlqa.configfile import ConfigError
    from pipelines.run import RunDir

    try:
        run = RunDir.open(run_dir)
    except (FileNotFoundError, ValueError) as exc:
        raise _fail(str(exc)) from None
    if not run.is_done("crawl"):
        raise _fail(f"{run.path} has no completed crawl (run `crawlqa crawl` first)")
    manifest = json.loads(run.manifest_path.read_text()) if run.manifest_path.exists() else {}
    conf = manifest.get("config", {})
    kw = r.job_config_kwargs() | {"out": str(run.out), "run_id": run.run_id, "crawl": conf.get("crawl")}
    try:
        cfg = make_job_config(conf.get("roots") or ["http://127.0.0.1/"], **kw)
    except ConfigError as exc:
        raise _config_error(exc, r) from None
    return run, cfg


@app.command()
def synth(
    run_dir: Annotated[Path, typer.Argument(help="a run folder with a completed crawl")],
    config: ConfigOpt = None,
    llm: LLMOpt = None,
    model: ModelOpt = None,
    redo: Annotated[bool, typer.Option("--redo", help="redo mining, writing and filtering even if done")] = False,
    keep_easy: KeepEasy = False,
) -> None:
    """Mine, write and filter questions from an existing crawl run (\\[synth], \\[filter], \\[llm] from the config file)."""
    from pipelines import job as J
    from pipelines.counters import Counters

    fc = _file_config(config)
    r = _resolve(fc, {"job": {"llm": llm and llm.value}, "llm": {"model": model},
                      "filter": {"keep_easy": keep_easy or None}})
    run, cfg = _job_from_run(run_dir, r)
    from crawlqa.runguard import guarded_run

    # run lock (before --redo touches a marker), Ctrl-C, one-line failures
    with guarded_run(run.out, run.run_id, err, with_run_id=False), _display():
        if redo:
            for m in run.sub("_state").glob("*.json"):
                if m.stem != "crawl":
                    m.unlink()
        counters = Counters()
        reports = [J.stage_crawl(run, cfg, counters), J.stage_mine(run, cfg, counters)]
        reports += [J.stage_write_shard(run, cfg, i, counters) for i in range(J.candidate_shard_count(run))]
        reports.append(J.stage_filter(run, cfg, counters))
        manifest = J.finalize(run, cfg, reports, counters)
    _print(manifest, run.out)


@app.command()
def e2h(
    corpus: Annotated[Path | None, typer.Option(
        "--corpus", help="a crawl run folder: its pages are the search corpus \\[default: OUT/latest]")] = None,
    seeds: Annotated[Path | None, typer.Option("--seeds", help="JSONL/CSV/Parquet with question, answer (default: the corpus run's single_hop questions)")] = None,
    rounds: Annotated[int | None, typer.Option("--rounds", help="rewriting rounds \\[default: 3]")] = None,
    config: ConfigOpt = None,
    out: Out = None,
    run_id: RunId = None,
    llm: LLMOpt = None,
    model: ModelOpt = None,
    engine: EngineOpt = None,
    keep_easy: KeepEasy = False,
    fetch_seeds: Annotated[bool, typer.Option(
        "--fetch-seeds", help="fetch, through the crawler (polite, depth 0), the page of a seed url the corpus "
                              "lacks before grounding the seed (default: offline, such a seed is grounded by "
                              "search or rejected as seed_ungrounded)")] = False,
) -> None:
    """E2HQA: rewrite single-hop seeds into multi-hop questions, round by round (\\[e2h] in the config file)."""
    from crawlqa.config import e2h_config, make_job_config
    from crawlqa.configfile import NO_FILE, ConfigError
    from pipelines.run import default_run_id

    fc = _file_config(config)
    r = _resolve(fc, {"job": {"out": out and str(out), "run_id": run_id, "llm": llm and llm.value,
                              "engine": engine and engine.value},
                      "llm": {"model": model}, "filter": {"keep_easy": keep_easy or None},
                      "e2h": {"rounds": rounds, "corpus": corpus and str(corpus), "seeds": seeds and str(seeds),
                              "fetch_seed_urls": fetch_seeds or None}})
    e2h_opts = dict(r.e2h)
    corpus_s = e2h_opts.pop("corpus", None) or str(Path(r.job.get("out") or "data") / "latest")
    seeds_s = e2h_opts.pop("seeds", None)
    rounds_n = e2h_opts.pop("rounds", 3)
    if seeds_s is not None and not Path(seeds_s).is_file():
        raise _fail(f"seeds file not found: {seeds_s}")
    kw = r.job_config_kwargs()
    run_id = kw["run_id"] or default_run_id()
    try:  # validate every option before starting (the e2h job builds the same config)
        make_job_config(["http://127.0.0.1/"], **(kw | {"run_id": run_id}))
        e2h_config({**e2h_opts, "rounds": rounds_n})
    except ConfigError as exc:
        raise _config_error(exc, r) from None
    except ValueError as exc:
        raise _fail(str(exc)) from None
    common = dict(corpus=corpus_s, seeds=seeds_s, rounds=rounds_n, out=str(kw["out"]), run_id=run_id,
                  llm=kw["llm"] or "auto", model=kw["model"], e2h_options=e2h_opts or None,
                  filter_options=kw["filters"] or None, llm_options=kw["llm_options"] or None)
    from crawlqa.runguard import guarded_run

    with guarded_run(kw["out"], run_id, err), _display():  # run lock, Ctrl-C, one-line failures
        if Engine(r.job.get("engine") or DEFAULT_ENGINE) is Engine.prefect:
            _quiet_prefect()
            from flows import e2hqa_flow

            manifest = e2hqa_flow(**common, config=NO_FILE)
        else:
            from pipelines.e2h_job import run_e2hqa

            manifest = run_e2hqa(**common)
    _print(manifest, Path(kw["out"]))


@config_app.command("show")
def config_show(
    config: ConfigOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of TOML")] = False,
) -> None:
    """Print the effective config (file + environment + defaults; secrets left out), as TOML."""
    from crawlqa import configfile
    from crawlqa.config import effective_tables
    from crawlqa.configfile import ConfigError

    fc = _file_config(config)
    r = _resolve(fc, {})
    try:
        tables = effective_tables(r)
    except ConfigError as exc:
        raise _config_error(exc, r) from None
    if as_json:
        sys.stdout.write(json.dumps(tables, indent=2) + "\n")
        return
    src = f"# from {fc.path}" if fc.path else f"# no config file ({configfile.CONFIG_NAME} not found): defaults + environment"
    sys.stdout.write(src + "\n" + configfile.to_toml(tables))


@app.command()
def inspect(
    run_dir: Annotated[Path, typer.Argument(help="a run folder")],
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable report")] = False,
) -> None:
    """Report on a run: funnel, distributions, reject reasons, tokens, samples."""
    from pipelines.inspect import inspect_run, render_report

    if not run_dir.is_dir():
        raise _fail(f"no run folder at {run_dir}")
    report = inspect_run(run_dir)
    if as_json:
        sys.stdout.write(json.dumps(report, indent=2, default=str) + "\n")
    else:
        render_report(report, console)


@app.command()
def export(
    run_dir: Annotated[Path, typer.Argument(help="a run folder")],
    format: Annotated[str, typer.Option(
        "--format", help="webwalkerqa | webshaper | jsonl | sft | hf (a Hub-ready dataset folder)")] = "jsonl",
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="output file (hf: the folder to write)")] = None,
    license: Annotated[str | None, typer.Option(
        "--license", help="hf: the dataset's licence id for the card (default: guessed from the roots)")] = None,
) -> None:
    """Export the kept questions in a format agent trainers use, or as a Hub-ready dataset folder."""
    if not run_dir.is_dir():
        raise _fail(f"no run folder at {run_dir}")
    try:
        if format.lower().strip() == "hf":
            from pipelines.hub import export_hf, split_counts

            if output is None:
                output = run_dir / "exports" / "hf"
            path = export_hf(run_dir, output, license=license)
            counts = split_counts(path)
            console.print(f"wrote {path} (" + ", ".join(f"{s} {counts.get(s, 0)}" for s in
                                                        ("train", "validation", "test")) + ")")
            return
        from pipelines.export import export_run

        path = export_run(run_dir, format, output)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    console.print(f"wrote {path}")


@app.command()
def audit(
    run_dirs: Annotated[list[Path], typer.Argument(
        help="a run folder (several: one sheet, stratified by run and type)", metavar="RUN_DIR...")],
    sample: Annotated[int | None, typer.Option(
        "--sample", help="write an audit sheet of this many kept questions (stratified by type)")] = None,
    seed: Annotated[int, typer.Option("--seed", help="sampling seed (same run + seed = same sheet)")] = 0,
    score: Annotated[Path | None, typer.Option(
        "--score", help="score a filled sheet (CSV or JSONL with a verdict column)")] = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="sheet: folder (default RUN_DIR/audit); score: JSON file (default SHEET.score.json)")] = None,
) -> None:
    """Hand audit: write a sheet of sampled questions to judge, or score a judged sheet (precision per type)."""
    from pipelines import audit as A

    if (sample is None) == (score is None):
        raise _fail("give --sample N (write a sheet) or --score SHEET (score a filled one)")
    for run_dir in run_dirs:
        if not run_dir.is_dir():
            raise _fail(f"no run folder at {run_dir}")
    try:
        if sample is not None:
            sheet = A.make_sheet(run_dirs, sample, seed, output)
            console.print(f"wrote {sheet.rows} questions ({', '.join(f'{t} {n}' for t, n in sheet.by_type.items())}) "
                          f"to {sheet.html}, {sheet.csv.name}, {sheet.jsonl.name}; {sheet.pages_saved} pages saved "
                          f"in {sheet.out / 'pages'}" + (f"; {len(sheet.pages_missing)} source pages not in the run"
                                                        if sheet.pages_missing else ""))
            return
        if not score.is_file():
            raise _fail(f"no sheet at {score}")
        report = A.score_sheet(score)
    except (ValueError, FileNotFoundError) as exc:
        raise _fail(str(exc)) from None
    path = A.write_score(report, output or score.with_name(score.stem + ".score.json"))
    sys.stdout.write(A.format_score(report) + "\n")  # a plain table: not wrapped to the terminal
    console.print(f"wrote {path}")


@app.command()
def demo(
    out: Out = None,
    run_id: Annotated[str, typer.Option("--run-id", help="run id of the demo run")] = "demo",
    engine: EngineOpt = None,
    llm: Annotated[LLMMode, typer.Option(help="writer (the demo is offline unless asked)")] = LLMMode.offline,
) -> None:
    """Serve the bundled fixture site on 127.0.0.1 and run the whole job on it (offline writer)."""
    from crawlqa import configfile
    from crawlqa.demo import demo_roots
    from crawlqa.devserver import FIXTURE_SITE, serve

    out = out or Path("data")
    with serve(FIXTURE_SITE) as site:
        urls = demo_roots(site.url)
        console.print(f"fixture site on {site.url}; roots: {', '.join(urls)}")
        crawl = {"max_depth": 4, "max_pages": 500, "max_pages_per_root": 200, "download_delay": 0.0,
                 "autothrottle": False, "obey_robots": True}
        r = _resolve(configfile.FileConfig(), {"job": {"out": str(out), "run_id": run_id, "llm": llm.value,
                                                       "engine": engine and engine.value}, "crawl": crawl})
        manifest = _run_job(urls, r)
    _print(manifest, out)
    console.print(f"next: [bold]crawlqa inspect {Path(out) / run_id}[/bold] · "
                  f"notebook: notebooks/inspect_shards.ipynb")


# --- agents (issue 18): the browsing environment over HTTP, agent rollouts -------------------------
@app.command()
def serve(
    run_dir: Annotated[Path, typer.Argument(help="a run folder (its pages are the environment)")],
    host: Annotated[str, typer.Option(help="address to bind (loopback by default)")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port")] = 8765,
    token: Annotated[str | None, typer.Option(help="bearer token every tool endpoint requires")] = None,
) -> None:
    """Serve the run's search and visit tools over HTTP (JSON; /openapi.json describes them)."""
    from agents.serve import LOOPBACK
    from agents.serve import serve as serve_env

    if not run_dir.is_dir():
        raise _fail(f"no run folder at {run_dir}")
    if host not in LOOPBACK:
        unguarded = "" if token else " and without --token"
        err.print(f"[yellow]warning:[/yellow] serving on {host}, not loopback{unguarded}", highlight=False)
    console.print(f"serving {run_dir} on http://{host}:{port} (openapi: /openapi.json)", highlight=False)
    try:
        serve_env(run_dir, host=host, port=port, token=token)
    except FileNotFoundError as exc:
        raise _fail(str(exc)) from None


def _solve(run_path: Path, r: Any, options: dict, engine: Engine, redo: bool = False) -> dict:
    """Agent rollouts over a run's qa shards with the configured model (local stages or the Prefect flow)."""
    from agents.solve import SolveConfig, solve_run
    from crawlqa.config import load_settings, make_job_config
    from crawlqa.configfile import ConfigError
    from pipelines.run import RunDir

    settings = load_settings()
    if not (settings.openai_base_url or settings.openai_api_key):
        raise _fail("solving needs a model: set OPENAI_BASE_URL (any OpenAI-compatible endpoint) and/or OPENAI_API_KEY")
    try:
        run = RunDir.open(run_path)
        cfg = SolveConfig(**{k: v for k, v in options.items() if v is not None})
        llm = make_job_config(["http://127.0.0.1/"], **(r.job_config_kwargs() | {
            "out": str(run.out), "run_id": run.run_id, "llm": "openai"})).llm_config
    except ConfigError as exc:
        raise _config_error(exc, r) from None
    except (FileNotFoundError, ValueError) as exc:
        raise _fail(str(exc)) from None
    if engine is Engine.prefect:
        _quiet_prefect()
        from flows import solve_flow

        return solve_flow(run_dir=str(run.path), llm_cfg=llm, solve_cfg=cfg, redo=redo)
    return solve_run(run.path, llm, cfg, redo=redo)


@app.command()
def solve(
    run_dir: Annotated[Path, typer.Argument(help="a run folder with qa/")],
    k: Annotated[int, typer.Option("--k", min=1, help="attempts per question")] = 4,
    config: ConfigOpt = None,
    model: ModelOpt = None,
    max_steps: Annotated[int, typer.Option(min=1, help="tool calls per attempt")] = 12,
    token_budget: Annotated[int | None, typer.Option(help="stop new model calls after this many tokens")] = None,
    concurrency: Annotated[int, typer.Option(min=1, help="attempts in flight")] = 4,
    judge: Annotated[bool, typer.Option("--judge", help="ask the model when the normalised match fails")] = False,
    keep_all: Annotated[bool, typer.Option("--keep-all", help="only tag: drop no question")] = False,
    redo: Annotated[bool, typer.Option("--redo", help="solve the shards again (cached answers are free)")] = False,
    engine: EngineOpt = None,
) -> None:
    """k tool-calling agent attempts per kept question: solve_rate, solve_steps, difficulty_tier;
    drops the questions every attempt solves and the never-solved ones without a replay."""
    if not (run_dir / "qa").is_dir():
        raise _fail(f"no qa/ in {run_dir}")
    fc = _file_config(config)
    r = _resolve(fc, {"job": {"engine": engine and engine.value},
                      "llm": _llm_options(token_budget, None, None, None, model)})
    out = _solve(run_dir, r, {"k": k, "max_steps": max_steps, "concurrency": concurrency, "judge": judge,
                              "policy": "tag" if keep_all else "default"},
                 Engine(r.job.get("engine") or DEFAULT_ENGINE), redo=redo)
    c = out["counters"]
    console.print(f"solved {c.get('solve/records', 0)} questions × {k}: {c.get('solve/solved', 0)} attempts "
                  f"solved, {c.get('solve/failed', 0)} failed; dropped {c.get('solve/dropped/all_attempts_solved', 0)} "
                  f"all-solved, {c.get('solve/dropped/unsolved_unreplayable', 0)} unsolved without replay; "
                  f"model calls {out['calls']}, cache hits {out['cache_hits']}", highlight=False)


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
