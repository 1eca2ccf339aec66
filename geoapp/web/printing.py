"""The running head and foot of printed pages: municipality, date printed, page N of M.

Chromium (131 and later) prints CSS page-margin boxes (`@page { @bottom-right { ... } }`) with
`counter(page)` and `counter(pages)` when a user prints from the browser, so the numbers and the
head need no script and no Playwright header template; see docs/decisions/0023. Margin boxes
cannot read the page's DOM in Chromium (no `string-set`), so a small stylesheet per
municipality and language writes the texts as CSS strings, escaped character by character: a
municipality's name is data.
"""

from __future__ import annotations

import re
from datetime import date

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from geoapp.templatetags.thaidate import thai_date
from geoapp.web.permissions import municipality_for

_PLAIN = re.compile(r"[\w .,:()/\-·]", re.UNICODE)
_BOX_FONT = "font: 8.5pt/1.6 'Sarabun', sans-serif; color: #52606d;"


def css_string(text: str) -> str:
    """`text` as a quoted CSS string that no quote, backslash or `</style>` can end."""
    escaped = "".join(
        char if _PLAIN.fullmatch(char) else f"\\{ord(char):06x}" for char in str(text)
    )
    return f'"{escaped}"'


def _page_numbers() -> str:
    """'Page {page} of {pages}' in the active language, as CSS content with the counters."""
    tokens = []
    for part in re.split(r"(\{page\}|\{pages\})", _("Page {page} of {pages}")):
        if part in ("{page}", "{pages}"):
            tokens.append(f"counter({part[1:-1]})")
        elif part:
            tokens.append(css_string(part))
    return " ".join(tokens)


def print_margins_css(*, name: str, printed_on: date) -> str:
    """The `@page` margin boxes: `name` top left, the date top right, the page bottom right."""
    printed = _("Printed on %(date)s") % {"date": thai_date(printed_on)}
    return (
        "@page {\n"
        f"  @top-left {{ content: {css_string(name)}; {_BOX_FONT} }}\n"
        f"  @top-right {{ content: {css_string(printed)}; {_BOX_FONT} }}\n"
        f"  @bottom-right {{ content: {_page_numbers()}; {_BOX_FONT} }}\n"
        "}\n"
    )


@login_required
def print_margins(request: HttpRequest, code: str) -> HttpResponse:
    """The printed pages' running head and foot for one municipality, as a stylesheet."""
    municipality = municipality_for(request.user, code)
    css = print_margins_css(name=municipality.name_th, printed_on=timezone.localdate())
    response = HttpResponse(css, content_type="text/css; charset=utf-8")
    # The date and the language change; the sheet is tiny.
    response["Cache-Control"] = "private, no-cache"
    return response
