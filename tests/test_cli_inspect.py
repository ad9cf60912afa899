"""``crawlqa inspect`` fits the run's kind: an E2HQA run (rewrites over a corpus run) shows its corpus
and rounds, not an empty crawl table; a CRAWLQA run shows its crawl."""

from __future__ import annotations

import json
import re
import shutil

from typer.testing import CliRunner

from crawlqa.cli import app
from tests.pipelines.conftest import make_run

CRAWL_TABLE = re.compile(r"^\s*crawl\s*$", re.M)  # the crawl table's title line


def _as_e2h(run):
    """The fixture run turned into what ``finalize_e2h`` writes: no pages, a corpus and e2h info."""
    shutil.rmtree(run / "pages")
    m = json.loads((run / "manifest.json").read_text())
    m["corpus"] = "/data/20260101T000000Z"
    m["e2h"] = {"rounds": 3, "seeds": 12}
    m["crawl"] = {}
    (run / "manifest.json").write_text(json.dumps(m))
    return run


def test_inspect_of_an_e2hqa_run_has_no_crawl_table(tmp_path):
    crawl_run = make_run(tmp_path / "a")
    res = CliRunner().invoke(app, ["inspect", str(crawl_run)], terminal_width=200)
    assert res.exit_code == 0, res.output
    assert CRAWL_TABLE.search(res.output) and "pages fetched" in res.output
    report = json.loads(CliRunner().invoke(app, ["inspect", str(crawl_run), "--json"]).output)
    assert report["kind"] == "crawlqa" and report["crawl"]["pages_per_root"]

    e2h_run = _as_e2h(make_run(tmp_path / "b"))
    res = CliRunner().invoke(app, ["inspect", str(e2h_run)], terminal_width=200)
    assert res.exit_code == 0, res.output
    assert "E2HQA run" in res.output and "/data/20260101T000000Z" in res.output
    assert not CRAWL_TABLE.search(res.output) and "pages fetched" not in res.output and "candidates mined" not in res.output
    report = json.loads(CliRunner().invoke(app, ["inspect", str(e2h_run), "--json"]).output)
    assert report["kind"] == "e2hqa" and report["crawl"]["pages_per_root"] == {}
    assert report["crawl"]["corpus"] == "/data/20260101T000000Z" and report["crawl"]["e2h"]["rounds"] == 3


def test_the_run_summary_fits_the_kind_too(tmp_path):
    from rich.console import Console

    from crawlqa.summary import print_summary, summary_markdown

    for run, e2h in ((make_run(tmp_path / "a"), False), (_as_e2h(make_run(tmp_path / "b")), True)):
        m = json.loads((run / "manifest.json").read_text())
        console = Console(record=True, width=200)
        print_summary(m, console, run_path=str(run))
        text = console.export_text()
        assert ("pages fetched" in text) is not e2h and ("candidates mined" in text) is not e2h
        assert "questions written" in text and "kept" in text
        assert ("corpus run: /data/20260101T000000Z" in text) is e2h
        assert ("crawlqa E2HQA run" in text) is e2h
        md = summary_markdown(m)
        assert md.startswith("# crawlqa E2HQA run" if e2h else "# crawlqa run")
        assert ("| pages fetched |" in md) is not e2h
