"""A small HTTP load generator for the benchmarks: processes x threads, keep-alive connections.

`run(port, headers, scenario, seconds, processes, threads)` sends `scenario(worker, n)`'s request,
a `(method, path, body)` tuple, in a loop from every thread, and returns (requests/s, p50 ms, p99 ms).
"""

import http.client
import multiprocessing
import statistics
import threading
import time
from typing import Callable, Dict, List, Optional, Tuple

Request = Tuple[str, str, Optional[str]]


def request(port: int, headers: Dict[str, str], method: str, path: str, body: Optional[str] = None) -> bytes:
    """One request (for setting up a benchmark); raises on an error status."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request(method, path, body, headers)
    response = connection.getresponse()
    data = response.read()
    if response.status >= 300:
        raise RuntimeError(f"HTTP {response.status} from {method} {path}: {data[:200]!r}")
    return data


def _thread(port: int, headers: Dict[str, str], scenario: Callable[[str, int], Request], worker: str,
            deadline: float, latencies: List[float]) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    number = 0
    while time.monotonic() < deadline:
        started = time.perf_counter()
        connection.request(*scenario(worker, number), headers=headers)
        response = connection.getresponse()
        response.read()
        if response.status >= 300:
            raise RuntimeError(f"HTTP {response.status} from {scenario(worker, number)[1]}")
        latencies.append(time.perf_counter() - started)
        number += 1


def _process(args: tuple) -> List[float]:
    port, headers, scenario, seconds, threads, process = args
    deadline, latencies = time.monotonic() + seconds, []
    workers = [threading.Thread(target=_thread, args=(port, headers, scenario, f"{process}-{n}", deadline, latencies))
               for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return latencies


def run(port: int, headers: Dict[str, str], scenario: Callable[[str, int], Request], seconds: float,
        processes: int, threads: int = 1) -> Tuple[float, float, float]:
    jobs = [(port, headers, scenario, seconds, threads, n) for n in range(processes)]
    started = time.perf_counter()
    with multiprocessing.Pool(processes) as pool:
        latencies = sorted(sum(pool.map(_process, jobs), []))
    elapsed = time.perf_counter() - started
    return (len(latencies) / elapsed, statistics.median(latencies) * 1000,
            latencies[int(len(latencies) * 0.99)] * 1000)
