"""How Vietnamese is written and typed: spelling variants, word order, abbreviations,
Telex/VNI typed with the input method off, regional misspellings (issue 18, Part 1).

Each behaviour runs its judged set (tests/catalog/judged.py: the real catalog plus
distractors that match the typed spelling exactly) through the public search API.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from flask import current_app

from hoctap_learn.catalog.files import import_rows

from .judged import SETS, is_hit, judged_rows, run_query


@pytest.fixture
def judged_catalog(full_content, db):
    report = import_rows(judged_rows(), source="judged")
    assert report.errors == []
    db.session.commit()


def api(client, q: str) -> dict:
    response = client.get("/api/v1/resources", query_string={"q": q, "per_page": 50})
    assert response.status_code == 200
    return response.get_json()


def idents(body: dict) -> list[str]:
    return [r["identifier"] for r in body["results"]]


def _judge(name: str) -> list[str]:
    return [f"{j.query} → {j.wanted}" for j in SETS[name] if not is_hit(j, run_query(j.query))]


# --- spelling variants -------------------------------------------------------------------------


def test_spelling_judged_set(judged_catalog):
    assert _judge("spelling") == []


@pytest.mark.parametrize(
    ("one", "other"),
    [("kĩ năng", "kỹ năng"), ("vật lí", "vật lý"), ("hoá học", "hóa học"),
     ("thuỷ lợi", "thủy lợi"), ("sức khoẻ", "sức khỏe"), ("ki nang", "ky nang")],
)  # fmt: skip
def test_allowed_spellings_give_the_same_results(judged_catalog, client, one, other):
    first, second = api(client, one), api(client, other)
    assert first["total"] == second["total"] > 0
    assert idents(first) == idents(second)
    assert first["facets"] == second["facets"]


def test_other_spelling_ranks_as_if_typed_exactly(judged_catalog, client):
    # "kĩ" is written exactly in the energy record only; the life-skills record ("kỹ năng"
    # side by side in its title) must still be first, as it is for "kỹ năng".
    found = idents(api(client, "kĩ năng"))
    assert found[0] == "j:ky-nang" == idents(api(client, "kỹ năng"))[0]
    assert "j:nang-luong" not in found[:3]


def test_highlight_marks_the_other_spelling(judged_catalog, client):
    """Typed "thuỷ": the record written "Thủy" is first and its "Thủy" is marked; the
    record written "thuỷ" has its own spelling marked too."""
    body = api(client, "thuỷ lợi")
    first = body["results"][0]
    assert first["identifier"] == "j:thuy-loi"
    assert re.search(r'<mark class="hl t\d">Thủy</mark>', first["highlight"]["title"])
    other = next(r for r in api(client, "thủy")["results"] if r["identifier"] == "j:thuy-san")
    assert re.search(r'<mark class="hl t\d">thuỷ</mark>', other["highlight"]["title"])


def test_prefix_uses_the_same_spelling(judged_catalog, client):
    assert "j:ky-nang" in idents(api(client, "kĩ năn*"))


# --- word order --------------------------------------------------------------------------------


def test_word_order_judged_set(judged_catalog):
    assert _judge("word_order") == []


@pytest.mark.parametrize(
    ("typed", "reversed_"),
    [("học sinh", "sinh học"), ("hoc sinh", "sinh hoc"),
     ("máy tính khoa học", "khoa học máy tính"), ("may tinh khoa hoc", "khoa hoc may tinh")],
)  # fmt: skip
def test_word_order_changes_the_ranking(judged_catalog, client, typed, reversed_):
    first, second = api(client, typed), api(client, reversed_)
    # the same records match (syllables are ANDed), but not in the same order
    assert sorted(idents(first)) == sorted(idents(second))
    assert idents(first)[:3] != idents(second)[:3]


def test_words_in_order_in_the_description_beat_a_reversed_title(judged_catalog, client):
    """OpenStax Physics says "cho học sinh trung học phổ thông" in its description only;
    "Sinh học tế bào" has both syllables in its title, reversed, and apart in its description.
    (Khan Academy's "Sinh học" is no test of this: its description reads "Khóa học Sinh
    học", where "học Sinh" do stand side by side.)"""
    found = idents(api(client, "học sinh"))
    assert found.index("openstax:physics") < found.index("j:sinh-hoc")


# --- abbreviations -----------------------------------------------------------------------------


def test_abbreviations_judged_set(judged_catalog):
    assert _judge("abbreviations") == []


def test_abbreviation_and_phrase_find_each_other(judged_catalog, client):
    short, long_ = idents(api(client, "CNTT")), idents(api(client, "công nghệ thông tin"))
    # the record that only says "CNTT" is found by the phrase, and the reverse
    assert "j:cntt-abbr" in long_ and "j:cntt" in short
    # the record naming the subject in its title outranks one that mentions "CNTT" in passing
    assert short.index("j:cntt") < short.index("j:ke-toan")
    assert idents(api(client, "cong nghe thong tin")) == long_


def test_case_sensitive_abbreviation_leaves_the_word_alone(judged_catalog, client):
    assert "wikipedia-vi:tri-tue-nhan-tao" in idents(api(client, "AI"))[:3]
    # "ai" is the Vietnamese word "who": not expanded
    assert "wikipedia-vi:tri-tue-nhan-tao" not in idents(api(client, "ai"))


def test_search_syntax_is_not_expanded(judged_catalog, client):
    assert "j:cntt" not in idents(api(client, '"CNTT"'))


def load(runner, folder, *extra):
    args = ["content", "load", "--no-demo", "--content-dir", str(folder), *extra]
    return runner.invoke(args=args)


def _write(folder, text: str):
    """A copy of content/ (without its catalog and demo data) with this abbreviations file."""
    if not folder.exists():
        source = Path(current_app.config["HOCTAP_CONTENT_DIR"])
        shutil.copytree(source, folder, ignore=shutil.ignore_patterns("catalog", "demo"))
    (folder / "search" / "abbreviations.yaml").write_text(text, encoding="utf-8")
    return folder


def test_organizer_extends_the_list_with_content_load(catalog, runner, client, tmp_path):
    """A new abbreviation in the file reaches the next search after `hoctap content load`;
    one taken out of the file is no longer expanded; a second load changes nothing."""
    assert idents(api(client, "ĐTTX")) == []
    folder = _write(tmp_path / "content", "- abbreviation: ĐTTX\n  expansions: [đào tạo từ xa]\n")
    result = load(runner, folder, "--json")
    assert result.exit_code == 0, result.output
    assert '"abbreviations": {"created": 1' in result.output.replace("\n", "").replace("  ", "")
    assert idents(api(client, "ĐTTX")) == ["t:dao-tao"]
    assert idents(api(client, "dttx")) == ["t:dao-tao"]
    again = load(runner, folder)
    assert "abbreviations: 0 mới, 0 cập nhật, 1 không đổi" in again.output
    _write(folder, "- abbreviation: CĐS\n  expansions: chuyển đổi số\n")
    assert load(runner, folder).exit_code == 0
    assert idents(api(client, "ĐTTX")) == []
    assert set(idents(api(client, "CĐS"))) == {"t:cds", "t:cds-dn"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("abbreviation: CNTT", "cần một danh sách"),
        ("- abbreviation: C\n  expansions: [công nghệ]", "2–20 chữ cái"),
        ("- abbreviation: CNTT", "ít nhất một cụm từ"),
        ("- abbreviation: CNTT\n  expansions: [tin]", "từ 2 đến 8 tiếng"),
        ("- abbreviation: CNTT\n  expansions: [công nghệ thông tin]\n  case_sensitive: có",
         "true hoặc false"),
        ("- {abbreviation: AI, expansions: [trí tuệ nhân tạo]}\n"
         "- {abbreviation: AI, expansions: [trí tuệ]}", "đã có ở một mục trước"),
        ("- abbreviation: CNTT\n  expansion: [công nghệ thông tin]", "mỗi mục gồm"),
        ("- [CNTT", "không phải YAML hợp lệ"),
    ],
)  # fmt: skip
def test_a_bad_abbreviations_file_changes_nothing(catalog, runner, client, tmp_path, text,
                                                   message):  # fmt: skip
    good = _write(tmp_path / "good", "- abbreviation: ĐTTX\n  expansions: [đào tạo từ xa]\n")
    assert load(runner, good).exit_code == 0
    bad = _write(tmp_path / "bad", "- abbreviation: KN\n  expansions: [kỹ năng]\n" + text)
    if not text.startswith("- "):
        bad = _write(tmp_path / "bad", text)
    result = load(runner, bad)
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    # the list is still the one loaded before
    assert idents(api(client, "ĐTTX")) == ["t:dao-tao"]
    assert idents(api(client, "KN")) == []


