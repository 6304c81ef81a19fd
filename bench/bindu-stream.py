"""Time to the first event of message/stream, N times, on a running Bindu agent.

    python3 bench/bindu-stream.py http://127.0.0.1:3873 [N]

Prints the median and p99 of the time from sending the request to reading the
first `data:` line (the task's `submitted` event), and of the time to the last
(`completed`) event. Standard library only; loopback only.
"""
import http.client
import json
import statistics
import sys
import time
import urllib.parse


def one(url, i):
    u = urllib.parse.urlparse(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    body = json.dumps({"jsonrpc": "2.0", "id": i, "method": "message/stream", "params": {"message": {
        "messageId": f"stream-bench-{i}", "role": "user", "parts": [{"kind": "text", "text": "bench"}]}}})
    start = time.perf_counter()
    conn.request("POST", "/", body, {"Content-Type": "application/json"})
    response = conn.getresponse()
    first = last = None
    while True:
        line = response.fp.readline()
        if not line:
            break
        if line.startswith(b"data:"):
            now = time.perf_counter() - start
            first = first if first is not None else now
            last = now
            if b'"final":true' in line:
                break
    conn.close()
    return first, last


def main():
    url = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    results = [one(url, i) for i in range(n)]
    for name, values in (("first event", [r[0] for r in results]), ("final event", [r[1] for r in results])):
        values.sort()
        p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
        print(f"{name}: median {statistics.median(values) * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms over {n} streams")


if __name__ == "__main__":
    main()
