"""The Lab page's words in a language (templates/lab/words.json.j2), names of the views included."""

from __future__ import annotations

from collections.abc import Iterable

from briefings.build import display_names
from briefings.render.templates import render_template
from briefings.universe import Universe


def view_names(universe: Universe, sectors: Iterable[str], indexes: Iterable[str]) -> list[str]:
    """Return every name a view shows: tickers' and pairs' display names, sectors, indexes."""
    names = {*display_names(universe).values(), *(pair.name for pair in universe.pairs)}
    names.update(sectors)
    names.update(indexes)
    return sorted(names)


def lab_words(language: str, names: Iterable[str]) -> str:
    """Return the page's words in ``language`` as a JSON document, ``names`` translated."""
    return render_template("lab/words.json.j2", language, names=list(names))
