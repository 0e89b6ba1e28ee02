"""evidence.html references nothing outside itself: it opens from disk, from a CI artifact, offline."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from tests.report.conftest import Page

URL_ATTRIBUTES = {"src", "href", "srcset", "action", "formaction", "poster", "data", "background", "xlink:href"}


class References(HTMLParser):
    """Every attribute that could make a browser fetch something, plus the inline styles."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.refs: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.styles: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        for name, value in attrs:
            if name in URL_ATTRIBUTES and value is not None:
                self.refs.append((tag, name, value))
            if name == "style" and value:
                self.styles.append(value)
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)


def _parse(page: Page) -> References:
    parser = References()
    parser.feed(page.html)
    return parser


def test_no_reference_leaves_the_page(sample_page: Page) -> None:
    parsed = _parse(sample_page)
    assert parsed.refs, "the sample should have links and images to check"
    for tag, name, value in parsed.refs:
        if tag == "img" and name == "src":
            assert value.startswith("data:image/"), f"<img src> must be a data: URI, not {value[:60]!r}"
            continue
        assert value.startswith("#"), f"<{tag} {name}={value[:60]!r}> points outside the page"


def test_no_external_stylesheet_script_or_font(sample_page: Page) -> None:
    parsed = _parse(sample_page)
    for tag, attrs in parsed.tags:
        assert tag not in ("link", "iframe", "object", "embed", "base"), f"<{tag} {attrs}>"
        if tag == "script":
            assert "src" not in attrs, f"<script src={attrs['src']!r}>"
    css = "\n".join(parsed.styles)
    assert "@import" not in css and "@font-face" not in css
    assert not re.search(r"url\(\s*['\"]?(?!data:|#)", css), "CSS fetches something"
    assert not re.search(r"(?:https?:)?//[\w.-]+\.\w", "".join(v for _, _, v in parsed.refs))


def test_printing_expands_collapsed_sections(sample_page: Page) -> None:
    assert "@media print" in sample_page.html
    assert "details::details-content" in sample_page.html
    assert 'addEventListener("beforeprint"' in sample_page.html
