"""Fuzzing the OGC APIs (Features, Processes) with schemathesis once per role, and the tiles.

Every operation of the OpenAPI document is fed generated requests, with and without a token of
each demo role: no 5xx, responses match the document (status, content type, body schema), and no
response lists or returns a collection that the role may not read.
"""

from __future__ import annotations

import json
import os
import re

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.generation import GenerationMode

from geoapp.accounts.tokens import api_token_create
from geoapp.api.openapi import openapi_document
from geoapp.jobs.processes import PROCESSES
from layers.api.features import COLLECTIONS

NST = "nakhon-si-thammarat"
CHON = "chon-buri"
CODES = (NST, CHON)
ROLES = ("viewer", "planner", "health", "disaster", "editor", "admin")
PUBLIC_LAYERS = {"roads", "landmarks"}
MEMBER_LAYERS = {"buildings", "flood_zones"}
CASE_READERS = {"health", "admin"}
# Larval indices per place: every staff role of ROLES (not volunteers); house visits: case readers.
STAFF_LAYERS = {"larval_place_rounds"}
CASE_LAYERS = {"dengue_cases", "larval_house_visits"}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# MUEANG_FUZZ_EXAMPLES=300 for a longer hunt; the default keeps the file well under 90 s.
EXAMPLES = int(os.environ.get("MUEANG_FUZZ_EXAMPLES", "25"))

SCHEMA = schemathesis.openapi.from_dict(openapi_document(server="http://127.0.0.1/api/"))
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]


def readable(username: str | None) -> set[str]:
    """Collections the user may read, from the role matrix (not from the code under test)."""
    allowed = {f"{code}.{layer}" for code in CODES for layer in PUBLIC_LAYERS}
    if username:
        prefix, _, role = username.partition("-")
        code = {"nst": NST, "chon": CHON}[prefix]
        allowed |= {f"{code}.{layer}" for layer in MEMBER_LAYERS}
        if role in ROLES:
            allowed |= {f"{code}.{layer}" for layer in STAFF_LAYERS}
        if role in CASE_READERS:
            allowed |= {f"{code}.{layer}" for layer in CASE_LAYERS}
    return allowed


def every_collection() -> set[str]:
    return {f"{code}.{layer}" for code in CODES for layer in COLLECTIONS}


