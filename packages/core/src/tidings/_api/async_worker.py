"""The worker runner: run a consumer, a projection consumer or a group member until a
signal stops it, with structured logs and documented exit codes.

The async module is the one source of both faces; the sync module is generated from it
by ``tools/unasync.py``. ``tidings consume`` is this runner behind a command line; call
it yourself to embed a worker in your own process or asyncio service.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Iterable
from typing import Any, Protocol

from tidings.errors import StorageError, StoreClosedError, TidingsError, ValidationError

__all__ = [
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_STORE",
    "EXIT_USAGE",
    "AsyncRunnable",
    "run_worker_async",
]

EXIT_OK = 0
"""Stopped by a signal (or by ``stop()``) after the current batch: all work saved."""
EXIT_FAILED = 1
"""The handler or projector raised and the consumer gave up (its checkpoint is before
the failing event, so a restart tries it again)."""
EXIT_USAGE = 2
"""Bad arguments: an unknown object, a wrong option, a group that disagrees."""
EXIT_STORE = 3
"""The store failed or went away (connection lost, disk full): restart when it is back."""

logger = logging.getLogger("tidings.worker")


class AsyncRunnable(Protocol):
    """What the runner needs: ``run`` until ``stop`` (consumers and group members)."""

    async def run(self) -> Any: ...

    async def stop(self) -> None: ...


async def run_worker_async(
    consumer: AsyncRunnable,
    *,
    signals: Iterable[int] = (signal.SIGTERM, signal.SIGINT),
) -> int:
    """Run ``consumer`` until one of ``signals`` arrives, then let it stop gracefully
    (after the batch in hand, its checkpoint saved); return an exit code. Installs the
    signal handlers for the run only, so call it from the main thread."""
    wanted = list(signals)
    import asyncio  # async-only

    loop = asyncio.get_running_loop()  # async-only
    stopping: list[Any] = []  # async-only

    def on_signal(number: int, *_: Any) -> None:
        logger.info("stopping", extra={"tidings": {"signal": signal.Signals(number).name}})
        stopping.append(asyncio.ensure_future(consumer.stop()))  # async-only
        # sync: consumer.stop()

    for number in wanted:  # async-only
        loop.add_signal_handler(number, on_signal, number)  # async-only
    # sync: previous = {number: signal.signal(number, on_signal) for number in wanted}
    logger.info("started", extra={"tidings": {"consumer": repr(consumer)}})
    try:
        await consumer.run()
    except (StorageError, StoreClosedError) as error:
        logger.error("store failed", extra={"tidings": _error(error)})
        return EXIT_STORE
    except ValidationError as error:
        logger.error("bad arguments", extra={"tidings": _error(error)})
        return EXIT_USAGE
    except TidingsError as error:
        logger.error("stopped by an error", extra={"tidings": _error(error)})
        return EXIT_FAILED
    except Exception as error:
        logger.error("handler failed", extra={"tidings": _error(error)}, exc_info=True)
        return EXIT_FAILED
    finally:
        for number in wanted:  # async-only
            loop.remove_signal_handler(number)  # async-only
        for task in stopping:  # async-only
            await task  # async-only
        # sync: for number, handler in previous.items():
        # sync:     signal.signal(number, handler)
    logger.info("stopped", extra={"tidings": {"exit": EXIT_OK}})
    return EXIT_OK


def _error(error: BaseException) -> dict[str, Any]:
    return {"error": type(error).__name__, "reason": str(error)}
