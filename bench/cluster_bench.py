#!/usr/bin/env python3
# Throughput of a Candor cluster on one machine (issue 17): IndexFaces and
# SearchFacesByImage against one and then two `candor serve --store` nodes
# sharing one PostgreSQL database (Python 3 standard library only).
#
# For each node count (--nodes, default 1,2):
#   1. A fresh database on a private PostgreSQL 15 server
#      (tools/pg_test_server.sh, started once for the run, fsync on) and that
#      many nodes: `candor serve --store URI --allow-anonymous --listen
#      127.0.0.1:0 --port-file F`, each with its own data directory (its
#      audit log) and the defaults of `candor serve` (engine workers = cores).
#   2. CreateCollection "bench" on the first node.
#   3. IndexFaces phase: --clients threads, client i sending to node
#      i mod nodes, one request at a time on a keep-alive connection, each an
#      IndexFaces (MaxFaces 1) of the next of --images real LFW photographs
#      ($CANDOR_DATA, else ../shared/data: lfw/images/*/*.jpg, evenly spaced
#      over the sorted list; read and base64-encoded once). After
#      --warmup seconds (not counted) the requests started in the next
#      --duration seconds are counted: requests/s = answers / (time from the
#      start of the window to the last counted answer), latency (client side,
#      request to whole response) p50 / p99. A ThrottlingException is counted
#      and retried after 50 ms (as an SDK's first retry); any other error is
#      counted and reported.
#   4. SearchFacesByImage phase, the same way, on "bench" (it now holds the
#      faces of phase 3: a small collection, searched exactly), MaxFaces 10,
#      FaceMatchThreshold 80.
#   CPU: the share of both cores busy over each counted window (/proc/stat),
#   the CPU seconds each node and the PostgreSQL server used in it, and
#   those per answered request (what a request costs, whatever else the
#   machine was doing: the capacity of N cores is about N / that).
#   Every request runs face detection and the embedding network on the node
#   that receives it; that is where the time goes (bench/server_bench and
#   pipeline_bench measure the parts), not in PostgreSQL.
#
# Usage: python3 bench/cluster_bench.py [--candor build/candor] [--nodes 1,2]
#   [--clients 4] [--duration 60] [--warmup 5] [--images 200] [--json-out F]
# Run from the repository root. Prints one line per phase; --json-out writes
# every figure.
import argparse
import base64
import glob
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
THROTTLE_BACKOFF_S = 0.05
CLK_TCK = os.sysconf("SC_CLK_TCK")


def pct(values, p):
    if not values:
        return None
    v = sorted(values)
    return v[min(len(v) - 1, int(p / 100.0 * len(v)))]


def cpu_times():
    """(busy, total) jiffies of the whole machine."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def process_cpu_seconds(pids):
    """utime + stime of the processes `pids` and their waited-for children."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return total / CLK_TCK


def postgres_pids(pgdir):
    """The postmaster and its children (backends, writer, WAL writer...)."""
    with open(os.path.join(pgdir, "data", "postmaster.pid")) as f:
        master = int(f.readline())
    out = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout
    return [master] + [int(p) for p in out.split()]


