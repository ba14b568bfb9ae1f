#!/usr/bin/env python3
"""Hostile documents against a real `patchbay serve`: how long a refusal takes, and how `/livez`
answers while four clients send the heaviest documents the server accepts or refuses.

    cargo build --release -p api
    python3 bench/hostile.py --binary target/release/patchbay

Starts the server on SQLite in a temporary directory, prints figures, stops it. Only loopback.
"""

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.request


def bomb(n):
    lines = [f"query Bomb {{ ...F{n} }}", "fragment F0 on Query { __typename }"]
    lines += [f"fragment F{i} on Query {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, n + 1)]
    return "\n".join(lines)


def post(base, query):
    body = json.dumps({"query": query}).encode()
    req = urllib.request.Request(
        f"{base}/graphql",
        data=body,
        headers={"content-type": "application/json", "cache-control": "no-cache"},
    )
    started = time.perf_counter()
    with urllib.request.urlopen(req, timeout=120) as resp:
        answer = json.loads(resp.read())
    return time.perf_counter() - started, answer


def code(answer):
    errors = answer.get("errors") or []
    return errors[0].get("extensions", {}).get("code") if errors else "ok"


def livez(base):
    started = time.perf_counter()
    with urllib.request.urlopen(f"{base}/livez", timeout=60) as resp:
        resp.read()
    return time.perf_counter() - started


def ms(seconds):
    return f"{seconds * 1000:.2f} ms"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default="target/release/patchbay")
    parser.add_argument("--port", type=int, default=18931)
    args = parser.parse_args()
    base = f"http://127.0.0.1:{args.port}"
    data = tempfile.mkdtemp(prefix="patchbay-hostile-")
    server = subprocess.Popen(
        [args.binary, "serve", "--demo", "--bind", f"127.0.0.1:{args.port}", "--data-dir", data],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "RUST_LOG": "warn"},
    )
    try:
        for _ in range(300):
            try:
                livez(base)
                break
            except OSError:
                time.sleep(0.1)
        cases = [
            ("fragment bomb F24 (<1 KB)", bomb(24)),
            ("fragment bomb F39 (~1.5 KB)", bomb(39)),
            ("15 MB comment", "{ __typename }\n#" + "x" * (15 * 1024 * 1024)),
            ("accepted: F10 = 1,024 fields, 2,047 spreads", bomb(10)),
            ("F24 spreading a missing fragment", bomb(24).replace("{ __typename }", "{ ...Missing }", 1)),
        ]
        print("answer time, median of 5 (code)")
        for name, query in cases:
            times, last = [], None
            for _ in range(5):
                took, last = post(base, query)
                times.append(took)
            print(f"  {name:32} {ms(statistics.median(times)):>12}  {code(last)}")

        for name, query in [("F39 (refused)", bomb(39)), ("F10 (accepted)", bomb(10))]:
            stop = threading.Event()
            sent = [0]

            def hammer():
                while not stop.is_set():
                    post(base, query)
                    sent[0] += 1

            workers = [threading.Thread(target=hammer) for _ in range(4)]
            for w in workers:
                w.start()
            time.sleep(0.5)
            samples = []
            for _ in range(200):
                samples.append(livez(base))
                time.sleep(0.01)
            stop.set()
            for w in workers:
                w.join()
            samples.sort()
            print(
                f"/livez while 4 clients send {name}: p50 {ms(samples[100])}, "
                f"p99 {ms(samples[197])}, max {ms(samples[-1])} ({sent[0]} documents sent)"
            )
    finally:
        server.terminate()
        try:
            server.wait(timeout=40)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    main()
