"""Property: whatever the argv and environment, the CLI exits with a code and no traceback.

Run in-process through the console script's ``main``. The network is never reached: sources
are the demo market or CSV folders (never yfinance), and the bot commands get no valid token.
"""

from __future__ import annotations

import io
import os
import shutil
from contextlib import chdir, redirect_stderr, redirect_stdout
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.cli import main
from briefings.config import Settings

COMMANDS = ["brief", "sectors", "rotation", "chart", "refresh", "run", "push", "frob", "--help"]
WORDS = [
    "--source", "demo", "csv:{root}/csv", "csv:", "csv:{root}/missing", "--as-of", "--since",
    "--period", "--format", "-o", "{root}/out/chart.png", "{root}/file/x.png", "rrg", "pairs",
    "sectors", "json", "html", "text", "xml", "MTD", "ytd", "5Y", "1d", "--chat", "-5", "0",
    "9999-12-31", "0001-01-01", "1677-09-21", "2262-04-12", "2025-11-20", "2025-02-30", "--",
    "-", "--help", "--period=3M", "--as-of=2024-01-01", "csv:~nobody-x/p", "~", "9" * 25,
]  # fmt: skip
TOKEN = "123456789:AAHlocalTestTokenForMarketbriefBot01"
NUMBERS = ["inf", "-inf", "nan", "1e308", "1e20", "-1", "0", "6", "168.0001", "1_0", "0x10", "٣"]


def _safe_source(text: str) -> bool:
    return text.strip() not in ("", "yfinance")


#: What a real argv or environment can hold: no NUL; an environment has no lone surrogates
#: either (argv may, from bytes that are not UTF-8).
argv_text = st.text(alphabet=st.characters(blacklist_characters="\x00"), max_size=20)
env_text = st.text(
    alphabet=st.characters(blacklist_characters="\x00", codec="utf-8"),
    max_size=20,
)
argument = st.one_of(st.sampled_from(WORDS), argv_text)
argv = st.builds(
    lambda command, rest: [command, *rest],
    st.sampled_from(COMMANDS),
    st.lists(argument, max_size=6),
)
env_value = st.one_of(st.sampled_from(NUMBERS), env_text)
environment = st.fixed_dictionaries(
    {
        "MARKETBRIEF_DATA_DIR": st.sampled_from(
            [
                "{root}/data",
                "{root}/file",
                "{root}/file/inner",
                "{root}/fresh",
                "{root}/data/prices.sqlite3",
                "{root}/" + "x" * 300,
                "~nobody-x/data",
            ]
        ),
        # Never a usable URL: a valid token must not reach for the network.
        "TELEGRAM_API_URL": st.sampled_from(
            ["http://[::1", "nonsense", "ftp://x/bot", "http://127.0.0.1:99999/bot"]
        ),
        "MARKETBRIEF_SOURCE": st.one_of(
            st.sampled_from(["demo", "csv:{root}/csv", "csv:", "nasdaq"]),
            env_text.filter(_safe_source),
        ),
    },
    optional={
        "MARKETBRIEF_UNIVERSE": st.sampled_from(
            ["{root}/bad.toml", "{root}/binary.toml", "{root}", "{root}/none.toml", "~nobody-x/u"]
        ),
        "MARKETBRIEF_CATCHUP_HOURS": env_value,
        "MARKETBRIEF_REFRESH_DELAY_MINUTES": env_value,
        "MARKETBRIEF_ADMINS": env_value,
        "MARKETBRIEF_DEFAULT_TIME": env_value,
        "MARKETBRIEF_DEFAULT_TZ": env_value,
        "TELEGRAM_BOT_TOKEN": st.sampled_from(["", "nope", "123:short", "x" * 5000, TOKEN]),
    },
)


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory, demo_store: Path) -> Path:
    """Return a folder with a demo store, a CSV folder, a plain file and bad universe files."""
    root = tmp_path_factory.mktemp("fuzz")
    (root / "data").mkdir()
    shutil.copy(demo_store, Settings(data_dir=root / "data").store_path)
    (root / "csv").mkdir()
    (root / "csv" / "SPY.csv").write_text("Date,Close\n2025-01-02,1\n2025-01-03,2\n")
    (root / "file").write_text("a file, not a folder")
    (root / "bad.toml").write_text("pairs = 5\n[groups.a]\nmembers = { X = 'x' }\n")
    (root / "binary.toml").write_bytes(b"\xff\xfe\x00")
    return root


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(args=argv, env=environment)
def test_no_argv_or_environment_yields_a_traceback(
    root: Path, args: list[str], env: dict[str, str]
) -> None:
    args = [arg.replace("{root}", str(root)) for arg in args]
    env = {name: value.replace("{root}", str(root)) for name, value in env.items()}
    # Text streams that, like a terminal's, take the surrogates of a non-UTF-8 argv.
    out, errors = io.StringIO(), io.StringIO()
    (root / "cwd").mkdir(exist_ok=True)  # relative paths in argv land here, not in the repo
    with (
        mock.patch.dict(os.environ, env),
        chdir(root / "cwd"),
        redirect_stdout(out),
        redirect_stderr(errors),
    ):
        try:
            code = main(args)
        except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
            code = exc.code if isinstance(exc.code, int) else 0
    err = errors.getvalue()
    assert code in (0, 1, 2), (args, env, err)
    assert "Traceback" not in err, (args, env, err)
    assert TOKEN not in err + out.getvalue(), (args, env)
    if code != 0:
        assert err.strip(), (args, env)
    shutil.rmtree(root / "fresh", ignore_errors=True)
    shutil.rmtree(root / "out", ignore_errors=True)
