#!/usr/bin/env python3
"""Candor's raw JSON answers against botocore's own model of Rekognition.

Run by tests/clients/run_client.sh (`run_client.sh conformance [candor]`),
which starts the server, exports CANDOR_ENDPOINT, CANDOR_DATA,
CANDOR_CLIENT_TMP, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
AWS_DEFAULT_REGION, and passes the candor binary as the first argument.

Every request is signed with botocore's SigV4Auth and sent with http.client,
so that the raw body is seen as the server sent it: boto3's parser drops
unmodelled members and coerces types. Each answer, success or error, is
validated by rekognition_model.py against the model botocore ships (read
directly, without Candor's sdk-extras): members, types, enums, min/max,
patterns, modelled errors. The scenario calls every Rekognition operation
Candor implements (src/server/operations.cc, video_operations.cc,
stream_operations.cc), with success and error cases, plus the tagging
operations, which Candor may not implement. Stored-video jobs need an object
root, which the server run_client.sh starts has not: a second `candor serve`
with --s3-root is started for them (in CANDOR_CLIENT_TMP), and stopped.

Besides the shapes, it checks behaviours the model documents, labelled
(a)-(i): (a) CompareFaces QualityFilter HIGH drops a blurred face; (b) no
face in CompareFaces' target is an InvalidParameterException, and in
SearchUsersByImage's image an empty answer (as the model documents); (c) DetectFaces returns only the attributes
asked for; (d) OrientationCorrection is null, even for EXIF Orientation 6;
(e) model versions match [0-9\\.]+; (f) MaxFaces / MaxResults / NextToken
limits; (g) a duplicate stream processor is ResourceInUseException; (h)
tags; (i) no server path in a failed job's StatusMessage, and
DescribeStreamProcessor returns what Create was given.

Prints one line per answer and per check (PASS or FAIL, with the
violations), then a summary; exits 1 when anything failed. Test images are
LFW photos (CANDOR_DATA) and derivatives made with ffmpeg: a blurred copy,
a grey frame without a face, a rotated copy with an EXIF Orientation tag.
"""

import base64
import http.client
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import time
import urllib.parse

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import botocore  # noqa: E402
import botocore.auth  # noqa: E402
import botocore.awsrequest  # noqa: E402
import botocore.credentials  # noqa: E402

from rekognition_model import RekognitionModel  # noqa: E402

JSON_TYPE = "application/x-amz-json-1.1"
COLLECTION = "conformance-a"
TAGGED = "conformance-b"  # created with Tags
VIDEO_COLLECTION = "conformance-video"
PROCESSOR = "conformance-sp"
THRESHOLD = 80.0
DEFAULT_MEMBERS = {"BoundingBox", "Confidence", "Landmarks", "Pose", "Quality"}
VERSION_PATTERN = re.compile(r"[0-9.]+")  # FaceModelVersion's and IndexFacesModelVersion's
JOB_WAIT_S = 240


def say(message):
    print(f"conformance: {message}", flush=True)


# --- Raw signed calls ---


class Answer:
    def __init__(self, status, headers, raw):
        self.status, self.headers, self.raw = status, headers, raw
        try:
            self.data = json.loads(raw) if raw.strip() else {}
        except ValueError:
            self.data = None
        self.error = None
        if status != 200 and isinstance(self.data, dict):
            self.error = str(self.data.get("__type", "?")).rsplit("#", 1)[-1]

    @property
    def ok(self):
        return self.status == 200 and isinstance(self.data, dict)

    @property
    def message(self):
        d = self.data if isinstance(self.data, dict) else {}
        return d.get("message", d.get("Message", ""))

    def get(self, key, default=None):
        return self.data.get(key, default) if self.ok else default

    def outcome(self):
        return "200" if self.ok else f"{self.status} {self.error}"


class Wire:
    """Signed POSTs of raw bytes to one endpoint, answers as they came."""

    def __init__(self, endpoint, key, secret, region):
        self.endpoint, self.key, self.secret, self.region = endpoint.rstrip("/"), key, secret, region
        parts = urllib.parse.urlsplit(self.endpoint)
        self.host, self.port = parts.hostname, parts.port

    def post(self, target, body, key=None, secret=None, sign=True, content_type=JSON_TYPE):
        request = botocore.awsrequest.AWSRequest(
            method="POST", url=self.endpoint + "/", data=body,
            headers={"X-Amz-Target": target, "Content-Type": content_type})
        if sign:
            credentials = botocore.credentials.Credentials(key or self.key, secret or self.secret)
            botocore.auth.SigV4Auth(credentials, "rekognition", self.region).add_auth(request)
        prepared = request.prepare()
        connection = http.client.HTTPConnection(self.host, self.port, timeout=300)
        try:
            connection.request("POST", "/", body=prepared.body, headers=dict(prepared.headers.items()))
            response = connection.getresponse()
            headers = {k.lower(): v for k, v in response.getheaders()}
            return Answer(response.status, headers, response.read())
        finally:
            connection.close()


# --- Results ---


