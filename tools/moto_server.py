"""moto_server with DynamoDB's atomicity: one request at a time.

DynamoDB evaluates a conditional write and applies it atomically, and this project relies on
that (refresh-token rotation, registration, lockout counters). moto's threaded server does not:
two concurrent UpdateItem calls can both pass the same condition. Serializing requests gives the
emulator the guarantee the real service has, so concurrency tests test our code, not moto's races.

Two ways to run it:
  python tools/moto_server.py                 port 0 (a free one); prints "PORT <n>" once listening
                                              and serves until standard input closes (the Rust
                                              test harness: the server dies with its test process)
  python tools/moto_server.py --port 5005     serves on that port until SIGINT/SIGTERM (make dev)
"""
import argparse
import signal
import sys
import threading

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server


class Serialized:
    """WSGI middleware: each request, body included, is handled under one lock."""

    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self.lock:
            result = self.app(environ, start_response)
            try:
                return [b"".join(result)]
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=None)
    args = parser.parse_args()

    app = Serialized(DomainDispatcherApplication(create_backend_app))
    server = make_server(
        args.host,
        args.port or 0,
        app,
        threaded=True,
        request_handler=MotoRequestHandler,
    )
    if args.port is None:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        print(f"PORT {server.server_address[1]}", flush=True)
        sys.stdin.read()
        server.shutdown()
        return

    def stop(_signum, _frame):
        # shutdown() waits for serve_forever, so it runs outside the serving thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    print(f"moto_server (serialized) on http://{args.host}:{args.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
