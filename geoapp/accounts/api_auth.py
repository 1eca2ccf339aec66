"""Who is calling the API and the tiles: an API token, sent the way GIS clients can send it.

Three ways, all with the same API token (a session cookie also works, as for the pages):

- ``Authorization: Token <key>`` or ``Authorization: Bearer <key>`` (scheme in any case), for
  scripts, GDAL (``GDAL_HTTP_HEADERS``) and OWSLib;
- ``Authorization: Basic base64(<username>:<key>)``: the login name and the API token as the
  password, for clients that can only ask for a user name and password (QGIS's "Basic"
  authentication, GDAL's ``GDAL_HTTP_USERPWD``). The account password is never accepted here:
  it would skip the second factor that the login page asks for.

A header that names a scheme we do not know, or a key that is not valid, is refused with 401
and a ``WWW-Authenticate`` challenge, never served as anonymous: a script with a typo would
otherwise read "no such collection" where it should read "log in".
"""

from __future__ import annotations

import base64
import binascii

from django.http import HttpRequest, HttpResponse

from geoapp.accounts.tokens import api_token_user

#: What a 401 offers: Basic (QGIS, GDAL) and Bearer (the token itself).
CHALLENGE = 'Basic realm="Mueang", charset="UTF-8", Bearer realm="Mueang"'
TOKEN_SCHEMES = {"token", "bearer"}


class InvalidCredentials(Exception):
    """An Authorization header that names no active user (the message says why, in English)."""


def api_request_user(request: HttpRequest):
    """The user the Authorization header names, or None when there is no such header.

    Raises
    ------
    InvalidCredentials
        For an unknown scheme, a malformed Basic value, or a key that is not an active token
        (of that user, for Basic).
    """
    header = request.headers.get("Authorization", "").strip()
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    scheme, value = scheme.lower(), value.strip()
    if scheme in TOKEN_SCHEMES:
        user = api_token_user(value) if value else None
    elif scheme == "basic":
        username, key = _basic(value)
        user = api_token_user(key) if key else None
        if user is not None and user.get_username() != username:
            user = None
    else:
        raise InvalidCredentials(f"Unknown authorization scheme {scheme!r}: use Token or Basic.")
    if user is None:
        raise InvalidCredentials("The API token is not valid.")
    return user


def _basic(value: str) -> tuple[str, str]:
    """(username, password) from a Basic credential; InvalidCredentials if it is not one."""
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidCredentials("The Basic credentials are not base64 of user:token.") from None
    username, colon, key = decoded.partition(":")
    if not colon:
        raise InvalidCredentials("The Basic credentials are not base64 of user:token.")
    return username, key


def challenged(response: HttpResponse) -> HttpResponse:
    """The response with the ``WWW-Authenticate`` challenge a 401 must carry."""
    response["WWW-Authenticate"] = CHALLENGE
    return response
