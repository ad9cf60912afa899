"""Issue 20, item 7: a root ``http://user:password@host/`` never puts its password anywhere.

Choice (README "Roots"): a root URL with credentials is **refused** with a one-line message that
shows the URL with ``***`` in place of the user name and password (it is not crawled without them:
an authenticated crawl is not supported, and credentials would be sent to every page and written to
logs, caches and the records' provenance). Links and redirects that carry credentials are requested
without them (``crawlers.urls.fetch_url``).

A real run (``crawlqa run``, local engine, offline writer) on the fixture site with a credentialed
root next to a plain one: the password and user name are in no file under the output folder
(shards, manifest, dataset card, crawl.log, HTTP cache, dedup index), in nothing printed or logged.
"""

from __future__ import annotations

import logging

import pytest
from typer.testing import CliRunner

from crawlers import CrawlConfig, crawl
from crawlers.urls import fetch_url, redact_url
from crawlqa.cli import app
from crawlqa.devserver import FIXTURE_SITE, serve

pytestmark = pytest.mark.slow

USER, PASSWORD = "alice-7731", "pw-SENTINEL-5f2e9c41"


def assert_nowhere(out, texts) -> list:
    files = [p for p in out.rglob("*") if p.is_file()]
    for p in files:
        data = p.read_bytes()
        assert PASSWORD.encode() not in data and USER.encode() not in data, f"credentials in {p}"
    for text in texts:
        assert PASSWORD not in text and USER not in text
    return files


def test_a_credentialed_root_is_refused_and_its_password_is_nowhere(tmp_path, caplog, capfd, netguard):
    caplog.set_level(logging.DEBUG)
    out = tmp_path / "out"
    with serve(FIXTURE_SITE) as site:
        secret_root = site.url.replace("http://", f"http://{USER}:{PASSWORD}@") + "/wiki/index.html"
        roots = tmp_path / "roots.txt"
        roots.write_text(f"{secret_root}\n{site.url}/wiki/index.html\n")
        res = CliRunner().invoke(app, ["run", "--roots", str(roots), "--out", str(out), "--run-id", "r1",
                                       "--engine", "local", "--llm", "offline", "--max-depth", "1",
                                       "--delay", "0"])
        requests = site.paths
    assert res.exit_code == 0, res.output + repr(res.exception)
    captured = capfd.readouterr()
    files = assert_nowhere(out, [res.output, captured.out, captured.err, caplog.text,
                                 *(str(r.args) for r in caplog.records)])
    assert "credentials in root URLs are not supported" in res.output
    assert redact_url(secret_root) in res.output  # the user can tell which line it was
    assert requests, "the plain root was crawled"
    names = {p.name for p in files}
    assert {"manifest.json", "README.md", "crawl.log"} <= names, names
    assert any(".httpcache" in p.parts for p in files) and any(p.suffix == ".parquet" for p in files)


def test_a_run_whose_only_root_has_credentials_stops_without_echoing_them(tmp_path, netguard):
    roots = tmp_path / "roots.txt"
    roots.write_text(f"http://{USER}:{PASSWORD}@127.0.0.1:9/wiki/index.html\n")
    res = CliRunner().invoke(app, ["run", "--roots", str(roots), "--out", str(tmp_path / "out"),
                                   "--engine", "local", "--llm", "offline"])
    assert res.exit_code == 2
    assert "credentials in root URLs are not supported" in res.output
    assert "http://***@127.0.0.1:9/wiki/index.html" in res.output
    assert PASSWORD not in res.output and USER not in res.output
    assert not (tmp_path / "out").exists() or not [p for p in (tmp_path / "out").rglob("*") if p.is_file()]


def test_the_crawl_api_refuses_a_credentialed_root_without_echoing_it(tmp_path):
    with pytest.raises(ValueError) as err:
        crawl([f"https://{USER}:{PASSWORD}@example.com/"], CrawlConfig(), pages_dir=tmp_path / "p",
              rejects_dir=tmp_path / "r", cache_dir=tmp_path / "c", work_dir=tmp_path / "w", run_id="r")
    assert "https://***@example.com/" in str(err.value) and PASSWORD not in str(err.value)


def test_links_and_redirects_are_requested_without_credentials():
    assert fetch_url(f"http://{USER}:{PASSWORD}@127.0.0.1:8000/a#frag") == "http://127.0.0.1:8000/a"
    assert fetch_url(f"https://{USER}@h.example/x?utm_source=y") == "https://h.example/x"
    assert fetch_url("http://h.example/mail@here?to=a@b") == "http://h.example/mail@here?to=a@b"
    assert redact_url(f"http://{USER}:{PASSWORD}@h/") == "http://***@h/"
