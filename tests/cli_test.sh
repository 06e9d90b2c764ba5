#!/usr/bin/env bash
# The candor command as a user runs it: JSON shapes, exit codes, errors on
# stderr, bad files skipped, missing and corrupt model files named.
# Usage: tests/cli_test.sh path/to/candor
set -uo pipefail
candor=$(realpath "$1")
data="${CANDOR_DATA:-$(cd "$(dirname "$0")/../.." && pwd)/shared/data}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
source "$(dirname "${BASH_SOURCE[0]}")/check.sh"
json() { python3 -c "import json,sys; d=json.load(open('$1')); sys.exit(0 if ($2) else 1)"; }
# audited FILE CONDITION: some JSON line e of FILE (`candor audit query`) satisfies CONDITION.
audited() {
  python3 -c "import json,sys; sys.exit(0 if any(($2) for e in (json.loads(l) for l in open('$1') if l.strip())) else 1)"
}
# The principal of the command line's calls.
principal="local:$(id -un 2>/dev/null || echo local)"

# detect: one image, DetectFaces shape, two faces.
"$candor" detect "$data/video/two_people.jpg" >"$tmp/one.json" 2>"$tmp/one.err"
check "detect exits 0" test $? -eq 0
check "detect finds two faces" json "$tmp/one.json" "len(d['FaceDetails']) == 2"
check "detect has Rekognition fields" json "$tmp/one.json" \
  "all(set(['BoundingBox','Confidence','Landmarks','Pose','Quality']) <= set(f) for f in d['FaceDetails']) and 'OrientationCorrection' not in d"
check "boxes are ratios" json "$tmp/one.json" \
  "all(0 <= f['BoundingBox'][k] <= 1 for f in d['FaceDetails'] for k in ('Left','Top','Width','Height'))"
check "landmarks named as Rekognition" json "$tmp/one.json" \
  "{l['Type'] for l in d['FaceDetails'][0]['Landmarks']} >= {'eyeLeft','eyeRight','nose','mouthLeft','mouthRight','chinBottom'}"

# detect --attributes ALL.
"$candor" detect --attributes ALL "$data/video/obama.jpg" >"$tmp/all.json"
check "ALL has attributes" json "$tmp/all.json" \
  "all(k in d['FaceDetails'][0] for k in ('AgeRange','Gender','Emotions','Smile','EyesOpen','MouthOpen','CandorLiveness'))"
check "an adult is given a gender" json "$tmp/all.json" \
  "'Gender' in d['FaceDetails'][0] and 'CandorGenderWithheld' not in d['FaceDetails'][0]"
# A baby (UTKFace, age 1): the network would only guess, so no Gender, and
# the reason in its place.
baby=$(ls "$data/utkface/images" | grep '^1_0_0_' | head -1)
"$candor" detect --attributes ALL "$data/utkface/images/$baby" >"$tmp/baby.json"
check "a baby's gender is withheld, with the reason" json "$tmp/baby.json" \
  "'Gender' not in d['FaceDetails'][0] and 'under 6 years' in d['FaceDetails'][0]['CandorGenderWithheld'] and d['FaceDetails'][0]['CandorAgeEstimate'] < 6"
check "no invented attributes" json "$tmp/all.json" \
  "not any(k in d['FaceDetails'][0] for k in ('Eyeglasses','Sunglasses','Beard','Mustache','FaceOccluded','EyeDirection'))"
check "no CONFUSED emotion" json "$tmp/all.json" \
  "all(e['Type'] != 'CONFUSED' for e in d['FaceDetails'][0]['Emotions'])"
check "AgeRange holds the estimate, Emotions sum to 100" json "$tmp/all.json" \
  "(lambda f: f['AgeRange']['Low'] <= f['CandorAgeEstimate'] <= f['AgeRange']['High'] and abs(sum(e['Confidence'] for e in f['Emotions']) - 100) < 0.01)(d['FaceDetails'][0])"

