"""/breadth takes the sector names the bot shows, in both languages, and common short forms."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from briefings.render.members import find_sector, render_breadth
from briefings.render.templates import render_template
from briefings.render.views import RenderError
from briefings.service import MarketService


@pytest.mark.parametrize(
    "typed", ["Information Technology", "信息技术", "科技", "tech", "IT", "it", "信息"]
)
def test_every_name_of_information_technology_finds_it(
    golden_service: MarketService, typed: str
) -> None:
    briefing = golden_service.snapshot(as_of=date(2025, 11, 20)).briefing
    assert find_sector(briefing, typed).sector == "Information Technology"


def test_chinese_names_find_their_sector(golden_service: MarketService) -> None:
    briefing = golden_service.snapshot(as_of=date(2025, 11, 20)).briefing
    assert find_sector(briefing, "医疗保健").sector == "Health Care"
    assert find_sector(briefing, "必需消费").sector == "Consumer Staples"
    assert "信息技术" in render_breadth(briefing, "科技", "html", "zh")


def test_an_unknown_sector_is_refused_once_in_the_readers_language(
    golden_service: MarketService,
) -> None:
    briefing = golden_service.snapshot(as_of=date(2025, 11, 20)).briefing
    with pytest.raises(RenderError) as caught:
        find_sector(briefing, "tek")
    assert "Energy" in caught.value.choices

    params = {"text": "tek", "choices": caught.value.choices}
    problem = SimpleNamespace(key="not_sector", params=params)
    english = render_template("bot/problem.html.j2", "en", problem=problem)
    chinese = render_template("bot/problem.html.j2", "zh", problem=problem)
    assert english.strip().startswith("“tek” is not a sector here; use one of ")
    assert english.count("not a sector") == 1
    assert "no sector called" not in english
    assert "能源" in chinese
    assert "Energy" not in chinese
