import pytest


def pytest_collection_modifyitems(config, items):
    """The full fault run only when asked for (`-m fault`, as .ci/run does)."""
    if "fault" in (config.getoption("-m") or ""):
        return
    skip = pytest.mark.skip(reason="the full fault run: .ci/run runs it (pytest -m fault)")
    for item in items:
        if "fault" in item.keywords and item.get_closest_marker("fault"):
            item.add_marker(skip)
