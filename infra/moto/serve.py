# Serves moto's AWS emulator like `moto_server`, but on one thread, on a port the
# kernel picks, which it prints as its first line of output.
#
# One thread: moto_server handles requests on many threads with no lock around
# DynamoDB transactions, so two conditional writes can both pass; DynamoDB
# serializes them. One thread makes the emulator as strict as DynamoDB for the
# concurrency tests, while handlers still interleave freely between their reads
# and their conditional writes.
#
# Port 0: choosing a free port first and binding it later races with every other
# process doing the same (parallel test packages), and the loser would talk to the
# winner's emulator until that one stopped.
import os
import sys

from moto.server import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import make_server

server = make_server(sys.argv[1], 0, DomainDispatcherApplication(create_backend_app), threaded=False)
os.environ["MOTO_PORT"] = str(server.server_port)
print(server.server_port, flush=True)
server.serve_forever()
