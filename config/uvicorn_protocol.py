"""uvicorn's HTTP protocol with TCP_NODELAY forced on every connection.

With ``--workers`` > 1 uvicorn hands its listening socket to spawned
children, and there asyncio no longer recognises it as TCP, so it skips
TCP_NODELAY: each keep-alive response (headers and body written separately)
then waits ~40 ms for the client's delayed ACK. Run uvicorn with
``--http config.uvicorn_protocol:H11NoDelayProtocol`` to avoid it.
"""

import contextlib
import socket

from uvicorn.protocols.http.h11_impl import H11Protocol


class H11NoDelayProtocol(H11Protocol):
    def connection_made(self, transport) -> None:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
