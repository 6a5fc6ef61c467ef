"""What the page tests share: reading a form's CSRF token, posting a form as a browser does,
counting rows. (A module of helpers; the one test here keeps the token reader honest.)"""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from privaat.store.tables import metadata

_TOKEN = re.compile(r'name="csrf_token" value="([^"]*)"')
# the payloads of issue 8 item 5: each must come back as text, never as markup or as 49
PAYLOADS = ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "{{7*7}}")


def token_of(html: str) -> str:
    """The CSRF token of the (first) form on a page."""
    match = _TOKEN.search(html)
    assert match, "the page has no form with a CSRF token"
    return unescape(match.group(1))


def submit(client: TestClient, path: str, data: dict[str, Any], *, page: str | None = None) -> Any:
    """GET ``page`` (default ``path``) for its token, then POST ``data`` like a browser form."""
    html = client.get(page or path).text
    return client.post(path, data={**data, "csrf_token": token_of(html)}, follow_redirects=False)


def row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in metadata.sorted_tables
        }


def without_tokens(html: str) -> str:
    """The page without its CSRF tokens: random text that may hold any digits, such as 49."""
    return _TOKEN.sub('name="csrf_token" value=""', html)


def test_the_token_reader_finds_the_hidden_field() -> None:
    assert token_of('<input type="hidden" name="csrf_token" value="a&amp;b">') == "a&b"
