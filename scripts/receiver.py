#!/usr/bin/env python3
"""A tiny webhook receiver for trying Weir out: prints every POST it gets
(headers and body) and answers 200. Usage: python3 scripts/receiver.py [port]"""
import http.server
import json
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("content-length", 0))
        body = self.rfile.read(length)
        print(f"--- {self.command} {self.path}")
        for name in ("webhook-id", "webhook-timestamp", "webhook-signature", "content-type"):
            print(f"{name}: {self.headers.get(name)}")
        try:
            print(json.dumps(json.loads(body), indent=2, ensure_ascii=False))
        except ValueError:
            print(body.decode(errors="replace"))
        sys.stdout.flush()
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


port = int(sys.argv[1]) if len(sys.argv) > 1 else 9000
print(f"receiver listening on http://127.0.0.1:{port}/")
sys.stdout.flush()
http.server.HTTPServer(("127.0.0.1", port), Handler).serve_forever()