# detect on a directory with a bad file: the rest is processed, the bad file
# reported on stderr, exit code non-zero.
mkdir "$tmp/dir"
cp "$data/video/obama.jpg" "$data/video/biden.jpg" "$tmp/dir/"
echo "not an image" >"$tmp/dir/broken.jpg"
"$candor" detect "$tmp/dir" >"$tmp/dir.jsonl" 2>"$tmp/dir.err"
status=$?
check "directory with a bad file exits non-zero" test $status -ne 0
check "two JSON lines for the good files" test "$(grep -c FaceDetails "$tmp/dir.jsonl")" -eq 2
check "bad file named on stderr with its error" grep -q "broken.jpg: InvalidImageFormatException" "$tmp/dir.err"

# compare.
"$candor" compare "$data/video/biden.jpg" "$data/video/two_people.jpg" >"$tmp/cmp.json"
check "compare exits 0" test $? -eq 0
check "compare names the calibration of its similarities" json "$tmp/cmp.json" \
  "len(d['CandorCalibrationVersion']) > 10"
check "compare finds one match and one unmatched" json "$tmp/cmp.json" \
  "len(d['FaceMatches']) == 1 and len(d['UnmatchedFaces']) == 1 and d['FaceMatches'][0]['Similarity'] > 80"
"$candor" compare --similarity-threshold 150 "$data/video/biden.jpg" "$data/video/obama.jpg" 2>"$tmp/thr.err"
check "threshold 150 is refused" test $? -ne 0
"$candor" compare "$tmp/dir/broken.jpg" "$data/video/obama.jpg" >/dev/null 2>"$tmp/cmp.err"
check "compare with a bad source exits non-zero" test $? -ne 0
check "compare names the error" grep -q "InvalidImageFormatException" "$tmp/cmp.err"
"$candor" detect "$tmp/does-not-exist.jpg" 2>"$tmp/missing.err"
check "missing file exits non-zero" test $? -ne 0

# Collections on the command line: create, import (resumable), search, list.
store="$tmp/store"
"$candor" collection --data-dir "$store" create people >"$tmp/create.json"
check "collection create" json "$tmp/create.json" "d['StatusCode'] == 200"
"$candor" collection --data-dir "$store" create people 2>"$tmp/dup.err"
check "duplicate collection exits non-zero" test $? -ne 0
check "duplicate collection is named" grep -q ResourceAlreadyExistsException "$tmp/dup.err"
mkdir "$tmp/gallery"
cp "$data/video/obama.jpg" "$data/video/biden.jpg" "$tmp/gallery/"
"$candor" collection --data-dir "$store" import --collection people "$tmp/gallery" >"$tmp/import1.txt" 2>&1
check "import exits 0" test $? -eq 0
check "import indexed two" grep -q "2 indexed (2 faces), 0 already there" "$tmp/import1.txt"
cp "$data/video/two_people.jpg" "$tmp/gallery/"
"$candor" collection --data-dir "$store" import --collection people --max-faces 1 "$tmp/gallery" >"$tmp/import2.txt" 2>&1
check "import resumes without duplicates" grep -q "1 indexed (1 faces), 2 already there" "$tmp/import2.txt"
check "import reports what was not indexed" grep -q "EXCEEDS_MAX_FACES x 1" "$tmp/import2.txt"
printf 'obama.jpg\n' >"$tmp/nocomma.csv"
"$candor" collection --data-dir "$store" import --collection people --mapping "$tmp/nocomma.csv" "$tmp/gallery" >/dev/null 2>"$tmp/csv1.err"
check "mapping without a comma is refused" test $? -ne 0
check "mapping error names the line" grep -q "nocomma.csv line 1" "$tmp/csv1.err"
printf 'obama.jpg,bad id with spaces\n' >"$tmp/badid.csv"
"$candor" collection --data-dir "$store" import --collection people --mapping "$tmp/badid.csv" "$tmp/gallery" >/dev/null 2>"$tmp/csv2.err"
check "mapping with an invalid ExternalImageId is refused" grep -q "InvalidParameterException" "$tmp/csv2.err"
head -c 3000 /dev/urandom >"$tmp/random.csv"
"$candor" collection --data-dir "$store" import --collection people --mapping "$tmp/random.csv" "$tmp/gallery" >/dev/null 2>&1
check "random bytes as a mapping are refused" test $? -ne 0
"$candor" collection --data-dir "$store" describe people >"$tmp/describe0.json"
check "refused imports changed nothing" json "$tmp/describe0.json" "d['FaceCount'] == 3"
check "describe names the calibration and the gallery's false-match rates" json "$tmp/describe0.json" \
  "d['CandorCalibrationVersion'] and [r['Similarity'] for r in d['CandorFalseMatchRates']] == [50, 80, 90, 95, 99] and all(r['CollectionPairs'] == 3 and 0 <= r['CollectionFalseMatchRate'] <= 1 and r['FalseMatchRate'] > 0 for r in d['CandorFalseMatchRates'])"
