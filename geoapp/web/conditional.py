"""Conditional requests and cross-origin reads, as RFC 9110 and the Fetch standard say.

`etag_matches` is the If-None-Match test: a list of entity tags or ``*``, compared weakly
(``W/"x"`` matches ``"x"``), so a 304 also reaches clients behind proxies that weaken tags.
`cors_public` lets pages on other sites read what anyone may read anyway; it is never set on
a response that depended on who asked (a cookie or an Authorization header).
"""

from __future__ import annotations

import re

from django.http import HttpRequest, HttpResponse

# One entity tag: an optional weakness marker and a quoted opaque tag (no quotes inside).
_ENTITY_TAG = re.compile(r'\s*(W/)?("[^"]*")\s*(?:,|$)')


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an If-None-Match header value matches the current ``etag`` (weak comparison).

    >>> etag_matches('W/"a", "b"', '"b"'), etag_matches("*", '"b"'), etag_matches('"a"', '"b"')
    (True, True, False)
    """
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    current = etag.removeprefix("W/")
    position, text = 0, if_none_match.strip()
    while position < len(text):
        found = _ENTITY_TAG.match(text, position)
        if found is None:
            return False  # not a list of entity tags: no match, answer in full
        if found.group(2) == current:
            return True
        position = found.end()
    return False


def anonymous(request: HttpRequest) -> bool:
    """Whether the response cannot depend on who asked: no session user, no credentials."""
    return not request.user.is_authenticated and "Authorization" not in request.headers


def cors_public(response: HttpResponse) -> HttpResponse:
    """Let any site read this response (for responses to anonymous requests only)."""
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Expose-Headers"] = "ETag, Link, Content-Crs"
    return response


def head_only(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """For HEAD, the GET response's headers (and length) without its body."""
    if request.method == "HEAD" and not response.streaming:
        length = len(response.content)
        response.content = b""
        response["Content-Length"] = str(length)
    return response
