"""Python asyncio streams as a peer baseline: the same workloads as the Node variants, timed the
same way (from the first command byte to the last byte), printed as one JSON object."""
import asyncio
import json
import sys
import time


async def receive(port: int, size: int) -> dict:
    reader, writer = await asyncio.open_connection('127.0.0.1', port, limit=1 << 20)
    start, cpu = time.perf_counter(), time.process_time()
    writer.write(f'SOURCE {size}\n'.encode())
    total = 0
    while True:
        data = await reader.read(65536)
        if not data:
            break
        total += len(data)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    writer.close()
    return {'seconds': seconds, 'work': total, 'cpuSeconds': cpu}


async def send(port: int, size: int) -> dict:
    reader, writer = await asyncio.open_connection('127.0.0.1', port)
    chunk = b'z' * 65536
    start, cpu = time.perf_counter(), time.process_time()
    writer.write(f'SINK {size}\n'.encode())
    sent = 0
    while sent < size:
        writer.write(chunk)
        sent += len(chunk)
        await writer.drain()
    await reader.readexactly(3)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    writer.close()
    return {'seconds': seconds, 'work': sent, 'cpuSeconds': cpu}


async def pingpong(port: int, count: int, size: int) -> dict:
    reader, writer = await asyncio.open_connection('127.0.0.1', port)
    message = b'p' * size
    writer.write(b'ECHO\n')
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(count):
        writer.write(message)
        await reader.readexactly(size)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    writer.close()
    return {'seconds': seconds, 'work': count, 'cpuSeconds': cpu}


async def lines(port: int, count: int) -> dict:
    reader, writer = await asyncio.open_connection('127.0.0.1', port, limit=1 << 20)
    start, cpu = time.perf_counter(), time.process_time()
    writer.write(f'LINES {count}\n'.encode())
    got = 0
    while True:
        try:
            await reader.readuntil(b'\r\n')
        except asyncio.IncompleteReadError:
            break
        got += 1
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    writer.close()
    return {'seconds': seconds, 'work': got, 'cpuSeconds': cpu}


def main() -> None:
    kind, port, *rest = sys.argv[1:]
    numbers = [int(value) for value in rest]
    work = {'receive': receive, 'send': send, 'pingpong': pingpong, 'lines': lines}[kind]
    print(json.dumps(asyncio.run(work(int(port), *numbers))))


main()
