"""Issue 10, output paths: run ids, export paths and URLs built from hostile input — ``../``,
``%2e%2e``, absolute paths, backslashes, NUL bytes, very long names — never make the program write
outside the output folder. Checked by listing the test's whole temporary tree (and the folders an
escape would land in) before and after each command, through the CLI and the job.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crawlqa.cli import app
from crawlqa.devserver import FIXTURE_SITE, serve
from pipelines.job import run_crawlqa

from ..faults.kit import assert_shards_valid, guarded, job_config, read_rows

pytestmark = pytest.mark.slow

TOKEN = "crawlqa-escape-5d1e"  # every escape attempt names this; no such path may ever appear
CODEWORD = "GREEN HERON FOUR"  # in a file next to the served folder, never served
LONG = "L" * 240  # a file name near the 255-byte limit

BAD_RUN_IDS = [
    f"../{TOKEN}", "..", ".", f"/tmp/{TOKEN}", f"%2e%2e/{TOKEN}", f"%2e%2e%2f{TOKEN}", f"a/../../{TOKEN}",
    f"..\\{TOKEN}", f"{TOKEN}\x00x", "latest", f"~/{TOKEN}", f"{TOKEN}/", "x" * 129,
]


def tree(base: Path, skip: Path | None = None) -> dict[str, tuple[str, int]]:
    """Every entry under ``base`` (symlinks not followed) except ``skip``: path -> (kind, size)."""
    out: dict[str, tuple[str, int]] = {}
    for dirpath, dirnames, filenames in os.walk(base):
        d = Path(dirpath)
        dirnames[:] = [n for n in dirnames if d / n != skip]
        for name in dirnames + filenames:
            p = d / name
            if p == skip:
                continue
            st = p.lstat()
            kind = "link" if p.is_symlink() else "dir" if p.is_dir() else "file"
            out[str(p.relative_to(base))] = (kind, 0 if kind == "dir" else st.st_size)
    return out


def escape_targets() -> set[str]:
    """Names containing TOKEN in the places an escape would land: /tmp, /, the home and working folder."""
    found = set()
    for base in {Path("/tmp"), Path("/"), Path.home(), Path.cwd(), Path.cwd().parent}:
        try:
            found |= {str(p) for p in base.iterdir() if TOKEN in p.name}
        except OSError:
            continue
    return found


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """tmp/site (served), tmp/outside/secret.txt (next to it, not served), tmp/out (the output)."""
    base = tmp_path_factory.mktemp("paths")
    site = base / "site"
    shutil.copytree(FIXTURE_SITE / "wiki", site / "wiki")
    (base / "outside").mkdir()
    (base / "outside" / "secret.txt").write_text(CODEWORD)
    (site / "wiki" / f"{LONG}.html").write_text(
        "<html><head><title>Long name</title></head><body><p>" + "A page with a very long file name. " * 12
        + "</p></body></html>")
    links = [
        "../../../../../../etc/passwd", "/../outside/secret.txt", "/%2e%2e/outside/secret.txt",
        "/wiki/%2e%2e/%2e%2e/outside/secret.txt", "/wiki/..%2f..%2foutside%2fsecret.txt",
        "/wiki/%2E%2E/%2E%2E/%2E%2E/etc/passwd", "/..%5c..%5coutside%5csecret.txt", "file:///etc/passwd",
        f"/{TOKEN}/" + "../" * 8 + f"tmp/{TOKEN}", "//etc/passwd", f"/wiki/{LONG}.html",
        "/wiki/" + "x" * 3000 + ".html", f"/wiki/Mira_Volkova.html?path=../../{TOKEN}",
        "/wiki/Mira_Volkova.html",
    ]
    items = "".join(f'<li><a href="{u}">link {i}</a></li>' for i, u in enumerate(links))
    (site / "index.html").write_text(
        "<!DOCTYPE html><html><head><title>Paths</title></head><body><p>"
        + "Links whose paths try to climb out of the site and out of the output folder. " * 4
        + f"</p><ul>{items}</ul></body></html>")
    with serve(site) as server:
        yield base, server


RUN_ID = "r" * 128  # the longest valid run id


@pytest.fixture(scope="module")
def urls_run(world, tmp_path_factory):
    """A whole run over the hostile links, with the longest run id; the trees before and after."""
    base, server = world
    out = base / "out"
    guard = tmp_path_factory.mktemp("guard")
    before, before_escapes = tree(base, skip=out), escape_targets()
    with guarded(guard):
        manifest = run_crawlqa(job_config([server.url + "/index.html"], out, run_id=RUN_ID, crawl={"max_depth": 1}))
    return out / RUN_ID, manifest, (before, before_escapes), (tree(base, skip=out), escape_targets())


def test_hostile_urls_in_a_whole_run_write_only_inside_the_output_folder(world, urls_run):
    _base, server = world
    run, manifest, before, after = urls_run
    out = run.parent
    assert after == before
    assert_shards_valid(run, manifest)
    assert {p.name for p in out.iterdir()} <= {RUN_ID, "latest", ".httpcache", ".dedup", ".llmcache"}
    assert os.readlink(out / "latest") == RUN_ID
    pages = {p["url"] for p in read_rows(run, "pages")}
    assert any(LONG in u for u in pages), "the page with a very long name was crawled"
    for p in out.rglob("*"):
        assert p.resolve().is_relative_to(out.resolve()), p
        if p.is_file():
            assert CODEWORD.encode() not in p.read_bytes(), p
            assert len(p.name.encode()) <= 255
    # URLs climbing out of the site are resolved inside it (RFC 3986 dot segments): a 404, a reject
    reasons = {r["url"]: r["reason"] for r in read_rows(run, "rejects") if r["stage"] == "crawl"}
    assert reasons[server.url + "/outside/secret.txt"] == "http_404"


@pytest.mark.parametrize("bad", BAD_RUN_IDS, ids=lambda b: re.sub(r"\W", "_", b[:30]))
def test_hostile_run_ids_are_refused_before_anything_is_written(world, urls_run, bad):
    base, server = world
    out = base / "out-ids"
    roots = base / "roots.txt"
    roots.write_text(server.url + "/wiki/index.html\n")
    before, before_escapes = tree(base), escape_targets()
    runner = CliRunner()
    commands = [
        ["run", "--roots", str(roots), "--out", str(out), "--run-id", bad, "--engine", "local", "--llm", "offline",
         "--max-depth", "0"],
        ["crawl", "--roots", str(roots), "--out", str(out), "--run-id", bad, "--max-depth", "0"],
        ["e2h", "--corpus", str(base / "out" / RUN_ID), "--out", str(out), "--run-id", bad, "--llm", "offline"],
    ]
    for args in commands:
        res = runner.invoke(app, args)
        assert res.exit_code != 0, (args[0], res.output)
        if res.exit_code == 2:
            assert "run id" in res.output.lower() or "invalid" in res.output.lower(), res.output
        else:
            assert isinstance(res.exception, ValueError) and "run id" in str(res.exception), res.exception
    assert tree(base) == before, "nothing was written"
    assert escape_targets() == before_escapes


def test_run_id_with_a_trailing_newline_is_refused(tmp_path):
    from pipelines.run import RunDir, validate_run_id

    with pytest.raises(ValueError):
        validate_run_id(f"{TOKEN}\n")
    with pytest.raises(ValueError):
        RunDir(tmp_path, f"{TOKEN}\n")


def test_exports_stay_inside_the_run_folder(world, urls_run):
    base, _server = world
    run = urls_run[0]
    runner = CliRunner()
    before = tree(base, skip=run / "exports")
    for fmt in ("webwalkerqa", "webshaper", "jsonl", "sft"):
        res = runner.invoke(app, ["export", str(run), "--format", fmt])
        assert res.exit_code == 0, res.output
    for fmt in (f"../../{TOKEN}", f"/tmp/{TOKEN}", f"jsonl/../../{TOKEN}", "%2e%2e", f"sft\x00{TOKEN}"):
        res = runner.invoke(app, ["export", str(run), "--format", fmt])
        assert res.exit_code != 0 and "unknown export format" in res.output, res.output
    assert tree(base, skip=run / "exports") == before
    assert sorted(p.name for p in (run / "exports").iterdir()) == ["jsonl.jsonl", "sft.jsonl", "webshaper.jsonl",
                                                                   "webwalkerqa.jsonl"]
    assert not [p for p in run.rglob(f"*{TOKEN}*")]