"$candor" collection --data-dir "$store" search people "$data/video/biden.jpg" --face-match-threshold 99 >"$tmp/search.json"
check "search finds biden first" json "$tmp/search.json" \
  "d['FaceMatches'][0]['Face']['ExternalImageId'] == 'biden' and d['FaceMatches'][0]['Similarity'] >= 99"
check "search says how many faces it searched" json "$tmp/search.json" "d['CandorFacesSearched'] == 3"
check "search names the calibration and the gallery's rate at its threshold" json "$tmp/search.json" \
  "d['CandorCalibrationVersion'] == json.load(open('$tmp/describe0.json'))['CandorCalibrationVersion'] and 0 <= d['CandorCollectionFalseMatchRate'] <= 1 and d['CandorExpectedFalseMatches'] > 0"

# The command line is held to the collection's policy (default floor 99) and
# audited, as the service's clients are.
"$candor" collection --data-dir "$store" search people "$data/video/biden.jpg" >"$tmp/raised.json"
check "a CLI search at the default 80 is raised to the floor" json "$tmp/raised.json" \
  "d['CandorThresholdRequested'] == 80 and d['CandorThresholdApplied'] == 99 and d['CandorThresholdRaised'] is True"
check "the raised search finds biden at 99" json "$tmp/raised.json" \
  "d['FaceMatches'][0]['Face']['ExternalImageId'] == 'biden' and all(m['Similarity'] >= 99 for m in d['FaceMatches'])"
"$candor" collection --data-dir "$store" search people "$data/video/obama.jpg" --reason "CASE-2026-0042" >/dev/null
check "--reason after the subcommand is accepted" test $? -eq 0
"$candor" collection --data-dir "$store" --reason $'tab\there' describe people 2>"$tmp/badreason.err"
check "a reason that is not printable ASCII exits 2" test $? -eq 2
check "a bad reason is named" grep -q "InvalidParameterException.*--reason" "$tmp/badreason.err"
"$candor" audit verify --data-dir "$store" >"$tmp/verify1.txt" 2>&1
check "audit verify after CLI commands exits 0" test $? -eq 0
"$candor" audit query --data-dir "$store" --operation SearchFacesByImage >"$tmp/audit1.jsonl"
check "a CLI search is audited with its principal and reason" audited "$tmp/audit1.jsonl" \
  "e['principal'] == '$principal' and e['source'] == 'cli' and e['reason'] == 'CASE-2026-0042' and e['collection_id'] == 'people' and e['threshold_applied'] == 99 and e['outcome'] == 'ok'"
check "a raised CLI search is audited as raised" audited "$tmp/audit1.jsonl" \
  "e['threshold_requested'] == 80 and e['threshold_applied'] == 99 and e['results'].get('ThresholdRaised') is True"
check "a CLI search's audit record names the calibration" audited "$tmp/audit1.jsonl" \
  "e['results'].get('CalibrationVersion') == json.load(open('$tmp/describe0.json'))['CandorCalibrationVersion'] and 'CollectionFalseMatchRate' in e['results']"
