"""A projection consumer in its own process, for the SIGKILL test: it projects the
``work`` category page by page, slowly enough to be killed in the middle of a page."""

from __future__ import annotations

import sys
import time
from typing import Any

import tidings
from tidings import Projector, StoredEvent


def tally(state: Any, event: StoredEvent) -> Any:
    time.sleep(0.004)  # a handler with some work in it, so kills land mid-page
    return state.merge(
        {
            "count": state.get("count", 0) + 1,
            "total": state.get("total", 0) + event.payload["index"],
            "last": event.sequence_number,
        }
    )


PROJECTOR = Projector(handlers={"worked": tally}, name="tally")


def main(url: str) -> None:
    with tidings.connect(url) as store:
        consumer = store.projection_consumer(
            name="tally-consumer",
            source=store.category(category="work"),
            projector=PROJECTOR,
            batch_size=7,
        )
        consumer.run(until_caught_up=True)


if __name__ == "__main__":
    main(sys.argv[1])
