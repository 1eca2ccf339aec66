"""`upload_store`: an upload is stored and inspected; a refused one leaves no row and no file."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from geoapp.imports.job import upload_root
from geoapp.imports.services import UploadRefused, upload_store
from geoapp.models import ImportUpload
from tests.layers.import_data import landmarks_frame, write_geojson


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path


def store(municipality, name: str, content: bytes, kind: str = "landmarks"):
    return upload_store(
        municipality=municipality,
        user=get_user_model().objects.get(username="nst-planner"),
        kind=kind,
        file=SimpleUploadedFile(name, content),
    )


def nothing_stored(municipality, name: str) -> bool:
    folder = upload_root(municipality)
    files = [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []
    return not ImportUpload.objects.filter(display_name=name).exists() and not files


def test_a_readable_file_is_stored_with_its_row_and_inspection(db, nst, media):
    content = write_geojson(landmarks_frame(3), media / "วัด 1.geojson").read_bytes()

    upload = store(nst, "C:\\data\\วัด 1.geojson", content)

    row = ImportUpload.objects.get(pk=upload.pk)
    assert (row.kind, row.display_name, row.size_bytes) == (
        "landmarks",
        "วัด 1.geojson",
        len(content),
    )
    assert row.stored_name == f"{row.pk.hex}/วัด_1.geojson"
    assert (upload_root(nst) / row.stored_name).read_bytes() == content
    assert row.inspection["ok"] is True
    assert row.user.username == "nst-planner"


def test_a_file_over_the_size_limit_is_refused_before_anything_is_written(db, nst, media, settings):
    settings.MUEANG_IMPORT_MAX_FILE_BYTES = 10

    with pytest.raises(UploadRefused) as refused:
        store(nst, "big.geojson", b"x" * 11)

    assert [issue["code"] for issue in refused.value.issues] == ["file_too_large"]
    assert nothing_stored(nst, "big.geojson")


def test_a_lone_shapefile_part_is_refused_on_the_file_field(db, nst, media):
    with pytest.raises(ValidationError) as refused:
        store(nst, "roads.shp", b"\x00\x00\x27\x0a" + b"\x00" * 96, kind="roads")

    assert list(refused.value.message_dict) == ["file"]
    assert nothing_stored(nst, "roads.shp")


def test_an_unreadable_file_is_refused_and_its_row_and_file_are_removed(db, nst, media):
    with pytest.raises(UploadRefused) as refused:
        store(nst, "broken.geojson", b"{ not json")

    assert refused.value.issues
    assert nothing_stored(nst, "broken.geojson")
