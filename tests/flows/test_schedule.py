"""The daily deployment of ``prefect.yaml`` gets scheduled runs from a real Prefect server whose
scheduler is ON (as in production), on 127.0.0.1.

With SQLAlchemy 2.1 the Prefect 3.8 scheduler failed every loop (``InvalidRequestError: Can't
evaluate bulk DML statement``) and no scheduled run was ever created; ``test_deployment.py`` turns
the scheduler off (no 03:00 run may start during it) so it could not see that. No worker runs here:
the scheduled runs are only created (for the next days at 03:00 UTC), never executed.
"""

from __future__ import annotations

import json
import os
import urllib.request
from datetime import datetime

import pytest

from tests.flows.helpers import free_port, wait_for
from tests.flows.test_deployment import POOL, PREFECT, Procs, _cli, _get, _healthy

pytestmark = pytest.mark.slow


def _post(url: str, body: dict) -> list | dict:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def _scheduled_runs(api: str, deployment_id: str) -> list[dict]:
    return _post(f"{api}/flow_runs/filter", {  # type: ignore[return-value]
        "deployments": {"id": {"any_": [deployment_id]}},
        "flow_runs": {"state": {"type": {"any_": ["SCHEDULED"]}}},
        "sort": "EXPECTED_START_TIME_ASC", "limit": 20})


def test_scheduler_creates_runs_of_the_daily_deployment(tmp_path):
    import sqlalchemy

    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(tmp_path / "prefect-home"), PREFECT_API_URL=api,
               PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_UI_ENABLED="false",
               # the scheduler ON (the default), looping every 2 s instead of 60 s
               PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED="true",
               PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS="2")
    procs = Procs(tmp_path)
    try:
        server = procs.start("server", [PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                             {k: v for k, v in env.items() if k != "PREFECT_API_URL"})
        wait_for(lambda: _healthy(api) or server.poll() is not None, 120, "the Prefect server", interval=0.5)
        assert server.poll() is None, procs.log("server")
        _cli(["work-pool", "create", POOL, "--type", "process"], env, 60)
        _cli(["--no-prompt", "deploy", "--all"], env, 180)
        daily = _get(f"{api}/deployments/name/crawlqa/crawlqa-daily")
        assert [s["schedule"]["cron"] for s in daily["schedules"]] == ["0 3 * * *"]
        assert [s["active"] for s in daily["schedules"]] == [True]

        runs: list[dict] = []

        def scheduled() -> bool:
            nonlocal runs
            runs = _scheduled_runs(api, daily["id"])
            return bool(runs) or server.poll() is not None

        try:
            wait_for(scheduled, 90, "scheduled runs of crawlqa/crawlqa-daily", interval=1)
        except TimeoutError:
            raise AssertionError(f"no scheduled run after 90 s (SQLAlchemy {sqlalchemy.__version__} in the "
                                 f"test process)\n--- server ---\n{procs.log('server')}") from None
        assert server.poll() is None, procs.log("server")
        assert "Can't evaluate bulk DML" not in procs.log("server")
        starts = [datetime.fromisoformat(r["expected_start_time"]) for r in runs]
        assert all((t.hour, t.minute, t.utcoffset().total_seconds()) == (3, 0, 0) for t in starts), starts
        assert len(set(starts)) == len(starts)  # one run per day, no duplicates
        assert all(r["auto_scheduled"] and r["work_pool_name"] == POOL for r in runs)
        assert all(r["parameters"]["roots"] == "roots.txt" for r in runs)
    finally:
        procs.stop()
