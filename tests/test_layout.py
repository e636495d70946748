"""The package's layout keeps its design visible: no import circles, one composition root.

The import graph comes from grimp, which reads every import statement, those inside
functions and under `TYPE_CHECKING` included.
"""

from __future__ import annotations

import importlib
import pkgutil

import grimp
import pytest

import bot

# The composition root, the CLI entry point and the two adapter wiring modules.
# The composition root, and the command line's entry points (each command builds Settings).
SETTINGS_READERS = {
    "bot.wiring",
    "bot.slack.wiring",
    "bot.channels.wiring",
    "bot.cli.main",
    "bot.cli.demo",
    "bot.cli.serve",
    "bot.cli.failures",
    "bot.cli.knowledge",
}
MAX_TOP_LEVEL_MODULES = 12


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("bot", cache_dir=None)


def _packages() -> list[str]:
    found = ["bot"]
    for info in pkgutil.walk_packages(bot.__path__, "bot."):
        if info.ispkg:
            found.append(info.name)
    return found


class TestImportGraph:
    def test_no_module_imports_a_module_that_imports_it_back(
        self, graph: grimp.ImportGraph
    ) -> None:
        circles = []
        for importer in sorted(graph.modules):
            for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                back = graph.find_shortest_chain(importer=imported, imported=importer)
                if back is not None:
                    circles.append(" -> ".join((importer, *back)))

        assert circles == []

    def test_no_module_imports_the_package_it_sits_in(self, graph: grimp.ImportGraph) -> None:
        upward = [
            f"{importer} -> {imported}"
            for importer in sorted(graph.modules)
            for imported in graph.find_modules_directly_imported_by(importer)
            if importer.startswith(f"{imported}.")
        ]

        assert upward == []

    def test_only_the_composition_root_and_entry_points_read_settings(
        self, graph: grimp.ImportGraph
    ) -> None:
        readers = graph.find_modules_that_directly_import("bot.settings")

        assert readers <= SETTINGS_READERS


class TestPackages:
    def test_few_modules_sit_directly_under_bot(self) -> None:
        top_level = [info.name for info in pkgutil.iter_modules(bot.__path__) if not info.ispkg]

        assert len(top_level) + 1 <= MAX_TOP_LEVEL_MODULES  # + bot/__init__.py

    @pytest.mark.parametrize("name", _packages())
    def test_each_package_states_its_job_and_shows_its_face(self, name: str) -> None:
        package = importlib.import_module(name)

        assert (package.__doc__ or "").strip(), f"{name} has no docstring"
        if name != "bot":
            exported = getattr(package, "__all__", None)
            assert exported, f"{name} has no __all__"
            missing = [member for member in exported if not hasattr(package, member)]
            assert missing == []
