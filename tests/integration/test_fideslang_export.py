"""``privaat policy export --to fideslang``: the shipped policy and the smallest valid policy,
exported through the CLI and read back by the real ``fideslang`` package as Fides would."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from fideslang.default_taxonomy import DEFAULT_TAXONOMY
from fideslang.manifests import ingest_manifests
from fideslang.models import Organization, System, Taxonomy
from fideslang.parse import load_manifests_into_taxonomy
from fideslang.relationships import get_referenced_missing_keys
from typer.testing import CliRunner

from privaat.cli import app
from privaat.policy.loader import load_policy_file
from privaat.settings import Settings

FIXTURE = Path(__file__).parents[1] / "unit" / "policy" / "fixtures" / "minimal_policy.yaml"
SECOND_PROVIDER = Path(__file__).parents[2] / "policies" / "webwinkel-voorbeeld.yaml"
runner = CliRunner()


def _live_keys(resources: list[Any]) -> set[str]:
    return {r.fides_key for r in resources if not r.version_deprecated}


def _export(*args: str | Path) -> Any:
    return runner.invoke(app, ["policy", "export", "--to", "fideslang", *map(str, args)])


def _policy_files() -> list[Any]:
    return [
        pytest.param(Settings().policy_file, id="shipped-policy"),
        pytest.param(FIXTURE, id="minimal-policy"),
        pytest.param(SECOND_PROVIDER, id="another-providers-policy"),
    ]


@pytest.mark.parametrize("policy_file", _policy_files())
def test_export_is_a_fideslang_manifest_fides_can_load(policy_file: Path, tmp_path: Path) -> None:
    manifest_file = tmp_path / "privaat.yml"
    result = _export("--policy", policy_file, "--output", manifest_file)
    assert result.exit_code == 0, result.output
    # fideslang's own manifest path: read the file, validate every resource with its model
    taxonomy = load_manifests_into_taxonomy(ingest_manifests(str(manifest_file)))
    assert [o.fides_key for o in taxonomy.organization] == [
        taxonomy.system[0].organization_fides_key
    ]
    # every key a resource references resolves in the default taxonomy plus the export
    merged = Taxonomy(
        data_category=DEFAULT_TAXONOMY.data_category,
        data_use=DEFAULT_TAXONOMY.data_use,
        data_subject=DEFAULT_TAXONOMY.data_subject,
        organization=[*DEFAULT_TAXONOMY.organization, *taxonomy.organization],
        system=taxonomy.system,
    )
    assert get_referenced_missing_keys(merged) == set()


@pytest.mark.parametrize("policy_file", _policy_files())
def test_each_activity_is_one_privacy_declaration_with_live_taxonomy_keys(
    policy_file: Path,
) -> None:
    policy = load_policy_file(policy_file)
    result = _export("--policy", policy_file, "--format", "json")
    assert result.exit_code == 0, result.output
    manifest = json.loads(result.stdout)
    Organization.model_validate(manifest["organization"][0])
    (system,) = [System.model_validate(s) for s in manifest["system"]]
    declarations = {d.name: d for d in system.privacy_declarations}
    assert len(system.privacy_declarations) == len(policy.activities)
    # which declaration is which activity: by id, through the system's meta
    assert system.meta is not None
    named = system.meta["privaat"]["activities"]
    assert list(named) == [a.id for a in policy.activities]
    assert set(named.values()) == set(declarations)
    uses = _live_keys(DEFAULT_TAXONOMY.data_use)
    categories = _live_keys(DEFAULT_TAXONOMY.data_category)
    subjects = _live_keys(DEFAULT_TAXONOMY.data_subject)
    for activity in policy.activities:
        declaration = declarations[named[activity.id]]
        assert declaration.name == activity.name.en
        assert declaration.data_use in uses
        assert set(declaration.data_categories) <= categories
        assert declaration.data_subjects and set(declaration.data_subjects) <= subjects
        fides = {policy.category(c).fides for c in activity.data_categories}
        assert set(declaration.data_categories) == fides
        if activity.fides_data_use is not None:
            assert declaration.data_use == activity.fides_data_use


def test_shipped_policy_names_the_controller_and_no_dpo_it_has_not_appointed() -> None:
    policy = load_policy_file(Settings().policy_file)
    result = _export()  # the configured policy file by default
    assert result.exit_code == 0, result.output
    manifest = yaml.safe_load(result.stdout)
    organization = Organization.model_validate(manifest["organization"][0])
    assert organization.controller is not None
    assert organization.controller.name == policy.controller.name
    # art. 37(1): Flexibelt appoints no DPO, so the export names none; its privacy contact is
    # the system's "official privacy contact address"
    assert policy.data_protection_officer is not None
    assert policy.data_protection_officer.appointed is False
    assert organization.data_protection_officer is None
    assert "No data protection officer is appointed" in (organization.description or "")
    system = System.model_validate(manifest["system"][0])
    assert system.dpo == policy.privacy_contact.email == "euprivacy@flexibelt.nl"


def test_shipped_policy_exports_the_google_analytics_transfer_and_the_cookies() -> None:
    analytics = load_policy_file(Settings().policy_file).activity("website_analytics")
    result = _export("--format", "json")
    assert result.exit_code == 0, result.output
    system = System.model_validate(json.loads(result.stdout)["system"][0])
    # art. 45 DPF for Google LLC, with SCCs (art. 46(2)(c)) behind it
    assert system.does_international_transfers is True
    assert {"Adequacy Decision", "SCCs"} <= set(system.legal_basis_for_transfers)
    assert system.uses_cookies is True
    assert system.meta is not None
    cookies = system.meta["privaat"]["cookies"]
    assert [c["name"] for c in cookies["website_analytics"]] == [c.name for c in analytics.cookies]
    assert [c["name"] for c in cookies["website_analytics"]][0] == "_ga"
    # a third-party cookie names its party by the recipient's real name
    assert {c["party"] for c in cookies["website_analytics"]} == {
        "Google Ireland Limited (Google Analytics, Google Search Console)"
    }
    declaration = {d.name: d for d in system.privacy_declarations}[
        "Website statistics (Google Analytics)"
    ]
    assert declaration.third_parties is not None
    assert "Google LLC (importer, US)" in declaration.third_parties


def test_yaml_and_json_exports_hold_the_same_manifest(tmp_path: Path) -> None:
    assert _export("--policy", FIXTURE, "-o", tmp_path / "m.yaml").exit_code == 0
    assert (
        _export("--policy", FIXTURE, "-o", tmp_path / "m.json", "--format", "json").exit_code == 0
    )
    from_yaml = yaml.safe_load((tmp_path / "m.yaml").read_text(encoding="utf-8"))
    assert json.loads((tmp_path / "m.json").read_text(encoding="utf-8")) == from_yaml


def test_writing_a_file_reports_what_was_written(tmp_path: Path) -> None:
    result = _export("--policy", FIXTURE, "--output", tmp_path / "m.yaml")
    assert result.stdout == ""
    assert "1 organization, 1 system, 3 privacy declarations" in result.stderr


def test_an_activity_without_a_fideslang_data_use_exits_1_naming_it(tmp_path: Path) -> None:
    data = yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))
    data["activities"][0]["purposes"] = ["dpv:ProtectionOfIPR"]  # valid DPV, no fideslang use
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    result = _export("--policy", policy_file)
    assert result.exit_code == 1
    assert "cannot export to fideslang" in result.stderr
    assert "activity 'account'" in result.stderr and "dpv:ProtectionOfIPR" in result.stderr
    assert result.stdout == ""


def test_an_invalid_policy_exits_1_listing_its_problems(tmp_path: Path) -> None:
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text("policy: {}\n", encoding="utf-8")
    result = _export("--policy", policy_file)
    assert result.exit_code == 1
    assert (
        "is not a valid policy" in result.stderr and "controller: field required" in result.stderr
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--policy", "missing.yaml"], "no such file", id="missing-policy"),
        pytest.param(["--policy", FIXTURE, "-o", "no/dir/m.yaml"], "cannot write", id="unwritable"),
    ],
)
def test_file_errors_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    result = _export(*args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_an_unknown_target_is_a_usage_error() -> None:
    result = runner.invoke(app, ["policy", "export", "--to", "ropa"])
    assert result.exit_code == 2
    assert "'ropa'" in result.stderr
