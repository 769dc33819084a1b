"""docs/architecture.md's module map matches the tree, module for module."""

from __future__ import annotations

from tests.architecture_map import DOC, documented_map, module_map


def test_the_module_map_lists_every_module_with_its_docstring() -> None:
    documented = documented_map(DOC.read_text(encoding="utf-8"))
    assert documented == module_map(), (
        "docs/architecture.md's module map is stale: "
        "run `uv run python -m tests.architecture_map --write` and commit it"
    )
