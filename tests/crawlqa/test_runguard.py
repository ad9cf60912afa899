"""The run's watchdog (``crawlqa.runguard.watch_parent``) kills what a ``kill -9`` of the run left,
also when the run dies while the watchdog is scanning ``/proc`` for its children."""

from __future__ import annotations

import os
import signal

from crawlqa import runguard

PARENT = 4242


def test_children_reparented_during_the_last_scan_are_still_killed(monkeypatch):
    """The kill lands during a scan: the run's children are re-parented to init before the scan reads
    their ``/proc`` entries, so that scan finds none; the previous scan's children are killed."""
    alive = {"parent": True}
    scans = []

    def children_started(pid: int) -> list[tuple[int, str]]:
        assert pid == PARENT
        scans.append(pid)
        if len(scans) == 1:
            return [(101, "s101"), (102, "s102")]  # the Prefect API server, the crawler
        alive["parent"] = False  # killed now: 101 and 102 belong to init by the time they are read
        return []

    killed = []
    monkeypatch.setattr(runguard, "_children_started", children_started)
    monkeypatch.setattr(runguard, "_started", lambda pid: {101: "s101", 102: "s102"}.get(pid))
    monkeypatch.setattr(os, "getppid", lambda: PARENT if alive["parent"] else 1)
    monkeypatch.setattr(os, "kill", lambda pid, sig: killed.append((pid, sig)))
    monkeypatch.setattr(runguard.time, "sleep", lambda s: None)
    monkeypatch.setattr(signal, "signal", lambda *a: None)  # the watchdog ignores SIGINT: not this process

    runguard.watch_parent(PARENT)

    assert len(scans) == 2
    assert killed == [(101, signal.SIGKILL), (102, signal.SIGKILL)]


def test_a_child_replaced_by_another_process_is_not_killed(monkeypatch):
    """A pid reused since the last scan (another start time) is someone else's process: left alone."""
    alive = {"parent": True}

    def children_started(pid: int) -> list[tuple[int, str]]:
        if alive["parent"]:
            alive["parent"] = False  # dies right after this (complete) scan
            return [(101, "s101"), (102, "s102")]
        return []

    killed = []
    monkeypatch.setattr(runguard, "_children_started", children_started)
    monkeypatch.setattr(runguard, "_started", lambda pid: {101: "s101", 102: "other"}.get(pid))
    monkeypatch.setattr(os, "getppid", lambda: PARENT if alive["parent"] else 1)
    monkeypatch.setattr(os, "kill", lambda pid, sig: killed.append((pid, sig)))
    monkeypatch.setattr(runguard.time, "sleep", lambda s: None)
    monkeypatch.setattr(signal, "signal", lambda *a: None)

    runguard.watch_parent(PARENT)

    assert killed == [(101, signal.SIGKILL)]
