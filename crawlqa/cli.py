"""The ``crawlqa`` command line: argument parsing → flows/stages. No business logic here."""

from __future__ import annotations

import json
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Manufacture hard, verifiable QA data for web-browsing agents (CRAWLQA + E2HQA).")
console = Console()
err = Console(stderr=True)


class Engine(StrEnum):
    prefect = "prefect"
    local = "local"


class LLMMode(StrEnum):
    auto = "auto"
    offline = "offline"
    openai = "openai"


class TokenParam(StrEnum):
    auto = "auto"
    max_tokens = "max_tokens"
    max_completion_tokens = "max_completion_tokens"


Out = Annotated[Path, typer.Option("--out", help="output folder; the run folder is OUT/RUN_ID")]
RunId = Annotated[str | None, typer.Option("--run-id", help="run id (default: a UTC timestamp)")]


def _quiet_prefect() -> None:
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


def _fail(msg: str, code: int = 2) -> typer.Exit:
    err.print(f"[red]error:[/red] {msg}")
    return typer.Exit(code)


def _load_roots(roots: Path) -> list[str]:
    from pipelines.roots import RootsError, load_roots

    try:
        parsed = load_roots(roots)
    except RootsError as exc:
        raise _fail(str(exc)) from None
    for p in parsed.problems:
        err.print(f"[yellow]skipped[/yellow] {p}")
    return parsed.urls


def _crawl_opts(max_depth: int, max_pages: int, max_pages_per_root: int, no_robots: bool,
                delay: float | None, concurrency: int | None, allow_private: bool) -> dict:
    opts: dict = {"max_depth": max_depth, "max_pages": max_pages, "max_pages_per_root": max_pages_per_root,
                  "obey_robots": not no_robots, "allow_private": allow_private}
    if delay is not None:
        opts["download_delay"] = delay
    if concurrency is not None:
        opts["concurrency"] = concurrency
    return opts


def _llm_options(token_budget: int | None, concurrency_llm: int | None, token_param: TokenParam | None,
                 temperature: str | None) -> dict:
    from crawlqa.config import parse_temperature

    opts: dict = {k: v for k, v in {"token_budget": token_budget, "concurrency": concurrency_llm,
                                    "token_param": token_param and token_param.value}.items() if v}
    if temperature is not None:
        try:
            opts["temperature"] = parse_temperature(temperature)
        except ValueError as exc:
            raise _fail(str(exc)) from None
    return opts


def _run_job(urls: list[str], *, out: Path, run_id: str | None, llm: LLMMode, model: str | None,
             crawl: dict, engine: Engine, token_budget: int | None, concurrency_llm: int | None,
             task_runner: str = "threads", dask_address: str | None = None, crawl_parts: int = 1,
             max_proposals: int | None = None, token_param: TokenParam | None = None,
             temperature: str | None = None) -> dict:
    from crawlqa.config import make_job_config
    from pipelines.run import RunDir, default_run_id

    run_id = run_id or default_run_id()
    llm_options = _llm_options(token_budget, concurrency_llm, token_param, temperature)
    synth = {"max_proposals": max_proposals} if max_proposals is not None else None
    try:
        RunDir(out, run_id)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    if engine is Engine.local:
        from pipelines.job import run_crawlqa

        cfg = make_job_config(urls, out=str(out), run_id=run_id, llm=llm.value, model=model, crawl=crawl,
                              synth=synth, llm_options=llm_options, crawl_parts=crawl_parts)
        return run_crawlqa(cfg, on_stage=lambda r: err.print(f"[dim]stage {r.stage} done in {r.seconds:.1f}s"
                                                              f"{' (resumed)' if r.skipped else ''}[/dim]"))
    _quiet_prefect()
    from flows import crawlqa_flow, with_runner

    f = with_runner(crawlqa_flow, task_runner, dask_address)
    return f(roots=urls, out=str(out), run_id=run_id, llm=llm.value, model=model,
             max_depth=crawl["max_depth"], max_pages=crawl["max_pages"],
             max_pages_per_root=crawl["max_pages_per_root"], crawl_options=crawl, synth_options=synth,
             llm_options=llm_options, crawl_parts=crawl_parts)


