"""The command line with a config file, and its one-line errors.

A ``--config`` file changes what ``crawlqa crawl`` fetches on the fixture site (a deny pattern, the
page budget, a per-host override); ``config show`` prints the effective config; bad numbers on the
command line or in the file, and a 10 MB roots line, are one-line errors with exit code 2 and no run
folder; ``--roots`` takes URLs and files; the help has a description for every option, no ``<bool>``
placeholder and no ``--no-no-robots``.
"""

from __future__ import annotations

import json
import re

import pyarrow.parquet as pq
import pytest
import typer
from typer.testing import CliRunner

from crawlqa.cli import app

FAST = """
[crawl]
download_delay = 0.0
autothrottle = false
concurrency_per_domain = 16
offline_dns = true
extract_workers = 1
timeout = 5
retries = 0
"""


@pytest.fixture
def clean_env(monkeypatch):
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "CRAWLQA_LLM", "CRAWLQA_MODEL", "CRAWLQA_MAX_PROPOSALS",
                "CRAWLQA_LLM_TOKEN_PARAM", "CRAWLQA_LLM_TEMPERATURE"):
        monkeypatch.delenv(var, raising=False)
    return monkeypatch


def pages(run_dir) -> list[str]:
    return sorted(u for p in sorted((run_dir / "pages").glob("*.parquet"))
                  for u in pq.read_table(p, columns=["url"]).column("url").to_pylist())


def invoke(*args: str):
    return CliRunner().invoke(app, list(args))


@pytest.mark.slow
def test_a_config_file_changes_the_crawl(clean_env, fixture_site, tmp_path):
    base = fixture_site.url
    cfg = tmp_path / "job.toml"
    cfg.write_text(FAST + f"""
max_depth = 2
max_pages = 12
deny = ["Mira_Volkova", "Norvania"]
[crawl.domains."127.0.0.1"]
concurrency = 2
[job]
roots = ["{base}/wiki/index.html"]
out = "{tmp_path / 'out'}"
""")
    res = invoke("crawl", "--config", str(cfg), "--run-id", "denied")
    assert res.exit_code == 0, res.output
    run = tmp_path / "out" / "denied"
    got = pages(run)
    assert got and not [u for u in got if "Mira_Volkova" in u or "Norvania" in u]
    assert len(got) == 12  # max_pages from the file; no --max-pages-per-root: one root may use it all
    manifest = json.loads((run / "manifest.json").read_text())
    crawl = manifest["config"]["crawl"]
    assert crawl["deny"] == ["Mira_Volkova", "Norvania"] and crawl["max_pages_per_root"] == 12
    assert crawl["domains"] == {"127.0.0.1": {"concurrency": 2, "delay": None}}
    assert manifest["counters"]["crawl/links_skipped/url_denied"] >= 2
    # the same file without the deny pattern, the budget from the command line (command line > file)
    res = invoke("-q", "crawl", "--config", str(cfg), "--run-id", "allowed", "--max-pages", "30", "--deny", "Lumen")
    assert res.exit_code == 0, res.output
    assert res.output == f"{tmp_path / 'out' / 'allowed'}\n"  # --quiet: no progress, no summary, the run folder
    got = pages(tmp_path / "out" / "allowed")
    assert any("Mira_Volkova" in u for u in got) and not any("Lumen" in u for u in got)
    assert len(got) > 12


