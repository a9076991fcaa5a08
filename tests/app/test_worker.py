"""The worker runs core calls one at a time, in order, and hands results back via dispatch."""

from __future__ import annotations

import threading
import time

from terminal.app.worker import Worker


def test_calls_run_serially_in_order_off_the_calling_thread() -> None:
    handed: list[object] = []
    worker = Worker(handed.append)
    worker.start()
    seen: list[tuple[int, str]] = []
    active = []
    overlap = []

    def job(n: int) -> int:
        active.append(n)
        if len(active) > 1:
            overlap.append(n)
        time.sleep(0.001)
        seen.append((n, threading.current_thread().name))
        active.remove(n)
        return n * 10

    results: list[int] = []
    for n in range(20):
        worker.submit(job, n, on_done=results.append)
    assert worker.wait_idle(10)
    worker.stop()
    assert [n for n, _ in seen] == list(range(20))
    assert {name for _, name in seen} == {"core-worker"}
    assert not overlap
    # Results are not delivered until the dispatcher runs them (the UI thread's job).
    assert results == []
    for fn in handed:
        fn()  # type: ignore[operator]
    assert results == [n * 10 for n in range(20)]


def test_errors_go_to_on_error_or_the_unhandled_hook() -> None:
    unhandled: list[BaseException] = []
    worker = Worker(lambda fn: fn(), on_unhandled=unhandled.append)
    worker.start()
    caught: list[BaseException] = []

    def fail() -> None:
        raise ValueError("bad input")

    worker.submit(fail, on_error=caught.append)
    worker.submit(fail)
    worker.submit(lambda: 1, on_done=lambda r: caught.append(r))  # type: ignore[arg-type]
    assert worker.wait_idle(5)
    worker.stop()
    assert [type(e) for e in caught[:1]] == [ValueError]
    assert caught[1] == 1
    assert [str(e) for e in unhandled] == ["bad input"]


def test_busy_and_wait_idle() -> None:
    worker = Worker(lambda fn: fn())
    gate = threading.Event()
    worker.start()
    worker.submit(gate.wait)
    assert worker.busy
    assert worker.wait_idle(0.05) is False
    gate.set()
    assert worker.wait_idle(5)
    assert not worker.busy
    worker.stop()


def test_work_after_a_job_runs_once_its_result_is_handed_back_and_before_the_next() -> None:
    handed: list[object] = []
    problems: list[BaseException] = []
    order: list[str] = []

    def dispatch(fn: object) -> None:
        order.append("handed")
        handed.append(fn)

    worker = Worker(dispatch, on_unhandled=problems.append)

    def step(name: str) -> str:
        order.append(name)

        def later() -> BaseException | None:
            order.append(f"after {name}")
            return OSError("disk full") if name == "b" else None

        worker.after(later)
        return name

    worker.start()
    worker.submit(step, "a", on_done=lambda r: order.append(f"done {r}"))
    worker.submit(step, "b")
    assert worker.wait_idle(10)  # idle only once the work after each job is done too
    worker.stop()
    # a's result goes to the dispatcher before the work after it; b has no callback, and its
    # after-work's error is what it hands on next.
    assert order == ["a", "handed", "after a", "b", "after b", "handed"]
    assert len(handed) == 2
    handed[0]()  # type: ignore[operator]
    assert order[-1] == "done a"
    handed[1]()  # type: ignore[operator]
    assert [str(p) for p in problems] == ["disk full"]
