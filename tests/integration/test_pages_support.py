"""What the page tests share: a form's CSRF token, posting a form as a browser does, the error
and value of a field, row counts. (Helpers; the one test here keeps the readers honest.)"""

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


def log_in(client: TestClient, email: str, password: str) -> Any:
    """Log in through the page, as a person would; the client keeps the session cookie."""
    response = submit(client, "/login", {"email": email, "password": password}, page="/login")
    assert response.status_code == 303, response.text
    return response


def error_of(html: str, field_id: str) -> str:
    """The error shown next to the field with this id (empty when it has none)."""
    match = re.search(rf'<p class="error" id="{field_id}-error">(.*?)</p>', html, re.S)
    return re.sub(r"<[^>]+>", "", match.group(1)) if match else ""


def value_of(html: str, field_id: str) -> str | None:
    """The value an input shows again (None when it has no value attribute)."""
    match = re.search(rf'<input id="{field_id}"[^>]*?>', html)
    assert match, f"no input {field_id}"
    value = re.search(r' value="([^"]*)"', match.group(0))
    return unescape(value.group(1)) if value else None


def test_the_readers_find_the_token_the_error_and_the_value() -> None:
    html = (
        '<input type="hidden" name="csrf_token" value="a&amp;b">'
        '<p class="error" id="f-x-error"><span>Fout: </span>Vul dit veld in.</p>'
        '<input id="f-x" name="x" type="text" value="&lt;b&gt;">'
    )
    assert token_of(html) == "a&b"
    assert error_of(html, "f-x") == "Fout: Vul dit veld in."
    assert value_of(html, "f-x") == "<b>"
