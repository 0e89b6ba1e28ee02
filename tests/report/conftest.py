"""The recorded evidence sample (tests/report/data/) and the page rendered from it."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest

from lakehouse.config import project_root
from lakehouse.report import Rendered, render_report

ROOT = project_root()
DATA = Path(__file__).resolve().parent / "data"

#: Secrets planted in the sample's details, reasons, run fields, JSON artifacts and logs. Fake
#: values (AWS's documented examples, tokens without valid checksums) in the real shapes.
PLANTED = (
    "AKIAIOSFODNN7EXAMPLE",
    "ASIAEXAMPLE000000001",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "IQoJb3JpZ2luX2VjEXAMPLEplantedSessionToken0123456789abcdef==",
    "ghp_EXAMPLEplantedGitHubToken0123456789ab",
    "github_pat_11EXAMPLE0planted_GitHubFineGrained0123456789",
    "hunter2-planted-password",
    "planted-url-pass",
    "planted-api-key-value-42",
    "plantedBearerTokenValue0123456789",
)


class PageText(HTMLParser):
    """The visible text of a page, whitespace collapsed (what a reader sees)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)

    @classmethod
    def of(cls, html: str) -> str:
        parser = cls()
        parser.feed(html)
        return " ".join(" ".join(parser.parts).split())


@dataclass
class Page:
    rendered: Rendered
    html: str
    text: str
    reports: Path


def copy_sample(dest: Path) -> Path:
    """The sample's reports/ folder in a scratch place (rendering writes next to evidence.json)."""
    shutil.copytree(DATA, dest)
    return dest / "evidence.json"


def render(evidence: Path, **kwargs: object) -> Page:
    rendered = render_report(evidence, features_dir=ROOT / "features", **kwargs)  # type: ignore[arg-type]
    html = rendered.path.read_text(encoding="utf-8")
    return Page(rendered, html, PageText.of(html), evidence.parent)


@pytest.fixture(scope="module")
def sample_page(tmp_path_factory: pytest.TempPathFactory) -> Page:
    return render(copy_sample(tmp_path_factory.mktemp("sample") / "reports"))
