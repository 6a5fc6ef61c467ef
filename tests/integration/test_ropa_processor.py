"""``privaat ropa --processor`` (L74, GDPR art. 30(2)) and ``privaat ropa --vendors`` (L19),
and the vendor register in the art. 30(1) HTML page, through the real CLI."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from privaat.cli import app
from privaat.settings import default_policy_file

runner = CliRunner()
SHIPPED = default_policy_file()
SHOP = SHIPPED.parent / "webwinkel-voorbeeld.yaml"


def _run(*arguments: str) -> Result:
    result = runner.invoke(app, list(arguments))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result


def test_l74_ropa_processor_json_has_a_record_per_hosted_service() -> None:
    result = _run("ropa", "--processor", "--policy", str(SHIPPED), "--format", "json")

    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)
    assert [r["service_id"] for r in records] == ["hosting", "email", "pbx"]
    pbx = records[2]
    assert pbx["controllers"] == (
        "The business customers who take the telephone exchange; each customer is the "
        "controller of the calls, voicemail and recordings of its extensions."
    )
    assert pbx["processing"] == (
        "connecting and forwarding calls as the customer sets them up; storing voicemail "
        "and, where the customer turns it on, call recordings; call logs for the customer"
    )
    assert "activity_id" not in pbx  # not the art. 30(1) register


def test_l74_ropa_processor_csv_in_dutch_keeps_crlf_and_its_columns(tmp_path: Path) -> None:
    output = tmp_path / "processor.csv"
    result = _run(
        "ropa", "--processor", "--policy", str(SHIPPED), "--lang", "nl", "-o", str(output)
    )

    assert result.exit_code == 0, result.output
    raw = output.read_bytes()
    assert raw.count(b"\r\n") >= 4 and b"\n" not in raw.replace(b"\r\n", b"")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8"))))
    assert [r["service"] for r in rows] == [
        "Webhosting en servers",
        "E-mail en webmail",
        "VoIP-telefooncentrale (PBX)",
    ]
    assert rows[1]["transfers"] == "geen doorgifte naar derde landen"
    assert list(rows[0])[:4] == ["service_id", "service", "description", "processor"]


def test_l74_ropa_processor_html_labels_each_column_with_its_letter_of_art_30_2() -> None:
    result = _run("ropa", "--processor", "--policy", str(SHIPPED), "--format", "html")

    assert result.exit_code == 0, result.output
    page = result.stdout
    assert "Record of processing of Flexibelt as a processor (GDPR art. 30(2))" in page
    for field, letter in (("controllers", "a"), ("processing", "b"), ("transfers", "c")):
        head = re.search(rf'<th scope="col" data-field="{field}">(.*?)</th>', page, re.S)
        assert head is not None and f"GDPR art. 30(2)({letter})" in head.group(1)
    # the processor is stated once, above the table
    assert page.count('<dd data-field="processor">') == 1
    assert page.count('<th scope="row" data-field="service">') == 3


def test_l74_a_provider_that_processes_for_nobody_gets_an_empty_record_and_is_told() -> None:
    result = _run("ropa", "--processor", "--policy", str(SHOP), "--format", "json")

    assert result.exit_code == 0
    assert json.loads(result.stdout) == []
    assert "declares no processor_services" in result.stderr


def test_l19_ropa_vendors_lists_every_vendor_with_agreement_and_transfer() -> None:
    result = _run("ropa", "--vendors", "--policy", str(SHIPPED), "--format", "json")

    assert result.exit_code == 0, result.output
    vendors = {v["recipient_id"]: v for v in json.loads(result.stdout)}
    assert {"sisow", "paypal", "google_analytics", "email_service", "carriers"} <= set(vendors)
    assert vendors["google_analytics"]["agreement"] == (
        "Google Ads-verwerkersvoorwaarden (Google Ads Data Processing Terms), met SCC's"
    )
    assert "to Google LLC (US)" in vendors["google_analytics"]["transfers"]


def test_l19_ropa_vendors_html_in_dutch_heads_each_row_with_the_vendor() -> None:
    result = _run("ropa", "--vendors", "--policy", str(SHIPPED), "--format", "html", "--lang", "nl")

    assert result.exit_code == 0, result.output
    page = result.stdout
    assert "<h1>Verwerkers en andere leveranciers van Flexibelt (AVG art. 28, 44-46)</h1>" in page
    assert '<th scope="row" data-field="vendor">Sisow B.V.</th>' in page
    assert '<th scope="col" data-field="agreement">Overeenkomst (AVG art. 28, 26)' in page


def test_l19_the_art_30_1_register_names_each_activitys_processors_and_transfers() -> None:
    rows = json.loads(_run("ropa", "--policy", str(SHIPPED), "--format", "json").stdout)
    analytics = next(r for r in rows if r["activity_id"] == "website_analytics")

    assert analytics["processor_agreements"].startswith("Google Ireland Limited")
    assert "Google LLC (US)" in analytics["transfers"]


@pytest.mark.parametrize("fmt", ["csv", "json", "html"])
def test_l19_the_second_provider_has_its_own_vendors(fmt: str) -> None:
    result = _run("ropa", "--vendors", "--policy", str(SHOP), "--format", fmt)

    assert result.exit_code == 0, result.output
    assert "Mollie B.V." in result.stdout
    assert "Sisow" not in result.stdout


def test_ropa_processor_and_vendors_together_is_refused_with_exit_2() -> None:
    result = _run("ropa", "--processor", "--vendors", "--policy", str(SHIPPED))

    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "privaat: --processor and --vendors: choose one of the two records"
    )
    assert result.stdout == ""
