"""Catalog pages and the resources API."""

from __future__ import annotations

import json
import re

from sqlalchemy import select

from hoctap_learn.catalog.models import Resource, ResourceDailyStat


def _id(db, identifier: str) -> int:
    return db.session.scalar(select(Resource.id).where(Resource.identifier == identifier))


def test_search_page_on_a_phone(client, catalog):
    html = client.get("/resources/?q=hoc+tap+suot+doi").get_data(as_text=True)
    text = re.sub(r"<[^>]+>", "", html)
    assert "Học tập suốt đời trong thời đại số" in text
    assert "<mark" in html and 'name="q"' in html and "Bộ lọc" in html


def test_search_page_bad_parameters_get_a_message(client, catalog):
    for query, message in (("page=abc", "phải là số nguyên"), ("sort=x", "chỉ nhận")):
        response = client.get(f"/resources/?{query}")
        assert response.status_code == 200
        assert message in response.get_data(as_text=True)


def test_search_page_escapes_the_query(client, catalog):
    html = client.get("/resources/?q=<script>alert(1)</script>").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


def test_browse_without_query_lists_subjects(client, catalog):
    html = client.get("/resources/").get_data(as_text=True)
    assert "8 kết quả" in html and "Giáo dục thường xuyên" in html


def test_detail_counts_views_and_go_counts_clicks(client, db, catalog):
    rid = _id(db, "t:physics")
    updated_before = db.session.get(Resource, rid).updated_at
    page = client.get(f"/resources/{rid}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Physics for Everyone" in html and "CC BY 4.0" in html
    assert f"/r/{rid}/go" in html
    response = client.get(f"/r/{rid}/go")
    assert (
        response.status_code == 302
        and response.headers["Location"] == "https://example.org/physics"
    )
    client.get(f"/r/{rid}/go")
    resource = db.session.get(Resource, rid)
    db.session.refresh(resource)
    assert (resource.view_count, resource.click_count) == (1, 2)
    assert resource.updated_at == updated_before  # a view is not a change of the record
    stat = db.session.scalar(select(ResourceDailyStat).where(ResourceDailyStat.resource_id == rid))
    assert (stat.views, stat.clicks) == (1, 2)


def test_withdrawn_or_missing_resource_is_404(client, db, catalog):
    rid = _id(db, "t:physics")
    db.session.get(Resource, rid).status = "withdrawn"
    db.session.commit()
    assert client.get(f"/resources/{rid}").status_code == 404
    assert client.get(f"/r/{rid}/go").status_code == 404
    assert client.get("/resources/999999").status_code == 404


def test_provider_pages(client, catalog):
    html = client.get("/providers/").get_data(as_text=True)
    assert "Bộ Thông tin và Truyền thông" in html
    page = client.get("/providers/bo-thong-tin-va-truyen-thong").get_data(as_text=True)
    assert "Chuyển đổi số cho người dân" in page and "2 học liệu" in page
    assert client.get("/providers/khong-co").status_code == 404


def test_api_search_shape(client, catalog):
    data = client.get("/api/v1/resources?q=chuyen+doi+so&type=khoa-hoc&per_page=5").get_json()
    assert set(data) >= {"total", "page", "per_page", "results", "facets", "suggestion"}
    assert data["total"] == 1 and data["page"] == 1 and data["per_page"] == 5
    item = data["results"][0]
    assert set(item) >= {"identifier", "title", "url", "type", "publisher", "subjects", "highlight"}
    assert item["identifier"] == "t:cds" and "<mark" in item["highlight"]["title"]
    assert data["facets"]["type"]["khoa-hoc"] == 1 and data["facets"]["type"]["video"] == 1


def test_api_bad_parameters_are_400_json(client, catalog):
    for query in ("page=x", "per_page=1e9", "sort=random", "year_from=abc"):
        response = client.get(f"/api/v1/resources?{query}")
        assert response.status_code == 400, query
        assert "error" in response.get_json()
    assert client.get("/api/v1/resources?per_page=100000").get_json()["per_page"] == 50


def test_api_resource_by_identifier(client, catalog):
    data = client.get("/api/v1/resources/t:physics").get_json()
    assert data["title"] == "Physics for Everyone" and data["license_name"] == "CC BY 4.0"
    missing = client.get("/api/v1/resources/khong:co")
    assert missing.status_code == 404 and "error" in missing.get_json()


def test_cli_query_prints_the_api_json(client, runner, catalog):
    api = client.get("/api/v1/resources?q=dao+tao&type=bai-bao").get_json()
    cli = runner.invoke(args=["search", "query", "dao tao", "--type", "bai-bao", "--json"])
    assert cli.exit_code == 0
    assert json.loads(cli.stdout) == api
