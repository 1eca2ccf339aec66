"""Bilingual import messages: every problem is told in Thai and in English, with its place.

The English text is the gettext msgid (marked with `gettext_noop`, so `makemessages` finds it);
the Thai text beside it is used until the merged catalogue translates the msgid
(`geoapp/locale/th/pending/import.json` holds the same pairs for that merge).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from enum import StrEnum

from django.utils import translation
from django.utils.translation import gettext, gettext_noop

MAX_VALUE_CHARS = 60


class Severity(StrEnum):
    ERROR = "error"  # the import cannot go ahead
    WARNING = "warning"  # imported, but someone should look (repaired, outside but confirmed)
    INFO = "info"  # what was detected or assumed


# code -> (English msgid, Thai). Placeholders are str.format fields filled with display values.
MESSAGES: dict[str, tuple[str, str]] = {
    # the file
    "file_not_found": (gettext_noop("file not found"), "ไม่พบไฟล์"),
    "not_a_file": (gettext_noop("not a regular file"), "ไม่ใช่ไฟล์ข้อมูลทั่วไป"),
    "file_too_large": (
        gettext_noop("the file is too large ({size} bytes; the limit is {limit})"),
        "ไฟล์ใหญ่เกินไป ({size} ไบต์ จำกัดไว้ที่ {limit})",
    ),
    "unsupported_format": (
        gettext_noop(
            "unsupported file type {ext}; use GeoJSON, GeoPackage, zipped Shapefile, KML/KMZ or CSV"
        ),
        "ไม่รองรับไฟล์ชนิด {ext} ใช้ได้เฉพาะ GeoJSON, GeoPackage, Shapefile (zip), KML/KMZ หรือ CSV",
    ),
    "driver_file_refused": (
        gettext_noop("{name} is a GDAL driver file that can point at other files; it is refused"),
        "ไม่รับไฟล์ {name} เพราะเป็นไฟล์กำหนดค่าของ GDAL ที่ชี้ไปยังไฟล์อื่นได้",
    ),
    "content_mismatch": (
        gettext_noop("{name} is not a {format} file ({reason})"),
        "ไฟล์ {name} ไม่ใช่ไฟล์ {format} ({reason})",
    ),
    "driver_content_refused": (
        gettext_noop(
            "{name} holds a GDAL driver file (a VRT, a GDAL pipeline or a web service "
            "description) that can point at other files or addresses; it is refused"
        ),
        "ไม่รับไฟล์ {name} เพราะมีเนื้อหาเป็นไฟล์กำหนดค่าของ GDAL (VRT, ไปป์ไลน์ของ GDAL "
        "หรือคำอธิบายบริการเว็บ) ที่ชี้ไปยังไฟล์หรือที่อยู่อื่นได้",
    ),
    "driver_not_allowed": (
        gettext_noop("{name} opens as {driver}, which is not an accepted format"),
        "ไฟล์ {name} เปิดได้ในรูปแบบ {driver} ซึ่งไม่ใช่รูปแบบที่รับ",
    ),
    "unreadable": (gettext_noop("cannot read the file: {detail}"), "อ่านไฟล์ไม่ได้: {detail}"),
    # OpenStreetMap extracts (import_osm)
    "osm_wrong_type": (
        gettext_noop(
            "{name} is not an OpenStreetMap extract; import_osm reads .osm (XML) and .osm.pbf "
            "files (other formats go through import_layer)"
        ),
        "ไฟล์ {name} ไม่ใช่ไฟล์ข้อมูล OpenStreetMap คำสั่ง import_osm อ่านได้เฉพาะไฟล์ .osm (XML) "
        "และ .osm.pbf (ไฟล์รูปแบบอื่นให้ใช้ import_layer)",
    ),
    "osm_xml_doctype": (
        gettext_noop(
            "the OSM XML declares a DOCTYPE or ENTITY (entity expansion or external entity "
            "attack); it is refused"
        ),
        "ไฟล์ OSM XML ประกาศ DOCTYPE หรือ ENTITY (การโจมตีแบบขยาย entity หรือ external entity) จึงไม่รับ",
    ),
    "osm_nothing_inside": (
        gettext_noop(
            "no road or landmark of the file lies inside {municipality}; is it an extract of "
            "another area?"
        ),
        "ไม่มีถนนหรือสถานที่สำคัญในไฟล์นี้ที่อยู่ในเขต{municipality} ไฟล์นี้อาจเป็นข้อมูลของพื้นที่อื่น",
    ),
    "osm_roads_read": (
        gettext_noop(
            "{inside} of the {read} OpenStreetMap roads read lie in the municipality (ways that "
            "cross the boundary are kept whole)"
        ),
        "ถนนจาก OpenStreetMap อยู่ในเขตเทศบาล {inside} จาก {read} สายที่อ่าน (ถนนที่ข้ามแนวเขตเก็บไว้ทั้งสาย)",
    ),
    "osm_landmarks_read": (
        gettext_noop(
            "{inside} of the {read} OpenStreetMap landmarks read lie in the municipality (an "
            "area such as temple grounds becomes a point inside it)"
        ),
        "สถานที่สำคัญจาก OpenStreetMap อยู่ในเขตเทศบาล {inside} จาก {read} แห่งที่อ่าน "
        "(พื้นที่ เช่น เขตวัด เก็บเป็นจุดที่อยู่ภายในพื้นที่นั้น)",
    ),
    "osm_degenerate": (
        gettext_noop(
            "{count} OpenStreetMap features left out: their geometry is empty or has no length "
            "({ids})"
        ),
        "ไม่ได้นำเข้า {count} รายการจาก OpenStreetMap เพราะรูปทรงว่างเปล่าหรือไม่มีความยาว ({ids})",
    ),
    # GeoTIFF rasters (layers.imports.raster)
    "raster_kind": (
        gettext_noop("a GeoTIFF is imported with KIND dataset (a raster dataset), not {kind}"),
        "ไฟล์ GeoTIFF ต้องนำเข้าเป็นชนิด dataset (ชุดข้อมูลแรสเตอร์) ไม่ใช่ {kind}",
    ),
    "archive_no_raster": (
        gettext_noop("the archive holds no GeoTIFF (.tif) file"),
        "ในไฟล์บีบอัดไม่มีไฟล์ GeoTIFF (.tif)",
    ),
    "raster_too_wide": (
        gettext_noop(
            "the raster declares {width} x {height} cells; at most {limit} across or down"
        ),
        "แรสเตอร์ระบุขนาด {width} x {height} เซลล์ ด้านใดด้านหนึ่งต้องไม่เกิน {limit} เซลล์",
    ),
    "raster_too_many_bands": (
        gettext_noop("the raster declares {bands} bands; the limit is {limit}"),
        "แรสเตอร์ระบุว่ามี {bands} แบนด์ จำกัดไว้ที่ {limit}",
    ),
    "raster_too_large": (
        gettext_noop(
            "the raster declares {width} x {height} cells x {bands} bands ({cells} values); "
            "the limit is {limit}"
        ),
        "แรสเตอร์ระบุขนาด {width} x {height} เซลล์ x {bands} แบนด์ ({cells} ค่า) จำกัดไว้ที่ {limit}",
    ),
    "raster_empty": (
        gettext_noop("the raster declares no cells ({width} x {height}, {bands} bands)"),
        "แรสเตอร์ไม่มีเซลล์เลย ({width} x {height}, {bands} แบนด์)",
    ),
    "raster_not_georeferenced": (
        gettext_noop(
            "the raster has no georeferencing (no geotransform); export it as a GeoTIFF with "
            "coordinates"
        ),
        "แรสเตอร์ไม่มีการอ้างอิงพิกัด (ไม่มี geotransform) ส่งออกเป็น GeoTIFF ที่มีพิกัดก่อน",
    ),
    "raster_rotated": (
        gettext_noop("the raster is rotated or sheared; warp it north-up first (gdalwarp)"),
        "แรสเตอร์ถูกหมุนหรือเอียง แปลงให้ทิศเหนืออยู่ด้านบนก่อน (gdalwarp)",
    ),
    "raster_outside": (
        gettext_noop(
            "the raster (bounds {bounds} in WGS 84) does not touch the municipality; check the "
            "coordinate system, or pass --confirm-outside to import it anyway"
        ),
        "แรสเตอร์ (ขอบเขต {bounds} ใน WGS 84) ไม่ทับเขตเทศบาลเลย ตรวจสอบระบบพิกัด "
        "หรือใช้ --confirm-outside เพื่อนำเข้าต่อ",
    ),
    "raster_outside_confirmed": (
        gettext_noop("the raster lies outside the municipality; imported as confirmed"),
        "แรสเตอร์อยู่นอกเขตเทศบาล นำเข้าตามที่ยืนยันแล้ว",
    ),
    "raster_all_nodata": (
        gettext_noop("every cell of band {band} is nodata"),
        "ทุกเซลล์ของแบนด์ {band} ไม่มีข้อมูล (nodata)",
    ),
    "raster_converted": (
        gettext_noop(
            "{width} x {height} cells of {resolution} ({dtype}, {bands} bands, nodata {nodata}); "
            "stored as a cloud-optimised GeoTIFF with {overviews} overview levels"
        ),
        "{width} x {height} เซลล์ ขนาด {resolution} ({dtype}, {bands} แบนด์, nodata {nodata}) "
        "จัดเก็บเป็น Cloud-Optimised GeoTIFF พร้อมภาพย่อ {overviews} ระดับ",
    ),
    # archives
    "archive_bad": (gettext_noop("not a valid zip archive"), "ไม่ใช่ไฟล์ zip ที่ถูกต้อง"),
    "archive_too_many_entries": (
        gettext_noop("the archive holds {count} entries; the limit is {limit}"),
        "ไฟล์บีบอัดมี {count} รายการ จำกัดไว้ที่ {limit}",
    ),
    "archive_too_large": (
        gettext_noop("the archive would unpack to {size} bytes; the limit is {limit} (zip bomb?)"),
        "ไฟล์บีบอัดจะขยายเป็น {size} ไบต์ จำกัดไว้ที่ {limit} (zip bomb?)",
    ),
    "archive_ratio": (
        gettext_noop(
            "entry {name} is compressed {ratio}:1, more than the limit of {limit}:1 (zip bomb?)"
        ),
        "รายการ {name} ถูกบีบอัด {ratio}:1 เกินขีดจำกัด {limit}:1 (zip bomb?)",
    ),
    "archive_overlap": (
        gettext_noop("entries of the archive overlap (zip bomb?)"),
        "รายการในไฟล์บีบอัดซ้อนทับกัน (zip bomb?)",
    ),
    "archive_unsafe_path": (
        gettext_noop("entry {name} has an unsafe path (absolute or with '..'; zip slip)"),
        "รายการ {name} มีเส้นทางไม่ปลอดภัย (เป็นเส้นทางสัมบูรณ์หรือมี '..'; zip slip)",
    ),
    "archive_symlink": (
        gettext_noop("entry {name} is a symbolic link; links are refused"),
        "รายการ {name} เป็นลิงก์สัญลักษณ์ (symlink) ซึ่งไม่รับ",
    ),
    "archive_nested": (
        gettext_noop("entry {name} is itself an archive; nested archives are refused"),
        "รายการ {name} เป็นไฟล์บีบอัดซ้อนอยู่ข้างใน ซึ่งไม่รับ",
    ),
    "archive_encrypted": (
        gettext_noop("entry {name} is password-protected"),
        "รายการ {name} ถูกป้องกันด้วยรหัสผ่าน",
    ),
    "archive_size_mismatch": (
        gettext_noop("entry {name} unpacks to more bytes than its header declares (zip bomb?)"),
        "รายการ {name} ขยายได้มากกว่าขนาดที่ระบุไว้ (zip bomb?)",
    ),
    "archive_no_data": (
        gettext_noop("the archive holds no GeoJSON, GeoPackage, Shapefile, KML or CSV file"),
        "ในไฟล์บีบอัดไม่มีไฟล์ GeoJSON, GeoPackage, Shapefile, KML หรือ CSV",
    ),
    "archive_many_data": (
        gettext_noop("the archive holds several data files ({names}); choose one with --layer"),
        "ในไฟล์บีบอัดมีไฟล์ข้อมูลหลายไฟล์ ({names}) เลือกหนึ่งไฟล์ด้วย --layer",
    ),
    "shapefile_incomplete": (
        gettext_noop("shapefile {name} has no {missing} file beside it"),
        "Shapefile {name} ไม่มีไฟล์ {missing} ประกอบ",
    ),
    # layers and driver-specific dangers
    "layer_ambiguous": (
        gettext_noop("the file holds several layers ({names}); choose one with --layer"),
        "ไฟล์นี้มีหลายชั้นข้อมูล ({names}) เลือกหนึ่งชั้นด้วย --layer",
    ),
    "layer_not_found": (
        gettext_noop("no layer {layer} in the file; layers: {names}"),
        "ไม่พบชั้นข้อมูล {layer} ในไฟล์ ชั้นข้อมูลที่มี: {names}",
    ),
    "no_layers": (gettext_noop("the file holds no layer"), "ไฟล์นี้ไม่มีชั้นข้อมูล"),
    "xml_doctype": (
        gettext_noop(
            "the KML declares a DOCTYPE or ENTITY (entity expansion or external entity attack); "
            "it is refused"
        ),
        "ไฟล์ KML ประกาศ DOCTYPE หรือ ENTITY (การโจมตีแบบขยาย entity หรือ external entity) จึงไม่รับ",
    ),
    "kml_network_link": (
        gettext_noop("the KML holds a NetworkLink to other files or addresses; it is refused"),
        "ไฟล์ KML มี NetworkLink ที่ชี้ไปยังไฟล์หรือที่อยู่อื่น จึงไม่รับ",
    ),
    "gpkg_virtual_table": (
        gettext_noop(
            "the GeoPackage defines the virtual table {name}, which can read other files; "
            "it is refused"
        ),
        "GeoPackage นี้กำหนดตารางเสมือน {name} ซึ่งอ่านไฟล์อื่นได้ จึงไม่รับ",
    ),
    # text encoding
    "encoding_unknown": (
        gettext_noop("unknown text encoding {encoding}"),
        "ไม่รู้จักการเข้ารหัสอักขระ {encoding}",
    ),
    "encoding_undetected": (
        gettext_noop("the text is neither UTF-8 nor TIS-620/CP874; give it with --encoding"),
        "ข้อความไม่ใช่ UTF-8 และไม่ใช่ TIS-620/CP874 ระบุการเข้ารหัสด้วย --encoding",
    ),
    "encoding_mismatch": (
        gettext_noop("the text is not valid {encoding} ({origin}); try --encoding {suggestion}"),
        "ข้อความไม่ใช่ {encoding} ที่ถูกต้อง ({origin}) ลองใช้ --encoding {suggestion}",
    ),
    "encoding_detected": (
        gettext_noop("text read as {encoding} ({origin})"),
        "อ่านข้อความเป็น {encoding} ({origin})",
    ),
    # coordinate systems
    "crs_missing": (
        gettext_noop("the file has no coordinate system; give one with --crs, e.g. {suggestions}"),
        "ไฟล์ไม่มีระบบพิกัด ระบุด้วย --crs เช่น {suggestions}",
    ),
    "crs_invalid": (
        gettext_noop("unknown coordinate system {crs}"),
        "ไม่รู้จักระบบพิกัด {crs}",
    ),
    "crs_no_transformation": (
        gettext_noop(
            "no datum transformation from {crs} to WGS 84 is known; convert the file to "
            "EPSG:4326 first"
        ),
        "ไม่มีวิธีแปลงพื้นหลักฐานจาก {crs} เป็น WGS 84 แปลงไฟล์เป็น EPSG:4326 ก่อน",
    ),
    "crs_used": (
        gettext_noop("coordinate system {crs} ({origin}); to WGS 84 by {transformation}"),
        "ระบบพิกัด {crs} ({origin}) แปลงเป็น WGS 84 ด้วย {transformation}",
    ),
    "crs_overridden": (
        gettext_noop("the file says {file_crs}; {crs} from --crs is used instead"),
        "ไฟล์ระบุ {file_crs} แต่ใช้ {crs} ตามที่ระบุด้วย --crs",
    ),
    # CSV coordinates
    "csv_no_coordinates": (
        gettext_noop(
            "no coordinate columns found (lat/lon, ละติจูด/ลองจิจูด, x/y); name them with "
            "--map COLUMN=lat --map COLUMN=lon"
        ),
        "ไม่พบคอลัมน์พิกัด (lat/lon, ละติจูด/ลองจิจูด, x/y) ระบุด้วย --map COLUMN=lat --map COLUMN=lon",
    ),
    "csv_coordinates": (
        gettext_noop("points from columns {x} (longitude or x) and {y} (latitude or y)"),
        "สร้างจุดจากคอลัมน์ {x} (ลองจิจูดหรือ x) และ {y} (ละติจูดหรือ y)",
    ),
    "latlon_swapped": (
        gettext_noop(
            "columns {lat} and {lon} hold longitudes and latitudes the wrong way round; "
            "they were swapped"
        ),
        "คอลัมน์ {lat} และ {lon} สลับละติจูดกับลองจิจูดกัน ระบบสลับกลับให้แล้ว",
    ),
    # mapping
    "mapping_bad": (
        gettext_noop("--map needs COLUMN=FIELD, not {value}"),
        "--map ต้องอยู่ในรูป COLUMN=FIELD ไม่ใช่ {value}",
    ),
    "mapping_unknown_column": (
        gettext_noop(
            "--map names the column {column}, which is not in the file; columns: {columns}"
        ),
        "--map ระบุคอลัมน์ {column} ซึ่งไม่มีในไฟล์ คอลัมน์ที่มี: {columns}",
    ),
    "mapping_unknown_field": (
        gettext_noop("--map target {field} is not a field of {kind}; fields: {fields}"),
        "--map ระบุฟิลด์ {field} ซึ่งไม่ใช่ฟิลด์ของ {kind} ฟิลด์ที่มี: {fields}",
    ),
    "mapping_used": (gettext_noop("columns used: {pairs}"), "คอลัมน์ที่ใช้: {pairs}"),
    "required_unmapped": (
        gettext_noop(
            "no column for the required field {field}; name one with --map COLUMN={field}"
        ),
        "ไม่มีคอลัมน์สำหรับฟิลด์ที่จำเป็น {field} ระบุด้วย --map COLUMN={field}",
    ),
    "id_field_missing": (
        gettext_noop("the id field {field} is not a column of the file; columns: {columns}"),
        "ไม่มีคอลัมน์รหัส {field} ในไฟล์ คอลัมน์ที่มี: {columns}",
    ),
    "id_field_hint": (
        gettext_noop(
            "column {column} looks like an id: with --id-field {column} a re-import updates "
            "features instead of replacing them"
        ),
        "คอลัมน์ {column} น่าจะเป็นรหัส ถ้าใช้ --id-field {column} การนำเข้าซ้ำจะปรับปรุงข้อมูลเดิม"
        "แทนการแทนที่ทั้งหมด",
    ),
    # the target
    "municipality_unknown": (
        gettext_noop("unknown municipality {code}"),
        "ไม่พบเทศบาล {code}",
    ),
    "kind_unknown": (
        gettext_noop("unknown kind {kind}; use one of {kinds}"),
        "ไม่รู้จักชนิดข้อมูล {kind} ใช้ได้: {kinds}",
    ),
    "slug_invalid": (
        gettext_noop("dataset identifier {slug} may hold only a-z, 0-9, '-' and '_'"),
        "รหัสชุดข้อมูล {slug} ใช้ได้เฉพาะ a-z, 0-9, '-' และ '_'",
    ),
    "dataset_kind_mismatch": (
        gettext_noop("dataset {slug} holds {existing}, not {kind}"),
        "ชุดข้อมูล {slug} เก็บ {existing} ไม่ใช่ {kind}",
    ),
    "outside_summary": (
        gettext_noop(
            "{count} features lie outside the municipality (rows {rows}); check the coordinate "
            "system, or pass --confirm-outside to import them anyway"
        ),
        "{count} รายการอยู่นอกเขตเทศบาล (แถว {rows}) ตรวจสอบระบบพิกัด หรือใช้ --confirm-outside "
        "เพื่อยืนยันนำเข้า",
    ),
    "outside_confirmed": (
        gettext_noop("{count} features outside the municipality imported as confirmed"),
        "นำเข้า {count} รายการที่อยู่นอกเขตเทศบาลตามที่ยืนยัน",
    ),
    "rows_rejected": (
        gettext_noop("{count} rows cannot be imported; nothing was written"),
        "มี {count} แถวที่นำเข้าไม่ได้ จึงไม่ได้บันทึกข้อมูลใดเลย",
    ),
    "issues_truncated": (
        gettext_noop("{count} more problems not listed"),
        "ยังมีปัญหาอีก {count} รายการที่ไม่ได้แสดง",
    ),
    # one row
    "geometry_missing": (gettext_noop("row {row}: no geometry"), "แถว {row}: ไม่มีรูปทรงเรขาคณิต"),
    "geometry_empty": (
        gettext_noop("row {row}: empty geometry"),
        "แถว {row}: รูปทรงเรขาคณิตว่างเปล่า",
    ),
    "geometry_unreadable": (
        gettext_noop("row {row}: unreadable geometry ({detail})"),
        "แถว {row}: อ่านรูปทรงเรขาคณิตไม่ได้ ({detail})",
    ),
    "coordinate_not_finite": (
        gettext_noop("row {row}: a coordinate is not a number (NaN or infinity)"),
        "แถว {row}: มีค่าพิกัดที่ไม่ใช่ตัวเลข (NaN หรืออนันต์)",
    ),
    "coordinate_out_of_range": (
        gettext_noop("row {row}: coordinate {value} is out of range"),
        "แถว {row}: ค่าพิกัด {value} อยู่นอกช่วงที่เป็นไปได้",
    ),
    "too_many_vertices": (
        gettext_noop("row {row}: {count} vertices, more than the limit of {limit}"),
        "แถว {row}: มี {count} จุดยอด เกินขีดจำกัด {limit}",
    ),
    "geometry_wrong_type": (
        gettext_noop("row {row}: a {found} cannot be stored as a {expected}"),
        "แถว {row}: ไม่สามารถเก็บรูปแบบ {found} เป็นรูปแบบ {expected} ได้",
    ),
    "geometry_repaired": (
        gettext_noop("row {row}: invalid geometry repaired ({reason})"),
        "แถว {row}: ซ่อมรูปทรงเรขาคณิตที่ไม่ถูกต้องแล้ว ({reason})",
    ),
    "geometry_unrepairable": (
        gettext_noop("row {row}: invalid geometry cannot be repaired ({reason})"),
        "แถว {row}: รูปทรงเรขาคณิตไม่ถูกต้องและซ่อมไม่ได้ ({reason})",
    ),
    "outside": (
        gettext_noop("row {row}: outside the municipality"),
        "แถว {row}: อยู่นอกเขตเทศบาล",
    ),
    "invalid_date": (
        gettext_noop("row {row}, field {field}: invalid date {value}"),
        "แถว {row} คอลัมน์ {field}: วันที่ {value} ไม่ถูกต้อง",
    ),
    "invalid_datetime": (
        gettext_noop("row {row}, field {field}: invalid date and time {value}"),
        "แถว {row} คอลัมน์ {field}: วันเวลา {value} ไม่ถูกต้อง",
    ),
    "invalid_number": (
        gettext_noop("row {row}, field {field}: invalid number {value}"),
        "แถว {row} คอลัมน์ {field}: ตัวเลข {value} ไม่ถูกต้อง",
    ),
    "number_out_of_range": (
        gettext_noop("row {row}, field {field}: {value} is out of range ({low} to {high})"),
        "แถว {row} คอลัมน์ {field}: {value} อยู่นอกช่วง ({low} ถึง {high})",
    ),
    "invalid_choice": (
        gettext_noop("row {row}, field {field}: unknown value {value}; expected one of {choices}"),
        "แถว {row} คอลัมน์ {field}: ไม่รู้จักค่า {value} ใช้ได้: {choices}",
    ),
    "invalid_boolean": (
        gettext_noop("row {row}, field {field}: {value} is neither yes nor no"),
        "แถว {row} คอลัมน์ {field}: {value} ไม่ใช่ ใช่/ไม่ใช่",
    ),
    "text_too_long": (
        gettext_noop("row {row}, field {field}: text longer than {limit} characters"),
        "แถว {row} คอลัมน์ {field}: ข้อความยาวเกิน {limit} ตัวอักษร",
    ),
    "required_missing": (
        gettext_noop("row {row}, field {field}: a value is required"),
        "แถว {row} คอลัมน์ {field}: ต้องมีค่า",
    ),
    "report_before_onset": (
        gettext_noop("row {row}: report date {report} is before onset date {onset}"),
        "แถว {row}: วันรายงาน {report} อยู่ก่อนวันเริ่มป่วย {onset}",
    ),
    "id_empty": (
        gettext_noop("row {row}, field {field}: empty id"),
        "แถว {row} คอลัมน์ {field}: รหัสว่าง",
    ),
    "id_too_long": (
        gettext_noop("row {row}, field {field}: id longer than {limit} characters"),
        "แถว {row} คอลัมน์ {field}: รหัสยาวเกิน {limit} ตัวอักษร",
    ),
    "id_duplicate": (
        gettext_noop("row {row}, field {field}: id {value} already appears in row {first}"),
        "แถว {row} คอลัมน์ {field}: รหัส {value} ซ้ำกับแถว {first}",
    ),
    "id_taken": (
        gettext_noop("row {row}, field {field}: id {value} already belongs to dataset {dataset}"),
        "แถว {row} คอลัมน์ {field}: รหัส {value} เป็นของชุดข้อมูล {dataset} อยู่แล้ว",
    ),
    "database_refused": (
        gettext_noop("the database refused the rows: {detail}; nothing was written"),
        "ฐานข้อมูลไม่รับข้อมูล: {detail} จึงไม่ได้บันทึกข้อมูลใดเลย",
    ),
    "database_unavailable": (
        gettext_noop(
            "the database connection was lost during the import ({detail}); nothing was "
            "written, try again when the database is back"
        ),
        "การเชื่อมต่อฐานข้อมูลขาดระหว่างนำเข้า ({detail}) จึงไม่ได้บันทึกข้อมูลใดเลย "
        "ลองใหม่เมื่อฐานข้อมูลกลับมาใช้งานได้",
    ),
    "cancelled": (
        gettext_noop("the import was cancelled; nothing was written"),
        "ยกเลิกการนำเข้าแล้ว ไม่ได้บันทึกข้อมูลใดเลย",
    ),
}

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def quoted(value: object) -> str:
    """A value from a file, shortened and stripped of control characters, in single quotes."""
    text = _CONTROL.sub("?", str(value))
    if len(text) > MAX_VALUE_CHARS:
        text = text[: MAX_VALUE_CHARS - 1] + "…"
    return f"'{text}'"


#: The import's own short phrases that fill messages and the wizard's facts (how a text encoding
#: or a coordinate system was chosen, how coordinates reach WGS 84), in Thai. Codes and names
#: (EPSG:1812, Indian 1975, UTF-8) stay as they are written.
THAI_PHRASES = {
    "none (already WGS 84)": "ไม่ต้องแปลง (เป็น WGS 84 อยู่แล้ว)",
    "map projection only (WGS 84 datum)": "แปลงเฉพาะเส้นโครงแผนที่ (พื้นหลักฐาน WGS 84 เดิม)",
    "EPSG:1812 Indian 1975 to WGS 84 (4), accuracy 3 m": (
        "EPSG:1812 จาก Indian 1975 เป็น WGS 84 (4) คลาดเคลื่อนไม่เกินประมาณ 3 ม."
    ),
    "UTF-8 detected": "ตรวจพบว่าเป็น UTF-8",
    "TIS-620/CP874 detected: not UTF-8, decodes to Thai letters": (
        "ตรวจพบว่าเป็น TIS-620/CP874 ไม่ใช่ UTF-8 อ่านออกมาเป็นอักษรไทย"
    ),
    "UTF-8 byte order mark": "ไฟล์ขึ้นต้นด้วยเครื่องหมายของ UTF-8",
    "no .dbf": "ไม่มีไฟล์ .dbf",
    "--encoding": "ตามที่ผู้นำเข้าเลือก",
    "--crs": "ตามที่ผู้นำเข้าเลือก",
    "file": "ตามที่ระบุในไฟล์",
    "assumed": "สันนิษฐานจากตำแหน่งพิกัด",
    # why a file is not what its name says (content_mismatch)
    "it does not start with '{'": "เนื้อไฟล์ไม่ได้ขึ้นต้นด้วย { อย่างไฟล์ GeoJSON",
    "no SQLite header": "ไม่มีส่วนหัวของไฟล์ SQLite",
    "no shapefile header": "ไม่มีส่วนหัวของไฟล์ Shapefile",
    "not UTF-8 text": "ไม่ใช่ข้อความแบบ UTF-8",
    "no <kml> element": "ไม่มีแท็ก <kml>",
    "not plain comma-separated text": "ไม่ใช่ข้อความที่คั่นด้วยจุลภาค",
    "no OSMHeader block": "ไม่มีส่วนหัวของไฟล์ OpenStreetMap",
    "no <osm> element": "ไม่มีแท็ก <osm>",
    "no TIFF header": "ไม่มีส่วนหัวของไฟล์ TIFF",
}
_THAI_PATTERNS = [
    (re.compile(r"^\.cpg says (.+)$"), r"ไฟล์ .cpg ระบุว่า \1"),
    (re.compile(r"^\.dbf language driver (\S+)$"), r"รหัสภาษาในไฟล์ .dbf คือ \1"),
    (re.compile(r"^(.+) \(accuracy (\S+) m\)$"), r"\1 (คลาดเคลื่อนไม่เกินประมาณ \2 ม.)"),
    (re.compile(r"\bUTM zone (\d+[NS])\b"), r"UTM โซน \1"),
    (re.compile(r"^(.+?) to WGS 84\b"), r"จาก \1 เป็น WGS 84"),
]


def thai_phrase(text: object) -> object:
    """One of the import's phrases (or "value (phrase)") in Thai; anything else unchanged."""
    if not isinstance(text, str):
        return text
    if text in THAI_PHRASES:
        return THAI_PHRASES[text]
    inner = re.match(r"^(.+) \(([^()]+)\)$", text)
    if inner and thai_phrase(inner.group(2)) != inner.group(2):
        return f"{thai_phrase(inner.group(1))} ({thai_phrase(inner.group(2))})"
    for pattern, thai in _THAI_PATTERNS:
        text = pattern.sub(thai, text)
    return text


