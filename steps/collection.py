"""Feature files collected directly (`pytest features/`), and what their tags mean to pytest."""

from __future__ import annotations

import types
from pathlib import Path
from typing import Any

import pytest

from lakehouse.browser import BrowserNotFound, find_chromium
from lakehouse.criteria import CHECK_TAG, pending_reason

FEATURES = Path(__file__).resolve().parent.parent / "features"
#: Checks that cannot pass without a headless browser (the lineage screenshot).
NEEDS_BROWSER = ("EXIT-4",)


def runs_features(config: pytest.Config) -> bool:
    """Whether this session verifies a stack (its arguments reach features/), not the harness's own tests."""
    args = [Path(a.split("::")[0]).resolve() for a in config.args] or [Path.cwd()]
    return any(a == FEATURES or FEATURES in a.parents or a in FEATURES.parents for a in args)


class FeatureFile(pytest.Module):
    """A ``.feature`` file collected as a test module whose tests are its scenarios."""

    def _getobj(self) -> types.ModuleType:
        module = types.ModuleType(f"features.{self.path.stem}")
        module.__file__ = str(self.path)
        # pytest-bdd binds scenarios into the caller's namespace: make that this module.
        code = compile(
            "from pytest_bdd import scenarios\nscenarios(__file__, features_base_dir='/')\n", str(self.path), "exec"
        )
        exec(code, module.__dict__)
        return module


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix == ".feature":
        return FeatureFile.from_parent(parent, path=file_path)
    return None


def not_implemented(why: str) -> str:
    return f"not implemented yet ({why})"


def pytest_bdd_apply_tag(tag: str, function: Any) -> bool | None:
    """Check ids become a ``check`` marker; ``@pending:why`` skips the scenario with that reason."""
    if m := CHECK_TAG.match("@" + tag):
        pytest.mark.check(m.group(1))(function)
        return True
    if (why := pending_reason("@" + tag)) is not None:
        pytest.mark.skip(reason=not_implemented(why))(function)
        return True
    return None


def pytest_itemcollected(item: pytest.Item) -> None:
    """The check id is a keyword too, so ``-k EXIT-6`` selects exit check 6."""
    if marker := item.get_closest_marker("check"):
        item.extra_keyword_matches.add(str(marker.args[0]))


@pytest.hookimpl(trylast=True)  # after -k/-m deselection: only what will really run
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Stop before anything is deployed when a selected check needs a browser and there is none."""
    needing = sorted(
        {str(m.args[0]) for item in items if (m := item.get_closest_marker("check")) and m.args[0] in NEEDS_BROWSER}
    )
    if not needing:
        return
    try:
        find_chromium()
    except BrowserNotFound as err:
        raise pytest.UsageError(
            f"{', '.join(needing)} need(s) a headless browser and {err}; `scripts/ensure-chromium` installs one "
            "where it can (make smoke runs it), or deselect with -k 'not EXIT-4' (the run is then incomplete)"
        ) from None
