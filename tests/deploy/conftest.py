"""The `docker` marker: tests that build the image run only when asked for.

Building the image installs every dependency from the network and takes minutes, so a
test marked `docker` is skipped unless the run selects it: ``pytest -m docker tests/deploy``.
"""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "docker: builds the image with a Docker daemon (network, minutes)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "docker" in str(config.getoption("markexpr")):
        return
    not_asked = pytest.mark.skip(reason="builds the image (network, minutes): pytest -m docker")
    for item in items:
        if item.get_closest_marker("docker") is not None:
            item.add_marker(not_asked)