def test_config_show_prints_the_effective_config(clean_env, tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[crawl]\nmax_pages = 77\n[llm]\nmodel = "file-model"\n')
    res = invoke("config", "show", "--config", str(cfg), "--json")
    assert res.exit_code == 0, res.output
    tables = json.loads(res.output)
    assert tables["crawl"]["max_pages"] == 77 and tables["crawl"]["max_pages_per_root"] == 77
    assert tables["llm"]["model"] == "file-model" and "api_key" not in tables["llm"]
    clean_env.setenv("CRAWLQA_MODEL", "env-model")
    clean_env.setenv("OPENAI_API_KEY", "sk-never-printed")
    res = invoke("config", "show", "--config", str(cfg))
    assert res.exit_code == 0
    assert res.output.startswith(f"# from {cfg}\n")
    assert '\nmodel = "env-model"\n' in res.output and "\nmax_pages = 77\n" in res.output
    assert "sk-never-printed" not in res.output


def test_the_working_folders_crawlqa_toml_is_used(clean_env, tmp_path):
    (tmp_path / "crawlqa.toml").write_text("[crawl]\nmax_depth = 7\n")
    clean_env.chdir(tmp_path)
    res = invoke("config", "show", "--json")
    assert res.exit_code == 0 and json.loads(res.output)["crawl"]["max_depth"] == 7


@pytest.mark.parametrize(("args", "message"), [
    (["--max-pages", "-1"], "error: --max-pages: Input should be greater than or equal to 1 (got -1)"),
    (["--concurrency", "0"], "error: --concurrency: Input should be greater than or equal to 1 (got 0)"),
    (["--max-depth", "-2"], "error: --max-depth: Input should be greater than or equal to 0 (got -2)"),
    (["--max-pages-per-root", "0"], "error: --max-pages-per-root: Input should be greater than or equal to 1 (got 0)"),
    (["--delay", "-0.5"], "error: --delay: Input should be greater than or equal to 0 (got -0.5)"),
    (["--llm-concurrency", "0"], "error: --llm-concurrency: Input should be greater than or equal to 1 (got 0)"),
    (["--token-budget", "-5"], "error: --token-budget: Input should be greater than or equal to 0 (got -5)"),
    (["--crawl-parts", "0"], "error: --crawl-parts: Input should be greater than or equal to 1 (got 0)"),
    (["--max-proposals", "-1"], "error: --max-proposals: Input should be greater than or equal to 0 (got -1)"),
    (["--deny", "("], "error: --deny: not a regular expression: '(' (missing ), unterminated subpattern at position 0) (got ['('])"),
    (["--temperature", "hot"], "error: --temperature: temperature must be a number or 'none', not 'hot'"),
])
def test_bad_numbers_are_one_line_errors(clean_env, tmp_path, args, message):
    for command in ("run", "crawl"):
        if command == "crawl" and args[0] in ("--llm-concurrency", "--token-budget", "--crawl-parts",
                                                "--max-proposals", "--temperature"):
            continue
        res = invoke(command, "--roots", "http://127.0.0.1:9/", "--out", str(tmp_path / "out"), "--engine", "local",
                     *args) if command == "run" else invoke(command, "--roots", "http://127.0.0.1:9/", "--out",
                                                            str(tmp_path / "out"), *args)
        assert res.exit_code == 2, res.output
        assert res.output == message + "\n"
        assert not (tmp_path / "out").exists()


def test_bad_values_in_the_file_are_one_line_errors(clean_env, tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[crawl]\nconcurrency = 0\n")
    res = invoke("run", "--config", str(cfg), "--roots", "http://127.0.0.1:9/", "--out", str(tmp_path / "out"))
    assert res.exit_code == 2
    assert res.output == f"error: {cfg}: [crawl] concurrency: Input should be greater than or equal to 1 (got 0)\n"
    res = invoke("crawl", "--config", str(tmp_path / "missing.toml"), "--roots", "http://127.0.0.1:9/")
    assert (res.exit_code, res.output) == (2, f"error: config file not found: {tmp_path / 'missing.toml'}\n")


def test_a_bad_environment_value_is_a_one_line_error(clean_env, tmp_path):
    clean_env.setenv("CRAWLQA_MAX_PROPOSALS", "-1")
    res = invoke("run", "--roots", "http://127.0.0.1:9/", "--out", str(tmp_path / "out"))
    assert res.exit_code == 2
    assert res.output == ("error: environment CRAWLQA_MAX_PROPOSALS: Input should be greater than or equal to 0"
                          " (got '-1')\n")


def test_a_10_mb_roots_line_is_a_one_line_error(clean_env, tmp_path):
    huge = "http://127.0.0.1:9/" + "a" * 10_000_000
    roots = tmp_path / "roots.txt"
    roots.write_text(huge + "\n")
    for spec in (str(roots), huge):
        res = invoke("crawl", "--roots", spec, "--out", str(tmp_path / "out"))
        assert res.exit_code == 2
        lines = res.output.splitlines()
        assert len(lines) == 1 and len(res.output) < 400, res.output[:500]
        assert "URL longer than 2083 characters" in lines[0] and "(10,000,019 characters)" in lines[0]
        assert not (tmp_path / "out").exists()


def test_a_too_large_roots_file_is_refused(clean_env, tmp_path):
    roots = tmp_path / "roots.txt"
    with roots.open("w") as f:
        f.truncate(17 * 1024 * 1024)
    res = invoke("crawl", "--roots", str(roots), "--out", str(tmp_path / "out"))
    assert res.exit_code == 2
    assert res.output == f"error: roots file {roots} is 17,825,792 bytes (at most 16,777,216)\n"


def test_roots_are_urls_or_files_repeatable(clean_env, tmp_path):
    from pipelines.roots import load_root_specs

    f = tmp_path / "roots.txt"
    f.write_text("# comment\nhttp://127.0.0.1:9/b\nhttp://127.0.0.1:9/a?x=1,2\n")
    got = load_root_specs(["http://127.0.0.1:9/a?x=1,2", str(f), "https://127.0.0.1:9/c"])
    assert got.urls == ["http://127.0.0.1:9/a?x=1,2", "http://127.0.0.1:9/b", "https://127.0.0.1:9/c"]
    assert got.problems == [f"{f}: duplicate root, skipped: 'http://127.0.0.1:9/a?x=1,2'"]
    res = invoke("crawl", "--roots", str(tmp_path / "nope.txt"))
    assert (res.exit_code, res.output) == (2, f"error: roots file not found: '{tmp_path / 'nope.txt'}'\n")
    res = invoke("crawl", "--out", str(tmp_path / "o"))
    assert res.exit_code == 2 and res.output.startswith("error: no roots: give --roots FILE|URL")


def test_version():
    from importlib.metadata import version

    res = invoke("--version")
    assert (res.exit_code, res.output) == (0, f"crawlqa {version('crawlqa')}\n")


def _commands():
    from typer.core import TyperGroup

    group = typer.main.get_command(app)
    ctx = typer.Context(group)
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        if isinstance(cmd, TyperGroup):
            for sub in cmd.list_commands(ctx):
                yield f"{name} {sub}", cmd.get_command(ctx, sub)
        else:
            yield name, cmd


def test_every_option_is_described_and_flags_have_no_twins_or_placeholders():
    from typer.core import TyperArgument, TyperOption

    names = [name for name, _ in _commands()]
    assert {"run", "crawl", "synth", "e2h", "inspect", "export", "demo", "config show"} <= set(names), names
    options = 0
    for name, cmd in _commands():
        for p in cmd.params:
            assert isinstance(p, TyperOption | TyperArgument), type(p)
            if isinstance(p, TyperOption):
                options += 1
                assert p.help, f"crawlqa {name} {p.opts[0]} has no description"
                assert not [o for o in p.secondary_opts if o.startswith("--no-no-")], (name, p.opts)
        res = invoke(*name.split(), "--help")
        assert res.exit_code == 0
        assert "<bool>" not in res.output, name
        assert "--no-no-" not in res.output and "--no-allow-private" not in res.output
    assert options >= 60
    text = invoke("crawl", "--help").output
    assert "--no-robots" in text and re.search(r"--autothrottle\s+--no-autothrottle", text)


def test_run_and_e2h_share_the_engine_default():
    from crawlqa.cli import DEFAULT_ENGINE

    helps = {name: next(p.help for p in cmd.params if p.name == "engine")
             for name, cmd in _commands() if name in ("run", "e2h", "demo")}
    assert len(helps) == 3 and len(set(helps.values())) == 1
    assert f"[default: {DEFAULT_ENGINE.value}]" in helps["run"]


def test_crawl_flags_map_to_config_fields():
    from crawlqa.cli import _crawl_opts

    assert _crawl_opts() == {}  # nothing given: the file and the defaults decide
    assert _crawl_opts(no_robots=True, allow_private=True, autothrottle=False, sitemap=True, delay=0.0,
                       allow=["/wiki/"], deny=["/tag/"], max_pages=5) == {
        "obey_robots": False, "allow_private": True, "autothrottle": False, "sitemap": True, "download_delay": 0.0,
        "allow": ["/wiki/"], "deny": ["/tag/"], "max_pages": 5}
    assert _crawl_opts(autothrottle=True) == {"autothrottle": True}


def test_quiet_prints_a_long_run_folder_as_one_line(tmp_path, monkeypatch, capsys):
    """``--quiet`` prints the run folder for scripts: never wrapped at the console width, brackets kept."""
    from crawlqa import cli

    monkeypatch.setitem(cli.STATE, "quiet", True)
    out = tmp_path / ("long-folder-name-" * 8) / "[out]"
    cli._print({"run_id": "r1"}, out)
    assert capsys.readouterr().out == f"{out / 'r1'}\n"