"$candor" audit query --data-dir "$store" --operation IndexFaces >"$tmp/audit2.jsonl"
check "import's IndexFaces calls are audited" audited "$tmp/audit2.jsonl" \
  "e['principal'] == '$principal' and e['results']['ExternalImageId'] == 'two_people' and len(e['results']['FaceIds']) == 1"
"$candor" collection --data-dir "$store" list-faces people --max-results 2 >"$tmp/page1.json"
check "list-faces paginates" json "$tmp/page1.json" "len(d['Faces']) == 2 and 'NextToken' in d"
"$candor" collection --data-dir "$store" describe people >"$tmp/describe.json"
check "describe counts faces" json "$tmp/describe.json" "d['FaceCount'] == 3"
"$candor" collection --data-dir "$store" search missing "$data/video/biden.jpg" 2>"$tmp/nf.err"
check "missing collection exits non-zero" test $? -ne 0
check "missing collection is named" grep -q ResourceNotFoundException "$tmp/nf.err"

# Users: create (idempotent with a token), associate, search, disassociate, delete.
col() { "$candor" collection --data-dir "$store" "$@"; }
face_of() {  # face_of EXTERNAL_IMAGE_ID: its FaceId in the collection people
  col list-faces people | python3 -c "import json,sys; print([f['FaceId'] for f in json.load(sys.stdin)['Faces'] if f.get('ExternalImageId') == '$1'][0])"
}
obama_face=$(face_of obama)
biden_face=$(face_of biden)
col create-user people obama --client-request-token tok-1 >"$tmp/cu1.json"
check "create-user answers {}" json "$tmp/cu1.json" "d == {}"
col create-user people obama --client-request-token tok-1 >"$tmp/cu2.json"
check "create-user retried with its token succeeds" json "$tmp/cu2.json" "d == {}"
col create-user people obama 2>"$tmp/cu3.err"
check "duplicate user exits non-zero" test $? -ne 0
check "duplicate user is ConflictException" grep -q ConflictException "$tmp/cu3.err"
col create-user people "bad user!" 2>"$tmp/cu4.err"
check "bad UserId exits 2" test $? -eq 2
check "bad UserId is InvalidParameterException" grep -q "InvalidParameterException.*UserId" "$tmp/cu4.err"
col create-user people biden >/dev/null
col associate-faces people obama "$obama_face" >"$tmp/af1.json"
check "associate-faces" json "$tmp/af1.json" \
  "[f['FaceId'] for f in d['AssociatedFaces']] == ['$obama_face'] and d['UserStatus'] == 'ACTIVE'"
col associate-faces people obama "$biden_face" >"$tmp/af2.json"
check "another person's face is LOW_MATCH_CONFIDENCE" json "$tmp/af2.json" \
  "d['AssociatedFaces'] == [] and d['UnsuccessfulFaceAssociations'][0]['Reasons'] == ['LOW_MATCH_CONFIDENCE'] and d['UnsuccessfulFaceAssociations'][0]['Confidence'] < 75"
col associate-faces people biden "$biden_face" >/dev/null
col search-users-by-image people "$data/video/biden.jpg" >"$tmp/sui.json"
check "search-users-by-image finds biden first" json "$tmp/sui.json" \
  "d['UserMatches'][0]['User'] == {'UserId': 'biden', 'UserStatus': 'ACTIVE'} and 'FaceDetail' in d['SearchedFace']"
check "search-users-by-image is raised to the floor" json "$tmp/sui.json" \
  "d['CandorThresholdRequested'] == 80 and d['CandorThresholdApplied'] == 99"
col search-users-by-image people "$data/video/two_people.jpg" >"$tmp/sui2.json"
check "search-users-by-image lists the other face as unsearched" json "$tmp/sui2.json" \
  "[u['Reasons'] for u in d['UnsearchedFaces']] == [['FACE_NOT_LARGEST']]"
