#!/usr/bin/env python3
"""Upstream echo server for the gateways under test (python3 standard library only).

    python3 gateways/echo.py PORT

Listens on 127.0.0.1:PORT and answers every request (any method, any path) with 200 and a JSON
body: {"method", "path", "headers": {name: value}} where headers lists only the request headers
whose lower-cased name starts with "x-" or "oidc_" (the identity headers a gateway adds, such as
Envoy's x-jwt-payload or mod_auth_openidc's OIDC_CLAIM_*), so a later step can check what a
gateway forwards after it accepted a token. A header seen twice is listed once per value (a list).
Header values are read as UTF-8 where their bytes are UTF-8 (a forwarded claim's text).
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Echo(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "jwt-harness-echo"
    # The headers and the body go out in two writes: with Nagle's algorithm the second waits for
    # the gateway's delayed ACK (~45 ms per request on a kept-alive upstream connection).
    disable_nagle_algorithm = True

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        headers = {}
        for name, value in self.headers.items():
            # http.server decodes header bytes as ISO-8859-1; a gateway forwarding a claim
            # passes its UTF-8 bytes on, so read them as UTF-8 where they are (the identity the
            # upstream would see), else keep the ISO-8859-1 reading.
            try:
                value = value.encode("latin-1").decode("utf-8")
            except (UnicodeEncodeError, UnicodeDecodeError):
                pass
            key = name.lower()
            if key.startswith("x-") or key.startswith("oidc_"):
                if key in headers:
                    prev = headers[key]
                    headers[key] = (prev if isinstance(prev, list) else [prev]) + [value]
                else:
                    headers[key] = value
        body = json.dumps(
            {"method": self.command, "path": self.path, "headers": headers}, sort_keys=True
        ).encode() + b"\n"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = _answer

    def log_message(self, fmt, *args):  # quiet: the gateways log the requests
        pass


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: echo.py PORT")
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Echo)
    server.daemon_threads = True
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
