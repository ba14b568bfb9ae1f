#!/usr/bin/env python3
"""Hostile connectors against a real `patchbay serve`: which typed error each abuse case ends with
and how long it takes, and how `/livez` answers while four of them run at once.

    cargo build --release -p api
    python3 bench/abuse.py --binary target/release/patchbay

Starts the server on SQLite in a temporary directory with the demo catalog, creates a user, a
token and a workspace with the CLI against the same data directory, publishes one listing whose
actions are the abuse cases of issue 12, installs it, and runs the actions through the debugger
(`runAction`): four at a time, back to back, from four threads, for `--seconds`, while a fifth
thread asks `/livez` every 10 ms. A source with a syntax error cannot be installed, so that case
is a publish (`createConnector`) of a broken source, in the same rotation. Before the load, a
baseline `/livez` series. Prints figures, and a FAIL line for every case that did not end with a
typed error within the deadline plus the kill grace. Only loopback. Exit status 1 on any FAIL.
"""

import argparse
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

# Every case must end with one of these (the SDK's run error codes that blame the connector, and
# the publish refusal); `INTERNAL` and `WORKER_FAILED` are the server's own failures, not typed
# outcomes of the abuse.
TYPED = {"RUNTIME", "TIMEOUT", "LIMIT_EXCEEDED", "BAD_USER_INPUT"}
# The server's sandbox defaults: `run_deadline_ms` 5000 and `kill_grace_ms` 2000.
# The bound adds half a second to the 7 s for spawning the worker, reaping it and answering over
# HTTP on a loaded 2-core machine.
BOUND_S = 7.5
LIVEZ_BUDGET_S = 0.050

# name -> body of `execute`. Each is what the issue lists; none should ever return.
CASES = {
    "while_true": "while (true) {}",
    "string_growth": 'let s = "x"; while (true) { s += s; }',
    "array_growth": "const a = []; while (true) { a.push(a.length); }",
    "object_growth": 'const o = {}; let i = 0; while (true) { o["k" + i] = i; i += 1; }',
    "array_join_1e9": "return { s: new Array(1e9).join() };",
    # About QuickJS's largest BigInt (a million bits); one `toString` of it takes ~4 s on this
    # machine with a core to itself, so three of them outlast the deadline inside native code.
    "bigint_tower": "let s = ''; for (let i = 0; i < 3; i += 1) { s = (3n ** 600000n).toString(); } return { n: s.length };",
    "regex_backtracking": 'return { m: /^(a+)+$/.test("a".repeat(64) + "!") };',
    "deep_recursion": "const f = (n) => f(n + 1) + 1; return { n: f(0) };",
    "eval": 'return { v: eval("1 + 1") };',
    "function_ctor": 'return { v: Function("return 1")() };',
    "arrow_ctor": 'return { v: (() => 0).constructor("return 1")() };',
    "dynamic_import": 'const m = await import("os"); return { v: typeof m };',
    "require": 'const fs = require("fs"); return { v: typeof fs };',
    "foreign_global": 'return { v: globalThis.std.getenv("HOME") };',
    "read_env": "return { v: process.env.HOME };",
}
SYNTAX_CASE = "syntax_error (publish)"
BROKEN_SOURCE = 'export default {\n  title: "Broken",\n  actions: { a: { title: "A", execute: () => { return ( } } },\n};\n'


def connector_source():
    actions = []
    for name, body in CASES.items():
        asynchronous = "async " if "await" in body else ""
        actions.append(
            f'    {name}: {{\n      title: "{name}",\n'
            f"      execute: {asynchronous}(connection, input) => {{ {body} }},\n    }},"
        )
    return 'export default {\n  title: "Abuse",\n  actions: {\n' + "\n".join(actions) + "\n  },\n};\n"


class Client:
    def __init__(self, base, token):
        self.base = base
        self.token = token

    def graphql(self, query, variables):
        body = json.dumps({"query": query, "variables": variables}).encode()
        req = urllib.request.Request(
            f"{self.base}/graphql",
            data=body,
            headers={"content-type": "application/json", "authorization": f"Bearer {self.token}"},
        )
        with urllib.request.urlopen(req, timeout=120) as resp:
            answer = json.loads(resp.read())
        if answer.get("errors"):
            raise RuntimeError(f"GraphQL errors: {answer['errors']}")
        return answer["data"]


