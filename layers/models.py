"""Spatial layers of a municipality and the dataset catalogue.

Every row that belongs to a municipality carries `municipality_id`; geometries are stored in
EPSG:4326 and measured in the municipality's metric CRS (`Municipality.metric_srid`).
"""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from layers.fields import EncryptedTextField

WGS84 = 4326


def _name_search_index(name: str, fields: tuple[str, ...] = ("name_th", "name_en")) -> GinIndex:
    """Trigram index for the header search (substring and typo matches; decision 0014)."""
    return GinIndex(
        fields=list(fields), opclasses=["gin_trgm_ops"] * len(fields), name=f"{name}_search_trgm"
    )


class Municipality(models.Model):
    """A tenant: one municipality (เทศบาล) and its boundary."""

    class MetricCRS(models.IntegerChoices):
        UTM_47N = 32647, "WGS 84 / UTM 47N"
        UTM_48N = 32648, "WGS 84 / UTM 48N"

    code = models.SlugField(_("code"), max_length=40, unique=True)
    tambon_code = models.CharField(_("DOPA tambon code of the seat"), max_length=6, blank=True)
    name_th = models.CharField(_("name (Thai)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    province_th = models.CharField(_("province (Thai)"), max_length=100, blank=True)
    province_en = models.CharField(_("province (English)"), max_length=100, blank=True)
    boundary = models.MultiPolygonField(_("boundary"), srid=WGS84)
    metric_srid = models.PositiveIntegerField(
        _("metric CRS"), choices=MetricCRS.choices, default=MetricCRS.UTM_47N
    )
    spray_radius_m = models.PositiveIntegerField(_("spray radius (m)"), default=100)
    spray_round_days = models.CharField(
        _("spray rounds (days after report)"), max_length=40, default="0,7"
    )
    impassable_depth_m = models.DecimalField(
        _("road impassable from depth (m)"), max_digits=4, decimal_places=2, default=0.3
    )
    is_demo = models.BooleanField(_("demo data"), default=False)
    population = models.PositiveIntegerField(
        _("registered population"),
        null=True,
        blank=True,
        help_text=_("Scales the province's dengue series to the municipality (endemic channel)."),
    )

    class Meta:
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")
        ordering = ["name_th"]

    def __str__(self) -> str:
        return self.name_th

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("municipality-home", kwargs={"code": self.code})

    def display_name(self, language: str) -> str:
        """Return the name in the given language, falling back to Thai."""
        return self.name_en if language == "en" and self.name_en else self.name_th


class TenantModel(models.Model):
    """A row owned by one municipality."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, verbose_name=_("municipality")
    )

    class Meta:
        abstract = True


class Subdistrict(TenantModel):
    """A tambon (ตำบล), clipped to the municipality, used to aggregate and to mask."""

    code = models.CharField(_("PCODE"), max_length=10)
    name_th = models.CharField(_("name (Thai)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    geom = models.MultiPolygonField(_("area"), srid=WGS84)

    class Meta:
        verbose_name = _("subdistrict")
        verbose_name_plural = _("subdistricts")
        ordering = ["name_th"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "code"], name="subdistrict_unique_code")
        ]
        indexes = [_name_search_index("subdistrict")]

    def __str__(self) -> str:
        return self.name_th


class Dataset(TenantModel):
    """A catalogue entry: who owns a set of features, where it came from and who may see it."""

    class Kind(models.TextChoices):
        ROADS = "roads", _("Roads")
        LANDMARKS = "landmarks", _("Landmarks")
        BUILDINGS = "buildings", _("Buildings and households")
        FLOOD_ZONES = "flood_zones", _("Flood zones")
        DENGUE_CASES = "dengue_cases", _("Dengue cases")
        SUBDISTRICTS = "subdistricts", _("Subdistricts")
        RASTER = "raster", _("Raster")
        OTHER = "dataset", _("Other dataset")

    class Visibility(models.TextChoices):
        PRIVATE = "private", _("Private (owning division)")
        INTERNAL = "internal", _("Internal (municipal staff)")
        PUBLIC = "public", _("Public (open data)")

    slug = models.SlugField(_("identifier"), max_length=80)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    division = models.CharField(_("owning division"), max_length=200, blank=True)
    source = models.TextField(_("source"), blank=True)
    licence = models.CharField(_("licence"), max_length=200, blank=True)
    attribution = models.CharField(_("attribution"), max_length=300, blank=True)
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.INTERNAL
    )
    purpose = models.TextField(_("purpose of processing (PDPA)"), blank=True)
    is_generated = models.BooleanField(_("generated (synthetic) data"), default=False)
    source_checksum = models.CharField(max_length=64, blank=True, editable=False)
    #: A raster dataset's description, written by `layers.imports.raster` (empty otherwise):
    #: crs, bounds, bounds_wgs84, width, height, resolution, dtype, nodata, band_count, bands
    #: (min, max, units, scale, offset, description per band), overviews, role, file_bytes.
    raster_metadata = models.JSONField(
        _("raster metadata"), default=dict, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )

    class Meta:
        verbose_name = _("dataset")
        verbose_name_plural = _("datasets")
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "slug"], name="dataset_unique_slug")
        ]
        indexes = [_name_search_index("dataset", ("title",))]

    def __str__(self) -> str:
        return self.title


class FeatureModel(TenantModel):
    """A feature of a layer, traceable to its dataset and to its id in the source.

    Both keys are checked by the database, but a statement at a time, not a row at a time:
    per-row foreign keys cost two index probes and two row locks per feature, a third of a
    million-row import. Triggers (migration 0012) check every statement's distinct
    (municipality, dataset) pairs, lock each parent once with FOR KEY SHARE as a foreign key
    would, and also require a feature's dataset to belong to the feature's municipality; a
    municipality or dataset that still has features cannot be deleted. The municipality index
    is the paging index (municipality, id).
    """

    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.CASCADE,
        db_constraint=False,
        db_index=False,
        verbose_name=_("municipality"),
    )
    dataset = models.ForeignKey(
        Dataset,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_constraint=False,
        verbose_name=_("dataset"),
    )
    source_id = models.CharField(_("id in source"), max_length=64, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class NamedFeatureModel(FeatureModel):
    """A feature with a Thai and an English name (roads, landmarks, buildings)."""

    name_th = models.CharField(_("name (Thai)"), max_length=200, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name_th or self.name_en or self.source_id or f"#{self.pk}"


def _paging_index(name: str) -> models.Index:
    """Pages of a municipality's features in id order (the Features API, `offset` and `after`)."""
    return models.Index(fields=["municipality", "id"], name=f"{name}_paging")


def _source_id_unique(name: str) -> models.UniqueConstraint:
    return models.UniqueConstraint(
        fields=["municipality", "source_id"],
        condition=~models.Q(source_id=""),
        name=f"{name}_unique_source_id",
    )


class Road(NamedFeatureModel):
    """A road centre line (OSM way)."""

    class RoadClass(models.TextChoices):
        MOTORWAY = "motorway", _("Motorway")
        TRUNK = "trunk", _("Trunk road")
        PRIMARY = "primary", _("Primary road")
        SECONDARY = "secondary", _("Secondary road")
        TERTIARY = "tertiary", _("Tertiary road")
        UNCLASSIFIED = "unclassified", _("Minor road")
        RESIDENTIAL = "residential", _("Residential street")
        LIVING_STREET = "living_street", _("Living street")
        SERVICE = "service", _("Service road")
        TRACK = "track", _("Track")
        PATH = "path", _("Path")
        OTHER = "other", _("Other")

    road_class = models.CharField(
        _("road class"), max_length=20, choices=RoadClass.choices, default=RoadClass.OTHER
    )
    surface = models.CharField(_("surface"), max_length=40, blank=True)
    lanes = models.PositiveSmallIntegerField(_("lanes"), null=True, blank=True)
    ref = models.CharField(_("route number"), max_length=40, blank=True)
    geom = models.MultiLineStringField(_("centre line"), srid=WGS84)

    class Meta:
        verbose_name = _("road")
        verbose_name_plural = _("roads")
        constraints = [_source_id_unique("road")]
        indexes = [_paging_index("road"), _name_search_index("road")]


class Landmark(NamedFeatureModel):
    """A point of interest: temple, school, market, health centre, ..."""

    class Category(models.TextChoices):
        TEMPLE = "temple", _("Temple")
        SHRINE = "shrine", _("Shrine")
        CHURCH = "church", _("Church")
        MOSQUE = "mosque", _("Mosque")
        SCHOOL = "school", _("School")
        HOSPITAL = "hospital", _("Hospital")
        HEALTH_CENTRE = "health_centre", _("Health centre")
        MARKET = "market", _("Market")
        GOVERNMENT = "government", _("Government office")
        COMMUNITY_CENTRE = "community_centre", _("Community centre")
        SHELTER = "shelter", _("Shelter")
        TOURIST_SPOT = "tourist_spot", _("Tourist spot")
        CANAL_PIER = "canal_pier", _("Canal or pier")
        OTOP_SHOP = "otop_shop", _("OTOP shop")
        OTHER = "other", _("Other")

    category = models.CharField(
        _("category"), max_length=20, choices=Category.choices, default=Category.OTHER
    )
    source_kind = models.CharField(_("kind in source"), max_length=60, blank=True)
    geom = models.PointField(_("location"), srid=WGS84)

    class Meta:
        verbose_name = _("landmark")
        verbose_name_plural = _("landmarks")
        constraints = [_source_id_unique("landmark")]
        indexes = [_paging_index("landmark"), _name_search_index("landmark")]


class Building(NamedFeatureModel):
    """A building footprint; households carry population and vulnerable members for aid."""

    house_number = models.CharField(
        _("house number"),
        max_length=40,
        blank=True,
        help_text=_("As in the house registration (ทะเบียนบ้าน), e.g. 12/3; empty when unknown."),
    )
    building_type = models.CharField(_("building type"), max_length=40, blank=True)
    levels = models.PositiveSmallIntegerField(_("levels"), null=True, blank=True)
    population = models.PositiveIntegerField(_("residents"), null=True, blank=True)
    population_is_estimate = models.BooleanField(_("residents estimated"), default=False)
    elderly = models.PositiveSmallIntegerField(_("elderly"), default=0)
    bedridden = models.PositiveSmallIntegerField(_("bedridden"), default=0)
    disabled = models.PositiveSmallIntegerField(_("disabled"), default=0)
    infants = models.PositiveSmallIntegerField(_("infants"), default=0)
    geom = models.MultiPolygonField(_("footprint"), srid=WGS84)

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        constraints = [_source_id_unique("building")]
        indexes = [_paging_index("building")]


class FloodZone(FeatureModel):
    """An observed or forecast flood extent with its hazard class (DESIGN.md section 3)."""

    class HazardClass(models.TextChoices):
        DRY = "dry", _("Dry / caution (< 0.1 m)")
        LOW = "low", _("Low (0.1-0.7 m)")
        MEDIUM = "medium", _("Medium (0.7-1.5 m)")
        HIGH = "high", _("High (>= 1.5 m)")

    event = models.CharField(_("event"), max_length=200)
    observed_date = models.DateField(_("observed on"), null=True, blank=True)
    is_forecast = models.BooleanField(_("forecast or scenario"), default=False)
    hazard_class = models.CharField(_("hazard class"), max_length=10, choices=HazardClass.choices)
    depth_min_m = models.DecimalField(
        _("depth from (m)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    depth_max_m = models.DecimalField(
        _("depth to (m)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    source = models.CharField(_("source"), max_length=300, blank=True)
    geom = models.MultiPolygonField(_("extent"), srid=WGS84)

    class Meta:
        verbose_name = _("flood zone")
        verbose_name_plural = _("flood zones")
        constraints = [_source_id_unique("floodzone")]
        indexes = [_paging_index("floodzone")]

    def __str__(self) -> str:
        return f"{self.event} ({self.get_hazard_class_display()})"


class DengueCase(FeatureModel):
    """A dengue case: the house location and dates, without personal identifiers.

    Personal fields live in `DengueCasePersonal`, a separate table with its own access rules.
    """

    class Diagnosis(models.TextChoices):
        DF = "DF", _("Dengue fever (DF)")
        DHF = "DHF", _("Dengue haemorrhagic fever (DHF)")
        DSS = "DSS", _("Dengue shock syndrome (DSS)")

    class Status(models.TextChoices):
        SUSPECTED = "suspected", _("Suspected")
        PROBABLE = "probable", _("Probable")
        CONFIRMED = "confirmed", _("Confirmed")
        DISCARDED = "discarded", _("Discarded")

    class Sex(models.TextChoices):
        FEMALE = "F", _("Female")
        MALE = "M", _("Male")
        UNKNOWN = "U", _("Unknown")

    onset_date = models.DateField(_("onset date"))
    report_date = models.DateField(_("report date"))
    investigated_at = models.DateTimeField(_("investigated at"), null=True, blank=True)
    # The 3-3-1 steps after the report: when each was done and who recorded it (a username,
    # as the access log keeps it, so removing an account never rewrites a case).
    investigated_by = models.CharField(
        _("investigated by"), max_length=150, blank=True, default="", db_default=""
    )
    breeding_sites_removed_at = models.DateTimeField(
        _("breeding sites removed at"), null=True, blank=True
    )
    breeding_sites_removed_by = models.CharField(
        _("breeding sites removed by"), max_length=150, blank=True, default="", db_default=""
    )
    sprayed_at = models.DateTimeField(_("sprayed at"), null=True, blank=True)
    sprayed_by = models.CharField(
        _("sprayed by"), max_length=150, blank=True, default="", db_default=""
    )
    diagnosis = models.CharField(_("diagnosis"), max_length=3, choices=Diagnosis.choices)
    age_group = models.CharField(_("age group"), max_length=10, blank=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, default=Sex.UNKNOWN)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.CONFIRMED
    )
    subdistrict = models.ForeignKey(
        Subdistrict,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("subdistrict"),
    )
    is_generated = models.BooleanField(_("generated (synthetic) case"), default=False)
    geom = models.PointField(_("case house"), srid=WGS84)

    class Meta:
        verbose_name = _("dengue case")
        verbose_name_plural = _("dengue cases")
        constraints = [
            _source_id_unique("denguecase"),
            models.CheckConstraint(
                condition=models.Q(report_date__gte=models.F("onset_date")),
                name="denguecase_report_after_onset",
            ),
        ]
        indexes = [
            models.Index(fields=["municipality", "onset_date"]),
            _paging_index("denguecase"),
            _name_search_index("denguecase", ("source_id",)),
        ]

    def __str__(self) -> str:
        return f"{self.source_id or self.pk} ({self.onset_date:%Y-%m-%d})"


class DengueCasePersonal(TenantModel):
    """Sensitive personal data of a case (PDPA): kept apart from the point and its dates.

    Every field is encrypted at rest (`EncryptedTextField`); every read goes through
    `layers.pdpa.services.case_personal_read`, which logs who read it, when and why.
    """

    case = models.OneToOneField(
        DengueCase, on_delete=models.CASCADE, related_name="personal", verbose_name=_("case")
    )
    full_name = EncryptedTextField(_("full name"), blank=True)
    national_id = EncryptedTextField(_("national ID"), blank=True)
    phone = EncryptedTextField(_("phone"), blank=True)
    address = EncryptedTextField(_("exact address"), blank=True)
    # Keyed hashes (HMAC) of the normalised national ID and phone, to find a person's records
    # for a data subject request without decrypting every row (see layers.pdpa).
    national_id_digest = models.CharField(max_length=64, blank=True, db_index=True)
    phone_digest = models.CharField(max_length=64, blank=True, db_index=True)
    is_generated = models.BooleanField(_("generated (fictitious) person"), default=False)

    class Meta:
        verbose_name = _("personal data of a case")
        verbose_name_plural = _("personal data of cases")

    def __str__(self) -> str:
        return f"personal data of case {self.case_id}"


class PersonalDataAccess(TenantModel):
    """One read of a case's personal data: who, when, which case and why (append-only).

    A database trigger refuses UPDATE, DELETE and TRUNCATE, so the application cannot rewrite
    the log; it refers to cases and users by number so that erasing them leaves it untouched.
    """

    class Purpose(models.TextChoices):
        INVESTIGATION = "investigation", _("Disease investigation")
        CONTACT = "contact", _("Contacting the patient or household")
        SPRAYING = "spraying", _("Coordinating spraying at the house")
        DATA_SUBJECT_REQUEST = "data_subject_request", _("Data subject request (PDPA)")
        RELIEF = "relief", _("Flood relief claim (compensation register)")

    # Plain numbers, not foreign keys: deleting a case or a user must never rewrite this log.
    case_ref = models.BigIntegerField(_("case number"), db_index=True)
    user_ref = models.BigIntegerField(_("user number"), null=True)
    username = models.CharField(_("username"), max_length=150)
    purpose = models.CharField(_("purpose"), max_length=30, choices=Purpose.choices)
    fields = models.CharField(_("fields read"), max_length=200)
    at = models.DateTimeField(_("read at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data access log")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.username} read case {self.case_ref} ({self.purpose})"


class LayerVersion(TenantModel):
    """A counter per municipality and layer, bumped by database triggers on every change.

    Tile ETags and caches key on it, so a changed feature invalidates them at once, whichever
    path (ORM, bulk import, SQL) wrote the change.
    """

    layer = models.CharField(_("layer"), max_length=40)
    version = models.BigIntegerField(_("version"), default=0)

    class Meta:
        verbose_name = _("layer version")
        verbose_name_plural = _("layer versions")
        constraints = [
            models.UniqueConstraint(fields=["municipality", "layer"], name="layerversion_unique")
        ]

    def __str__(self) -> str:
        return f"{self.layer} v{self.version}"


class SprayRound(TenantModel):
    """A spraying round of a derived spray zone: planned for a date, and done (or not yet).

    Zones are derived from the cases (`analysis.dengue.spray_zones`), so a round names its zone
    by `zone_key`: a stable key derived from one case of the zone
    (`layers.dengue.selectors.zone_key_for_case`), never the case id itself.

    The fields follow the paper spray report. A round recorded by mistake is withdrawn, not
    deleted: it stops counting, and its corrections stay in `SprayRoundChange`. The rules
    of a valid round are in `layers.dengue.services.spray_round_errors`; the database keeps
    the counts consistent as well.
    """

    class Method(models.TextChoices):
        ULV = "ulv", _("ULV (cold fogging)")
        THERMAL = "thermal", _("Thermal fogging")
        RESIDUAL = "residual", _("Residual spraying")
        OTHER = "other", _("Other")

    zone_key = models.CharField(_("spray zone"), max_length=40)
    round_number = models.PositiveSmallIntegerField(_("round"))
    planned_date = models.DateField(_("planned for"))
    done_on = models.DateField(_("done on"), null=True, blank=True)
    done_at = models.TimeField(_("time"), null=True, blank=True)
    team = models.CharField(_("team"), max_length=100)
    method = models.CharField(
        _("method"), max_length=10, choices=Method.choices, blank=True, default="", db_default=""
    )
    chemical = models.CharField(
        _("chemical"), max_length=100, blank=True, default="", db_default=""
    )
    households_targeted = models.PositiveIntegerField(
        _("households targeted"), default=0, db_default=0
    )
    households_sprayed = models.PositiveIntegerField(
        _("households sprayed"), default=0, db_default=0
    )
    households_refused = models.PositiveIntegerField(
        _("households refused"), default=0, db_default=0
    )
    households_closed = models.PositiveIntegerField(_("households closed"), default=0, db_default=0)
    notes = models.TextField(_("notes"), blank=True)
    withdrawn = models.BooleanField(_("withdrawn"), default=False, db_default=False)
    withdrawn_reason = models.CharField(
        _("reason for withdrawal"), max_length=300, blank=True, default="", db_default=""
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    # Set when a phone recorded the round (issue 18): a round sent twice is stored once, and an
    # edit made from an older version becomes a conflict (layers.field.models.SyncConflict).
    client_uuid = models.UUIDField(_("client id"), null=True, blank=True, unique=True)
    version = models.PositiveIntegerField(_("version"), default=1, db_default=1)

    class Meta:
        verbose_name = _("spray round")
        verbose_name_plural = _("spray rounds")
        ordering = ["planned_date", "zone_key", "round_number"]
        constraints = [
            # A withdrawn round leaves its place free for the round recorded instead.
            models.UniqueConstraint(
                fields=["municipality", "zone_key", "round_number", "planned_date"],
                condition=models.Q(withdrawn=False),
                name="sprayround_unique_round",
            ),
            models.CheckConstraint(
                condition=models.Q(round_number__gte=1), name="sprayround_number_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(
                    households_targeted__gte=models.F("households_sprayed")
                    + models.F("households_refused")
                    + models.F("households_closed")
                ),
                name="sprayround_households_add_up",
            ),
        ]
        indexes = [models.Index(fields=["municipality", "planned_date"])]

    def __str__(self) -> str:
        return f"{self.zone_key} round {self.round_number} ({self.planned_date:%Y-%m-%d})"


class SprayRoundChange(TenantModel):
    """One correction or withdrawal of a recorded spray round: who, when, why, what it was.

    Append-only by use: `before` holds the round's fields as they were, `changed` their names.
    Users are kept by name and number, so removing an account leaves the record readable.
    """

    class Kind(models.TextChoices):
        CORRECTED = "corrected", _("corrected")
        WITHDRAWN = "withdrawn", _("withdrawn")

    spray_round = models.ForeignKey(
        SprayRound,
        on_delete=models.CASCADE,
        related_name="changes",
        verbose_name=_("spray round"),
    )
    kind = models.CharField(_("change"), max_length=10, choices=Kind.choices)
    reason = models.CharField(_("reason"), max_length=300)
    changed = models.JSONField(_("changed fields"), default=list)
    before = models.JSONField(_("before"), default=dict)
    user_ref = models.BigIntegerField(_("user number"), null=True)
    username = models.CharField(_("username"), max_length=150)
    at = models.DateTimeField(_("changed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("spray round change")
        verbose_name_plural = _("spray round changes")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.spray_round_id} {self.kind} by {self.username}"


#: Accepted range of each minimum-needs amount, (lowest, highest); the database refuses the rest.
NEEDS_PROFILE_LIMITS: dict[str, tuple[float, float]] = {
    "rice_kg": (0.0, 100.0),
    "drinking_water_l": (0.0, 1000.0),
    "clean_water_l": (0.0, 5000.0),
    "people_per_family_kit": (1.0, 50.0),
    "people_per_toilet": (1.0, 1000.0),
}


class MinimumNeedsProfile(TenantModel):
    """What one displaced person needs in a week, as the municipality sets it (flood planning).

    Every save adds a row, so earlier profiles stay readable (who changed what, and when); the
    newest row is the profile in force. Without any row the defaults of
    `analysis.flood.DEFAULT_MINIMUM_NEEDS` apply (`layers.flood.selectors.needs_profile_current`).
    Family kits and toilets are kept as people per kit and per toilet, as officers count them.
    """

    LIMITS = NEEDS_PROFILE_LIMITS

    rice_kg = models.FloatField(_("rice (kg per person per week)"))
    drinking_water_l = models.FloatField(_("drinking water (litres per person per week)"))
    clean_water_l = models.FloatField(_("clean water (litres per person per week)"))
    people_per_family_kit = models.FloatField(_("people per family kit (household size)"))
    people_per_toilet = models.FloatField(_("people per toilet"))
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("saved by"),
    )
    saved_at = models.DateTimeField(_("saved at"), auto_now_add=True)

    class Meta:
        verbose_name = _("minimum needs profile")
        verbose_name_plural = _("minimum needs profiles")
        ordering = ["-saved_at", "-id"]
        indexes = [models.Index(fields=["municipality", "-saved_at"])]
        # NaN and infinity fail these too (PostgreSQL sorts NaN above every number).
        constraints = [
            models.CheckConstraint(
                condition=models.Q(**{f"{name}__gte": low, f"{name}__lte": high}),
                name=f"needsprofile_{name}_range",
            )
            for name, (low, high) in NEEDS_PROFILE_LIMITS.items()
        ]

    def __str__(self) -> str:
        return f"minimum needs of municipality {self.municipality_id} ({self.saved_at:%Y-%m-%d})"

    def clean(self) -> None:
        """Every amount is a finite number inside its range."""
        import math

        from django.core.exceptions import ValidationError

        super().clean()
        errors = {}
        for name, (low, high) in self.LIMITS.items():
            value = getattr(self, name)
            if value is None:
                continue
            if not math.isfinite(value) or not low <= value <= high:
                errors[name] = _("Enter a number from %(low)s to %(high)s.") % {
                    "low": f"{low:g}",
                    "high": f"{high:g}",
                }
        if errors:
            raise ValidationError(errors)

    def per_person(self) -> dict[str, float]:
        """The profile as `analysis.flood.minimum_needs` takes it: amounts per person per week."""
        return {
            "rice_kg": self.rice_kg,
            "drinking_water_l": self.drinking_water_l,
            "clean_water_l": self.clean_water_l,
            "family_kits": 1.0 / self.people_per_family_kit,
            "toilets": 1.0 / self.people_per_toilet,
        }


class ImportRun(TenantModel):
    """One committed import of a file: who, when, which dataset, what it changed.

    Its id tags every history row the import wrote (`FeatureHistory.import_run`), so the whole
    import can be rolled back (`layers.history.services.rollback_import`). A refused or dry-run
    import leaves no run: it is written in the import's own transaction.
    """

    dataset = models.ForeignKey(
        Dataset,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("dataset"),
    )
    kind = models.CharField(_("kind"), max_length=20)
    file_name = models.CharField(_("file"), max_length=255)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("imported by"),
    )
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    created = models.PositiveIntegerField(_("features created"), default=0)
    updated = models.PositiveIntegerField(_("features changed"), default=0)
    deleted = models.PositiveIntegerField(_("features deleted"), default=0)
    unchanged = models.PositiveIntegerField(_("features unchanged"), default=0)
    rolled_back_at = models.DateTimeField(_("rolled back"), null=True, blank=True)
    rolled_back_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("rolled back by"),
    )

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(
                fields=["municipality", "dataset", "-started_at"], name="importrun_dataset"
            )
        ]

    def __str__(self) -> str:
        return f"import {self.pk} ({self.file_name})"


class DatasetEvent(TenantModel):
    """A dataset that is gone: deleted by someone, or removed with the rollback of its import.

    The dataset row goes, so the catalogue's history keeps this line instead: what it was, who
    removed it and when, how many features went with it (their deletions are in the feature
    history, each with its row). Datasets and imports are plain numbers here, as in
    `FeatureHistory`.
    """

    class Action(models.TextChoices):
        DELETED = "deleted", _("dataset deleted")
        ROLLED_BACK = "rolled_back", _("dataset removed with the rollback of its import")

    dataset_ref = models.BigIntegerField(_("dataset number"))
    slug = models.SlugField(_("identifier"), max_length=80)
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20)
    action = models.CharField(_("action"), max_length=12, choices=Action.choices)
    features = models.PositiveIntegerField(_("features removed"), default=0)
    import_ref = models.BigIntegerField(_("import number"), null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("dataset event")
        verbose_name_plural = _("dataset events")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["municipality", "-at"], name="datasetevent_recent")]

    def __str__(self) -> str:
        return f"{self.slug} {self.action}"


