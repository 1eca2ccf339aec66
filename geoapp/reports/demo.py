"""Report categories of the demo municipalities (idempotent), two of which feed other pages."""

from __future__ import annotations

from geoapp.models import ReportFeed, ServiceCategory
from layers.models import Municipality
from layers.tenancy import tenant_scope

#: code, Thai name, English name, division, target days, feed.
DEMO_CATEGORIES = [
    ("mosquito-breeding", "แหล่งเพาะพันธุ์ยุงลาย", "Mosquito breeding site",
     "กองสาธารณสุขและสิ่งแวดล้อม", 3, ReportFeed.BREEDING_SITE),
    ("flooded-road", "ถนนน้ำท่วม", "Flooded road", "กองช่าง", 1, ReportFeed.FLOODED_ROAD),
    ("fallen-tree", "ต้นไม้ล้ม", "Fallen tree", "กองช่าง", 2, ReportFeed.NONE),
    ("garbage-overflow", "ขยะล้น ไม่มีการเก็บ", "Garbage not collected",
     "กองสาธารณสุขและสิ่งแวดล้อม", 2, ReportFeed.NONE),
]  # fmt: skip


def demo_categories_create() -> int:
    """Create the demo categories in every demo municipality; how many were new."""
    created = 0
    for municipality in Municipality.objects.filter(is_demo=True):
        with tenant_scope(municipality_ids=[municipality.pk]):
            for code, name_th, name_en, division, target_days, feed in DEMO_CATEGORIES:
                _category, new = ServiceCategory.objects.get_or_create(
                    municipality=municipality,
                    code=code,
                    defaults={
                        "name_th": name_th,
                        "name_en": name_en,
                        "division": division,
                        "target_days": target_days,
                        "feeds": feed,
                    },
                )
                created += new
    return created
