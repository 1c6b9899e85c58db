"""Suite-wide settings: pytester for the testkit's own tests, and groups for pytest-xdist.

``uv run pytest`` runs on several workers (``-n`` in the pytest settings). Tests of the
Patroni cluster share one session-scoped cluster, so they all run on one worker
(``--dist loadgroup``). The tests that start worker processes and time them (a failover
within a few ttl) run one after another on one worker too, so that they do not starve
each other's processes on a small machine. The rest spread one test at a time.
"""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.pluginmanager.hasplugin("xdist"):
        return
    for item in items:
        if item.get_closest_marker("cluster") is not None:
            item.add_marker(pytest.mark.xdist_group("patroni-cluster"))
        elif item.get_closest_marker("processes") is not None:
            item.add_marker(pytest.mark.xdist_group("worker-processes"))
