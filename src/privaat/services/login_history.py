"""Minimisation of log-in records: the full IP only as long as the policy says (P9, LEGAL L23).

Each log-in keeps two encrypted forms of its address: the full IP and its /24 or /48
network. When the policy's minimisation period for ``ip_address`` has passed, the full
form is erased and only the network remains.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from privaat.bootstrap import Context
from privaat.policy.period import Period
from privaat.policy.schema import Policy
from privaat.services.activities import LOGIN_LOCATION
from privaat.store.tables import login_events

IP_CATEGORY = "ip_address"
BATCH = 5_000  # rows per transaction: short write locks, a concurrent log-in never waits long


def ip_minimisation_period(policy: Policy) -> Period:
    """After how long a log-in's full IP address is truncated, as the policy declares it."""
    retention = policy.activity(LOGIN_LOCATION).retention
    for step in retention.minimise:
        if IP_CATEGORY in step.categories:
            return step.after
    return retention.period  # no earlier step: the full IP lives as long as the record


def minimise_login_ips(ctx: Context, *, now: datetime | None = None) -> int:
    """Erase the full IP of every log-in older than the policy's period; returns how many."""
    moment = now or ctx.clock.now()
    cutoff = ip_minimisation_period(ctx.policy).before(moment)
    done = 0
    while True:
        with ctx.engine.begin() as connection:
            ids = list(
                connection.execute(
                    select(login_events.c.id)
                    .where(login_events.c.at < cutoff, login_events.c.ip_enc.is_not(None))
                    .limit(BATCH)
                ).scalars()
            )
            if not ids:
                return done
            connection.execute(
                update(login_events).where(login_events.c.id.in_(ids)).values(ip_enc=None)
            )
        done += len(ids)
