#!/usr/bin/env python3
"""Clients of the cluster fault tests (cluster_kill_pg_test.sh,
cluster_outage_pg_test.sh), on the JSON API with anonymous calls, so that
every answer is seen as it is (an SDK would retry the errors we count).

  load      writers (IndexFaces) and searchers on the nodes until a stop
            file appears; every answer is one line of a JSON log.
  answers   checks the log: which answers are allowed, 200 searches that
            miss a face they must find.
  store     checks every node against the log: each acknowledged FaceId is
            listed, no FaceId twice, every node lists the same faces, and
            each node's index finds exactly the listed faces of each image.
  audit     every listed face has an IndexFaces record in some node's audit
            log (its own, or one recovered at a restart); each log verifies.

A node's port is read from DIR/NAME.port at every call (a restarted node
has a new one; no file: the node is down). Standard library only.
"""
import argparse
import base64
import json
import os
import re
import sys
import threading
import time
import urllib.error
import urllib.request

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def port_of(ports_dir, node):
    try:
        with open(os.path.join(ports_dir, node + ".port")) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def call(port, operation, body, timeout=60):
    """(HTTP status, parsed answer); status 0 and {"__type": "connection"}
    when the node cannot be reached or the connection broke."""
    if port is None:
        return 0, {"__type": "connection", "message": "no port file"}
    target = operation if operation.startswith("Candor.") else "RekognitionService." + operation
    request = urllib.request.Request(
        "http://127.0.0.1:%d/" % port, data=json.dumps(body).encode(), method="POST",
        headers={"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, json.loads(raw)
        except ValueError:
            return e.code, {"__type": "not JSON", "message": raw[:200].decode("latin-1")}
    except (OSError, urllib.error.URLError) as e:  # refused, reset, EOF
        return 0, {"__type": "connection", "message": str(e)}


def image_bytes(path):
    with open(path, "rb") as f:
        return base64.b64encode(f.read()).decode()


def image_name(path):
    """The ExternalImageId of an image: Person_0001."""
    return os.path.splitext(os.path.basename(path))[0]


class Log:
    def __init__(self, path):
        self.f = open(path, "a")
        self.lock = threading.Lock()

    def write(self, entry):
        entry["t"] = time.time()
        with self.lock:
            self.f.write(json.dumps(entry) + "\n")
            self.f.flush()


def read_log(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def load(args):
    images = [line.strip() for line in open(args.images) if line.strip()]
    payloads = {p: image_bytes(p) for p in images}
    targets = []  # searches: (collection, probe bytes, FaceIds it must find)
    for spec in args.search:
        collection, probe, faces = spec.split(":", 2)
        targets.append((collection, image_bytes(probe), faces.split(",") if faces else []))
    log = Log(args.log)
    stop = threading.Event()

    def answer(node, op, sent, status, body, **extra):
        entry = {"node": node, "op": op, "http": status, "sent": sent}
        if status != 200:
            entry["type"] = body.get("__type", "?")
            entry["message"] = body.get("message", body.get("Message", ""))
        entry.update(extra)
        log.write(entry)

    def writer(node, offset):
        i = offset
        while not stop.is_set():
            path = images[i % len(images)]
            i += 1
            sent = time.time()
            status, body = call(port_of(args.ports, node), "IndexFaces", {
                "CollectionId": args.collection, "MaxFaces": 1,
                "ExternalImageId": image_name(path), "Image": {"Bytes": payloads[path]}})
            faces = [r["Face"]["FaceId"] for r in body.get("FaceRecords", [])]
            answer(node, "IndexFaces", sent, status, body, image=image_name(path), faces=faces)
            if status == 0:
                time.sleep(0.1)

    def searcher(node, offset):
        i = offset
        while not stop.is_set():
            collection, probe, must = targets[i % len(targets)]
            i += 1
            sent = time.time()
            status, body = call(port_of(args.ports, node), "SearchFacesByImage", {
                "CollectionId": collection, "MaxFaces": 4096, "FaceMatchThreshold": 80,
                "Image": {"Bytes": probe}})
            extra = {"collection": collection}
            if status == 200:
                found = {m["Face"]["FaceId"] for m in body.get("FaceMatches", [])}
                extra["missing"] = sorted(set(must) - found)
            answer(node, "SearchFacesByImage", sent, status, body, **extra)
            if status == 0:
                time.sleep(0.1)

    threads = [threading.Thread(target=writer, args=(n, k)) for k, n in enumerate(args.writers)]
    threads += [threading.Thread(target=searcher, args=(n, k))
                for k, n in enumerate(args.searchers)]
    for t in threads:
        t.start()
    while not os.path.exists(args.stop):
        time.sleep(0.05)
    stop.set()
    for t in threads:
        t.join()
    return 0


def answers(args):
    """Every answer is a 200 or of an allowed kind; no 200 search misses a
    face it must find; no message names the database."""
    entries = read_log(args.log)
    allowed = set(args.allow)
    problems = []
    counts = {}
    for e in entries:
        kind = "200" if e["http"] == 200 else "%s %s" % (e["http"], e["type"])
        key = (e["node"], e["op"], kind)
        counts[key] = counts.get(key, 0) + 1
        if e["http"] == 200:
            if e.get("missing"):
                problems.append("a 200 search on %s of %s misses %s" %
                                (e["node"], e.get("collection"), e["missing"]))
            if e["op"] == "IndexFaces" and len(e.get("faces", [])) != 1:
                problems.append("a 200 IndexFaces on %s with %s" % (e["node"], e.get("faces")))
            continue
        if e["type"] == "connection" and e["node"] in args.may_be_down:
            continue
        if e["type"] not in allowed:
            problems.append("%s on %s: %s %s: %s" % (e["op"], e["node"], e["http"], e["type"],
                                                      e.get("message", "")[:300]))
        for secret in args.secret:
            if secret and secret in e.get("message", ""):
                problems.append("a message on %s names the database: %s" %
                                (e["node"], e["message"][:300]))
    if args.back_at is not None:
        # No call sent after the database is back (accepting connections)
        # fails: a node finds its lost sessions before it uses them.
        for node, op in sorted({(e["node"], e["op"]) for e in entries}):
            mine = [e for e in entries if (e["node"], e["op"]) == (node, op)]
            ok = [e["t"] for e in mine if e["http"] == 200 and e["sent"] >= args.back_at]
            if not ok:
                problems.append("%s never answered %s after the database was back" % (node, op))
                continue
            print("  %s answered %s %.2f s after the database was back" %
                  (node, op, min(ok) - args.back_at))
            late = [e for e in mine if e["http"] != 200 and e["sent"] >= args.back_at]
            if late:
                problems.append("%s failed %d %s calls sent after the database was back: %s" %
                                (node, len(late), op, late[0].get("message", "")[:300]))
    for (node, op, kind), n in sorted(counts.items()):
        print("  %-2s %-18s %-40s %5d" % (node, op, kind, n))
    for p in problems[:20]:
        print("FAILED:", p)
    return 1 if problems else 0


def list_faces(port, collection):
    faces, token = [], None
    while True:
        body = {"CollectionId": collection, "MaxResults": 1000}
        if token:
            body["NextToken"] = token
        status, page = call(port, "ListFaces", body)
        if status != 200:
            raise RuntimeError("ListFaces: %s %s" % (status, page))
        faces += page["Faces"]
        token = page.get("NextToken")
        if not token:
            return faces


def store(args):
    entries = read_log(args.log)
    acked = [f for e in entries if e["op"] == "IndexFaces" and e["http"] == 200
             for f in e["faces"]]
    problems = []
    if len(acked) != len(set(acked)):
        problems.append("a FaceId was acknowledged twice")
    listed_by_node = {}
    paths = {image_name(p.strip()): p.strip() for p in open(args.images) if p.strip()}
    for node in args.nodes:
        port = port_of(args.ports, node)
        faces = list_faces(port, args.collection)
        ids = [f["FaceId"] for f in faces]
        if len(ids) != len(set(ids)):
            problems.append("%s lists a FaceId twice" % node)
        missing = set(acked) - set(ids)
        if missing:
            problems.append("%s lacks %d acknowledged faces: %s" %
                            (node, len(missing), sorted(missing)[:5]))
        listed_by_node[node] = set(ids)
        # The node's in-memory index: a search with each image finds exactly
        # the faces indexed from it (the same photo: similarity ~100).
        by_image = {}
        for f in faces:
            if f.get("ExternalImageId") in paths:  # not the faces indexed before the load
                by_image.setdefault(f["ExternalImageId"], set()).add(f["FaceId"])
        for name, expected in sorted(by_image.items()):
            status, body = call(port, "SearchFacesByImage", {
                "CollectionId": args.collection, "MaxFaces": 4096, "FaceMatchThreshold": 99,
                "Image": {"Bytes": image_bytes(paths[name])}})
            found = [m["Face"]["FaceId"] for m in body.get("FaceMatches", [])]
            if status != 200 or len(found) != len(set(found)) or set(found) != expected:
                problems.append("%s: a search with %s finds %d faces (%d distinct), %d listed"
                                " (%s %s)" % (node, name, len(found), len(set(found)),
                                              len(expected), status, body.get("__type", "")))
        print("  %s lists %d faces; %d acknowledged in all" % (node, len(ids), len(set(acked))))
    if len({frozenset(s) for s in listed_by_node.values()}) != 1:
        problems.append("the nodes list different faces")
    for p in problems[:20]:
        print("FAILED:", p)
    return 1 if problems else 0


def audit(args):
    """The IndexFaces records of all nodes' logs (wherever each keeps it:
    its data directory, or the shared database) name every listed face."""
    port = port_of(args.ports, args.nodes[0])
    listed = {f["FaceId"] for f in list_faces(port, args.collection)}
    recorded, recovered = set(), 0
    problems = []
    for node in args.nodes:
        port = port_of(args.ports, node)
        token = None
        while True:
            body = {"Operation": "IndexFaces", "CollectionId": args.collection,
                    "MaxResults": 1000}
            if token:
                body["NextToken"] = token
            status, page = call(port, "Candor.ListAuditEvents", body)
            if status != 200:
                problems.append("ListAuditEvents on %s: %s %s" % (node, status, page))
                break
            for event in page["AuditEvents"]:
                if event.get("Outcome", event.get("outcome")) not in (None, "ok"):
                    continue
                text = json.dumps(event.get("Results", event.get("results", {})))
                recorded.update(UUID.findall(text))
                recovered += "Recovered" in text
            token = page.get("NextToken")
            if not token:
                break
        status, verdict = call(port, "Candor.VerifyAuditLog", {})
        if status != 200 or not verdict.get("Ok"):
            problems.append("%s's audit log does not verify: %s" % (node, verdict))
    unrecorded = listed - recorded
    if unrecorded:
        problems.append("%d faces with no IndexFaces record: %s" %
                        (len(unrecorded), sorted(unrecorded)[:5]))
    print("  %d faces, each with its IndexFaces record (%d records recovered at a start)" %
          (len(listed), recovered))
    for p in problems[:20]:
        print("FAILED:", p)
    return 1 if problems else 0


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("load", "answers", "store", "audit"):
        p = sub.add_parser(name)
        p.add_argument("--ports", help="the directory of the nodes' NAME.port files")
        p.add_argument("--log", help="the answers, one JSON line each")
        p.add_argument("--collection", default="people")
        p.add_argument("--images", help="a file of image paths, one a line")
    load_p, answers_p, store_p, audit_p = (sub.choices[n] for n in
                                           ("load", "answers", "store", "audit"))
    load_p.add_argument("--stop", required=True, help="the load stops when this file exists")
    load_p.add_argument("--writers", nargs="*", default=[], help="a node per writer thread")
    load_p.add_argument("--searchers", nargs="*", default=[], help="a node per searcher thread")
    load_p.add_argument("--search", nargs="*", default=[],
                        help="COLLECTION:PROBE:FACEID,... a search and the faces it must find")
    answers_p.add_argument("--allow", nargs="*", default=[], help="error types allowed")
    answers_p.add_argument("--may-be-down", nargs="*", default=[],
                           help="nodes that may refuse connections")
    answers_p.add_argument("--back-at", type=float,
                           help="when the database was back (seconds since the epoch)")
    answers_p.add_argument("--secret", nargs="*", default=[],
                           help="text no message may hold (the connection string)")
    for p in (store_p, audit_p):
        p.add_argument("--nodes", nargs="+", required=True)
    args = parser.parse_args()
    return {"load": load, "answers": answers, "store": store, "audit": audit}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
