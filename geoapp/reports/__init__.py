"""Resident reports (แจ้งเหตุ): forms, pages, photos and Open311 GeoReport v2 (issue 19)."""
