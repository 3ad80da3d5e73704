"""Estimates that arrive together are valued together: one engine call for every waiting request.

A one-patent estimate is almost all fixed cost: ``valuate`` on ten patents takes about what it
takes on one (the engine is vectorised; at n = 1 its set-up is the work). Under concurrent clients
each request used to pay that cost alone, one after another on the GIL. Here the first request of
a key (valuation date and loan term) values its records at once; the requests that arrive while it
runs queue, and the next one to get the turn values all of them in one call. Nothing waits on a
timer: a lone request is valued immediately, as before.

What the call needs from the database (the current reference) is read once per call, by the
request that runs it, on a connection of its own, after every request of the call has arrived: each
request gets a reference at least as recent as one it would have read itself.

Results are the same as valuing each request alone: the engine compares every patent with the
named reference, never with the other rows, and its Monte Carlo draws are common to all patents
(``valuation/engine.py``, ``valuation/income.py``). If a combined call fails, each request is
valued again alone, so a record that breaks the engine fails its own request only.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

Records = list[dict[str, Any]]
Results = list[dict[str, Any]]

# Patents valued in one call at most: a request of 1,000 patents is not held up by, nor holds up,
# a queue of one-patent requests for longer than one such call.
MAX_BATCH_PATENTS = 256


@dataclass(eq=False)  # compared by identity: two requests may hold equal records
class _Request:
    records: Records
    turn: threading.Condition  # on the batches' lock: woken when done, or when it is to run the call
    context: Any = None
    results: Results | None = None
    error: BaseException | None = None
    done: bool = False


@dataclass
class EstimateBatches:
    """Queues of waiting requests by key; one engine call for a whole queue.

    ``value(key, records, read_context)`` returns ``(context, results)``: ``results`` of
    ``records`` in order, computed by ``compute(key, context, records)`` — called on the records of
    one or more requests concatenated — and ``context`` the one ``read_context()`` of the request
    that ran the call returned.
    """

    compute: Callable[[Any, Any, Records], Results]
    max_patents: int = MAX_BATCH_PATENTS
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _waiting: dict[Hashable, list[_Request]] = field(default_factory=dict)
    _running: set[Hashable] = field(default_factory=set)

    def value(self, key: Hashable, records: Records, read_context: Callable[[], Any]) -> tuple[Any, Results]:
        """Each request waits on a condition of its own: a finished call wakes its requests and the
        first one still waiting for the key (which runs the next call), not every waiting thread."""
        mine = _Request(records, threading.Condition(self._lock))
        with self._lock:
            self._waiting.setdefault(key, []).append(mine)
            while not mine.done:
                if key in self._running:
                    mine.turn.wait()
                    continue
                batch = self._take(key)
                self._running.add(key)
                self._lock.release()
                try:
                    self._run(key, mine, batch, read_context)
                finally:
                    self._lock.acquire()
                    for request in batch:  # interrupted (not an Exception): nobody waits forever
                        if not request.done and request not in self._waiting.get(key, ()):
                            request.error = RuntimeError("the estimate was interrupted")
                            request.done = True
                    self._running.discard(key)
                    for request in batch:
                        if request.done:
                            request.turn.notify()
                    if queue := self._waiting.get(key):
                        queue[0].turn.notify()  # the next call's runner: its batch starts with it
        if mine.error is not None:
            raise mine.error
        assert mine.results is not None
        return mine.context, mine.results

    def _take(self, key: Hashable) -> list[_Request]:
        """The waiting requests of ``key`` in arrival order, up to ``max_patents`` (at least one)."""
        queue = self._waiting[key]
        count, total = 0, 0
        while count < len(queue) and (count == 0 or total + len(queue[count].records) <= self.max_patents):
            total += len(queue[count].records)
            count += 1
        batch, rest = queue[:count], queue[count:]
        if rest:
            self._waiting[key] = rest
        else:
            del self._waiting[key]
        return batch

    def _run(self, key: Hashable, runner: _Request, batch: list[_Request], read_context: Callable[[], Any]) -> None:
        """Value ``batch`` with the context ``runner`` (one of them) reads; a failed read fails the
        runner only: the others go back to the head of the queue and read their own."""
        others = [request for request in batch if request is not runner]
        try:
            context = read_context()
        except Exception as exc:
            runner.error, runner.done = exc, True
            if others:
                with self._lock:
                    self._waiting[key] = others + self._waiting.get(key, [])
            return
        self._compute(key, context, batch)

    def _compute(self, key: Hashable, context: Any, batch: list[_Request]) -> None:
        try:
            results = self.compute(key, context, [record for request in batch for record in request.records])
        except Exception as exc:
            if len(batch) == 1:
                batch[0].error = exc
            else:  # value each request alone: only the one whose records break the engine fails
                for request in batch:
                    self._compute(key, context, [request])
            for request in batch:
                request.context, request.done = context, True
            return
        start = 0
        for request in batch:
            request.context, request.results = context, results[start : start + len(request.records)]
            start += len(request.records)
            request.done = True
