"""Loading a policy file: every problem is reported, with its line, and never as a traceback.

Each invalid case is the minimal valid fixture with one small edit, so the test shows
exactly what is wrong. Expected lines are found in the edited text (the line holding a
given snippet), never hard-coded, so editing the fixture cannot make them lie.
"""

from __future__ import annotations

from pathlib import Path, PosixPath
from typing import Any

import pytest
import yaml

from privaat.policy.loader import (
    MAX_POLICY_BYTES,
    MAX_POLICY_NODES,
    PolicyError,
    PolicyProblem,
    PolicyTooLarge,
    load_policy,
    load_policy_file,
    locate,
    read_policy_text,
)
from privaat.policy.schema import LegalBasis
from privaat.policy.validate import Finding

FIXTURE = (Path(__file__).parent / "fixtures" / "minimal_policy.yaml").read_text("utf-8")
SHIPPED = sorted((Path(__file__).parents[3] / "policies").glob("*.yaml"))


def edited(old: str, new: str) -> str:
    """The fixture with its one occurrence of ``old`` replaced by ``new``."""
    assert FIXTURE.count(old) == 1, f"fixture must contain {old!r} exactly once"
    return FIXTURE.replace(old, new)


def line_of(text: str, snippet: str, occurrence: int = 1) -> int:
    """The 1-based number of the line holding the ``occurrence``-th ``snippet``."""
    seen = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if snippet in line:
            seen += 1
            if seen == occurrence:
                return number
    raise AssertionError(f"{snippet!r} not in text")


def problems_of(text: str) -> tuple[PolicyProblem, ...]:
    with pytest.raises(PolicyError) as caught:
        load_policy(text, source="policy.yaml")
    return caught.value.problems


def test_the_minimal_fixture_is_valid() -> None:
    policy = load_policy(FIXTURE)

    assert [a.id for a in policy.activities] == ["account", "newsletter", "newsletter_selection"]
    assert policy.activity("newsletter").legal_basis is LegalBasis.CONSENT


def test_looking_an_activity_up_leaves_the_policy_equal_to_a_fresh_load() -> None:
    # the lookup's cache is no part of the policy: a stored version read back must still
    # equal the running policy (published versions, issue 13 item 3)
    asked, fresh = load_policy(FIXTURE), load_policy(FIXTURE)
    asked.activity("newsletter")

    assert asked == fresh and fresh == asked
    other = fresh.model_copy(update={"activities": fresh.activities[:1]})
    other.activity("account")
    assert other != fresh


def test_problem_reads_as_file_line_activity_path_message() -> None:
    problem = PolicyProblem(
        "policies/x.yaml", 123, "marketing_email", "legal_basis", "field required"
    )

    assert (
        str(problem)
        == "policies/x.yaml:123: activity 'marketing_email': legal_basis: field required"
    )


def test_problem_without_line_or_activity_names_the_file_and_path() -> None:
    problem = PolicyProblem("x.yaml", None, None, "recipients[0].country", "missing")

    assert str(problem) == "x.yaml: recipients[0].country: missing"