class Conformance:
    """Calls, validates and keeps what failed."""

    def __init__(self, model):
        self.model = model
        self.calls = 0
        self.failed = 0  # lines
        self.problems = {}  # distinct problem -> where it was seen ["Operation [case]"]
        self.checks = {}  # label -> [bool]
        self.versions = {}  # "Operation.Member" -> set of values seen
        self.operations = set()  # Rekognition operations answered

    def call(self, wire, operation, case, body=None, expect="ok", check=None, raw=None,
             target=None, quiet=False, **post):
        """Sends `body` (a dict, or `raw` bytes), validates the answer, and
        compares its outcome with `expect`: "ok", an error name or a tuple
        of them. `check` labels a line that is one of the (a)-(i) checks."""
        payload = raw if raw is not None else json.dumps(body or {}).encode()
        answer = wire.post(target or f"RekognitionService.{operation}", payload, **post)
        self.calls += 1
        problems = self.model.validate(operation, answer.status, answer.raw, answer.headers)
        wanted = (expect,) if isinstance(expect, str) else tuple(expect)
        got = "ok" if answer.ok else answer.error
        where = f"{check + ' ' if check else ''}{operation} [{case}]"
        if got not in wanted:
            why = f"expected {' or '.join(wanted)}, got {answer.outcome()}"
            if not answer.ok:
                why += f" ({answer.message[:160]})"
            problems.insert(0, why)
            self._keep(f"{where}: {why}", where)
        for problem in problems[1 if got not in wanted else 0:]:
            # The same violation at another index is the same problem.
            self._keep(re.sub(r"\[\d+\]", "[]", problem), where)
        if answer.ok:
            self._note_versions(operation, answer.data)
            self.operations.add(operation)
        elif operation in self.model.operations and answer.error not in (
                "UnknownOperationException", None):
            self.operations.add(operation)
        if check:
            self.checks.setdefault(check, []).append(not problems)
        if not quiet or problems:
            self._line(not problems, f"{where} -> {answer.outcome()}", problems)
        return answer

    def check(self, label, ok, text, evidence):
        """A behaviour check: `evidence` says what was seen."""
        self.checks.setdefault(label, []).append(bool(ok))
        if not ok:
            self._keep(f"{label} {text}: {evidence}", label)
        self._line(ok, f"{label} {text}", [] if ok else [evidence], evidence if ok else "")

    def note(self, text):
        """Something seen that the model does not decide: printed, not failed."""
        say(f"note  {text}")

    def _keep(self, problem, where):
        self.problems.setdefault(problem, []).append(where)

    def _line(self, ok, text, problems, evidence=""):
        line = f"{'PASS' if ok else 'FAIL'}  {text}"
        if problems:
            line += ": " + "; ".join(problems[:12])
            if len(problems) > 12:
                line += f"; ... {len(problems) - 12} more"
        elif evidence:
            line += f" ({evidence})"
        say(line)
        self.failed += not ok

    def summary(self):
        """Prints the checks and the distinct problems; whether all passed."""
        for label in sorted(self.checks):
            results = self.checks[label]
            say(f"check {label}: {'PASS' if all(results) else 'FAIL'} "
                f"({results.count(True)} of {len(results)} passed)")
        if not self.problems:
            return True
        say(f"FAILED: {self.failed} lines, {len(self.problems)} distinct problems:")
        for problem, wheres in self.problems.items():
            seen = sorted(set(wheres))
            if len(seen) == 1 and problem.startswith(seen[0]):
                print(f"  {problem}", flush=True)
            else:
                shown = ", ".join(seen[:4]) + (f", ... ({len(seen)} in all)" if len(seen) > 4 else "")
                print(f"  {problem}  [in {shown}]", flush=True)
        return False

    def _note_versions(self, operation, value, path=""):
        if isinstance(value, dict):
            for k, v in value.items():
                if k in ("FaceModelVersion", "IndexFacesModelVersion") and isinstance(v, str):
                    self.versions.setdefault(f"{operation}.{k}", set()).add(v)
                elif k == "FaceModelVersions" and isinstance(v, list):
                    self.versions.setdefault(f"{operation}.{k}", set()).update(map(str, v))
                else:
                    self._note_versions(operation, v)
        elif isinstance(value, list):
            for v in value:
                self._note_versions(operation, v)


# --- Test media ---


def pick_people(images_dir, count=4):
    """The first `count` LFW people, by sorted name, with two or more photos:
    [(name, gallery_path, probe_path)]."""
    people = []
    for name in sorted(os.listdir(images_dir)):
        folder = os.path.join(images_dir, name)
        photos = sorted(f for f in os.listdir(folder) if f.endswith(".jpg")) \
            if os.path.isdir(folder) else []
        if len(photos) >= 2:
            people.append((name, os.path.join(folder, photos[0]), os.path.join(folder, photos[1])))
            if len(people) == count:
                return people
    sys.exit(f"conformance: fewer than {count} people with two photos in {images_dir}")


def ffmpeg(*args):
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", *args], check=True,
                   stdin=subprocess.DEVNULL)


def with_exif_orientation(jpeg, orientation):
    """The JPEG with an APP1 Exif segment holding one IFD0 entry, Orientation
    (0x0112, SHORT), after SOI and the JFIF APP0 if there is one."""
    tiff = (b"MM\x00\x2a" + struct.pack(">I", 8) + struct.pack(">H", 1)
            + struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0) + struct.pack(">I", 0))
    payload = b"Exif\x00\x00" + tiff
    app1 = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    at = 2
    if jpeg[2:4] == b"\xff\xe0":
        at = 4 + struct.unpack(">H", jpeg[4:6])[0]
    return jpeg[:at] + app1 + jpeg[at:]


def make_media(data, tmp, people):
    """Derived images and videos in `tmp`: {name: path}."""
    os.makedirs(tmp, exist_ok=True)
    _, gallery, _ = people[0]
    media = {"grey": os.path.join(tmp, "grey.jpg"), "blurred": os.path.join(tmp, "blurred.jpg"),
             "rotated": os.path.join(tmp, "rotated.jpg"), "exif6": os.path.join(tmp, "exif6.jpg"),
             "clip": os.path.join(tmp, "clip.mp4"), "broken": os.path.join(tmp, "broken.mp4"),
             "two_people": os.path.join(data, "video", "two_people.jpg"),
             "reference": os.path.join(data, "video", "lin-manuel-miranda.png")}
    # A plain grey frame: no face.
    ffmpeg("-f", "lavfi", "-i", "color=c=gray:s=320x240", "-frames:v", "1", "-q:v", "2",
           media["grey"])
    # Strongly blurred (box radius 8, twice): the face is still found, with a
    # Sharpness near 3 against about 45 for the photo.
    ffmpeg("-i", gallery, "-vf", "boxblur=8:2", "-q:v", "2", media["blurred"])
    # Turned 90 degrees counter-clockwise, then tagged Orientation 6 ("rotate
    # 90 clockwise to display"): a phone photo held upright.
    ffmpeg("-i", gallery, "-vf", "transpose=2", "-q:v", "2", media["rotated"])
    with open(media["rotated"], "rb") as f:
        rotated = f.read()
    with open(media["exif6"], "wb") as f:
        f.write(with_exif_orientation(rotated, 6))
    # The first 4 s of the Hamilton clip, and bytes no decoder opens.
    ffmpeg("-i", os.path.join(data, "video", "short_hamilton_clip.mp4"), "-t", "4", "-c", "copy",
           media["clip"])
    with open(media["broken"], "wb") as f:
        f.write(b"this is not a video; " * 1000)
    return media


