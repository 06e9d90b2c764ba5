#!/usr/bin/env python3
"""Accountability with boto3 as the client, against a live `candor serve`.

Run by tests/clients/run_client.sh (which exports CANDOR_ENDPOINT, CANDOR_DATA
and the keys of a principal holding every role). Keys of one role each are
created through Candor.CreateAccessKey; then each role is refused what it may
not do, searches are raised to the collection's floor (and say so), refused
below it once the policy says so, refused without a reason when one is
required, served with a reason from the X-Candor-Reason header or from a key
bound to a case, and the auditor finds all of it in the audit log, whose
chain verifies. Candor's own operations (X-Amz-Target: Candor.*) are not in
boto3's model, so they are sent as SigV4-signed requests with botocore's
signer, as any AWS-signed client would.
"""

import json
import os
import sys
import urllib.error
import urllib.request

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.config
import botocore.credentials
import botocore.exceptions

ENDPOINT = os.environ["CANDOR_ENDPOINT"]
REGION = "us-east-1"
COLLECTION = "accountability"
NO_RETRY = botocore.config.Config(retries={"max_attempts": 1, "mode": "standard"})


def fail(message):
    print(f"FAILED: {message}", file=sys.stderr)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


def step(message):
    print(f"accountability: {message}", flush=True)