# (old, new, snippet on the expected line (occurrence), activity, path, message fragment)
INVALID = [
    pytest.param(
        "    legal_basis: contract\n",
        "",
        ("- id: account", 1),
        "account",
        "legal_basis",
        "field required",
        id="missing-legal-basis",
    ),
    pytest.param(
        "    legal_basis: contract\n",
        "    legal_basis: contract\n    retension: P1Y\n",
        ("retension: P1Y", 1),
        "account",
        "retension",
        "unknown key 'retension' (did you mean 'retention'?)",
        id="unknown-key",
    ),
    pytest.param(
        "    legitimate_interest: {nl: Minder e-mail sturen., en: Sending less e-mail.}\n",
        "",
        ("- id: newsletter_selection", 1),
        "newsletter_selection",
        "",
        "legitimate interest without a 'legitimate_interest' statement",
        id="li-without-statement",
    ),
    pytest.param(
        "      channels: [account_preferences, unsubscribe_link]",
        "      channels: []",
        ("channels: []", 1),
        "newsletter",
        "consent.channels",
        "must not be empty",
        id="consent-without-withdrawal-channel",
    ),
    pytest.param(
        "    retention:\n      starts: account_closure\n      period: P30D\n",
        "",
        ("- id: account", 1),
        "account",
        "retention",
        "field required",
        id="missing-retention",
    ),
    pytest.param(
        "      period: P30D\n    sources: [data_subject]\n    objection:\n      possible: false\n\n"
        "  - id: newsletter\n",
        "      period: 30 days\n    sources: [data_subject]\n    objection:\n"
        "      possible: false\n\n  - id: newsletter\n",
        ("period: 30 days", 1),
        "account",
        "retention.period",
        "'30 days' is not an ISO 8601 period",
        id="retention-period-not-iso",
    ),
    pytest.param(
        "    legal_basis: consent\n",
        "    legal_basis: consnet\n",
        ("legal_basis: consnet", 1),
        "newsletter",
        "legal_basis",
        "(found 'consnet')",
        id="unknown-legal-basis",
    ),
    pytest.param(
        "    country: NL\n",
        "",
        ("- id: mail_service", 1),
        None,
        "recipients[0].country",
        "a processor must name its country (L19)",
        id="processor-without-country",
    ),
    pytest.param(
        "    safeguard: eea\n",
        "",
        ("- id: mail_service", 1),
        None,
        "recipients[0].safeguard",
        "a processor must name its transfer safeguard (L19)",
        id="processor-without-safeguard",
    ),
    pytest.param(
        "    agreement: Verwerkersovereenkomst 2026\n",
        "",
        ("- id: mail_service", 1),
        None,
        "recipients[0].agreement",
        "art. 28(3) agreement",
        id="processor-without-agreement",
    ),
    pytest.param(
        "    country: NL\n",
        "    country: US\n",
        ("safeguard: eea", 1),
        None,
        "recipients[0].safeguard",
        "US is outside the EEA: safeguard 'eea' does not apply (L37)",
        id="l37-processor-outside-eea",
    ),
    pytest.param(
        "  - id: newsletter_selection",
        "  - id: newsletter",
        ("- id: newsletter", 2),
        "newsletter",
        "id",
        "duplicate id 'newsletter' (first at line {first})",
        id="duplicate-activity-id",
    ),
    pytest.param(
        "  - id: preferences\n",
        "  - id: name\n",
        ("- id: name", 2),
        None,
        "data_categories[2].id",
        "duplicate id 'name' (first at line {first})",
        id="duplicate-category-id",
    ),
    pytest.param(
        "    promises: [P2]\n    purposes: [dpv:DirectMarketing]\n    data_categories: [email",
        "    promises: [P4]\n    purposes: [dpv:DirectMarketing]\n    data_categories: [email",
        ("promises: [P4]", 1),
        "newsletter",
        "promises[0]",
        "unknown promise 'P4' (known: P1–P3)",
        id="promise-not-in-the-files-own-catalogue",
    ),
    pytest.param(
        "    data_subjects: [dpv:Customer]\n    legal_basis: contract",
        "    data_subjects: [dpv:Visitor, dpv:User]\n    legal_basis: contract",
        ("legal_basis: contract", 1),
        "account",
        "legal_basis",
        "art. 6(1)(b): contract is a basis only toward a party to the contract, and the data "
        "subjects (dpv:Visitor, dpv:User) hold no contract with the controller: use another "
        "basis (EDPB 2/2019; L88)",
        id="l88-contract-toward-visitors-and-users",
    ),
    pytest.param(
        "    purposes: [dpv:AccountManagement]",
        "    purposes: [dpv:AccountManagment]",
        ("dpv:AccountManagment", 1),
        "account",
        "purposes[0]",
        "unknown DPV purpose 'dpv:AccountManagment' (did you mean 'dpv:AccountManagement'?)",
        id="unknown-dpv-purpose",
    ),
    pytest.param(
        "    dpv: pd:Name\n",
        "    dpv: pd:FullName\n",
        ("pd:FullName", 1),
        None,
        "data_categories[0].dpv",
        "unknown DPV data category 'pd:FullName'",
        id="unknown-pd-category",
    ),
    pytest.param(
        "    data_categories: [name, email_address]",
        "    data_categories: [name, email]",
        ("data_categories: [name, email]", 1),
        "account",
        "data_categories[1]",
        "unknown data category 'email' (did you mean 'email_address'?)",
        id="unknown-category-reference",
    ),
    pytest.param(
        "    legal_basis: contract\n",
        "    legal_basis: contract\n    legal_basis: consent\n",
        ("legal_basis:", 2),
        "account",
        "legal_basis",
        "duplicate key 'legal_basis' (first at line {first})",
        id="duplicate-yaml-key",
    ),
    pytest.param(
        "  version: 1\n",
        "\tversion: 1\n",
        ("\tversion: 1", 1),
        None,
        "",
        "YAML syntax error: found character '\\t' that cannot start any token",
        id="tab-indentation",
    ),
    pytest.param(
        "  version: 1\n",
        "  version: 1: 2\n",
        ("version: 1: 2", 1),
        None,
        "",
        "YAML syntax error: mapping values are not allowed here",
        id="yaml-syntax-error",
    ),
    pytest.param(
        "  id: example\n",
        "  id: example\n  <<: {version: 2}\n",
        ("<<:", 1),
        None,
        "policy",
        "merge keys ('<<') are not supported",
        id="merge-key",
    ),
]


