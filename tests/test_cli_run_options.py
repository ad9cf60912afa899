"""``crawlqa run`` options that reach the job through ``crawlqa/config.py``: ``--crawl-parts``,
``--max-proposals``, ``--llm-token-param``, ``--temperature`` and their environment settings.

The whole-job test runs the CLI (local engine) on the fixture site against the loopback LLM server
playing a reasoning model (400 for ``max_tokens`` and for a temperature): the run must finish, send
no temperature, switch to ``max_completion_tokens``, make at most ``--max-proposals`` proposal calls,
and crawl in the requested number of parts.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from crawlqa.cli import app
from crawlqa.config import DEFAULT_MAX_PROPOSALS, Settings, make_job_config, parse_temperature
from tests.llm_server import LLMTestServer

ROOTS = ["http://127.0.0.1:9/wiki/index.html"]


@pytest.fixture
def clean_env(monkeypatch):
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "CRAWLQA_LLM", "CRAWLQA_MAX_PROPOSALS",
                "CRAWLQA_LLM_TOKEN_PARAM", "CRAWLQA_LLM_TEMPERATURE"):
        monkeypatch.delenv(var, raising=False)
    return monkeypatch


def test_offline_runs_never_propose_even_when_asked(clean_env):
    clean_env.setenv("CRAWLQA_MAX_PROPOSALS", "5")
    cfg = make_job_config(ROOTS, out="x", run_id="r", llm="offline", synth={"max_proposals": 3}, settings=Settings())
    assert cfg.synth.max_proposals == 0 and cfg.llm_config is None


def test_model_runs_propose_by_default_and_the_environment_or_caller_overrides(clean_env):
    clean_env.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    assert make_job_config(ROOTS, out="x", run_id="r", settings=Settings()).synth.max_proposals == DEFAULT_MAX_PROPOSALS
    clean_env.setenv("CRAWLQA_MAX_PROPOSALS", "3")
    assert make_job_config(ROOTS, out="x", run_id="r", settings=Settings()).synth.max_proposals == 3
    cfg = make_job_config(ROOTS, out="x", run_id="r", synth={"max_proposals": 1}, settings=Settings())
    assert cfg.synth.max_proposals == 1


@pytest.mark.parametrize(("env", "expected"), [(None, 0.0), ("none", None), ("0.7", 0.7), ("OMIT", None)])
def test_temperature_from_the_environment(clean_env, env, expected):
    clean_env.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    if env is not None:
        clean_env.setenv("CRAWLQA_LLM_TEMPERATURE", env)
    cfg = make_job_config(ROOTS, out="x", run_id="r", settings=Settings())
    assert cfg.llm_config is not None and cfg.llm_config.temperature == expected


def test_token_param_from_the_environment_and_explicit_options_win(clean_env):
    clean_env.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    clean_env.setenv("CRAWLQA_LLM_TOKEN_PARAM", "max_completion_tokens")
    cfg = make_job_config(ROOTS, out="x", run_id="r", settings=Settings())
    assert cfg.llm_config.token_param == "max_completion_tokens"
    cfg = make_job_config(ROOTS, out="x", run_id="r", settings=Settings(), llm_options={"token_param": "max_tokens"})
    assert cfg.llm_config.token_param == "max_tokens"


def test_bad_values_are_refused(clean_env):
    with pytest.raises(ValueError, match="temperature"):
        parse_temperature("warm")
    runner = CliRunner()
    res = runner.invoke(app, ["run", "--roots", "/nonexistent", "--engine", "local", "--llm-token-param", "max"])
    assert res.exit_code != 0
    res = runner.invoke(app, ["run", "--roots", "/nonexistent", "--crawl-parts", "0"])
    assert res.exit_code != 0 and "crawl-parts" in res.output


@pytest.mark.slow
def test_run_with_a_reasoning_model_proposals_and_a_split_crawl(clean_env, fixture_site, tmp_path):
    roots = tmp_path / "roots.txt"
    roots.write_text(f"{fixture_site.url}/wiki/index.html\n{fixture_site.url}/arxiv/list/cs.CL/new.html\n")
    with LLMTestServer(reasoning_model=True) as srv:
        clean_env.setenv("OPENAI_BASE_URL", srv.url)
        clean_env.setenv("OPENAI_API_KEY", "sk-test-reasoning")
        res = CliRunner().invoke(app, [
            "run", "--roots", str(roots), "--out", str(tmp_path / "out"), "--run-id", "r1", "--engine", "local",
            "--llm", "openai", "--model", srv.model, "--max-depth", "2", "--max-pages", "40",
            "--max-pages-per-root", "20", "--allow-private", "--crawl-parts", "2", "--max-proposals", "2",
            "--temperature", "none", "--llm-concurrency", "4"])
        calls = list(srv.calls)
    assert res.exit_code == 0, res.output
    manifest = json.loads((tmp_path / "out" / "r1" / "manifest.json").read_text())
    assert manifest["config"]["crawl_parts"] == 2 and manifest["stages"]["crawl"]["parts"] == 2
    assert manifest["config"]["synth"]["max_proposals"] == 2
    bodies = [c.body for c in calls if isinstance(c.body, dict)]
    assert bodies and not [b for b in bodies if "temperature" in b], "--temperature none: no request sends one"
    answered = [c for c in calls if c.status == 200]
    assert answered and all("max_completion_tokens" in c.body and "max_tokens" not in c.body for c in answered)
    rejected = [c for c in calls if c.status == 400]
    assert rejected and all("max_tokens" in c.body for c in rejected), "only max_tokens requests were refused"
    proposals = [c for c in answered if "proposal" in json.dumps(c.response_format or {}).lower()
                 or "proposal" in c.user_text.lower()]
    assert 1 <= len({c.user_text for c in proposals}) <= 2, "at most --max-proposals page pairs were proposed"
    assert manifest["tokens"]["propose"]["calls"] >= 1


# German questions per infobox row of /wiki/de/Kestrel_Bay.html, with the row's value (FACTS.md)
GERMAN = {
    "Staat": ("In welchem Staat liegt die Küstenstadt Kestrel Bay?", "Norvanien"),
    "Region": ("In welchem Landesteil liegt die Küstenstadt Kestrel Bay?", "Westküste"),
    "Gegründet": ("In welchem Jahr erhielt Kestrel Bay das Stadtrecht?", "1342"),
    "Bürgermeisterin": ("Wer regiert als Bürgermeisterin die Stadt Kestrel Bay?", "Petra Lind"),
    "Höhe": ("Auf welcher Höhe über dem Meeresspiegel liegt Kestrel Bay?", "6 m"),
    "Einwohner (2020)": ("Wie viele Menschen lebten 2020 in Kestrel Bay?", "148.300"),
}


def _german_or_refuse(call):
    from tests.llm_server import ok, refusal

    if '"language": "de"' in call.user_text:
        for attribute, (question, _) in GERMAN.items():
            if f'"attribute": "{attribute}"' in call.user_text:
                return ok({"question": question})
    return refusal()


def test_a_model_writes_questions_for_pages_in_other_languages(clean_env, fixture_site, tmp_path):
    """Offline, the German page is a counted ``unsupported_language`` reject (English templates); with
    a model, its candidates are written in German and kept after the language filter checks them. The
    page's questions are single-hop (one infobox row each): the one-search gate ships them in ``seeds/``
    (E2HQA seeds), not ``qa/``."""
    from pipelines.job import run_crawlqa
    from pipelines.shards import read_table
    from schemas.records import QARecord

    root = [f"{fixture_site.url}/wiki/de/Kestrel_Bay.html"]
    crawl = {"max_depth": 0, "max_pages": 5, "max_pages_per_root": 5, "allow_private": True}
    offline = run_crawlqa(make_job_config(root, out=str(tmp_path / "off"), run_id="r", llm="offline", crawl=crawl,
                                          settings=Settings()))
    assert offline["funnel"]["reject_reasons"].get("mine/unsupported_language", 0) >= 1
    assert offline["funnel"]["kept"] == 0
    with LLMTestServer(responder=_german_or_refuse) as srv:
        clean_env.setenv("OPENAI_BASE_URL", srv.url)
        clean_env.setenv("OPENAI_API_KEY", "sk-test")
        cfg = make_job_config(root, out=str(tmp_path / "llm"), run_id="r", llm="openai", model=srv.model,
                              crawl=crawl, settings=Settings())
        assert cfg.synth.languages == []
        manifest = run_crawlqa(cfg)
        german_prompts = [c for c in srv.calls if '"language": "de"' in c.user_text]
    assert german_prompts, "the model was asked to write in German"
    assert manifest["funnel"]["kept"] == 0 and not read_table(tmp_path / "llm" / "r" / "qa", QARecord).num_rows
    kept = read_table(tmp_path / "llm" / "r" / "seeds", QARecord).to_pylist()
    assert manifest["funnel"]["seeds"] == len(kept) >= 1, manifest["funnel"]
    assert {r["type"] for r in kept} == {"single_hop"}
    assert {r["language"] for r in kept} == {"de"}
    expected = dict(GERMAN.values())
    assert all(expected.get(r["question"]) == r["answer"] for r in kept), [(r["question"], r["answer"]) for r in kept]
    assert all(r["source_urls"][0].endswith("/wiki/de/Kestrel_Bay.html") for r in kept)