#: Parameters that carry the phrases above.
_PHRASE_PARAMS = ("origin", "transformation", "crs", "reason")


def _thai(code: str) -> str:
    english, thai = MESSAGES[code]
    with translation.override("th"):
        translated = gettext(english)
    return thai if translated == english else translated


@dataclass(frozen=True)
class Issue:
    """One problem or finding, with where it is (file, row, field) and its text in both languages.

    `params` hold display-ready values (see `quoted`); `row` is 1-based (the n-th feature or
    data line of the layer), `field` the column in the file.
    """

    code: str
    severity: Severity = Severity.ERROR
    file: str = ""
    row: int | None = None
    field: str | None = None
    target: str | None = None
    params: dict[str, object] = dataclasses.field(default_factory=dict)

    def _values(self) -> dict[str, object]:
        shown = self.field
        if self.target and self.target != self.field:
            shown = f"{self.field} ({self.target})"
        return {"row": self.row, "field": shown, **self.params}

    def text(self, language: str) -> str:
        """The message in one language ("th" or "en"), prefixed with the file name."""
        values = self._values()
        if language == "th":
            template = _thai(self.code)
            values |= {k: thai_phrase(values[k]) for k in _PHRASE_PARAMS if k in values}
        else:
            template = MESSAGES[self.code][0]
        body = template.format(**values)
        return f"{self.file}: {body}" if self.file else body

    def __str__(self) -> str:
        english = MESSAGES[self.code][0].format(**self._values())
        return f"{self.text('th')} / {english}"

    def as_dict(self) -> dict[str, object]:
        """The issue as JSON-ready data (for the wizard and background jobs)."""
        return {
            "code": self.code,
            "severity": str(self.severity),
            "file": self.file,
            "row": self.row,
            "field": self.field,
            "target": self.target,
            "th": self.text("th"),
            "en": self.text("en"),
        }


class ImportRefused(Exception):
    """The import cannot go ahead; nothing was written. `issues` say why, `report` what was seen."""

    def __init__(self, issues: list[Issue], report: object | None = None):
        self.issues = issues
        self.report = report
        super().__init__("\n".join(str(issue) for issue in issues))

    def __reduce__(self):
        # Rebuilt from its issues, not its text (a forked reader sends it to the importer).
        return type(self), (self.issues, self.report)


class ImportCancelled(Exception):
    """Raised by a progress callback to stop an import; everything is rolled back."""


def refuse(code: str, *, file: str = "", **params: object) -> ImportRefused:
    """An `ImportRefused` for one file-level problem."""
    return ImportRefused([Issue(code, file=file, params=params)])
