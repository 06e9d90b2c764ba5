#!/usr/bin/env python3
"""Candor's extension members reach boto3 and the AWS CLI through sdk-extras.

Run by tests/clients/run_client.sh (which starts the server and exports
CANDOR_ENDPOINT, CANDOR_DATA and the keys). The scenario sets AWS_DATA_PATH
to clients/botocore, as a user would, and then:

* for every operation called, reads the raw JSON answer (botocore's
  after-call event) and checks that each Candor* member in it, at any depth,
  with everything inside it, is in what boto3 returns. This holds whatever
  members the server adds, and fails when it sends one the extras file does
  not model;
* checks the members the README documents by name on a real search and on
  CompareFaces;
* checks that a client whose botocore loader lacks the path drops them, which
  shows that the extras file is what carries them;
* checks that `aws rekognition search-faces-by-image --output json` shows
  CandorExpectedFalseMatches with AWS_DATA_PATH, and not without it.
"""

import json
import math
import os
import shutil
import subprocess
import sys

# Importing boto3_scenario must not leave a __pycache__ in the source tree.
sys.dont_write_bytecode = True
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
EXTRAS_PATH = os.path.join(ROOT, "clients", "botocore")
# Before boto3 makes its default session, which reads it once.
os.environ["AWS_DATA_PATH"] = EXTRAS_PATH

import boto3  # noqa: E402
import botocore.loaders  # noqa: E402
import botocore.session  # noqa: E402

from boto3_scenario import check, check_response_shapes, fail, image, make_client, pick_people  # noqa: E402

COLLECTION = "client-test-candor-fields"
THRESHOLD = 80.0  # Rekognition's default; the collection's policy raises it
# What a Similarity means: the calibration's version (every search,
# CompareFaces, DescribeCollection), the gallery's measured rate (searches)
# and the claimed and measured rates (DescribeCollection).
CALIBRATION_MEMBERS = ("CandorCalibrationVersion", "CandorCollectionFalseMatchRate",
                       "CandorFalseMatchRates")


def step(message):
    print(f"candor_fields: {message}", flush=True)


def missing_candor(raw, parsed, path="", inside=False):
    """Where `parsed` lacks, or changed, a Candor member of the raw JSON.

    Every member named Candor* is compared, and so is everything inside one
    (botocore drops unmodelled members of Candor's own structures too).
    Returns ["path: why", ...].
    """
    if isinstance(raw, dict):
        if not isinstance(parsed, dict):
            return [f"{path}: {type(parsed).__name__}, expected an object"] if inside else []
        problems = []
        for key, value in raw.items():
            candor = inside or key.startswith("Candor")
            if key not in parsed:
                if candor:
                    problems.append(f"{path}.{key}: missing")
                continue
            problems += missing_candor(value, parsed[key], f"{path}.{key}", candor)
        return problems
    if isinstance(raw, list):
        if not isinstance(parsed, list) or (inside and len(parsed) != len(raw)):
            return [f"{path}: {parsed!r:.80}, expected {len(raw)} items"] if inside else []
        return [p for i, (r, q) in enumerate(zip(raw, parsed))
                for p in missing_candor(r, q, f"{path}[{i}]", inside)]
    if not inside or hasattr(parsed, "timestamp"):  # timestamps become datetimes
        return []
    same = (math.isclose(raw, parsed, rel_tol=1e-6)
            if isinstance(raw, float) and isinstance(parsed, (int, float)) else raw == parsed)
    return [] if same else [f"{path}: {parsed!r}, sent {raw!r}"]


def candor_names(raw):
    """The names of all Candor members in a JSON value, at any depth."""
    if isinstance(raw, dict):
        return {k for k in raw if k.startswith("Candor")} | {
            n for v in raw.values() for n in candor_names(v)}
    if isinstance(raw, list):
        return {n for v in raw for n in candor_names(v)}
    return set()