class KeyRanges(str):
    """An `int8multirange` as PostgreSQL prints it, e.g. ``{[1,5),[7,8)}``."""

    def ranges(self) -> list[tuple[int, int]]:
        """The half-open ranges ``(first, after_last)``."""
        return [(int(low), int(high)) for low, high in re.findall(r"\[(-?\d+),(-?\d+)\)", self)]

    def __len__(self) -> int:  # how many keys
        return sum(high - low for low, high in self.ranges())


class KeyRangesField(models.Field):
    """A set of bigint keys stored as PostgreSQL ranges (``int8multirange``), read-only here."""

    def db_type(self, connection) -> str:
        return "int8multirange"

    def from_db_value(self, value, expression, connection):
        return None if value is None else KeyRanges(value)


@KeyRangesField.register_lookup
class HoldsKey(models.Lookup):
    """``inserted_ids__holds=42``: the ranges hold the key 42."""

    lookup_name = "holds"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} @> ({rhs})::bigint", [*lhs_params, *rhs_params]

    def get_db_prep_lookup(self, value, connection):
        return ("%s", [int(value)])


class FeatureHistory(models.Model):
    """One change to one feature of a layer, written by database triggers (never by Django).

    Statement-level triggers with transition tables (migration `0009_feature_history`) record
    every INSERT, UPDATE and DELETE on the layer tables, whatever issued it: the ORM, a bulk
    `update()`, an import's `INSERT ... SELECT`, raw SQL. An insert keeps only the keys, one
    entry per statement and dataset (the rows themselves are the new state; a million-row
    import writes a few entries, not a million); an update or delete keeps the row as it was
    (`old_row` without its geometry, `old_geom` exactly) and an update the names of the
    columns it changed.
    Users, imports and datasets are plain numbers: deleting them never rewrites history.
    """

    class Op(models.TextChoices):
        INSERT = "insert", _("feature created")
        UPDATE = "update", _("feature changed")
        DELETE = "delete", _("feature deleted")

    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("municipality"),
    )
    layer = models.CharField(_("layer"), max_length=20)
    # An update or delete: the feature. An insert (migration 0013 on): NULL, and the keys the
    # statement created, as ranges, in `inserted_ids` (one entry per statement and dataset).
    feature_id = models.BigIntegerField(_("feature"), null=True)
    inserted_ids = KeyRangesField(_("features created"), null=True)
    dataset_id = models.BigIntegerField(_("dataset"), null=True)
    op = models.CharField(_("change"), max_length=6, choices=Op.choices)
    changed_at = models.DateTimeField(_("changed at"))
    user_ref = models.BigIntegerField(_("user number"), null=True)
    import_run = models.ForeignKey(
        ImportRun,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
        verbose_name=_("import"),
    )
    context = models.CharField(_("context"), max_length=200, blank=True, default="")
    old_row = models.JSONField(_("row before"), null=True)
    old_geom = models.GeometryField(
        _("geometry before"), srid=WGS84, null=True, spatial_index=False
    )
    changed_columns = models.JSONField(_("changed columns"), null=True)

    class Meta:
        verbose_name = _("feature history")
        verbose_name_plural = _("feature history")
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["municipality", "layer", "feature_id", "id"], name="history_feature"
            ),
            models.Index(fields=["dataset_id", "id"], name="history_dataset"),
            # The dashboard's recent changes (`layers.home.selectors.recent_changes`):
            # updates and deletes are counted from the index alone, inserts (one entry per
            # statement, their keys as ranges) read from the table.
            models.Index(
                fields=["municipality", "changed_at"],
                include=["layer", "op", "dataset_id", "user_ref", "import_run"],
                condition=~models.Q(op="insert"),
                name="history_recent",
            ),
            models.Index(
                fields=["municipality", "changed_at"],
                condition=models.Q(op="insert"),
                name="history_recent_inserts",
            ),
            models.Index(
                fields=["import_run"],
                name="history_import",
                condition=models.Q(import_run__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.layer} {self.feature_id} {self.op} ({self.changed_at:%Y-%m-%d %H:%M})"


class DengueRelease(TenantModel):
    """One published column of the public dengue counts: a complete week, never changed.

    A week is released once, after `layers.dengue.releases.RELEASE_LAG_DAYS`; a correction is a
    new `version` of the week with its own `published_on`, checked against every earlier
    release of the week (`analysis.disclosure`). The table holds only suppressed figures, never
    the counts behind them. Updates are refused by a trigger (migration 0015).
    """

    week = models.DateField(_("epidemiological week (Sunday)"))
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    published_on = models.DateField(_("published on"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    table = models.JSONField(_("published table"))
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("dengue release")
        verbose_name_plural = _("dengue releases")
        ordering = ["week", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "week", "version"], name="denguerelease_unique_version"
            ),
            models.CheckConstraint(
                condition=models.Q(version__gte=1), name="denguerelease_version_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.week:%Y-%m-%d} v{self.version} ({self.published_on:%Y-%m-%d})"


class DamageBuildingType(models.TextChoices):
    """The building types of the flood damage model (`analysis.flood.BUILDING_TYPES`)."""

    RESIDENTIAL = "residential", _("Residential")
    COMMERCIAL = "commercial", _("Commercial")
    INDUSTRIAL = "industrial", _("Industrial")
    PUBLIC = "public", _("Public")


class FloodDamageCurve(TenantModel):
    """One saved version of a building type's depth-damage curve (issue 21).

    Every save adds a row, so earlier curves stay readable (who changed what, and when); the
    newest row per type is in force, and without one the JRC Asia default of
    `analysis.flood.JRC_ASIA_CURVES` applies (`layers.flood.damage.damage_settings_current`).
    """

    building_type = models.CharField(
        _("building type"), max_length=20, choices=DamageBuildingType.choices
    )
    depths_m = ArrayField(models.FloatField(), verbose_name=_("depths (m)"))
    fractions = ArrayField(models.FloatField(), verbose_name=_("damage fractions"))
    source = models.CharField(_("source"), max_length=300, blank=True)
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("saved by"),
    )
    saved_at = models.DateTimeField(_("saved at"), auto_now_add=True)

    class Meta:
        verbose_name = _("depth-damage curve")
        verbose_name_plural = _("depth-damage curves")
        ordering = ["-saved_at", "-id"]
        indexes = [models.Index(fields=["municipality", "building_type", "-saved_at"])]

    def __str__(self) -> str:
        return f"{self.building_type} curve of municipality {self.municipality_id}"

    def clean(self) -> None:
        """The points make a curve `analysis.flood.DamageCurve` accepts."""
        from django.core.exceptions import ValidationError

        from analysis.flood import DamageCurve

        super().clean()
        try:
            DamageCurve(depths_m=tuple(self.depths_m or ()), fractions=tuple(self.fractions or ()))
        except ValueError as error:
            raise ValidationError({"depths_m": str(error)}) from None


class FloodReplacementValue(TenantModel):
    """One saved version of a building type's replacement value in baht per m2 of floor."""

    building_type = models.CharField(
        _("building type"), max_length=20, choices=DamageBuildingType.choices
    )
    baht_per_m2 = models.FloatField(_("baht per m²"))
    source = models.CharField(_("source"), max_length=300, blank=True)
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("saved by"),
    )
    saved_at = models.DateTimeField(_("saved at"), auto_now_add=True)

    class Meta:
        verbose_name = _("replacement value")
        verbose_name_plural = _("replacement values")
        ordering = ["-saved_at", "-id"]
        indexes = [models.Index(fields=["municipality", "building_type", "-saved_at"])]
        # NaN fails this too (PostgreSQL sorts NaN above every number).
        constraints = [
            models.CheckConstraint(
                condition=models.Q(baht_per_m2__gte=0, baht_per_m2__lte=1_000_000),
                name="replacementvalue_baht_per_m2_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.building_type}: {self.baht_per_m2:g} baht/m2"


# --- Larval surveys (issue 18; the rules are analysis.larval's, decision 0016) ----------------


class SurveyPlace(TenantModel):
    """A place surveyed for Aedes larvae; communities are judged by HI, the others by CI."""

    class Kind(models.TextChoices):
        # The place types of TanRabad SURVEY (placeTypeList.json) and analysis.larval.PLACE_TYPES.
        COMMUNITY = "community", _("community")
        RELIGIOUS = "religious", _("religious place")
        SCHOOL = "school", _("school")
        HOSPITAL = "hospital", _("hospital")
        FACTORY = "factory", _("factory")
        SHELTER = "shelter", _("temporary shelter")
        OTHER = "other", _("other place")

    kind = models.CharField(_("kind of place"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    subdistrict = models.ForeignKey(
        Subdistrict,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("subdistrict"),
    )
    geom = models.PointField(_("location"), srid=WGS84, null=True, blank=True)

    class Meta:
        verbose_name = _("survey place")
        verbose_name_plural = _("survey places")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "kind", "name"], name="surveyplace_unique_name"
            ),
            # The target of the (place, municipality) keys of migration 0020.
            models.UniqueConstraint(fields=["id", "municipality"], name="surveyplace_tenant_key"),
        ]

    def __str__(self) -> str:
        return self.name


class LarvalContainerType(TenantModel):
    """A container type on the municipality's survey form, seeded with the DDC list."""

    number = models.PositiveSmallIntegerField(_("number"))
    name_th = models.CharField(_("name (Thai)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    active = models.BooleanField(_("on the form"), default=True)

    class Meta:
        verbose_name = _("container type")
        verbose_name_plural = _("container types")
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "number"], name="larvalcontainertype_unique_number"
            ),
            models.UniqueConstraint(
                fields=["municipality", "name_th"], name="larvalcontainertype_unique_name"
            ),
            models.UniqueConstraint(
                fields=["id", "municipality"], name="larvalcontainertype_tenant_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name_th}"


class HouseSurvey(TenantModel):
    """One visit to one house in one round: surveyed, or found vacant, closed or refused.

    `client_uuid` is made by the phone that recorded the visit, so a visit sent twice is stored
    once; `version` grows with each accepted change, so two phones editing one visit cannot
    overwrite each other unseen. The house is a building of the buildings layer or, where none
    is mapped, a house number in the place.
    """

    class Status(models.TextChoices):
        SURVEYED = "surveyed", pgettext_lazy("house survey status", "surveyed")
        VACANT = "vacant", pgettext_lazy("house survey status", "vacant")
        REFUSED = "refused", pgettext_lazy("house survey status", "refused")
        CLOSED = "closed", pgettext_lazy("house survey status", "closed")

    client_uuid = models.UUIDField(_("client id"))
    version = models.PositiveIntegerField(_("version"), default=1)
    place = models.ForeignKey(
        SurveyPlace, on_delete=models.PROTECT, related_name="surveys", verbose_name=_("place")
    )
    building = models.ForeignKey(
        Building,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("building"),
    )
    house_number = models.CharField(_("house number"), max_length=50, blank=True)
    round_number = models.PositiveSmallIntegerField(_("round"), default=1)
    surveyed_at = models.DateTimeField(_("surveyed at"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.SURVEYED
    )
    surveyor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("surveyor"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_version = models.PositiveIntegerField(_("approved version"), null=True, blank=True)
    """The version a supervisor approved: a later edit from a phone needs approving again."""

    @property
    def approved(self) -> bool:
        """Whether a supervisor approved this very version."""
        return self.approved_version is not None and self.approved_version == self.version

    class Meta:
        verbose_name = _("house survey")
        verbose_name_plural = _("house surveys")
        ordering = ["-surveyed_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["client_uuid"], name="housesurvey_unique_client"),
            models.UniqueConstraint(fields=["id", "municipality"], name="housesurvey_tenant_key"),
            models.CheckConstraint(
                condition=models.Q(building__isnull=False) | ~models.Q(house_number=""),
                name="housesurvey_names_its_house",
            ),
            models.CheckConstraint(
                condition=models.Q(round_number__gte=1), name="housesurvey_round_positive"
            ),
        ]
        indexes = [models.Index(fields=["municipality", "round_number", "place"])]

    def __str__(self) -> str:
        house = self.house_number or f"building {self.building_id}"
        return f"{house}, round {self.round_number} ({self.surveyed_at:%Y-%m-%d})"


class LarvalContainerCount(TenantModel):
    """Containers of one type, indoors or outdoors, in one house survey, and how many had larvae."""

    class Location(models.TextChoices):
        INDOOR = "indoor", _("indoors")
        OUTDOOR = "outdoor", _("outdoors")

    survey = models.ForeignKey(
        HouseSurvey,
        on_delete=models.CASCADE,
        related_name="container_counts",
        verbose_name=_("house survey"),
    )
    container_type = models.ForeignKey(
        LarvalContainerType,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("container type"),
    )
    location = models.CharField(_("indoors or outdoors"), max_length=10, choices=Location.choices)
    containers = models.PositiveIntegerField(_("containers"))
    positive = models.PositiveIntegerField(_("containers with larvae"))

    class Meta:
        verbose_name = _("container count")
        verbose_name_plural = _("container counts")
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "container_type", "location"],
                name="larvalcontainercount_unique_row",
            ),
            models.CheckConstraint(
                condition=models.Q(positive__lte=models.F("containers"), containers__lte=10_000),
                name="larvalcontainercount_positive_within_containers",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.container_type_id} {self.location}: {self.positive}/{self.containers}"


class LarvalRiskBands(TenantModel):
    """The municipality's risk bands for the larval indices; the newest saved is in force.

    Upper bounds (inclusive, percent) of the low and moderate bands: communities are judged by
    HI, other places by CI. Without a saved row TanRabad's bands apply
    (`analysis.larval.RiskThresholds`: HI 10 and 50, CI 0 and 5; decision 0016).
    """

    hi_low_max = models.FloatField(_("HI: highest low value (%)"))
    hi_moderate_max = models.FloatField(_("HI: highest moderate value (%)"))
    ci_low_max = models.FloatField(_("CI: highest low value (%)"))
    ci_moderate_max = models.FloatField(_("CI: highest moderate value (%)"))
    source = models.CharField(_("source"), max_length=300, blank=True)
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("saved by"),
    )
    saved_at = models.DateTimeField(_("saved at"), auto_now_add=True)

    class Meta:
        verbose_name = _("larval risk bands")
        verbose_name_plural = _("larval risk bands")
        ordering = ["-saved_at", "-id"]
        indexes = [models.Index(fields=["municipality", "-saved_at"])]
        # NaN fails these too (PostgreSQL sorts NaN above every number).
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    hi_low_max__gte=0,
                    hi_low_max__lte=models.F("hi_moderate_max"),
                    hi_moderate_max__lte=100,
                ),
                name="larvalriskbands_hi_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    ci_low_max__gte=0,
                    ci_low_max__lte=models.F("ci_moderate_max"),
                    ci_moderate_max__lte=100,
                ),
                name="larvalriskbands_ci_ordered",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"HI {self.hi_low_max:g}/{self.hi_moderate_max:g}, "
            f"CI {self.ci_low_max:g}/{self.ci_moderate_max:g}"
        )


