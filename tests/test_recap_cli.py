"""``marketbrief recap``: the month or week in review, its formats and its one-line errors."""

from __future__ import annotations

import json

import pytest

from briefings.render.layout import PHONE_WIDTH, display_width
from tests.test_cli import run_cli

pytestmark = pytest.mark.usefixtures("demo_data")


def test_month_recap_as_text_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "recap", "--month", "2025-11", "--source", "demo")
    assert code == 0
    assert out.startswith("November 2025 in review\n")
    assert "Equal weight (RSP)" in out
    assert "History, not a forecast." in out
    code, out, _ = run_cli(
        capsys, "recap", "--month", "2025-11", "--source", "demo", "--format", "json"
    )
    data = json.loads(out)
    assert data["period"]["last_session"] == "2025-11-28"
    assert next(pair["key"] for pair in data["pairs"]) == "equal_vs_cap"
    assert data["pairs"][0]["rank"]["observations"] > 12


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_week_summary_fits_a_phone(capsys: pytest.CaptureFixture[str], lang: str) -> None:
    code, out, _ = run_cli(
        capsys,
        "recap",
        "--week",
        "2025-11-12",
        "--source",
        "demo",
        "--format",
        "summary",
        "--lang",
        lang,
    )
    assert code == 0
    assert "2025-11-14" in out.splitlines()[0]
    assert max(map(display_width, out.splitlines())) <= PHONE_WIDTH


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["--month", "2025-13"], "is not a month"),
        (["--month", "2099-01"], "2099-01"),
        (["--week", "1985-01-04"], "1984-12-31"),
        ([], "one of the arguments --month --week is required"),
    ],
)
def test_bad_periods_are_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], fragment: str
) -> None:
    code, out, err = run_cli(capsys, "recap", "--source", "demo", *argv)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert fragment in err
