"""The manuals: one Markdown file per role under docs/th/, rendered with raw HTML escaped.

The files are written to read well in the repository too, so they link to each other as
`planner.md` and to screenshots as `img/<name>.png`; rendering rewrites those to /help/ addresses.
"""

from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as etree
from dataclasses import dataclass
from pathlib import Path

import markdown
from django.conf import settings
from django.urls import reverse
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

INDEX = "index"
# slug -> file name under docs/th/, in the order the help index lists them.
MANUALS: dict[str, str] = {
    "planner": "planner.md",
    "health": "health.md",
    "disaster": "disaster.md",
    "admin": "admin.md",
    "volunteer": "volunteer.md",
}
IMAGE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*\.png$")
_IMAGE_SRC = re.compile(r"^img/([a-z0-9][a-z0-9-]*\.png)$")
_MANUAL_HREF = re.compile(r"^([a-z]+)\.md(#.*)?$")


@dataclass(frozen=True)
class Manual:
    slug: str
    title: str
    html: str
    toc_html: str
    images: tuple[str, ...]


def manuals_dir() -> Path:
    """Where the Thai manuals live (docs/th/ in the repository)."""
    return Path(settings.BASE_DIR) / "docs" / "th"


def image_path(name: str) -> Path | None:
    """A screenshot's file, or None when the name is not a plain `<name>.png` that exists."""
    if not IMAGE_NAME.match(name):
        return None
    path = manuals_dir() / "img" / name
    return path if path.is_file() else None


def heading_slug(value: str, separator: str) -> str:
    """An anchor for a Thai heading: Thai letters and their vowel and tone marks kept."""
    value = unicodedata.normalize("NFC", value).strip().lower()
    value = re.sub(r"[^\w\u0e00-\u0e7f\s-]", "", value)
    return re.sub(r"[\s-]+", separator, value)


class _HelpLinks(Treeprocessor):
    """Point `img/x.png` at the help's image view and `x.md` at that manual's page."""

    def __init__(self, md, images: list[str]):
        super().__init__(md)
        self.images = images

    def run(self, root: etree.Element) -> None:
        for element in root.iter("img"):
            found = _IMAGE_SRC.match(element.get("src", ""))
            if found:
                self.images.append(found.group(1))
                element.set("src", reverse("help-image", kwargs={"name": found.group(1)}))
                element.set("loading", "lazy")
        for element in root.iter("a"):
            found = _MANUAL_HREF.match(element.get("href", ""))
            if found and found.group(1) == INDEX:
                element.set("href", reverse("help-index") + (found.group(2) or ""))
            elif found and found.group(1) in MANUALS:
                url = reverse("help-manual", args=[found.group(1)])
                element.set("href", url + (found.group(2) or ""))


class _EscapeHtmlAndLink(Extension):
    """Raw HTML in the Markdown is shown as text, never passed through (Python-Markdown's way)."""

    def __init__(self, images: list[str]):
        super().__init__()
        self.images = images

    def extendMarkdown(self, md) -> None:
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        md.treeprocessors.register(_HelpLinks(md, self.images), "mueang_help_links", 1)


def _title_split(text: str) -> tuple[str, str]:
    """The first `# heading` as the page's title, and the Markdown after it."""
    first, _newline, rest = text.lstrip().partition("\n")
    if first.startswith("# "):
        return first[2:].strip(), rest
    return "", text


def markdown_render(text: str) -> Manual:
    """Render one manual's Markdown: title, HTML body, table of contents, its screenshots."""
    title, body = _title_split(text)
    images: list[str] = []
    md = markdown.Markdown(
        extensions=["tables", "sane_lists", "toc", _EscapeHtmlAndLink(images)],
        extension_configs={"toc": {"slugify": heading_slug, "toc_depth": "2-3"}},
        output_format="html",
    )
    html = md.convert(body)
    return Manual(slug="", title=title, html=html, toc_html=md.toc, images=tuple(images))


def manual_read(slug: str) -> Manual | None:
    """The manual of a role (or the index), rendered; None for a slug that is not a manual."""
    name = "index.md" if slug == INDEX else MANUALS.get(slug)
    if name is None:
        return None
    rendered = markdown_render((manuals_dir() / name).read_text(encoding="utf-8"))
    return Manual(
        slug=slug,
        title=rendered.title,
        html=rendered.html,
        toc_html=rendered.toc_html,
        images=rendered.images,
    )


def manual_titles() -> list[tuple[str, str]]:
    """(slug, title) of every role's manual, in the index's order."""
    titles = []
    for slug, name in MANUALS.items():
        with (manuals_dir() / name).open(encoding="utf-8") as file:
            titles.append((slug, _title_split(file.readline())[0]))
    return titles