# --- Larval survey views published through the OGC API (issue 18, office side) -------------
# Two database views (migration 0024_field_office), each `security_invoker`, so the survey
# tables' row-level security applies to whoever reads them. `LarvalHouseVisit`: a feature per
# house visit with a location (the building's point, else its place's), no surveyor and no
# house number, read by health officers only. `LarvalPlaceRound`: a feature per survey place
# and round with the summed counts of its counted visits (decision 0016), HI, CI, BI and the
# risk level under the municipality's newest bands (TanRabad's without one).


class LarvalHouseVisit(models.Model):
    """A house visit as the health officers' API layer shows it (a database view)."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    place = models.CharField(_("place"), max_length=200)
    place_type = models.CharField(_("kind of place"), max_length=20)
    round_number = models.PositiveSmallIntegerField(_("round"))
    surveyed_on = models.DateField(_("surveyed on"))
    status = models.CharField(_("status"), max_length=10)
    containers = models.IntegerField(_("containers"))
    containers_positive = models.IntegerField(_("containers with larvae"))
    is_repeat = models.BooleanField(_("repeat visit (not counted)"))
    geom = models.PointField(_("location"), srid=WGS84)

    class Meta:
        managed = False
        db_table = "layers_larvalhousevisit"
        verbose_name = _("larval survey house visit")
        verbose_name_plural = _("larval survey house visits")


class LarvalPlaceRound(models.Model):
    """The indices of one survey place in one round (a database view)."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    place = models.CharField(_("place"), max_length=200)
    place_type = models.CharField(_("kind of place"), max_length=20)
    round_number = models.PositiveSmallIntegerField(_("round"))
    first_day = models.DateField(_("first day surveyed"))
    last_day = models.DateField(_("last day surveyed"))
    houses_surveyed = models.IntegerField(_("houses surveyed"))
    houses_positive = models.IntegerField(_("houses with larvae"))
    containers = models.IntegerField(_("containers"))
    containers_positive = models.IntegerField(_("containers with larvae"))
    houses_vacant = models.IntegerField(_("vacant houses"))
    houses_closed = models.IntegerField(_("closed houses"))
    houses_refused = models.IntegerField(_("refusals"))
    hi = models.FloatField(_("HI"), null=True)
    ci = models.FloatField(_("CI"), null=True)
    bi = models.FloatField(_("BI"), null=True)
    risk_level = models.CharField(_("risk level"), max_length=10, null=True)
    geom = models.PointField(_("location"), srid=WGS84)

    class Meta:
        managed = False
        db_table = "layers_larvalplaceround"
        verbose_name = _("larval indices per place and round")
        verbose_name_plural = _("larval indices per place and round")


