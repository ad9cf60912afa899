"""``crawlqa.toml``: tables validated by the config models (errors name the key), precedence
command line > environment > file > defaults, and ``config show``'s TOML read back as a config."""

from __future__ import annotations

import tomllib

import pytest

from crawlqa import configfile
from crawlqa.config import Settings, effective_tables, make_job_config
from crawlqa.configfile import ConfigError, load, resolve, to_toml

ENV = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "CRAWLQA_LLM", "CRAWLQA_MODEL", "CRAWLQA_MAX_PROPOSALS",
       "CRAWLQA_LLM_TOKEN_PARAM", "CRAWLQA_LLM_TEMPERATURE")


@pytest.fixture
def env(monkeypatch):
    for var in ENV:
        monkeypatch.delenv(var, raising=False)
    return monkeypatch


def write(tmp_path, text: str):
    p = tmp_path / "crawlqa.toml"
    p.write_text(text, encoding="utf-8")
    return p


def job(fc, cli=None):
    r = resolve(fc, cli or {}, Settings())
    return make_job_config(["http://127.0.0.1:9/"], settings=Settings(), **r.job_config_kwargs())


def test_tables_reach_the_models(env, tmp_path):
    p = write(tmp_path, """
[job]
out = "elsewhere"
crawl_parts = 2
[crawl]
max_pages = 500
deny = ["/tag/"]
sitemap = true
autothrottle = false
[crawl.domains."Example.org"]
delay = 1.5
concurrency = 1
[synth]
max_hops = 3
[filter]
dedup_threshold = 0.7
""")
    cfg = job(load(p))
    assert str(cfg.out) == "elsewhere" and cfg.crawl_parts == 2
    c = cfg.crawl
    assert (c.max_pages, c.deny, c.sitemap, c.autothrottle) == (500, ["/tag/"], True, False)
    assert c.max_pages_per_root == 500  # max_pages without max_pages_per_root: one root may use it all
    assert c.download_slots() == {"example.org": {"concurrency": 1, "delay": 1.5}}
    assert cfg.synth.max_hops == 3 and cfg.filters.dedup_threshold == 0.7


def test_the_working_folders_file_is_read_and_none_reads_nothing(env, tmp_path):
    write(tmp_path, "[crawl]\nmax_depth = 5\n")
    assert load(cwd=tmp_path).get("crawl") == {"max_depth": 5}
    assert load(configfile.NO_FILE, cwd=tmp_path).sections == {}
    (tmp_path / "empty").mkdir()
    assert load(cwd=tmp_path / "empty").sections == {}


@pytest.mark.parametrize(("text", "message"), [
    ("[crawl]\nmax_pages = -1\n", "[crawl] max_pages: Input should be greater than or equal to 1 (got -1)"),
    ("[crawl]\nconcurrency = 0\n", "[crawl] concurrency: Input should be greater than or equal to 1 (got 0)"),
    ("[crawl]\nmax_pagez = 10\n", "[crawl] max_pagez: unknown key"),
    ("[crawl]\ndeny = [\"(\"]\n", "[crawl] deny: not a regular expression: '(' (missing ), unterminated subpattern"),
    ("[crawl.domains.\"a.org\"]\ndelay = -2\n",
     "[crawl] domains.a.org.delay: Input should be greater than or equal to 0 (got -2)"),
    ("[filter]\ndedup_threshold = 1.5\n", "[filter] dedup_threshold: Input should be less than 1 (got 1.5)"),
    ("[llm]\napi_key = \"sk-secret\"\n", "[llm] api_key: not in a file: set OPENAI_API_KEY in the environment"),
    ("[job]\nengine = \"spark\"\n", "[job] engine: Input should be 'prefect' or 'local' (got 'spark')"),
    ("[crawler]\nmax_pages = 1\n", "unknown table [crawler] (known: [job], [crawl], [synth], [filter], [llm], [e2h])"),
    ("[e2h]\nrounds = 0\n", "[e2h] rounds: Input should be greater than or equal to 1 (got 0)"),
    ("[crawl\n", "not valid TOML"),
])
def test_errors_name_the_file_table_and_key(env, tmp_path, text, message):
    p = write(tmp_path, text)
    with pytest.raises(ConfigError) as exc:
        load(p)
    assert str(exc.value).startswith(f"{p}: ")
    assert message in str(exc.value)
    assert "sk-secret" not in str(exc.value)
    assert "\n" not in str(exc.value)


