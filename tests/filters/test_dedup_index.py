"""The persistent dedup index: consecutive runs never re-ship a question (local folder and Redis)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time

import pytest

from filters.config import FilterConfig
from filters.dedup import MinHashDeduper
from pipelines.counters import Counters
from tests.filters.conftest import qa

QUESTIONS = [
    ("Which record label did Ray Charles sign with in 1952?", "Atlantic Records"),
    ("In which city was Ray Charles born in 1930?", "Albany"),
    ("Which instrument did Ray Charles mainly play on his Atlantic recordings?", "Piano"),
    ("Who produced most of Ray Charles's singles for Atlantic in the 1950s?", "Ahmet Ertegun"),
    ("Which Ray Charles single topped the R&B chart in 1959?", "What'd I Say"),
    ("How many Grammy Awards had Ray Charles won by 1966?", "10"),
]


def corpus(run_id: str, extra: list[tuple[str, str]] = ()):
    return [qa("single_hop", question=q, answer=a, run_id=run_id) for q, a in [*QUESTIONS, *extra]]


def ship(run_id, records, cfg=None, commit=True, **store):
    counters, rejects = Counters(), []
    with MinHashDeduper(cfg or FilterConfig(), **store) as dd:
        kept = list(dd.run(records, counters, rejects.append))
        # ... the lead writes the qa shards here; commit only once they are safely on disk
        if commit:
            dd.commit()
    return kept, rejects, counters


def test_second_run_over_the_same_corpus_ships_nothing_already_shipped(tmp_path):
    idx = tmp_path / ".dedup"
    k1, r1, c1 = ship("day-1", corpus("day-1"), index_path=idx)
    assert len(k1) == len(QUESTIONS) and r1 == [] and c1.get("dedup/committed") == len(QUESTIONS)
    day2 = corpus("day-2", extra=[("Which record label did Ray Charles sign with in 1952 ?", "Atlantic Records"),
                                  ("Which label released Ray Charles's album Genius + Soul = Jazz?", "Impulse!")])
    k2, r2, c2 = ship("day-2", day2, index_path=idx)
    assert [r.question for r in k2] == ["Which label released Ray Charles's album Genius + Soul = Jazz?"]
    shipped = {r.id for r in k1}
    assert {r.dup_of for r in r2} <= shipped and {r.reason for r in r2} == {"near_duplicate"}
    assert all("shipped in run day-1" in r.detail for r in r2)
    assert c2.get("dedup/matched_earlier_run") == len(QUESTIONS) + 1
    assert c2.get("dedup/index_entries") == len(QUESTIONS)
    # day 3: everything has shipped by now
    k3, _, _ = ship("day-3", corpus("day-3"), index_path=idx)
    assert k3 == []


def test_a_run_that_did_not_commit_does_not_poison_the_index(tmp_path):
    idx = tmp_path / ".dedup"
    ship("day-1", corpus("day-1"), index_path=idx, commit=False)  # crashed before its shards were written
    k2, _, _ = ship("day-2", corpus("day-2"), index_path=idx)
    assert len(k2) == len(QUESTIONS)
    assert not list(idx.glob(".tmp-*"))


def test_rerunning_the_same_run_id_is_idempotent(tmp_path):
    idx = tmp_path / ".dedup"
    k1, _, _ = ship("day-1", corpus("day-1"), index_path=idx)
    segs = sorted(idx.glob("seg-*.parquet"))
    k1b, r1b, c1b = ship("day-1", corpus("day-1"), index_path=idx)
    assert [r.id for r in k1b] == [r.id for r in k1] and r1b == []
    assert c1b.get("dedup/committed") == 0 and sorted(idx.glob("seg-*.parquet")) == segs


def test_conflicting_answer_against_an_earlier_run_drops_only_the_new_one(tmp_path):
    idx = tmp_path / ".dedup"
    k1, _, _ = ship("day-1", corpus("day-1"), index_path=idx)
    changed = [qa("single_hop", question=QUESTIONS[5][0], answer="11", run_id="day-2")]
    k2, r2, _ = ship("day-2", changed, index_path=idx)
    assert k2 == []
    old = next(r for r in k1 if r.question == QUESTIONS[5][0])
    assert (r2[0].reason, r2[0].dup_of) == ("answer_conflict", old.id)


def test_index_written_under_other_minhash_settings_is_resigned(tmp_path):
    idx = tmp_path / ".dedup"
    ship("day-1", corpus("day-1"), FilterConfig(dedup_num_perm=64, dedup_seed=5), index_path=idx)
    counters = Counters()
    with MinHashDeduper(FilterConfig(), index_path=idx) as dd:
        assert dd.index.resigned == len(QUESTIONS)
        assert list(dd.run(corpus("day-2"), counters)) == []


def test_commit_without_index_is_a_no_op():
    with MinHashDeduper(FilterConfig()) as dd:
        assert len(list(dd.run(corpus("r"), Counters()))) == len(QUESTIONS)
        assert dd.pending == len(QUESTIONS)
        assert dd.commit() == 0


# --- Redis ----------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    exe = shutil.which("redis-server")
    if exe is None:
        pytest.skip("redis-server not installed")
    import redis

    port = _free_port()
    proc = subprocess.Popen(
        [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path_factory.mktemp("redis"))],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        for _ in range(100):
            try:
                redis.Redis.from_url(url).ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        else:
            pytest.fail("redis-server did not start")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def redis_db(redis_url):
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    return redis_url


def test_redis_index_shared_by_two_output_folders(redis_db, tmp_path):
    k1, _, _ = ship("a-day-1", corpus("a-day-1"), redis_url=redis_db)
    assert len(k1) == len(QUESTIONS)
    # another output folder (its local index is empty) sharing the same Redis
    k2, r2, c2 = ship("b-day-1", corpus("b-day-1"), redis_url=redis_db, index_path=tmp_path / "other")
    assert k2 == [] and c2.get("dedup/matched_earlier_run") == len(QUESTIONS)
    assert {r.dup_of for r in r2} == {r.id for r in k1}


def test_redis_rerun_is_idempotent_and_commit_skips_present_ids(redis_db):
    ship("day-1", corpus("day-1"), redis_url=redis_db)
    k, r, c = ship("day-1", corpus("day-1"), redis_url=redis_db)
    assert len(k) == len(QUESTIONS) and r == [] and c.get("dedup/committed") == 0


def test_redis_index_reinserts_entries_for_other_minhash_settings(redis_db):
    ship("day-1", corpus("day-1"), FilterConfig(dedup_num_perm=64), redis_url=redis_db)
    with MinHashDeduper(FilterConfig(), redis_url=redis_db) as dd:
        assert dd.index.reinserted == len(QUESTIONS)
        assert list(dd.run(corpus("day-2"), Counters())) == []


def test_bad_redis_url_fails_at_open():
    import redis

    with pytest.raises(redis.ConnectionError), MinHashDeduper(FilterConfig(), redis_url=f"redis://127.0.0.1:{_free_port()}/0"):
        pass
