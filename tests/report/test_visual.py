"""The sample report rendered by headless Chromium: a real page, kept as reports/evidence-page.png.

Skips when no Chromium is found, unless LAKEHOUSE_REQUIRE_BROWSER=1 (set by .ci/run), where a
missing browser is a failure: CI must produce the screenshot.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lakehouse.browser import BrowserNotFound, PngError, find_chromium, png_summary, screenshot
from tests.report.conftest import ROOT, Page

SCREENSHOT = ROOT / "reports" / "evidence-page.png"


@pytest.fixture(scope="module")
def chromium() -> str:
    try:
        return find_chromium()
    except BrowserNotFound as err:
        if os.environ.get("LAKEHOUSE_REQUIRE_BROWSER") == "1":
            pytest.fail(f"LAKEHOUSE_REQUIRE_BROWSER=1 but {err}")
        pytest.skip(str(err))


def test_sample_report_renders_in_chromium(chromium: str, sample_page: Page) -> None:
    shot = screenshot(sample_page.rendered.path, SCREENSHOT, width=1280, height=800, full_page=True)
    assert shot.path == SCREENSHOT
    summary = png_summary(SCREENSHOT)
    assert summary.width == 1280
    assert summary.height > 3000, "the full page should be several screens long"
    assert summary.colours > 200, f"the top of the page looks blank ({summary.colours} colours)"
    assert SCREENSHOT.stat().st_size > 100_000


def test_png_summary_tells_blank_from_content(chromium: str, tmp_path: Path) -> None:
    blank = tmp_path / "blank.html"
    blank.write_text("<html><body style='background:#fff'></body></html>")
    png = screenshot(blank, tmp_path / "blank.png", width=320, height=200, full_page=False).path
    summary = png_summary(png)
    assert (summary.width, summary.height, summary.colours) == (320, 200, 1)


def test_png_summary_rejects_what_is_not_a_png(tmp_path: Path) -> None:
    bad = tmp_path / "x.png"
    bad.write_bytes(b"GIF89a....")
    with pytest.raises(PngError, match=str(bad)):
        png_summary(bad)


def test_missing_browser_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAKEHOUSE_CHROMIUM", "/nonexistent/chromium")
    with pytest.raises(BrowserNotFound, match="LAKEHOUSE_CHROMIUM='/nonexistent/chromium'"):
        find_chromium()
    monkeypatch.delenv("LAKEHOUSE_CHROMIUM")
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(BrowserNotFound, match="chromium, chromium-browser, google-chrome"):
        find_chromium()
