"""A real high-availability PostgreSQL cluster for the tests: three Patroni nodes and one
etcd, all on the loopback, from Debian's ``patroni`` and ``etcd-server`` packages.

Synchronous replication is on and strict (``synchronous_mode_strict``: with no
synchronous standby, commits wait), so a commit the primary acknowledges is on two
nodes, and a crashed primary fails over at once
(``primary_start_timeout: 0``) instead of restarting in place. The servers run as the
``postgres`` OS user (initdb refuses root), small and quick: a few MB of shared buffers,
a 10-second leader TTL and a 1-second loop. Everything lives in one temporary folder.
"""

from __future__ import annotations

import base64
import contextlib
import glob
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

__all__ = ["ClusterUnavailable", "Node", "PatroniCluster", "missing_tools"]

SCOPE = "tidings"
SCOPE_KEY = f"/service/{SCOPE}"
TTL = 10
LOOP_WAIT = 1
RETRY_TIMEOUT = 3


class ClusterUnavailable(Exception):
    """The cluster could not be built or did not become healthy in time."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _bin_dir() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return str(Path(found[-1]).parent) if found else None


def missing_tools() -> str | None:
    """Why a cluster cannot be built here, or None when it can."""
    for tool in ("patroni", "etcd"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (apt-get install patroni etcd-server)"
    if _bin_dir() is None:
        return "no PostgreSQL binaries under /usr/lib/postgresql/*/bin"
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return "no 'postgres' OS user to run the servers"
    return None


@dataclass
class Node:
    """One Patroni node: its names, ports and process."""

    name: str
    port: int
    rest_port: int
    data_dir: Path
    config: Path
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def postmaster_pid(self) -> int | None:
        try:
            return int((self.data_dir / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def postgres_pids(self) -> list[int]:
        """The postmaster and every process it forked."""
        root = self.postmaster_pid()
        if root is None:
            return []
        pids = [root]
        for status in glob.glob("/proc/[0-9]*/status"):
            with contextlib.suppress(OSError):
                fields = dict(
                    line.split(":\t", 1)
                    for line in Path(status).read_text().splitlines()
                    if ":\t" in line
                )
                if int(fields.get("PPid", "0").strip()) == root:
                    pids.append(int(status.split("/")[2]))
        return pids


class PatroniCluster:
    """Three Patroni nodes and an etcd; :meth:`start` builds it, :meth:`stop` removes it."""

    def __init__(self, size: int = 3) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="tidings-patroni-"))
        self.owner = pwd.getpwnam("postgres")
        os.chown(self.root, self.owner.pw_uid, self.owner.pw_gid)
        self.etcd_port = _free_port()
        self.etcd_peer_port = _free_port()
        self.etcd: subprocess.Popen[bytes] | None = None
        self.nodes = [
            Node(
                name=f"node{index}",
                port=_free_port(),
                rest_port=_free_port(),
                data_dir=self.root / f"node{index}",
                config=self.root / f"node{index}.yml",
                log=self.root / f"node{index}.log",
            )
            for index in range(1, size + 1)
        ]
        self.frozen: list[int] = []
        self.sync_key_repairs = 0
        self._stale_since: float | None = None

    # --- building -----------------------------------------------------------------------

    @property
    def url(self) -> str:
        """Every node in one libpq host list; ``target_session_attrs`` finds the primary."""
        hosts = ",".join(f"127.0.0.1:{node.port}" for node in self.nodes)
        return f"postgresql://postgres@{hosts}/postgres?target_session_attrs=read-write"

    def start(self, timeout: float = 120.0) -> None:
        """Start etcd and the nodes, and wait until the cluster is healthy."""
        with (self.root / "etcd.log").open("wb") as etcd_log:
            self.etcd = self._popen_etcd(etcd_log)
        self._wait(lambda: self._etcd_ready(), 30, "etcd did not start")
        for node in self.nodes:
            node.config.write_text(self._config(node))
            self._spawn(node)
            if node is self.nodes[0]:
                self._wait(lambda: self.leader() is not None, timeout, "no leader was elected")
        self.wait_healthy(timeout)

    def _popen_etcd(self, etcd_log: Any) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [
                "etcd",
                "--name=etcd0",
                f"--data-dir={self.root / 'etcd'}",
                f"--listen-client-urls=http://127.0.0.1:{self.etcd_port}",
                f"--advertise-client-urls=http://127.0.0.1:{self.etcd_port}",
                f"--listen-peer-urls=http://127.0.0.1:{self.etcd_peer_port}",
                f"--initial-advertise-peer-urls=http://127.0.0.1:{self.etcd_peer_port}",
                f"--initial-cluster=etcd0=http://127.0.0.1:{self.etcd_peer_port}",
                "--enable-v2=true",
            ],
            stdout=etcd_log,
            stderr=subprocess.STDOUT,
            user=self.owner.pw_uid,
            group=self.owner.pw_gid,
        )

    def _spawn(self, node: Node) -> None:
        with node.log.open("ab") as log:
            node.process = subprocess.Popen(
                ["patroni", str(node.config)],
                stdout=log,
                stderr=subprocess.STDOUT,
                user=self.owner.pw_uid,
                group=self.owner.pw_gid,
                cwd=self.root,
                env={**os.environ, "HOME": str(self.root)},
            )

    def _config(self, node: Node) -> str:
        config: dict[str, Any] = {
            "scope": SCOPE,
            "name": node.name,
            "log": {"level": "INFO"},
            "restapi": {
                "listen": f"127.0.0.1:{node.rest_port}",
                "connect_address": f"127.0.0.1:{node.rest_port}",
            },
            "etcd3": {"hosts": f"127.0.0.1:{self.etcd_port}"},
            "bootstrap": {
                "dcs": {
                    "ttl": TTL,
                    "loop_wait": LOOP_WAIT,
                    "retry_timeout": RETRY_TIMEOUT,
                    "maximum_lag_on_failover": 1048576,
                    "synchronous_mode": True,
                    "synchronous_mode_strict": True,
                    "primary_start_timeout": 0,
                    "postgresql": {
                        "use_pg_rewind": True,
                        "use_slots": True,
                        "parameters": {
                            "max_connections": 60,
                            "shared_buffers": "16MB",
                            "wal_level": "replica",
                            "hot_standby": "on",
                            "wal_log_hints": "on",
                            "max_wal_senders": 10,
                            "max_replication_slots": 10,
                            "wal_keep_size": "128MB",
                            "fsync": "off",
                            "full_page_writes": "on",
                        },
                    },
                },
                "initdb": [{"encoding": "UTF8"}, {"auth": "trust"}, {"username": "postgres"}],
                "pg_hba": [
                    "local all all trust",
                    "host all all 127.0.0.1/32 trust",
                    "host replication all 127.0.0.1/32 trust",
                ],
            },
            "postgresql": {
                "listen": f"127.0.0.1:{node.port}",
                "connect_address": f"127.0.0.1:{node.port}",
                "data_dir": str(node.data_dir),
                "bin_dir": _bin_dir(),
                "pgpass": str(self.root / f"{node.name}.pgpass"),
                "authentication": {
                    "superuser": {"username": "postgres", "password": "postgres"},
                    "replication": {"username": "postgres", "password": "postgres"},
                    "rewind": {"username": "postgres", "password": "postgres"},
                },
                "parameters": {"unix_socket_directories": str(self.root)},
            },
            "tags": {"nofailover": False, "noloadbalance": False, "clonefrom": False},
        }
        return json.dumps(config)  # YAML is a superset of JSON

    def stop(self) -> None:
        """Stop every process this cluster started, and remove its folder."""
        self.thaw()
        for node in self.nodes:
            if node.process is not None and node.process.poll() is None:
                node.process.terminate()
        for node in self.nodes:
            if node.process is not None:
                try:
                    node.process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    node.process.kill()
                    node.process.wait()
            for pid in node.postgres_pids():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        if self.etcd is not None:
            self.etcd.terminate()
            try:
                self.etcd.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.etcd.kill()
                self.etcd.wait()
        shutil.rmtree(self.root, ignore_errors=True)

    # --- observing ----------------------------------------------------------------------

    def _etcd_ready(self) -> bool:
        try:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{self.etcd_port}/health", timeout=2
            ) as answer:
                return bool(json.load(answer).get("health") in ("true", True))
        except OSError:
            return False

    def members(self) -> list[dict[str, Any]]:
        """Patroni's view of the cluster, from the first node that answers."""
        for node in self.nodes:
            if node.postmaster_pid() in self.frozen:
                continue
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{node.rest_port}/cluster", timeout=2
                ) as answer:
                    return list(json.load(answer).get("members", []))
            except (OSError, ValueError):
                continue
        return []

    def leader(self) -> Node | None:
        """The node that holds the leader key and runs as primary."""
        for member in self.members():
            if member.get("role") == "leader" and member.get("state") == "running":
                return self.node(member["name"])
        return None

    def wait_leader(self, timeout: float = 60.0) -> Node:
        """The leader, once there is one."""
        found: list[Node] = []
        self._wait(lambda: bool(found.append(self.leader()) or found[-1]), timeout, "no leader")
        leader = found[-1]
        assert leader is not None
        return leader

    def node(self, name: str) -> Node:
        return next(node for node in self.nodes if node.name == name)

    def healthy(self) -> bool:
        """One leader that is a primary, with every other node streaming from it and a
        synchronous standby among them, as the primary itself reports (Patroni's view
        lags behind a promotion by a loop or two)."""
        members = self.members()
        leaders = [member for member in members if member.get("role") == "leader"]
        if len(members) != len(self.nodes) or len(leaders) != 1:
            return False
        if not any(member.get("role") == "sync_standby" for member in members):
            return False
        if not all(member.get("state") == "running" for member in members):
            return False
        leader = self.node(leaders[0]["name"])
        try:
            with psycopg.connect(leader.url, connect_timeout=2, autocommit=True) as conn:
                row = conn.execute(
                    "SELECT NOT pg_is_in_recovery(),"
                    " (SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'),"
                    " (SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync')"
                ).fetchone()
        except psycopg.Error:
            return False
        return row is not None and bool(row[0]) and row[1] == len(self.nodes) - 1 and row[2] >= 1

    def wait_healthy(self, timeout: float = 90.0) -> None:
        """Until :meth:`healthy` holds twice, a few Patroni loops apart."""
        deadline = time.monotonic() + timeout
        while True:
            self._wait(self._healthy_or_repair, max(1.0, deadline - time.monotonic()), "unhealthy")
            time.sleep(LOOP_WAIT * 3)
            if self.healthy():
                return

    def _healthy_or_repair(self) -> bool:
        if self.healthy():
            return True
        self._repair_sync_key()
        return False

    def _etcd(self, method: str, key: str, **fields: Any) -> dict[str, Any]:
        """One call of etcd's v3 JSON gateway on ``key`` (and, for ranges, what follows)."""
        body = {"key": base64.b64encode(key.encode()).decode(), **fields}
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.etcd_port}/v3/kv/{method}", data=json.dumps(body).encode()
        )
        with urllib.request.urlopen(request, timeout=3) as answer:
            return dict(json.load(answer))

    def _value(self, key: str) -> str | None:
        found = self._etcd("range", key).get("kvs", [])
        return base64.b64decode(found[0]["value"]).decode() if found else None

    def _repair_sync_key(self) -> None:
        """Patroni 3.0.2 can leave the ``/sync`` key naming a leader that is not the
        leader any more (seen after a crash failover, when the new leader moves the
        synchronous standby to a node that rejoined): the leader then refuses to update
        it, forever ("Synchronous replication key updated by someone else"), and no
        standby may promote. Removing the stale key lets the leader write a fresh one,
        as ``patronictl`` would; the number of repairs is reported."""
        try:
            leader = self._value(f"{SCOPE_KEY}/leader")
            sync = self._value(f"{SCOPE_KEY}/sync")
        except (OSError, ValueError):
            return
        if leader is None or sync is None:
            return
        if json.loads(sync).get("leader") in (None, leader):
            self._stale_since = None
            return
        now = time.monotonic()
        if self._stale_since is None:
            self._stale_since = now  # a promotion rewrites it within a loop or two
        elif now - self._stale_since > 5 * LOOP_WAIT:
            self._etcd("deleterange", f"{SCOPE_KEY}/sync")
            self.sync_key_repairs += 1
            self._stale_since = None

    def _wait(self, check: Any, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if check():
                return
            time.sleep(0.25)
        raise ClusterUnavailable(f"{what} within {timeout:g}s; logs in {self.root}:\n{self.tail()}")

    def tail(self, lines: int = 15) -> str:
        parts = []
        for log in sorted(self.root.glob("*.log")):
            text = log.read_text(errors="replace").splitlines()[-lines:]
            parts.append(f"--- {log.name}\n" + "\n".join(text))
        return "\n".join(parts)

    # --- faults -------------------------------------------------------------------------

    def switchover(self) -> Node:
        """A planned switchover to a synchronous standby; the new leader."""
        old = self.wait_leader()
        candidate = next(m["name"] for m in self.members() if m.get("role") == "sync_standby")
        request = urllib.request.Request(
            f"http://127.0.0.1:{old.rest_port}/switchover",
            data=json.dumps({"leader": old.name, "candidate": candidate}).encode(),
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            answer.read()
        return self.node(candidate)

    def kill_postmaster(self) -> Node:
        """SIGKILL the primary's postmaster (its backends die with it); the old leader."""
        old = self.wait_leader()
        pid = old.postmaster_pid()
        if pid is None:
            raise ClusterUnavailable("no primary postmaster to kill")
        os.kill(pid, signal.SIGKILL)
        return old

    def freeze(self, node: Node) -> None:
        """SIGSTOP the whole node: Patroni and every PostgreSQL process."""
        assert node.process is not None
        pids = [node.process.pid, *node.postgres_pids()]
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGSTOP)
        self.frozen.extend(pids)

    def thaw(self) -> None:
        """SIGCONT whatever :meth:`freeze` stopped."""
        for pid in self.frozen:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
        self.frozen.clear()


@contextlib.contextmanager
def running_cluster() -> Iterator[PatroniCluster]:
    cluster = PatroniCluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