# --- typed with the Vietnamese keyboard off -----------------------------------------------------


def test_telex_vni_judged_set(judged_catalog):
    assert _judge("telex_vni") == []


def test_telex_is_searched_as_the_vietnamese_it_spells(judged_catalog, client):
    body = api(client, "an toanf thoong tin")
    # not "an toán thông tin" (toán is mathematics): the tone typed is the tone suggested
    assert body["suggestion"] == "an toàn thông tin"
    assert not body["fallback"]
    assert idents(body)[:len(idents(api(client, "an toàn thông tin")))] == idents(
        api(client, "an toàn thông tin")
    )
    assert any("“an toàn thông tin”" in m for m in body["messages"])


def test_several_telex_keys_in_one_word(judged_catalog, client):
    """"soongs" (two keys: oo and s) got no suggestion at all from the edit distance."""
    body = api(client, "kyx nawng soongs")
    assert body["suggestion"] == "kỹ năng sống"
    assert idents(body)[0] == "j:ky-nang"


def test_vni_digits_and_capitals(judged_catalog, client):
    body = api(client, "tie61ng Vie65t")
    assert body["suggestion"] == "tiếng Việt"
    assert "j:tieng-viet" in idents(body)[:3]


def test_a_query_that_finds_something_is_searched_as_typed(judged_catalog, client):
    """"bus" is also Telex for "bú": the English word finds records, so it is searched as
    typed, and "bú" is not offered (it finds nothing more)."""
    body = api(client, "bus")
    assert body["total"] > 0
    assert body["suggestion"] is None
    assert not any("đang hiển thị kết quả cho" in m for m in body["messages"])


