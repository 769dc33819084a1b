"""The deployment files: the Dockerfile follows uv's layering, the units point at real commands.

No Docker daemon is available where the tests run, so the Dockerfile is checked by parsing it.
"""

from __future__ import annotations

import configparser
import re
import shlex
import tomllib
from pathlib import Path

import pytest

from bot.cli import main
from tests.conftest import REPO_ROOT


def instructions(path: Path) -> list[tuple[str, str]]:
    """Return (INSTRUCTION, arguments) pairs, comments dropped and continuations joined."""
    joined: list[str] = []
    pending = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        joined.append(pending + line)
        pending = ""
    assert not pending, "the Dockerfile ends inside a continued line"
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in joined]


def test_the_dockerfile_follows_uvs_pattern() -> None:
    steps = instructions(REPO_ROOT / "Dockerfile")
    kinds = [kind for kind, _ in steps]
    assert kinds[0] == "FROM"
    base = steps[0][1]
    version = re.match(r"python:(\d+)\.(\d+)-slim", base)
    assert version is not None, base
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    minimum = re.match(r">=(\d+)\.(\d+)", project["requires-python"])
    assert minimum is not None
    assert tuple(map(int, version.groups())) >= tuple(map(int, minimum.groups()))
    assert any(k == "COPY" and "--from=ghcr.io/astral-sh/uv:" in a for k, a in steps)

    runs = [(i, a) for i, (k, a) in enumerate(steps) if k == "RUN"]
    deps = next(i for i, a in runs if "uv sync --locked --no-install-project" in a)
    deps_args = steps[deps][1]
    assert "source=uv.lock" in deps_args
    assert "source=pyproject.toml" in deps_args
    copy_project = next(i for i, (k, a) in enumerate(steps) if k == "COPY" and a.startswith(". "))
    project_sync = next(
        i for i, a in runs if "uv sync --locked" in a and "--no-install-project" not in a
    )
    assert deps < copy_project < project_sync
    assert all("--no-dev" in steps[i][1] for i in (deps, project_sync))
    # The webhook and /healthz (the HEALTHCHECK's target) need the web extra.
    assert all("--extra web" in steps[i][1] for i in (deps, project_sync))
    assert "web" in project.get("optional-dependencies", {})

    env = " ".join(a for k, a in steps if k == "ENV")
    data_dir = re.search(r"MARKETBRIEF_DATA_DIR=(\S+)", env)
    assert data_dir is not None
    assert any(k == "VOLUME" and data_dir.group(1) in a for k, a in steps)
    assert "UV_COMPILE_BYTECODE=1" in env

    user = [i for i, (k, _) in enumerate(steps) if k == "USER"]
    assert user, "the image must not run as root"
    name = steps[user[-1]][1]
    assert name not in ("root", "0")
    assert any("useradd" in a and name in a for k, a in steps[: user[-1]] if k == "RUN")
    assert all(k != "RUN" for k, _ in steps[user[-1] :]), "nothing runs as root after USER"

    healthcheck = next(a for k, a in steps if k == "HEALTHCHECK")
    assert '"python", "-m", "bot.runtime.healthcheck"' in healthcheck
    assert next(a for k, a in steps if k == "CMD") == '["marketbrief", "run"]'


def test_the_image_leaves_secrets_and_local_state_out() -> None:
    ignored = set((REPO_ROOT / ".dockerignore").read_text().split())
    assert {".env", ".venv", ".git", "*.sqlite3"} <= ignored


def test_compose_mounts_the_data_volume_and_reads_env() -> None:
    compose = (REPO_ROOT / "compose.yaml").read_text()
    assert re.search(r"^\s+env_file: \.env$", compose, re.MULTILINE)
    assert re.search(r"^\s+- marketbrief-data:/data$", compose, re.MULTILINE)
    assert re.search(r"^volumes:\n  marketbrief-data:", compose, re.MULTILINE)


def test_the_systemd_units_run_real_commands() -> None:
    unit = configparser.ConfigParser(interpolation=None, strict=False)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(REPO_ROOT / "deploy" / "marketbrief.service")
    service = unit["Service"]
    assert service["User"] != "root"
    assert service["EnvironmentFile"].startswith("/etc/marketbrief/")
    assert service["Environment"] == "MARKETBRIEF_DATA_DIR=/var/lib/" + service["StateDirectory"]
    assert service["ReadWritePaths"] == "/var/lib/" + service["StateDirectory"]
    assert service["Restart"] == "on-failure"
    command = shlex.split(service["ExecStart"])
    assert command[-2:] == ["marketbrief", "run"] or command[-1] == "run"
    env_example = (REPO_ROOT / "deploy" / "marketbrief.env.example").read_text()
    assert "TELEGRAM_BOT_TOKEN=" in env_example
    backup = (REPO_ROOT / "deploy" / "marketbrief-backup.service").read_text()
    assert "marketbrief backup" in backup


@pytest.mark.parametrize("command", ["run", "health", "backup"])
def test_the_commands_the_files_name_exist(command: str) -> None:
    with pytest.raises(SystemExit) as exited:
        main([command, "--help"])
    assert exited.value.code == 0