def image(path):
    with open(path, "rb") as f:
        return {"Bytes": base64.b64encode(f.read()).decode()}


def text_image(data):
    return {"Bytes": base64.b64encode(data).decode()}


# --- A second server, with an object root, for stored-video jobs ---


def read_text(path):
    """The stripped contents of `path`, or "" when it does not exist yet."""
    try:
        with open(path) as f:
            return f.read().strip()
    except FileNotFoundError:
        return ""


class VideoServer:
    def __init__(self, candor, tmp, key, secret):
        self.root = os.path.join(tmp, "conformance-video-server")
        self.s3 = os.path.join(self.root, "s3")
        self.bucket = os.path.join(self.s3, "media")
        os.makedirs(self.bucket, exist_ok=True)
        credentials = os.path.join(self.root, "credentials")
        fd = os.open(credentials, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(f"[client-test]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n"
                    "role = admin,enroller,searcher,analyst,auditor\n")
        port_file = os.path.join(self.root, "port")
        self.err_path = os.path.join(self.root, "server.err")
        with open(self.err_path, "wb") as err:
            self.process = subprocess.Popen(
                [candor, "serve", "--listen", "127.0.0.1:0", "--port-file", port_file,
                 "--credentials", credentials, "--data-dir", os.path.join(self.root, "data"),
                 "--s3-root", self.s3, "--access-log", os.path.join(self.root, "access.log")],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
        deadline = time.monotonic() + 60
        while not (port := read_text(port_file)):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"the second candor serve did not start: {self.stderr_tail()}")
            time.sleep(0.1)
        self.endpoint = f"http://127.0.0.1:{port}"

    def stderr_tail(self):
        with open(self.err_path, "rb") as f:
            return f.read()[-600:].decode("utf-8", "replace")

    def stop(self):
        """SIGTERM; the exit status, or None when it had to be killed."""
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()
            return None

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


# --- Scenario parts ---


def protocol_errors(c, wire):
    """Errors the protocol layer answers, before any operation runs."""
    c.call(wire, "ListCollections", "unknown operation", target="RekognitionService.NoSuchOperation",
           expect="UnknownOperationException")
    c.call(wire, "ListCollections", "X-Amz-Target of another service",
           target="DynamoDB_20120810.ListTables", expect="UnknownOperationException")
    c.call(wire, "ListCollections", "wrong secret", secret="W" * 40,
           expect="InvalidSignatureException")
    c.call(wire, "ListCollections", "unknown access key", key="CKIAUNKNOWNUNKNOWN23",
           secret="W" * 40, expect="UnrecognizedClientException")
    c.call(wire, "ListCollections", "unsigned", sign=False,
           expect=("MissingAuthenticationTokenException", "MissingAuthenticationToken"))
    c.call(wire, "ListCollections", "body is not JSON", raw=b"{not json",
           expect="SerializationException")
    c.call(wire, "ListCollections", "MaxResults is a string", {"MaxResults": "ten"},
           expect=("SerializationException", "InvalidParameterException"))


def detect_faces(c, wire, people, media):
    _, gallery, probe = people[0]
    c.call(wire, "DetectFaces", "no Attributes", {"Image": image(probe)})
    r = c.call(wire, "DetectFaces", "DEFAULT", {"Image": image(probe), "Attributes": ["DEFAULT"]})
    faces = r.get("FaceDetails") or []
    if faces:
        got = {k for k in faces[0] if not k.startswith("Candor")}
        if got != DEFAULT_MEMBERS:
            c.note(f"DetectFaces DEFAULT members {sorted(got)}, documented {sorted(DEFAULT_MEMBERS)}")
    r = c.call(wire, "DetectFaces", "ALL", {"Image": image(probe), "Attributes": ["ALL"]})
    faces = r.get("FaceDetails") or []
    if faces:
        modelled = set(c.model.shapes["FaceDetail"]["members"])
        c.note(f"DetectFaces ALL: FaceDetail members not returned: "
               f"{sorted(modelled - set(faces[0])) or 'none'}")

    # (c) Only the attributes asked for, besides the default ones.
    r = c.call(wire, "DetectFaces", "EMOTIONS, AGE_RANGE",
               {"Image": image(probe), "Attributes": ["EMOTIONS", "AGE_RANGE"]})
    faces = r.get("FaceDetails") or []
    if faces:
        got = {k for k in faces[0] if not k.startswith("Candor")}
        wanted = DEFAULT_MEMBERS | {"Emotions", "AgeRange"}
        c.check("(c)", got == wanted,
                "DetectFaces Attributes [EMOTIONS, AGE_RANGE] returns the default members, "
                "Emotions and AgeRange only",
                f"missing {sorted(wanted - got) or 'none'}, "
                f"not asked for {sorted(got - wanted) or 'none'}")
    else:
        c.check("(c)", False, "DetectFaces Attributes [EMOTIONS, AGE_RANGE]",
                f"no face to look at: {r.outcome()}")

    # (d) OrientationCorrection is always null.
    for case, path in (("plain JPEG", probe), ("EXIF Orientation 6", media["exif6"])):
        r = c.call(wire, "DetectFaces", case, {"Image": image(path)})
        if r.ok:
            c.check("(d)", r.data.get("OrientationCorrection") is None,
                    f"DetectFaces OrientationCorrection absent or null ({case})",
                    f"OrientationCorrection {r.data.get('OrientationCorrection')!r}")

    # Errors.
    c.call(wire, "DetectFaces", "text, not an image",
           {"Image": text_image(b"this is plain text, not an image")},
           expect="InvalidImageFormatException")
    c.call(wire, "DetectFaces", "unknown attribute", {"Image": image(probe), "Attributes": ["NOSE"]},
           expect="InvalidParameterException")
    c.call(wire, "DetectFaces", "Bytes and S3Object",
           {"Image": {**image(probe), "S3Object": {"Bucket": "media", "Name": "a.jpg"}}},
           expect="InvalidParameterException")
    c.call(wire, "DetectFaces", "S3Object, server without an object root",
           {"Image": {"S3Object": {"Bucket": "media", "Name": "a.jpg"}}},
           expect="InvalidS3ObjectException")
    with open(gallery, "rb") as f:
        photo = f.read()
    c.call(wire, "DetectFaces", "5 MiB + 1 byte",
           {"Image": text_image(photo + b"\0" * (5 * 1024 * 1024 + 1 - len(photo)))},
           expect="ImageTooLargeException")


def compare_faces(c, wire, people, media):
    (name_a, gallery_a, probe_a), (_, gallery_b, _) = people[0], people[1]
    c.call(wire, "CompareFaces", "same person",
           {"SourceImage": image(probe_a), "TargetImage": image(gallery_a),
            "SimilarityThreshold": THRESHOLD})
    c.call(wire, "CompareFaces", "different people",
           {"SourceImage": image(gallery_a), "TargetImage": image(gallery_b),
            "SimilarityThreshold": THRESHOLD})
    c.call(wire, "CompareFaces", "two people in the target",
           {"SourceImage": image(probe_a), "TargetImage": image(media["two_people"])})

    # (a) QualityFilter HIGH: the blurred face is not compared. Threshold 0,
    # so that without the filter it is in FaceMatches whatever its similarity.
    body = {"SourceImage": image(probe_a), "TargetImage": image(media["blurred"]),
            "SimilarityThreshold": 0}
    unfiltered = c.call(wire, "CompareFaces", "blurred target, QualityFilter NONE, threshold 0",
                        {**body, "QualityFilter": "NONE"})
    high = c.call(wire, "CompareFaces", "blurred target, QualityFilter HIGH, threshold 0",
                  {**body, "QualityFilter": "HIGH"})
    control = unfiltered.get("FaceMatches") or []
    if not control:
        c.check("(a)", False, "CompareFaces QualityFilter HIGH, blurred target",
                f"inconclusive: with QualityFilter NONE the blurred face is not in FaceMatches "
                f"({unfiltered.outcome()})")
    else:
        matches = high.get("FaceMatches") or []
        sharpness = control[0].get("Face", {}).get("Quality", {}).get("Sharpness")
        c.check("(a)", high.ok and not matches,
                "CompareFaces QualityFilter HIGH leaves a strongly blurred target face out of "
                "FaceMatches",
                f"{high.outcome()}, FaceMatches {[round(m.get('Similarity', -1), 1) for m in matches]}"
                f" (its Sharpness {sharpness})")
    c.call(wire, "CompareFaces", "QualityFilter AUTO", {**body, "QualityFilter": "AUTO"})
    c.call(wire, "CompareFaces", "QualityFilter not an enum value", {**body, "QualityFilter": "BEST"},
           expect="InvalidParameterException")

    # (b) No face: InvalidParameterException ("If no faces are detected in
    # the source or target images, CompareFaces returns an
    # InvalidParameterException error").
    c.call(wire, "CompareFaces", "target without a face",
           {"SourceImage": image(probe_a), "TargetImage": image(media["grey"])},
           expect="InvalidParameterException", check="(b)")
    c.call(wire, "CompareFaces", "source without a face",
           {"SourceImage": image(media["grey"]), "TargetImage": image(probe_a)},
           expect="InvalidParameterException", check="(b)")

    # (d) With EXIF Orientation 6 on both.
    r = c.call(wire, "CompareFaces", "EXIF Orientation 6",
               {"SourceImage": image(media["exif6"]), "TargetImage": image(media["exif6"])})
    if r.ok:
        got = {k: r.data.get(k) for k in ("SourceImageOrientationCorrection",
                                          "TargetImageOrientationCorrection")}
        c.check("(d)", all(v is None for v in got.values()),
                "CompareFaces Source/TargetImageOrientationCorrection absent or null "
                "(EXIF Orientation 6)", f"{got}")
    c.call(wire, "CompareFaces", "threshold above 100",
           {"SourceImage": image(probe_a), "TargetImage": image(gallery_a),
            "SimilarityThreshold": 101}, expect="InvalidParameterException")
    c.call(wire, "CompareFaces", "text target",
           {"SourceImage": image(probe_a), "TargetImage": text_image(b"GIF89a, not really")},
           expect="InvalidImageFormatException")
    return name_a


def collections(c, wire):
    r = c.call(wire, "CreateCollection", "no Tags", {"CollectionId": COLLECTION})
    arn = {}
    tags = {"team": "conformance", "purpose": "wire test"}
    t = c.call(wire, "CreateCollection", "with Tags", {"CollectionId": TAGGED, "Tags": tags})
    if r.ok:
        arn[COLLECTION] = r.data.get("CollectionArn")
        if not str(arn[COLLECTION]).startswith("arn:"):
            c.note(f"CollectionArn {arn[COLLECTION]!r} is not an ARN (no 'arn:' prefix); the "
                   f"model gives it no pattern, TagResource's ResourceArn takes it")
    if t.ok:
        arn[TAGGED] = t.data.get("CollectionArn")
    c.call(wire, "CreateCollection", "already exists", {"CollectionId": COLLECTION},
           expect="ResourceAlreadyExistsException")
    c.call(wire, "CreateCollection", "id with a space", {"CollectionId": "has space"},
           expect="InvalidParameterException")

    # (h) Tags: refused when a key starts with aws: or when there are 201.
    for case, bad in (("Tag key aws:owner", {"aws:owner": "me"}),
                      ("201 Tags", {f"k{i}": "v" for i in range(201)})):
        name = "conformance-badtags"
        r = c.call(wire, "CreateCollection", case, {"CollectionId": name, "Tags": bad},
                   expect="InvalidParameterException", check="(h)")
        if r.ok:
            c.call(wire, "DeleteCollection", "clean-up", {"CollectionId": name}, quiet=True)

    c.call(wire, "DescribeCollection", "existing", {"CollectionId": COLLECTION})
    c.call(wire, "DescribeCollection", "missing", {"CollectionId": "no-such-collection"},
           expect="ResourceNotFoundException")
    c.call(wire, "ListCollections", "all", {})
    r = c.call(wire, "ListCollections", "MaxResults 1", {"MaxResults": 1})
    if r.get("NextToken"):
        c.call(wire, "ListCollections", "second page",
               {"MaxResults": 1, "NextToken": r.data["NextToken"]})
    c.call(wire, "ListCollections", "NextToken 'not-a-token'", {"NextToken": "not-a-token"},
           expect="InvalidPaginationTokenException")
    return arn, tags


def tagging(c, wire, arn, tags):
    """(h) TagResource / ListTagsForResource / UntagResource on a collection."""
    resource = arn.get(TAGGED)
    if not resource:
        c.check("(h)", False, "ListTagsForResource", "no CollectionArn from CreateCollection")
        return
    r = c.call(wire, "ListTagsForResource", "collection created with Tags", {"ResourceArn": resource},
               check="(h)")
    if r.ok:
        c.check("(h)", r.data.get("Tags") == tags,
                "ListTagsForResource returns the Tags given at CreateCollection",
                f"Tags {r.data.get('Tags')!r}, given {tags!r}")
    c.call(wire, "TagResource", "add a tag", {"ResourceArn": resource, "Tags": {"extra": "1"}},
           check="(h)")
    c.call(wire, "UntagResource", "remove it", {"ResourceArn": resource, "TagKeys": ["extra"]},
           check="(h)")
    c.call(wire, "TagResource", "aws: key", {"ResourceArn": resource, "Tags": {"aws:x": "1"}},
           expect="InvalidParameterException", check="(h)")
    c.call(wire, "ListTagsForResource", "unknown collection",
           {"ResourceArn": resource.replace(TAGGED, "no-such-collection")},
           expect="ResourceNotFoundException", check="(h)")


def faces(c, wire, people, media):
    """IndexFaces, ListFaces, SearchFaces, SearchFacesByImage. Returns {name: FaceId}."""
    face_ids = {}
    for name, gallery, _ in people:
        r = c.call(wire, "IndexFaces", f"{name}, MaxFaces 1",
                   {"CollectionId": COLLECTION, "Image": image(gallery), "ExternalImageId": name,
                    "MaxFaces": 1})
        records = r.get("FaceRecords") or []
        if records and records[0].get("Face", {}).get("FaceId"):
            face_ids[name] = records[0]["Face"]["FaceId"]
    c.call(wire, "IndexFaces", "two people, MaxFaces 1 (one unindexed)",
           {"CollectionId": COLLECTION, "Image": image(media["two_people"]), "MaxFaces": 1,
            "ExternalImageId": "two_people"})
    c.call(wire, "IndexFaces", "DetectionAttributes ALL, QualityFilter HIGH",
           {"CollectionId": COLLECTION, "Image": image(people[1][2]),
            "DetectionAttributes": ["ALL"], "QualityFilter": "HIGH"})
    c.call(wire, "IndexFaces", "blurred, QualityFilter HIGH",
           {"CollectionId": COLLECTION, "Image": image(media["blurred"]), "QualityFilter": "HIGH"})
    # (f) "IndexFaces returns no more than 100 detected faces in an image,
    # even if you specify a larger value for MaxFaces."
    c.call(wire, "IndexFaces", "MaxFaces 1000", {"CollectionId": TAGGED, "Image": image(people[2][1]),
                                                  "MaxFaces": 1000}, check="(f)")
    # (d) EXIF Orientation 6.
    r = c.call(wire, "IndexFaces", "EXIF Orientation 6",
               {"CollectionId": TAGGED, "Image": image(media["exif6"])})
    if r.ok:
        c.check("(d)", r.data.get("OrientationCorrection") is None,
                "IndexFaces OrientationCorrection absent or null (EXIF Orientation 6)",
                f"OrientationCorrection {r.data.get('OrientationCorrection')!r}")
    c.call(wire, "IndexFaces", "missing collection",
           {"CollectionId": "no-such-collection", "Image": image(people[0][1])},
           expect="ResourceNotFoundException")
    c.call(wire, "IndexFaces", "ExternalImageId with a space",
           {"CollectionId": COLLECTION, "Image": image(people[0][1]), "ExternalImageId": "a b"},
           expect="InvalidParameterException")
    c.call(wire, "IndexFaces", "MaxFaces 0",
           {"CollectionId": COLLECTION, "Image": image(people[0][1]), "MaxFaces": 0},
           expect="InvalidParameterException")

    # ListFaces, two at a time.
    token, pages, listed = None, 0, 0
    first_token = None
    while pages < 50:
        body = {"CollectionId": COLLECTION, "MaxResults": 2}
        if token:
            body["NextToken"] = token
        r = c.call(wire, "ListFaces", f"MaxResults 2, page {pages + 1}", body)
        pages += 1
        if not r.ok:
            break
        listed += len(r.data.get("Faces", []))
        token = r.data.get("NextToken")
        first_token = first_token or token
        if not token:
            break
    c.note(f"ListFaces: {listed} faces in {pages} pages")
    if first_token:
        # (f) A token is at most 255 characters (PaginationToken max 255);
        # a valid one padded to 256 is refused.
        long_token = (first_token + "A" * 256)[:256]
        c.call(wire, "ListFaces", "NextToken of 256 characters",
               {"CollectionId": COLLECTION, "NextToken": long_token},
               expect=("InvalidParameterException", "InvalidPaginationTokenException"), check="(f)")
        # (f) A token of collection A on collection B.
        c.call(wire, "ListFaces", f"NextToken of {COLLECTION} on {TAGGED}",
               {"CollectionId": TAGGED, "NextToken": first_token, "MaxResults": 2},
               expect="InvalidPaginationTokenException", check="(f)")
    else:
        c.check("(f)", False, "ListFaces NextToken checks", "ListFaces gave no NextToken")
    c.call(wire, "ListFaces", "NextToken 'not-a-token'",
           {"CollectionId": COLLECTION, "NextToken": "not-a-token"},
           expect="InvalidPaginationTokenException")
    c.call(wire, "ListFaces", "missing collection", {"CollectionId": "no-such-collection"},
           expect="ResourceNotFoundException")
    if len(face_ids) >= 2:
        c.call(wire, "ListFaces", "FaceIds filter",
               {"CollectionId": COLLECTION, "FaceIds": sorted(face_ids.values())[:2]})

    # Searches.
    name_a = people[0][0]
    if name_a in face_ids:
        c.call(wire, "SearchFaces", "by FaceId",
               {"CollectionId": COLLECTION, "FaceId": face_ids[name_a],
                "FaceMatchThreshold": THRESHOLD})
        c.call(wire, "SearchFaces", "MaxFaces 1, threshold 0",
               {"CollectionId": COLLECTION, "FaceId": face_ids[name_a], "FaceMatchThreshold": 0,
                "MaxFaces": 1})
    c.call(wire, "SearchFaces", "unknown FaceId",
           {"CollectionId": COLLECTION, "FaceId": "00000000-0000-4000-8000-000000000000"},
           expect=("InvalidParameterException", "ResourceNotFoundException"))
    for name, _, probe in people:
        c.call(wire, "SearchFacesByImage", f"another photo of {name}",
               {"CollectionId": COLLECTION, "Image": image(probe), "FaceMatchThreshold": THRESHOLD})
    c.call(wire, "SearchFacesByImage", "QualityFilter HIGH, MaxFaces 2",
           {"CollectionId": COLLECTION, "Image": image(people[0][2]), "QualityFilter": "HIGH",
            "MaxFaces": 2})
    # "If no faces are detected in the input image, SearchFacesByImage
    # returns an InvalidParameterException error."
    c.call(wire, "SearchFacesByImage", "image without a face",
           {"CollectionId": COLLECTION, "Image": image(media["grey"])},
           expect="InvalidParameterException")
    c.call(wire, "SearchFacesByImage", "missing collection",
           {"CollectionId": "no-such-collection", "Image": image(people[0][2])},
           expect="ResourceNotFoundException")
    return face_ids


def users(c, wire, people, media, face_ids):
    for name in face_ids:
        c.call(wire, "CreateUser", name, {"CollectionId": COLLECTION, "UserId": f"user-{name}"})
        c.call(wire, "AssociateFaces", name, {"CollectionId": COLLECTION, "UserId": f"user-{name}",
                                             "FaceIds": [face_ids[name]]})
    c.call(wire, "CreateUser", "missing collection",
           {"CollectionId": "no-such-collection", "UserId": "u1"}, expect="ResourceNotFoundException")
    c.call(wire, "AssociateFaces", "a FaceId not in the collection",
           {"CollectionId": COLLECTION, "UserId": f"user-{people[0][0]}",
            "FaceIds": ["00000000-0000-4000-8000-000000000000"]})
    r = c.call(wire, "ListUsers", "MaxResults 2", {"CollectionId": COLLECTION, "MaxResults": 2})
    if r.get("NextToken"):
        c.call(wire, "ListUsers", "second page",
               {"CollectionId": COLLECTION, "MaxResults": 2, "NextToken": r.data["NextToken"]})
        c.call(wire, "ListUsers", "NextToken of 256 characters",
               {"CollectionId": COLLECTION, "NextToken": (r.data["NextToken"] + "A" * 256)[:256]},
               expect=("InvalidParameterException", "InvalidPaginationTokenException"), check="(f)")
    # (f) MaxUserResults: min 1, max 500.
    c.call(wire, "ListUsers", "MaxResults 0", {"CollectionId": COLLECTION, "MaxResults": 0},
           expect="InvalidParameterException", check="(f)")
    c.call(wire, "ListUsers", "MaxResults 501", {"CollectionId": COLLECTION, "MaxResults": 501},
           expect="InvalidParameterException")

    if not face_ids:
        return
    name_a = people[0][0]
    c.call(wire, "SearchUsers", "by UserId", {"CollectionId": COLLECTION, "UserId": f"user-{name_a}"})
    c.call(wire, "SearchUsers", "by FaceId, MaxUsers 1",
           {"CollectionId": COLLECTION, "FaceId": face_ids[name_a], "MaxUsers": 1,
            "UserMatchThreshold": 0})
    c.call(wire, "SearchUsers", "both UserId and FaceId",
           {"CollectionId": COLLECTION, "UserId": f"user-{name_a}", "FaceId": face_ids[name_a]},
           expect="InvalidParameterException")
    c.call(wire, "SearchUsersByImage", "another photo",
           {"CollectionId": COLLECTION, "Image": image(people[0][2])})
    c.call(wire, "SearchUsersByImage", "two people, QualityFilter NONE",
           {"CollectionId": COLLECTION, "Image": image(media["two_people"]), "QualityFilter": "NONE"})
    # (b) No face in the image: unlike CompareFaces and SearchFacesByImage,
    # the model documents an answer, not an error: "If no valid face is
    # detected in the image, the response will contain an empty UserMatches
    # list and no SearchedFace object."
    nothing = c.call(wire, "SearchUsersByImage", "image without a face",
                     {"CollectionId": COLLECTION, "Image": image(media["grey"])}, check="(b)")
    if nothing.ok:
        c.check("(b)", nothing.get("UserMatches") == [] and "SearchedFace" not in nothing.data,
                "SearchUsersByImage without a face: empty UserMatches, no SearchedFace",
                f"UserMatches {nothing.get('UserMatches')!r}, SearchedFace "
                f"{'present' if 'SearchedFace' in nothing.data else 'absent'}")

    # DeleteFaces: refused for a user's face, done once disassociated.
    last = people[-1][0]
    if last in face_ids:
        fid = face_ids[last]
        c.call(wire, "DeleteFaces", "a user's face", {"CollectionId": COLLECTION, "FaceIds": [fid]})
        c.call(wire, "DisassociateFaces", last,
               {"CollectionId": COLLECTION, "UserId": f"user-{last}", "FaceIds": [fid]})
        c.call(wire, "DeleteFaces", "disassociated face",
               {"CollectionId": COLLECTION, "FaceIds": [fid, "00000000-0000-4000-8000-000000000000"]})
    c.call(wire, "DeleteFaces", "missing collection",
           {"CollectionId": "no-such-collection", "FaceIds": ["00000000-0000-4000-8000-000000000000"]},
           expect="ResourceNotFoundException")
    c.call(wire, "DeleteUser", last, {"CollectionId": COLLECTION, "UserId": f"user-{last}"})
    c.call(wire, "DeleteUser", "missing user", {"CollectionId": COLLECTION, "UserId": "no-such-user"},
           expect="ResourceNotFoundException")


def stream_processors(c, wire):
    channel = {"SNSTopicArn": "arn:aws:sns:us-east-1:123456789012:conformance"}
    kms = "alias/conformance"
    sharing = {"OptIn": False}
    body = {
        "Name": PROCESSOR,
        # Candor reads a stream URL here (README, "Stream processors").
        "Input": {"KinesisVideoStream": {"Arn": "rtsp://127.0.0.1:9/conformance"}},
        "Output": {"KinesisDataStream": {"Arn": "http://127.0.0.1:9/conformance"}},
        "Settings": {"FaceSearch": {"CollectionId": COLLECTION, "FaceMatchThreshold": 85}},
        "RoleArn": "arn:aws:iam::123456789012:role/conformance",
        "NotificationChannel": channel, "KmsKeyId": kms, "DataSharingPreference": sharing,
    }
    r = c.call(wire, "CreateStreamProcessor", "face search", body)
    if not r.ok:
        return
    # (g) The name is taken.
    c.call(wire, "CreateStreamProcessor", "same Name again", body, expect="ResourceInUseException",
           check="(g)")
    c.call(wire, "CreateStreamProcessor", "Name with a space", {**body, "Name": "a b"},
           expect="InvalidParameterException")
    d = c.call(wire, "DescribeStreamProcessor", "created", {"Name": PROCESSOR})
    if d.ok:
        # (i) What Create was given comes back.
        for member, given in (("NotificationChannel", channel), ("KmsKeyId", kms),
                              ("DataSharingPreference", sharing)):
            c.check("(i)", d.data.get(member) == given,
                    f"DescribeStreamProcessor returns {member} given at Create",
                    f"{member} {d.data.get(member)!r}, given {given!r}")
    c.call(wire, "DescribeStreamProcessor", "missing", {"Name": "no-such-processor"},
           expect="ResourceNotFoundException")
    c.call(wire, "ListStreamProcessors", "all", {})
    # (f) MaxResults has min 1 and no max: more is capped, not refused.
    c.call(wire, "ListStreamProcessors", "MaxResults 100000", {"MaxResults": 100000}, check="(f)")
    c.call(wire, "ListStreamProcessors", "NextToken of 256 characters", {"NextToken": "A" * 256},
           expect=("InvalidParameterException", "InvalidPaginationTokenException"))
    c.call(wire, "StartStreamProcessor", "stopped", {"Name": PROCESSOR})
    c.call(wire, "DescribeStreamProcessor", "started", {"Name": PROCESSOR})
    c.call(wire, "DeleteStreamProcessor", "while running", {"Name": PROCESSOR},
           expect="ResourceInUseException")
    c.call(wire, "StopStreamProcessor", "running", {"Name": PROCESSOR})
    c.call(wire, "StopStreamProcessor", "a second time", {"Name": PROCESSOR},
           expect=("ResourceInUseException", "InvalidParameterException"))
    c.call(wire, "StartStreamProcessor", "missing", {"Name": "no-such-processor"},
           expect="ResourceNotFoundException")
    c.call(wire, "DeleteStreamProcessor", "stopped", {"Name": PROCESSOR})
    c.call(wire, "DeleteStreamProcessor", "deleted", {"Name": PROCESSOR},
           expect="ResourceNotFoundException")


def wait_for_job(c, wire, operation, job_id):
    deadline = time.monotonic() + JOB_WAIT_S
    while True:
        r = c.call(wire, operation, "polling", {"JobId": job_id, "MaxResults": 1}, quiet=True)
        if not r.ok or r.data.get("JobStatus") != "IN_PROGRESS" or time.monotonic() > deadline:
            return r
        time.sleep(0.5)


def server_paths(message, roots):
    """The server's own paths that `message` shows: any of `roots`, or
    anything that looks like an absolute path of two or more parts."""
    found = [root for root in roots if root and root in message]
    found += re.findall(r"(?<![\w:/])/(?:[\w.+-]+/)+[\w.+-]*", message)
    return found


def video_jobs(c, wire, people, media, server):
    """Stored-video jobs on the server with an object root."""
    shutil.copy(media["clip"], os.path.join(server.bucket, "clip.mp4"))
    shutil.copy(media["broken"], os.path.join(server.bucket, "broken.mp4"))
    shutil.copy(media["reference"], os.path.join(server.bucket, "lin-manuel-miranda.png"))
    clip = {"S3Object": {"Bucket": "media", "Name": "clip.mp4"}}
    c.call(wire, "CreateCollection", "video collection", {"CollectionId": VIDEO_COLLECTION})
    c.call(wire, "IndexFaces", "S3Object image",
           {"CollectionId": VIDEO_COLLECTION, "ExternalImageId": "lin-manuel-miranda",
            "Image": {"S3Object": {"Bucket": "media", "Name": "lin-manuel-miranda.png"}}})
    c.call(wire, "DetectFaces", "S3Object image",
           {"Image": {"S3Object": {"Bucket": "media", "Name": "lin-manuel-miranda.png"}}})
    c.call(wire, "DetectFaces", "S3Object that does not exist",
           {"Image": {"S3Object": {"Bucket": "media", "Name": "none.jpg"}}},
           expect="InvalidS3ObjectException")

    detect = c.call(wire, "StartFaceDetection", "clip, JobTag, ClientRequestToken",
                    {"Video": clip, "JobTag": "conformance", "ClientRequestToken": "conformance-1"})
    detect_all = c.call(wire, "StartFaceDetection", "clip, FaceAttributes ALL",
                        {"Video": clip, "FaceAttributes": "ALL"})
    search = c.call(wire, "StartFaceSearch", "clip",
                    {"Video": clip, "CollectionId": VIDEO_COLLECTION, "FaceMatchThreshold": 50})
    broken = c.call(wire, "StartFaceDetection", "object no decoder opens",
                    {"Video": {"S3Object": {"Bucket": "media", "Name": "broken.mp4"}}})
    missing = c.call(wire, "StartFaceDetection", "object that does not exist",
                     {"Video": {"S3Object": {"Bucket": "media", "Name": "none.mp4"}}},
                     expect="InvalidS3ObjectException")
    c.call(wire, "StartFaceSearch", "missing collection",
           {"Video": clip, "CollectionId": "no-such-collection"}, expect="ResourceNotFoundException")
    c.call(wire, "StartFaceDetection", "FaceAttributes not an enum value",
           {"Video": clip, "FaceAttributes": "SOME"}, expect="InvalidParameterException")
    roots = [server.root, os.path.realpath(server.root), server.s3]
    if not missing.ok:
        c.check("(i)", not server_paths(missing.message, roots),
                "InvalidS3ObjectException's message shows no path of the server",
                f"message {missing.message!r}")

    jobs = {}
    for label, answer, operation in (("detection", detect, "GetFaceDetection"),
                                     ("detection ALL", detect_all, "GetFaceDetection"),
                                     ("search", search, "GetFaceSearch"),
                                     ("broken", broken, "GetFaceDetection")):
        if answer.get("JobId"):
            final = wait_for_job(c, wire, operation, answer.data["JobId"])
            c.note(f"{operation} {label}: {final.get('JobStatus', final.outcome())}")
            jobs[label] = answer.data["JobId"]

    # (i) A FAILED job's StatusMessage names no file of the server.
    if "broken" in jobs:
        r = c.call(wire, "GetFaceDetection", "FAILED job", {"JobId": jobs["broken"]})
        message = r.get("StatusMessage") or ""
        c.check("(i)", r.get("JobStatus") == "FAILED" and not server_paths(message, roots),
                "a FAILED job's StatusMessage shows no path of the server",
                f"JobStatus {r.get('JobStatus')!r}, StatusMessage {message!r}")
    else:
        c.check("(i)", False, "a FAILED job's StatusMessage", "the job did not start")

    if "detection" in jobs:
        job = jobs["detection"]
        r = c.call(wire, "GetFaceDetection", "MaxResults 2", {"JobId": job, "MaxResults": 2})
        if r.get("NextToken"):
            c.call(wire, "GetFaceDetection", "second page",
                   {"JobId": job, "MaxResults": 2, "NextToken": r.data["NextToken"]})
            if "detection ALL" in jobs:
                c.call(wire, "GetFaceDetection", "NextToken of another job",
                       {"JobId": jobs["detection ALL"], "NextToken": r.data["NextToken"]},
                       expect="InvalidPaginationTokenException")
        # (f) "If you specify a value greater than 1000, a maximum of 1000
        # results is returned."
        c.call(wire, "GetFaceDetection", "MaxResults 1001", {"JobId": job, "MaxResults": 1001},
               check="(f)")
    if "detection ALL" in jobs:
        c.call(wire, "GetFaceDetection", "FaceAttributes ALL", {"JobId": jobs["detection ALL"]})
    if "search" in jobs:
        job = jobs["search"]
        c.call(wire, "GetFaceSearch", "SortBy INDEX", {"JobId": job, "SortBy": "INDEX"})
        c.call(wire, "GetFaceSearch", "SortBy TIMESTAMP, MaxResults 2",
               {"JobId": job, "SortBy": "TIMESTAMP", "MaxResults": 2})
        c.call(wire, "GetFaceSearch", "MaxResults 1001", {"JobId": job, "MaxResults": 1001},
               check="(f)")
    c.call(wire, "GetFaceDetection", "unknown JobId", {"JobId": "no-such-job"},
           expect="ResourceNotFoundException")
    c.call(wire, "GetFaceSearch", "unknown JobId", {"JobId": "no-such-job"},
           expect="ResourceNotFoundException")
    c.call(wire, "DeleteCollection", "video collection", {"CollectionId": VIDEO_COLLECTION})


def video_without_object_root(c, wire):
    c.call(wire, "StartFaceDetection", "server without an object root",
           {"Video": {"S3Object": {"Bucket": "media", "Name": "clip.mp4"}}},
           expect="InvalidS3ObjectException")
    c.call(wire, "GetFaceDetection", "unknown JobId", {"JobId": "no-such-job"},
           expect="ResourceNotFoundException")


def model_versions(c):
    """(e) FaceModelVersion(s) and IndexFacesModelVersion match [0-9\\.]+."""
    if not c.versions:
        c.check("(e)", False, "model versions", "no answer carried one")
    for where, values in sorted(c.versions.items()):
        bad = sorted(v for v in values if not VERSION_PATTERN.fullmatch(v))
        c.check("(e)", not bad, f"{where} matches [0-9\\.]+",
                f"values {sorted(values)!r}")


def main():
    model = RekognitionModel()
    say(f"botocore {botocore.__version__}, model {model.path}")
    endpoint = os.environ["CANDOR_ENDPOINT"]
    key, secret = os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"]
    region = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
    data = os.environ["CANDOR_DATA"]
    tmp = os.environ["CANDOR_CLIENT_TMP"]
    candor = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("CANDOR_BIN", "")

    people = pick_people(os.path.join(data, "lfw", "images"))
    media = make_media(data, os.path.join(tmp, "conformance-media"), people)
    wire = Wire(endpoint, key, secret, region)
    c = Conformance(model)

    protocol_errors(c, wire)
    detect_faces(c, wire, people, media)
    compare_faces(c, wire, people, media)
    arn, tags = collections(c, wire)
    tagging(c, wire, arn, tags)
    face_ids = faces(c, wire, people, media)
    users(c, wire, people, media, face_ids)
    stream_processors(c, wire)
    video_without_object_root(c, wire)

    if candor and os.access(candor, os.X_OK):
        server = None
        try:
            server = VideoServer(candor, tmp, key, secret)
            video_jobs(c, Wire(server.endpoint, key, secret, region), people, media, server)
        except RuntimeError as e:
            c.check("video", False, "stored-video jobs", str(e))
        finally:
            if server is not None:
                status = server.stop()
                if status != 0:
                    c.check("video", False, "the second candor serve stops on SIGTERM",
                            f"exit status {status}: {server.stderr_tail()}")
    else:
        c.check("video", False, "stored-video jobs",
                "no candor binary to start a server with --s3-root (run_client.sh passes it)")

    for name in (COLLECTION, TAGGED):
        c.call(wire, "DeleteCollection", name, {"CollectionId": name})
    c.call(wire, "DeleteCollection", "missing", {"CollectionId": COLLECTION},
           expect="ResourceNotFoundException")
    model_versions(c)

    # Summary.
    say(f"{c.calls} answers validated against {os.path.basename(model.path)}; "
        f"{len(c.operations)} operations answered: {', '.join(sorted(c.operations))}")
    checked = ", ".join(f"{p!r} ({n})" for p, n in sorted(model.patterns_checked.items()))
    say(f"patterns checked (values matched): {checked}")
    if model.patterns_skipped:
        say(f"patterns skipped: {model.patterns_skipped}")
    if not c.summary():
        sys.exit(1)
    say("PASSED")


if __name__ == "__main__":
    main()
