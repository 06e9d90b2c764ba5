#!/usr/bin/env python3
"""The boto3 client against a live `candor serve`.

Run by tests/clients/run_client.sh, which starts the server and exports
CANDOR_ENDPOINT, CANDOR_DATA, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
AWS_DEFAULT_REGION. Prints one line per step; exits non-zero on the first
mismatch. Every successful answer is also checked against botocore's model of
Rekognition (members, types, enum values), which boto3 itself does not do.
"""

import json
import os
import sys

import boto3
import botocore.config
import botocore.exceptions

COLLECTION = "client-test-boto3"
PEOPLE = 4  # LFW people indexed; each needs a second photo to search with
# Rekognition's default similarity threshold; on Candor's scale 80 is a
# false-match rate of 1 in 1,000 (README, "Similarity is a false-match rate").
THRESHOLD = 80.0
ATTRIBUTES_ALL = ("AgeRange", "Emotions", "Pose", "Quality", "Landmarks")


def fail(message):
    print(f"FAILED: {message}", file=sys.stderr)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


def step(message):
    print(f"boto3: {message}", flush=True)


def pick_people(images_dir):
    """The first PEOPLE LFW people, by sorted name, with two or more photos.

    The shared LFW is a subset, so the photos are listed, never guessed.
    Returns [(name, gallery_path, probe_path)].
    """
    people = []
    for name in sorted(os.listdir(images_dir)):
        folder = os.path.join(images_dir, name)
        if not os.path.isdir(folder):
            continue
        photos = sorted(f for f in os.listdir(folder) if f.endswith(".jpg"))
        if len(photos) >= 2:
            people.append((name, os.path.join(folder, photos[0]),
                           os.path.join(folder, photos[1])))
            if len(people) == PEOPLE:
                return people
    fail(f"fewer than {PEOPLE} people with two photos in {images_dir}")


def image(path):
    with open(path, "rb") as f:
        return {"Bytes": f.read()}


def make_client(**overrides):
    # One attempt: a retried error would only slow the error checks down.
    config = botocore.config.Config(retries={"max_attempts": 1, "mode": "standard"})
    return boto3.client("rekognition", endpoint_url=os.environ["CANDOR_ENDPOINT"],
                        config=config, **overrides)


def expect_error(code, call, **kwargs):
    """Calls and checks that the client raised ClientError with `code`."""
    try:
        call(**kwargs)
    except botocore.exceptions.ClientError as e:
        got = e.response["Error"]["Code"]
        check(got == code, f"{call.__name__}: expected {code}, got {got}: {e}")
        return e
    fail(f"{call.__name__}: expected {code}, got success")


def shape_problems(value, shape, path):
    """How a raw JSON value departs from botocore's model of Rekognition.

    Members named Candor* are Candor's documented extensions; any other
    unmodelled member, wrong type or value outside an enum is a problem.
    """
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return [f"{path}: {type(value).__name__}, expected an object"]
        problems = []
        for key, item in value.items():
            if key in shape.members:
                problems += shape_problems(item, shape.members[key], f"{path}.{key}")
            elif not key.startswith("Candor"):
                problems.append(f"{path}.{key}: not in Rekognition's model")
        return problems
    if kind == "list":
        if not isinstance(value, list):
            return [f"{path}: {type(value).__name__}, expected a list"]
        return [p for i, item in enumerate(value)
                for p in shape_problems(item, shape.member, f"{path}[{i}]")]
    if kind == "map":
        if not isinstance(value, dict):
            return [f"{path}: {type(value).__name__}, expected a map"]
        return [p for k, item in value.items() for p in shape_problems(item, shape.value, f"{path}.{k}")]
    if kind == "string":
        if not isinstance(value, str):
            return [f"{path}: {value!r} is not a string"]
        if shape.enum and value not in shape.enum:
            return [f"{path}: {value!r} is not one of {shape.enum}"]
        return []
    if kind in ("integer", "long"):
        ok = isinstance(value, int) and not isinstance(value, bool)
        return [] if ok else [f"{path}: {value!r} is not an integer"]
    if kind in ("float", "double", "timestamp"):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return [] if ok else [f"{path}: {value!r} is not a number"]
    if kind == "boolean":
        return [] if isinstance(value, bool) else [f"{path}: {value!r} is not a boolean"]
    return []  # blobs are never answered by these operations


