"""An aiohttp app served from a child process, so that a benchmark measures only its client."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from multiprocessing import Pipe, Process
from multiprocessing.connection import Connection

from aiohttp import web


def _serve(make_app: Callable[[], web.Application], conn: Connection) -> None:
    async def run() -> None:
        runner = web.AppRunner(make_app(), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        conn.send(runner.addresses[0][1])
        await asyncio.Event().wait()

    asyncio.run(run())


def start_child_server(make_app: Callable[[], web.Application]) -> tuple[Process, str]:
    """Serve ``make_app()`` (a module-level function: it is pickled) on 127.0.0.1 in a child
    process; returns the process (terminate it when done) and the server's base URL."""
    ours, theirs = Pipe()
    server = Process(target=_serve, args=(make_app, theirs), daemon=True)
    server.start()
    return server, f"http://127.0.0.1:{ours.recv()}"
