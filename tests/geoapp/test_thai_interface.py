"""The Thai interface speaks Thai: a crawl as every role finds no English words in what people read.

Each demo role of both municipalities, an anonymous visitor and the platform administrator browse
in Thai: from the home page, every same-site link (GET only, downloads, logout and the language
switch left out, bounded per user), plus every named municipality URL of
`tests/geoapp/test_isolation.py` (with its object arguments filled) for the members. The visible
text (scripts and styles stripped; titles, placeholders, alt texts and aria-labels kept, since
people read or hear them) is split into words; a word of Latin letters fails the test unless it is
a name from the data (roads, landmarks, places, people's logins, datasets: the officers typed them)
or in the short allow-list below.
"""

from __future__ import annotations

import re
from collections import defaultdict, deque
from html import unescape
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlparse

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.test import Client

from geoapp.accounts.demo import demo_users
from tests.geoapp.test_isolation import municipality_url_names, url_for

#: Words of Latin letters a Thai page may show, and why. Kept small: a word here is never checked.
ALLOWED = {
    # units and measures written the same in Thai offices
    "m", "km", "mm", "cm", "kg", "ha",
    # file formats and standards people pick by these names
    "CSV", "XLSX", "PDF", "GeoJSON", "GeoPackage", "GPKG", "Shapefile", "KML", "GeoTIFF", "JSON",
    "EPSG", "UTM", "WGS", "CRS", "WMS", "WFS", "OGC", "API", "URL", "Open", "QR", "Open311",
    # codes used as they are: diagnoses, larval indices, laws, ids
    "DF", "DHF", "DSS", "HI", "CI", "BI", "PDPA", "ID", "N", "E", "TOTP", "OTOP",
    # coordinates and statistics as Thai textbooks write them: x/y columns, the p-value
    "x", "y", "p",
    # the names of datums and map projections (Indian 1975, WGS 84) are proper nouns
    "Indian",
    # proper nouns: the product, the map library, data sources and their licences
    "Mueang", "Sphere", "Leaflet", "OpenStreetMap", "OSM", "ODbL", "OpenDengue", "HDX", "OCHA",
    "COD", "AB", "CC", "BY", "IGO", "mapthai", "JRC", "GISTDA", "DDC",
    # the language switch names its language in that language; key names printed on keys
    "English", "Enter", "Escape",
    # formats and apps named as the officer sees them on their own computer and phone
    "KMZ", "JPEG", "PNG", "WebP", "UTF", "TIS", "Excel", "Windows", "GPS", "A4", "MB", "KB", "zip",
    "COG", "Cloud", "Optimised", "DEM", "ASCII", "BOM",
    "Google", "Microsoft", "Authenticator", "FreeOTP",
    # ULV: ultra-low-volume fogging, the term on the sprayers and in DDC's guidelines
    "ULV",
}  # fmt: skip
#: Zone keys ("z062a863e65") until zones carry street names (issue 17, branch thnames).
ZONE_KEY = r"\bz[0-9a-f]{10}\b"
WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")
HREF = re.compile(r"""href=["']([^"'#]+)""")
#: Links not followed: leaving, switching language, files and tiles people download, and the
#: Django admin, whose wording is Django's (its Thai catalogue leaves 361 English words on 90
#: admin pages, measured 2026-12-08; the admin's dates are checked in test_thai_format).
SKIP = re.compile(
    r"^/(accounts/logout|i18n/|static/|media/|favicon|admin/)|/export[./]|\.(pbf|csv|xlsx|gpkg|zip|"
    r"geojson|json|pdf|jpg|png)$|[?&](format|f)=|/download|/api/|/tiles/|/photo"
)
MAX_PAGES = 90  # per user; the isolation URLs come on top


