"""Shared fixtures: the bundled fixture site on 127.0.0.1, Prefect's test harness, corpus location."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
# Tests never read a developer's real endpoint or key.
for _var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "CRAWLQA_LLM", "CRAWLQA_DEDUP_REDIS_URL"):
    os.environ.pop(_var, None)

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"


@pytest.fixture(scope="session")
def fixture_site():
    """The bundled fixture site served on a free loopback port for the whole session."""
    from crawlqa.devserver import FIXTURE_SITE, serve

    with serve(FIXTURE_SITE, faults=True) as site:
        yield site


@pytest.fixture(scope="session")
def prefect_harness():
    """A temporary Prefect API + database (Prefect's own test harness), shared by flow tests."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """``../shared/corpus`` (real saved pages); tests that need it skip when it is absent."""
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is absent")
    return CORPUS


# The scripted loopback OpenAI-compatible server (tests/llm_server.py) for every test folder.
from tests.llm_server import llm_config, llm_server  # noqa: E402, F401


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory) -> Path:
    """``crawlqa demo`` run once for the session (CLI, local engine), its run folder."""
    from typer.testing import CliRunner

    from crawlqa.cli import app

    out = tmp_path_factory.mktemp("demo-out")
    res = CliRunner().invoke(app, ["demo", "--engine", "local", "--out", str(out), "--run-id", "demo"])
    assert res.exit_code == 0, res.output + repr(res.exception)
    return out / "demo"
