"""How ``crawlqa run`` starts and stops: the run lock, Ctrl-C, and failures said in one line.

``guarded_run`` wraps the job (either engine):

* **run lock** — taken before anything starts (``pipelines.run.run_lock``): a second run of the same
  run id fails at once, naming the holder (exit 1);
* **Ctrl-C** — the first SIGINT kills the crawl subprocesses (``crawlers.run.stop_crawls``; their
  extraction workers die with them) and raises ``KeyboardInterrupt`` in the job, which stops where
  it is: nothing is retried, the stage markers of finished work stay. The command prints how to
  resume (the same command with ``--run-id``) and exits 130. If the process has not exited
  ``grace`` seconds later (Prefect reporting the crash to an API server that the same Ctrl-C
  stopped), or at a second Ctrl-C, it kills its child processes and exits 130 at once;
* **kill -9** — the crawl process and its workers die with the run (``crawlers.lifeline``); a small
  watchdog process (``watch_parent``) kills what else the run left, Prefect's temporary API server;
* **a failed job** — a write stage whose LLM calls mostly failed, an unusable LLM endpoint
  (``pipelines.job.JobFailed``): one line, exit 1; a re-run of the run id redoes what failed.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for a Ctrl-C
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/@\s]*@")


def resume_command(argv: list[str], run_id: str | None) -> str:
    """The command line that resumes this run: the same arguments with ``--run-id RUN_ID``
    (any ``user:password@`` of a URL masked); ``run_id`` None: the same arguments (``crawlqa synth
    RUN_DIR`` names its run by its folder)."""
    args: list[str] = []
    skip = False
    for a in argv[1:]:
        if skip:
            skip = False
            continue
        if a == "--run-id":
            skip = True
            continue
        if a.startswith("--run-id="):
            continue
        args.append(_USERINFO.sub(r"\1***@", a))
    return shlex.join(["crawlqa", *args, *(["--run-id", run_id] if run_id is not None else [])])


def _children(pid: int) -> list[int]:
    """Direct children of ``pid`` (Linux ``/proc``; empty elsewhere)."""
    return [child for child, _ in _children_started(pid)]


def _children_started(pid: int) -> list[tuple[int, str]]:
    """``(child pid, start time)`` of the direct children of ``pid`` (the start time tells a
    process from a later one that reuses its pid)."""
    kids = []
    for d in Path("/proc").glob("[0-9]*"):
        try:
            stat = (d / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        if len(fields) > 19 and fields[1] == str(pid):
            kids.append((int(d.name), fields[19]))
    return kids


def _started(pid: int) -> str | None:
    try:
        stat = (Path("/proc") / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2:].split()
    return fields[19] if len(fields) > 19 else None


def watch_parent(parent: int, every: float = 0.5) -> None:
    """The watchdog process (``python -m crawlqa.runguard PID``): while ``parent`` lives, note its
    children every ``every`` s; once it is gone (``kill -9``), SIGKILL those it left behind —
    Prefect's temporary API server above all (the crawl process and its workers die by themselves,
    ``crawlers.lifeline``). Linux only."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a terminal's Ctrl-C is for the run, not for us
    me = os.getpid()
    known: list[tuple[int, str]] = []
    while True:
        seen = [(pid, start) for pid, start in _children_started(parent) if pid != me]
        if os.getppid() != parent:
            # the run died during the scan: the children it left were re-parented meanwhile and are
            # missing from ``seen``; the previous scan still names them
            known = list(dict.fromkeys(known + seen))
            break
        known = seen
        time.sleep(every)
    for pid, start in known:
        if _started(pid) == start:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:  # gone meanwhile
                continue


@contextmanager
def _watchdog() -> Iterator[None]:
    """A ``watch_parent`` process for the body's duration (stopped at its end)."""
    if not sys.platform.startswith("linux"):
        yield
        return
    import subprocess

    proc = subprocess.Popen([sys.executable, "-m", "crawlqa.runguard", str(os.getpid())],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield
    finally:
        proc.kill()
        proc.wait()


def _kill_children() -> None:
    """SIGKILL this process's children (a crawl, Prefect's temporary API server ...)."""
    for pid in _children(os.getpid()):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:  # already gone
            continue


@contextmanager
def _interruptible(message: str, grace: float) -> Iterator[None]:
    """First SIGINT: stop the crawls, raise KeyboardInterrupt here; then, after ``grace`` seconds or
    at the next SIGINT: print ``message``, kill the children and exit 130 without further ado."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers live in the main thread only
        return
    seen = []

    def hard_exit() -> None:
        sys.stderr.write(f"\n{message}\n")
        sys.stderr.flush()
        _kill_children()
        os._exit(EXIT_INTERRUPTED)

    def on_sigint(signum: int, frame: object) -> None:
        seen.append(signum)
        if len(seen) > 1:
            hard_exit()
        from crawlers.run import stop_crawls

        stop_crawls()
        timer = threading.Timer(grace, hard_exit)
        timer.daemon = True
        timer.start()
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextmanager
def guarded_run(out: Path | str, run_id: str, err, *, grace: float = 10.0,  # type: ignore[no-untyped-def]
                with_run_id: bool = True) -> Iterator[None]:
    """Run the body under the run lock and the Ctrl-C policy above; ``err`` is a rich console.
    ``with_run_id`` False: the resume hint is the same command line (no ``--run-id``)."""
    import typer

    from pipelines.job import JobFailed
    from pipelines.run import RunDir, RunLocked, run_lock

    run = RunDir(Path(out), run_id).create()
    hint = f"resume it with: {resume_command(sys.argv, run_id if with_run_id else None)}"
    try:
        with run_lock(run), _watchdog(), _interruptible(f"interrupted: run {run_id} stopped; {hint}", grace):
            yield
    except RunLocked as exc:
        _say(err, f"error: {exc}")
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        _say(err, f"\ninterrupted: run {run_id} stopped; finished stages are kept.\n{hint}")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except JobFailed as exc:
        again = f"with --run-id {run_id} " if with_run_id else ""
        _say(err, f"error: {exc}\nre-run the same command {again}to redo what failed")
        raise typer.Exit(1) from None


def _say(err, text: str) -> None:  # type: ignore[no-untyped-def]
    """Plain text (no rich markup: URLs and JSON parameters hold brackets), never wrapped."""
    err.print(text, markup=False, highlight=False, soft_wrap=True)


if __name__ == "__main__":  # the watchdog process of _watchdog
    watch_parent(int(sys.argv[1]))
