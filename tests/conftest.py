"""Shared fixtures: the bundled fixture site on 127.0.0.1, Prefect's test harness, corpus location."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
if os.environ.get("PYTEST_XDIST_WORKER"):  # each test worker its own Prefect home (memo store, local storage)
    import tempfile

    os.environ["PREFECT_HOME"] = tempfile.mkdtemp(prefix=f"prefect-home-{os.environ['PYTEST_XDIST_WORKER']}-")
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



# --- parallel runs: pytest-xdist, ``-n 2 --dist loadscope`` (pyproject's addopts) ----------------------
# A work unit is one test module (its module-scoped fixtures run once), except these groups of
# modules, each run by one worker, module after module:
XDIST_GROUPS = {
    # real runs killed (kill -9, Ctrl-C) at a chosen moment, sub-second LLM timeouts: sensitive to
    # load, so never two of them at the same time
    "timing": ["tests/faults/test_interrupt.py", "tests/flows/test_resume.py", "tests/faults/test_llm_faults.py"],
    # `prefect deploy --all` from the repository root, each against a Prefect server of its own
    "prefect-deploy": ["tests/flows/test_deployment.py", "tests/flows/test_schedule.py"],
    # the session's flow run (``thread_run`` in tests/flows/conftest.py) made once, not once per worker
    "flow-run": ["tests/flows/test_crawlqa_flow.py", "tests/flows/test_artifacts.py",
                 "tests/flows/test_e2hqa_flow.py", "tests/flows/test_scaleout.py"],
    # the session's ``crawlqa demo`` run (``demo_run`` above) made once, not once per worker
    "demo-run": ["tests/test_demo.py", "tests/pipelines/test_quality.py", "tests/pipelines/test_export_upstream.py",
                 "tests/test_notebook.py"],
}
# The longest work units first (measured), so that no worker starts a long one near the end; in a
# group, its longest modules first (a worker is handed its next unit when two tests of its current
# one are left: these should be short ones).
SLOW_FIRST = ["timing", "flow-run", "prefect-deploy", "tests/flows/test_resume.py", "tests/flows/test_scaleout.py",
              "tests/flows/test_deployment.py", "tests/faults/test_llm_stage_failure.py",
              "tests/faults/test_corruption.py", "tests/faults/test_cli_guards.py", "demo-run", "tests/agents/test_cli.py",
              "tests/regression/test_audit_cases.py", "tests/synth/test_miners_corpus.py",
              "tests/test_cli_run_options.py", "tests/pipelines/test_run_lock.py", "tests/test_cli_progress.py",
              "tests/test_cli_flow_config.py", "tests/agents/test_solve.py",
              "tests/faults/test_e2h_stage_failure.py", "tests/security/test_injection_e2e.py",
              "tests/security/test_secrets_e2e.py"]
_GROUP_OF = {module: group for group, modules in XDIST_GROUPS.items() for module in modules}


def xdist_unit(nodeid: str) -> str:
    """The work unit of a test: its module's group, else its module."""
    module = nodeid.split("::", 1)[0]
    return _GROUP_OF.get(module, module)


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist: none without it (``-p no:xdist``)
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadscope`` with the work units above, in collection order (the workers sort it)."""
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class UnitScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return xdist_unit(nodeid)

    config.option.loadscopereorder = False  # keep SLOW_FIRST's order, not "most tests first"
    return UnitScheduling(config, log)


def pytest_collection_modifyitems(config, items):
    """In an xdist worker: the slow work units first (the order the scheduler hands them out)."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        rank = {unit: i for i, unit in enumerate(SLOW_FIRST)}

        def key(item) -> tuple[int, int]:
            return (rank.get(xdist_unit(item.nodeid), len(rank)), rank.get(item.nodeid.split("::", 1)[0], len(rank)))

        items.sort(key=key)  # stable: collection order within a module
