"""An ASGI middleware that refuses request bodies over a size limit with a 413 problem."""

from __future__ import annotations

import json
from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 64 * 1024
# a path prefix whose bodies may be larger: telemetry batches (issue 12 item 1), which the
# route reads line by line and inflates no further than the same bound
LARGER_BODIES: Mapping[str, int] = {
    "/api/v1/telemetry/": 16 * 1024 * 1024,
    "/console/calls/": 51 * 1024 * 1024,  # a call's recorded segment: 50 MiB of WAV, the form
}


class BodyTooLarge(Exception):
    """Raised while a body is read past the limit; the middleware answers 413."""


class BodyLimit:
    """Counts the bytes of each request body, declared or streamed, against ``max_bytes``.

    A declared Content-Length over the limit is refused before the app runs. A streamed body
    that grows past it makes ``receive`` raise; whatever the app then answers is replaced by
    the 413 problem, so the client always learns the real reason.
    """

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int = MAX_BODY_BYTES,
        larger: Mapping[str, int] = LARGER_BODIES,
    ) -> None:
        self.app, self.max_bytes, self.larger = app, max_bytes, larger

    def limit(self, path: str) -> int:
        """The most bytes a body to ``path`` may have."""
        return next(
            (size for prefix, size in self.larger.items() if path.startswith(prefix)),
            self.max_bytes,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self.limit(scope.get("path", ""))
        declared = dict(scope.get("headers", [])).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > max_bytes:
            await self._refuse(scope, send, max_bytes)
            return
        received, exceeded, refused = 0, False, False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    exceeded = True
                    raise BodyTooLarge
            return message

        async def replacing_send(message: Message) -> None:
            nonlocal refused
            if not exceeded:
                await send(message)
            elif not refused:
                refused = True
                await self._refuse(scope, send, max_bytes)

        await self.app(scope, counting_receive, replacing_send)

    async def _refuse(self, scope: Scope, send: Send, max_bytes: int) -> None:
        payload = json.dumps(
            {
                "type": "https://privaat.dev/problems/body-too-large",
                "title": "Request body too large",
                "status": 413,
                "detail": f"The request body may be at most {max_bytes} bytes.",
                "instance": scope.get("path", ""),
            }
        ).encode()
        headers = [
            (b"content-type", b"application/problem+json"),
            (b"content-length", str(len(payload)).encode()),
        ]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": payload})
