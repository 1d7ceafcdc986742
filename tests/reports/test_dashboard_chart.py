"""The dashboard's daily chart, read from the JSON the page embeds: its axis is the campaign's
days (or the filter's dates within them), whatever day people registered on."""

from __future__ import annotations

import json
import re

from tests.conftest import login

CAMPAIGN_DAYS = [f"{d}/10/2022" for d in range(19, 27)]


def _chart(client, **args) -> dict:
    response = client.get("/organizer/reports/", query_string={"campaign": "2022", **args})
    assert response.status_code == 200
    match = re.search(
        r'<script type="application/json" id="chart-data">(.*?)</script>',
        response.get_data(as_text=True),
        re.S,
    )
    assert match
    return json.loads(match.group(1))["day"]


def test_daily_chart_runs_over_the_campaign_days(app, client, db, content):
    # the demo people registered today (long after the Week): the table keeps that day,
    # the chart's axis does not run to it
    assert login(client, "admin@demo.hoctap.vn", "HocTap@2022-admin").status_code == 302
    day = _chart(client)
    assert day["labels"] == CAMPAIGN_DAYS
    assert day["datasets"], "the chart has figures"
    for dataset in day["datasets"]:
        assert len(dataset["data"]) == len(CAMPAIGN_DAYS), dataset["key"]
        assert all(isinstance(v, int) and v >= 0 for v in dataset["data"])
    activities = {d["key"]: d["data"] for d in day["datasets"]}.get("activity_participants")
    assert activities is not None and sum(activities) > 0  # the demo week's activities


def test_daily_chart_follows_the_date_filter(app, client, db, content):
    assert login(client, "admin@demo.hoctap.vn", "HocTap@2022-admin").status_code == 302
    day = _chart(client, **{"from": "2022-10-21", "to": "2022-10-23"})
    assert day["labels"] == ["21/10/2022", "22/10/2022", "23/10/2022"]