@pytest.mark.parametrize(("old", "new", "at", "activity", "path", "message"), INVALID)
def test_an_invalid_policy_names_the_problem_and_its_line(
    old: str, new: str, at: tuple[str, int], activity: str | None, path: str, message: str
) -> None:
    text = edited(old, new)
    expected_line = line_of(text, *at)
    if "{first}" in message:  # the first of two duplicates: the same snippet's first line
        message = message.format(first=line_of(text, at[0], 1))

    problems = problems_of(text)

    matching = [p for p in problems if message in p.message]
    assert matching, f"no problem says {message!r}: {[str(p) for p in problems]}"
    problem = matching[0]
    assert (problem.line, problem.activity, problem.path) == (expected_line, activity, path)
    assert problem.source == "policy.yaml"


def test_all_problems_are_reported_not_just_the_first() -> None:
    text = edited("    legal_basis: contract\n", "    legal_bases: contract\n")

    problems = problems_of(text)

    assert [(p.path, p.message) for p in problems] == [
        ("legal_basis", "field required"),
        ("legal_bases", "unknown key 'legal_bases' (did you mean 'legal_basis'?)"),
    ]


def test_cross_check_problems_of_several_activities_come_together_in_line_order() -> None:
    text = edited("    purposes: [dpv:AccountManagement]", "    purposes: [dpv:Nonsense]")
    text = text.replace("    dpv: pd:Name\n", "    dpv: pd:Nonsense\n")

    problems = problems_of(text)

    assert [p.line for p in problems] == sorted(p.line or 0 for p in problems)
    assert {p.path for p in problems} == {"data_categories[0].dpv", "purposes[0]"}


def test_consent_based_activity_without_a_consent_block_is_refused() -> None:
    start = FIXTURE.index("    consent:\n")
    end = FIXTURE.index("    objection:\n", start)
    text = FIXTURE[:start] + FIXTURE[end:]

    problems = problems_of(text)

    assert [(p.line, p.activity, p.message) for p in problems] == [
        (
            line_of(text, "- id: newsletter"),
            "newsletter",
            "consent-based activity without a 'consent' block (withdrawal path)",
        )
    ]


def test_a_promise_kept_by_no_activity_is_reported_at_its_catalogue_entry() -> None:
    text = FIXTURE.replace("    promises: [P2]\n", "    promises: [P1]\n")

    problems = problems_of(text)

    assert [(p.line, p.path) for p in problems] == [(line_of(text, "{id: P2,"), "promises[1]")]
    assert problems[0].message.startswith("promise P2 (The newsletter only with consent)")


def test_locate_points_findings_about_a_loaded_policy_at_their_lines() -> None:
    finding = Finding(("activities", 1, "consent", "version"), "raise it")

    (problem,) = locate([finding], FIXTURE, source="new.yaml")

    assert (problem.source, problem.activity, problem.path) == (
        "new.yaml",
        "newsletter",
        "consent.version",
    )
    # the fixture's consent block has no version key: the nearest line present is shown
    assert problem.line == line_of(FIXTURE, "    consent:")


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        pytest.param("", 1, "the policy file is empty", id="empty"),
        pytest.param("# only a comment\n", 1, "the policy file is empty", id="only-comment"),
        pytest.param(
            "- policy\n- controller\n", 1, "the top level must be a mapping", id="top-level-list"
        ),
        pytest.param("just text\n", 1, "the top level must be a mapping", id="top-level-scalar"),
        pytest.param("a: 1\n---\nb: 2\n", 2, "expected a single document", id="two-documents"),
        pytest.param("a: b\nc: \x00\n", 2, "unacceptable character #x0000", id="nul-character"),
        pytest.param("a: &x [*x]\n", 1, "an alias that contains itself", id="recursive-alias"),
        pytest.param(
            "a: !!python/object:os.system x\n", 1, "cannot read this value", id="unsafe-tag"
        ),
        pytest.param("1: x\n", 1, "a key must be text, not 1", id="number-as-key"),
    ],
)
def test_malformed_yaml_is_a_policy_error_with_its_line(text: str, line: int, message: str) -> None:
    problems = problems_of(text)

    assert len(problems) == 1
    assert problems[0].line == line
    assert message in problems[0].message


def test_norway_stays_a_country_code_not_false() -> None:
    # YAML 1.1 reads NO as false; the loader uses YAML 1.2 booleans so "NO" stays text
    policy = load_policy(edited("    country: NL\n", "    country: NO\n"))

    assert policy.recipient("mail_service").country == "NO"


def test_a_problem_error_message_lists_every_problem() -> None:
    text = edited("    legal_basis: contract\n", "    legal_bases: contract\n")

    with pytest.raises(PolicyError) as caught:
        load_policy(text, source="policy.yaml")

    assert str(caught.value).splitlines() == [str(p) for p in caught.value.problems]