col search-users people --face-id "$biden_face" >"$tmp/su.json"
check "search-users by face" json "$tmp/su.json" "d['SearchedFace'] == {'FaceId': '$biden_face'}"
col search-users people --user-id obama --user-match-threshold 0 >"$tmp/su2.json"
check "search-users by user leaves the user out" json "$tmp/su2.json" \
  "d['SearchedUser'] == {'UserId': 'obama'} and all(m['User']['UserId'] != 'obama' for m in d['UserMatches'])"
check "search-users at 0 is raised to the floor" json "$tmp/su2.json" \
  "d['CandorThresholdRequested'] == 0 and d['CandorThresholdApplied'] == 99 and d['CandorThresholdRaised'] is True"
col list-users people --max-results 1 >"$tmp/lu.json"
check "list-users paginates" json "$tmp/lu.json" "len(d['Users']) == 1 and 'NextToken' in d"
col describe people >"$tmp/describe2.json"
check "describe counts users" json "$tmp/describe2.json" "d['UserCount'] == 2"
col list-faces people >"$tmp/faces.json"
check "list-faces shows UserId" json "$tmp/faces.json" \
  "[f.get('UserId') for f in d['Faces'] if f['FaceId'] == '$obama_face'] == ['obama']"
col delete-faces people "$obama_face" >"$tmp/df.json"
check "a user's face is not deleted" json "$tmp/df.json" \
  "d['DeletedFaces'] == [] and d['UnsuccessfulFaceDeletions'][0]['Reasons'] == ['ASSOCIATED_TO_AN_EXISTING_USER'] and d['UnsuccessfulFaceDeletions'][0]['UserId'] == 'obama'"
col disassociate-faces people obama "$obama_face" >"$tmp/daf.json"
check "disassociate-faces" json "$tmp/daf.json" \
  "[f['FaceId'] for f in d['DisassociatedFaces']] == ['$obama_face'] and d['UserStatus'] == 'CREATED'"
col delete-user people biden >"$tmp/du.json"
check "delete-user answers {}" json "$tmp/du.json" "d == {}"
col list-users people >"$tmp/lu2.json"
check "delete-user removed the user" json "$tmp/lu2.json" "[u['UserId'] for u in d['Users']] == ['obama']"
col describe people >"$tmp/describe3.json"
check "delete-user kept its faces" json "$tmp/describe3.json" "d['FaceCount'] == 3 and d['UserCount'] == 1"
col delete-user people biden 2>"$tmp/du2.err"
check "deleting a missing user is ResourceNotFoundException" grep -q ResourceNotFoundException "$tmp/du2.err"

# Collection policy and retention (Candor): get, set (only the fields given),
# refusal of an invalid field, expire relative to --now.
col policy get people >"$tmp/pg.json"
check "policy get shows the defaults" json "$tmp/pg.json" \
  "d['CollectionId'] == 'people' and d['Purpose'] == 'unspecified' and d['ThresholdFloor'] == 99 and d['RetentionDays'] == 0"
col policy set people --purpose "door access" --retention-days 30 --refuse-below-floor true >"$tmp/ps.json"
check "policy set changes only the fields given" json "$tmp/ps.json" \
  "d['Purpose'] == 'door access' and d['RetentionDays'] == 30 and d['RefuseBelowFloor'] is True and d['ThresholdFloor'] == 99 and d['MaxFaces'] == 100"
col policy set people --max-faces 0 2>"$tmp/ps2.err"
check "an invalid policy field exits 2" test $? -eq 2
check "an invalid policy field is named" grep -q "InvalidParameterException.*MaxFaces" "$tmp/ps2.err"
col policy get people >"$tmp/pg2.json"
check "a refused policy changed nothing" json "$tmp/pg2.json" "d['MaxFaces'] == 100 and d['Purpose'] == 'door access'"
col search people "$data/video/biden.jpg" 2>"$tmp/below.err"
check "RefuseBelowFloor refuses a CLI search under the floor" grep -q "AccessDeniedException.*refuses searches below 99" "$tmp/below.err"
col policy set people --reason-required true >"$tmp/ps3.json"
check "policy set ReasonRequired" json "$tmp/ps3.json" "d['ReasonRequired'] is True"
col search people "$data/video/biden.jpg" --face-match-threshold 99 >/dev/null 2>"$tmp/noreason.err"
check "ReasonRequired refuses a CLI search without --reason" test $? -ne 0
check "the refusal is AccessDeniedException" grep -q "AccessDeniedException.*requires a reason" "$tmp/noreason.err"
col --reason CASE-7 search people "$data/video/biden.jpg" --face-match-threshold 99 >"$tmp/withreason.json"
check "with --reason the search runs" json "$tmp/withreason.json" \
  "d['FaceMatches'][0]['Face']['ExternalImageId'] == 'biden' and d['CandorPurpose'] == 'door access'"
