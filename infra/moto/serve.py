# Serves moto's AWS emulator like `moto_server`, but on one thread. moto_server
# handles requests on many threads with no lock around DynamoDB transactions, so
# two conditional writes can both pass; DynamoDB serializes them. One thread makes
# the emulator as strict as DynamoDB for the concurrency tests, while handlers
# still interleave freely between their reads and their conditional writes.
import os
import sys

from moto.server import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple

host, port = sys.argv[1], int(sys.argv[2])
os.environ.setdefault("MOTO_PORT", str(port))
run_simple(host, port, DomainDispatcherApplication(create_backend_app), threaded=False, use_reloader=False)