def test_load_policy_file_names_the_file_in_each_problem(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(edited("    legal_basis: contract\n", ""), "utf-8")

    with pytest.raises(PolicyError) as caught:
        load_policy_file(path)

    assert str(caught.value.problems[0]).startswith(f"{path}:")


def test_load_policy_file_reports_text_that_is_not_utf8_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"policy:\n  id: caf\xe9\n")

    with pytest.raises(PolicyError) as caught:
        load_policy_file(path)

    assert [(p.line, p.message) for p in caught.value.problems] == [
        (2, "not UTF-8 text (invalid continuation byte)")
    ]


def test_load_policy_file_accepts_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + FIXTURE.encode("utf-8"))

    assert load_policy_file(path).policy.id == "example"


def test_a_missing_file_raises_the_os_error_unchanged(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_policy_file(tmp_path / "nowhere.yaml")


def laughs(levels: int, width: int = 10) -> str:
    """A "billion laughs" document: each level an anchored list of ``width`` aliases to the last."""
    lines = [f"l0: &l0 [{', '.join(['lol'] * width)}]"]
    for level in range(1, levels):
        lines.append(f"l{level}: &l{level} [{', '.join([f'*l{level - 1}'] * width)}]")
    return "\n".join(lines) + "\n"


def test_item9_aliases_that_expand_past_the_node_limit_are_refused_as_too_large() -> None:
    # 10^5 leaves and 11,111 lists once expanded: just past the limit, from 300 bytes
    text = laughs(levels=5)
    assert len(text) < 400

    with pytest.raises(PolicyTooLarge) as caught:
        load_policy(text, source="laughs.yaml")

    assert caught.value.reason == (
        f"the policy has more than {MAX_POLICY_NODES:,} YAML nodes (an alias counts at each "
        "use), the most a policy file may hold"
    )
    assert [str(p) for p in caught.value.problems] == [f"laughs.yaml: {caught.value.reason}"]


def test_item9_aliases_within_the_limit_still_load_to_the_schema_check() -> None:
    problems = problems_of(laughs(levels=3))

    assert not any("YAML nodes" in problem.message for problem in problems)


def test_item9_a_million_tiny_values_stop_at_the_node_limit_without_aliases() -> None:
    text = "policy: [" + "a," * (MAX_POLICY_NODES + 1) + "]\n"

    with pytest.raises(PolicyTooLarge) as caught:
        load_policy(text)

    assert "YAML nodes" in caught.value.reason


def test_item9_text_longer_than_the_size_limit_is_refused_before_it_is_parsed() -> None:
    with pytest.raises(PolicyTooLarge) as caught:
        load_policy("#" * (MAX_POLICY_BYTES + 1), source="huge.yaml")

    assert caught.value.reason == "the policy is larger than 2 MiB, the most a policy file may be"


def test_item9_a_file_past_the_size_limit_is_read_no_further_than_the_limit(
    tmp_path: Path,
) -> None:
    read: list[int] = []

    class CountingPath(PosixPath):
        """A path whose file counts the bytes read from it (``read_bytes`` opens it too)."""

        def open(self, *args: Any, **kwargs: Any) -> Any:
            file = super().open(*args, **kwargs)
            original = file.read

            def counted(*read_args: Any) -> Any:
                data = original(*read_args)
                read.append(len(data))
                return data

            file.read = counted
            return file

    path = tmp_path / "big.yaml"
    with path.open("wb") as file:
        file.truncate(4 * MAX_POLICY_BYTES)  # sparse: costs no disk

    with pytest.raises(PolicyTooLarge) as caught:
        read_policy_text(CountingPath(path))

    assert sum(read) == MAX_POLICY_BYTES + 1
    assert caught.value.reason == "the file is larger than 2 MiB, the most a policy file may be"
    assert str(caught.value) == f"{path}: {caught.value.reason}"


def test_item9_a_policy_too_large_is_a_policy_error_so_every_caller_reports_it() -> None:
    assert issubclass(PolicyTooLarge, PolicyError)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.name)
def test_item9_the_limits_leave_the_shipped_policies_tenfold_room(path: Path) -> None:
    text = path.read_text("utf-8")
    nodes, pending = 0, [yaml.compose(text, Loader=yaml.SafeLoader)]
    while pending:
        node = pending.pop()
        nodes += 1
        if isinstance(node, yaml.SequenceNode):
            pending.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            pending.extend(part for pair in node.value for part in pair)

    assert len(text.encode()) * 10 < MAX_POLICY_BYTES
    assert nodes * 10 < MAX_POLICY_NODES
    assert load_policy_file(path).activities