CREATE = """mutation Create($input: CreateConnectorInput!) {
  createConnector(input: $input) { connector { slug } userErrors { code message line } }
}"""
INSTALL = """mutation Install($input: InstallConnectorInput!) {
  installConnector(input: $input) { workspaceConnector { id } userErrors { code message } }
}"""
RUN = """mutation Run($input: RunActionInput!) {
  runAction(input: $input) {
    run { ok durationMs error { code message line } }
    userErrors { code message }
  }
}"""


def listing(slug, source):
    return {
        "slug": slug,
        "name": f"Abuse {slug}",
        "summary": "Hostile connector actions for bench/abuse.py",
        "category": "developer-tools",
        "version": "1.0.0",
        "source": source,
    }


def run_case(client, connector_id, name, serial):
    """One run; returns (code, message, wall seconds, server durationMs or None)."""
    started = time.perf_counter()
    if name == SYNTAX_CASE:
        data = client.graphql(CREATE, {"input": listing(f"abuse-broken-{serial}", BROKEN_SOURCE)})
        took = time.perf_counter() - started
        payload = data["createConnector"]
        errors = payload["userErrors"]
        if not errors:
            return "published", "a broken source was accepted", took, None
        return errors[0]["code"], errors[0]["message"], took, None
    variables = {"input": {"target": {"workspaceConnectorId": connector_id}, "action": name, "input": {}}}
    data = client.graphql(RUN, variables)
    took = time.perf_counter() - started
    payload = data["runAction"]
    if payload["userErrors"]:
        error = payload["userErrors"][0]
        return f"userError {error['code']}", error["message"], took, None
    run = payload["run"]
    if run["ok"]:
        return "ok", "the run completed", took, run["durationMs"]
    return run["error"]["code"], run["error"]["message"], took, run["durationMs"]


def livez(base):
    started = time.perf_counter()
    with urllib.request.urlopen(f"{base}/livez", timeout=60) as resp:
        resp.read()
    return time.perf_counter() - started


def probe(base, stop, samples, count=None):
    """`/livez` every 10 ms (the pause is between answers) until `stop` or `count` samples."""
    while not stop.is_set() and (count is None or len(samples) < count):
        samples.append(livez(base))
        time.sleep(0.01)


def ms(seconds):
    return f"{seconds * 1000:.1f} ms"


def percentile(ordered, fraction):
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def livez_line(label, samples):
    ordered = sorted(samples)
    slow = sum(1 for s in ordered if s > LIVEZ_BUDGET_S)
    return (
        f"{label}: {len(ordered)} answers, p50 {ms(percentile(ordered, 0.5))}, "
        f"p99 {ms(percentile(ordered, 0.99))}, max {ms(ordered[-1])}, over 50 ms: {slow}"
    )