class RawAnswers:
    """Keeps the raw JSON of each successful answer (botocore's after-call)."""

    def __init__(self, client):
        self.last = None
        self.seen = set()
        client.meta.events.register("after-call.rekognition", self._keep)

    def _keep(self, http_response, **_):
        if http_response.status_code == 200:
            self.last = json.loads(http_response.content or b"{}")

    def call(self, method, **kwargs):
        """Calls; checks that the answer keeps every Candor member sent."""
        self.last = None
        response = method(**kwargs)
        check(self.last is not None, f"{method.__name__}: no raw answer was seen")
        problems = missing_candor(self.last, response, method.__name__)
        check(not problems, "Candor members the parsed answer lacks: " + "; ".join(problems[:8]))
        self.seen |= candor_names(self.last)
        return response


def stock_client():
    """A client whose loader has botocore's own models only (no AWS_DATA_PATH)."""
    session = botocore.session.get_session()
    session.register_component("data_loader", botocore.loaders.Loader())
    return boto3.Session(botocore_session=session).client(
        "rekognition", endpoint_url=os.environ["CANDOR_ENDPOINT"])


def models_candor(client):
    """Whether the client's model of Rekognition has Candor's members."""
    search = client.meta.service_model.operation_model("SearchFacesByImage")
    return "CandorExpectedFalseMatches" in search.output_shape.members


def aws_cli(probe, with_extras):
    """`aws rekognition search-faces-by-image --output json`, parsed."""
    aws = shutil.which("aws") or fail("the AWS CLI (aws) is not installed")
    env = dict(os.environ)
    if not with_extras:
        del env["AWS_DATA_PATH"]
    run = subprocess.run(
        [aws, "rekognition", "search-faces-by-image", "--collection-id", COLLECTION,
         "--image-bytes", f"fileb://{probe}", "--face-match-threshold", str(THRESHOLD),
         "--endpoint-url", os.environ["CANDOR_ENDPOINT"], "--output", "json"],
        env=env, capture_output=True, text=True, timeout=120)
    check(run.returncode == 0, f"aws rekognition search-faces-by-image exited "
          f"{run.returncode}: {run.stderr}")
    return json.loads(run.stdout)