@app.command()
def run(
    roots: Annotated[Path, typer.Option("--roots", help="roots file: one URL per line, # comments")],
    out: Out = Path("data"),
    run_id: RunId = None,
    max_depth: Annotated[int, typer.Option(help="link depth from each root")] = 2,
    max_pages: Annotated[int, typer.Option(help="page budget for the whole run")] = 1000,
    max_pages_per_root: Annotated[int, typer.Option(help="page budget per root")] = 200,
    llm: Annotated[LLMMode, typer.Option(help="writer: auto = openai when OPENAI_API_KEY/OPENAI_BASE_URL is set")] = LLMMode.auto,
    model: Annotated[str | None, typer.Option(help="model name for the openai writer")] = None,
    token_budget: Annotated[int | None, typer.Option(help="stop new LLM calls after this many tokens")] = None,
    llm_concurrency: Annotated[int | None, typer.Option(help="max concurrent LLM calls")] = None,
    delay: Annotated[float | None, typer.Option(help="download delay per domain (s)")] = None,
    concurrency: Annotated[int | None, typer.Option(help="concurrent requests")] = None,
    no_robots: Annotated[bool, typer.Option("--no-robots", help="ignore robots.txt (only for sites you own)")] = False,
    allow_private: Annotated[bool, typer.Option(help="allow links to private/loopback addresses")] = False,
    engine: Annotated[Engine, typer.Option(help="prefect (ephemeral or PREFECT_API_URL) or local")] = Engine.prefect,
    task_runner: Annotated[str, typer.Option(help="threads or dask")] = "threads",
    dask_address: Annotated[str | None, typer.Option(help="scheduler address of an existing Dask cluster")] = None,
    crawl_parts: Annotated[int, typer.Option(
        min=1, help="split the roots across this many crawl tasks (one Scrapy process each, on the task runner)")] = 1,
    max_proposals: Annotated[int | None, typer.Option(
        min=0, help="LLM page-pair proposals per run (default 8 with a model; 0 offline)")] = None,
    llm_token_param: Annotated[TokenParam | None, typer.Option(
        help="request field capping the answer (OpenAI reasoning models want max_completion_tokens)")] = None,
    temperature: Annotated[str | None, typer.Option(
        help="sampling temperature, or 'none' to leave it out of requests (default 0)")] = None,
) -> None:
    """The whole CRAWLQA job: crawl the roots, mine evidence, write and filter questions."""
    urls = _load_roots(roots)
    crawl = _crawl_opts(max_depth, max_pages, max_pages_per_root, no_robots, delay, concurrency, allow_private)
    manifest = _run_job(urls, out=out, run_id=run_id, llm=llm, model=model, crawl=crawl, engine=engine,
                        token_budget=token_budget, concurrency_llm=llm_concurrency,
                        task_runner=task_runner, dask_address=dask_address, crawl_parts=crawl_parts,
                        max_proposals=max_proposals, token_param=llm_token_param, temperature=temperature)
    _print(manifest, out)


def _print(manifest: dict, out: Path) -> None:
    from crawlqa.summary import print_summary

    print_summary(manifest, console, run_path=str(Path(out) / manifest["run_id"]))


@app.command()
def crawl(
    roots: Annotated[Path, typer.Option("--roots", help="roots file")],
    out: Out = Path("data"),
    run_id: RunId = None,
    max_depth: int = 2,
    max_pages: int = 1000,
    max_pages_per_root: int = 200,
    delay: float | None = None,
    concurrency: int | None = None,
    no_robots: bool = False,
    allow_private: bool = False,
) -> None:
    """Only crawl: write pages/ and crawl rejects (then `crawlqa synth RUN_DIR`)."""
    from crawlqa.config import make_job_config
    from pipelines import job as J
    from pipelines.counters import Counters

    urls = _load_roots(roots)
    cfg = make_job_config(urls, out=str(out), run_id=run_id, llm="offline",
                          crawl=_crawl_opts(max_depth, max_pages, max_pages_per_root, no_robots, delay,
                                            concurrency, allow_private))
    run = J.run_dir(cfg)
    counters = Counters()
    manifest = J.finalize(run, cfg, [J.stage_crawl(run, cfg, counters)], counters)
    _print(manifest, out)


