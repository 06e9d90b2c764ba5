#!/usr/bin/env bash
# The AWS CLI (`aws rekognition ...`) against a live `candor serve`.
#
# Run by tests/clients/run_client.sh, which starts the server and exports
# CANDOR_ENDPOINT, CANDOR_DATA, CANDOR_CLIENT_TMP, AWS_ACCESS_KEY_ID,
# AWS_SECRET_ACCESS_KEY and AWS_DEFAULT_REGION. Prints one line per step;
# exits non-zero on the first mismatch. JSON output is read with python3.
set -uo pipefail

collection=client-test-aws-cli
people_wanted=4  # LFW people indexed; each needs a second photo to search with
# Rekognition's default similarity threshold; on Candor's scale 80 is a
# false-match rate of 1 in 1,000 (README, "Similarity is a false-match rate").
threshold=80
tmp=${CANDOR_CLIENT_TMP:?run by run_client.sh}/aws-cli
mkdir -p "$tmp"
export AWS_MAX_ATTEMPTS=1  # a retried error would only slow the error checks down
# A pyenv shim costs a quarter of a second per call: call what it points at.
aws=$(pyenv which aws 2>/dev/null) || aws=aws

fail() {
  echo "FAILED: $*" >&2
  exit 1
}
step() { echo "aws-cli: $*"; }

# rek OUT OPERATION ARGS...: runs the operation, its JSON answer in $tmp/OUT.
rek() {
  local out=$1
  shift
  "$aws" rekognition "$@" --endpoint-url "$CANDOR_ENDPOINT" --output json \
    >"$tmp/$out" 2>"$tmp/$out.err" ||
    fail "aws rekognition $1 exited $?: $(cat "$tmp/$out.err")"
}

# value OUT EXPR: prints the Python expression EXPR of the JSON answer d.
value() {
  python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
    "$tmp/$1" "$2" || fail "cannot evaluate $2 on $tmp/$1"
}

# expect OUT EXPR MESSAGE: the Python expression must be true.
expect() {
  [[ $(value "$1" "bool($2)") == True ]] || fail "$3: $(head -c 600 "$tmp/$1")"
}

# expect_error CODE OPERATION ARGS...: the CLI must report the service error
# CODE, with exit status 254 (CLI v2: the service answered with an error) or
# 255 (CLI v1 answers every error so).
expect_error() {
  local code=$1 status
  shift
  "$aws" rekognition "$@" --endpoint-url "$CANDOR_ENDPOINT" --output json \
    >"$tmp/error.json" 2>"$tmp/error.err"
  status=$?
  ((status == 254 || status == 255)) ||
    fail "aws rekognition $1: exit status $status, expected 254 or 255: $(cat "$tmp/error.err")"
  grep -q "($code)" "$tmp/error.err" ||
    fail "aws rekognition $1: expected $code, got: $(cat "$tmp/error.err")"
}

