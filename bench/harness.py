#!/usr/bin/env python3
"""The Patchbay benchmark harness (run it through `bench/run`; see BENCHMARKS.md).

Builds the release server and the bench crate's seeder, seeds a scale catalog
(`patchbay-bench seed --scale N`) on SQLite and/or a fresh PostgreSQL database, starts
`patchbay serve` pinned to core 0, drives it with wrk pinned to core 1 (64 connections, bounded
duration per scenario), and prints a table: requests/s, p50/p95/p99 latency, error rate (a 200
whose body has "errors" is an error), SQL statements per request (from /metrics), server peak RSS
(VmHWM), and each scenario as a ratio to the `{ __typename }` ceiling of the same run.
Standard library only.
"""

import argparse
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
LUA = BENCH / "lua"
BINARY = ROOT / "target" / "release" / "patchbay"
# The scale seeder: the bench crate's binary, not the server's.
SEEDER = ROOT / "target" / "release" / "patchbay-bench"

COMMON_TERM = "nebula"
RARE_TERM = "quasar"

CATALOG_PAGE = """query { connectors(first: 20, sort: INSTALLS) {
  totalCount pageInfo { hasNextPage endCursor }
  edges { cursor node {
    slug name summary category keywords
    metrics { totalInstalls activeInstalls installsLast30Days }
    latestVersion { version }
    owners { handle displayName authorStats { connectorsPublished totalInstalls activeInstalls versionsPublished lastPublishedAt } }
  } } } }"""

SEARCH = """query($q: String!) { connectors(query: $q, first: 20) {
  totalCount edges { node { slug name summary category metrics { totalInstalls activeInstalls } } } } }"""

LISTING_PAGE = """query($slug: String!) { connector(slug: $slug) {
  slug name summary description category keywords
  owners { handle displayName authorStats { connectorsPublished totalInstalls activeInstalls versionsPublished lastPublishedAt } }
  latestVersion { version }
  versions(first: 10) { totalCount edges { node { version releaseNotes breaking breakingMessage installs activeInstalls publishedAt publishedBy { handle } capabilities { actions { name title } triggers { name title } allowedHosts } } } }
  metrics { totalInstalls activeInstalls installsLast30Days dailyInstalls(days: 90) { date installs } adoption { version activeInstalls share } }
} }"""


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def run(cmd, **kw):
    log("$ " + " ".join(str(c) for c in cmd))
    return subprocess.run(cmd, check=True, **kw)


def machine():
    cpu = "unknown"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = 0
    for line in open("/proc/meminfo"):
        if line.startswith("MemTotal"):
            mem_kb = int(line.split()[1])
    return {
        "nproc": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "cpu": cpu,
        "load": open("/proc/loadavg").read().split()[:3],
        "kernel": os.uname().release,
    }


def ensure_wrk():
    if shutil.which("wrk"):
        return
    log("wrk is missing: installing it from Debian")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    run(sudo + ["apt-get", "install", "-y", "wrk"])


def ensure_taskset():
    if not shutil.which("taskset"):
        sys.exit("taskset (util-linux) is needed to pin the server and wrk to cores")


class Backend:
    def __init__(self, kind, out, pg_base):
        self.kind = kind
        self.out = out
        self.pg_base = pg_base.rstrip("/")
        self.db_name = None
        if kind == "sqlite":
            self.data_dir = out / "sqlite-data"
            self.args = ["--data-dir", str(self.data_dir)]
        else:
            self.db_name = f"patchbay_bench_{int(time.time())}"
            self.url = f"{self.pg_base}/{self.db_name}"
            self.args = ["--database-url", self.url]

    def create(self):
        if self.kind == "sqlite":
            shutil.rmtree(self.data_dir, ignore_errors=True)
        else:
            run(["psql", f"{self.pg_base}/postgres", "-qc", f"CREATE DATABASE {self.db_name}"])

    def drop(self):
        if self.kind == "postgres":
            subprocess.run(["psql", f"{self.pg_base}/postgres", "-qc",
                            f"DROP DATABASE IF EXISTS {self.db_name} WITH (FORCE)"])

    def sql(self, query):
        """Rows of a read-only query, as lists of strings."""
        if self.kind == "sqlite":
            conn = sqlite3.connect(f"file:{self.data_dir / 'patchbay.db'}?mode=ro", uri=True)
            try:
                return [[str(v) for v in row] for row in conn.execute(query).fetchall()]
            finally:
                conn.close()
        out = subprocess.run(["psql", self.url, "-AtF", "\t", "-c", query], check=True,
                             capture_output=True, text=True).stdout
        return [line.split("\t") for line in out.splitlines() if line]

    def scalar(self, query):
        return int(self.sql(query)[0][0] or 0)


