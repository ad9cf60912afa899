"""Reading back what a flow run recorded in the Prefect API (task runs, sub-flows, logs, artifacts)."""

from __future__ import annotations

from uuid import UUID


def _client():
    from prefect.client.orchestration import get_client

    return get_client(sync_client=True)


def subflow_runs(flow_run_id: UUID) -> list:
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterParentFlowRunId

    with _client() as c:
        return c.read_flow_runs(flow_run_filter=FlowRunFilter(
            parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[flow_run_id])))


def task_runs(flow_run_ids: list[UUID]) -> list:
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with _client() as c:
        return c.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=flow_run_ids)))


def logs(flow_run_ids: list[UUID]) -> list[str]:
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    with _client() as c:
        return [lg.message for lg in c.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=flow_run_ids)),
                                                 limit=200)]


def artifacts(flow_run_ids: list[UUID]) -> list:
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    with _client() as c:
        return c.read_artifacts(artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=flow_run_ids)))