# The first people_wanted LFW people, by sorted name, with two or more
# photos. The shared LFW is a subset, so the photos are listed, never guessed.
names=() galleries=() probes=()
for folder in "$CANDOR_DATA"/lfw/images/*/; do
  mapfile -t photos < <(find "$folder" -maxdepth 1 -name '*.jpg' | LC_ALL=C sort)
  ((${#photos[@]} >= 2)) || continue
  names+=("$(basename "$folder")")
  galleries+=("${photos[0]}")
  probes+=("${photos[1]}")
  ((${#names[@]} == people_wanted)) && break
done
((${#names[@]} == people_wanted)) || fail "fewer than $people_wanted people with two photos"

# Collections, and the two collection errors.
rek create.json create-collection --collection-id "$collection"
expect create.json "d['StatusCode'] == 200" "CreateCollection"
step "CreateCollection $collection"
expect_error ResourceAlreadyExistsException create-collection --collection-id "$collection"
step "CreateCollection twice -> ResourceAlreadyExistsException"
expect_error ResourceNotFoundException describe-collection --collection-id no-such-collection
step "DescribeCollection missing -> ResourceNotFoundException"

# IndexFaces: the largest face of each person's first photo.
face_ids=()
for i in "${!names[@]}"; do
  rek index.json index-faces --collection-id "$collection" --max-faces 1 \
    --image-bytes "fileb://${galleries[i]}" --external-image-id "${names[i]}"
  expect index.json "len(d['FaceRecords']) == 1 and d['FaceRecords'][0]['Face']['ExternalImageId'] == '${names[i]}'" \
    "IndexFaces ${galleries[i]}"
  face_ids+=("$(value index.json "d['FaceRecords'][0]['Face']['FaceId']")")
done
step "IndexFaces ${#face_ids[@]} people: ${names[*]}"

rek describe.json describe-collection --collection-id "$collection"
expect describe.json "d['FaceCount'] == $people_wanted" "DescribeCollection FaceCount"
step "DescribeCollection FaceCount $people_wanted"

# SearchFacesByImage with another photo of each person.
for i in "${!names[@]}"; do
  rek search.json search-faces-by-image --collection-id "$collection" \
    --image-bytes "fileb://${probes[i]}" --face-match-threshold "$threshold"
  expect search.json "d['FaceMatches'] and d['FaceMatches'][0]['Face']['ExternalImageId'] == '${names[i]}'" \
    "SearchFacesByImage ${probes[i]}: best match is not ${names[i]}"
  step "SearchFacesByImage $(basename "${probes[i]}") -> ${names[i]}" \
    "($(value search.json "'%.1f' % d['FaceMatches'][0]['Similarity']"))"
done

# CompareFaces: same person matches, different people do not.
rek compare.json compare-faces --similarity-threshold "$threshold" \
  --source-image-bytes "fileb://${probes[0]}" --target-image-bytes "fileb://${galleries[0]}"
expect compare.json "d['FaceMatches'] and d['FaceMatches'][0]['Similarity'] > $threshold" \
  "CompareFaces same person ${names[0]}"
step "CompareFaces same person -> $(value compare.json "'%.1f' % d['FaceMatches'][0]['Similarity']")"
rek compare.json compare-faces --similarity-threshold "$threshold" \
  --source-image-bytes "fileb://${galleries[0]}" --target-image-bytes "fileb://${galleries[1]}"
expect compare.json "not d['FaceMatches'] and d['UnmatchedFaces']" \
  "CompareFaces ${names[0]} vs ${names[1]}"
step "CompareFaces different people -> no match"

# DetectFaces with every attribute.
rek detect.json detect-faces --image-bytes "fileb://${probes[0]}" --attributes ALL
expect detect.json "d['FaceDetails'] and all(d['FaceDetails'][0].get(k) for k in ('AgeRange', 'Emotions', 'Pose', 'Quality', 'Landmarks'))" \
  "DetectFaces ALL"
step "DetectFaces ALL -> $(value detect.json "len(d['FaceDetails'])") face(s) with AgeRange, Emotions, Pose, Quality, Landmarks"

# ListFaces by hand, two at a time (naming --max-results turns the CLI's own
# pagination off), then with the CLI's pagination (--page-size).
listed=() pages=0 token=
while :; do
  rek page.json list-faces --collection-id "$collection" --max-results 2 ${token:+--next-token "$token"}
  pages=$((pages + 1))
  expect page.json "len(d['Faces']) <= 2" "ListFaces page larger than MaxResults 2"
  mapfile -t -O "${#listed[@]}" listed < <(value page.json "'\n'.join(f['FaceId'] for f in d['Faces'])")
  token=$(value page.json "d.get('NextToken', '')")
  [[ -n $token ]] || break
  ((pages < 100)) || fail "ListFaces pagination does not end"
done
[[ $(printf '%s\n' "${listed[@]}" | sort) == $(printf '%s\n' "${face_ids[@]}" | sort) ]] ||
  fail "ListFaces returned ${listed[*]}, expected ${face_ids[*]}"
step "ListFaces --max-results 2 -> ${#listed[@]} faces in $pages pages"
rek all.json list-faces --collection-id "$collection" --page-size 2
expect all.json "len(d['Faces']) == $people_wanted" "ListFaces --page-size 2"
step "ListFaces --page-size 2 (CLI pagination) -> $people_wanted faces"

# Users: one per person, searched by another photo.
for i in "${!names[@]}"; do
  rek user.json create-user --collection-id "$collection" --user-id "user-${names[i]}"
  rek associate.json associate-faces --collection-id "$collection" --user-id "user-${names[i]}" \
    --face-ids "${face_ids[i]}"
  expect associate.json "[f['FaceId'] for f in d['AssociatedFaces']] == ['${face_ids[i]}']" \
    "AssociateFaces ${names[i]}"
done
step "CreateUser + AssociateFaces for ${#names[@]} users"
for i in "${!names[@]}"; do
  rek users.json search-users-by-image --collection-id "$collection" --image-bytes "fileb://${probes[i]}"
  expect users.json "d['UserMatches'] and d['UserMatches'][0]['User']['UserId'] == 'user-${names[i]}'" \
    "SearchUsersByImage ${probes[i]}"
done
step "SearchUsersByImage -> the right user for every person"

# DeleteFaces: refused while the face belongs to a user (as Rekognition
# does), done once it is disassociated; then the collection shrinks.
last=$((people_wanted - 1))
rek delete.json delete-faces --collection-id "$collection" --face-ids "${face_ids[last]}"
expect delete.json "not d['DeletedFaces'] and d['UnsuccessfulFaceDeletions'][0]['Reasons'] == ['ASSOCIATED_TO_AN_EXISTING_USER']" \
  "DeleteFaces of an associated face"
step "DeleteFaces of a user's face -> ASSOCIATED_TO_AN_EXISTING_USER"
rek disassociate.json disassociate-faces --collection-id "$collection" \
  --user-id "user-${names[last]}" --face-ids "${face_ids[last]}"
expect disassociate.json "[f['FaceId'] for f in d['DisassociatedFaces']] == ['${face_ids[last]}']" \
  "DisassociateFaces"
rek delete.json delete-faces --collection-id "$collection" --face-ids "${face_ids[last]}"
expect delete.json "d['DeletedFaces'] == ['${face_ids[last]}']" "DeleteFaces"
rek all.json list-faces --collection-id "$collection" --page-size 2
expect all.json "len(d['Faces']) == $last" "ListFaces after DeleteFaces"
rek describe.json describe-collection --collection-id "$collection"
expect describe.json "d['FaceCount'] == $last" "FaceCount after DeleteFaces"
step "DisassociateFaces + DeleteFaces ${names[last]} -> ListFaces $last, FaceCount $last"

# Errors the server decides (the CLI does not validate patterns).
expect_error InvalidParameterException index-faces --collection-id "$collection" \
  --image-bytes "fileb://${galleries[0]}" --external-image-id "has a space"
step "IndexFaces ExternalImageId with a space -> InvalidParameterException"
echo "this is plain text, not an image" >"$tmp/not-an-image.jpg"
expect_error InvalidImageFormatException detect-faces --image-bytes "fileb://$tmp/not-an-image.jpg"
step "DetectFaces of text -> InvalidImageFormatException"

# Authentication errors.
AWS_SECRET_ACCESS_KEY=WWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWW \
  expect_error InvalidSignatureException list-collections
step "wrong secret -> InvalidSignatureException"
AWS_ACCESS_KEY_ID=CKIAUNKNOWNUNKNOWN23 AWS_SECRET_ACCESS_KEY=WWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWW \
  expect_error UnrecognizedClientException list-collections
step "unknown key id -> UnrecognizedClientException"

rek delete-collection.json delete-collection --collection-id "$collection"
rek collections.json list-collections
expect collections.json "'$collection' not in d['CollectionIds']" "ListCollections after DeleteCollection"
step "DeleteCollection"
step "PASSED"
