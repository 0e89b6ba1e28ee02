"""Screenshots with a headless Chromium from the system, driven by Playwright.

Playwright's own browser download is not reachable everywhere we run (CI images, offline
machines), so we launch the distribution's Chromium through ``executable_path``. Used for
the evidence report's visual check and ``lakehouse report --screenshot``; made to serve the
lineage (Marquez) screenshot of exit check 4 as well.

:func:`png_summary` reads a PNG back without any imaging library, so a caller can tell a
real page from a blank one.
"""

from __future__ import annotations

import os
import shutil
import struct
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

BROWSER_ENV = "LAKEHOUSE_CHROMIUM"
CANDIDATES = ("chromium", "chromium-browser", "google-chrome")


class BrowserNotFound(RuntimeError):
    """No headless Chromium to drive; the message says where we looked and how to get one."""


class ScreenshotError(RuntimeError):
    """The browser started but could not load or capture the page."""


def find_chromium() -> str:
    """The Chromium to use: ``$LAKEHOUSE_CHROMIUM``, else the first of chromium, chromium-browser, google-chrome."""
    if configured := os.environ.get(BROWSER_ENV):
        path = shutil.which(configured)
        if path is None:
            raise BrowserNotFound(f"{BROWSER_ENV}={configured!r} is not an executable file")
        return path
    for name in CANDIDATES:
        if path := shutil.which(name):
            return path
    raise BrowserNotFound(
        f"no headless Chromium found: set {BROWSER_ENV} or put one of {', '.join(CANDIDATES)} on PATH "
        "(Debian/Ubuntu: apt-get install chromium)"
    )


def _as_url(target: str | Path) -> str:
    """Local files become ``file://`` URLs; anything with a scheme is taken as given."""
    text = str(target)
    if "://" in text or text.startswith(("about:", "data:")):
        return text
    path = Path(text).resolve()
    if not path.is_file():
        raise ScreenshotError(f"{path}: no such file to screenshot")
    return path.as_uri()


@dataclass(frozen=True)
class Screenshot:
    path: Path
    seconds: float
    #: HTTP status of the page (None for files).
    status: int | None = None
    #: The page's HTML as the browser held it when the PNG was taken (what a check judges with the picture).
    html: str = ""


def screenshot(
    url: str | Path,
    png_path: Path,
    width: int = 1280,
    height: int = 800,
    full_page: bool = True,
    timeout_s: float = 30.0,
    expect_text: Sequence[str] = (),
) -> Screenshot:
    """Load ``url`` (or a local file) in headless Chromium and save a PNG of it.

    Waits for the page's ``load`` event (every subresource of a self-contained page), then
    for each of ``expect_text`` to be visible (a page that draws after fetching, like
    Marquez web). The PNG is saved in any case, as evidence; an HTTP error status or a
    missing text then raises ``ScreenshotError``. The browser is always closed. The page's HTML at the
    moment of the PNG comes back with it, so a check judges what the picture shows.
    """
    executable = find_chromium()
    url_text = _as_url(url)
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    png_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    status: int | None = None
    missing: list[str] = []
    html = ""
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=executable, headless=True, timeout=timeout_s * 1000)
            try:
                page = browser.new_page(viewport={"width": width, "height": height})
                response = page.goto(url_text, wait_until="load", timeout=timeout_s * 1000)
                status = response.status if response is not None and "://" in url_text[:10] else None
                deadline = time.monotonic() + timeout_s
                for text in expect_text if status is None or status < 400 else ():  # no waiting on an error page
                    left_ms = max(1.0, (deadline - time.monotonic()) * 1000)
                    try:
                        # visible matches only: an SVG <title> holding the same text is never shown
                        page.get_by_text(text).locator("visible=true").first.wait_for(timeout=left_ms)
                    except PlaywrightError:
                        missing.append(text)
                page.screenshot(path=str(png_path), full_page=full_page, timeout=timeout_s * 1000)
                html = page.content()
            finally:
                browser.close()
    except PlaywrightError as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ScreenshotError(f"{executable}: could not screenshot {url_text}: {first}") from err
    if status is not None and status >= 400:
        raise ScreenshotError(f"{url_text} answered HTTP {status} (PNG of the error page saved to {png_path})")
    if missing:
        raise ScreenshotError(f"{url_text} does not show {', '.join(repr(m) for m in missing)}")
    return Screenshot(png_path, round(time.monotonic() - started, 3), status, html)


# -- reading a PNG back --------------------------------------------------------------------------------


class PngError(ValueError):
    """Not a PNG this reader understands (names the file and the problem)."""


@dataclass(frozen=True)
class PngSummary:
    width: int
    height: int
    #: Distinct colours among the rows read (at most ``max_rows`` from the top).
    colours: int
    rows_read: int


_CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}  # colour type -> samples per pixel (8-bit only)


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def png_summary(path: Path, max_rows: int = 400) -> PngSummary:
    """Size and colour count of an 8-bit, non-interlaced PNG (what Chromium writes).

    Reads only the top ``max_rows`` rows: enough to tell a rendered page from a blank one
    without decoding megapixels in pure Python.
    """
    data = path.read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise PngError(f"{path}: not a PNG (bad signature)")
    pos, idat, header = 8, zlib.decompressobj(), None
    width = height = channels = 0
    raw = bytearray()
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or colour_type not in _CHANNELS or interlace:
                raise PngError(f"{path}: only 8-bit non-interlaced PNGs are read (depth {depth}, type {colour_type})")
            channels, header = _CHANNELS[colour_type], True
        elif kind == b"IDAT":
            if header is None:
                raise PngError(f"{path}: IDAT before IHDR")
            raw += idat.decompress(body)
            if len(raw) >= (width * channels + 1) * max_rows:
                break
        elif kind == b"IEND":
            break
    if header is None:
        raise PngError(f"{path}: no IHDR chunk")
    stride = width * channels
    rows = min(height, max_rows, len(raw) // (stride + 1))
    previous = bytearray(stride)
    colours: set[bytes] = set()
    for y in range(rows):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        if kind == 1:
            for i in range(channels, stride):
                line[i] = (line[i] + line[i - channels]) & 0xFF
        elif kind == 2:
            line = bytearray((x + p) & 0xFF for x, p in zip(line, previous, strict=True))
        elif kind == 3:
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                line[i] = (line[i] + ((left + previous[i]) >> 1)) & 0xFF
        elif kind == 4:
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                up_left = previous[i - channels] if i >= channels else 0
                line[i] = (line[i] + _paeth(left, previous[i], up_left)) & 0xFF
        elif kind != 0:
            raise PngError(f"{path}: row {y} has unknown filter type {kind}")
        colours.update(bytes(line[i : i + channels]) for i in range(0, stride, channels))
        previous = line
    return PngSummary(width, height, len(colours), rows)