# --- The phones' side of the field surveys (issue 18): assignments, sync receipts, conflicts,
# photos. Every table is under forced row-level security (migration 0023_field_sync).


class FieldAssignment(TenantModel):
    """A volunteer sent to a survey place, optionally inside one spray zone.

    The zone's outline is kept as published when it was assigned (decision 0001: it covers the
    rule, not the case house), so the volunteer's phone never needs the cases to draw it.
    """

    volunteer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("volunteer"),
    )
    place = models.ForeignKey(
        SurveyPlace, on_delete=models.CASCADE, related_name="+", verbose_name=_("place")
    )
    zone_key = models.CharField(_("spray zone"), max_length=40, blank=True)
    zone_outline = models.MultiPolygonField(_("zone outline"), srid=WGS84, null=True, blank=True)
    round_number = models.PositiveSmallIntegerField(_("round"), default=1)
    planned_date = models.DateField(_("planned for"), null=True, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assigned by"),
    )
    assigned_at = models.DateTimeField(_("assigned at"), auto_now_add=True)

    class Meta:
        verbose_name = _("field assignment")
        verbose_name_plural = _("field assignments")
        ordering = ["place__name", "zone_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "volunteer", "place", "zone_key"],
                name="fieldassignment_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.volunteer_id} -> {self.place_id} {self.zone_key}"


class SyncReceipt(TenantModel):
    """The answer given to one request of a phone, kept under its `Idempotency-Key`.

    A replay of the same key and body gets this answer again and changes nothing.
    """

    user_ref = models.BigIntegerField(_("user number"))
    key = models.CharField(_("idempotency key"), max_length=100)
    endpoint = models.CharField(_("endpoint"), max_length=60)
    body_digest = models.CharField(_("body digest"), max_length=64)
    status = models.PositiveSmallIntegerField(_("status"))
    response = models.JSONField(_("response"))
    created_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("sync receipt")
        verbose_name_plural = _("sync receipts")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "user_ref", "key"], name="syncreceipt_unique_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_ref} {self.key} -> {self.status}"


