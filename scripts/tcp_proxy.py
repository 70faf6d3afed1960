"""A TCP proxy that can take a server away from its clients and give it back.

Put it between the app and PostgreSQL (or Redis) to rehearse an outage without touching
the real server, which other programs may be using: `cut()` drops every open connection
(as a server restart does) and refuses new ones until `restore()` listens again on the
same port. It runs its asyncio loop in a daemon thread, so a test or a script drives it
with plain calls. Used by `scripts/chaos.py` and `tests/outage/`.
"""
from __future__ import annotations

import asyncio
import threading


class CuttableProxy:
    def __init__(self, target_host: str, target_port: int, host: str = "127.0.0.1", port: int = 0):
        self.target = (target_host, target_port)
        self.host, self.port = host, port
        self.connections = 0  # accepted since start, for reports
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="tcp-proxy", daemon=True)
        self._server: asyncio.Server | None = None
        self._transports: set[asyncio.Transport] = set()
        self._hanging = False

    # --- driven from any thread ---------------------------------------------------------

    def start(self) -> CuttableProxy:
        self._thread.start()
        self._call(self._listen())
        return self

    @property
    def is_cut(self) -> bool:
        return self._server is None

    def cut(self) -> None:
        """Refuse new connections and reset every open one, both to the client and to the server."""
        self._call(self._cut())

    def restore(self) -> None:
        """Accept and forward connections again, on the same port."""
        self._hanging = False
        if self.is_cut:
            self._call(self._listen())

    def hang(self) -> None:
        """New connections are accepted but get no answer (open ones are left working)."""
        self._hanging = True

    def stop(self) -> None:
        if self._thread.is_alive():
            self._call(self._cut())
            self._call(asyncio.sleep(0.05))  # let the pipes see their connections go
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)

    def _call(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(10)

    # --- inside the loop ----------------------------------------------------------------

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _cut(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
            await server.wait_closed()
        for transport in list(self._transports):
            transport.abort()
        self._transports.clear()

    async def _serve(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        if self._hanging:
            self._transports.add(client_writer.transport)
            while await client_reader.read(65536):
                pass
            self._transports.discard(client_writer.transport)
            return
        try:
            server_reader, server_writer = await asyncio.open_connection(*self.target)
        except OSError:
            client_writer.transport.abort()
            return
        pair = {client_writer.transport, server_writer.transport}
        self._transports |= pair
        try:
            await asyncio.gather(self._pipe(client_reader, server_writer), self._pipe(server_reader, client_writer))
        finally:
            for transport in pair:
                transport.abort()
            self._transports -= pair

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.transport.abort()
