"""The ``privaat`` command line: each module below registers its commands on ``_apps``."""

from __future__ import annotations

from privaat.cli import _apps
from privaat.cli import audit as _audit  # noqa: F401  (registers commands)
from privaat.cli import backup as _backup  # noqa: F401
from privaat.cli import breaches as _breaches  # noqa: F401
from privaat.cli import business as _business  # noqa: F401
from privaat.cli import business_notices as _business_notices  # noqa: F401
from privaat.cli import certificates as _certificates  # noqa: F401
from privaat.cli import consent as _consent  # noqa: F401
from privaat.cli import disclosures as _disclosures  # noqa: F401
from privaat.cli import dpia as _dpia  # noqa: F401
from privaat.cli import jobs as _jobs  # noqa: F401
from privaat.cli import keys as _keys  # noqa: F401
from privaat.cli import lifecycle as _lifecycle  # noqa: F401
from privaat.cli import mail as _mail  # noqa: F401
from privaat.cli import marketing as _marketing  # noqa: F401
from privaat.cli import policy_check as _policy_check  # noqa: F401
from privaat.cli import policy_diff as _policy_diff  # noqa: F401
from privaat.cli import policy_publish as _policy_publish  # noqa: F401
from privaat.cli import policy_render as _policy_render  # noqa: F401
from privaat.cli import processors as _processors  # noqa: F401
from privaat.cli import request_rights as _request_rights  # noqa: F401
from privaat.cli import request_tasks as _request_tasks  # noqa: F401
from privaat.cli import requests as _requests  # noqa: F401
from privaat.cli import retention as _retention  # noqa: F401
from privaat.cli import scan as _scan  # noqa: F401
from privaat.cli import serve as _serve  # noqa: F401
from privaat.cli import shop as _shop  # noqa: F401
from privaat.cli import sites as _sites  # noqa: F401
from privaat.cli import staff as _staff  # noqa: F401
from privaat.cli import support as _support  # noqa: F401
from privaat.cli import telemetry as _telemetry  # noqa: F401

app = _apps.app


def main() -> None:
    app()
