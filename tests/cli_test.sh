#!/usr/bin/env bash
# The candor command as a user runs it: JSON shapes, exit codes, errors on
# stderr, bad files skipped, missing and corrupt model files named.
# Usage: tests/cli_test.sh path/to/candor
set -uo pipefail
candor=$(realpath "$1")
data="${CANDOR_DATA:-$(cd "$(dirname "$0")/../.." && pwd)/shared/data}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
check() {  # check NAME COMMAND...: the command must succeed
  local name=$1
  shift
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAILED: $name" >&2
  fi
}
json() { python3 -c "import json,sys; d=json.load(open('$1')); sys.exit(0 if ($2) else 1)"; }

# detect: one image, DetectFaces shape, two faces.
"$candor" detect "$data/video/two_people.jpg" >"$tmp/one.json" 2>"$tmp/one.err"
check "detect exits 0" test $? -eq 0
check "detect finds two faces" json "$tmp/one.json" "len(d['FaceDetails']) == 2"
check "detect has Rekognition fields" json "$tmp/one.json" \
  "all(set(['BoundingBox','Confidence','Landmarks','Pose','Quality']) <= set(f) for f in d['FaceDetails']) and d['OrientationCorrection'] == 'ROTATE_0'"
check "boxes are ratios" json "$tmp/one.json" \
  "all(0 <= f['BoundingBox'][k] <= 1 for f in d['FaceDetails'] for k in ('Left','Top','Width','Height'))"
check "landmarks named as Rekognition" json "$tmp/one.json" \
  "{l['Type'] for l in d['FaceDetails'][0]['Landmarks']} >= {'eyeLeft','eyeRight','nose','mouthLeft','mouthRight','chinBottom'}"

# detect --attributes ALL.
"$candor" detect --attributes ALL "$data/video/obama.jpg" >"$tmp/all.json"
check "ALL has attributes" json "$tmp/all.json" \
  "all(k in d['FaceDetails'][0] for k in ('AgeRange','Gender','Emotions','Smile','EyesOpen','MouthOpen','CandorLiveness'))"
check "no invented attributes" json "$tmp/all.json" \
  "not any(k in d['FaceDetails'][0] for k in ('Eyeglasses','Sunglasses','Beard','Mustache','FaceOccluded','EyeDirection'))"
check "no CONFUSED emotion" json "$tmp/all.json" \
  "all(e['Type'] != 'CONFUSED' for e in d['FaceDetails'][0]['Emotions'])"

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
"$candor" collection --data-dir "$store" search people "$data/video/biden.jpg" --face-match-threshold 99 >"$tmp/search.json"
check "search finds biden first" json "$tmp/search.json" \
  "d['FaceMatches'][0]['Face']['ExternalImageId'] == 'biden' and d['FaceMatches'][0]['Similarity'] >= 99"
check "search says how many faces it searched" json "$tmp/search.json" "d['CandorFacesSearched'] == 3"
"$candor" collection --data-dir "$store" list-faces people --max-results 2 >"$tmp/page1.json"
check "list-faces paginates" json "$tmp/page1.json" "len(d['Faces']) == 2 and 'NextToken' in d"
"$candor" collection --data-dir "$store" describe people >"$tmp/describe.json"
check "describe counts faces" json "$tmp/describe.json" "d['FaceCount'] == 3"
"$candor" collection --data-dir "$store" search missing "$data/video/biden.jpg" 2>"$tmp/nf.err"
check "missing collection exits non-zero" test $? -ne 0
check "missing collection is named" grep -q ResourceNotFoundException "$tmp/nf.err"

# Missing and corrupt model files: named, with the way to fetch them.
mkdir "$tmp/models"
"$candor" --models "$tmp/models" detect "$data/video/obama.jpg" 2>"$tmp/nomodel.err"
check "missing models exit non-zero" test $? -ne 0
check "missing model is named with a fetch hint" grep -q "fr_.*\.onnx.*fetch_models.sh" "$tmp/nomodel.err"
models_dir=$(dirname "$(ls "$(dirname "$0")"/../.models/*/fr_detect.onnx | head -1)")
cp "$models_dir"/*.onnx "$tmp/models/"
head -c 1000 "$models_dir/fr_feature.onnx" >"$tmp/models/fr_feature.onnx"
"$candor" --models "$tmp/models" detect "$data/video/obama.jpg" 2>"$tmp/corrupt.err"
check "corrupt model exits non-zero" test $? -ne 0
check "corrupt model is named" grep -q "fr_feature.onnx is corrupt" "$tmp/corrupt.err"

echo "$passed passed, $failed failed"
test "$failed" -eq 0