def cli(binary, data, *args):
    done = subprocess.run(
        [binary, *args, "--data-dir", data],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "RUST_LOG": "warn"},
    )
    if done.returncode != 0:
        raise RuntimeError(f"patchbay {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout.strip()


def loadavg():
    try:
        with open("/proc/loadavg", encoding="ascii") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "unknown"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default="target/release/patchbay")
    parser.add_argument("--port", type=int, default=18932)
    parser.add_argument("--seconds", type=float, default=20.0, help="how long the four threads keep starting runs")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--nice-workers",
        type=int,
        default=0,
        help="start every worker through `nice -n N` (a wrapper set as `sandbox.worker_program`): an experiment",
    )
    args = parser.parse_args()
    base = f"http://127.0.0.1:{args.port}"
    data = tempfile.mkdtemp(prefix="patchbay-abuse-")
    env = {**os.environ, "RUST_LOG": "warn"}
    if args.nice_workers:
        # A worker starts with an empty environment, so every path in the wrapper is absolute.
        wrapper = os.path.join(data, "nice-worker.sh")
        with open(wrapper, "w", encoding="utf-8") as f:
            f.write(f'#!/bin/sh\nexec {shutil.which("nice")} -n {args.nice_workers} {os.path.abspath(args.binary)} worker "$@"\n')
        os.chmod(wrapper, 0o755)
        config = os.path.join(data, "patchbay.toml")
        with open(config, "w", encoding="utf-8") as f:
            f.write(f"[sandbox]\nworker_program = {json.dumps(wrapper)}\n")
        env["PATCHBAY_CONFIG"] = config
    server = subprocess.Popen(
        [args.binary, "serve", "--demo", "--bind", f"127.0.0.1:{args.port}", "--data-dir", data],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    failures = []
    try:
        for _ in range(600):
            if server.poll() is not None:
                raise RuntimeError(f"the server exited with status {server.returncode} before answering")
            try:
                livez(base)
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("the server did not answer /livez within 60 s")
        # The CLI writes to the same SQLite database the running server holds open.
        cli(args.binary, data, "user", "create", "--handle", "abuser", "--name", "Abuser", "--email", "abuser@example.com")
        token = cli(args.binary, data, "token", "create", "--user", "abuser", "--name", "abuse-bench").splitlines()[-1]
        cli(args.binary, data, "workspace", "create", "--slug", "abuse", "--name", "Abuse", "--admin", "abuser")
        client = Client(base, token)
        created = client.graphql(CREATE, {"input": listing("abuse", connector_source())})["createConnector"]
        if created["userErrors"]:
            raise RuntimeError(f"createConnector refused the abuse listing: {created['userErrors']}")
        installed = client.graphql(INSTALL, {"input": {"workspace": "abuse", "connector": "abuse"}})["installConnector"]
        if installed["userErrors"]:
            raise RuntimeError(f"installConnector refused: {installed['userErrors']}")
        connector_id = installed["workspaceConnector"]["id"]

        niceness = f"workers under nice -n {args.nice_workers}" if args.nice_workers else "workers at the server's priority"
        print(f"load average before: {loadavg()} ({os.cpu_count()} CPUs); {niceness}")
        baseline = []
        probe(base, threading.Event(), baseline, count=500)
        print(livez_line("/livez, no load", baseline))

        names = [*CASES, SYNTAX_CASE]
        results = {name: [] for name in names}
        lock = threading.Lock()
        serial = itertools.count()
        deadline = time.monotonic() + args.seconds
        stop = threading.Event()
        errors = []

        def hammer(offset):
            # One rotation shared by the threads: whichever is free takes the next case.
            try:
                while time.monotonic() < deadline:
                    with lock:
                        turn = next(serial)
                    name = names[turn % len(names)]
                    outcome = run_case(client, connector_id, name, turn)
                    with lock:
                        results[name].append(outcome)
            except Exception as error:  # noqa: BLE001 - reported and counted as a FAIL below
                errors.append(f"thread {offset}: {error!r}")

        samples = []
        prober = threading.Thread(target=probe, args=(base, stop, samples))
        workers = [threading.Thread(target=hammer, args=(i,)) for i in range(args.threads)]
        prober.start()
        started = time.monotonic()
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        loaded_for = time.monotonic() - started
        stop.set()
        prober.join()
        print(f"load average after: {loadavg()}")
        print(f"{sum(len(r) for r in results.values())} runs in {loaded_for:.1f} s, {args.threads} at a time")
        print(livez_line(f"/livez during the load ({args.threads} hostile runs at a time)", samples))
        print()
        print(f"{'case':24} {'runs':>4}  {'code':16} {'wall p50':>10} {'wall max':>10} {'server max':>11}  message")
        for name in names:
            outcomes = results[name]
            if not outcomes:
                print(f"{name:24} {0:>4}  (not run: raise --seconds)")
                failures.append(f"{name}: not run")
                continue
            walls = sorted(o[2] for o in outcomes)
            codes = sorted({o[0] for o in outcomes})
            durations = [o[3] for o in outcomes if o[3] is not None]
            server_max = f"{max(durations):.0f} ms" if durations else "-"
            message = outcomes[-1][1].replace("\n", " ")[:90]
            print(
                f"{name:24} {len(outcomes):>4}  {'/'.join(codes):16} {ms(statistics.median(walls)):>10} "
                f"{ms(walls[-1]):>10} {server_max:>11}  {message}"
            )
            for code_, message_, wall, _ in outcomes:
                if code_ not in TYPED:
                    failures.append(f"{name}: ended with {code_} ({message_[:120]})")
                elif wall > BOUND_S:
                    failures.append(f"{name}: {code_} after {wall:.2f} s, over the {BOUND_S} s bound")
        failures.extend(errors)
    finally:
        server.terminate()
        try:
            server.wait(timeout=40)
        except subprocess.TimeoutExpired:
            server.kill()
    print()
    for failure in failures:
        print(f"FAIL {failure}")
    if not failures:
        print(f"every case ended with a typed error ({', '.join(sorted(TYPED))}) within {BOUND_S} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