def load_images(count):
    data = os.environ.get("CANDOR_DATA", os.path.join(ROOT, "..", "shared", "data"))
    paths = sorted(glob.glob(os.path.join(data, "lfw", "images", "*", "*.jpg")))
    if not paths:
        sys.exit(f"no LFW images under {data}/lfw/images")
    step = max(1, len(paths) // count)
    chosen = paths[::step][:count]
    out = []
    for p in chosen:
        with open(p, "rb") as f:
            out.append(base64.b64encode(f.read()).decode())
    return out


class Node:
    def __init__(self, candor, store, workdir, name):
        self.dir = os.path.join(workdir, name)
        os.makedirs(self.dir)
        port_file = os.path.join(self.dir, "port")
        self.log = open(os.path.join(self.dir, "serve.log"), "w")
        self.proc = subprocess.Popen(
            [candor, "serve", "--data-dir", os.path.join(self.dir, "data"), "--store", store,
             "--allow-anonymous", "--listen", "127.0.0.1:0", "--port-file", port_file],
            stderr=self.log, stdout=subprocess.DEVNULL)
        deadline = time.time() + 120
        self.port = None
        while time.time() < deadline and self.proc.poll() is None:
            try:
                with open(port_file) as f:
                    self.port = int(f.read().strip())
                break
            except (OSError, ValueError):
                time.sleep(0.05)
        if self.port is None:
            sys.exit(f"node {name} did not start; see {self.dir}/serve.log")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def call(conn, operation, body):
    conn.request("POST", "/", body=body, headers={
        "X-Amz-Target": "RekognitionService." + operation,
        "Content-Type": "application/x-amz-json-1.1"})
    response = conn.getresponse()
    return response.status, response.read()


def run_phase(nodes, operation, bodies, clients, warmup, duration):
    """Drives `operation` with `clients` threads spread over `nodes`."""
    start = time.monotonic()
    window_start, window_end = start + warmup, start + warmup + duration
    latencies, lock = [], threading.Lock()
    counts = {"throttled": 0, "errors": 0, "last_answer": window_start}
    errors = []
    next_body = [0]

    def client(i):
        node = nodes[i % len(nodes)]
        conn = http.client.HTTPConnection("127.0.0.1", node.port, timeout=300)
        mine = []
        while True:
            with lock:
                body = bodies[next_body[0] % len(bodies)]
                next_body[0] += 1
            began = time.monotonic()
            if began >= window_end:
                break
            try:
                status, answer = call(conn, operation, body)
            except (OSError, http.client.HTTPException) as e:
                status, answer = 0, str(e).encode()
                conn = http.client.HTTPConnection("127.0.0.1", node.port, timeout=300)
            ended = time.monotonic()
            if status == 200:
                if began >= window_start:
                    mine.append((ended - began) * 1000)
                    with lock:
                        counts["last_answer"] = max(counts["last_answer"], ended)
            elif b"ThrottlingException" in answer:
                with lock:
                    counts["throttled"] += 1
                time.sleep(THROTTLE_BACKOFF_S)
            else:
                with lock:
                    counts["errors"] += 1
                    if len(errors) < 3:
                        errors.append(f"{status} {answer[:200]!r}")
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    # Samples taken at the window's edges, from this thread.
    time.sleep(max(0.0, window_start - time.monotonic()))
    busy0, total0 = cpu_times()
    node_cpu0 = [process_cpu_seconds([n.proc.pid]) for n in nodes]
    pg_cpu0 = process_cpu_seconds(run_phase.pg_pids())
    time.sleep(max(0.0, window_end - time.monotonic()))
    busy1, total1 = cpu_times()
    node_cpu1 = [process_cpu_seconds([n.proc.pid]) for n in nodes]
    pg_cpu1 = process_cpu_seconds(run_phase.pg_pids())
    for t in threads:
        t.join()
    elapsed = counts["last_answer"] - window_start
    return {
        "operation": operation, "nodes": len(nodes), "clients": clients,
        "requests": len(latencies),
        "requests_per_s": len(latencies) / elapsed if elapsed > 0 else 0,
        "p50_ms": pct(latencies, 50), "p99_ms": pct(latencies, 99),
        "mean_ms": statistics.mean(latencies) if latencies else None,
        "throttled": counts["throttled"], "errors": counts["errors"],
        "error_samples": errors,
        "machine_cpu_busy": (busy1 - busy0) / max(1, total1 - total0),
        "node_cpu_s": [b - a for a, b in zip(node_cpu0, node_cpu1)],
        "postgres_cpu_s": pg_cpu1 - pg_cpu0, "window_s": duration,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--candor", default="build/candor")
    ap.add_argument("--nodes", default="1,2")
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--duration", type=float, default=60)
    ap.add_argument("--warmup", type=float, default=5)
    ap.add_argument("--images", type=int, default=200)
    ap.add_argument("--json-out")
    args = ap.parse_args()
    candor = os.path.abspath(args.candor)
    images = load_images(args.images)
    index_bodies = [json.dumps({"CollectionId": "bench", "MaxFaces": 1,
                                "Image": {"Bytes": b}}) for b in images]
    search_bodies = [json.dumps({"CollectionId": "bench", "MaxFaces": 10,
                                 "FaceMatchThreshold": 80, "Image": {"Bytes": b}})
                     for b in images]
    with open("/proc/cpuinfo") as f:
        cpu = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "?")
    print(f"cluster_bench: {cpu}, {os.cpu_count()} cores; load {os.getloadavg()[0]:.2f}; "
          f"{len(images)} LFW images, {args.clients} clients, {args.duration:.0f} s per phase")

    workdir = tempfile.mkdtemp(prefix="candor-cluster-bench-")
    # Its own directory: as root, the server runs as `postgres`, which must
    # be able to reach it (pg_test_server.sh chowns it).
    pgdir = tempfile.mkdtemp(prefix="candor-pg-")
    env = dict(os.environ, CANDOR_PG_STOP_WITH_PID=str(os.getpid()))
    uri = subprocess.run([os.path.join(ROOT, "tools", "pg_test_server.sh"), "start", pgdir],
                         env=env, check=True, capture_output=True, text=True).stdout.strip()
    run_phase.pg_pids = lambda: postgres_pids(pgdir)
    results = []
    try:
        for count in [int(n) for n in args.nodes.split(",")]:
            name = f"cluster_bench_{count}"
            subprocess.run(["psql", "-q", uri, "-c", f"CREATE DATABASE {name}"], check=True)
            store = uri.rsplit("/", 1)[0] + "/" + name
            nodes = [Node(candor, store, workdir, f"n{count}-{i}") for i in range(count)]
            try:
                conn = http.client.HTTPConnection("127.0.0.1", nodes[0].port, timeout=60)
                status, answer = call(conn, "CreateCollection", '{"CollectionId":"bench"}')
                if status != 200:
                    sys.exit(f"CreateCollection: {status} {answer[:300]!r}")
                for operation, bodies in (("IndexFaces", index_bodies),
                                          ("SearchFacesByImage", search_bodies)):
                    r = run_phase(nodes, operation, bodies, args.clients, args.warmup,
                                  args.duration)
                    r["load_after"] = os.getloadavg()[0]
                    results.append(r)
                    node_cpu = " + ".join(f"{c:.0f}" for c in r["node_cpu_s"])
                    # Per answered request: what a request costs whatever
                    # else ran on the machine (the others' share is the rest).
                    answered = max(1, r["requests"])
                    r["node_cpu_ms_per_request"] = 1000 * sum(r["node_cpu_s"]) / answered
                    r["postgres_cpu_ms_per_request"] = 1000 * r["postgres_cpu_s"] / answered
                    print(f"{count} node(s) {operation:<19} {r['requests']:5d} requests "
                          f"{r['requests_per_s']:6.2f}/s  p50 {r['p50_ms']:7.1f}  "
                          f"p99 {r['p99_ms']:7.1f} ms  throttled {r['throttled']}  "
                          f"errors {r['errors']}  cores busy {100 * r['machine_cpu_busy']:.0f}%  "
                          f"CPU s: nodes {node_cpu}, PostgreSQL {r['postgres_cpu_s']:.1f} "
                          f"(per request {r['node_cpu_ms_per_request']:.0f} + "
                          f"{r['postgres_cpu_ms_per_request']:.1f} ms)  "
                          f"(load {r['load_after']:.2f})", flush=True)
                    for e in r["error_samples"]:
                        print("   error:", e)
            finally:
                for n in nodes:
                    n.stop()
    finally:
        subprocess.run([os.path.join(ROOT, "tools", "pg_test_server.sh"), "stop", pgdir],
                       capture_output=True)
        shutil.rmtree(workdir, ignore_errors=True)
        shutil.rmtree(pgdir, ignore_errors=True)
    summary = json.dumps(results, indent=1)
    if args.json_out:
        with open(args.json_out, "w") as f:
            f.write(summary)
    bad = sum(r["errors"] for r in results)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
