"""`marketbrief lab`: loopback unless told otherwise, bad addresses refused in one line."""

from __future__ import annotations

import pytest

from bot.cli import main
from bot.runtime.lab_standalone import is_loopback


@pytest.mark.parametrize("address", ["0.0.0.0:8765", "192.168.1.5:8765", "example.org:80"])
def test_a_non_loopback_address_is_refused_without_allow_remote(
    address: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["lab", "--source", "demo", "--listen", address]) == 2
    err = capsys.readouterr().err.strip()
    assert "loopback" in err
    assert len(err.splitlines()) == 1


def test_a_malformed_address_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["lab", "--listen", "nowhere"])
    assert exited.value.code == 2
    assert "HOST:PORT" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("::1", True), ("[::1]", True), ("localhost", True), ("10.0.0.1", False)],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
