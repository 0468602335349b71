"""Python asyncio streams as a peer baseline: the same workloads as the Node variants, timed the
same way (from the first command byte to the last byte), printed as one JSON object."""
import asyncio
import json
import sys
import time


async def receive(port: int, size: int) -> dict:
    reader, writer = await asyncio.open_connection('127.0.0.1', port, limit=1 << 20)
    start = time.perf_counter()
    writer.write(f'SOURCE {size}\n'.encode())
    total = 0
    while True:
        data = await reader.read(65536)
        if not data:
            break
        total += len(data)
    seconds = time.perf_counter() - start
    writer.close()
    return {'seconds': seconds, 'work': total}


async def send(port: int, size: int) -> dict:
    reader, writer = await asyncio.open_connection('127.0.0.1', port)
    chunk = b'z' * 65536
    start = time.perf_counter()
    writer.write(f'SINK {size}\n'.encode())
    sent = 0
    while sent < size:
        writer.write(chunk)
        sent += len(chunk)
        await writer.drain()
    await reader.readexactly(3)
    seconds = time.perf_counter() - start
    writer.close()
    return {'seconds': seconds, 'work': sent}


async def pingpong(port: int, count: int, size: int) -> dict:
    reader, writer = await asyncio.open_connection('127.0.0.1', port)
    message = b'p' * size
    writer.write(b'ECHO\n')
    start = time.perf_counter()
    for _ in range(count):
        writer.write(message)
        await reader.readexactly(size)
    seconds = time.perf_counter() - start
    writer.close()
    return {'seconds': seconds, 'work': count}


def main() -> None:
    kind, port, *rest = sys.argv[1:]
    numbers = [int(value) for value in rest]
    work = {'receive': receive, 'send': send, 'pingpong': pingpong}[kind]
    print(json.dumps(asyncio.run(work(int(port), *numbers))))


main()
