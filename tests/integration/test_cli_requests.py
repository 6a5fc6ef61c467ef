"""``privaat requests list`` (issue 11 item 1): the queue, soonest due first, as a table or
as JSON lines; nothing personal is printed."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner, Result

from privaat.bootstrap import bootstrap
from privaat.cli import app
from privaat.settings import Settings

runner = CliRunner()


def _run(*arguments: str) -> Result:
    result = runner.invoke(app, ["requests", "list", *arguments])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result


def _file(raw: bytes) -> str:
    context = bootstrap(Settings(), run_migrations=False)
    try:
        with context.unit_of_work() as uow:
            return context.requests.receive_mail(uow, raw).reference
    finally:
        context.close()


@pytest.mark.usefixtures("shell")
def test_an_empty_queue_says_so() -> None:
    result = _run()
    assert result.exit_code == 0
    assert result.output.strip() == "no requests"


@pytest.mark.usefixtures("shell")
def test_the_queue_lists_id_type_channel_status_received_and_due_without_the_address() -> None:
    reference = _file(
        b"From: lijst@example.nl\r\nSubject: inzage\r\nContent-Type: text/plain\r\n\r\nInzage.\r\n"
    )
    table = _run()
    assert table.exit_code == 0
    header, line = table.output.strip().splitlines()
    assert header.split() == ["id", "type", "channel", "status", "received", "due"]
    assert line.split()[:4] == [reference, "access", "email", "received"]
    assert "lijst@example.nl" not in table.output
    [row] = [json.loads(line) for line in _run("--json").output.splitlines()]
    assert row["id"] == reference and row["type"] == "access" and row["overdue"] is False
    assert set(row) == {"id", "type", "channel", "status", "received", "due", "overdue"}


@pytest.mark.usefixtures("shell")
def test_mail_serve_files_a_mail_and_stops_on_sigterm() -> None:
    import os
    import signal
    import smtplib
    import socket
    import subprocess
    import sys
    import time

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [sys.executable, "-m", "privaat", "mail", "serve", "--port", str(port)]
    process = subprocess.Popen(command, env=os.environ.copy(), stdout=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                client = smtplib.SMTP("127.0.0.1", port, timeout=5)
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
        with client:
            client.sendmail(
                "serve@example.nl",
                ["euprivacy@flexibelt.nl"],
                b"From: serve@example.nl\r\nSubject: Wissen\r\n\r\nVerwijder mijn gegevens.\r\n",
            )
            # P5: the support address on the same server files a support case, not a request
            client.sendmail(
                "serve@example.nl",
                ["support@flexibelt.nl"],
                b"From: serve@example.nl\r\nSubject: Storing\r\n\r\nMijn telefoon belt niet.\r\n",
            )
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0
    assert f"smtp://127.0.0.1:{port}" in output
    assert "support mail for support@flexibelt.nl" in output
    [row] = [json.loads(line) for line in _run("--json").output.splitlines()]
    assert row["type"] == "erasure" and row["channel"] == "email"
    cases = runner.invoke(app, ["support", "cases", "--json"])
    [case] = [json.loads(line) for line in cases.output.splitlines()]
    assert case["channel"] == "email" and case["linked"] is None  # an unknown sender (L5)


@pytest.mark.usefixtures("shell")
def test_act_and_answer_from_the_command_line() -> None:
    reference = _file(
        b"From: act@example.nl\r\nSubject: inzage\r\nContent-Type: text/plain\r\n\r\nInzage.\r\n"
    )
    refused = runner.invoke(app, ["requests", "act", reference, "start"])
    assert refused.exit_code == 1 and "no step 'start'" in refused.output  # not yet verified
    assert runner.invoke(app, ["requests", "act", reference, "fly"]).exit_code == 2
    no_reason = runner.invoke(app, ["requests", "act", reference, "refuse"])
    assert no_reason.exit_code == 1 and "needs reasons" in no_reason.output
    done = runner.invoke(app, ["requests", "act", reference, "refuse", "--reason", "Onbekend"])
    assert done.exit_code == 0 and f"{reference} refused" in done.output
    answer = runner.invoke(app, ["requests", "answer", reference])
    assert answer.exit_code == 1 and "no step 'complete'" in answer.output
    assert "Traceback" not in answer.output
    missing = runner.invoke(app, ["requests", "answer", "PR-AAAAAAAA"])
    assert missing.exit_code == 1 and "no request has this reference" in missing.output


@pytest.mark.usefixtures("shell")
def test_L54_L57_staff_file_a_phoned_request_with_how_identity_was_checked() -> None:
    missing = runner.invoke(
        app,
        ["requests", "file", "--email", "bel@example.nl", "--type", "erasure", "--identity", " "],
    )
    assert missing.exit_code == 1 and "identity was checked" in missing.output
    bad_type = runner.invoke(
        app, ["requests", "file", "--email", "bel@example.nl", "--type", "x", "--identity", "y"]
    )
    assert bad_type.exit_code == 2
    bad_email = runner.invoke(
        app, ["requests", "file", "--email", "geen", "--type", "erasure", "--identity", "y"]
    )
    assert bad_email.exit_code == 2 and "--email" in bad_email.output
    assert "Traceback" not in missing.output + bad_type.output + bad_email.output
    assert _run("--json").output.strip() == ""  # nothing was filed by the refusals
    done = runner.invoke(
        app,
        [
            "requests", "file", "--email", "Bel@Example.nl", "--type", "erasure",
            "--identity", "teruggebeld op het nummer van het account",
            "--text", "Wil alles laten verwijderen.",
        ],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    [row] = [json.loads(line) for line in _run("--json").output.splitlines()]
    assert (row["type"], row["channel"], row["status"]) == ("erasure", "staff", "verified")
    context = bootstrap(Settings(), run_migrations=False)
    try:
        acks = [m for _i, t, m in context.outbox.pending() if t == "request_received"]
    finally:
        context.close()
    # the address as email-validator normalises it: the domain in lower case, the local part kept
    assert [m.to for m in acks] == ["Bel@example.nl"]
    # verified already: no confirmation link to press
    assert "/requests/confirm" not in acks[0].body and row["id"] in acks[0].body