class _VisibleText(HTMLParser):
    """The text a person reads or hears: element text and the few attributes read aloud.

    Not checked: scripts and styles; code (`<code>`, `<kbd>`, `<samp>`: file extensions, key
    names, commands); references quoted as published (`<cite>`); options showing their own value
    (a column of the user's file); text marked `lang="en"` (the
    English line beneath the import's bilingual messages, kept for support staff); and what a
    template marks `translate="no"`, HTML's own flag for content that is not the product's
    wording: names, values and descriptions users typed into their data, registry names.
    """

    HIDDEN = {"script", "style", "template", "noscript", "svg", "code", "kbd", "samp", "cite"}
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
            "track", "wbr"}  # fmt: skip
    READ = ("title", "placeholder", "alt", "aria-label")

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0
        self._open: list[tuple[str, bool]] = []
        self._option_value: str | None = None

    def handle_starttag(self, tag, attrs):
        self._option_value = dict(attrs).get("value") if tag == "option" else None
        hides = (
            tag in self.HIDDEN
            or ("translate", "no") in attrs
            or ("lang", "en") in attrs  # the English beneath a bilingual message, on purpose
        )
        if tag not in self.VOID:
            self._open.append((tag, hides))
            self._hidden += hides
        if self._hidden or (hides and tag in self.VOID):
            return
        for name, value in attrs:
            if name in self.READ and value:
                self.parts.append(value)
            if tag == "input" and name == "value" and value and ("type", "submit") in attrs:
                self.parts.append(value)

    def handle_endtag(self, tag):
        # Close up to the matching open tag (HTML lets some end tags be left out).
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index][0] == tag:
                for _tag, hides in self._open[index:]:
                    self._hidden -= hides
                del self._open[index:]
                break

    def handle_data(self, data):
        # An option that shows its own value (a column of the user's file) is data, not wording.
        if not self._hidden and data.strip() != (self._option_value or "\0"):
            self.parts.append(data)


def visible_text(body: str) -> str:
    parser = _VisibleText()
    parser.feed(body)
    return " ".join(parser.parts)


def english_words(text: str, allowed: set[str]) -> set[str]:
    # Logins, e-mail addresses, URLs, file names and field codes (onset_date) are names, not
    # words of the interface.
    text = re.sub(
        r"\S+@\S+|https?://\S+|\S*\.[A-Za-z]{2,7}\b|\b[a-z]+(?:[-_][a-z0-9]+)+\b|" + ZONE_KEY,
        " ",
        text,
    )
    return {word for word in WORD.findall(text) if word not in allowed and not word.isdigit()}


def data_names() -> set[str]:
    """Words of names the municipalities' officers typed (English names of places, logins, ...)."""
    from geoapp.models import Open311Key
    from layers.models import Dataset, Landmark, Municipality, Road, Subdistrict

    texts: list[str] = []
    texts += Municipality.objects.values_list("name_en", flat=True)
    texts += Subdistrict.objects.values_list("name_en", flat=True)
    for model in (Road, Landmark):
        texts += model.objects.values_list("name_th", flat=True).distinct()
        texts += model.objects.values_list("name_en", flat=True).distinct()
    texts += Dataset.objects.values_list("title", flat=True)
    texts += get_user_model().objects.values_list("username", flat=True)
    texts += Open311Key.objects.values_list("name", flat=True)  # an administrator names each key
    return {word for text in texts if text for word in WORD.findall(text)}


def thai_client(username: str | None) -> Client:
    client = Client(HTTP_HOST="127.0.0.1", HTTP_ACCEPT_LANGUAGE="th")
    client.cookies["django_language"] = "th"
    if username:
        client.force_login(get_user_model().objects.get(username=username))
    return client


def _page_key(url: str) -> str:
    """One visit per page and query *names*: page 2 of a list reads like page 1."""
    path, _, query = url.partition("?")
    names = sorted({part.split("=")[0] for part in query.split("&") if part})
    return path + "?" + "&".join(names)


def crawl(client: Client, start: list[str], extra: list[str]) -> dict[str, str]:
    """Visible text of the pages reachable from `start` by links (bounded), then of `extra`."""
    queue, seen, texts = deque(start), set(start), {}
    visited_keys: set[str] = set()

    def visit(url: str) -> str | None:
        response = client.get(url)
        # Refusals are read too: a wrong role gets a Thai 403 page, never a bare "Forbidden".
        if response.status_code not in (200, 403, 404) or "html" not in response.get(
            "Content-Type", ""
        ):
            return None
        body = response.content.decode("utf-8", errors="replace")
        texts[url] = visible_text(body)
        return body

    while queue and len(texts) < MAX_PAGES:
        url = queue.popleft()
        if SKIP.search(url) or _page_key(url) in visited_keys:
            continue
        visited_keys.add(_page_key(url))
        body = visit(url)
        for raw in HREF.findall(body or ""):
            link, _fragment = urldefrag(urljoin(url, unescape(raw)))
            parsed = urlparse(link)
            if parsed.netloc not in ("", "127.0.0.1", "testserver"):
                continue
            link = parsed.path + (f"?{parsed.query}" if parsed.query else "")
            if link not in seen:
                seen.add(link)
                queue.append(link)
    for url in extra:
        if url not in texts and not SKIP.search(url):
            visit(url)
    return texts


def _named_urls(code: str) -> list[str]:
    """The isolation walk's URLs of the municipality, less those whose object it lacks."""
    urls = []
    for name in municipality_url_names():
        try:
            urls.append(url_for(name, code))
        except (IndexError, ObjectDoesNotExist, AttributeError):
            continue  # Chon Buri's demo has no dengue cases, hence no case or zone pages
    return urls


