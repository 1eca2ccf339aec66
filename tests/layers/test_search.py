"""The search selectors and the pg_trgm behaviour they rely on (decision 0014), on real PostGIS.

The measurements of the decision record are asserted here, so a PostgreSQL or locale that
tokenises Thai differently fails a test instead of quietly finding less.
"""

from __future__ import annotations

import pytest
from django.db import connection

from layers.catalogue.selectors import DatasetAccess
from layers.models import Landmark, Municipality
from layers.search.selectors import like_escaped, one_slip_patterns, search_hits

TEMPLE = "วัดพระมหาธาตุ วรมหาวิหาร"
MEMBER = DatasetAccess(internal=True)


def scalar(sql: str, params: list | None = None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchone()[0]


def names(municipality: Municipality, text: str, *, kind: str = "landmark") -> list[str]:
    hits = search_hits(
        municipality=municipality, text=text, access=MEMBER, include_cases=False, limit=10
    )
    return [hit.name_th for hit in hits if hit.kind == kind]


def test_the_migration_installs_pg_trgm_in_the_test_database(db):
    assert scalar("SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'") == 1


def test_pg_trgm_extracts_trigrams_from_thai_in_this_locale(db):
    assert scalar("SHOW lc_ctype") == "C.UTF-8"
    # 13 letters, one word: 2 leading blanks + 13 = 15 padded trigrams, one repeated.
    assert scalar("SELECT array_length(show_trgm('วัดพระมหาธาตุ'), 1)") == 14
    # Tone marks and the silent mark (์) are not letters here: they split words.
    assert scalar("SELECT array_length(show_trgm('่'), 1)") is None
    assert scalar("SELECT array_length(show_trgm('ก่า'), 1)") == 4


@pytest.mark.parametrize(
    ("query", "target", "expected"),
    [
        ("มหาธาตุ", "วัดพระมหาธาตุวรมหาวิหาร", 0.625),  # inside a word: padding trigrams lost
        ("มหาทาตุ", "วัดพระมหาธาตุวรมหาวิหาร", 0.18181819),  # and one letter wrong: too low
        ("mahathat", "Wat Phra Mahathat Woramahawihan", 1.0),
        ("mahatat", "Wat Phra Mahathat Woramahawihan", 0.625),
    ],
)
def test_word_similarity_measurements_of_the_decision_record(db, query, target, expected):
    measured = scalar("SELECT word_similarity(%s, %s)", [query, target])

    assert measured == pytest.approx(expected, abs=1e-6)


def test_a_thai_slip_is_below_the_word_similarity_threshold_so_slip_patterns_are_needed(db):
    threshold = float(scalar("SHOW pg_trgm.word_similarity_threshold"))

    assert scalar("SELECT word_similarity('มหาทาตุ', 'วัดพระมหาธาตุวรมหาวิหาร')") < threshold
    assert scalar("SELECT 'วัดพระมหาธาตุวรมหาวิหาร' ILIKE ANY(%s)", [one_slip_patterns("มหาทาตุ")])


def test_one_slip_patterns_cover_a_wrong_a_missing_and_an_extra_character():
    patterns = one_slip_patterns("abcd")

    assert "%a_cd%" in patterns  # b typed wrong
    assert "%acd%" in patterns  # b typed too many
    assert "%ab_cd%" in patterns  # a character left out between b and c
    assert "%abcd%" not in patterns
    assert len(patterns) == len(set(patterns))


def test_one_slip_patterns_keep_typed_wildcards_literal_and_skip_short_or_long_texts():
    assert all("\\%\\_" in p or "\\%" in p or "\\_" in p for p in one_slip_patterns("a%_bc"))
    assert like_escaped("50%_\\") == "50\\%\\_\\\\"
    assert one_slip_patterns("abc") == []
    assert one_slip_patterns("a" * 31) == []


@pytest.mark.parametrize(
    "text",
    [
        "มหาธาตุ",  # a substring inside a word
        "มหาทาตุ",  # one letter different (ท for ธ)
        "มหาธาุ",  # one letter missing
        "มหาธาตตุ",  # one letter too many
        "วรมหาวิหาร",  # the second word
        "Mahathat",  # English, other case
        "mahatat",  # English with a slip
    ],
)
def test_the_temple_is_found_by_part_of_its_name_with_at_most_one_slip(nst, text):
    assert TEMPLE in names(nst, text)


def test_two_slips_inside_a_thai_word_are_not_found(nst):
    assert TEMPLE not in names(nst, "มหาทาตู")


def test_substring_hits_rank_before_slip_hits(nst):
    hits = search_hits(
        municipality=nst, text="ราชดำเนิน", access=MEMBER, include_cases=False, limit=10
    )
    roads = [hit for hit in hits if hit.kind == "road"]

    exact = [i for i, hit in enumerate(roads) if "ราชดำเนิน" in hit.name_th]
    slips = [i for i, hit in enumerate(roads) if "ราชดำเนิน" not in hit.name_th]
    assert exact
    assert slips
    assert max(exact) < min(slips)


def test_a_search_reads_only_the_given_municipality(nst, chon):
    assert names(chon, "มหาธาตุ") == []
    assert TEMPLE in names(nst, "มหาธาตุ")


def test_cases_only_when_asked_and_never_by_personal_data(nst):
    from layers.models import DengueCase

    case = DengueCase.objects.filter(municipality=nst, personal__isnull=False).first()
    without = search_hits(
        municipality=nst, text=case.source_id, access=MEMBER, include_cases=False, limit=5
    )
    with_cases = search_hits(
        municipality=nst, text=case.source_id, access=MEMBER, include_cases=True, limit=5
    )

    assert [h for h in without if h.kind == "case"] == []
    assert [h.key for h in with_cases if h.kind == "case"] == [str(case.pk)]
    # The encrypted personal fields are not searched: a patient's name finds no case.
    by_name = search_hits(
        municipality=nst,
        text=case.personal.full_name,
        access=MEMBER,
        include_cases=True,
        limit=5,
    )
    assert [h for h in by_name if h.kind == "case" and h.key == str(case.pk)] == []


@pytest.mark.parametrize(
    "index", ["landmark_search_trgm", "road_search_trgm", "subdistrict_search_trgm"]
)
def test_the_searched_names_have_trigram_indexes(db, index):
    definition = scalar("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [index])

    assert "USING gin (name_th gin_trgm_ops, name_en gin_trgm_ops)" in definition


def test_under_row_level_security_the_name_filter_runs_on_the_towns_rows_only(nst):
    """ILIKE and <% are not LEAKPROOF, so PostgreSQL checks them after the tenant policy: the
    plan reaches one municipality's rows by its index and filters those (decision 0014)."""
    from layers.search.selectors import _name_matches

    queryset = Landmark.objects.filter(_name_matches("มหาธาตุ", ("name_th", "name_en")))
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = queryset.explain()

    assert "Index Scan on landmark_paging" in plan
