from __future__ import annotations

import json

import pytest

from tidings.cli import main


def test_adapters_lists_schemes_with_distribution(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["adapters"]) == 0
    out = capsys.readouterr().out
    assert "memory://" in out
    assert "tidings-memory" in out


def test_demo_prints_the_projected_profile(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--url", "memory://demo-test"]) == 0
    out = capsys.readouterr().out
    assert '"name": "Joe Bloggs"' in out
    assert '"dob": "1992-07-10"' in out
    assert main(["demo", "--url", "memory://demo-test"]) == 0
    assert "now holds 4" in capsys.readouterr().out


def test_read_prints_events_as_json_lines(capsys: pytest.CaptureFixture[str]) -> None:
    main(["demo", "--url", "memory://read-test"])
    capsys.readouterr()
    assert main(["read", "--url", "memory://read-test", "--category", "profiles"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["name"] for line in lines] == ["profile-created", "date-of-birth-set"]
    args = ["read", "--url", "memory://read-test", "--after", "1", "--name", "date-of-birth-set"]
    assert main(args) == 0
    assert len(capsys.readouterr().out.splitlines()) == 1


def test_read_a_stream_needs_its_category(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["read", "--url", "memory://", "--stream", "s"]) == 2
    assert "--category" in capsys.readouterr().err


def test_errors_are_reported_without_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--url", "nosuch://"]) == 2
    assert "no adapter is installed for nosuch://" in capsys.readouterr().err


def test_init_initialises_a_store(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", "memory://"]) == 0
    assert "initialised memory://" in capsys.readouterr().out
