"""notebooks/inspect_shards.ipynb stays clean in git and runs against a run folder.

It runs on the synthetic fixture run of ``tests/pipelines/conftest.py``, on the real output of
``crawlqa demo`` (made once per session), and on the run named by ``CRAWLQA_RUN_DIR`` when set.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.pipelines.conftest import make_run

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "inspect_shards.ipynb"
RUN_SOURCES = ["fixture", "demo"] + (["env"] if os.environ.get("CRAWLQA_RUN_DIR") else [])


def test_notebook_is_stored_clean() -> None:
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, "the notebook has no code"
    assert all(c.outputs == [] and c.execution_count is None for c in code), "strip outputs before committing"
    source = "\n".join(c.source for c in code)
    assert 'matplotlib.use("Agg")' in source and "CRAWLQA_RUN_DIR" in source
    for reader in ("pd.read_parquet", "pl.read_parquet", "con.sql"):
        assert reader in source


def _setup_cell() -> str:
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    return next(c.source for c in nb.cells if c.cell_type == "code")


def test_notebook_defaults_to_the_newest_run_under_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("IPython")
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "notebooks").mkdir()
    old = make_run(tmp_path / "data", "old-run")
    new = make_run(tmp_path / "data", "new-run")
    (tmp_path / "data" / "not-a-run").mkdir()
    os.utime(old, (2_000_000_000, 2_000_000_000))  # the newest by mtime, whatever the creation order
    monkeypatch.delenv("CRAWLQA_RUN_DIR", raising=False)
    monkeypatch.chdir(tmp_path / "notebooks")
    ns: dict = {}
    exec(_setup_cell(), ns)
    assert ns["RUN"] == old.resolve() and ns["RUN"] != new.resolve()
    monkeypatch.setenv("CRAWLQA_RUN_DIR", str(new))
    assert ns["find_run_dir"]() == new.resolve()
    monkeypatch.delenv("CRAWLQA_RUN_DIR")
    empty = tmp_path / "empty"
    (empty / "data").mkdir(parents=True)
    (empty / "pyproject.toml").write_text("")
    monkeypatch.chdir(empty)
    with pytest.raises(FileNotFoundError, match="crawlqa demo"):
        ns["find_run_dir"]()


@pytest.mark.slow
@pytest.mark.parametrize("source", RUN_SOURCES)
def test_notebook_executes(source: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                           request: pytest.FixtureRequest) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    if source == "fixture":
        run = make_run(tmp_path / "data")
    elif source == "demo":  # the real demo output, made by `crawlqa demo` in this session
        run = request.getfixturevalue("demo_run")
    else:
        run = Path(os.environ["CRAWLQA_RUN_DIR"])
    monkeypatch.setenv("CRAWLQA_RUN_DIR", str(run))  # the kernel inherits the environment
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    client.execute()  # raises CellExecutionError on the first failing cell

    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "\n".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert f"run folder: {run.resolve()}" in text
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 3  # funnel, type/hops/length, domains
    if source == "fixture":
        markdown = "\n".join(o["data"]["text/markdown"] for o in outputs if "text/markdown" in o.get("data", {}))
        assert "**e2h**" in markdown and "e2h round 2" in markdown and "golden path:" in markdown
        assert "6 kept questions" in text