@pytest.fixture
def wsgi_app(db):
    """Django's own WSGI handler, in this test's transaction (connections stay open)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def token_headers(username: str | None) -> dict[str, str]:
    if username is None:
        return {}
    user = get_user_model().objects.get(username=username)
    return {"Authorization": f"Token {api_token_create(user=user, name='fuzz')}"}


def may_run(username: str | None, process_id: str, code: str) -> bool:
    """Whether the role matrix lets the user run the process in the municipality."""
    if not username or process_id not in PROCESSES:
        return False
    prefix, _, role = username.partition("-")
    if code != {"nst": NST, "chon": CHON}[prefix]:
        return False
    return process_id == "flood-exposure" or role in CASE_READERS


def assert_authorised(username: str | None, case, response) -> None:
    """No listed or returned collection, collection item or feature beyond the role's rights.

    No process runs for a caller the role matrix does not allow, and no job is shown to anyone
    who did not submit it (the fuzzing runs as one user).
    """
    if case.operation.path == "/processes/{processId}/execution" and response.status_code == 201:
        inputs = case.body["inputs"]
        assert may_run(username, case.path_parameters["processId"], inputs["municipality"]), (
            f"{username} ran {case.as_curl_command()}"
        )
    if case.operation.path.startswith("/jobs") and response.status_code == 200:
        assert username is not None
    if response.status_code != 200:
        return
    allowed = readable(username)
    path = case.operation.path
    if path == "/collections":
        if response.content.lstrip().startswith(b"<"):  # f=html: the table's links
            html = response.content.decode()
            listed = set(re.findall(r'/api/collections/([^/"?]+)/items\?f=html', html))
        else:
            listed = {c["id"] for c in json.loads(response.content)["collections"]}
        assert listed <= allowed, f"{username} sees {sorted(listed - allowed)}"
    elif "{collectionId}" in path:
        collection_id = case.path_parameters["collectionId"]
        assert collection_id in allowed, (
            f"{username} reads {collection_id!r}: {case.as_curl_command()}"
        )


@pytest.mark.parametrize(
    "username",
    [None, *(f"nst-{role}" for role in ROLES), "chon-health", "chon-viewer"],
)
def test_api_operations_per_role(wsgi_app, username):
    # Schemathesis' WSGI transport asks for gzip but never decodes it: ask for the plain body
    # (tests/geoapp/test_api.py checks the gzipped one).
    headers = {**token_headers(username), "Accept-Encoding": "identity"}
    # Path parameters stay what the URL routes match (one segment; digits for feature ids: the
    # router answers anything else before the API runs). Collection ids are mostly real ones
    # (every municipality x layer), so fuzzing reaches the items and the authorisation decisions.
    # ("#", "?", "%" and dot segments are taken apart by the HTTP client before any server.)
    collection_ids = st.sampled_from(sorted(every_collection())) | st.text(
        alphabet=st.characters(codec="utf-8", exclude_characters="/#?%\\"),
        min_size=1,
        max_size=40,
    ).filter(lambda text: text.strip(".") != "")
    feature_ids = st.integers(min_value=0, max_value=2**63 - 1) | st.integers(
        min_value=2**63, max_value=10**40
    )
    process_ids = st.sampled_from(sorted(PROCESSES)) | st.text(
        alphabet=st.characters(codec="utf-8", exclude_characters="/#?%\\"),
        min_size=1,
        max_size=20,
    ).filter(lambda text: text.strip(".") != "")
    ran = []
    for operation in OPERATIONS:
        strategy = operation.as_strategy(GenerationMode.POSITIVE) | operation.as_strategy(
            GenerationMode.NEGATIVE
        )
        if "{collectionId}" in operation.path:

            @st.composite
            def with_path(draw, strategy=strategy):
                case = draw(strategy)
                case.path_parameters["collectionId"] = draw(collection_ids)
                if "featureId" in case.path_parameters:
                    case.path_parameters["featureId"] = draw(feature_ids)
                return case

            strategy = with_path()
        if operation.path == "/processes/{processId}/execution":
            # Real process ids and municipality codes reach the role and tenancy decisions.
            @st.composite
            def with_inputs(draw, strategy=strategy):
                case = draw(strategy)
                case.path_parameters["processId"] = draw(process_ids)
                if draw(st.booleans()):
                    case.body = {"inputs": {"municipality": draw(st.sampled_from(CODES))}}
                return case

            strategy = with_inputs()

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def run(case):
            response = case.call(app=wsgi_app, headers=headers)
            case.validate_response(response, checks=CHECKS)
            assert_authorised(username, case, response)

        run()
        ran.append(operation.label)
    # Features (with queryables, schema), tiles metadata (tilesets, tileset) + Processes
    assert len(ran) == len(OPERATIONS) == 8 + 2 + 7


# The whole document a case reader receives: the generic paths and every readable collection's
# own items path (its typed filters), bounded to stay near a minute on 2 busy cores.
READER_EXAMPLES = int(os.environ.get("MUEANG_FUZZ_EXAMPLES", "12"))


def test_every_operation_a_case_reader_is_given_conforms(wsgi_app):
    """schemathesis over every operation of the document /api/openapi gives NST's health
    officer (who reads private cases), positive and negative cases: 0 server errors, 0 status,
    content type or body schema violations, nothing beyond the role's rights."""
    username = "nst-health"
    headers = {**token_headers(username), "Accept-Encoding": "identity"}
    document = Client(HTTP_HOST="127.0.0.1").get("/api/openapi", headers=headers).json()
    request_started.disconnect(close_old_connections)  # Django's test Client put it back
    operations = [r.ok() for r in schemathesis.openapi.from_dict(document).get_all_operations()]
    own_items = [op.path for op in operations if op.path.startswith(f"/collections/{NST}.")]
    collection_ids = st.sampled_from(sorted(readable(username))) | st.sampled_from(
        sorted(every_collection())
    )
    ran = []
    for operation in operations:
        strategy = operation.as_strategy(GenerationMode.POSITIVE) | operation.as_strategy(
            GenerationMode.NEGATIVE
        )
        if "{collectionId}" in operation.path:

            @st.composite
            def with_collection(draw, strategy=strategy):
                case = draw(strategy)
                case.path_parameters["collectionId"] = draw(collection_ids)
                return case

            strategy = with_collection()

        @settings(
            max_examples=READER_EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def run(case):
            response = case.call(app=wsgi_app, headers=headers)
            case.validate_response(response, checks=CHECKS)
            assert_authorised(username, case, response)

        run()
        ran.append(operation.label)

    assert {op.path for op in operations} == set(document["paths"])
    assert sorted(own_items) == sorted(f"/collections/{NST}.{layer}/items" for layer in COLLECTIONS)
    assert len(ran) == len(document["paths"]) + 1  # /processes/{id}/execution: one POST


def test_every_api_operation_is_fuzzed():
    paths = set(openapi_document(server="http://x/api/")["paths"])
    assert {op.path for op in OPERATIONS} == paths


TILE_LAYERS = ["roads", "landmarks", "buildings", "flood_zones", "cases", "dengue_cases", "x"]
junk_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=200
) | st.sampled_from(["", NST, CHON, "๑๒๓", "\u202e", "a" * 10_000, "../../etc/passwd"])


