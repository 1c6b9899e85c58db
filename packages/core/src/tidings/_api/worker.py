# Generated from async_worker.py by tools/unasync.py: do not edit.
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
    "Runnable",
    "run_worker",
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


class Runnable(Protocol):
    """What the runner needs: ``run`` until ``stop`` (consumers and group members)."""

    def run(self) -> Any: ...

    def stop(self) -> None: ...


def run_worker(
    consumer: Runnable,
    *,
    signals: Iterable[int] = (signal.SIGTERM, signal.SIGINT),
) -> int:
    """Run ``consumer`` until one of ``signals`` arrives, then let it stop gracefully
    (after the batch in hand, its checkpoint saved); return an exit code. Installs the
    signal handlers for the run only, so call it from the main thread."""
    wanted = list(signals)

    def on_signal(number: int, *_: Any) -> None:
        logger.info("stopping", extra={"tidings": {"signal": signal.Signals(number).name}})
        consumer.stop()

    previous = {number: signal.signal(number, on_signal) for number in wanted}
    logger.info("started", extra={"tidings": {"consumer": repr(consumer)}})
    try:
        consumer.run()
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
        for number, handler in previous.items():
            signal.signal(number, handler)
    logger.info("stopped", extra={"tidings": {"exit": EXIT_OK}})
    return EXIT_OK


def _error(error: BaseException) -> dict[str, Any]:
    return {"error": type(error).__name__, "reason": str(error)}
