"""The callback codec: every button's data round-trips, old data still reads, the rest is None."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.desk.buttons import (
    MAX_DATA_BYTES,
    SUMMARY_VIEWS,
    WINDOW_VIEWS,
    ButtonChoice,
    SubscribeButton,
    View,
    ViewButton,
    WindowButton,
    decode,
    encode,
    pattern,
    unreadable,
)
from briefings.windows import WINDOWS

view_buttons = st.builds(ViewButton, st.sampled_from(sorted(SUMMARY_VIEWS)), st.dates())
window_buttons = st.builds(
    WindowButton, st.sampled_from(sorted(WINDOW_VIEWS)), st.sampled_from(WINDOWS)
)
subscribe_buttons = st.just(SubscribeButton())
choices = st.one_of(view_buttons, window_buttons, subscribe_buttons)
KINDS: tuple[type[ButtonChoice], ...] = (ViewButton, WindowButton, SubscribeButton)

#: Data of buttons already sent in chats, as the bot wrote it before the codec existed.
SENT_BEFORE: dict[str, ButtonChoice] = {
    "v:sum:2025-12-11": ViewButton(View.SUMMARY, date(2025, 12, 11)),
    "v:rot:2025-12-11": ViewButton(View.ROTATION, date(2025, 12, 11)),
    "v:sec:2025-11-20": ViewButton(View.SECTORS, date(2025, 11, 20)),
    "v:brd:2025-01-02": ViewButton(View.BREADTH, date(2025, 1, 2)),
    "v:low:2024-12-31": ViewButton(View.SINCE_LOW, date(2024, 12, 31)),
    "v:cht:2025-06-30": ViewButton(View.CHART, date(2025, 6, 30)),
    "v:full:2025-12-11": ViewButton(View.FULL, date(2025, 12, 11)),
    "rot:1M": WindowButton(View.ROTATION, "1M"),
    "rot:1D": WindowButton(View.ROTATION, "1D"),
    "sec:YTD": WindowButton(View.SECTORS, "YTD"),
    "sec:1W": WindowButton(View.SECTORS, "1W"),
    "mov:MTD": WindowButton(View.MOVERS, "MTD"),
    "mov:1Y": WindowButton(View.MOVERS, "1Y"),
    "mov:3M": WindowButton(View.MOVERS, "3M"),
    "sub:yes": SubscribeButton(),
}

FOREIGN = [
    None,
    42,
    b"rot:1M",
    "",
    "old-format",
    "rot:5Y",  # a window the bot no longer offers
    "rot:1m",
    "ROT:1M",
    "brd:1M",  # breadth has no window buttons
    " rot:1M",
    "rot:1M:",
    "rot:1M\n",
    "v:zzz:2025-11-20",
    "v:mov:2025-11-20",  # movers is no summary view
    "v:rot:2025-02-30",  # shaped like a date, but none
    "v:rot:0000-01-01",
    "v:rot:25-12-11",
    "v:rot:20251211",
    "v:rot:2025-12-11\n",
    "v:rot:２０２５-12-11",  # full-width digits
    "v:rot:",
    "v:",
    "sub:no",
    "sub:yes ",
]


@given(view_buttons)
def test_view_buttons_round_trip(choice: ViewButton) -> None:
    assert decode(encode(choice)) == choice


@given(window_buttons)
def test_window_buttons_round_trip(choice: WindowButton) -> None:
    assert decode(encode(choice)) == choice


@given(subscribe_buttons)
def test_the_subscribe_button_round_trips(choice: SubscribeButton) -> None:
    assert decode(encode(choice)) == choice


@pytest.mark.parametrize(("data", "choice"), SENT_BEFORE.items())
def test_data_sent_before_decodes_to_the_same_choice_and_is_written_the_same(
    data: str, choice: ButtonChoice
) -> None:
    assert decode(data) == choice
    assert encode(choice) == data


@pytest.mark.parametrize("data", FOREIGN)
def test_malformed_or_foreign_data_is_none(data: object) -> None:
    assert decode(data) is None
    assert unreadable(data)
    assert not any(pattern(kind)(data) for kind in KINDS)


@given(st.text())
def test_any_text_decodes_to_none_or_to_the_button_that_writes_it(data: str) -> None:
    choice = decode(data)
    assert choice is None or encode(choice) == data


@given(choices, st.integers(min_value=0), st.characters())
def test_one_character_more_is_another_button_or_none(
    choice: ButtonChoice, at: int, extra: str
) -> None:
    data = encode(choice)
    cut = at % (len(data) + 1)
    changed = data[:cut] + extra + data[cut:]
    decoded = decode(changed)
    assert decoded is None or encode(decoded) == changed


@given(choices)
def test_each_handler_pattern_takes_its_own_buttons_only(choice: ButtonChoice) -> None:
    data = encode(choice)
    assert [pattern(kind)(data) for kind in KINDS] == [isinstance(choice, kind) for kind in KINDS]
    assert not unreadable(data)


@given(choices)
def test_every_button_fits_telegrams_callback_data_limit(choice: ButtonChoice) -> None:
    assert len(encode(choice).encode()) <= MAX_DATA_BYTES


def test_the_longest_buttons_fit_telegrams_callback_data_limit() -> None:
    longest: list[ButtonChoice] = [
        *(ViewButton(view, date.max) for view in SUMMARY_VIEWS),
        *(WindowButton(view, window) for view in WINDOW_VIEWS for window in WINDOWS),
        SubscribeButton(),
    ]
    assert max(len(encode(choice).encode()) for choice in longest) <= MAX_DATA_BYTES == 64


@pytest.mark.parametrize(
    "make",
    [
        lambda: ViewButton(View.MOVERS, date(2025, 12, 11)),
        lambda: WindowButton(View.BREADTH, "1M"),
        lambda: WindowButton(View.ROTATION, "5Y"),
    ],
)
def test_a_button_no_data_could_carry_cannot_be_made(make: Callable[[], ButtonChoice]) -> None:
    with pytest.raises(ValueError, match=r"^not a "):
        make()
