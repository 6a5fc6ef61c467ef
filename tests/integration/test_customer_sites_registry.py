"""Issue 14 item 7: hosting customers' site files through ``privaat sites`` on both databases.

A scope is declared from a validated file in one transaction; a domain already in another
customer's scope, or any fault of the file, is a clear error naming it, and nothing is stored."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from privaat.bootstrap import Context, bootstrap
from privaat.cli import app
from privaat.settings import Settings
from privaat.store.crypto import MasterKey
from privaat.store.master_key import write_master_key_file
from privaat.store.tables import audit_log
from privaat.store.tables_sites import site_domains, site_scopes

runner = CliRunner()


@pytest.fixture
def shell(monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path) -> Iterator[Context]:
    key_file = tmp_path / "master.key"
    write_master_key_file(key_file, MasterKey.generate())
    monkeypatch.setenv("PRIVAAT_DATABASE_URL", database_url)
    monkeypatch.setenv("PRIVAAT_MODE", "production")
    monkeypatch.setenv("PRIVAAT_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("PRIVAAT_MASTER_KEY_FILE", str(key_file))
    monkeypatch.delenv("PRIVAAT_MASTER_KEY", raising=False)
    context = bootstrap(Settings(), run_migrations=False)
    yield context
    context.close()


def _run(*arguments: str) -> Result:
    result = runner.invoke(app, list(arguments))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result


def _count(context: Context, table: Any) -> int:
    with context.engine.connect() as connection:
        value: int = connection.execute(select(func.count()).select_from(table)).scalar_one()
    return value


def site(customer: str, *domains: str, **changes: Any) -> dict[str, Any]:
    text = {"nl": f"Statistieken van {customer}", "en": f"Statistics of {customer}"}
    return {
        "customer": customer,
        "name": f"{customer} B.V.",
        "privacy_url": f"https://{domains[0]}/privacy",
        "domains": list(domains),
        "categories": [
            {"id": "analytics", "name": text, "purpose": text, "request": text,
             "companies": ["Google Ireland Limited"], "cookies": ["_ga"]},
        ],
        **changes,
    }  # fmt: skip


def write(tmp_path: Path, data: dict[str, Any], name: str = "site.yaml") -> str:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return str(path)


def test_issue14_item7_a_site_file_declares_a_scope_with_its_domains(
    shell: Context, tmp_path: Path
) -> None:
    done = _run("sites", "add", write(tmp_path, site("bakkerij-a", "a1.example", "A2.example.")))
    assert done.exit_code == 0, done.output
    assert "bakkerij-a: 2 domains, 1 categories" in done.output
    listed = [json.loads(line) for line in _run("sites", "list", "--json").output.splitlines()]
    assert [(s["customer"], s["domains"]) for s in listed] == [
        ("bakkerij-a", ["a1.example", "a2.example"])
    ]
    shown = _run("sites", "show", "bakkerij-a").output
    assert "domains: a1.example, a2.example" in shown and "category analytics" in shown
    with shell.unit_of_work() as uow:
        scope = shell.sites.resolve(uow, "A2.EXAMPLE:443")
    assert scope is not None and scope.customer == "bakkerij-a"
    with shell.engine.connect() as connection:
        actions = connection.execute(select(audit_log.c.action)).scalars().all()
    assert "sites.declared" in actions


def test_issue14_item7_a_domain_claimed_by_two_customers_is_refused_and_nothing_stored(
    shell: Context, tmp_path: Path
) -> None:
    assert _run("sites", "add", write(tmp_path, site("bakkerij-a", "a1.example"))).exit_code == 0
    before = (_count(shell, site_scopes), _count(shell, site_domains))
    claim = write(
        tmp_path, site("fietsen-b", "b1.example", "WWW.b1.example", "a1.example"), "b.yaml"
    )
    refused = _run("sites", "add", claim)
    assert refused.exit_code == 1
    assert "a1.example (customer 'bakkerij-a')" in refused.output
    assert "nothing was stored" in refused.output
    # all or nothing: not even B's own free domains are stored
    assert (_count(shell, site_scopes), _count(shell, site_domains)) == before
    with shell.unit_of_work() as uow:
        assert shell.sites.resolve(uow, "b1.example") is None
        scope = shell.sites.resolve(uow, "a1.example")
    assert scope is not None and scope.customer == "bakkerij-a"


def test_issue14_item7_a_customer_is_declared_once_unless_replaced(
    shell: Context, tmp_path: Path
) -> None:
    first = write(tmp_path, site("bakkerij-a", "a1.example", "a2.example"))
    assert _run("sites", "add", first).exit_code == 0
    again = _run("sites", "add", first)
    assert again.exit_code == 1 and "--replace" in again.output
    moved = write(tmp_path, site("bakkerij-a", "a1.example", "a3.example"), "moved.yaml")
    assert _run("sites", "add", moved, "--replace").exit_code == 0
    with shell.unit_of_work() as uow:
        assert shell.sites.resolve(uow, "a2.example") is None
        assert shell.sites.resolve(uow, "a3.example") is not None
    assert _count(shell, site_scopes) == 1


@pytest.mark.parametrize(
    ("data", "says"),
    [
        pytest.param(site("bakkerij-a", "192.0.2.7"), "domains: '192.0.2.7' is an IP address",
                     id="address"),
        pytest.param(site("bakkerij-a", "a1.example", "a1.example"), "domains: listed twice",
                     id="twice"),
        pytest.param(site("Bakkerij A", "a1.example"), "customer:", id="customer-id"),
        pytest.param({**site("bakkerij-a", "a1.example"), "owner": "x"}, "owner: Extra inputs",
                     id="unknown-field"),
        pytest.param(site("bakkerij-a", "a1.example", categories=[]), "categories:",
                     id="no-categories"),
    ],
)  # fmt: skip
def test_issue14_item7_a_bad_site_file_is_a_clear_error_and_nothing_is_stored(
    shell: Context, tmp_path: Path, data: dict[str, Any], says: str
) -> None:
    path = write(tmp_path, data)
    refused = _run("sites", "add", path)
    assert refused.exit_code == 1
    assert f"{path}: {says}" in refused.output, refused.output
    assert (_count(shell, site_scopes), _count(shell, site_domains)) == (0, 0)


@pytest.mark.parametrize(
    ("text", "code", "says"),
    [
        pytest.param(None, 2, "cannot be read", id="missing"),
        pytest.param("customer: [unclosed", 2, "not valid YAML", id="not-yaml"),
        pytest.param("- a list\n", 1, "a site file is a mapping", id="not-a-mapping"),
    ],
)
def test_issue14_item7_an_unreadable_site_file_says_so(
    shell: Context, tmp_path: Path, text: str | None, code: int, says: str
) -> None:
    path = tmp_path / "site.yaml"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    refused = _run("sites", "add", str(path))
    assert refused.exit_code == code and says in refused.output, refused.output
    assert _count(shell, site_scopes) == 0


def test_issue14_item7_removing_a_scope_frees_its_domains_and_keeps_the_scope(
    shell: Context, tmp_path: Path
) -> None:
    assert _run("sites", "add", write(tmp_path, site("bakkerij-a", "a1.example"))).exit_code == 0
    assert _run("sites", "remove", "bakkerij-a").exit_code == 0
    with shell.unit_of_work() as uow:
        assert shell.sites.resolve(uow, "a1.example") is None  # the provider's banner again
    assert (_count(shell, site_scopes), _count(shell, site_domains)) == (1, 0)
    # a freed domain may be declared by another customer
    other = write(tmp_path, site("fietsen-b", "a1.example"), "b.yaml")
    assert _run("sites", "add", other).exit_code == 0
    unknown = _run("sites", "remove", "nobody")
    assert unknown.exit_code == 1 and "no customer site 'nobody'" in unknown.output


def _choose(context: Context, domain: str, **choices: bool) -> None:
    from privaat.services.consents import Evidence

    with context.unit_of_work() as uow:
        scope = context.sites.resolve(uow, domain)
        assert scope is not None
        context.sites.choose(
            uow, scope, None, choices, lang="nl", gpc=False, evidence=Evidence("145.97.0.1", "UA")
        )


def test_issue14_item7_l7_a_customers_proof_is_exported_per_scope_and_verifies_offline(
    shell: Context, tmp_path: Path
) -> None:
    from privaat.render.consent_proof import verify

    assert _run("sites", "add", write(tmp_path, site("bakkerij-a", "a1.example"))).exit_code == 0
    assert (
        _run("sites", "add", write(tmp_path, site("fietsen-b", "b1.example"), "b.yaml")).exit_code
        == 0
    )
    _choose(shell, "a1.example", analytics=True)
    _choose(shell, "a1.example")  # another visitor of A: a refusal
    _choose(shell, "b1.example", analytics=True)  # B's: never in A's bundle
    day = shell.clock.now().date().isoformat()
    bundle = tmp_path / "a.jsonl"
    done = _run("sites", "proof", "bakkerij-a", "--from", day, "--to", day, "--output", str(bundle))
    assert done.exit_code == 0, done.output
    assert "2 consent records of bakkerij-a" in done.output
    lines = [json.loads(line) for line in bundle.read_bytes().splitlines()]
    records = [line["record"] for line in lines if line["kind"] == "record"]
    assert [(r["scope"], r["purposes"][0]["purpose_id"], r["state"]) for r in records] == [
        ("bakkerij-a", "analytics", "given"),
        ("bakkerij-a", "analytics", "refused"),
    ]
    assert lines[0]["controller"] == "bakkerij-a B.V." and "@" not in bundle.read_text()
    verdict = verify(bundle.read_bytes().splitlines(keepends=True))
    assert verdict.ok, verdict.problems
    assert _run("consent", "verify", str(bundle)).exit_code == 0
    # one byte changed: the offline check names the record
    text = bundle.read_bytes().replace(b'"given"', b'"refused"', 1)
    assert not verify(text.splitlines(keepends=True)).ok
    # never overwritten; an unknown customer or an empty range is a clear error
    again = _run(
        "sites", "proof", "bakkerij-a", "--from", day, "--to", day, "--output", str(bundle)
    )
    assert again.exit_code == 2 and "never overwrites" in again.output
    other = tmp_path / "x.jsonl"
    unknown = _run("sites", "proof", "nobody", "--from", day, "--to", day, "--output", str(other))
    assert unknown.exit_code == 1 and "no customer site 'nobody'" in unknown.output
    assert not other.exists()
    empty = _run("sites", "proof", "bakkerij-a", "--from", "2026-12-02", "--to", "2026-12-01",
                 "--output", str(other))  # fmt: skip
    assert empty.exit_code == 2 and not other.exists()


def test_issue14_item7_two_customers_claiming_one_domain_at_once_one_wins(
    shell: Context,
) -> None:
    import threading

    from privaat.domain.customer_sites import SiteFile
    from privaat.domain.principal import SystemJob
    from privaat.services.errors import Conflict

    outcomes: dict[str, str] = {}
    start = threading.Barrier(2)

    def claim(customer: str) -> None:
        declared = SiteFile.model_validate(site(customer, "shared.example", f"{customer}.example"))
        start.wait()
        try:
            with shell.unit_of_work() as uow:
                shell.sites.registry.declare(uow, SystemJob("test"), declared)
        except Conflict as error:
            outcomes[customer] = f"refused: {error}"
        else:
            outcomes[customer] = "stored"

    threads = [threading.Thread(target=claim, args=(c,)) for c in ("klant-a", "klant-b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(o.split(":")[0] for o in outcomes.values()) == ["refused", "stored"], outcomes
    assert "nothing was stored" in next(o for o in outcomes.values() if o != "stored")
    winner = next(c for c, o in outcomes.items() if o == "stored")
    with shell.unit_of_work() as uow:
        scope = shell.sites.resolve(uow, "shared.example")
    assert scope is not None and scope.customer == winner
    assert (_count(shell, site_scopes), _count(shell, site_domains)) == (1, 2)
