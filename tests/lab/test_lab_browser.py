"""The Rotation Lab in a real browser (Debian's Chromium, headless): skipped without one."""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.lab.gates import TokenGate
from briefings import MarketService
from tests.conftest import REPO_ROOT
from tests.lab.browser import DARK_THEME, LIGHT_THEME, RunningServer, chrome, serve
from tests.lab.signing import signed_init_data

SCREENSHOTS = REPO_ROOT / "docs" / "lab"
TABS = ("rrg", "heatmap", "breadth", "pairs")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    driver = chrome()
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def demo_lab(golden_service: MarketService) -> Iterator[RunningServer]:
    yield from serve(golden_service)


@pytest.fixture(scope="module")
def real_lab(real_service: MarketService) -> Iterator[RunningServer]:
    yield from serve(real_service)


def wait_for(browser: Any, script: str, timeout: float = 15.0) -> Any:
    """Wait until ``script`` (a JS expression) is truthy in the page; return its value."""
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, timeout).until(lambda d: d.execute_script(f"return {script}"))


def open_page(browser: Any, url: str) -> str:
    """Open ``url`` and wait for the page to be ready or refused; return which."""
    browser.get("about:blank")  # a fresh load even when only the fragment differs
    browser.get_log("browser")  # drop what earlier pages logged
    browser.get(url)
    state: str = wait_for(browser, "document.body.dataset.state")
    return state


def console_errors(browser: Any) -> list[str]:
    return [entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]


def show_tab(browser: Any, tab: str) -> None:
    browser.execute_script(f"document.querySelector('#tabs [data-tab={tab}]').click()")
    wait_for(browser, f"!document.getElementById('view-{tab}').hidden")
    filled = {
        "rrg": "document.querySelectorAll('#rrg g.leg').length",
        "heatmap": "document.querySelectorAll('#heatmap-etfs td.num').length",
        "breadth": "document.querySelectorAll('#breadth polyline').length",
        "pairs": "document.querySelectorAll('#pairs polyline').length",
    }[tab]
    wait_for(browser, filled)
    wait_for(browser, "document.getElementById('status').textContent === ''")


def heads(browser: Any) -> dict[str, tuple[float, float, float]]:
    """Return each drawn leg's head: (ratio, momentum, x on screen) from the SVG."""
    found: dict[str, tuple[float, float, float]] = browser.execute_script(
        """
        const out = {};
        for (const leg of document.querySelectorAll('#rrg g.leg')) {
          const head = leg.querySelector('circle.head[data-ratio]');
          if (head) out[leg.dataset.key] = [Number(head.dataset.ratio),
            Number(head.dataset.momentum), Number(head.getAttribute('cx'))];
        }
        return out;
        """
    )
    return found


@pytest.mark.parametrize("lab_name", ["demo_lab", "real_lab"])
def test_every_view_loads_without_console_errors(
    browser: Any, lab_name: str, request: pytest.FixtureRequest
) -> None:
    lab: RunningServer = request.getfixturevalue(lab_name)
    assert open_page(browser, lab.telegram_url()) == "ready"
    for tab in TABS:
        show_tab(browser, tab)
    session = lab.view("heatmap")["session"]
    assert session in browser.find_element("id", "provenance").text
    simulated = browser.find_element("id", "simulated")
    assert simulated.is_displayed() == lab.view("heatmap")["simulated"]
    assert console_errors(browser) == []


@pytest.mark.parametrize("view", ["rrg-sectors", "rrg-pairs"])
def test_the_rrg_draws_every_leg(browser: Any, demo_lab: RunningServer, view: str) -> None:
    open_page(browser, demo_lab.telegram_url(query=f"?view={view}"))
    show_tab(browser, "rrg")
    doc = demo_lab.view(view)
    drawn = heads(browser)
    assert set(drawn) == {leg["key"] for leg in doc["legs"]}
    for leg in doc["legs"]:
        assert drawn[leg["key"]][:2] == pytest.approx(tuple(leg["points"][-1]))


LABEL_BOXES = """
return Array.from(document.querySelectorAll('#rrg g.leg text')).map((node) => {
  const box = node.getBBox();
  return [box.x, box.y, box.width, box.height];
});
"""


@pytest.mark.parametrize("view", ["rrg-sectors", "rrg-pairs"])
def test_no_two_leg_labels_overlap(browser: Any, demo_lab: RunningServer, view: str) -> None:
    open_page(browser, demo_lab.telegram_url(query=f"?view={view}"))
    show_tab(browser, "rrg")
    boxes = browser.execute_script(LABEL_BOXES)
    assert len(boxes) == len(demo_lab.view(view)["legs"])
    for i, (x, y, w, h) in enumerate(boxes):
        for x2, y2, w2, h2 in boxes[i + 1 :]:
            assert not (x < x2 + w2 and x2 < x + w and y < y2 + h2 and y2 < y + h), boxes


