"""A consumer group member in its own process, for the group tests.

``python group_worker.py URL MODE RECORD TTL`` runs one member of the group ``tally``
on the ``work`` category with :func:`tidings.run_worker` until SIGTERM. In ``projection``
mode it keeps :data:`PROJECTOR`'s projection of each stream, exactly once; in ``handler``
mode it appends one JSON line per handler call to ``RECORD``: the member, the partition,
the lease epoch, the event's stream and position, and the time of the call.
"""

from __future__ import annotations

import faulthandler
import json
import os
import signal
import sys
import time
from typing import Any

import tidings
from tidings import Projector, StoredEvent
from tidings._api.worker_logging import configure_worker_logging

GROUP = "tally"
PARTITIONS = 8


def tally(state: Any, event: StoredEvent) -> Any:
    time.sleep(0.002)  # some work, so that kills and pauses land in the middle of a batch
    last = state.get("last", -1)
    return state.merge(
        {
            "count": state.get("count", 0) + 1,
            "total": state.get("total", 0) + event.payload["index"],
            "last": event.position,
            "disorder": state.get("disorder", 0) + (event.position != last + 1),
        }
    )


PROJECTOR = Projector(handlers={"worked": tally}, name="tally")


def main(url: str, mode: str, record: str, ttl: float) -> int:
    configure_worker_logging()
    faulthandler.register(signal.SIGUSR1)  # a stuck worker shows where it is
    with tidings.connect(url) as store:
        source = store.category(category="work")
        if mode == "projection":
            member = store.group_member(
                group=GROUP,
                source=source,
                projector=PROJECTOR,
                partitions=PARTITIONS,
                ttl=ttl,
                batch_size=10,
                poll_interval=0.05,
            )
        else:
            out = os.open(record, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

            def handler(event: StoredEvent) -> None:
                partition = member.partition_of(event)
                epoch = member.epoch_of(partition)
                line = {
                    "member": member.member,
                    "partition": partition,
                    "epoch": None if epoch is None else epoch.isoformat(),
                    "stream": event.stream,
                    "position": event.position,
                    "time": time.time(),
                }
                os.write(out, (json.dumps(line) + "\n").encode())
                time.sleep(0.002)

            member = store.group_member(
                group=GROUP,
                source=source,
                handler=handler,
                partitions=PARTITIONS,
                ttl=ttl,
                batch_size=10,
                poll_interval=0.05,
            )
        return tidings.run_worker(member)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])))
