"""The query module: roll-up through the unit tree, people vs lượt, dimensions, filters,
report status, and the same figure in the dashboard, CSV, Excel, JSON and the CLI."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook

from hoctap_learn.activities import services as week
from hoctap_learn.reports import assembly
from hoctap_learn.reports import figures as fig
from hoctap_learn.reports.services import build_filters
from hoctap_learn.reports.tables import build_table, missing_units
from hoctap_learn.units import services as units

from ..conftest import login
from ..factories import PASSWORD, make_user


def _rows(table) -> dict:
    return {
        row[0]: dict(zip([c.key for c in table.columns], row, strict=True)) for row in table.rows
    }


def test_figures_roll_up_the_unit_tree(world):
    filters = build_filters(None, "2022")
    rows = _rows(build_table(filters, "unit"))
    school, vungtau, datdo, province = (
        rows["vt-thpt"],
        rows["brvt-vungtau"],
        rows["brvt-datdo"],
        rows["brvt"],
    )
    assert (school["activities"], school["activity_participants"]) == (1, 200)
    # a district's numbers include its school's
    assert (vungtau["activities"], vungtau["activity_participants"]) == (2, 500)
    assert vungtau["state_budget"] == 45_000_000 and vungtau["funding_total"] == 55_000_000
    assert (datdo["activities"], datdo["activity_participants"]) == (1, 50)
    assert (province["activities"], province["activity_participants"]) == (3, 550)
    assert vungtau["registered_people"] == 4 and province["registered_people"] == 5
    assert school["registered_people"] == 3
    # a district organizer's scope: their subtree only, and its total is their district's
    scoped = build_table(build_filters(world["org_vt"], "2022"), "unit")
    assert [r[0] for r in scoped.rows] == ["brvt-vungtau", "vt-thpt"]
    assert scoped.total[3:5] == [2, 500]


def test_people_are_not_lượt(world, db):
    """Activity participants are attendances (lượt) and add up across activities;
    registered people are distinct accounts, each counted once wherever it rolls up."""
    filters = build_filters(None, "2022", "brvt-vungtau")
    total = assembly.totals(filters)
    assert total["activity_participants"] == 500  # 300 + 200 lượt
    assert total["registered_people"] == 4  # 4 people, not 4 × the levels they roll up to
    by_group = _rows(build_table(filters, "target_group"))
    assert by_group["hoc_sinh"]["registered_people"] == 2
    assert by_group["hoc_sinh"]["activity_participants"] == 350  # 200 + 150 lượt
    # what the optional breakdown leaves out is "unknown", so groups add up to the total
    assert by_group[""]["activity_participants"] == 500 - 350 - 40
    table = build_table(filters, "target_group")
    totals = dict(zip([c.key for c in table.columns], table.total, strict=True))
    assert (totals["activity_participants"], totals["registered_people"]) == (500, 4)


def test_age_band_gender_and_kind(world):
    filters = build_filters(None, "2022")
    ages = _rows(build_table(filters, "age_band"))
    assert ages["15_17"]["registered_people"] == 2  # born 2007, 2006 → 15, 16 in 2022
    assert ages["35_44"]["registered_people"] == 1 and ages["25_34"]["registered_people"] == 0
    assert ages["60_tro_len"]["registered_people"] == 1
    assert ages[""]["registered_people"] == 1  # no birth year
    genders = _rows(build_table(filters, "gender"))
    assert genders["nu"]["registered_people"] == 2 and genders[""]["registered_people"] == 1
    kinds = _rows(build_table(filters, "kind"))
    assert kinds["opening"]["activities"] == 1 and kinds["classes"]["activity_participants"] == 200
    assert kinds["contests"]["activities"] == 0


def test_date_range_and_local_days(world, db):
    # 17:30 UTC on 19/10 is 00:30 on 20/10 in Hồ Chí Minh city
    user = make_user(email="late@example.vn", unit=world["datdo"])
    user.created_at = datetime(2022, 10, 19, 17, 30, tzinfo=UTC)
    db.session.commit()
    days = _rows(build_table(build_filters(None, "2022", None, "2022-10-20", "2022-10-20"), "day"))
    assert list(days) == ["2022-10-20"]
    assert days["2022-10-20"]["registered_people"] == 1
    assert days["2022-10-20"]["activity_participants"] == 200
    assert days["2022-10-20"]["activities"] == 1
    full = _rows(build_table(build_filters(None, "2022"), "day"))
    assert full["2022-10-19"]["activity_participants"] == 300
    assert full["2022-10-26"]["activities"] == 0  # every day of the Week is listed


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("2022-13-01", None), "không hợp lệ"),
        (("hôm qua", None), "không hợp lệ"),
        (("1800-01-01", None), "2000–2100"),
        (("2022-10-25", "2022-10-20"), "phải sau"),
    ],
)
def test_bad_filters_are_refused(world, args, message):
    from hoctap_learn.core.errors import ValidationError

    with pytest.raises(ValidationError, match=message):
        build_filters(None, "2022", None, *args)


def test_units_that_have_not_submitted_before_the_deadline(world, db):
    campaign = world["campaign"]
    filters = build_filters(None, "2022")
    assert units.get_unit("brvt-vungtau") in missing_units(filters)
    week.set_submitted(world["admin"], world["vungtau"], campaign, True)
    week.set_submitted(world["admin"], world["datdo"], campaign, True)
    late = week.get_report(world["datdo"], campaign)
    late.submitted_at = datetime(2022, 10, 29, 1, 0, tzinfo=UTC)  # 08:00 on the deadline day
    on_time = week.get_report(world["vungtau"], campaign)
    on_time.submitted_at = datetime(2022, 10, 28, 16, 59, tzinfo=UTC)  # 23:59 the day before
    db.session.commit()
    missing = [u.code for u in missing_units(filters)]
    assert "brvt-vungtau" not in missing and "brvt-datdo" in missing
    assert "vt-thpt" not in missing  # schools report through their district
    status = _rows(build_table(filters, "submission"))
    assert status["brvt-datdo"]["status"] == "Quá hạn"
    assert status["brvt-vungtau"]["status"] == "Đúng hạn"
    assert status["brvt-condao"]["status"] == "Chưa gửi"
    # a district organizer sees only their own unit in the list
    scoped = build_table(build_filters(world["org_vt"], "2022"), "submission")
    assert [r[0] for r in scoped.rows] == ["brvt-vungtau"]


def _dashboard_value(html: str, row: str, figure: str) -> int:
    block = re.search(r'data-table="unit".*?</table>', html, re.S).group(0)
    tr = re.search(rf'<tr data-row="{re.escape(row)}">(.*?)</tr>', block, re.S).group(1)
    cell = re.search(rf'data-figure="{figure}">([^<]*)<', tr).group(1)
    return int(cell.replace(".", ""))


def test_same_figure_everywhere(client, world, runner, tmp_path):
    login(client, "org.vt@example.vn", PASSWORD)
    query = "?campaign=2022&unit=brvt-vungtau"
    html = client.get("/organizer/reports/" + query).get_data(as_text=True)
    csv_body = client.get("/organizer/reports/export/unit.csv" + query).data
    assert csv_body.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM for Excel
    csv_rows = list(csv.reader(io.StringIO(csv_body.decode("utf-8-sig"))))
    xlsx = client.get("/organizer/reports/export/unit.xlsx" + query)
    assert xlsx.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(xlsx.data), read_only=True).active
    xlsx_rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    api = client.get("/api/v1/reports/unit" + query).get_json()
    api_rows = {r["code"]: r for r in api["rows"]}
    out = tmp_path / "unit.json"
    result = runner.invoke(
        args=[
            "report",
            "export",
            "--campaign",
            "2022",
            "--unit",
            "brvt-vungtau",
            "--by",
            "unit",
            "--format",
            "json",
            "--output",
            str(out),
        ]
    )
    assert result.exit_code == 0, result.output
    cli_rows = {r["code"]: r for r in json.loads(out.read_text())["rows"]}
    header = csv_rows[0]
    for figure, expected in (
        ("activity_participants", 500),
        ("registered_people", 4),
        ("state_budget", 45_000_000),
    ):
        col = header.index(fig.FIGURES[figure].label)
        csv_value = int(next(r for r in csv_rows if r[0] == "brvt-vungtau")[col])
        xlsx_value = next(r for r in xlsx_rows if r[0] == "brvt-vungtau")[col]
        values = {
            "dashboard": _dashboard_value(html, "brvt-vungtau", figure),
            "csv": csv_value,
            "xlsx": xlsx_value,
            "api": api_rows["brvt-vungtau"][figure],
            "cli": cli_rows["brvt-vungtau"][figure],
        }
        assert set(values.values()) == {expected}, (figure, values)
    assert 'data-total="activity_participants">500<' in html
    # …and in the Word report (section I.4 and the I.5 funding lines)
    import docx

    word = client.get("/organizer/reports/mau-bc.docx" + query)
    paragraphs = [p.text for p in docx.Document(io.BytesIO(word.data)).paragraphs]
    assert "- Lượt người tham gia hoạt động: 500 lượt." in paragraphs
    assert "- Người đăng ký tài khoản: 4 người." in paragraphs
    assert "- Ngân sách nhà nước: 45.000.000 đồng." in paragraphs
    summary = client.get("/api/v1/reports/" + query).get_json()
    assert {f["key"]: f["value"] for f in summary["figures"]}["activity_participants"] == 500
    assert summary["missing_reports"] == ["brvt-vungtau"]


def test_reports_are_scoped_to_the_organizers_units(app, world):
    client = app.test_client()
    login(client, "org.vt@example.vn", PASSWORD)
    other = "?campaign=2022&unit=brvt-datdo"
    assert client.get("/organizer/reports/" + other).status_code == 403
    assert client.get("/organizer/reports/export/unit.csv" + other).status_code == 403
    response = client.get("/api/v1/reports/unit" + other)
    assert response.status_code == 403 and "error" in response.get_json()
    # without a unit the organizer gets their own subtree, never the province
    html = client.get("/organizer/reports/?campaign=2022").get_data(as_text=True)
    assert "Trường THPT Vũng Tàu" in html and "Huyện Đất Đỏ" not in html
    anonymous = app.test_client()
    assert anonymous.get("/api/v1/reports/unit").status_code == 401
    assert anonymous.get("/organizer/reports/").status_code == 302
    make_user(email="hs@example.vn", unit=world["school"])
    participant = app.test_client()
    login(participant, "hs@example.vn", PASSWORD)
    assert participant.get("/organizer/reports/").status_code == 403
    assert participant.get("/api/v1/reports/unit").status_code == 403


def test_bad_requests_get_messages_not_500(client, world):
    login(client, "org.vt@example.vn", PASSWORD)
    page = client.get("/organizer/reports/?from=2022-02-30")
    assert page.status_code == 400 and "không hợp lệ" in page.get_data(as_text=True)
    api = client.get("/api/v1/reports/unit?from=2022-10-25&to=2022-10-01")
    assert api.status_code == 400 and "phải sau" in api.get_json()["error"]
    assert client.get("/api/v1/reports/khong-co").status_code == 404
    assert client.get("/api/v1/reports/unit?campaign=1999").status_code == 404
    assert client.get("/organizer/reports/export/all.csv").status_code == 404
    assert client.get("/organizer/reports/export/unit.pdf").status_code == 404


def test_exports_neutralise_formulas(world, db, tmp_path):
    world["school"].name = '=HYPERLINK("http://x","bấm")'
    db.session.commit()
    filters = build_filters(None, "2022")
    table = build_table(filters, "unit")
    from hoctap_learn.reports.writers import csv_bytes, write_xlsx

    text = csv_bytes(table).decode("utf-8-sig")
    assert "'=HYPERLINK" in text
    path = tmp_path / "x.xlsx"
    write_xlsx([table], path)
    sheet = load_workbook(path).active
    names = [row[1].value for row in sheet.iter_rows(min_row=2)]
    cell = next(row[1] for row in sheet.iter_rows(min_row=2) if "HYPERLINK" in str(row[1].value))
    assert cell.data_type == "s" and cell.value.startswith("'=")
    assert "Tỉnh Bà Rịa - Vũng Tàu" in names


def test_cli_export_formats_and_errors(runner, world, tmp_path):
    out = tmp_path / "r.csv"
    ok = runner.invoke(
        args=[
            "report",
            "export",
            "--campaign",
            "2022",
            "--by",
            "unit",
            "--format",
            "csv",
            "--output",
            str(out),
        ]
    )
    assert ok.exit_code == 0 and out.read_bytes().startswith(b"\xef\xbb\xbf")
    xlsx = tmp_path / "all.xlsx"
    ok = runner.invoke(
        args=[
            "report",
            "export",
            "--campaign",
            "2022",
            "--by",
            "all",
            "--format",
            "xlsx",
            "--output",
            str(xlsx),
            "--json",
        ]
    )
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["tables"][0] == "unit"
    assert "submission" in load_workbook(xlsx, read_only=True).sheetnames
    bad = runner.invoke(
        args=["report", "export", "--campaign", "2022", "--by", "xyz", "--output", str(out)]
    )
    assert bad.exit_code == 1 and "Không có bảng" in bad.output
    bad = runner.invoke(args=["report", "export", "--campaign", "1999", "--output", str(out)])
    assert bad.exit_code == 1 and "Không tìm thấy Tuần lễ" in bad.output


def test_a_feature_plugs_in_its_own_figure(world, monkeypatch):
    """How contests and the catalog add theirs: register a figure, every table shows it."""

    def fake_attempts(filters, by):
        if by in (None, "day"):
            key = date(2022, 10, 20) if by == "day" else None
            return [(world["school"].id, key, 7), (world["datdo"].id, key, 2)]
        return []

    monkeypatch.setitem(
        fig.FIGURES,
        "contest_attempts",
        fig.Figure(
            "contest_attempts", "Lượt dự thi", "lượt", fake_attempts, frozenset({"day"}), 30
        ),
    )
    filters = build_filters(None, "2022")
    rows = _rows(build_table(filters, "unit"))
    assert rows["brvt-vungtau"]["contest_attempts"] == 7 and rows["brvt"]["contest_attempts"] == 9
    days = _rows(build_table(filters, "day"))
    assert days["2022-10-20"]["contest_attempts"] == 9
    assert "contest_attempts" not in _rows(build_table(filters, "gender"))["nu"]


def test_age_band_in_sql_matches_python_at_every_boundary(app, db):
    """The CASE the database groups by gives the band `age_band` gives, at each edge."""
    from sqlalchemy import Integer, literal, null, select

    year = 2022
    ages = {-1, 125}
    for _key, _label, low, high in fig.AGE_BANDS:
        ages |= {low - 1, low, high, high + 1}
    for age in sorted(ages):
        birth_year = year - age
        in_sql = db.session.scalar(select(fig.age_band_sql(literal(birth_year, Integer), year)))
        assert in_sql == fig.age_band(birth_year, year), (age, birth_year)
    assert db.session.scalar(select(fig.age_band_sql(null(), year))) is None


def test_tables_built_together_equal_tables_built_alone(world):
    """The dashboard and the all-tables export query figures together (one grouped query
    for every person dimension); each table must be the one built on its own."""
    from hoctap_learn.reports.tables import build_tables, table_builders

    for filters in (
        build_filters(None, "2022"),
        build_filters(None, "2022", "brvt-vungtau", "2022-10-19", "2022-10-20"),
    ):
        names = list(table_builders())
        together = build_tables(filters, names)
        for name, table in zip(names, together, strict=True):
            alone = build_table(filters, name)
            assert (table.rows, table.total) == (alone.rows, alone.total), name