def test_the_slider_moves_every_point_to_that_weeks_figures(
    browser: Any, demo_lab: RunningServer
) -> None:
    open_page(browser, demo_lab.telegram_url())
    show_tab(browser, "rrg")
    doc = demo_lab.view("rrg-sectors")
    before = heads(browser)
    week = len(doc["weeks"]) - 9
    browser.execute_script(
        "const s = document.getElementById('week'); s.value = arguments[0];"
        "s.dispatchEvent(new Event('input'));",
        week,
    )
    wait_for(
        browser, f"document.getElementById('week-label').textContent === '{doc['weeks'][week]}'"
    )
    after = heads(browser)
    expected = {leg["key"]: leg["points"][week] for leg in doc["legs"] if leg["points"][week]}
    assert set(after) == set(expected)
    for key, (ratio, momentum) in expected.items():
        assert after[key][:2] == pytest.approx((ratio, momentum))
    # On screen, a leg further right has the higher RS-Ratio that week.
    by_x = sorted(after, key=lambda key: after[key][2])
    assert by_x == sorted(expected, key=lambda key: expected[key][0])
    assert any(after[key][2] != before[key][2] for key in after)


def test_tapping_a_leg_highlights_it_and_shows_its_figures(
    browser: Any, demo_lab: RunningServer
) -> None:
    open_page(browser, demo_lab.telegram_url())
    show_tab(browser, "rrg")
    leg = demo_lab.view("rrg-sectors")["legs"][0]
    browser.execute_script(
        "document.querySelector(`#rrg g.leg[data-key='${arguments[0]}'] circle.head`)"
        ".dispatchEvent(new MouseEvent('click', {bubbles: true}))",
        leg["key"],
    )
    wait_for(browser, "document.querySelectorAll('#rrg g.leg.dim').length")
    info = browser.find_element("id", "leg-info").text
    assert leg["label"] in info
    assert f"{leg['points'][-1][0]:.2f}" in info


def test_the_language_switches(browser: Any, demo_lab: RunningServer) -> None:
    open_page(browser, demo_lab.telegram_url(language="en"))
    show_tab(browser, "heatmap")
    assert browser.find_element("id", "title").text == "Rotation Lab"
    browser.find_element("id", "language").click()
    wait_for(browser, "document.getElementById('title').textContent === '轮动实验室'")
    wait_for(browser, "document.getElementById('status').textContent === ''")
    assert "信息技术" in browser.find_element("id", "heatmap-members").text
    assert browser.find_element("id", "language").text == "English"
    assert console_errors(browser) == []


def test_the_chats_language_opens_first(browser: Any, demo_lab: RunningServer) -> None:
    open_page(browser, demo_lab.telegram_url(language="zh"))
    assert browser.find_element("id", "title").text == "轮动实验室"


def test_the_telegram_theme_is_applied(browser: Any, demo_lab: RunningServer) -> None:
    open_page(browser, demo_lab.telegram_url(theme=DARK_THEME))
    background = browser.execute_script("return getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(23, 33, 43)"


@pytest.mark.parametrize(
    "init_data",
    [
        "",
        signed_init_data(token="999999:another-bot-s-token"),
        signed_init_data().replace("4242", "4243"),
    ],
    ids=["missing", "other-bot", "changed-user"],
)
def test_forged_or_missing_init_data_is_refused(
    browser: Any, demo_lab: RunningServer, init_data: str
) -> None:
    assert open_page(browser, demo_lab.telegram_url(init_data=init_data)) == "refused"
    assert browser.find_elements("css selector", "#rrg g.leg") == []
    request = urllib.request.Request(
        f"{demo_lab.base}/lab/api/view/rrg-sectors", headers={"Authorization": f"tma {init_data}"}
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 401
    assert b"legs" not in refused.value.read()


def test_the_standalone_token_opens_the_lab_once(
    browser: Any, golden_service: MarketService
) -> None:
    gate = TokenGate()
    for lab in serve(golden_service, gate):
        url = f"{lab.base}/lab/#token={gate.token}"
        assert open_page(browser, url) == "ready"
        show_tab(browser, "rrg")
        browser.execute_script("sessionStorage.clear()")
        assert open_page(browser, url) == "refused"


@pytest.mark.skipif(
    not os.environ.get("LAB_SCREENSHOTS"), reason="screenshots are taken with LAB_SCREENSHOTS=1"
)
def test_screenshots(browser: Any, demo_lab: RunningServer) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for theme_name, theme in (("light", LIGHT_THEME), ("dark", DARK_THEME)):
        for language in ("en", "zh"):
            open_page(browser, demo_lab.telegram_url(language=language, theme=theme))
            for tab in TABS:
                show_tab(browser, tab)
                path = SCREENSHOTS / f"{tab}-{language}-{theme_name}.png"
                take_full_screenshot(browser, path)
    assert console_errors(browser) == []


def take_full_screenshot(browser: Any, path: Path) -> None:
    """Save the page at phone width, as tall as its content."""
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(400, max(860, int(height) + 20))
    browser.save_screenshot(str(path))
    browser.set_window_size(400, 860)
