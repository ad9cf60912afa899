"""Deployments point at the config file: the ``crawlqa`` flow reads its ``config`` parameter's file (or
``./crawlqa.toml`` in its working folder), and a parameter given to the flow overrides the file."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

TOML = """
[job]
roots = ["{root}"]
out = "{out}"
llm = "offline"
candidates_per_shard = 500
[crawl]
download_delay = 0.0
autothrottle = false
offline_dns = true
extract_workers = 1
max_depth = 2
max_pages = 9
deny = ["Norvania"]
"""


def _pages(run) -> list[str]:
    return [u for p in sorted((run / "pages").glob("*.parquet")) for u in pq.read_table(p).column("url").to_pylist()]


@pytest.mark.slow
def test_the_flow_reads_its_config_file_and_parameters_win(prefect_harness, fixture_site, tmp_path, monkeypatch):
    from flows import crawlqa_flow

    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "CRAWLQA_LLM"):
        monkeypatch.delenv(var, raising=False)
    out = tmp_path / "data"
    cfg = tmp_path / "daily.toml"
    cfg.write_text(TOML.format(root=f"{fixture_site.url}/wiki/index.html", out=out))
    state = crawlqa_flow(config=str(cfg), run_id="from-file", return_state=True)
    assert state.is_completed(), state
    m = json.loads((out / "from-file" / "manifest.json").read_text())
    assert m["config"]["crawl"]["max_pages"] == 9 and m["config"]["crawl"]["deny"] == ["Norvania"]
    assert m["config"]["llm"] == "offline" and m["config"]["candidates_per_shard"] == 500
    pages = _pages(out / "from-file")
    assert len(pages) == 9 and not [u for u in pages if "Norvania" in u]

    # ./crawlqa.toml in the working folder, with a parameter overriding the file's budget
    (tmp_path / "crawlqa.toml").write_text(cfg.read_text())
    monkeypatch.chdir(tmp_path)
    state = crawlqa_flow(run_id="from-cwd", max_pages=4, return_state=True)
    assert state.is_completed(), state
    assert len(_pages(out / "from-cwd")) == 4


@pytest.mark.parametrize("name", ["crawlqa_flow", "e2hqa_flow"])
def test_every_flow_parameter_is_described_for_the_prefect_ui(name):
    from prefect.utilities.callables import parameter_schema

    import flows

    props = parameter_schema(getattr(flows, name).fn).model_dump()["properties"]
    assert "config" in props
    assert {k for k, v in props.items() if not v.get("description")} == set()
