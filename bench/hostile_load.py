#!/usr/bin/env python3
# Hostile-load benchmark of `candor serve` (Python 3 standard library only).
#
# Starts a fresh server per scenario (its own temporary data directory,
# --listen 127.0.0.1:0 --port-file --allow-anonymous --access-log), runs the
# scenario while a prober thread does GET /health on a new connection every
# 200 ms (one at a time, 30 s timeout; when a probe overruns, the next one
# starts at once), then stops the server (SIGTERM, SIGKILL after 15 s) and
# reports whether it was still alive, its access-log statuses (any 5xx) and
# the prober's latency (probes started during the scenario; those of the
# quiet second before it are reported apart as the baseline). Scenarios:
#   huge-cl      POST / with Content-Length: 10^15, body streamed for <= 15 s
#   chunked      POST / with Transfer-Encoding: chunked, 10 MiB in 64 KiB chunks
#   slow-headers 40 clients sending one header byte a second for <= 60 s
#   idle-200     200 connections that send nothing, held 30 s
#   idle-2000    2000 such connections, held 30 s
#   memory       4 passes of 470 hostile requests; VmRSS after each pass
#
# Usage:
#   python3 bench/hostile_load.py --binary build/candor [--models .models/pack] \
#       [--manifest models/manifest.json --calibration models/calibration.json] \
#       [--scenarios huge-cl,chunked,slow-headers,idle-200,idle-2000,memory] \
#       [--label new] [--json-out results.json] [--server-arg=--io-threads=2 ...]
# --manifest / --calibration set CANDOR_MANIFEST / CANDOR_CALIBRATION for the
# server (needed when the binary's source tree is gone). The whole run took
# 2.2 min (768d9ce) and 7.5 min (73a54fa, cpp-httplib) on 2 cores. Prints a table per scenario and, at
# the end, a JSON summary (also written to --json-out).
import argparse
import base64
import errno
import json
import os
import random
import resource
import select
import selectors
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HOST = "127.0.0.1"
AMZ_JSON = "application/x-amz-json-1.1"


# --------------------------------------------------------------------------
# Helpers