def candor(operation, body, key_id, secret):
    """A signed Candor.* call; returns (status, parsed body)."""
    data = json.dumps(body).encode()
    request = botocore.awsrequest.AWSRequest(
        method="POST", url=ENDPOINT + "/", data=data,
        headers={"Content-Type": "application/x-amz-json-1.1",
                 "X-Amz-Target": "Candor." + operation})
    credentials = botocore.credentials.Credentials(key_id, secret)
    botocore.auth.SigV4Auth(credentials, "rekognition", REGION).add_auth(request)
    prepared = request.prepare()
    http = urllib.request.Request(prepared.url, data=data, method="POST",
                                  headers=dict(prepared.headers))
    try:
        with urllib.request.urlopen(http, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def client(key_id, secret):
    return boto3.client("rekognition", endpoint_url=ENDPOINT, region_name=REGION,
                        aws_access_key_id=key_id, aws_secret_access_key=secret,
                        config=NO_RETRY)


def raw_responses(rek):
    """The raw JSON of each response (boto3 drops Candor's extra members)."""
    seen = []

    def keep(http_response, **_):
        seen.append(json.loads(http_response.content or b"{}"))

    rek.meta.events.register("after-call.rekognition.*", keep)
    return seen


def with_reason(rek, reason):
    """Sends X-Candor-Reason with every request of this client (signed)."""
    def add(request, **_):
        request.headers["X-Candor-Reason"] = reason
    rek.meta.events.register("before-sign.rekognition.*", add)


def expect_denied(call, what):
    try:
        call()
    except botocore.exceptions.ClientError as error:
        code = error.response["Error"]["Code"]
        check(code == "AccessDeniedException", f"{what}: expected AccessDeniedException, got {code}")
        return error.response["Error"]["Message"]
    fail(f"{what}: was not refused")


def pick_people(images_dir, count):
    people = []
    for name in sorted(os.listdir(images_dir)):
        folder = os.path.join(images_dir, name)
        photos = sorted(f for f in os.listdir(folder) if f.endswith(".jpg")) if os.path.isdir(folder) else []
        if len(photos) >= 2:
            people.append((name, os.path.join(folder, photos[0]), os.path.join(folder, photos[1])))
            if len(people) == count:
                return people
    fail("not enough LFW people with two photos")


def read(path):
    with open(path, "rb") as f:
        return f.read()


def main():
    admin_id, admin_secret = os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"]
    keys = {}
    for principal, roles, reason in [("sam", ["searcher"], None), ("eve", ["enroller"], None),
                                     ("ann", ["analyst"], None), ("aud", ["auditor"], None),
                                     ("case-42", ["searcher"], "CASE-2026-0042")]:
        body = {"Principal": principal, "Roles": roles}
        if reason:
            body["Reason"] = reason
        status, answer = candor("CreateAccessKey", body, admin_id, admin_secret)
        check(status == 200, f"CreateAccessKey {principal}: {status} {answer}")
        keys[principal] = (answer["AccessKeyId"], answer["SecretAccessKey"])
    step("created one key per role through Candor.CreateAccessKey")

    admin = client(admin_id, admin_secret)
    sam, eve, ann, aud = (client(*keys[p]) for p in ("sam", "eve", "ann", "aud"))
    admin.create_collection(CollectionId=COLLECTION)
    people = pick_people(os.path.join(os.environ["CANDOR_DATA"], "lfw", "images"), 3)
    for name, gallery, _ in people:
        eve.index_faces(CollectionId=COLLECTION, Image={"Bytes": read(gallery)},
                        ExternalImageId=name, MaxFaces=1)
    step(f"enroller indexed {len(people)} people")

    name, _, probe = people[0]
    probe_bytes = read(probe)
    # Roles: each is refused what it may not do.
    expect_denied(lambda: ann.search_faces_by_image(CollectionId=COLLECTION,
                                                    Image={"Bytes": probe_bytes}), "analyst searches")
    expect_denied(lambda: eve.search_faces_by_image(CollectionId=COLLECTION,
                                                    Image={"Bytes": probe_bytes}), "enroller searches")
    expect_denied(lambda: sam.index_faces(CollectionId=COLLECTION, Image={"Bytes": probe_bytes}),
                  "searcher indexes")
    expect_denied(lambda: aud.detect_faces(Image={"Bytes": probe_bytes}), "auditor detects")
    expect_denied(lambda: sam.delete_collection(CollectionId=COLLECTION), "searcher deletes")
    expect_denied(lambda: eve.create_collection(CollectionId="other"), "enroller creates")
    check(ann.detect_faces(Image={"Bytes": probe_bytes})["FaceDetails"], "analyst detects")
    status, answer = candor("PutCollectionPolicy", {"CollectionId": COLLECTION, "ThresholdFloor": 50},
                            *keys["sam"])
    check(status == 403 and answer["__type"] == "AccessDeniedException",
          f"a searcher lowered the floor: {status} {answer}")
    step("each role was refused what it may not do (AccessDeniedException)")

    # The default floor (99) raises Rekognition's default threshold (80).
    raw = raw_responses(sam)
    found = sam.search_faces_by_image(CollectionId=COLLECTION, Image={"Bytes": probe_bytes},
                                      FaceMatchThreshold=80)
    check(found["FaceMatches"] and found["FaceMatches"][0]["Face"]["ExternalImageId"] == name,
          f"{name} not found first: {found['FaceMatches']}")
    check(all(m["Similarity"] >= 99 for m in found["FaceMatches"]), "a match under the floor")
    body = raw[-1]
    check(body["CandorThresholdRequested"] == 80 and body["CandorThresholdApplied"] == 99 and
          body["CandorThresholdRaised"] is True, f"threshold fields: {body}")
    check("CandorFalseMatchRate" in body["FaceMatches"][0] and "CandorExpectedFalseMatches" in body,
          "false-match rates missing")
    step(f"a search at 80 was raised to the floor 99 and says so; {name} found first")

    # The admin makes the policy strict: below the floor is refused, a reason is required.
    status, answer = candor("PutCollectionPolicy",
                            {"CollectionId": COLLECTION, "Purpose": "Test of accountability",
                             "RefuseBelowFloor": True, "ReasonRequired": True, "MaxFaces": 2},
                            admin_id, admin_secret)
    check(status == 200 and answer["Policy"]["ReasonRequired"] is True, f"policy: {answer}")
    message = expect_denied(lambda: sam.search_faces_by_image(
        CollectionId=COLLECTION, Image={"Bytes": probe_bytes}, FaceMatchThreshold=80),
        "a search below a refusing floor")
    check("refuses searches below" in message, message)
    message = expect_denied(lambda: sam.search_faces_by_image(
        CollectionId=COLLECTION, Image={"Bytes": probe_bytes}, FaceMatchThreshold=99),
        "a search without a reason")
    check("requires a reason" in message, message)
    with_reason(sam, "CASE-2026-0001")
    found = sam.search_faces_by_image(CollectionId=COLLECTION, Image={"Bytes": probe_bytes},
                                      FaceMatchThreshold=99, MaxFaces=10)
    check(found["FaceMatches"][0]["Face"]["ExternalImageId"] == name, "not found with a reason")
    check(raw[-1]["CandorMaxResultsApplied"] == 2, f"MaxFaces not capped: {raw[-1]}")
    case_key = client(*keys["case-42"])
    case_key.search_faces_by_image(CollectionId=COLLECTION, Image={"Bytes": probe_bytes},
                                   FaceMatchThreshold=99.5)
    step("refused below the floor and without a reason; served with X-Candor-Reason and "
         "with a key bound to a case")

    # The auditor reads all of it back.
    status, answer = candor("ListAuditEvents", {"Operation": "SearchFacesByImage", "MaxResults": 1000},
                            *keys["aud"])
    check(status == 200, f"ListAuditEvents: {status} {answer}")
    events = answer["AuditEvents"]
    outcomes = [(e["principal"], e["outcome"], e.get("reason", "")) for e in events]
    check(("sam", "ok", "CASE-2026-0001") in outcomes, f"reasoned search missing: {outcomes}")
    check(("case-42", "ok", "CASE-2026-0042") in outcomes, f"case-key search missing: {outcomes}")
    check(sum(1 for o in outcomes if o[1] == "AccessDeniedException") >= 4,
          f"refusals missing: {outcomes}")
    raised = [e for e in events if e["principal"] == "sam" and e.get("threshold_requested") == 80
              and e["outcome"] == "ok"]
    check(raised and raised[0]["threshold_applied"] == 99, f"raised search: {raised}")
    check(raised[0]["results"]["FaceMatches"], "the audit record lists no matches")
    status, answer = candor("ListAuditEvents", {}, *keys["sam"])
    check(status == 403, "a searcher read the audit log")
    status, answer = candor("VerifyAuditLog", {}, *keys["aud"])
    check(status == 200 and answer["Ok"] is True, f"VerifyAuditLog: {answer}")
    step(f"the auditor found {len(events)} search records with reasons, thresholds and "
         "refusals; the chain verifies")

    # A deleted key stops working at once.
    status, answer = candor("DeleteAccessKey", {"AccessKeyId": keys["sam"][0]}, admin_id, admin_secret)
    check(status == 200, f"DeleteAccessKey: {answer}")
    try:
        client(*keys["sam"]).list_collections()
        fail("a deleted key still works")
    except botocore.exceptions.ClientError as error:
        check(error.response["Error"]["Code"] == "UnrecognizedClientException",
              f"deleted key: {error.response['Error']}")
    step("a deleted key is refused (UnrecognizedClientException)")
    print("accountability: all checks passed")


if __name__ == "__main__":
    main()
