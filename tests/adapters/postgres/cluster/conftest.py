"""The Patroni cluster for the tests marked ``cluster``: built once per session, on the
loopback. In CI (``CI`` set) a cluster that cannot be built fails these tests; elsewhere
they skip, saying why (install ``patroni`` and ``etcd-server`` to run them)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from .patroni_cluster import ClusterUnavailable, PatroniCluster, missing_tools


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"CI needs the Patroni cluster: {reason}", pytrace=False)
    pytest.skip(f"NO PATRONI CLUSTER: {reason}")


@pytest.fixture(scope="session")
def patroni_cluster() -> Iterator[PatroniCluster]:
    """Three Patroni nodes with synchronous replication, and an etcd."""
    problem = missing_tools()
    if problem is not None:
        _unavailable(problem)
    if os.geteuid() != 0:
        _unavailable("building the cluster needs root, to run the servers as 'postgres'")
    cluster = PatroniCluster()
    try:
        cluster.start()
    except (ClusterUnavailable, OSError) as error:
        cluster.stop()
        _unavailable(str(error))
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def healthy_cluster(patroni_cluster: PatroniCluster) -> PatroniCluster:
    """The session's cluster, healthy again after whatever the last test did to it."""
    patroni_cluster.thaw()
    patroni_cluster.wait_healthy(120)
    return patroni_cluster
