"""``privaat policy check FILE``: exit 0 with a summary, 1 with every problem, 2 when unreadable."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from privaat.cli import app

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "policies" / "flexibelt.yaml"
SECOND_PROVIDER = ROOT / "policies" / "webwinkel-voorbeeld.yaml"
FIXTURE = ROOT / "tests" / "unit" / "policy" / "fixtures" / "minimal_policy.yaml"

runner = CliRunner()


def test_the_shipped_policy_checks_clean_with_a_one_line_summary() -> None:
    result = runner.invoke(app, ["policy", "check", str(SHIPPED)])

    assert result.exit_code == 0, result.stderr
    assert result.stdout.count("\n") == 1
    assert result.stdout.startswith(f"{SHIPPED}: valid — ")
    assert "activities" in result.stdout and "recipients" in result.stdout
    assert result.stderr == ""


def test_another_providers_policy_checks_clean_against_its_own_promises() -> None:
    result = runner.invoke(app, ["policy", "check", str(SECOND_PROVIDER)])

    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"{SECOND_PROVIDER}: valid — 15 activities")


def test_l88_contract_toward_visitors_only_exits_1_at_the_legal_basis_line(tmp_path: Path) -> None:
    text = FIXTURE.read_text("utf-8")
    visitors = "    data_subjects: [dpv:Visitor]\n    legal_basis: contract\n"
    broken = text.replace(
        "    data_subjects: [dpv:Customer]\n    legal_basis: contract\n", visitors
    )
    path = tmp_path / "visitors.yaml"
    path.write_text(broken, "utf-8")
    basis_line = broken.splitlines().index("    legal_basis: contract") + 1

    result = runner.invoke(app, ["policy", "check", str(path)])

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{path}:{basis_line}: activity 'account': legal_basis: art. 6(1)(b): contract is a "
        "basis only toward a party to the contract, and the data subjects (dpv:Visitor) hold "
        "no contract with the controller: use another basis (EDPB 2/2019; L88)",
        f"{path}: invalid — 1 problem",
    ]


def test_a_broken_policy_exits_1_with_each_problem_on_its_own_line(tmp_path: Path) -> None:
    text = FIXTURE.read_text("utf-8")
    broken = text.replace("    purposes: [dpv:AccountManagement]", "    purposes: [dpv:Accounts]")
    broken = broken.replace("    dpv: pd:Name\n", "    dpv: pd:FullName\n")
    path = tmp_path / "broken.yaml"
    path.write_text(broken, "utf-8")
    lines = broken.splitlines()
    category_line = lines.index("    dpv: pd:FullName") + 1
    purpose_line = lines.index("    purposes: [dpv:Accounts]") + 1

    result = runner.invoke(app, ["policy", "check", str(path)])

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"{path}:{category_line}: data_categories[0].dpv: unknown DPV data category "
        "'pd:FullName' (did you mean 'pd:Name'?)",
        f"{path}:{purpose_line}: activity 'account': purposes[0]: unknown DPV purpose "
        "'dpv:Accounts' (did you mean 'dpv:AccountManagement'?)",
        f"{path}: invalid — 2 problems",
    ]


def test_a_schema_error_names_the_activity_and_the_missing_field(tmp_path: Path) -> None:
    broken = FIXTURE.read_text("utf-8").replace("    legal_basis: contract\n", "")
    path = tmp_path / "no-basis.yaml"
    path.write_text(broken, "utf-8")
    activity_line = broken.splitlines().index("  - id: account") + 1

    result = runner.invoke(app, ["policy", "check", str(path)])

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{path}:{activity_line}: activity 'account': legal_basis: field required",
        f"{path}: invalid — 1 problem",
    ]


def test_malformed_yaml_exits_1_with_the_line_and_no_traceback(tmp_path: Path) -> None:
    path = tmp_path / "tabs.yaml"
    path.write_text("policy:\n\tid: x\n", "utf-8")

    result = runner.invoke(app, ["policy", "check", str(path)])

    assert result.exit_code == 1
    assert result.stderr.startswith(f"{path}:2: YAML syntax error")
    assert "Traceback" not in result.output


def test_a_missing_file_exits_2_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"

    result = runner.invoke(app, ["policy", "check", str(path)])

    assert result.exit_code == 2
    assert result.stderr == f"{path}: cannot read the policy file: No such file or directory\n"


def test_a_directory_exits_2_not_with_a_traceback(tmp_path: Path) -> None:
    result = runner.invoke(app, ["policy", "check", str(tmp_path)])

    assert result.exit_code == 2
    assert "cannot read the policy file" in result.stderr


def test_the_command_checks_the_shipped_policy_in_a_fresh_process() -> None:
    main = "from privaat.cli import main; main()"
    completed = subprocess.run(
        [sys.executable, "-c", main, "policy", "check", str(SHIPPED)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )

    assert completed.returncode == 0, completed.stderr
    assert "valid —" in completed.stdout


# a fresh process with 1 GiB of address space: a loader that expanded the aliases or read the
# whole file would die of MemoryError (rc 1, a traceback) instead of taking the machine down
_LIMITED_MAIN = (
    "import resource; resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30)); "
    "from privaat.cli import main; main()"
)


def check_in_a_fresh_process(path: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    completed = subprocess.run(
        [sys.executable, "-c", _LIMITED_MAIN, "policy", "check", str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    return completed, time.monotonic() - started


def billion_laughs() -> str:
    """The classic: nine levels of ten aliases, 10^9 strings from a few hundred bytes."""
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 9):
        lines.append(f"a{level}: &a{level} [{', '.join([f'*a{level - 1}'] * 10)}]")
    return "\n".join(lines) + "\n"


def test_item9_billion_laughs_exits_2_quickly_with_a_message(tmp_path: Path) -> None:
    path = tmp_path / "laughs.yaml"
    path.write_text(billion_laughs(), "utf-8")
    assert path.stat().st_size < 1024

    completed, seconds = check_in_a_fresh_process(path)

    assert completed.returncode == 2, completed.stderr[-2000:]
    assert completed.stderr == (
        f"{path}: cannot read the policy file: the policy has more than 100,000 YAML nodes "
        "(an alias counts at each use), the most a policy file may hold\n"
    )
    assert completed.stdout == ""
    assert seconds < 60


def test_item9_an_oversized_file_exits_2_without_being_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("wb") as file:
        file.truncate(4 << 30)  # 4 GiB, sparse: reading it whole would pass the 1 GiB limit

    completed, seconds = check_in_a_fresh_process(path)

    assert completed.returncode == 2, completed.stderr[-2000:]
    assert completed.stderr == (
        f"{path}: cannot read the policy file: the file is larger than 2 MiB, "
        "the most a policy file may be\n"
    )
    assert seconds < 60


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_item9_dev_zero_exits_2_without_a_traceback() -> None:
    completed, _seconds = check_in_a_fresh_process(Path("/dev/zero"))

    assert completed.returncode == 2, completed.stderr[-2000:]
    assert "Traceback" not in completed.stderr
    assert completed.stderr.startswith("/dev/zero: cannot read the policy file: the file is larger")


def test_item9_a_policy_too_large_is_reported_in_process_too(tmp_path: Path) -> None:
    path = tmp_path / "laughs.yaml"
    path.write_text(billion_laughs(), "utf-8")

    result = runner.invoke(app, ["policy", "check", str(path)])

    assert result.exit_code == 2
    assert result.stderr.startswith(f"{path}: cannot read the policy file: the policy has more")
