"""Vietnamese search: accents, đ, phrases, prefixes, fallback, suggestions, facets, paging."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from hoctap_learn import search
from hoctap_learn.catalog.vocab import fold


def run(**args):
    multi = MultiDict()
    for key, value in args.items():
        for v in value if isinstance(value, list) else [value]:
            multi.add(key, str(v))
    return search.search(search.params_from_args(multi))


def ids(result) -> list[str]:
    return [r["identifier"] for r in result.results]


@pytest.mark.parametrize("q", ["hoc tap suot doi", "HỌC TẬP SUỐT ĐỜI", "Học Tập", "học tập"])
def test_with_or_without_accents_any_case(catalog, q):
    assert ids(run(q=q))[0] == "t:hoc-tap"


def test_exact_accents_rank_first(catalog):
    # "học" and "hóc" fold to the same syllable; typing "học" puts "học" documents first.
    result = ids(run(q="học"))
    assert "t:hoc-bua" in result
    assert result.index("t:hoc-tap") < result.index("t:hoc-bua")
    # typing "hóc" puts the riddle book first
    assert ids(run(q="hóc"))[0] == "t:hoc-bua"


@pytest.mark.parametrize("q", ["dao tao", "Đào tạo", "ĐÀO TẠO", "dak lak", "Đắk Lắk"])
def test_d_with_stroke_folds_to_d(catalog, q):
    found = ids(run(q=q))
    assert found[0] == "t:dao-tao"
    # the only other match is by its publisher, "Bộ Giáo dục và Đào tạo"
    assert set(found) <= {"t:dao-tao", "t:doi-moi"}


def test_nfd_input_matches_nfc_text(catalog):
    import unicodedata

    assert ids(run(q=unicodedata.normalize("NFD", "Đào tạo")))[0] == "t:dao-tao"


def test_quoted_phrase(catalog):
    assert ids(run(q='"tập suốt đời"')) == ["t:hoc-tap"]
    # both words occur in the riddle book, but not side by side
    assert "t:hoc-bua" in ids(run(q="tập hóc"))
    assert ids(run(q='"tập hóc"')) == []


def test_prefix(catalog):
    assert set(ids(run(q="chuyen doi*"))) == {"t:cds", "t:cds-dn"}
    assert set(ids(run(q="chuyển đổ*"))) == {"t:cds", "t:cds-dn"}


def test_and_by_default_or_fallback(catalog):
    both = run(q="chuyển đổi doanh nghiệp")
    assert ids(both) == ["t:cds-dn"] and not both.fallback
    fallback = run(q="chuyển đổi khủnglong")
    assert fallback.fallback and set(ids(fallback)) >= {"t:cds", "t:cds-dn"}
    assert any("một phần các từ" in m for m in fallback.messages)


def test_did_you_mean_is_accented_and_has_hits(catalog):
    result = run(q="chuyen dooi")
    assert result.suggestion is not None
    assert fold(result.suggestion) == "chuyen doi"
    assert result.suggestion == "chuyển đổi"
    assert run(q=result.suggestion).total > 0


def test_no_suggestion_without_a_better_query(catalog):
    assert run(q="qqqqqqqqqq").suggestion is None
    assert run(q="học tập").suggestion is None


def test_facets_have_exact_counts(catalog):
    result = run()
    assert result.total == 8
    types = dict(result.facets["type"])
    assert types == {"sach": 3, "bai-bao": 1, "khoa-hoc": 1, "video": 1, "am-thanh": 1,
                     "tham-khao": 1}  # fmt: skip
    subjects = dict(result.facets["subject"])
    assert subjects["Giáo dục thường xuyên"] == 3 and subjects["Kỹ năng số"] == 2
    assert dict(result.facets["language"]) == {"vi": 7, "en": 1}
    assert result.year_range == (2015, 2023)


def test_filters_and_disjunctive_facets(catalog):
    result = run(type="sach")
    assert result.total == 3
    # the type facet still shows the other types, so a second one can be added
    assert dict(result.facets["type"])["bai-bao"] == 1
    # other facets count within the filter
    assert dict(result.facets["language"]) == {"vi": 2, "en": 1}
    assert run(type=["sach", "bai-bao"]).total == 4
    assert run(type="sach", language="en").total == 1
    assert ids(run(subject="Kỹ năng số", q="chuyen doi")) == ["t:cds"]
    assert run(publisher="Bộ Thông tin và Truyền thông").total == 2
    assert run(level="dai-hoc").total == 4
    assert run(license="cc-by-4.0").total == 5
    assert run(year_from=2020, year_to=2022).total == 3
    assert run(type="khong-co").total == 0


def test_sorting(catalog):
    newest = run(sort="newest", per_page=8)
    years = [r["year"] for r in newest.results]
    assert years == sorted(years, reverse=True)
    titles = [fold(r["title"]) for r in run(sort="title", per_page=8).results]
    assert titles == sorted(titles)


def test_pagination(catalog):
    first, second = run(per_page=3, page=1), run(per_page=3, page=2)
    assert first.total == second.total == 8 and first.pages == 3
    assert not set(ids(first)) & set(ids(second))
    beyond = run(per_page=3, page=9)
    assert beyond.total == 8 and beyond.results == []


def test_highlights_are_escaped_and_on_accented_text(catalog):
    result = run(q="hoc cach tho")
    item = next(r for r in result.results if r["identifier"] == "t:tap-xa")
    html = str(item["highlight"]["description"])
    assert "<mark" in html and ">học</mark>" in html
    assert "a&lt;b &amp; c" in html


def test_harvested_html_never_reaches_results(catalog):
    item = run(q="physics").results[0]
    assert "<p>" not in item["title"] and "<em>" not in str(item["highlight"]["description"])


NASTY = [
    '"', '"unbalanced', "(", ")", "((a", "*", "?", "**", "a*", "AND", "OR", "NOT", "AND OR NOT",
    "title:x", "x:y:z", "[a TO b]", "^2", "~", "\x00\x01\x02", "\u202e\u200b",
    "'; DROP TABLE resources; --", "<script>alert(1)</script>", "học " * 2000,
    "a" * 10000, "%", "\\", "🙂📚", "' OR 1=1 --", "hoc~2", "đ*", "-", "+học", "{}",
]  # fmt: skip


@pytest.mark.parametrize("q", NASTY)
def test_any_query_text_is_answered(catalog, q):
    result = run(q=q)
    assert result.total >= 0
    assert len(result.params.q) <= 300


def test_long_query_is_cut_with_a_message(catalog):
    result = run(q="học tập " * 100)
    assert any("quá dài" in m for m in result.messages)
    assert ids(result)[0] == "t:hoc-tap"


def test_numpy_postings_match_whoosh_across_blocks(app, db):
    """Postings decoded block by block equal Whoosh's own reading (lists > one block)."""
    from hoctap_learn.catalog.files import import_rows
    from hoctap_learn.search import ranking, store

    rows = [
        (n, {"identifier": f"b:{n}", "title": f"Bài {n} về học liệu" + (" số" * (n % 3)),
             "url": f"https://example.org/{n}", "description": "mô tả " * (n % 5)})
        for n in range(2, 402)
    ]  # fmt: skip
    import_rows(rows)
    db.session.commit()
    searcher = store.get_searcher()
    reader = searcher.reader()
    for sub, _offset in reader.leaf_readers():
        for field, word in (("title_f", b"lieu"), ("title_f", b"so"), ("text_f", b"mo")):
            ids, tf = ranking._decode(sub, field, word)
            matcher = sub.postings(field, word)
            assert ids.tolist() == list(matcher.all_ids())
            expected = [w for _, w in sub.postings(field, word).items_as("frequency")]
            assert tf.tolist() == expected
    # more repetitions of "số" in a short title rank higher
    top = run(q="số", per_page=3).results
    assert all(r["title"].endswith("số số") for r in top)


