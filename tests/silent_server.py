"""A silent server: a listening socket that accepts connections and never answers.

A real kube-apiserver or etcd cannot be made to hang like this on demand (a stuck process, a
firewall that lets the handshake through, a load balancer with no backend), so the tests and
`benchmarks/bench_failures.py` make one with a few lines of socket code. It is the only
stand-in for a server in the test suite.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from dfctl.sandbox.certs import CertificateAuthority


@contextlib.contextmanager
def silent_server(tls: CertificateAuthority | None = None) -> Iterator[str]:
    """``host:port`` of a socket that accepts connections and then says nothing.

    With ``tls``, it completes the TLS handshake first (with a certificate that CA signed for
    127.0.0.1) and is silent after it, as a server stuck behind its TLS front would be.
    """
    listener = socket.create_server(("127.0.0.1", 0), backlog=16)
    held: list[socket.socket] = []
    stop = threading.Event()
    context = None
    if tls is not None:
        pair = tls.issue("silent", ip_addresses=["127.0.0.1"])
        folder = Path(tempfile.mkdtemp(prefix="dfctl-silent-"))
        pair.write(folder / "tls.crt", folder / "tls.key")
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(folder / "tls.crt", folder / "tls.key")

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if context is not None:
                with contextlib.suppress(OSError):
                    connection = context.wrap_socket(connection, server_side=True)
            held.append(connection)  # kept open, never read from, never written to

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()
        for connection in held:
            connection.close()
