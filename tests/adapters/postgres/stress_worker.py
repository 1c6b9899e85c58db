"""The work one process of the stress test does: 4 threads of mixed writes to one store."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import tidings
from tidings import Batch, NewEvent, StoredEvent, UnmetWriteConditionError, position_is

THREADS = 4
ROUNDS = 12


def _thread(url: str, ordering: str, process: int, thread: int) -> list[StoredEvent]:
    stored: list[StoredEvent] = []
    me = f"p{process}t{thread}"
    with tidings.connect(url, ordering=ordering, pool_max_size=2) as store:
        hot = store.stream(category="hot", stream="shared")
        orders = store.category(category="orders")
        for round_ in range(ROUNDS):
            while True:
                latest = hot.latest()
                try:
                    stored += hot.publish(
                        events=[NewEvent(name="claimed", payload={"by": me, "n": round_})],
                        condition=position_is(None if latest is None else latest.position),
                    )
                    break
                except UnmetWriteConditionError:
                    continue
            written = orders.publish(
                streams={
                    f"own-{me}": [NewEvent(name="a", id=f"{me}-{round_}-a"), NewEvent(name="b")],
                    f"common-{round_ % 3}": Batch([NewEvent(name="c")]),
                }
            )
            stored += [event for events in written.values() for event in events]
            # An exact retry of the first batch must return it and write nothing.
            again = orders.stream(f"own-{me}").publish(
                events=[NewEvent(name="a", id=f"{me}-{round_}-a")]
            )
            assert again == written[f"own-{me}"][:1], (again, written)
    return stored


def work(url: str, ordering: str, process: int) -> list[StoredEvent]:
    """Run the threads of one process; return every event they were told was stored."""
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        futures = [pool.submit(_thread, url, ordering, process, t) for t in range(THREADS)]
        return [event for future in futures for event in future.result()]