def main():
    people = pick_people(os.path.join(os.environ["CANDOR_DATA"], "lfw", "images"))
    client = make_client()
    check(models_candor(client), f"boto3 did not load the extras from {EXTRAS_PATH}")
    # Also checks the modelled types against the JSON sent: members that are
    # modelled now go through the same checks as Rekognition's own.
    check_response_shapes(client)
    raw = RawAnswers(client)

    raw.call(client.create_collection, CollectionId=COLLECTION)
    face_ids = {}
    for name, gallery, _ in people:
        r = raw.call(client.index_faces, CollectionId=COLLECTION, Image=image(gallery),
                     ExternalImageId=name, MaxFaces=1)
        face_ids[name] = r["FaceRecords"][0]["Face"]["FaceId"]
        raw.call(client.create_user, CollectionId=COLLECTION, UserId=f"user-{name}")
        raw.call(client.associate_faces, CollectionId=COLLECTION, UserId=f"user-{name}",
                 FaceIds=[face_ids[name]])
    step(f"IndexFaces + CreateUser + AssociateFaces for {len(face_ids)} people")

    name, gallery, probe = people[0]
    r = raw.call(client.search_faces_by_image, CollectionId=COLLECTION, Image=image(probe),
                 FaceMatchThreshold=THRESHOLD)
    searched = raw.last  # the same search by the AWS CLI must show the same members
    for member in ("CandorExpectedFalseMatches", "CandorFacesSearched", "CandorThresholdApplied"):
        check(member in r, f"SearchFacesByImage: no {member} in {r}")
    check(r["CandorFacesSearched"] == len(people), f"CandorFacesSearched {r['CandorFacesSearched']}")
    check(r["FaceMatches"] and "CandorFalseMatchRate" in r["FaceMatches"][0],
          f"SearchFacesByImage: no FaceMatches[0].CandorFalseMatchRate in {r['FaceMatches']}")
    step(f"SearchFacesByImage -> CandorFacesSearched {r['CandorFacesSearched']}, "
         f"CandorExpectedFalseMatches {r['CandorExpectedFalseMatches']:.3g}, "
         f"CandorThresholdApplied {r['CandorThresholdApplied']}, "
         f"FaceMatches[0].CandorFalseMatchRate {r['FaceMatches'][0]['CandorFalseMatchRate']:.3g}")

    r = raw.call(client.compare_faces, SourceImage=image(probe), TargetImage=image(gallery),
                 SimilarityThreshold=THRESHOLD)
    check(r["FaceMatches"] and "CandorFalseMatchRate" in r["FaceMatches"][0],
          f"CompareFaces: no FaceMatches[0].CandorFalseMatchRate in {r['FaceMatches']}")
    step(f"CompareFaces -> FaceMatches[0].CandorFalseMatchRate "
         f"{r['FaceMatches'][0]['CandorFalseMatchRate']:.3g}")

    # The other operations whose answers carry Candor members: the generic
    # check in RawAnswers.call is the test.
    raw.call(client.search_faces, CollectionId=COLLECTION, FaceId=face_ids[name],
             FaceMatchThreshold=THRESHOLD)
    raw.call(client.search_users, CollectionId=COLLECTION, UserId=f"user-{name}")
    raw.call(client.search_users_by_image, CollectionId=COLLECTION, Image=image(probe))
    raw.call(client.list_users, CollectionId=COLLECTION)
    d = raw.call(client.describe_collection, CollectionId=COLLECTION)
    rates = d.get("CandorFalseMatchRates", [])
    check([x["Similarity"] for x in rates] == [50, 80, 90, 95, 99]
          and all("CollectionFalseMatchRate" in x and x["CollectionPairs"] > 0 for x in rates),
          f"DescribeCollection: CandorFalseMatchRates {rates}")
    step(f"DescribeCollection -> CandorCalibrationVersion {d.get('CandorCalibrationVersion')}, "
         f"at Similarity 99 claimed {rates[-1]['FalseMatchRate']:.3g}, measured "
         f"{rates[-1]['CollectionFalseMatchRate']:.3g} on {rates[-1]['CollectionPairs']} pairs")
    raw.call(client.detect_faces, Image=image(probe), Attributes=["ALL"])
    step(f"every Candor member sent is in boto3's answers: {', '.join(sorted(raw.seen))}")
    for member in CALIBRATION_MEMBERS:
        check(member in raw.seen, f"{member} was not in any answer")

    # Without the extras, botocore drops the members: the extras carry them.
    stock = stock_client()
    check(not models_candor(stock), "the stock client's model has Candor's members")
    r = stock.search_faces_by_image(CollectionId=COLLECTION, Image=image(probe),
                                    FaceMatchThreshold=THRESHOLD)
    dropped = missing_candor(searched, r, "SearchFacesByImage")
    check("CandorExpectedFalseMatches" not in r and dropped,
          f"a client without AWS_DATA_PATH kept Candor members: {sorted(candor_names(r))}")
    step(f"without AWS_DATA_PATH, boto3 drops {len(dropped)} Candor members, e.g. "
         f"{'; '.join(dropped[:3])}")

    out = aws_cli(probe, with_extras=True)
    check("CandorExpectedFalseMatches" in out,
          f"aws rekognition with AWS_DATA_PATH: no CandorExpectedFalseMatches in {out}")
    check(candor_names(out) >= candor_names(searched),
          f"aws rekognition with AWS_DATA_PATH lacks {sorted(candor_names(searched) - candor_names(out))}")
    out_stock = aws_cli(probe, with_extras=False)
    check("CandorExpectedFalseMatches" not in out_stock,
          "aws rekognition without AWS_DATA_PATH showed CandorExpectedFalseMatches")
    step(f"aws rekognition search-faces-by-image --output json: CandorExpectedFalseMatches "
         f"{out['CandorExpectedFalseMatches']:.3g} with AWS_DATA_PATH, absent without")

    raw.call(client.delete_collection, CollectionId=COLLECTION)
    step("PASSED")


if __name__ == "__main__":
    main()