def _job_from_run(run_dir: Path, llm: LLMMode, model: str | None):
    from crawlqa.config import make_job_config
    from pipelines.run import RunDir

    try:
        run = RunDir.open(run_dir)
    except (FileNotFoundError, ValueError) as exc:
        raise _fail(str(exc)) from None
    if not run.is_done("crawl"):
        raise _fail(f"{run.path} has no completed crawl (run `crawlqa crawl` first)")
    manifest = json.loads(run.manifest_path.read_text()) if run.manifest_path.exists() else {}
    conf = manifest.get("config", {})
    cfg = make_job_config(conf.get("roots") or ["http://127.0.0.1/"], out=str(run.out), run_id=run.run_id,
                          llm=llm.value, model=model, crawl=conf.get("crawl"))
    return run, cfg


@app.command()
def synth(
    run_dir: Annotated[Path, typer.Argument(help="a run folder with a completed crawl")],
    llm: LLMMode = LLMMode.auto,
    model: str | None = None,
    redo: Annotated[bool, typer.Option(help="redo mining, writing and filtering even if done")] = False,
) -> None:
    """Mine, write and filter questions from an existing crawl run."""
    from pipelines import job as J
    from pipelines.counters import Counters

    run, cfg = _job_from_run(run_dir, llm, model)
    if redo:
        for m in run.sub("_state").glob("*.json"):
            if m.stem != "crawl":
                m.unlink()
    counters = Counters()
    reports = [J.stage_crawl(run, cfg, counters), J.stage_mine(run, cfg, counters)]
    reports += [J.stage_write_shard(run, cfg, i, counters) for i in range(J.candidate_shard_count(run))]
    reports.append(J.stage_filter(run, cfg, counters))
    _print(J.finalize(run, cfg, reports, counters), run.out)


@app.command()
def e2h(
    corpus: Annotated[Path, typer.Option("--corpus", help="a crawl run folder: its pages are the search corpus")],
    seeds: Annotated[Path | None, typer.Option("--seeds", help="JSONL/CSV/Parquet with question, answer (default: the corpus run's single_hop questions)")] = None,
    rounds: Annotated[int, typer.Option("--rounds", help="rewriting rounds")] = 3,
    out: Out = Path("data"),
    run_id: RunId = None,
    llm: LLMMode = LLMMode.auto,
    model: str | None = None,
    engine: Engine = Engine.local,
) -> None:
    """E2HQA: rewrite single-hop seeds into multi-hop questions, round by round."""
    from pipelines.run import default_run_id

    if seeds is not None and not seeds.is_file():
        raise _fail(f"seeds file not found: {seeds}")
    run_id = run_id or default_run_id()
    if engine is Engine.prefect:
        _quiet_prefect()
        from flows import e2hqa_flow

        manifest = e2hqa_flow(corpus=str(corpus), seeds=str(seeds) if seeds else None, rounds=rounds,
                              out=str(out), run_id=run_id, llm=llm.value, model=model)
    else:
        from pipelines.e2h_job import run_e2hqa

        manifest = run_e2hqa(corpus=corpus, seeds=seeds, rounds=rounds, out=out, run_id=run_id,
                             llm=llm.value, model=model)
    _print(manifest, out)


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
    run_dir: Annotated[Path, typer.Argument(help="a run folder")],
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
    if not run_dir.is_dir():
        raise _fail(f"no run folder at {run_dir}")
    try:
        if sample is not None:
            sheet = A.make_sheet(run_dir, sample, seed, output)
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
    console.print(A.format_score(report), markup=False, highlight=False)
    console.print(f"wrote {path}")


@app.command()
def demo(
    out: Out = Path("data"),
    run_id: Annotated[str, typer.Option("--run-id")] = "demo",
    engine: Engine = Engine.prefect,
    llm: LLMMode = LLMMode.offline,
) -> None:
    """Serve the bundled fixture site on 127.0.0.1 and run the whole job on it (offline writer)."""
    from crawlqa.demo import demo_roots
    from crawlqa.devserver import FIXTURE_SITE, serve

    with serve(FIXTURE_SITE) as site:
        urls = demo_roots(site.url)
        console.print(f"fixture site on {site.url}; roots: {', '.join(urls)}")
        crawl = {"max_depth": 4, "max_pages": 500, "max_pages_per_root": 200, "download_delay": 0.0,
                 "autothrottle": False, "obey_robots": True}
        manifest = _run_job(urls, out=out, run_id=run_id, llm=llm, model=None, crawl=crawl, engine=engine,
                            token_budget=None, concurrency_llm=None)
    _print(manifest, out)
    console.print(f"next: [bold]crawlqa inspect {Path(out) / run_id}[/bold] · "
                  f"notebook: notebooks/inspect_shards.ipynb")


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