class Server:
    def __init__(self, backend, port, out):
        self.backend = backend
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log = open(out / f"server-{backend.kind}.log", "a")
        env = dict(os.environ)
        env.setdefault("PATCHBAY_LOG_FORMAT", "json")
        env.pop("DATABASE_URL", None)
        self.proc = subprocess.Popen(
            ["taskset", "-c", "0", str(BINARY), "serve", "--bind", f"127.0.0.1:{port}"]
            + backend.args, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        deadline = time.time() + 120
        while time.time() < deadline:
            if self.proc.poll() is not None:
                sys.exit(f"server exited with {self.proc.returncode}; see {self.log.name}")
            try:
                urllib.request.urlopen(self.url + "/readyz", timeout=2).read()
                return
            except Exception:
                time.sleep(0.3)
        sys.exit("server did not become ready")

    def status(self, field):
        for line in open(f"/proc/{self.proc.pid}/status"):
            if line.startswith(field + ":"):
                return int(line.split()[1]) // 1024  # MiB
        return 0

    def metrics(self):
        text = urllib.request.urlopen(self.url + "/metrics", timeout=10).read().decode()
        values = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                values[name.split("{")[0]] = values.get(name.split("{")[0], 0) + float(value)
        return values

    def graphql(self, query, variables=None, token=None):
        req = urllib.request.Request(
            self.url + "/graphql",
            data=json.dumps({"query": query, "variables": variables or {}}).encode(),
            headers={"content-type": "application/json",
                     **({"authorization": f"Bearer {token}"} if token else {})})
        body = json.loads(urllib.request.urlopen(req, timeout=60).read())
        if body.get("errors"):
            raise RuntimeError(f"GraphQL errors: {body['errors']}")
        return body["data"]

    def stop(self):
        if self.proc.poll() is not None:
            return
        # Requests still queued from a saturated scenario would hold a graceful stop for up to
        # 30 s; the next scenario gets a fresh process, so do not wait for them.
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def wrk(server, script, env, duration, connections, threads=1):
    cmd = ["taskset", "-c", "1", "wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s",
           "--timeout", "10s", "-s", str(script), server.url + "/graphql"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **env})
    result = None
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            result = {k: int(v) for k, v in (kv.split("=") for kv in line.split()[1:])}
    if result is None:
        raise RuntimeError(f"wrk gave no result:\n{proc.stdout}\n{proc.stderr}")
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


def write_bodies(path, query, variable_sets):
    with open(path, "w") as f:
        for variables in variable_sets:
            f.write(json.dumps({"query": query, "variables": variables}) + "\n")


def measure(server, name, script, env, args, connections, threads=1, warmup=True):
    if warmup and args.warmup > 0:
        wrk(server, script, env, args.warmup, connections, threads)
    before = server.metrics()
    result = wrk(server, script, env, args.duration, connections, threads)
    after = server.metrics()
    gql = after.get("patchbay_graphql_requests_total", 0) - before.get(
        "patchbay_graphql_requests_total", 0)
    stmts = after.get("patchbay_db_statements_total", 0) - before.get(
        "patchbay_db_statements_total", 0)
    secs = after.get("patchbay_db_statement_seconds_total", 0) - before.get(
        "patchbay_db_statement_seconds_total", 0)
    result["scenario"] = name
    result["connections"] = connections
    hits = after.get("patchbay_response_cache_hits_total", 0) - before.get(
        "patchbay_response_cache_hits_total", 0)
    result["cache_hit_rate"] = hits / gql if gql else 0
    result["stmts_per_req"] = stmts / gql if gql else 0
    result["sql_ms_per_req"] = secs * 1000 / gql if gql else 0
    result["hwm_mib"] = server.status("VmHWM")
    result["rss_mib"] = server.status("VmRSS")
    result["error_rate"] = result["errors"] / result["requests"] if result["requests"] else 0
    log(f"  {name}: {result['rps']:.0f} req/s, p99 {result['p99_us'] / 1000:.1f} ms, "
        f"errors {result['errors']}, {result['stmts_per_req']:.1f} stmts/req, "
        f"peak RSS {result['hwm_mib']} MiB")
    return result


