"""Work over many files spread across forked processes, results handed back in input order.

`lint -j N` and `analyze -j N` of many nets use this. A multiprocessing Pool costs more than
it saves on a run as short as linting a model folder: its feeder and result threads compete
with the parent for the GIL, every task and result is pickled, and the parent sits idle. Here
the parent is one of the N workers, and the tasks need no pickling at all:

- the order of the tasks (largest first when a cost is given: no big file is left to run
  alone at the end) is written into a pipe before the workers are forked; each worker,
  the parent included, takes the next task by reading one 4-byte index from that pipe. Reads
  of a pipe are atomic, so every task goes to exactly one worker, and whoever is free takes
  the next one (dynamic balancing without a lock or a thread);
- a forked worker sends each result back, pickled, on a pipe of its own; between its own
  tasks the parent collects what has arrived and yields every result whose predecessors are
  all in, so output streams and is the same, byte for byte, whatever N is.

`fn` must not raise for bad input (the callers turn a bad file into a result); an exception
that escapes it anyway is re-raised in the parent when its turn to be yielded comes.
"""

from __future__ import annotations

import os
import pickle
import struct
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_TASK = struct.Struct("<I")
_HEAD = struct.Struct("<II")  # task index, length of the pickled result
_PIPE_TASKS = 16384  # a pipe holds 64 KiB: that many 4-byte task numbers


def usable_cores() -> int:
    """The cores this process may run on (the default for -j)."""
    if hasattr(os, "sched_getaffinity"):
        return max(len(os.sched_getaffinity(0)), 1)
    return max(os.cpu_count() or 1, 1)


def file_size(path: str) -> int:
    """A file's size as a task's cost (0 when it cannot be looked at: it fails fast)."""
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def ordered_map(fn: Callable[[T], R], items: Sequence[T], jobs: int,
                cost: Callable[[T], int] | None = None) -> Iterator[R]:
    """fn(item) for every item, yielded in the order of `items`, computed by `jobs` processes.

    One job (or a platform without fork) runs everything in this process.
    """
    jobs = max(1, min(jobs, len(items)))
    if jobs == 1 or not hasattr(os, "fork"):
        for item in items:
            yield fn(item)
        return
    order = list(range(len(items)))
    if cost is not None:
        order.sort(key=lambda i: -cost(items[i]))
    # A batch of items per task once there are more than a pipe holds (100,000 files, say).
    size = -(-len(order) // _PIPE_TASKS)
    batches = [order[i:i + size] for i in range(0, len(order), size)]
    tasks_r, tasks_w = os.pipe()
    os.write(tasks_w, b"".join(_TASK.pack(b) for b in range(len(batches))))
    os.close(tasks_w)  # readers see the end of the tasks once the pipe is empty
    sys.stdout.flush()
    sys.stderr.flush()
    import gc

    gc.freeze()  # a collection in a worker would touch, and so copy, every page it shares
    workers: list[tuple[int, int]] = []
    finished = False
    try:
        for _ in range(jobs - 1):
            workers.append(_fork_worker(fn, items, batches, tasks_r, workers))
        yield from _collect(fn, items, batches, tasks_r, workers)
        finished = True
    finally:  # also when the caller stops early or an error escapes: no worker outlives us
        os.close(tasks_r)
        for pid, fd in workers:
            os.close(fd)
            _reap(pid, kill=not finished)
        gc.unfreeze()


def _fork_worker(fn: Callable[[Any], Any], items: Sequence[Any], batches: list[list[int]],
                 tasks: int, others: list[tuple[int, int]]) -> tuple[int, int]:
    results_r, results_w = os.pipe()
    pid = os.fork()
    if pid:
        os.close(results_w)
        return pid, results_r
    code = 0
    try:  # the worker: never returns, never runs the parent's cleanup or atexit handlers
        os.close(results_r)
        for _, fd in others:
            os.close(fd)
        for i, outcome in _take(fn, items, batches, tasks):
            try:
                data = pickle.dumps(outcome, pickle.HIGHEST_PROTOCOL)
            except Exception as err:  # an unpicklable result or exception
                data = pickle.dumps((False, RuntimeError(f"result not picklable: {err}")))
            _write_all(results_w, _HEAD.pack(i, len(data)) + data)
    except BaseException:  # the parent sees the missing results
        code = 1
    os._exit(code)


def _take(fn: Callable[[Any], Any], items: Sequence[Any], batches: list[list[int]],
          tasks: int) -> Iterator[tuple[int, tuple[bool, Any]]]:
    """(index, (ok, result or exception)) for each item of each task this process takes."""
    while True:
        token = os.read(tasks, _TASK.size)
        if not token:
            return
        for i in batches[_TASK.unpack(token)[0]]:
            try:
                yield i, (True, fn(items[i]))
            except Exception as err:  # re-raised by the parent, in order
                yield i, (False, err)


def _collect(fn: Callable[[Any], Any], items: Sequence[Any], batches: list[list[int]],
             tasks: int, workers: list[tuple[int, int]]) -> Iterator[Any]:
    done: dict[int, tuple[bool, Any]] = {}
    buffers = {fd: bytearray() for _, fd in workers}
    open_fds = set(buffers)
    following = 0

    def ready() -> Iterator[Any]:
        nonlocal following
        while following in done:
            ok, value = done.pop(following)
            following += 1
            if not ok:
                raise value
            yield value

    for i, outcome in _take(fn, items, batches, tasks):
        done[i] = outcome
        _receive(buffers, open_fds, done, wait=False)
        yield from ready()
    while following < len(items):
        if not open_fds and following not in done:
            raise RuntimeError("a worker process ended before finishing its tasks")
        _receive(buffers, open_fds, done, wait=following not in done)
        yield from ready()


def _receive(buffers: dict[int, bytearray], open_fds: set[int],
             done: dict[int, tuple[bool, Any]], wait: bool) -> None:
    """Read what the workers have sent so far (block for some when `wait`)."""
    if not open_fds:
        return
    import select

    readable, _, _ = select.select(list(open_fds), [], [], None if wait else 0)
    for fd in readable:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            open_fds.discard(fd)
            continue
        buf = buffers[fd]
        buf += chunk
        while len(buf) >= _HEAD.size:
            i, length = _HEAD.unpack_from(buf)
            if len(buf) < _HEAD.size + length:
                break
            done[i] = pickle.loads(buf[_HEAD.size:_HEAD.size + length])
            del buf[:_HEAD.size + length]


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _reap(pid: int, kill: bool) -> None:
    import contextlib
    import signal

    with contextlib.suppress(ProcessLookupError, ChildProcessError):
        if kill:
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
