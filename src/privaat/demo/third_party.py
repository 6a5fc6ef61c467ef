"""Stand-in third parties for the demo, each on a loopback origin of its own (another port).

    analytics  /analytics.js  sets _ga and _ga_DEMO1 on the site (as Google Analytics does)
                              and sends a page view to /collect on its own origin
               /collect       answers with an HttpOnly cookie _ga_DEMO2 at Path=/example/,
                              as a server-side tag on a first-party subdomain does: the
                              demo's loopback ports share one host, so it lands on the site;
                              no script can delete it, and the banner's request to
                              /consent/choices never carries it (issue 14 item 4)
    social     /button.js     draws a "like" button where the placeholder was
               /video         a page for an iframe, as an embedded video (issue 14 item 6)

A browser test sees the third party called, or not, by the requests to its origin
(``ThirdParty.hits`` too). Standard library only: ``http.server`` in a daemon thread.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["ANALYTICS_JS", "HTTP_ONLY_COOKIE", "SOCIAL_JS", "VIDEO_HTML", "ThirdParty", "start"]

# the analytics category's cookie that only the server can expire (13 months, as declared)
HTTP_ONLY_COOKIE = "_ga_DEMO2"
_HTTP_ONLY = (
    f"{HTTP_ONLY_COOKIE}=GS1.1.demo; Max-Age={13 * 30 * 24 * 3600}; Path=/example/; HttpOnly"
)

# 13 months, as the policy declares for _ga (website_analytics)
ANALYTICS_JS = """(function () {
  var origin = new URL(document.currentScript.src).origin;
  var id = "GA1.1." + Math.floor(Math.random() * 1e9) + "." + Math.floor(Date.now() / 1000);
  var age = "; max-age=" + 13 * 30 * 24 * 3600 + "; path=/; SameSite=Lax";
  if (document.cookie.indexOf("_ga=") < 0) document.cookie = "_ga=" + id + age;
  document.cookie = "_ga_DEMO1=GS1.1." + Math.floor(Date.now() / 1000) + age;
  new Image().src = origin + "/collect?page=" + encodeURIComponent(location.pathname);
})();
"""
SOCIAL_JS = """(function () {
  var holder = document.currentScript.parentElement;
  var button = document.createElement("button");
  button.type = "button";
  button.className = "pb-button";
  button.textContent = "Vind ik leuk (stand-in social network)";
  holder.appendChild(button);
})();
"""
VIDEO_HTML = """<!DOCTYPE html>
<html lang="nl"><head><meta charset="utf-8"><title>Stand-in video</title></head>
<body><p>Stand-in video (the demo's stand-in for an embedded video).</p></body></html>
"""
_GIF = bytes.fromhex(
    "47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b"
)


@dataclass
class ThirdParty:
    """One stand-in origin: its server, its address, and every path it was asked for."""

    name: str
    server: ThreadingHTTPServer
    hits: list[str] = field(default_factory=list)

    @property
    def origin(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start(name: str, script: str, *, host: str = "127.0.0.1", port: int = 0) -> ThirdParty:
    """Serve ``script`` at /analytics.js or /button.js on ``host:port`` (0: a free port)."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802  (http.server's name)
            hits.append(self.path)
            path = self.path.split("?", 1)[0]
            if path in ("/analytics.js", "/button.js"):
                self._send(200, "text/javascript; charset=utf-8", script.encode())
            elif path == "/video":
                self._send(200, "text/html; charset=utf-8", VIDEO_HTML.encode())
            elif path == "/collect":
                self._send(
                    200, "image/gif", _GIF, cookie=_HTTP_ONLY if name == "analytics" else None
                )
            else:
                self._send(404, "text/plain; charset=utf-8", b"not found")

        def _send(
            self, status: int, content_type: str, body: bytes, cookie: str | None = None
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            if cookie is not None:
                self.send_header("Set-Cookie", cookie)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass  # the demo's console stays readable; ``hits`` keeps what was asked

    server = ThreadingHTTPServer((host, port), Handler)
    threading.Thread(target=server.serve_forever, name=f"demo-{name}", daemon=True).start()
    return ThirdParty(name, server, hits)