def check_response_shapes(client):
    """Checks every successful answer against the model as the client reads it."""
    def after_call(http_response, model, **_):
        if http_response.status_code != 200 or model.output_shape is None:
            return
        body = json.loads(http_response.content or b"{}")
        problems = shape_problems(body, model.output_shape, model.name)
        check(not problems, "response shape: " + "; ".join(problems[:5]))
    client.meta.events.register("after-call.rekognition", after_call)


def list_all_faces(client):
    faces, pages, token = [], 0, None
    while True:
        kwargs = {"CollectionId": COLLECTION, "MaxResults": 2}
        if token:
            kwargs["NextToken"] = token
        page = client.list_faces(**kwargs)
        pages += 1
        check(len(page["Faces"]) <= 2, f"ListFaces page of {len(page['Faces'])} > MaxResults 2")
        faces += page["Faces"]
        token = page.get("NextToken")
        if not token:
            return faces, pages
        check(pages < 100, "ListFaces pagination does not end")


def main():
    images_dir = os.path.join(os.environ["CANDOR_DATA"], "lfw", "images")
    people = pick_people(images_dir)
    client = make_client()
    check_response_shapes(client)

    # Collections, and the two collection errors.
    client.create_collection(CollectionId=COLLECTION)
    step(f"CreateCollection {COLLECTION}")
    try:
        client.create_collection(CollectionId=COLLECTION)
        fail("CreateCollection twice succeeded")
    except client.exceptions.ResourceAlreadyExistsException:
        step("CreateCollection twice -> ResourceAlreadyExistsException")
    try:
        client.describe_collection(CollectionId="no-such-collection")
        fail("DescribeCollection of a missing collection succeeded")
    except client.exceptions.ResourceNotFoundException:
        step("DescribeCollection missing -> ResourceNotFoundException")

    # IndexFaces: the largest face of each person's first photo.
    face_ids = {}
    for name, gallery, _ in people:
        r = client.index_faces(CollectionId=COLLECTION, Image=image(gallery),
                               ExternalImageId=name, MaxFaces=1)
        check(len(r["FaceRecords"]) == 1, f"IndexFaces {gallery}: {len(r['FaceRecords'])} faces")
        face = r["FaceRecords"][0]["Face"]
        check(face["ExternalImageId"] == name, f"IndexFaces echoed {face['ExternalImageId']}")
        face_ids[name] = face["FaceId"]
    step(f"IndexFaces {len(face_ids)} people: {', '.join(face_ids)}")

    count = client.describe_collection(CollectionId=COLLECTION)["FaceCount"]
    check(count == len(people), f"DescribeCollection FaceCount {count}, expected {len(people)}")
    step(f"DescribeCollection FaceCount {count}")

    # SearchFacesByImage with another photo of each person.
    for name, _, probe in people:
        r = client.search_faces_by_image(CollectionId=COLLECTION, Image=image(probe),
                                         FaceMatchThreshold=THRESHOLD)
        check(r["FaceMatches"], f"SearchFacesByImage {probe}: no match")
        best = r["FaceMatches"][0]
        check(best["Face"]["ExternalImageId"] == name,
              f"SearchFacesByImage {probe}: best match {best['Face']['ExternalImageId']}")
        step(f"SearchFacesByImage {os.path.basename(probe)} -> {name} "
             f"({best['Similarity']:.1f})")

    # CompareFaces: same person matches, different people do not.
    (name_a, gallery_a, probe_a), (name_b, gallery_b, _) = people[0], people[1]
    r = client.compare_faces(SourceImage=image(probe_a), TargetImage=image(gallery_a),
                             SimilarityThreshold=THRESHOLD)
    check(r["FaceMatches"] and r["FaceMatches"][0]["Similarity"] > THRESHOLD,
          f"CompareFaces same person {name_a}: {r['FaceMatches']}")
    step(f"CompareFaces same person -> {r['FaceMatches'][0]['Similarity']:.1f}")
    r = client.compare_faces(SourceImage=image(gallery_a), TargetImage=image(gallery_b),
                             SimilarityThreshold=THRESHOLD)
    check(not r["FaceMatches"], f"CompareFaces {name_a} vs {name_b} matched: {r['FaceMatches']}")
    check(r["UnmatchedFaces"], "CompareFaces of different people: no UnmatchedFaces")
    step("CompareFaces different people -> no match")

    # DetectFaces with every attribute.
    r = client.detect_faces(Image=image(probe_a), Attributes=["ALL"])
    check(r["FaceDetails"], "DetectFaces ALL: no FaceDetails")
    missing = [k for k in ATTRIBUTES_ALL if not r["FaceDetails"][0].get(k)]
    check(not missing, f"DetectFaces ALL: missing {missing}")
    step(f"DetectFaces ALL -> {len(r['FaceDetails'])} face(s) with {', '.join(ATTRIBUTES_ALL)}")

    # ListFaces, two at a time.
    faces, pages = list_all_faces(client)
    check(sorted(f["FaceId"] for f in faces) == sorted(face_ids.values()),
          f"ListFaces returned {len(faces)} faces, expected {len(face_ids)}")
    step(f"ListFaces MaxResults 2 -> {len(faces)} faces in {pages} pages")

    # SearchFaces by a stored face: the face itself is never a match.
    name_a, id_a = people[0][0], face_ids[people[0][0]]
    r = client.search_faces(CollectionId=COLLECTION, FaceId=id_a, FaceMatchThreshold=THRESHOLD)
    check(r["SearchedFaceId"] == id_a, f"SearchFaces SearchedFaceId {r['SearchedFaceId']}")
    check(all(m["Face"]["FaceId"] != id_a for m in r["FaceMatches"]),
          "SearchFaces returned the searched face itself")
    check(all(m["Face"]["ExternalImageId"] == name_a for m in r["FaceMatches"]),
          f"SearchFaces {name_a} matched other people: {r['FaceMatches']}")
    step(f"SearchFaces {name_a} -> {len(r['FaceMatches'])} other faces, not itself")
    try:
        client.list_faces(CollectionId=COLLECTION, NextToken="not-a-token")
        fail("ListFaces with NextToken 'not-a-token' succeeded")
    except client.exceptions.InvalidPaginationTokenException:
        step("ListFaces NextToken 'not-a-token' -> InvalidPaginationTokenException")

    # Users: one per person, searched by another photo.
    for name in face_ids:
        client.create_user(CollectionId=COLLECTION, UserId=f"user-{name}")
        r = client.associate_faces(CollectionId=COLLECTION, UserId=f"user-{name}",
                                   FaceIds=[face_ids[name]])
        check([f["FaceId"] for f in r["AssociatedFaces"]] == [face_ids[name]],
              f"AssociateFaces {name}: {r}")
    step(f"CreateUser + AssociateFaces for {len(face_ids)} users")
    # ListFaces filtered by UserId and by FaceIds (botocore validates the
    # request shape, the service the values).
    some = sorted(face_ids)[0]
    r = client.list_faces(CollectionId=COLLECTION, UserId=f"user-{some}")
    check([f["FaceId"] for f in r["Faces"]] == [face_ids[some]], f"ListFaces UserId: {r}")
    check(r["Faces"][0].get("UserId") == f"user-{some}", f"ListFaces UserId: {r['Faces'][0]}")
    two = sorted(face_ids.values())[:2]
    r = client.list_faces(CollectionId=COLLECTION, FaceIds=two)
    check([f["FaceId"] for f in r["Faces"]] == two, f"ListFaces FaceIds: {r}")
    try:
        client.list_faces(CollectionId=COLLECTION, FaceIds=["not-a-face-id"])
        fail("ListFaces with FaceIds ['not-a-face-id'] succeeded")
    except client.exceptions.InvalidParameterException:
        pass
    step("ListFaces UserId / FaceIds filters -> the user's face, the two faces; a bad FaceId -> InvalidParameterException")
    for name, _, probe in people:
        r = client.search_users_by_image(CollectionId=COLLECTION, Image=image(probe))
        check(r["UserMatches"], f"SearchUsersByImage {probe}: no match")
        got = r["UserMatches"][0]["User"]["UserId"]
        check(got == f"user-{name}", f"SearchUsersByImage {probe}: best user {got}")
    step("SearchUsersByImage -> the right user for every person")

    # DeleteFaces: refused while the face belongs to a user (as Rekognition
    # does), done once it is disassociated; then the collection shrinks.
    deleted_name = people[-1][0]
    deleted_id = face_ids[deleted_name]
    r = client.delete_faces(CollectionId=COLLECTION, FaceIds=[deleted_id])
    check(not r["DeletedFaces"] and r["UnsuccessfulFaceDeletions"][0]["Reasons"]
          == ["ASSOCIATED_TO_AN_EXISTING_USER"], f"DeleteFaces of an associated face: {r}")
    step("DeleteFaces of a user's face -> ASSOCIATED_TO_AN_EXISTING_USER")
    r = client.disassociate_faces(CollectionId=COLLECTION, UserId=f"user-{deleted_name}",
                                  FaceIds=[deleted_id])
    check([f["FaceId"] for f in r["DisassociatedFaces"]] == [deleted_id],
          f"DisassociateFaces answered {r}")
    r = client.delete_faces(CollectionId=COLLECTION, FaceIds=[deleted_id])
    check(r["DeletedFaces"] == [deleted_id], f"DeleteFaces answered {r}")
    faces, _ = list_all_faces(client)
    check(len(faces) == len(face_ids) - 1, f"ListFaces after DeleteFaces: {len(faces)}")
    count = client.describe_collection(CollectionId=COLLECTION)["FaceCount"]
    check(count == len(face_ids) - 1, f"FaceCount after DeleteFaces: {count}")
    step(f"DisassociateFaces + DeleteFaces {deleted_name} -> ListFaces {len(faces)}, FaceCount {count}")

    # Errors the server decides (botocore validates only types, lengths and
    # ranges, so these reach the server).
    try:
        client.index_faces(CollectionId=COLLECTION, Image=image(people[0][1]),
                           ExternalImageId="has a space")
        fail("IndexFaces with ExternalImageId 'has a space' succeeded")
    except client.exceptions.InvalidParameterException:
        step("IndexFaces ExternalImageId with a space -> InvalidParameterException")
    try:
        client.detect_faces(Image={"Bytes": b"this is plain text, not an image"})
        fail("DetectFaces of text succeeded")
    except client.exceptions.InvalidImageFormatException:
        step("DetectFaces of text -> InvalidImageFormatException")

    # Rekognition's limit on Image.Bytes is 5 MiB: a valid JPEG padded past it.
    try:
        photo = image(people[0][1])["Bytes"]
        client.detect_faces(Image={"Bytes": photo + b"\0" * (5 * 1024 * 1024 + 1 - len(photo))})
        fail("DetectFaces of 5 MiB + 1 byte succeeded")
    except client.exceptions.ImageTooLargeException:
        step("DetectFaces of 5 MiB + 1 byte -> ImageTooLargeException")

    # Authentication errors are not in Rekognition's model: boto3 raises the
    # generic ClientError, so the code is checked.
    wrong_secret = make_client(aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
                               aws_secret_access_key="W" * 40)
    expect_error("InvalidSignatureException", wrong_secret.list_collections)
    step("wrong secret -> InvalidSignatureException")
    unknown_key = make_client(aws_access_key_id="CKIAUNKNOWNUNKNOWN23",
                              aws_secret_access_key="W" * 40)
    expect_error("UnrecognizedClientException", unknown_key.list_collections)
    step("unknown key id -> UnrecognizedClientException")

    client.delete_collection(CollectionId=COLLECTION)
    check(COLLECTION not in client.list_collections()["CollectionIds"],
          "ListCollections still lists the deleted collection")
    step("DeleteCollection")
    step("PASSED")


if __name__ == "__main__":
    main()
