"""Flow-test fixtures: one CRAWLQA flow run on the fixture site (threads), shared by the flow,
artifact, e2h and scale-out tests, all under the one session Prefect harness."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

import pytest

from tests.flows.helpers import CRAWL

CANDIDATES_PER_SHARD = 100  # ~400 candidates on the fixture site → several write shards


@dataclass
class FlowRun:
    manifest: dict
    out: Path
    run_path: Path
    flow_run_id: UUID
    roots: list[str]


@pytest.fixture(scope="session")
def site_roots(fixture_site) -> list[str]:
    from crawlqa.demo import demo_roots

    return demo_roots(fixture_site.url)


@pytest.fixture(scope="session")
def thread_run(prefect_harness, site_roots, tmp_path_factory) -> FlowRun:
    """The crawlqa flow, offline writer, default thread runner, on the fixture site."""
    from flows import crawlqa_flow

    out = tmp_path_factory.mktemp("flow-threads")
    state = crawlqa_flow(roots=site_roots, out=str(out), run_id="flow-a", llm="offline", crawl_options=CRAWL,
                         max_depth=CRAWL["max_depth"], max_pages=CRAWL["max_pages"],
                         max_pages_per_root=CRAWL["max_pages_per_root"],
                         candidates_per_shard=CANDIDATES_PER_SHARD, return_state=True)
    assert state.is_completed(), state
    manifest = state.result()
    return FlowRun(manifest, out, out / "flow-a", state.state_details.flow_run_id, site_roots)