def pct(values, p):
    if not values:
        return None
    v = sorted(values)
    k = (len(v) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def r3(x):
    return None if x is None else round(x, 3)


def err_name(e):
    if isinstance(e, socket.timeout):
        return "timeout"
    if isinstance(e, OSError) and e.errno is not None:
        return errno.errorcode.get(e.errno, str(e.errno))
    return type(e).__name__


def header_block(lines):
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def api_request(target, body, extra=()):
    if isinstance(body, str):
        body = body.encode()
    lines = ["POST / HTTP/1.1", "Host: %s" % HOST, "Content-Type: " + AMZ_JSON,
             "X-Amz-Target: RekognitionService." + target,
             "Content-Length: %d" % len(body), "Connection: close"]
    lines.extend(extra)
    return header_block(lines) + body


def status_of(raw):
    if not raw:
        return None
    line = raw.split(b"\r\n", 1)[0]
    return line.decode("latin-1", "replace")[:80]


def read_response(sock, timeout):
    """Reads one HTTP response (headers, then Content-Length bytes) or until
    EOF. Returns dict(status, first_byte_s, total_s, bytes, end)."""
    t0 = time.monotonic()
    deadline = t0 + timeout
    buf = b""
    first = None
    end = None
    need = None
    while True:
        rem = deadline - time.monotonic()
        if rem <= 0:
            end = "timeout"
            break
        sock.settimeout(rem)
        try:
            data = sock.recv(65536)
        except OSError as e:
            end = err_name(e)
            break
        if not data:
            end = "eof"
            break
        if first is None:
            first = time.monotonic() - t0
        buf += data
        if need is None:
            hdr_end = buf.find(b"\r\n\r\n")
            if hdr_end >= 0:
                cl = 0
                for h in buf[:hdr_end].split(b"\r\n")[1:]:
                    k, _, v = h.partition(b":")
                    if k.strip().lower() == b"content-length":
                        try:
                            cl = int(v.strip())
                        except ValueError:
                            cl = 0
                need = hdr_end + 4 + cl
        if need is not None and len(buf) >= need:
            end = "complete"
            break
    return {"status": status_of(buf), "first_byte_s": first,
            "total_s": time.monotonic() - t0, "bytes": len(buf), "end": end,
            "raw": buf}


def wait_io(sock, want_write, timeout):
    """poll() one socket (select.select cannot take fds >= 1024)."""
    p = select.poll()
    mask = select.POLLIN | (select.POLLOUT if want_write else 0)
    p.register(sock.fileno(), mask)
    ev = p.poll(int(timeout * 1000))
    r = any(e & (select.POLLIN | select.POLLHUP | select.POLLERR) for _, e in ev)
    w = any(e & (select.POLLOUT | select.POLLERR | select.POLLHUP) for _, e in ev)
    return r, w


def proc_status(pid):
    out = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmRSS", "VmHWM", "Threads"):
                    out[k] = int(v.split()[0])
    except OSError:
        pass
    return out


def cpu_seconds(pid):
    """utime + stime of the process, in seconds."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def open_fds(pid):
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return None


# --------------------------------------------------------------------------
# Server


class Server:
    def __init__(self, args):
        self.args = args
        self.dir = tempfile.mkdtemp(prefix="candor-hostile-")
        self.port_file = os.path.join(self.dir, "port")
        self.access_log = os.path.join(self.dir, "access.log")
        self.out_path = os.path.join(self.dir, "server.out")
        cmd = [args.binary]
        if args.models:
            cmd += ["--models", args.models]
        cmd += ["serve", "--data-dir", os.path.join(self.dir, "data"),
                "--listen", HOST + ":0", "--port-file", self.port_file,
                "--allow-anonymous", "--access-log", self.access_log]
        cmd += args.server_arg
        env = dict(os.environ)
        if args.manifest:
            env["CANDOR_MANIFEST"] = args.manifest
        if args.calibration:
            env["CANDOR_CALIBRATION"] = args.calibration
        self.cmd = cmd
        self.out = open(self.out_path, "wb")
        t0 = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdout=self.out, stderr=subprocess.STDOUT,
                                     cwd=self.dir, env=env)
        self.port = None
        while time.monotonic() - t0 < 120:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited %s at start: %s" %
                                   (self.proc.returncode, self.output_tail()))
            try:
                with open(self.port_file) as f:
                    txt = f.read().strip()
                if txt:
                    self.port = int(txt)
                    break
            except (OSError, ValueError):
                pass
            time.sleep(0.05)
        if self.port is None:
            self.proc.kill()
            raise RuntimeError("server wrote no port in 120 s")
        while time.monotonic() - t0 < 120:
            ok, _, _ = probe_health(self.port, 5)
            if ok:
                break
            time.sleep(0.1)
        self.start_s = time.monotonic() - t0
        self.crashed = None

    def alive(self):
        return self.proc.poll() is None

    def output_tail(self, n=2000):
        try:
            with open(self.out_path, "rb") as f:
                return f.read()[-n:].decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self):
        """Returns a dict: alive before the stop, exit code, how it stopped."""
        res = {"alive_at_end": self.alive()}
        if not res["alive_at_end"]:
            res["exit_code"] = self.proc.returncode
            res["stopped"] = "had exited (crash?)"
        else:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
                res["stopped"] = "SIGTERM"
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                res["stopped"] = "SIGKILL after 15 s"
            res["exit_code"] = self.proc.returncode
        self.out.close()
        res["access_log"] = self.access_statuses()
        tail = self.output_tail(1500)
        res["server_output_tail"] = tail
        if not self.args.keep:
            shutil.rmtree(self.dir, ignore_errors=True)
        return res

    def access_statuses(self):
        counts = {}
        try:
            with open(self.access_log) as f:
                for line in f:
                    try:
                        st = str(json.loads(line).get("status"))
                    except ValueError:
                        st = "unparsed"
                    counts[st] = counts.get(st, 0) + 1
        except OSError:
            pass
        five = sum(v for k, v in counts.items() if k.startswith("5"))
        return {"statuses": counts, "5xx": five}


def probe_health(port, timeout):
    """One GET /health on a new connection. Returns (ok, latency_s, error)."""
    t0 = time.monotonic()
    s = None
    try:
        s = socket.create_connection((HOST, port), timeout=timeout)
        s.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        rem = max(0.001, timeout - (time.monotonic() - t0))
        r = read_response(s, rem)
        lat = time.monotonic() - t0
        if r["end"] == "timeout":
            return False, lat, "timeout"
        if r["status"] and " 200 " in r["status"] + " ":
            return True, lat, None
        return False, lat, "status %s (%s)" % (r["status"], r["end"])
    except OSError as e:
        return False, time.monotonic() - t0, err_name(e)
    finally:
        if s is not None:
            s.close()


class Prober(threading.Thread):
    def __init__(self, port, interval=0.2, timeout=30.0):
        super().__init__(daemon=True)
        self.port = port
        self.interval = interval
        self.timeout = timeout
        self.stop_ev = threading.Event()
        self.samples = []  # (t_start_rel, latency, ok, error)
        self.t0 = time.monotonic()

    def run(self):
        nxt = time.monotonic()
        while not self.stop_ev.is_set():
            now = time.monotonic()
            if now < nxt:
                self.stop_ev.wait(nxt - now)
                continue
            ok, lat, err = probe_health(self.port, self.timeout)
            self.samples.append((now - self.t0, lat, ok, err))
            nxt = max(nxt + self.interval, now)

    def finish(self, scenario_start):
        """Stats of the probes started once the scenario had begun (those of
        the quiet second before it are reported apart, as baseline)."""
        self.stop_ev.set()
        self.join(self.timeout + 5)
        t_rel = scenario_start - self.t0
        out = self.stats([s for s in self.samples if s[0] >= t_rel])
        base = self.stats([s for s in self.samples if s[0] < t_rel])
        out["baseline"] = {k: base[k] for k in ("probes", "p50_ms", "max_ms", "failures")}
        out["samples"] = [[r3(s[0] - t_rel), r3(s[1] * 1000), s[2], s[3]] for s in self.samples]
        return out

    @staticmethod
    def stats(samples):
        lats = [s[1] for s in samples if s[2]]
        fails = [s for s in samples if not s[2]]
        timeouts = [s for s in fails if s[3] == "timeout"]
        errs = {}
        for s in fails:
            errs[s[3]] = errs.get(s[3], 0) + 1
        return {
            "probes": len(samples),
            "ok": len(lats),
            "p50_ms": r3(pct(lats, 50) * 1000) if lats else None,
            "p99_ms": r3(pct(lats, 99) * 1000) if lats else None,
            "max_ms": r3(max(s[1] for s in samples) * 1000) if samples else None,
            "failures": len(fails),
            "timeouts": len(timeouts),
            "errors": errs,
            "slowest": [[r3(s[1]), s[3]] for s in sorted(samples, key=lambda x: -x[1])[:3]],
        }


# --------------------------------------------------------------------------
# Scenarios


def stream_until_closed(port, head, body_iter, duration, after_body_wait):
    """Sends head, then the pieces of body_iter as fast as the socket takes
    them, reading whatever comes back. Stops when the server has closed (EOF
    or reset) or `duration` has passed; after the body is exhausted, waits at
    most `after_body_wait` more for the server."""
    s = socket.create_connection((HOST, port), timeout=5)
    s.setblocking(False)
    t0 = time.monotonic()
    pending = memoryview(head)
    head_len = len(head)
    sent = 0  # bytes on the wire after the head
    sent_at_first_byte = None
    first_byte = None
    resp = b""
    read_end = None
    write_end = None
    write_end_t = None
    body_done_t = None
    limit = t0 + duration
    while True:
        now = time.monotonic()
        if now >= limit:
            break
        if body_done_t is not None and now >= body_done_t + after_body_wait:
            break
        if read_end is not None:
            break
        want_write = write_end is None and body_done_t is None
        r, w = wait_io(s, want_write, 0.05)
        if r:
            try:
                data = s.recv(65536)
                if data:
                    if first_byte is None:
                        first_byte = time.monotonic() - t0
                        sent_at_first_byte = sent
                    if len(resp) < 65536:
                        resp += data
                else:
                    read_end = ("eof", time.monotonic() - t0)
            except BlockingIOError:
                pass
            except OSError as e:
                read_end = (err_name(e), time.monotonic() - t0)
        if w and want_write:
            try:
                if not len(pending):
                    nxt = next(body_iter, None)
                    if nxt is None:
                        body_done_t = time.monotonic()
                        continue
                    pending = memoryview(nxt)
                n = s.send(pending)
                pending = pending[n:]
                if head_len > 0:
                    used = min(n, head_len)
                    head_len -= used
                    n -= used
                sent += n
            except BlockingIOError:
                pass
            except OSError as e:
                write_end = err_name(e)
                write_end_t = time.monotonic() - t0
    elapsed = time.monotonic() - t0
    s.close()
    return {
        "first_response_byte_s": r3(first_byte),
        "status": status_of(resp),
        "response_bytes": len(resp),
        "bytes_sent_before_response": sent_at_first_byte,
        "bytes_sent_total": sent,
        "send_stopped": write_end,
        "send_stopped_at_s": r3(write_end_t),
        "server_closed": read_end[0] if read_end else None,
        "server_closed_at_s": r3(read_end[1]) if read_end else None,
        "body_finished_at_s": r3(body_done_t - t0) if body_done_t else None,
        "client_gave_up_at_s": r3(elapsed) if read_end is None else None,
    }


def scenario_huge_cl(port, args):
    head = header_block([
        "POST / HTTP/1.1", "Host: %s" % HOST, "Content-Type: " + AMZ_JSON,
        "X-Amz-Target: RekognitionService.DetectFaces",
        "Content-Length: 1000000000000000"])
    chunk = b"a" * 65536

    def body():
        while True:
            yield chunk
    return stream_until_closed(port, head, body(), 15.0, 0)


def scenario_chunked(port, args):
    head = header_block([
        "POST / HTTP/1.1", "Host: %s" % HOST, "Content-Type: " + AMZ_JSON,
        "X-Amz-Target: RekognitionService.DetectFaces",
        "Transfer-Encoding: chunked"])
    data = b"a" * 65536
    piece = b"%x\r\n" % len(data) + data + b"\r\n"

    def body():
        for _ in range(160):  # 160 x 64 KiB = 10 MiB
            yield piece
        yield b"0\r\n\r\n"
    res = stream_until_closed(port, head, body(), 60.0, 30.0)
    res["payload_bytes"] = 160 * 65536
    res["wire_bytes_per_chunk"] = len(piece)
    return res


def scenario_slow_headers(port, args):
    n = args.slow_clients
    hold = args.slow_seconds
    prefix = b"POST / HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 200
    results = [None] * n
    start = threading.Barrier(n + 1)

    def client(i):
        start.wait()
        res = {"connected": False, "held_s": None, "end": None, "bytes_sent": 0,
               "response": None}
        try:
            s = socket.create_connection((HOST, port), timeout=10)
        except OSError as e:
            res["end"] = "connect " + err_name(e)
            results[i] = res
            return
        res["connected"] = True
        t0 = time.monotonic()
        s.setblocking(False)
        k = 0
        end = None
        resp = b""
        while time.monotonic() - t0 < hold and end is None:
            if k < len(prefix):
                try:
                    s.send(prefix[k:k + 1])
                    k += 1
                except BlockingIOError:
                    pass
                except OSError as e:
                    end = "send " + err_name(e)
                    break
            tick = t0 + k  # next byte one second after the previous
            while end is None:
                rem = tick - time.monotonic()
                if rem <= 0 or time.monotonic() - t0 >= hold:
                    break
                r, _ = wait_io(s, False, min(rem, hold - (time.monotonic() - t0)))
                if r:
                    try:
                        data = s.recv(4096)
                        if data:
                            resp += data
                        else:
                            end = "eof"
                    except BlockingIOError:
                        pass
                    except OSError as e:
                        end = err_name(e)
        res["held_s"] = time.monotonic() - t0
        res["end"] = end or "client closed at %g s" % hold
        res["bytes_sent"] = k
        res["response"] = status_of(resp)
        s.close()
        results[i] = res

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    start.wait()
    for t in threads:
        t.join(hold + 30)
    held = [r["held_s"] for r in results if r and r["held_s"] is not None]
    ends = {}
    resp = {}
    for r in results:
        if not r:
            continue
        ends[r["end"]] = ends.get(r["end"], 0) + 1
        resp[str(r["response"])] = resp.get(str(r["response"]), 0) + 1
    return {
        "clients": n,
        "connected": sum(1 for r in results if r and r["connected"]),
        "held_median_s": r3(statistics.median(held)) if held else None,
        "held_min_s": r3(min(held)) if held else None,
        "held_max_s": r3(max(held)) if held else None,
        "survived_full_hold": sum(1 for r in results if r and r["end"].startswith("client")),
        "ends": ends,
        "responses": resp,
        "header_bytes_sent_median": statistics.median(
            [r["bytes_sent"] for r in results if r]) if results else None,
    }


def scenario_idle(port, args, n):
    hold = args.idle_seconds
    sel = selectors.DefaultSelector()
    socks = {}
    info = {}
    t_begin = time.monotonic()
    connect_errors = {}
    for i in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        rc = s.connect_ex((HOST, port))
        if rc not in (0, errno.EINPROGRESS):
            name = errno.errorcode.get(rc, str(rc))
            connect_errors[name] = connect_errors.get(name, 0) + 1
            s.close()
            continue
        socks[s.fileno()] = s
        info[s.fileno()] = {"state": "connecting", "t_conn": None, "closed_at": None,
                            "end": None, "resp": b""}
        sel.register(s, selectors.EVENT_WRITE)
    connect_deadline = time.monotonic() + 10
    hold_until = None
    while True:
        now = time.monotonic()
        connecting = [fd for fd, v in info.items() if v["state"] == "connecting"]
        if hold_until is None and (not connecting or now >= connect_deadline):
            hold_until = now + hold
            t_hold = now
        if hold_until is not None and now >= hold_until:
            break
        if not sel.get_map():
            if hold_until is None:
                continue
            time.sleep(min(0.2, max(0, hold_until - now)))
            continue
        for key, ev in sel.select(0.1):
            s = key.fileobj
            fd = key.fd
            v = info[fd]
            if v["state"] == "connecting":
                err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    name = errno.errorcode.get(err, str(err))
                    connect_errors[name] = connect_errors.get(name, 0) + 1
                    v["state"] = "failed"
                    sel.unregister(s)
                    s.close()
                    continue
                v["state"] = "open"
                v["t_conn"] = time.monotonic()
                sel.modify(s, selectors.EVENT_READ)
                continue
            try:
                data = s.recv(4096)
                if data:
                    if len(v["resp"]) < 4096:
                        v["resp"] += data
                    continue
                v["end"] = "eof"
            except BlockingIOError:
                continue
            except OSError as e:
                v["end"] = err_name(e)
            v["state"] = "closed"
            v["closed_at"] = time.monotonic() - v["t_conn"]
            sel.unregister(s)
            s.close()
    connected = [v for v in info.values() if v["t_conn"] is not None]
    closed = [v for v in connected if v["state"] == "closed"]
    close_times = [v["closed_at"] for v in closed]
    ends = {}
    resp = {}
    for v in closed:
        ends[v["end"]] = ends.get(v["end"], 0) + 1
        st = str(status_of(v["resp"]))
        resp[st] = resp.get(st, 0) + 1
    # Histogram of close times in 1 s bins.
    bins = {}
    for t in close_times:
        b = "%d-%ds" % (int(t), int(t) + 1)
        bins[b] = bins.get(b, 0) + 1
    for fd, s in list(socks.items()):
        try:
            s.close()
        except OSError:
            pass
    sel.close()
    return {
        "attempted": n,
        "connected": len(connected),
        "connect_not_completed": sum(1 for v in info.values() if v["state"] == "connecting"),
        "connect_errors": connect_errors,
        "connect_phase_s": r3(t_hold - t_begin),
        "connected_within_connect_phase": sum(1 for v in connected if v["t_conn"] <= t_hold),
        "last_connect_at_s": r3(max(v["t_conn"] for v in connected) - t_begin) if connected else None,
        "hold_s": hold,
        "closed_by_server": len(closed),
        "still_open_at_end": len(connected) - len(closed),
        "closed_at_min_s": r3(min(close_times)) if close_times else None,
        "closed_at_median_s": r3(statistics.median(close_times)) if close_times else None,
        "closed_at_max_s": r3(max(close_times)) if close_times else None,
        "close_histogram": dict(sorted(bins.items(), key=lambda kv: int(kv[0].split("-")[0]))),
        "close_kinds": ends,
        "responses_before_close": resp,
    }


def find_jpeg(root):
    best = None
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for f in sorted(filenames):
            if f.lower().endswith(".jpg"):
                p = os.path.join(dirpath, f)
                if best is None:
                    best = p
                    return best
    return best


def hostile_requests(rng, jpeg_b64):
    """470 (kind, bytes_to_send, mode) requests; mode: 'normal', 'shutdown'
    (shut the write side after sending), 'partial' (send, wait a little for
    an answer, close)."""
    reqs = []
    targets = ["DetectFaces", "ListCollections", "SearchFacesByImage", "IndexFaces",
               "CompareFaces", "CreateCollection"]
    malformed = ['{"Image": {"Bytes": ', "{{{{", '{"Image": [1,2,', "not json at all",
                 '{"CollectionId": "\\ud800"}', '{"Image": {"Bytes": 12}}', "\x00\x01\x02",
                 '{"MaxFaces": -1e999}', '[1,2,3', '{"a":"' + "x" * 5000]
    for i in range(60):
        reqs.append(("malformed-json", api_request(rng.choice(targets), malformed[i % len(malformed)]),
                     "normal"))
    big = "X-Big: " + "a" * (200 * 1024)
    for i in range(30):
        reqs.append(("header-200KiB", api_request("ListCollections", "{}", [big]), "normal"))
    many = ["X-H%d: v" % j for j in range(10000)]
    for i in range(30):
        reqs.append(("10000-headers", api_request("ListCollections", "{}", many), "normal"))
    for i in range(60):
        n = rng.choice([1, 16, 512, 4096, 65536])
        garbage = bytes(rng.getrandbits(8) for _ in range(min(n, 4096)))
        garbage = (garbage * (n // max(1, len(garbage)) + 1))[:n]
        reqs.append(("garbage-bytes", garbage, "normal"))
    for i in range(50):
        cl = rng.choice([9 * 1024 * 1024, 100 * 1024 * 1024, 10 ** 12, 2 ** 63 - 1])
        head = header_block(["POST / HTTP/1.1", "Host: %s" % HOST, "Content-Type: " + AMZ_JSON,
                             "X-Amz-Target: RekognitionService.DetectFaces",
                             "Content-Length: %d" % cl])
        reqs.append(("oversized-content-length", head + b"{" + b"a" * 1023, "partial"))
    for i in range(50):
        full = api_request("DetectFaces", '{"Image": {"Bytes": "' + "A" * 5000 + '"}}')
        cut = rng.randint(len(full) // 4, len(full) - 10)
        reqs.append(("truncated-body-shutdown", full[:cut], "shutdown"))
    for i in range(60):
        name = rng.choice(["NoSuchOperation%d" % i, "", "../../etc", "DetectFaces\x7f",
                           "A" * 300, "detectfaces"])
        reqs.append(("unknown-target", api_request(name, "{}"), "normal"))
    deep_arr = "[" * 10000 + "]" * 10000
    deep_obj = '{"a":' * 10000 + "1" + "}" * 10000
    for i in range(40):
        reqs.append(("deep-json", api_request("DetectFaces", deep_arr if i % 2 == 0 else deep_obj),
                     "normal"))
    for i in range(50):
        n = rng.choice([16, 1024, 50000, 200000])
        raw = bytes(rng.getrandbits(8) for _ in range(min(n, 4096)))
        raw = (raw * (n // len(raw) + 1))[:n]
        if i % 5 == 0:
            raw = b"\xff\xd8\xff\xe0" + raw  # a JPEG start, then garbage
        body = json.dumps({"Image": {"Bytes": base64.b64encode(raw).decode()}})
        reqs.append(("garbage-image", api_request("DetectFaces", body), "normal"))
    valid = json.dumps({"Image": {"Bytes": jpeg_b64}})
    for i in range(40):
        reqs.append(("valid-detectfaces", api_request("DetectFaces", valid), "normal"))
    return reqs


def send_hostile(port, req, timeout):
    kind, data, mode = req
    t0 = time.monotonic()
    try:
        s = socket.create_connection((HOST, port), timeout=10)
    except OSError as e:
        return kind, "connect " + err_name(e), time.monotonic() - t0
    send_err = None
    try:
        s.settimeout(10)
        s.sendall(data)
        if mode == "shutdown":
            s.shutdown(socket.SHUT_WR)
    except OSError as e:
        send_err = err_name(e)
    r = read_response(s, 5.0 if mode == "partial" else timeout)
    s.close()
    st = r["status"]
    if st:
        parts = st.split(" ")
        outcome = parts[1] if len(parts) > 1 and parts[0].startswith("HTTP/") else "non-http:" + st[:20]
    else:
        outcome = "no response (%s%s)" % (r["end"], ", send " + send_err if send_err else "")
    return kind, outcome, time.monotonic() - t0


def scenario_memory(port, args, pid):
    jpeg = args.jpeg or find_jpeg(args.lfw)
    with open(jpeg, "rb") as f:
        jpeg_b64 = base64.b64encode(f.read()).decode()
    out = {"jpeg": jpeg, "passes": []}
    out["rss_after_start_kib"] = proc_status(pid).get("VmRSS")
    # One valid request first, so pass 1 is not just the models loading.
    s = socket.create_connection((HOST, port), timeout=10)
    s.sendall(api_request("DetectFaces", json.dumps({"Image": {"Bytes": jpeg_b64}})))
    warm = read_response(s, 60)
    s.close()
    out["warmup_status"] = warm["status"]
    warm_body = warm["raw"].split(b"\r\n\r\n", 1)[-1]
    try:
        out["warmup_faces"] = len(json.loads(warm_body).get("FaceDetails", []))
    except ValueError:
        out["warmup_faces"] = None
    time.sleep(1)
    out["rss_after_warmup_kib"] = proc_status(pid).get("VmRSS")
    for p in range(args.memory_passes):
        rng = random.Random(1000 + p)
        reqs = hostile_requests(rng, jpeg_b64)
        rng.shuffle(reqs)
        idx = [0]
        lock = threading.Lock()
        results = []

        def worker():
            while True:
                with lock:
                    if idx[0] >= len(reqs):
                        return
                    req = reqs[idx[0]]
                    idx[0] += 1
                res = send_hostile(port, req, args.request_timeout)
                with lock:
                    results.append(res)
        t0 = time.monotonic()
        ths = [threading.Thread(target=worker, daemon=True) for _ in range(args.memory_concurrency)]
        for t in ths:
            t.start()
        for t in ths:
            t.join()
        wall = time.monotonic() - t0
        time.sleep(2)
        st = proc_status(pid)
        by_kind = {}
        for kind, outcome, _ in results:
            d = by_kind.setdefault(kind, {})
            d[outcome] = d.get(outcome, 0) + 1
        five = sum(1 for _, o, _ in results if o.startswith("5"))
        out["passes"].append({
            "pass": p + 1, "requests": len(results), "wall_s": r3(wall),
            "rss_kib": st.get("VmRSS"), "hwm_kib": st.get("VmHWM"),
            "threads": st.get("Threads"), "fds": open_fds(pid), "5xx": five,
            "no_response": sum(1 for _, o, _ in results if o.startswith("no response")),
            "outcomes": by_kind,
        })
    return out


# --------------------------------------------------------------------------
# Driver and report


def run_scenario(name, args):
    srv = Server(args)
    res = {"scenario": name, "server_start_s": r3(srv.start_s), "port": srv.port}
    st0 = proc_status(srv.proc.pid)
    res["server_threads_at_start"] = st0.get("Threads")
    prober = Prober(srv.port)
    prober.start()
    time.sleep(1.0)  # a few quiet probes first
    cpu0 = cpu_seconds(srv.proc.pid)
    t0 = time.monotonic()
    try:
        if name == "huge-cl":
            res["result"] = scenario_huge_cl(srv.port, args)
        elif name == "chunked":
            res["result"] = scenario_chunked(srv.port, args)
        elif name == "slow-headers":
            res["result"] = scenario_slow_headers(srv.port, args)
        elif name == "idle-200":
            res["result"] = scenario_idle(srv.port, args, 200)
        elif name == "idle-2000":
            res["result"] = scenario_idle(srv.port, args, 2000)
        elif name == "memory":
            res["result"] = scenario_memory(srv.port, args, srv.proc.pid)
        else:
            raise ValueError(name)
    except Exception as e:  # keep going: report the failure
        res["error"] = "%s: %s" % (type(e).__name__, e)
    res["scenario_s"] = r3(time.monotonic() - t0)
    cpu1 = cpu_seconds(srv.proc.pid)
    res["server_cpu_s"] = r3(cpu1 - cpu0) if cpu0 is not None and cpu1 is not None else None
    st1 = proc_status(srv.proc.pid)
    res["server_threads_at_end"] = st1.get("Threads")
    res["server_rss_at_end_kib"] = st1.get("VmRSS")
    res["prober"] = prober.finish(t0)
    res["server"] = srv.stop()
    return res


def fmt(v):
    if v is None:
        return "-"
    if isinstance(v, float):
        return "%.3f" % v
    if isinstance(v, dict):
        return ", ".join("%s: %s" % (k, fmt(x)) for k, x in v.items()) or "-"
    return str(v)


def print_table(res, out=sys.stdout):
    rows = []
    r = res.get("result", {})
    name = res["scenario"]
    if name in ("huge-cl", "chunked"):
        keys = ["status", "first_response_byte_s", "bytes_sent_before_response",
                "bytes_sent_total", "body_finished_at_s", "server_closed", "server_closed_at_s",
                "send_stopped", "send_stopped_at_s", "client_gave_up_at_s"]
        rows += [(k, r.get(k)) for k in keys]
    elif name == "slow-headers":
        keys = ["clients", "connected", "held_median_s", "held_min_s", "held_max_s",
                "survived_full_hold", "ends", "responses"]
        rows += [(k, r.get(k)) for k in keys]
    elif name.startswith("idle"):
        keys = ["attempted", "connected", "connect_phase_s", "connected_within_connect_phase",
                "last_connect_at_s", "connect_not_completed", "connect_errors",
                "closed_by_server", "still_open_at_end", "closed_at_min_s", "closed_at_median_s",
                "closed_at_max_s", "close_histogram", "close_kinds", "responses_before_close"]
        rows += [(k, r.get(k)) for k in keys]
    elif name == "memory":
        rows.append(("rss_after_start_kib", r.get("rss_after_start_kib")))
        rows.append(("rss_after_warmup_kib", r.get("rss_after_warmup_kib")))
        rows.append(("warmup", "%s, %s face(s)" % (r.get("warmup_status"), r.get("warmup_faces"))))
        for p in r.get("passes", []):
            rows.append(("pass %d" % p["pass"],
                         "rss %s KiB, hwm %s KiB, threads %s, fds %s, %d requests in %.1f s, "
                         "5xx %d, no response %d" % (p["rss_kib"], p["hwm_kib"], p["threads"],
                                                     p["fds"], p["requests"], p["wall_s"],
                                                     p["5xx"], p["no_response"])))
        if r.get("passes"):
            for kind, d in sorted(r["passes"][0]["outcomes"].items()):
                rows.append(("  pass 1 " + kind, d))
    if "error" in res:
        rows.append(("ERROR", res["error"]))
    pr = res["prober"]
    rows.append(("probe baseline", "%d probes before the scenario, p50 %s ms, max %s ms, "
                 "failures %d" % (pr["baseline"]["probes"], fmt(pr["baseline"]["p50_ms"]),
                                  fmt(pr["baseline"]["max_ms"]), pr["baseline"]["failures"])))
    rows.append(("probe /health", "during: %d probes, p50 %s ms, p99 %s ms, max %s ms, failures %d "
                 "(timeouts %d)" % (pr["probes"], fmt(pr["p50_ms"]), fmt(pr["p99_ms"]),
                                    fmt(pr["max_ms"]), pr["failures"], pr["timeouts"])))
    if pr["errors"]:
        rows.append(("probe errors", pr["errors"]))
    sv = res["server"]
    rows.append(("server", "alive at end: %s, stopped: %s, exit %s, threads start/end %s/%s" %
                 (sv["alive_at_end"], sv["stopped"], sv["exit_code"],
                  res.get("server_threads_at_start"), res.get("server_threads_at_end"))))
    rows.append(("access log", "%s (5xx: %d)" % (fmt(sv["access_log"]["statuses"]),
                                                sv["access_log"]["5xx"])))
    rows.append(("scenario time", "%.1f s (server CPU meanwhile: %s s)" %
                 (res["scenario_s"], fmt(res.get("server_cpu_s")))))
    width = max(len(k) for k, _ in rows)
    print("\n== %s [%s] ==" % (name, res.get("label", "")), file=out)
    for k, v in rows:
        print("  %-*s  %s" % (width, k, fmt(v)), file=out)
    out.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--binary", required=True)
    ap.add_argument("--models", help="model pack directory (global --models)")
    ap.add_argument("--manifest", help="sets CANDOR_MANIFEST for the server")
    ap.add_argument("--calibration", help="sets CANDOR_CALIBRATION for the server")
    ap.add_argument("--label", default="")
    ap.add_argument("--scenarios", default="huge-cl,chunked,slow-headers,idle-200,idle-2000,memory")
    ap.add_argument("--server-arg", action="append", default=[],
                    help="extra argument of `serve` (repeat; use --server-arg=--flag=value)")
    ap.add_argument("--lfw", default="/work/shared/data/lfw")
    ap.add_argument("--jpeg", help="the JPEG of the valid DetectFaces (default: first under --lfw)")
    ap.add_argument("--slow-clients", type=int, default=40)
    ap.add_argument("--slow-seconds", type=float, default=60.0)
    ap.add_argument("--idle-seconds", type=float, default=30.0)
    ap.add_argument("--memory-passes", type=int, default=4)
    ap.add_argument("--memory-concurrency", type=int, default=8)
    ap.add_argument("--request-timeout", type=float, default=20.0)
    ap.add_argument("--json-out")
    ap.add_argument("--keep", action="store_true", help="keep the servers' temporary directories")
    args = ap.parse_args()
    args.binary = os.path.abspath(args.binary)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 4096 and hard > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))
    summary = {"binary": args.binary, "label": args.label,
               "rlimit_nofile": resource.getrlimit(resource.RLIMIT_NOFILE),
               "loadavg_before": os.getloadavg(), "scenarios": []}
    t0 = time.monotonic()
    for name in args.scenarios.split(","):
        res = run_scenario(name.strip(), args)
        res["label"] = args.label
        res["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
        summary["scenarios"].append(res)
        print_table(res)
    summary["total_s"] = r3(time.monotonic() - t0)
    summary["loadavg_after"] = os.getloadavg()
    text = json.dumps(summary, indent=1, default=str)
    if args.json_out:
        with open(args.json_out, "w") as f:
            f.write(text)
    print("\n" + text)


if __name__ == "__main__":
    main()