class SyncConflict(TenantModel):
    """A phone's edit made from a version the server has moved on from: kept, never applied.

    A supervisor resolves it (`layers.field.services.conflict_resolve`): keep the server's,
    keep the phone's, or a merge edited by hand; the resolution is logged here.
    """

    class Kind(models.TextChoices):
        SURVEY = "survey", _("house survey")
        SPRAY_ROUND = "spray_round", _("spray round")

    class Resolution(models.TextChoices):
        KEPT_SERVER = "kept_server", _("kept the version on the server")
        KEPT_PHONE = "kept_phone", _("kept the phone's version")
        MERGED = "merged", _("merged by hand")

    kind = models.CharField(_("record"), max_length=20, choices=Kind.choices)
    client_uuid = models.UUIDField(_("client id of the edit"))
    survey = models.ForeignKey(
        HouseSurvey,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("house survey"),
    )
    spray_round = models.ForeignKey(
        SprayRound,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("spray round"),
    )
    base_version = models.PositiveIntegerField(_("edited from version"))
    server_version = models.PositiveIntegerField(_("version on the server"))
    server_record = models.JSONField(_("on the server"))
    phone_record = models.JSONField(_("from the phone"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent by"),
    )
    submitted_at = models.DateTimeField(_("received at"), auto_now_add=True)
    resolution = models.CharField(
        _("resolution"), max_length=20, choices=Resolution.choices, blank=True
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("sync conflict")
        verbose_name_plural = _("sync conflicts")
        ordering = ["-submitted_at", "-id"]
        constraints = [
            # One conflict per phone edit: the same edit sent again finds it.
            models.UniqueConstraint(
                fields=["municipality", "client_uuid", "base_version", "kind"],
                name="syncconflict_unique_edit",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.client_uuid} v{self.base_version}/{self.server_version}"


class SurveyChange(TenantModel):
    """A supervisor's approval or correction of a house survey: who, when, before, after, why."""

    class Kind(models.TextChoices):
        APPROVED = "approved", _("approved")
        CORRECTED = "corrected", _("corrected")

    survey = models.ForeignKey(
        HouseSurvey, on_delete=models.CASCADE, related_name="changes", verbose_name=_("survey")
    )
    kind = models.CharField(_("change"), max_length=10, choices=Kind.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)
    version_from = models.PositiveIntegerField(_("from version"))
    version_to = models.PositiveIntegerField(_("to version"))
    old_record = models.JSONField(_("before"))
    new_record = models.JSONField(_("after"))
    reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("survey change")
        verbose_name_plural = _("survey changes")
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} survey {self.survey_id} v{self.version_from}->v{self.version_to}"


class SurveyPhoto(TenantModel):
    """A photo of a house survey, sent by a phone and stored re-encoded without metadata."""

    client_uuid = models.UUIDField(_("client id"), unique=True)
    survey = models.ForeignKey(
        HouseSurvey, on_delete=models.CASCADE, related_name="photos", verbose_name=_("survey")
    )
    stored_name = models.CharField(max_length=200, unique=True)  # relative to MEDIA_ROOT
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size_bytes = models.PositiveIntegerField(_("bytes stored"))
    received_bytes = models.PositiveIntegerField(_("bytes received"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("survey photo")
        verbose_name_plural = _("survey photos")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return f"photo {self.client_uuid} of survey {self.survey_id}"


# The compensation register (issue 21) lives in its own module; importing it here registers
# its models with the `layers` app.
from layers.relief.models import (  # noqa: E402, F401
    ReliefClaim,
    ReliefClaimItem,
    ReliefClaimPersonal,
    ReliefClaimPhoto,
    ReliefClaimStep,
    ReliefPayment,
    ReliefRate,
)