"$candor" audit query --data-dir "$store" --operation SearchFacesByImage >"$tmp/audit3.jsonl"
check "the refusal is audited" audited "$tmp/audit3.jsonl" \
  "e['principal'] == '$principal' and e['outcome'] == 'AccessDeniedException' and e['reason'] == '' and e['purpose'] == 'door access'"
check "the search with a reason is audited" audited "$tmp/audit3.jsonl" \
  "e['reason'] == 'CASE-7' and e['outcome'] == 'ok' and e['purpose'] == 'door access'"
col expire people --now 2000-01-01 >"$tmp/ex1.json"
check "expire before the faces were indexed erases nothing" json "$tmp/ex1.json" "d['ErasedFaces'] == []"
col expire people --now "$(date -u -d '+31 days' +%Y-%m-%dT%H:%M:%SZ)" >"$tmp/ex2.json"
check "expire erases the faces older than the retention" json "$tmp/ex2.json" "len(d['ErasedFaces']) == 3"
col describe people >"$tmp/describe4.json"
check "expired faces are gone" json "$tmp/describe4.json" "d['FaceCount'] == 0 and d['UserCount'] == 1"
"$candor" audit query --data-dir "$store" --operation RetentionErase >"$tmp/audit4.jsonl"
check "expire is audited as RetentionErase by the CLI's principal" audited "$tmp/audit4.jsonl" \
  "e['principal'] == '$principal' and e['source'] == 'cli' and len(e['results']['FaceIds']) == 3 and e['results']['RetentionDays'] == 30"
"$candor" audit verify --data-dir "$store" >"$tmp/verify2.txt" 2>&1
check "audit verify at the end exits 0" test $? -eq 0
col expire people --now yesterday 2>"$tmp/ex3.err"
check "a bad --now is refused" grep -q "InvalidParameterException.*--now" "$tmp/ex3.err"

# Missing and corrupt model files: named, with the way to fetch them.
mkdir "$tmp/models"
"$candor" --models "$tmp/models" detect "$data/video/obama.jpg" 2>"$tmp/nomodel.err"
check "missing models exit non-zero" test $? -ne 0
check "missing model is named with a fetch hint" grep -q "\.onnx.*fetch_models.sh" "$tmp/nomodel.err"
models_dir="${CANDOR_MODELS:-$(dirname "$0")/../.models/pack}"
cp "$models_dir"/*.onnx "$tmp/models/"
head -c 1000 "$models_dir/fr_feature.onnx" >"$tmp/models/fr_feature.onnx"
"$candor" --models "$tmp/models" detect "$data/video/obama.jpg" 2>"$tmp/corrupt.err"
check "corrupt model exits non-zero" test $? -ne 0
check "corrupt model is named" grep -q "fr_feature.onnx is corrupt" "$tmp/corrupt.err"

# keys create makes a missing folder of the credentials file, private, and the
# file 0600.
"$candor" keys create --credentials "$tmp/new/keys/credentials" --principal ops --role admin \
  >/dev/null 2>"$tmp/keys.err"
check "keys create exits 0 with a missing folder" test $? -eq 0
check "the folder is 0700" test "$(stat -c %a "$tmp/new/keys")" = 700
check "the credentials file is 0600" test "$(stat -c %a "$tmp/new/keys/credentials")" = 600

echo "$passed passed, $failed failed"
test "$failed" -eq 0
