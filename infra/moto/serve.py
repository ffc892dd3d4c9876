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
import copy
import io
import json
import os
import sys
import threading
import time

import moto.dynamodb.models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
from moto.server import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import WSGIRequestHandler, make_server

moto_app = DomainDispatcherApplication(create_backend_app)
lock = threading.Lock()

# moto's TransactWriteItems deep-copies the whole table for every item of the
# transaction, to roll back on failure: 25 ms on an empty table, 3 s at 10,000
# items, so the local stack slowed the longer it ran. Here a transaction keeps
# instead a copy of only the items it names, taken before moto applies anything,
# and puts those back if moto raises; moto's own copies of the table become the
# table itself (its rollback assigns the same object back). Under the lock no
# other request sees the items in between, so the transaction stays atomic and
# isolated. If an item's key cannot be read (moto will refuse the transaction),
# that table is copied whole, as moto does.
class ItemJournal:
    def __init__(self, backend, transact_items):
        self.backend, self.items, self.tables, self.streams = backend, [], {}, []
        for entry in transact_items:
            try:
                op = next(iter(entry.values()))
                name = op["TableName"]
            except (StopIteration, AttributeError, KeyError, TypeError):
                continue
            table = backend.tables.get(name)
            if table is None or name in self.tables:
                continue
            if table.stream_shard is not None and all(t is not table for t, _ in self.streams):
                self.streams.append((table, len(table.stream_shard.items)))
            try:
                key = op["Item"] if "Put" in entry else op["Key"]
                hash_key = DynamoType(key[table.hash_key_attr])
                range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
            except (KeyError, TypeError, AttributeError):
                self.tables[name] = real_deepcopy(table)
                continue
            before = table.get_item(hash_key, range_key)
            self.items.append((table, hash_key, range_key, real_deepcopy(before)))

    def restore(self):
        for table, hash_key, range_key, before in reversed(self.items):
            holder, k = (table.items[hash_key], range_key) if range_key else (table.items, hash_key)
            if before is None:
                holder.pop(k, None)
            else:
                holder[k] = before
        for table, n in self.streams:
            del table.stream_shard.items[n:]
        self.backend.tables.update(self.tables)


real_deepcopy = copy.deepcopy


class TablesNotCopied:
    """The copy module as moto's DynamoDB backend sees it during a transaction:
    a table is "copied" as itself; everything else is copied as ever."""

    def __getattr__(self, name):
        return getattr(copy, name)

    @staticmethod
    def deepcopy(x, memo=None):
        return x if isinstance(x, Table) else real_deepcopy(x, memo)


moto_transact = DynamoDBBackend.transact_write_items


def transact_write_items(self, transact_items):
    journal = ItemJournal(self, transact_items)
    dynamodb_models.copy = TablesNotCopied()
    try:
        return moto_transact(self, transact_items)
    except BaseException:
        journal.restore()
        raise
    finally:
        dynamodb_models.copy = copy


DynamoDBBackend.transact_write_items = transact_write_items

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
