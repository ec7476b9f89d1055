"""The dashboard page, CSV downloads and open-data files."""

import csv
import io
import json

import pytest

from matchmaking.enums import Visibility
from tests.factories import NeedFactory
from tests.factories import ProgrammeFactory


def rows_of(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


def test_dashboard_public_shows_public_figures_only(gap_data, client):
    response = client.get("/gaps/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-chart="heatmap-chart"' in html
    assert (
        'data-row="incident-management-cip" data-column="002" data-value="3 / 1"'
        in (html)
    )
    # The unmet list has the public needs, never the confidential n4.
    assert [i.ref for i in response.context["unmet"].items] == ["n1", "n3", "n6"]
    assert "Need n4" not in html
    assert response.context["curator_scope"] is False


def test_dashboard_curator_scope_and_public_preview(gap_data, client, curator):
    client.force_login(curator)
    html = client.get("/gaps/").content.decode()
    assert 'data-column="002" data-value="4 / 1"' in html
    assert "Need n4" not in html  # counted, never listed
    preview = client.get("/gaps/?view=public")
    assert preview.context["curator_scope"] is False
    assert 'data-column="002" data-value="3 / 1"' in preview.content.decode()


def test_dashboard_filters_change_the_charts(gap_data, client):
    response = client.get("/gaps/?theme=cybercrime&rows=topic&columns=subregion")
    assert response.status_code == 200
    heat = response.context["heat"]
    assert [label.key for label in heat.row_labels][:2] == [
        "cybercrime-legislation",
        "law-enforcement",
    ]
    assert len(heat.column_labels) == 17


def test_dashboard_bad_filter_is_400_with_message(db, client):
    response = client.get("/gaps/?start=january")
    assert response.status_code == 400
    assert "Enter a month as YYYY-MM." in response.content.decode()


def test_heatmap_csv(gap_data, client):
    response = client.get("/gaps/heatmap.csv?theme=incident-management-cip")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="gap-heatmap.csv"'
    rows = rows_of(response)
    assert rows[0] == [
        "theme",
        "theme_name",
        "region",
        "region_name",
        "needs",
        "covered",
        "unmet",
        "programmes",
    ]
    africa = next(row for row in rows if row[2] == "002")
    assert africa[4:] == ["3", "<3", "<3", "1"]
    assert len(rows) == 1 + 5


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "coverage",
            [
                ["group", "needs", "covered", "unmet"],
                ["ldc", "3", "<3", "<3"],
                ["lldc", "0", "0", "0"],
                ["sids", "<3", "0", "<3"],
                ["other", "0", "0", "0"],
            ],
        ),
        (
            "unmet-needs",
            [
                ["ref", "title", "country", "reason", "created_at"],
                ["n1", "Need n1", "SEN", "no_eligible", "2026-01-15T12:00:00+00:00"],
                ["n3", "Need n3", "SEN", "none_relevant", "2026-02-20T12:00:00+00:00"],
                ["n6", "Need n6", "FJI", "no_eligible", "2026-03-12T12:00:00+00:00"],
            ],
        ),
        (
            "timeline",
            [
                ["month", "opened", "matched", "in_delivery", "fulfilled"],
                ["2026-01", "<3", "0", "<3", "0"],
                ["2026-02", "<3", "<3", "0", "0"],
                ["2026-03", "<3", "0", "0", "<3"],
            ],
        ),
    ],
)
def test_statistics_csv(gap_data, client, name, expected):
    assert rows_of(client.get(f"/gaps/{name}.csv")) == expected


def test_providers_and_map_csv(gap_data, client, curator):
    rows = rows_of(client.get("/gaps/providers.csv"))
    assert rows[0] == [
        "stakeholder_group",
        "providers",
        "002",
        "009",
        "019",
        "142",
        "150",
    ]
    assert ["academia", "1", "1", "1", "1", "1", "1"] in rows
    client.force_login(curator)
    rows = rows_of(client.get("/gaps/map.csv"))
    assert ["202", "Sub-Saharan Africa", "5", "3"] in rows


def test_csv_unknown_statistic_is_404_and_bad_filter_400(db, client):
    assert client.get("/gaps/owners.csv").status_code == 404
    response = client.get("/gaps/coverage.csv?region=999")
    assert response.status_code == 400
    assert "region" in response.json()["error"]


def test_open_data_page(db, client):
    html = client.get("/open-data/").content.decode()
    assert "CC BY 4.0" in html
    assert "/api/v1/stats/heatmap/" in html


def test_public_dataset_holds_public_records_only(gap_data, client):
    response = client.get("/open-data/dataset.json")
    assert response["Content-Type"] == "application/json; charset=utf-8"
    document = json.loads(response.content)
    assert document["format"] == "cbm-dataset/1"
    # n4 confidential, n5 registered and n8 draft are left out.
    assert [n["ref"] for n in document["needs"]] == ["n1", "n2", "n3", "n6", "n7"]
    assert {n["visibility"] for n in document["needs"]} == {Visibility.PUBLIC}
    refs = {p["ref"] for p in document["programmes"]}
    assert refs == {gap_data.programmes[k].ref for k in ("p1", "p2", "p4")}
    assert {p["name"] for p in document["providers"]} == {
        "Provider A",
        "Provider B",
        "Provider C",
    }


def test_public_csv_files(gap_data, client):
    needs = rows_of(client.get("/open-data/needs.csv"))
    assert needs[0][:4] == ["ref", "country", "status", "title"]
    assert [row[0] for row in needs[1:]] == ["n1", "n2", "n3", "n6", "n7"]
    assert needs[1][5] == "csirt-establishment"  # topics
    programme = ProgrammeFactory(topics=["awareness", "education"])
    programme.eligible_regions.set(["002", "009"])
    rows = rows_of(client.get("/open-data/programmes.csv"))
    header = rows[0]
    row = next(r for r in rows if r[0] == programme.ref)
    assert row[header.index("topics")] == "awareness;education"
    assert row[header.index("eligible_regions")] == "002;009"
    assert row[header.index("ldc_only")] == "False"
    assert client.get("/open-data/secrets.csv").status_code == 404


def test_dashboard_query_count_does_not_grow(
    gap_data, client, django_assert_max_num_queries
):
    with django_assert_max_num_queries(30) as first:
        client.get("/gaps/")
    for index in range(5):
        NeedFactory(
            ref=f"extra-{index}", member_state=gap_data.needs["n1"].member_state
        )
    with django_assert_max_num_queries(len(first)):
        client.get("/gaps/")


def test_csv_cells_cannot_start_a_formula(gap_data, client):
    from matchmaking.models import Need

    Need.objects.filter(ref="n1").update(title='=HYPERLINK("http://x")')
    rows = rows_of(client.get("/gaps/unmet-needs.csv"))
    assert rows[1][1] == '\'=HYPERLINK("http://x")'
    needs = rows_of(client.get("/open-data/needs.csv"))
    assert needs[1][3] == '\'=HYPERLINK("http://x")'


def test_unmet_needs_are_dated_like_every_other_date(gap_data, client):
    html = client.get("/gaps/").content.decode()
    assert "15 Jan 2026" in html
    assert "2026-01-15" not in html