@pytest.mark.parametrize("username", [None, "nst-viewer", "nst-health", "chon-admin"])
def test_vector_tiles_take_any_coordinates(db, username):
    client = Client(HTTP_HOST="127.0.0.1")
    if username:
        client.force_login(get_user_model().objects.get(username=username))
    big = st.integers(min_value=0, max_value=10**30)
    small = st.integers(min_value=0, max_value=30)

    @settings(max_examples=2 * EXAMPLES, deadline=None, database=None)
    @given(
        layer=st.sampled_from(TILE_LAYERS),
        z=small | big,
        x=small | big,
        y=small | big,
        m=st.none() | junk_text,
    )
    def run(layer, z, x, y, m):
        data = {} if m is None else {"m": m}
        response = client.get(f"/tiles/{layer}/{z}/{x}/{y}.pbf", data)
        assert response.status_code < 500
        if username in (None, "nst-viewer") and layer in {"cases", "dengue_cases"}:
            # No exact case locations for viewers or anonymous callers.
            assert response.status_code != 200 or not response.content

    run()


NUL = "%00"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # Found by the fuzzing above: NUL reached PostgreSQL as a query parameter (500).
        (f"/api/collections/{NST}{NUL}.roads", 404),
        (f"/api/collections/{NST}{NUL}.roads/items", 404),
        (f"/api/collections/{NST}{NUL}.roads/items/1", 404),
        (f"/api/collections/{NST}.roads/items?road_class=primary{NUL}", 400),
        (f"/api/collections/{NST}.roads/items?name_th=ถนน{NUL}", 400),
        # Found here: an offset past PostgreSQL's bigint failed in the query (500).
        (f"/api/collections/{NST}.roads/items?offset={10**30}", 400),
        (f"/api/collections/{NST}.roads/items?offset={2**63}", 400),
        (f"/api/collections/{NST}.roads/items?offset={2**63 - 1}&limit=10000", 200),
        (f"/api/collections/{NST}.roads/items/{10**30}", 404),
        (f"/api/collections/{NST}.roads/items?limit={'9' * 5000}", 400),
        (f"/api/collections/{NST}.roads/items?bbox=nan,nan,nan,nan", 400),
        (f"/api/collections/{NST}.roads/items?bbox=-inf,-90,inf,90", 400),
        (f"/api/collections/{NST}.flood_zones/items?datetime=99999-01-01", 400),
        (f"/api/collections/{NST}.flood_zones/items?datetime=2024-01-01/0000-00-00", 400),
        (f"/api/collections/{NST}.flood_zones/items?datetime=../..", 200),
        # Found here: a box of no width in a projected bbox-crs made ST_Segmentize fail (500).
        (
            f"/api/collections/{NST}.roads/items?bbox=0,0,0,0"
            "&bbox-crs=http%3A%2F%2Fwww.opengis.net%2Fdef%2Fcrs%2FEPSG%2F0%2F24047",
            200,
        ),
    ],
)
def test_api_edge_values(db, url, expected):
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username="nst-planner"))
    response = client.get(url)
    assert response.status_code == expected, response.content[:300]
    assert response["Content-Type"].startswith(("application/json", "application/geo+json"))