def install_counts(b):
    ws = "(SELECT id FROM workspaces WHERE slug LIKE 'bench-%')"
    return {
        "install_events": b.scalar(
            f"SELECT COUNT(*) FROM install_events WHERE kind = 'install' AND workspace_id IN {ws}"),
        "uninstall_events": b.scalar(
            f"SELECT COUNT(*) FROM install_events WHERE kind = 'uninstall' AND workspace_id IN {ws}"),
        "copies": b.scalar(f"SELECT COUNT(*) FROM workspace_connectors WHERE workspace_id IN {ws}"),
        "install_count_sum": b.scalar("SELECT SUM(install_count) FROM connectors"),
        "active_sum": b.scalar("SELECT SUM(active_installs) FROM connectors"),
        "version_install_sum": b.scalar("SELECT SUM(install_count) FROM connector_versions"),
        "version_active_sum": b.scalar("SELECT SUM(active_installs) FROM connector_versions"),
        "day_sum": b.scalar("SELECT SUM(installs) FROM connector_install_days"),
    }


def timed(cmd, out_file):
    start = time.monotonic()
    with open(out_file, "w") as f:
        proc = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT)
    took = time.monotonic() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}); see {out_file}")
    return took


def bench_backend(kind, args, out):
    b = Backend(kind, out, args.pg_url)
    report = {"backend": kind, "scenarios": [], "checks": []}
    b.create()
    try:
        log(f"== {kind}: seeding {args.scale} listings")
        start = time.monotonic()
        seed = subprocess.run([str(SEEDER), "seed", "--scale", str(args.scale)] + b.args,
                              capture_output=True, text=True, env={**os.environ,
                                                                   "RUST_LOG": "warn"})
        report["seed_seconds"] = time.monotonic() - start
        (out / f"seed-{kind}.log").write_text(seed.stdout + seed.stderr)
        log(seed.stdout)
        if seed.returncode != 0:
            sys.exit(f"seed failed:\n{seed.stderr}")
        report["seed_output"] = seed.stdout
        token = subprocess.run([str(BINARY), "token", "create", "--user", "bench", "--name",
                                "bench"] + b.args, check=True, capture_output=True,
                               text=True).stdout.strip()
        if kind == "sqlite":
            report["db_size_mib"] = sum(
                p.stat().st_size for p in b.data_dir.iterdir()) // (1024 * 1024)
        else:
            report["db_size_mib"] = b.scalar(
                f"SELECT pg_database_size('{b.db_name}')") // (1024 * 1024)

        top = [r[0] for r in b.sql("SELECT slug FROM connectors ORDER BY install_count DESC, id LIMIT 20")]
        rand = [r[0] for r in b.sql("SELECT slug FROM connectors ORDER BY random() LIMIT 80")]
        install_slugs = [r[0] for r in b.sql("SELECT slug FROM connectors ORDER BY random() LIMIT 1000")]
        (out / "install-slugs.txt").write_text("\n".join(install_slugs) + "\n")
        bodies = out / "bodies"
        bodies.mkdir(exist_ok=True)
        write_bodies(bodies / "ceiling.json", "{ __typename }", [{}])
        write_bodies(bodies / "catalog.json", CATALOG_PAGE, [{}])
        write_bodies(bodies / "rare.json", SEARCH, [{"q": RARE_TERM}])
        write_bodies(bodies / "common.json", SEARCH, [{"q": COMMON_TERM}])
        write_bodies(bodies / "listing.json", LISTING_PAGE, [{"slug": s} for s in top + rand])

        server = Server(b, args.port, out)
        try:
            # Sanity: the search terms hit what the generator promised.
            hits = {t: server.graphql(SEARCH, {"q": t})["connectors"]["totalCount"]
                    for t in (RARE_TERM, COMMON_TERM)}
            report["search_hits"] = hits
            log(f"  search hits: {hits}")
            gql = LUA / "graphql.lua"
            c = args.connections
            # Anonymous requests may be answered from the response cache (1 s). The page
            # scenarios run both ways; "computed" sends `Cache-Control: no-cache`, so every
            # request runs its SQL. Searches are always computed: the harness repeats one
            # search text, real visitors type many.
            cached, computed = {}, {"BENCH_NO_CACHE": "1"}
            scenarios = [("ceiling { __typename }", "ceiling", c, cached),
                         ("catalog page, cached", "catalog", c, cached),
                         ("catalog page, computed", "catalog", c, computed),
                         (f"search, rare term ({hits[RARE_TERM]} hits)", "rare", c, computed),
                         (f"search, common term ({hits[COMMON_TERM]} hits)", "common", c,
                          computed),
                         ("listing page, cached", "listing", c, cached),
                         ("listing page, computed", "listing", c, computed),
                         ("search, rare term, 1 client", "rare", 1, computed),
                         ("search, common term, 1 client", "common", 1, computed)]
            for name, body, conns, extra in scenarios:
                # A fresh server per scenario: requests a slow scenario left queued when wrk
                # stopped must not be billed to the next one (and peak RSS is per scenario).
                server.stop()
                server = Server(b, args.port, out)
                report["scenarios"].append(measure(
                    server, name, gql, {"BENCH_BODIES": str(bodies / f"{body}.json"), **extra},
                    args, conns))
            server.stop()
            server = Server(b, args.port, out)

            before = install_counts(b)
            r = measure(server, "install + uninstall (64 workspaces)", LUA / "install.lua",
                        {"BENCH_SLUGS": str(out / "install-slugs.txt"), "BENCH_TOKEN": token},
                        args, c, threads=c, warmup=False)
            time.sleep(3)  # let the requests still in flight when wrk stopped finish
            after = install_counts(b)
            d = {k: after[k] - before[k] for k in before}
            report["install_delta"] = d
            report["install_lua"] = {"installs": r["installs"], "uninstalls": r["uninstalls"]}
            checks = [
                ("listing install_count grew by the install events",
                 d["install_count_sum"] == d["install_events"]),
                ("version install_count grew by the install events",
                 d["version_install_sum"] == d["install_events"]),
                ("daily summary grew by the install events", d["day_sum"] == d["install_events"]),
                ("active installs = installs - uninstalls",
                 d["active_sum"] == d["install_events"] - d["uninstall_events"]),
                ("version active installs = installs - uninstalls",
                 d["version_active_sum"] == d["install_events"] - d["uninstall_events"]),
                ("copies held = installs - uninstalls",
                 d["copies"] == d["install_events"] - d["uninstall_events"]),
                ("installs the clients saw are recorded (at most one in flight per client)",
                 r["installs"] <= d["install_events"] <= r["installs"] + c),
                ("uninstalls the clients saw are recorded",
                 r["uninstalls"] <= d["uninstall_events"] <= r["uninstalls"] + c),
            ]
            report["checks"] = [(text, bool(ok)) for text, ok in checks]
            # An install and an uninstall are two requests: report installs/s too.
            r["installs_per_s"] = d["install_events"] / (r["duration_us"] / 1e6)
            report["scenarios"].append(r)
            for text, ok in report["checks"]:
                log(f"  [{'ok' if ok else 'FAILED'}] {text}")
            log(f"  counts: {d}; clients saw {report['install_lua']}")

            # Packages: the CLI, end to end, against the same server.
            cli = ["taskset", "-c", "1", str(BINARY), "package"]
            srv = ["--server", server.url, "--token", token]
            pkg = out / f"package-{kind}.zip"
            t_export = timed(cli + ["export"] + srv + ["--workspace", "pkg-src", "--folder", "bench",
                                                       "-o", str(pkg)], out / f"export-{kind}.log")
            t_dry = timed(cli + ["import"] + srv + ["--workspace", "pkg-dst", str(pkg)],
                          out / f"dryrun-{kind}.log")
            fingerprint = next(line.split(":", 1)[1].strip()
                               for line in (out / f"dryrun-{kind}.log").read_text().splitlines()
                               if line.startswith("fingerprint:"))
            t_apply = timed(cli + ["import"] + srv + ["--workspace", "pkg-dst", str(pkg), "--apply",
                                                       "--fingerprint", fingerprint],
                            out / f"apply-{kind}.log")
            dst = "(SELECT id FROM workspaces WHERE slug = 'pkg-dst')"
            imported = {
                "recipes": b.scalar(f"SELECT COUNT(*) FROM recipes WHERE workspace_id = {dst}"),
                "connectors": b.scalar(
                    f"SELECT COUNT(*) FROM workspace_connectors WHERE workspace_id = {dst}"),
            }
            report["package"] = {"export_s": t_export, "dry_run_s": t_dry, "apply_s": t_apply,
                                 "size_bytes": pkg.stat().st_size, "imported": imported,
                                 "hwm_mib": server.status("VmHWM")}
            report["checks"].append(("import applied 1,000 recipes and 100 connectors",
                                     imported == {"recipes": 1000, "connectors": 100}))
            log(f"  package: {report['package']}")
            report["peak_rss_mib"] = server.status("VmHWM")
        finally:
            server.stop()
    finally:
        if not args.keep:
            b.drop()
    return report


