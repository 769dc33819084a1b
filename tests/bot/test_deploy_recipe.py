"""The systemd recipe as shipped: its install line, then its ExecStart with the shipped env file.

The unit's header says how to install (``uv sync ...`` in /opt/marketbrief) and its
``ExecStart`` what runs, with ``EnvironmentFile`` (deploy/marketbrief.env.example, copied to
/etc) and ``Environment``. The test runs that install line into a fresh virtual environment
(offline, from uv's cache), then that command with that environment against the local Bot
API server, and checks the bot starts, answers a person and /healthz, then stops cleanly on
the unit's KillSignal. Mapped: /opt/marketbrief to this checkout (its .venv to the
fresh one), the state directory to a temporary one; filled in as an operator would: the token.
Changed for the test machine: the Bot API URL (the local server), the health port (a free one,
same host) and the market source (demo: no network here).
"""

from __future__ import annotations

import asyncio
import configparser
import itertools
import os
import shlex
import shutil
import signal
import socket
import subprocess
from pathlib import Path

import aiohttp
import pytest

from localapi import LocalBotApi
from tests.bot.conftest import TOKEN
from tests.conftest import REPO_ROOT

DEPLOY = REPO_ROOT / "deploy"
UNIT = DEPLOY / "marketbrief.service"
ENV_EXAMPLE = DEPLOY / "marketbrief.env.example"
USER = 5005


def service_section(path: Path) -> configparser.SectionProxy:
    unit = configparser.ConfigParser(interpolation=None, strict=False)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(path)
    return unit["Service"]


def header_command(path: Path, word: str) -> list[str]:
    """Return the install command of the unit's header that contains ``word``, without sudo."""
    for line in path.read_text().splitlines():
        if not line.startswith("#") or word not in line:
            continue
        command = line.lstrip("#").strip()
        command = command.split("&&")[-1].strip()  # "cd /opt/marketbrief && sudo uv sync ..."
        words = shlex.split(command)
        return words[1:] if words[0] == "sudo" else words
    raise AssertionError(f"no `{word}` line in the header of {path.name}")


def environment_file(path: Path) -> dict[str, str]:
    """Read a systemd EnvironmentFile: KEY=VALUE lines, # comments."""
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def installed_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run the unit's install line into a fresh environment; skip when uv's cache lacks a wheel."""
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not on PATH")
    command = header_command(UNIT, "uv sync")
    assert command[:2] == ["uv", "sync"], command
    venv = tmp_path_factory.mktemp("recipe") / "venv"
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(venv), "UV_LINK_MODE": "hardlink"}
    done = subprocess.run(
        [uv, *command[1:], "--offline", "--quiet"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0 and "offline" in done.stderr.lower():
        pytest.skip(f"uv cannot install offline here: {done.stderr.strip()[:200]}")
    assert done.returncode == 0, done.stderr
    return venv


async def test_the_systemd_unit_starts_stays_up_and_stops_as_shipped(
    installed_venv: Path, server: LocalBotApi, data_dir: Path
) -> None:
    service = service_section(UNIT)
    work_dir = Path(service["WorkingDirectory"])
    command = shlex.split(service["ExecStart"])
    program = Path(command[0])
    assert program.is_relative_to(work_dir / ".venv"), program
    command[0] = str(installed_venv / program.relative_to(work_dir / ".venv"))

    assert service["EnvironmentFile"] == "/etc/marketbrief/marketbrief.env"
    shipped = environment_file(ENV_EXAMPLE)
    state_dir = f"/var/lib/{service['StateDirectory']}"
    key, _, value = service["Environment"].partition("=")
    assert (key, value) == ("MARKETBRIEF_DATA_DIR", state_dir)
    health_host, _, _ = shipped["MARKETBRIEF_HEALTH"].rpartition(":")
    health = f"{health_host}:{free_port()}"
    env = {
        # What systemd gives a service of User=marketbrief (home: the state directory).
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME": str(data_dir),
        "LANG": "C.UTF-8",
        **shipped,
        "MARKETBRIEF_DATA_DIR": str(data_dir),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": server.base_url,
        "MARKETBRIEF_HEALTH": health,
        "MARKETBRIEF_SOURCE": "demo",
        "NO_PROXY": "127.0.0.1,localhost",
    }
    process = await asyncio.create_subprocess_exec(
        *command,
        cwd=REPO_ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    lines: list[str] = []
    try:
        async with asyncio.timeout(90):
            while not any("started:" in line for line in lines):
                line = (await process.stderr.readline()).decode()
                assert line, f"the bot exited with {await process.wait()}: {lines}"
                lines.append(line)
        assert f"health on {health}" in lines[-1]
        server.add_user(USER, first_name="Operator")
        server.add_chat(USER, "private", title="Operator")
        async with asyncio.timeout(60), aiohttp.ClientSession() as session:
            for asked in itertools.count(1):
                # Each round waits for an answer from the bot, then asks /healthz, which says
                # "starting" (503) until the start-up catch-up is done.
                server.send_text(USER, USER, "/help")
                await server.wait_for_messages(USER, asked, timeout=30)
                async with session.get(f"http://{health}/healthz") as response:
                    status, body = response.status, await response.json()
                if status == 200:
                    break
                assert body["status"] == "starting", body
        assert body["status"] == "ok"
        assert body["source"] == "demo"
        assert process.returncode is None
    finally:
        if process.returncode is None:
            process.send_signal(getattr(signal, service["KillSignal"]))
        async with asyncio.timeout(float(service["TimeoutStopSec"])):
            code = await process.wait()
    rest = (await process.stderr.read()).decode()
    assert code == 0, rest  # Restart=on-failure leaves a clean stop stopped
    assert "Traceback" not in "".join(lines) + rest


def test_the_backup_unit_copies_both_databases_privately_as_shipped(
    installed_venv: Path, data_dir: Path
) -> None:
    from bot.store.database import Database

    Database(data_dir / "bot.sqlite3").close()  # as the bot leaves it
    service = service_section(DEPLOY / "marketbrief-backup.service")
    state_dir = f"/var/lib/{service['StateDirectory']}"
    assert service["Environment"] == f"MARKETBRIEF_DATA_DIR={state_dir}"
    assert service["StateDirectoryMode"] == "0700"
    # systemd's own expansion: %% is a percent sign; then the paths of this machine.
    line = service["ExecStart"].replace("%%", "%").replace(state_dir, str(data_dir))
    line = line.replace(service_section(UNIT)["WorkingDirectory"] + "/.venv", str(installed_venv))
    env = {
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME": str(data_dir),
        "LANG": "C.UTF-8",
        **environment_file(ENV_EXAMPLE),
        "MARKETBRIEF_DATA_DIR": str(data_dir),
    }
    done = subprocess.run(
        shlex.split(line), env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    (folder,) = (data_dir / "backups").iterdir()
    assert [line.split(":")[0] for line in done.stdout.splitlines()] == [
        "prices.sqlite3",
        "bot.sqlite3",
    ]
    assert sorted(path.name for path in folder.iterdir()) == ["bot.sqlite3", "prices.sqlite3"]
    for path in (folder.parent, folder, *folder.iterdir()):
        assert path.stat().st_mode & 0o077 == 0, path
