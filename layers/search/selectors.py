"""Reads behind the header search: a municipality's features and datasets by (part of) a name.

Names are matched three ways, all served by the trigram indexes of migration 0019 (decision
0014): a substring (`ILIKE '%text%'`), any one-character slip (a missing, extra or different
character, as `ILIKE` patterns with `_`), and pg_trgm word similarity (`<%`), which catches
longer slips in space-separated (English) names. Thai is written without spaces, so a Thai name
is one long "word" to pg_trgm and word similarity alone misses a Thai word with a slip inside
it; the one-slip patterns cover that. Hits rank by word similarity, substring hits first.

Every read is filtered by municipality and also runs under the caller's row-level security
scope; who may see datasets and cases is decided by the caller (`geoapp.web.permissions`).
Cases are found by their case code or subdistrict only: their personal fields are encrypted and
never searched or returned.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db.models import (
    BooleanField,
    Case,
    F,
    FloatField,
    Func,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Greatest, Length

from layers.catalogue.selectors import DatasetAccess
from layers.models import Dataset, DengueCase, Landmark, Municipality, Road, Subdistrict

#: The longest text searched (longer is refused by the page, not cut).
MAX_TEXT_CHARS = 100
#: Texts shorter than this match too much to be useful.
MIN_TEXT_CHARS = 2
#: One-slip patterns only for texts this long or longer (shorter ones match nearly anything) and
#: no longer than the upper bound (the patterns grow with the text: about 3 per character).
SLIP_TEXT_CHARS = (4, 30)
#: The kinds of hit, in the order they are listed when equally good.
KINDS = ("landmark", "road", "subdistrict", "dataset", "case")


@dataclass(frozen=True)
class SearchHit:
    """One thing found: what it is, its id (a dataset's slug) and how to name it."""

    kind: str
    key: str
    name_th: str
    name_en: str
    detail: str
    score: float
    onset_date: date | None = None


class _ILike(Func):
    """`column ILIKE pattern` with a pattern built here (wildcards kept, unlike `icontains`)."""

    arg_joiner = " ILIKE "
    template = "%(expressions)s"
    output_field = BooleanField()


class _WordSimilar(Func):
    """pg_trgm `text <% column`: some extent of the column is similar to the text."""

    arg_joiner = " <%% "
    template = "%(expressions)s"
    output_field = BooleanField()


class _WordSimilarity(Func):
    """pg_trgm `word_similarity(text, column)` from 0 to 1 (1: the text is in the column)."""

    function = "word_similarity"
    output_field = FloatField()


def like_escaped(text: str) -> str:
    """The text as a literal inside a LIKE pattern (backslash is PostgreSQL's escape)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def one_slip_patterns(text: str) -> list[str]:
    """ILIKE patterns matching the text with one character missing, extra or different."""
    low, high = SLIP_TEXT_CHARS
    if not low <= len(text) <= high:
        return []
    variants: set[tuple[str, ...]] = set()
    for i in range(len(text)):
        variants.add((text[:i], "_", text[i + 1 :]))  # one character different
        variants.add((text[:i], text[i + 1 :]))  # one character typed too many
        if i:
            variants.add((text[:i], "_", text[i:]))  # one character left out
    return sorted(
        "%" + "".join(part if part == "_" else like_escaped(part) for part in parts) + "%"
        for parts in variants
    )


def _name_matches(text: str, fields: Iterable[str]) -> Q:
    """Substring, one slip or word similarity in any of the fields."""
    patterns = one_slip_patterns(text)
    found = Q()
    for field in fields:
        found |= Q(**{f"{field}__icontains": text})
        found |= Q(_WordSimilar(Value(text), F(field)))
        for pattern in patterns:
            found |= Q(_ILike(F(field), Value(pattern)))
    return found


def _ranked(queryset: QuerySet, text: str, fields: tuple[str, ...], limit: int) -> QuerySet:
    """Best first: substring hits, then by word similarity, then shorter names."""
    similarity = [_WordSimilarity(Value(text), F(field)) for field in fields]
    substring = Q()
    for field in fields:
        substring |= Q(**{f"{field}__icontains": text})
    return (
        queryset.filter(_name_matches(text, fields))
        .annotate(
            score=Case(When(substring, then=Value(1.0)), default=Value(0.0))
            + (Greatest(*similarity) if len(similarity) > 1 else similarity[0]),
            name_length=Length(fields[0]),
        )
        .order_by("-score", "name_length", "pk")[:limit]
    )


def _feature_hits(model, kind: str, detail: str, municipality, text, limit) -> list[SearchHit]:
    rows = _ranked(
        model.objects.filter(municipality=municipality), text, ("name_th", "name_en"), limit
    ).values_list("pk", "name_th", "name_en", detail, "score")
    return [
        SearchHit(kind=kind, key=str(pk), name_th=th, name_en=en, detail=d, score=score)
        for pk, th, en, d, score in rows
    ]


def _subdistrict_hits(municipality, text, limit) -> list[SearchHit]:
    rows = _ranked(
        Subdistrict.objects.filter(municipality=municipality), text, ("name_th", "name_en"), limit
    ).values_list("pk", "name_th", "name_en", "code", "score")
    return [
        SearchHit(kind="subdistrict", key=str(pk), name_th=th, name_en=en, detail=c, score=score)
        for pk, th, en, c, score in rows
    ]


def _dataset_hits(municipality, text, access: DatasetAccess, limit) -> list[SearchHit]:
    readable = Dataset.objects.filter(access.readable(), municipality=municipality)
    rows = _ranked(readable, text, ("title",), limit).values_list("slug", "title", "kind", "score")
    return [
        SearchHit(kind="dataset", key=slug, name_th=title, name_en="", detail=kind, score=score)
        for slug, title, kind, score in rows
    ]


def _case_hits(municipality, text, limit) -> list[SearchHit]:
    """Cases by case code, then cases in subdistricts so named (never by personal data)."""
    cases = DengueCase.objects.filter(municipality=municipality).order_by("-onset_date", "pk")
    columns = ("pk", "source_id", "subdistrict__name_th", "onset_date")
    subdistrict_ids = [hit.key for hit in _subdistrict_hits(municipality, text, 3)]
    found = {
        row[0]: (row, 1.0)
        for row in cases.filter(source_id__icontains=text).values_list(*columns)[:limit]
    }
    for row in cases.filter(subdistrict_id__in=subdistrict_ids).values_list(*columns)[:limit]:
        found.setdefault(row[0], (row, 0.5))
    return [
        SearchHit(
            kind="case",
            key=str(pk),
            name_th=code or f"#{pk}",
            name_en="",
            detail=subdistrict or "",
            score=score,
            onset_date=onset,
        )
        for (pk, code, subdistrict, onset), score in list(found.values())[:limit]
    ]


def search_hits(
    *,
    municipality: Municipality,
    text: str,
    access: DatasetAccess,
    include_cases: bool,
    limit: int,
) -> list[SearchHit]:
    """What matches `text` in one municipality, best first, at most `limit` of each kind.

    `access` says which datasets the caller may read; `include_cases` whether it may see cases
    (their exact locations). Texts shorter than `MIN_TEXT_CHARS` find nothing.
    """
    if len(text) < MIN_TEXT_CHARS:
        return []
    hits = [
        *_feature_hits(Landmark, "landmark", "category", municipality, text, limit),
        *_feature_hits(Road, "road", "road_class", municipality, text, limit),
        *_subdistrict_hits(municipality, text, limit),
        *_dataset_hits(municipality, text, access, limit),
    ]
    if include_cases:
        hits += _case_hits(municipality, text, limit)
    return sorted(hits, key=lambda hit: (-hit.score, KINDS.index(hit.kind)))