def fmt_table(report, targets):
    rows = report["scenarios"]
    ceiling = rows[0]["rps"]
    lines = [
        f"### {report['backend']}  (seed {report['seed_seconds']:.0f} s, database "
        f"{report['db_size_mib']} MiB, server peak RSS {report['peak_rss_mib']} MiB)",
        "",
        "| scenario | conns | req/s | p50 ms | p95 ms | p99 ms | errors | cache hits | "
        "SQL stmts/req | SQL ms/req | peak RSS MiB | × ceiling |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        extra = f" ({r['installs_per_s']:.0f} installs/s)" if "installs_per_s" in r else ""
        lines.append(
            f"| {r['scenario']}{extra} | {r['connections']} | {r['rps']:.0f} | "
            f"{r['p50_us'] / 1000:.2f} | {r['p95_us'] / 1000:.2f} | {r['p99_us'] / 1000:.2f} | "
            f"{r['error_rate'] * 100:.2f}% | {r.get('cache_hit_rate', 0) * 100:.1f}% | "
            f"{r['stmts_per_req']:.1f} | "
            f"{r['sql_ms_per_req']:.2f} | {r['hwm_mib']} | {r['rps'] / ceiling:.3f} |")
    p = report["package"]
    lines += ["",
              f"Package of 1,000 recipes and 100 connectors ({p['size_bytes'] // 1024} KiB), CLI end "
              f"to end: export {p['export_s']:.2f} s, dry run {p['dry_run_s']:.2f} s, apply "
              f"{p['apply_s']:.2f} s; imported {p['imported']}.", ""]
    d, lua = report["install_delta"], report["install_lua"]
    lines.append(f"Installs: clients saw {lua['installs']} installs and {lua['uninstalls']} "
                 f"uninstalls; the ledger recorded {d['install_events']} and "
                 f"{d['uninstall_events']}; copies left {d['copies']}.")
    for text, ok in report["checks"]:
        lines.append(f"- [{'x' if ok else ' '}] {text}")
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scale", type=int, default=100_000, help="listings (default 100000)")
    p.add_argument("--duration", type=int, default=10, help="seconds per scenario (default 10)")
    p.add_argument("--warmup", type=int, default=2, help="warm-up seconds per scenario")
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--db", default="sqlite,postgres", help="sqlite, postgres or both")
    p.add_argument("--pg-url", default=os.environ.get(
        "PATCHBAY_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432"),
        help="PostgreSQL server; a fresh database is created on it")
    p.add_argument("--port", type=int, default=18080)
    p.add_argument("--out", default=str(BENCH / "out"))
    p.add_argument("--skip-build", action="store_true")
    p.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    args = p.parse_args()

    ensure_taskset()
    ensure_wrk()
    if not args.skip_build:
        run(["cargo", "build", "--release", "-p", "api", "--bin", "patchbay",
             "-p", "bench", "--bin", "patchbay-bench"], cwd=ROOT)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    info = machine()
    log(f"machine: {info}")
    reports = []
    for kind in [k.strip() for k in args.db.split(",") if k.strip()]:
        if kind not in ("sqlite", "postgres"):
            sys.exit(f"unknown database {kind}")
        reports.append(bench_backend(kind, args, out))
    info["load_after"] = open("/proc/loadavg").read().split()[:3]
    (out / "results.json").write_text(json.dumps({"machine": info, "args": vars(args),
                                                  "reports": reports}, indent=2))
    print(f"\nMachine: {info['nproc']} cores ({info['cpu']}), {info['memory_gib']} GiB; load "
          f"before {' '.join(info['load'])}, after {' '.join(info['load_after'])}")
    print(f"Command: bench/run --scale {args.scale} --duration {args.duration} "
          f"--connections {args.connections} --db {args.db}\n")
    for r in reports:
        print(fmt_table(r, None))
        print()
    failed = [t for r in reports for t, ok in r["checks"] if not ok]
    if failed:
        print("FAILED CHECKS: " + "; ".join(failed))
        sys.exit(1)


if __name__ == "__main__":
    main()
