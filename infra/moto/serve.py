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
import os
import sys
import threading

from moto.server import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import WSGIRequestHandler, make_server

moto_app = DomainDispatcherApplication(create_backend_app)
lock = threading.Lock()


def serialized(environ, start_response):
    with lock:
        return list(moto_app(environ, start_response))


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass


server = make_server(sys.argv[1], 0, serialized, threaded=True, request_handler=QuietHandler)
os.environ["MOTO_PORT"] = str(server.server_port)
print(server.server_port, flush=True)
server.serve_forever()
