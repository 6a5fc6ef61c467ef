"""The Typer applications that the command modules register their commands on."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="privaat",
    help="privaat: a privacy policy as code, enforced at run time.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
policy_app = typer.Typer(help="Check, render, diff and export a policy file.", no_args_is_help=True)
keys_app = typer.Typer(
    help="Manage the master key and the data keys it wraps.", no_args_is_help=True
)
audit_app = typer.Typer(help="The hash-chained audit trail.", no_args_is_help=True)
db_app = typer.Typer(help="The database schema.", no_args_is_help=True)
mail_app = typer.Typer(help="The outbox of notices and its delivery.", no_args_is_help=True)
jobs_app = typer.Typer(
    help="Work that runs later: minimisation and retention.", no_args_is_help=True
)
staff_app = typer.Typer(help="Staff accounts of the console.", no_args_is_help=True)
marketing_app = typer.Typer(
    help="Marketing audiences among people who may be mailed.", no_args_is_help=True
)
requests_app = typer.Typer(help="Data-subject requests: the queue.", no_args_is_help=True)

app.add_typer(policy_app, name="policy")
app.add_typer(keys_app, name="keys")
app.add_typer(audit_app, name="audit")
app.add_typer(db_app, name="db")
app.add_typer(mail_app, name="mail")
app.add_typer(jobs_app, name="jobs")
app.add_typer(staff_app, name="staff")
app.add_typer(marketing_app, name="marketing")
app.add_typer(requests_app, name="requests")
