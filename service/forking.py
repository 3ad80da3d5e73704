"""Work on the machine's second core: a function run in a forked child, its result (or error)
brought back to the parent. Only for a process whose other threads hold no locks the child needs
(the CLI's): forked from a process with running threads, a child can wait forever on a lock that
one of them held at the fork. The scheduler's and the web server's processes do not fork."""

from __future__ import annotations

import os
import pickle
import signal
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


def two_cores_and_fork() -> bool:
    return hasattr(os, "fork") and (os.cpu_count() or 1) > 1


@contextmanager
def in_child(work: Callable[[], Any]) -> Iterator[Callable[[], Any]]:
    """``work()`` started in a forked child: the block gets a function that waits for its result
    (pickled through a pipe) or raises its exception. A child not waited for when the block ends
    is killed."""
    read_end, write_end = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    child = os.fork()
    if child == 0:  # the child: the work, its outcome down the pipe, then leave at once (no atexit)
        code = 1
        try:
            os.close(read_end)
            try:
                answer = pickle.dumps((True, work()), protocol=pickle.HIGHEST_PROTOCOL)
            except Exception as exc:  # said in the parent as raised here (as text if it cannot be pickled)
                try:
                    answer = pickle.dumps((False, exc))
                except Exception:
                    answer = pickle.dumps((False, RuntimeError(traceback.format_exc())))
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(answer)
            code = 0
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)
    os.close(write_end)
    pipe = os.fdopen(read_end, "rb")
    waited = False

    def result() -> Any:
        nonlocal waited
        try:
            ok, value = pickle.load(pipe)
        except EOFError:
            ok, value = False, RuntimeError("the child process ended without an answer (see above)")
        finally:
            pipe.close()
            os.waitpid(child, 0)
            waited = True
        if not ok:
            raise value
        return value

    try:
        yield result
    finally:
        if not waited:
            pipe.close()
            os.kill(child, signal.SIGKILL)
            os.waitpid(child, 0)