def test_a_missing_config_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load(tmp_path / "nope.toml")


def test_precedence_cli_over_environment_over_file_over_defaults(env, tmp_path):
    env.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    p = write(tmp_path, """
[llm]
model = "file-model"
concurrency = 3
temperature = "none"
[synth]
max_proposals = 2
[crawl]
max_depth = 4
""")
    fc = load(p)
    # file over defaults
    cfg = job(fc)
    assert (cfg.llm_config.model, cfg.llm_config.concurrency, cfg.llm_config.temperature) == ("file-model", 3, None)
    assert cfg.synth.max_proposals == 2 and cfg.crawl.max_depth == 4 and cfg.crawl.max_pages == 1000
    # environment over file
    env.setenv("CRAWLQA_MODEL", "env-model")
    env.setenv("CRAWLQA_MAX_PROPOSALS", "5")
    cfg = job(fc)
    assert cfg.llm_config.model == "env-model" and cfg.synth.max_proposals == 5
    assert cfg.llm_config.concurrency == 3  # no environment variable for it: still the file's
    # command line over both
    cfg = job(fc, {"llm": {"model": "cli-model", "concurrency": 7}, "synth": {"max_proposals": 1},
                   "crawl": {"max_depth": 1}})
    assert (cfg.llm_config.model, cfg.llm_config.concurrency, cfg.synth.max_proposals, cfg.crawl.max_depth) == \
        ("cli-model", 7, 1, 1)


def test_llm_mode_from_the_file_and_the_environment(env, tmp_path):
    fc = load(write(tmp_path, '[job]\nllm = "offline"\n[llm]\nbase_url = "http://127.0.0.1:9/v1"\n'))
    assert job(fc).llm == "offline"
    env.setenv("CRAWLQA_LLM", "openai")
    cfg = job(fc)
    assert cfg.llm == "openai" and cfg.llm_config.base_url == "http://127.0.0.1:9/v1"
    assert job(fc, {"job": {"llm": "offline"}}).llm == "offline"
    # auto + a base_url in the file: the model is used
    env.delenv("CRAWLQA_LLM")
    assert job(load(write(tmp_path, '[llm]\nbase_url = "http://127.0.0.1:9/v1"\n'))).llm == "openai"


def test_the_budget_rule_only_applies_when_the_per_root_budget_is_not_given(env, tmp_path):
    fc = load(write(tmp_path, "[crawl]\nmax_pages = 1500\n"))
    assert job(fc).crawl.max_pages_per_root == 1500
    assert job(fc, {"crawl": {"max_pages_per_root": 50}}).crawl.max_pages_per_root == 50
    assert job(load(write(tmp_path, "[crawl]\nmax_depth = 1\n"))).crawl.max_pages_per_root == 200


def test_bad_command_line_values_name_the_section_and_key(env):
    fc = configfile.FileConfig()
    for cli, key in [({"crawl": {"max_pages": -1}}, "max_pages"), ({"crawl": {"concurrency": 0}}, "concurrency"),
                     ({"crawl": {"download_delay": -1.0}}, "download_delay"), ({"llm": {"concurrency": 0}}, "concurrency"),
                     ({"job": {"crawl_parts": 0}}, "crawl_parts")]:
        with pytest.raises(ConfigError) as exc:
            job(fc, cli)
        section = next(iter(cli))
        assert (exc.value.section, exc.value.key) == (section, key)
        assert str(exc.value).startswith(f"[{section}] {key}: ")


def test_bad_environment_value_names_the_variable(env):
    from crawlqa.config import load_settings

    env.setenv("CRAWLQA_MAX_PROPOSALS", "-3")
    with pytest.raises(ConfigError, match=r"^environment CRAWLQA_MAX_PROPOSALS: Input should be greater than or equal to 0"):
        load_settings()


