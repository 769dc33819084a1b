"""Templates are compiled once per install: Jinja's bytecode kept in the user cache folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.real_data import REPO_ROOT

#: Loads every template of a language, the way a briefing does, and prints how many compiled.
LOAD_ALL = """
import jinja2
from briefings.render.templates import environment, templates_dir
compiled = []
original = jinja2.Environment._compile
def counting(self, source, filename):
    compiled.append(filename)
    return original(self, source, filename)
jinja2.Environment._compile = counting
env = environment("en")
for path in sorted(templates_dir().glob("*.j2")):
    env.get_template(path.name)
print(len(compiled))
"""


def compiled_templates(cache_dir: Path) -> int:
    """Return how many templates a fresh process compiled from source, cache in ``cache_dir``."""
    env = {**os.environ, "MARKETBRIEF_CACHE_DIR": str(cache_dir)}
    done = subprocess.run(
        [sys.executable, "-c", LOAD_ALL],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout.split()[-1])


def test_a_second_process_compiles_no_template(tmp_path: Path) -> None:
    first = compiled_templates(tmp_path / "cache")
    second = compiled_templates(tmp_path / "cache")

    assert first > 20
    assert second == 0
    assert list((tmp_path / "cache" / "templates").rglob("*.cache"))


def test_an_unwritable_cache_folder_costs_only_the_compiling(tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would be", encoding="utf-8")

    assert compiled_templates(blocked) > 20


def test_unreadable_compiled_code_is_compiled_again(tmp_path: Path) -> None:
    compiled_templates(tmp_path / "cache")
    for path in (tmp_path / "cache" / "templates").rglob("*.cache"):
        path.write_bytes(b"not bytecode")

    assert compiled_templates(tmp_path / "cache") > 20