USERS = [user.username for user in demo_users()]


@pytest.mark.parametrize("username", [*USERS, None, "platform-admin"])
def test_thai_pages_show_no_english_words(db, username):
    code = {u.username: u.municipality_code for u in demo_users()}.get(username)
    start = ["/", "/m/", f"/m/{code}/"] if code else ["/", "/m/", "/help/"]
    # The named URLs: the admins of both towns open them all; the volunteers, who may open
    # the fewest, get the refusals.
    walks_all = code and username.endswith(("-admin", "-volunteer"))
    extra = _named_urls(code) if walks_all else []
    with transaction.atomic():
        texts = crawl(thai_client(username), start, extra)
        transaction.set_rollback(True)

    allowed = ALLOWED | data_names()
    leaks: dict[str, set[str]] = defaultdict(set)
    where: dict[str, str] = {}
    for url, text in texts.items():
        for word in english_words(text, allowed):
            leaks[word].add(url)
            at = re.search(rf"(?<![A-Za-z]){word}(?![A-Za-z0-9])", text)
            around = text[max(at.start() - 40, 0) : at.end() + 40] if at else ""
            where.setdefault(word, " ".join(around.split()))
    report = "\n".join(
        f"{word}: «{where[word]}» {', '.join(sorted(urls)[:2])}"
        for word, urls in sorted(leaks.items())
    )
    print(f"\n[thai crawl] {username}: {len(texts)} pages, {len(leaks)} English words")
    assert len(texts) >= 3
    assert not leaks, f"English on Thai pages for {username}:\n{report}"


def test_the_checker_finds_english_and_skips_only_what_is_not_wording():
    """The crawl's reader: the known leaks are found, scripts and marked data are not read."""
    page = (
        "<h1>403 Forbidden</h1><p>ระดับน้ำ level ต้องเป็นตัวเลข</p>"
        '<input placeholder="Search" aria-label="ค้นหา"><script>var map = 1;</script>'
        '<p translate="no">Si Thammasok Road</p><p>1 mi <code>--map COLUMN=lat</code></p>'
        "<p>rollback of import 4</p><p>ส่งออก CSV, ไฟล์ roads-osm.geojson ถึง nst-admin</p>"
    )

    found = english_words(visible_text(page), ALLOWED)

    assert found == {"Forbidden", "level", "Search", "mi", "rollback", "of", "import"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("IntegerField", "ten"),
        ("DecimalField", "ten"),
        ("DateField", "2026-13-45"),
        ("DateTimeField", "tomorrow"),
        ("CharField", ""),
        ("FileField", "not a file"),
        ("JSONField", "{"),
    ],
)
def test_django_form_errors_read_in_thai(field, value):
    """Form errors come from Django's own catalogue unless ours has a better Thai one."""
    from django import forms
    from django.core.exceptions import ValidationError
    from django.utils import translation

    with translation.override("th"), pytest.raises(ValidationError) as caught:
        getattr(forms, field)().clean(value)

    with translation.override("th"):
        text = " ".join(str(m) for m in caught.value.messages)
    assert english_words(text, ALLOWED) == set(), text


def test_geometry_form_errors_read_in_thai():
    from django.contrib.gis import forms
    from django.core.exceptions import ValidationError
    from django.utils import translation

    for value in ("", "POINT(oops)"):
        with translation.override("th"), pytest.raises(ValidationError) as caught:
            forms.PointField().clean(value)
        with translation.override("th"):
            text = " ".join(str(m) for m in caught.value.messages)
        assert english_words(text, ALLOWED) == set(), text


@pytest.mark.parametrize("code", ["csv_no_coordinates", "required_unmapped"])
def test_the_wizard_gives_its_own_advice_not_the_command_line(code):
    """'--map COLUMN=lat' is the command line's advice; the wizard has controls for it."""
    from django.utils import translation

    from geoapp.imports.pages import issue_view
    from layers.imports.messages import Issue

    params = {"field": "onset_date"} if code == "required_unmapped" else {}
    stored = Issue(code, file="cases.csv", params=params).as_dict()
    assert "--map" in stored["th"]  # what the command line prints

    with translation.override("th"):
        shown = issue_view(stored)

    assert "--map" not in shown["text"]
    assert "--map" not in shown["other"]
    assert shown["text"].startswith("cases.csv: ")
    assert english_words(shown["text"].split(": ", 1)[1], ALLOWED | {"lat", "lon"}) == set()