def test_search_page_offers_the_decoded_query(judged_catalog, client):
    page = client.get("/resources/", query_string={"q": "tinf hocj vawn phongf"})
    assert page.status_code == 200
    text = re.sub(r"<[^>]+>", "", page.get_data(as_text=True))
    assert "đang hiển thị kết quả cho “tin học văn phòng”" in text
    assert "Tin học văn phòng cơ bản" in text


@pytest.mark.parametrize(
    ("typed", "spelled"),
    [("toanf", "toàn"), ("thoong", "thông"), ("hocj", "học"), ("vawn", "văn"),
     ("nguoiwf", "người"), ("dduowcj", "được"), ("truwowngf", "trường"), ("tieengs", "tiếng"),
     ("quyeets", "quyết"), ("giuwx", "giữ"), ("Vieetj", "Việt"), ("tie61ng", "tiếng"),
     ("Vie65t", "Việt"), ("d9u7o7ng2", "đường"), ("d9uo7ng2", "đường"), ("du7o7ng2", "dường"),
     ("d9i", "đi"),
     ("an", None), ("physics", None), ("book", None), ("covid19", None), ("2024", None)],
)  # fmt: skip
def test_decoding_telex_and_vni_words(typed, spelled):
    from hoctap_learn.search.keyboard import decode_word

    assert decode_word(typed) == spelled


# --- regional misspellings ----------------------------------------------------------------------


def test_misspellings_judged_set(judged_catalog):
    assert _judge("misspellings") == []


@pytest.mark.parametrize(
    ("typed", "suggested"),
    [("trăm sóc sức khỏe", "chăm sóc sức khỏe"), ("nàm vườn", "làm vườn"),
     ("an toàng thông tin", "an toàn thông tin")],
)  # fmt: skip
def test_misspelling_suggestion_keeps_the_typed_tones(judged_catalog, client, typed, suggested):
    body = api(client, typed)
    assert body["suggestion"] == suggested
    assert api(client, suggested)["total"] > (0 if body["fallback"] else body["total"])


def test_a_correct_query_gets_no_misspelling_suggestion(judged_catalog, client):
    assert api(client, "chăm sóc sức khỏe")["suggestion"] is None
