"""Runs moto_server on 127.0.0.1 on a free port for the Rust test harness.

Prints "PORT <n>" once listening, then serves until its standard input closes, which happens when
the test process that started it exits, however it exits.
"""
import sys

from moto.server import ThreadedMotoServer

server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
_, port = server.get_host_and_port()
print(f"PORT {port}", flush=True)
sys.stdin.read()
server.stop()
