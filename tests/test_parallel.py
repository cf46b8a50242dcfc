"""prototxt_tool.parallel: results in input order whatever the number of processes."""

from __future__ import annotations

import os

import pytest

from prototxt_tool import parallel

needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="no os.fork on this platform")


def square_or_fail(n: int) -> int:
    if n == 13:
        raise ValueError("thirteen")
    return n * n


@needs_fork
@pytest.mark.parametrize("jobs", [1, 2, 3])
def test_results_in_order_with_any_number_of_jobs(jobs: int) -> None:
    items = list(range(40))
    got = list(parallel.ordered_map(lambda n: (n, os.getpid()), items, jobs,
                                    cost=lambda n: n % 7))
    assert [n for n, _ in got] == items
    pids = {pid for _, pid in got}
    assert len(pids) <= jobs
    if jobs == 1:
        assert pids == {os.getpid()}


@needs_fork
def test_work_is_shared_between_the_parent_and_the_workers() -> None:
    import time

    def slow(n: int) -> int:
        time.sleep(0.01)
        return os.getpid()

    pids = list(parallel.ordered_map(slow, list(range(20)), 2))
    assert os.getpid() in pids and len(set(pids)) == 2


@needs_fork
def test_more_items_than_a_pipe_holds_are_batched() -> None:
    items = list(range(40_000))
    assert list(parallel.ordered_map(lambda n: n + 1, items, 2)) == [n + 1 for n in items]


@needs_fork
def test_an_exception_is_raised_in_order_after_the_results_before_it() -> None:
    seen = []
    with pytest.raises(ValueError, match="thirteen"):
        for value in parallel.ordered_map(square_or_fail, list(range(20)), 2):
            seen.append(value)
    assert seen == [n * n for n in range(13)]
    _no_children_left()


@needs_fork
def test_stopping_early_leaves_no_worker_behind() -> None:
    gen = parallel.ordered_map(lambda n: n, list(range(1000)), 2)
    assert next(gen) == 0
    gen.close()
    _no_children_left()


@needs_fork
def test_large_results_come_back_whole() -> None:
    got = list(parallel.ordered_map(lambda n: "x" * (n * 50_000), list(range(8)), 2))
    assert [len(s) for s in got] == [n * 50_000 for n in range(8)]


def test_one_job_runs_in_this_process() -> None:
    assert list(parallel.ordered_map(lambda n: os.getpid(), [1, 2], 1)) == [os.getpid()] * 2
    assert list(parallel.ordered_map(lambda n: n, [], 4)) == []


def test_usable_cores() -> None:
    """The cores this process may run on (its affinity mask), not all the machine has."""
    if hasattr(os, "sched_getaffinity"):
        assert parallel.usable_cores() == len(os.sched_getaffinity(0))
    else:
        assert parallel.usable_cores() == (os.cpu_count() or 1)


def _no_children_left() -> None:
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)