def test_config_show_prints_a_file_that_loads_back_to_the_same_config(env, tmp_path):
    fc = load(write(tmp_path, '[crawl]\nmax_pages = 30\ndeny = ["/x/"]\n[crawl.domains."a.org"]\ndelay = 2.0\n'
                              '[e2h]\nrounds = 2\ncorpus = "data/run-1"\n'))
    tables = effective_tables(resolve(fc, {}, Settings()), Settings())
    assert tables["crawl"]["max_pages"] == 30 and tables["crawl"]["domains"] == {"a.org": {"concurrency": None, "delay": 2.0}}
    assert tables["e2h"]["rounds"] == 2 and tables["e2h"]["corpus"] == "data/run-1"
    assert "api_key" not in tables["llm"]
    text = to_toml(tables)
    again = tmp_path / "again.toml"
    again.write_text(text)
    reloaded = load(again)  # every table and key of the printed config is valid input ...
    assert effective_tables(resolve(reloaded, {}, Settings()), Settings()) == tables  # ... and the same config
    assert tomllib.loads(text)["crawl"]["domains"]["a.org"] == {"delay": 2.0}


def test_the_readmes_config_examples_load(env, tmp_path):
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    blocks = re.findall(r"```toml\n(.*?)```", readme, re.S) + re.findall(r"<<'TOML'\n(.*?)\nTOML\n", readme, re.S)
    assert len(blocks) == 2
    for text in blocks:
        fc = load(write(tmp_path, text))
        assert fc.sections
        job(fc)  # every value is valid for its model


def test_input_files_are_relative_to_the_config_file(env, tmp_path):
    folder = tmp_path / "conf"
    folder.mkdir()
    p = folder / "job.toml"
    p.write_text('[job]\nroots = "roots.txt"\nout = "data"\n[e2h]\nseeds = "seeds.jsonl"\ncorpus = "data/latest"\n')
    fc = load(p)
    assert fc.get("job") == {"roots": str(folder / "roots.txt"), "out": "data"}
    assert fc.get("e2h") == {"seeds": str(folder / "seeds.jsonl"), "corpus": "data/latest"}
    p.write_text('[job]\nroots = ["http://127.0.0.1:9/", "more.txt", "/abs/roots.txt"]\n')
    assert load(p).get("job")["roots"] == ["http://127.0.0.1:9/", str(folder / "more.txt"), "/abs/roots.txt"]


def test_any_key_from_the_environment_between_file_and_command_line(env, tmp_path):
    fc = load(write(tmp_path, '[crawl]\nmax_pages = 500\nmax_depth = 3\n[job]\nout = "file-out"\n'))
    env.setenv("CRAWLQA_CRAWL__MAX_PAGES", "42")
    env.setenv("CRAWLQA_CRAWL__DENY", '["/tag/", "/page/"]')
    env.setenv("CRAWLQA_CRAWL__SITEMAP", "true")
    env.setenv("CRAWLQA_JOB__OUT", "/srv/data")  # not TOML: taken as a string
    cfg = job(fc)
    assert (cfg.crawl.max_pages, cfg.crawl.max_depth, cfg.crawl.deny, cfg.crawl.sitemap) == (42, 3, ["/tag/", "/page/"], True)
    assert str(cfg.out) == "/srv/data"
    assert job(fc, {"crawl": {"max_pages": 7}}).crawl.max_pages == 7  # the command line wins
    r = resolve(fc, {}, Settings())
    assert r.sources[("crawl", "max_pages")] == "env" and r.sources[("crawl", "max_depth")] == "file"


@pytest.mark.parametrize(("var", "value", "message"), [
    ("CRAWLQA_CRAWL__MAX_PAGES", "-1",
     "environment CRAWLQA_CRAWL__MAX_PAGES: Input should be greater than or equal to 1 (got -1)"),
    ("CRAWLQA_CRAWL__MAX_PAGEZ", "1", "environment CRAWLQA_CRAWL__MAX_PAGEZ: unknown key"),
    ("CRAWLQA_CRAWLER__MAX_PAGES", "1",
     "environment CRAWLQA_CRAWLER__MAX_PAGES: no table [crawler] (known: [job], [crawl], [synth], [filter], [llm], [e2h])"),
    ("CRAWLQA_LLM__API_KEY", "sk-x", "environment CRAWLQA_LLM__API_KEY: not in a file: set OPENAI_API_KEY in the environment"),
])
def test_bad_environment_keys_name_the_variable(env, var, value, message):
    env.setenv(var, value)
    with pytest.raises(ConfigError) as exc:
        resolve(configfile.FileConfig(), {}, Settings())
    assert str(exc.value) == message
