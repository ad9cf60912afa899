"""Ids are deterministic: the same input gives the same id, a different input a different one."""

from __future__ import annotations

import subprocess
import sys

from schemas.ids import page_id, qa_id, reject_id, stable_hash


def test_same_input_same_id_and_distinct_inputs_distinct_ids():
    assert page_id("http://a/x") == page_id("http://a/x")
    assert page_id("http://a/x") != page_id("http://a/y")
    assert reject_id("crawl", "http_404", "r") != reject_id("crawl", "http_500", "r")


def test_qa_id_normalises_whitespace_case_and_source_order():
    a = qa_id("count", "How many  albums?", "7", ["u2", "u1"])
    b = qa_id("count", "how many albums?", "7", ["u1", "u2"])
    assert a == b
    assert a != qa_id("count", "How many albums?", "8", ["u1", "u2"])
    assert a != qa_id("single_hop", "How many albums?", "7", ["u1", "u2"])


def test_ids_stable_across_processes():
    """No hash randomisation or process state leaks into ids."""
    code = "from schemas.ids import stable_hash; print(stable_hash('x', 1, {'b': 2, 'a': 1}))"
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": seed, "PATH": ""}, cwd=".").stdout.strip() for seed in ("1", "2")}
    assert outs == {stable_hash("x", 1, {"a": 1, "b": 2})}
