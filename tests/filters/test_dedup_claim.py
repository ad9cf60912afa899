"""Issue 20 (item 3): two runs deduping into one index at the same time ship each question once.

Two real processes open the same index (both see it empty), wait for each other, then dedup the
same questions: without an atomic claim both shipped everything. Local folder and Redis (where
two machines run the same deployment: the same run id, different run attempts).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from filters.config import FilterConfig
from filters.dedup import MinHashDeduper, attempt_owner
from pipelines.counters import Counters
from tests.filters.conftest import qa
from tests.filters.test_dedup_index import redis_db, redis_url  # noqa: F401 (fixtures)

ROOT = Path(__file__).resolve().parents[2]
LABELS = ["Atlantic", "Capitol", "Decca", "Motown", "Chess", "Stax", "Verve", "Impulse", "Sun", "Brunswick"]


def corpus(run_id: str) -> list:
    return [qa("single_hop", question=f"Which record label signed the {label} session player in {1950 + i}?",
               answer=f"{label} Records", run_id=run_id)
            for i, label in enumerate(LABELS)]


def worker(store: str, target: str, run_id: str, owner: str, ready: str, me: str, out: str, hold: str) -> None:
    """One run: open the index, wait until the other run has opened it too, dedup, commit."""
    kw = {"redis_url": target} if store == "redis" else {"index_path": Path(target)}
    counters, rejects = Counters(), []
    with MinHashDeduper(FilterConfig(), owner=owner, **kw) as dd:
        assert len(dd.index) == 0
        Path(ready, me).touch()
        deadline = time.time() + 60
        while len(os.listdir(ready)) < 2 and time.time() < deadline:
            time.sleep(0.01)
        kept = [r.id for r in dd.run(corpus(run_id), counters, rejects.append)]
        if hold:  # claimed, shards "being written": wait to be killed
            Path(hold).touch()
            time.sleep(120)
        dd.commit()
    Path(out).write_text(json.dumps({"kept": kept, "rejects": [[r.record_id, r.reason, r.dup_of, r.detail]
                                                               for r in rejects],
                                     "counters": counters.to_dict()}))


def spawn(tmp: Path, store: str, target: str, run_id: str, owner: str, me: str, hold: str = "") -> subprocess.Popen:
    code = "import sys; from tests.filters.test_dedup_claim import worker; worker(*sys.argv[1:])"
    args = [store, target, run_id, owner, str(tmp / "ready"), me, str(tmp / f"{me}.json"), hold]
    return subprocess.Popen([sys.executable, "-c", code, *args], cwd=ROOT)


def race(tmp: Path, store: str, target: str, runs: list[tuple[str, str]]) -> list[dict]:
    (tmp / "ready").mkdir()
    procs = [spawn(tmp, store, target, run_id, owner, f"p{i}") for i, (run_id, owner) in enumerate(runs)]
    for p in procs:
        assert p.wait(timeout=120) == 0
    return [json.loads((tmp / f"p{i}.json").read_text()) for i in range(len(runs))]


def assert_shipped_once(results: list[dict], *, live_index: bool = False) -> None:
    """Every question ships from exactly one of the two runs. A local index is read once at open, so
    the loser learns of the winner's claims at its own claim; Redis is read live, so the loser may
    already see (some of) them during its first pass."""
    everything = {r.id for r in corpus("x")}
    kept = [set(r["kept"]) for r in results]
    assert kept[0] | kept[1] == everything, "every question ships"
    assert not kept[0] & kept[1], "no question ships twice"
    loser = results[0] if not kept[0] else results[1]
    assert sorted(r[0] for r in loser["rejects"]) == sorted(everything)
    assert {r[1] for r in loser["rejects"]} == {"near_duplicate"}
    lost = [r for r in loser["rejects"] if "claimed by the concurrent run" in r[3]]
    assert loser["counters"].get("dedup/lost_claim", 0) == len(lost)
    if not live_index:
        assert len(lost) == len(everything)
    else:
        assert all(r in lost or "shipped in run" in r[3] for r in loser["rejects"])


def test_two_concurrent_runs_on_one_folder_ship_each_question_once(tmp_path):
    idx = tmp_path / ".dedup"
    results = race(tmp_path, "local", str(idx), [("day-1a", "day-1a"), ("day-1b", "day-1b")])
    assert_shipped_once(results)
    assert sorted(p.name.split("-")[0] for p in idx.glob("*.parquet")) == ["seg"]
    with MinHashDeduper(FilterConfig(), index_path=idx) as dd:
        assert len(dd.index) == len(LABELS)


def test_a_killed_runs_claim_lapses(tmp_path):
    """A run killed after claiming (before its shards were written) does not hold the questions."""
    idx = tmp_path / ".dedup"
    (tmp_path / "ready").mkdir()
    (tmp_path / "ready" / "other").touch()  # nobody to wait for
    hold = tmp_path / "claimed"
    p = spawn(tmp_path, "local", str(idx), "day-1", "day-1", "p0", hold=str(hold))
    try:
        deadline = time.time() + 60
        while not hold.exists() and time.time() < deadline:
            time.sleep(0.02)
        assert hold.exists() and len(list(idx.glob("claim-*.parquet"))) == 1
        # while it lives, its claim holds: another run ships nothing of it
        with MinHashDeduper(FilterConfig(), index_path=idx) as dd:
            assert list(dd.run(corpus("day-2"), Counters())) == []
    finally:
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=30)
    with MinHashDeduper(FilterConfig(), index_path=idx) as dd:
        kept = list(dd.run(corpus("day-3"), Counters()))
        assert len(kept) == len(LABELS) and dd.index.lapsed == 1
        dd.commit()
    assert not list(idx.glob("claim-*"))


def test_two_machines_with_the_same_run_id_share_redis_and_ship_each_question_once(redis_db, tmp_path):  # noqa: F811
    results = race(tmp_path, "redis", redis_db, [("daily", "daily#machine-a"), ("daily", "daily#machine-b")])
    assert_shipped_once(results, live_index=True)
    # a re-run of one attempt is idempotent: it ships its own questions again, nothing new is added
    with MinHashDeduper(FilterConfig(), redis_url=redis_db, owner="daily#machine-a") as dd:
        kept = list(dd.run(corpus("daily"), Counters()))
        assert {r.id for r in kept} == set(results[0]["kept"])
        assert dd.commit() == 0


def test_an_uncommitted_redis_claim_is_withdrawn_at_close_and_lapses_after_its_lease(redis_db):  # noqa: F811
    with MinHashDeduper(FilterConfig(), redis_url=redis_db, owner="a") as dd:
        assert len(list(dd.run(corpus("day-1"), Counters()))) == len(LABELS)
    with MinHashDeduper(FilterConfig(), redis_url=redis_db, owner="b", claim_lease=-1) as dd:
        assert len(list(dd.run(corpus("day-2"), Counters()))) == len(LABELS)
        dd.index.client.close()  # dies without releasing: its lease has already run out
        dd._index = None
    with MinHashDeduper(FilterConfig(), redis_url=redis_db, owner="c") as dd:
        assert len(list(dd.run(corpus("day-3"), Counters()))) == len(LABELS)


def test_attempt_owner_is_kept_in_the_run_folder(tmp_path):
    a = attempt_owner(tmp_path, "day-1")
    assert a.startswith("day-1#") and attempt_owner(tmp_path, "day-1") == a
    assert attempt_owner(tmp_path / "elsewhere", "day-1") != a
