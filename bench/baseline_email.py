"""The email baseline: a bare aiosmtpd handler that answers 250 and forwards every mail, as it
is, through the same relay sink (addressed back to its sender, so the client sees it arrive).
Run by the benchmarks:

    BENCH_PORT=… BENCH_RELAY_PORT=… python -m bench.baseline_email
"""

from __future__ import annotations

import asyncio
import logging
import os

import aiosmtplib
from aiosmtpd.smtp import SMTP, Envelope, Session

FROM = "forwarder@localhost"


class Forward:
    def __init__(self, relay_port: int) -> None:
        self.relay_port = relay_port
        self.tasks: set[asyncio.Task[object]] = set()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        task = asyncio.create_task(aiosmtplib.send(
            envelope.original_content or b"", sender=FROM, recipients=[envelope.mail_from or FROM],
            hostname="127.0.0.1", port=self.relay_port, timeout=30))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return "250 2.0.0 OK"


async def main() -> None:
    loop = asyncio.get_running_loop()
    handler = Forward(int(os.environ["BENCH_RELAY_PORT"]))
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    server = await loop.create_server(
        lambda: SMTP(handler, data_size_limit=10 * 1024 * 1024, enable_SMTPUTF8=True, decode_data=False,
                     hostname="localhost", ident="baseline", loop=loop),
        "127.0.0.1", int(os.environ["BENCH_PORT"]))
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(main())
