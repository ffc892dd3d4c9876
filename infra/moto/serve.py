# Serves moto's AWS emulator like `moto_server`, with two differences.
#
# One request at a time: moto_server handles requests on many threads with no lock
# around DynamoDB transactions, so two conditional writes can both pass; DynamoDB
# serializes them. A lock around each whole request (response included) makes the
# emulator as strict as DynamoDB for the concurrency tests, while the handlers
# still interleave freely between their reads and their conditional writes. The
# server stays threaded, as moto_server is, so HTTP/1.1 connections behave as the
# SDK expects (a one-thread server falls back to HTTP/1.0 and closing connections,
# under which the SDK retried requests moto had already applied).
#
# Port 0: choosing a free port first and binding it later races with every other
# process doing the same (parallel test packages), and the loser would talk to the
# winner's emulator until that one stopped. The port the kernel gave is printed
# as the first line of output.
import io
import json
import os
import sys
import threading
import time

from moto.server import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import WSGIRequestHandler, make_server

moto_app = DomainDispatcherApplication(create_backend_app)
lock = threading.Lock()

# DynamoDB makes TransactWriteItems idempotent by ClientRequestToken (the SDK sends
# one on every call): a retry with the same token answers the first result and
# applies nothing again. moto ignores the token, so a retry after a lost response
# applied a transaction twice and failed its own conditions. Answers by token are
# kept for DynamoDB's ten minutes.
TOKEN_TTL = 600
answered = {}


def token_of(environ):
    if not environ.get("HTTP_X_AMZ_TARGET", "").endswith(".TransactWriteItems"):
        return None, None
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    try:
        return json.loads(body).get("ClientRequestToken"), body
    except ValueError:
        return None, body


def serialized(environ, start_response):
    with lock:
        token, _ = token_of(environ)
        now = time.monotonic()
        for t in [t for t, (at, _, _, _) in answered.items() if now - at > TOKEN_TTL]:
            del answered[t]
        if token in answered:
            _, status, headers, body = answered[token]
            start_response(status, headers)
            return body
        seen = {}

        def recording(status, headers, exc_info=None):
            seen["status"], seen["headers"] = status, headers
            return start_response(status, headers, exc_info)

        body = list(moto_app(environ, recording))
        if token and seen.get("status", "").startswith("200"):
            answered[token] = (now, seen["status"], seen["headers"], body)
        return body


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass


server = make_server(sys.argv[1], 0, serialized, threaded=True, request_handler=QuietHandler)
os.environ["MOTO_PORT"] = str(server.server_port)
print(server.server_port, flush=True)
server.serve_forever()