def test_plain_words_are_matched_by_numpy_exactly_like_whoosh(catalog):
    """The numpy fast path (AND/OR of plain words) and Whoosh's matcher agree."""
    from hoctap_learn.search import query, ranking, store

    searcher = store.get_searcher()
    for text, use_or in (("hoc", False), ("hoc tap", False), ("chuyen doi so", False),
                         ("physics khunglong", True), ("dao tao", True)):  # fmt: skip
        q = query.parse(searcher.schema, text, use_or=use_or, purpose="match")
        fast = ranking.match_terms(searcher.reader(), q)
        assert fast is not None
        slow = sorted(searcher.docs_for_query(q))
        assert fast.tolist() == slow, text


def test_words_typed_together_rank_first(catalog):
    """The proximity re-rank: "tập học" apart vs "học tập" side by side in a title."""
    from hoctap_learn.search.ranking import _adjacent

    assert _adjacent(["hoc", "tap"], "Học tập suốt đời")
    assert _adjacent(["hoc", "tap"], "Học cách tập")  # one word between is still "together"
    assert not _adjacent(["hoc", "tap"], "Học cách thở rồi tập")
    assert not _adjacent(["tap", "hoc"], "Học tập")
    assert ids(run(q="hoc tap"))[0] == "t:hoc-tap"


@pytest.mark.parametrize("q", ["x", '"học tập"', "ho*", ""])
def test_an_empty_catalog_answers_with_no_results(client, q):
    """Before anything is in the catalog the index has no segment at all: the page and the
    API still answer (they gave a 500 from the facet and ranking code)."""
    api = client.get("/api/v1/resources", query_string={"q": q})
    assert api.status_code == 200
    assert api.get_json()["total"] == 0 and api.get_json()["results"] == []
    page = client.get("/resources/", query_string={"q": q})
    assert page.status_code == 200
