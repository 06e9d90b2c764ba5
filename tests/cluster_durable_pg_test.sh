#!/usr/bin/env bash
# The cluster's key ring and video jobs through real processes: two `candor
# serve --store postgresql://...` nodes (no credentials file, no anonymous
# access) and the CLI on one database. The first admin key comes from `candor keys create
# --store`; a key created through node A signs on node B at once; a key
# deleted through B is refused by A (within a second: the test waits up to
# five); `keys import` copies a file's keys in; bad input changes nothing;
# --credentials with --store is refused. A StartFaceDetection on A is
# polled to SUCCEEDED on B, with results, and listed by both; its token
# answers B with A's job. A stream processor defined on A is described and
# deleted on B.
# Usage: tests/cluster_durable_pg_test.sh path/to/candor
set -uo pipefail
candor=$(realpath "$1")
root=$(cd "$(dirname "$0")/.." && pwd)
data="${CANDOR_DATA:-$root/../shared/data}"
tmp=$(mktemp -d /tmp/candor-keys-XXXXXX)
pgdir=$(mktemp -d /tmp/candor-pg-XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  "$root/tools/pg_test_server.sh" stop "$pgdir" >/dev/null 2>&1
  rm -rf "$tmp" "$pgdir"
}
trap cleanup EXIT
source "$(dirname "${BASH_SOURCE[0]}")/check.sh"

uri=$(CANDOR_PG_STOP_WITH_PID=$$ "$root/tools/pg_test_server.sh" start "$pgdir") || exit 1

check "a node without keys is refused at start" \
  bash -c "! '$candor' serve --data-dir '$tmp/x' --store '$uri' --listen 127.0.0.1:0 2>'$tmp/x.err'"
check "and says how to make the first" grep -q "candor keys create --store" "$tmp/x.err"
"$candor" keys create --store "$uri" --principal admin --role admin,searcher,analyst >"$tmp/admin" \
  2>"$tmp/admin.err"
admin_id=$(sed -n 's/^aws_access_key_id = //p' "$tmp/admin")
admin_secret=$(sed -n 's/^aws_secret_access_key = //p' "$tmp/admin")
check "keys create --store prints a key" test -n "$admin_id" -a -n "$admin_secret"
check "bad role refused" bash -c "! '$candor' keys create --store '$uri' --principal p --role wizard 2>/dev/null"
check "bad principal refused" \
  bash -c "! '$candor' keys create --store '$uri' --principal '[p]' --role searcher 2>/dev/null"
check "taken principal refused" \
  bash -c "! '$candor' keys create --store '$uri' --principal admin --role searcher 2>/dev/null"
check "no key place refused" bash -c "! '$candor' keys list 2>/dev/null"
"$candor" keys list --store "$uri" >"$tmp/list"
check "one key listed, no secret" test "$(wc -l <"$tmp/list")" = 1
check "the list names it" grep -q "^admin $admin_id roles=admin,searcher,analyst$" "$tmp/list"
check "no secret in the list" bash -c "! grep -q '$admin_secret' '$tmp/list'"

printf '[old]\naws_access_key_id = CKIAOLDKEY\naws_secret_access_key = oldsecret\nrole = searcher\n' \
  >"$tmp/credentials"
chmod 600 "$tmp/credentials"
check "--credentials with --store refused" bash -c "! '$candor' serve --data-dir '$tmp/y' \
  --store '$uri' --credentials '$tmp/credentials' --listen 127.0.0.1:0 2>'$tmp/y.err'"
check "and says to import" grep -q "keys import" "$tmp/y.err"
check "keys import" "$candor" keys import --credentials "$tmp/credentials" --store "$uri"
check "import again adds nothing" "$candor" keys import --credentials "$tmp/credentials" --store "$uri"
check "two keys now" test "$("$candor" keys list --store "$uri" | wc -l)" = 2

mkdir -p "$tmp/s3/videos"
cp "$data/video/short_hamilton_clip.mp4" "$tmp/s3/videos/hamilton.mp4"
serve() {
  mkdir -p "$tmp/$1"
  "$candor" serve --data-dir "$tmp/$1" --store "$uri" --listen 127.0.0.1:0 --s3-root "$tmp/s3" \
    --port-file "$tmp/$1.port" 2>"$tmp/$1.log" &
  pids+=($!)
}
serve a
serve b
for n in a b; do
  for _ in $(seq 1 600); do [[ -s $tmp/$n.port ]] && break; sleep 0.1; done
done
port_a=$(cat "$tmp/a.port")
port_b=$(cat "$tmp/b.port")

# call PORT ID SECRET TARGET JSON: a SigV4-signed call; the answer on stdout.
call() {
  curl -s -X POST "http://127.0.0.1:$1/" --aws-sigv4 "aws:amz:us-east-1:rekognition" \
    --user "$2:$3" -H "X-Amz-Target: $4" -H "Content-Type: application/x-amz-json-1.1" \
    --data-binary "$5"
}
jqt() { jq -e "$@" >/dev/null; }

call "$port_b" "$admin_id" "$admin_secret" Candor.ListAccessKeys '{}' >"$tmp/l.json"
check "b knows the CLI's admin key" jqt '[.AccessKeys[].Principal] == ["admin", "old"]' "$tmp/l.json"
call "$port_a" CKIAOLDKEY oldsecret RekognitionService.ListCollections '{}' >"$tmp/old.json"
check "the imported key signs" jqt '.CollectionIds == []' "$tmp/old.json"
call "$port_a" "$admin_id" "$admin_secret" Candor.CreateAccessKey \
  '{"Principal":"bob","Roles":["searcher"]}' >"$tmp/bob.json"
bob_id=$(jq -r .AccessKeyId "$tmp/bob.json")
bob_secret=$(jq -r .SecretAccessKey "$tmp/bob.json")
check "a creates bob's key" test -n "$bob_id" -a "$bob_id" != null
call "$port_b" "$bob_id" "$bob_secret" RekognitionService.ListCollections '{}' >"$tmp/b1.json"
check "bob's key signs on b at once" jqt '.CollectionIds == []' "$tmp/b1.json"
call "$port_b" "$bob_id" "$bob_secret" Candor.ListAccessKeys '{}' >"$tmp/b2.json"
check "with bob's roles only" jqt '.__type == "AccessDeniedException"' "$tmp/b2.json"
call "$port_a" "$admin_id" "$admin_secret" Candor.CreateAccessKey \
  '{"Principal":"bad\nname","Roles":["searcher"]}' >"$tmp/bad.json"
check "a bad principal is refused" jqt '.__type == "InvalidParameterException"' "$tmp/bad.json"
check "and nothing added" test "$("$candor" keys list --store "$uri" | wc -l)" = 3

call "$port_b" "$admin_id" "$admin_secret" Candor.DeleteAccessKey \
  "{\"AccessKeyId\":\"$bob_id\"}" >"$tmp/del.json"
check "b deletes bob's key" jqt '.Deleted == true' "$tmp/del.json"
call "$port_b" "$bob_id" "$bob_secret" RekognitionService.ListCollections '{}' >"$tmp/b3.json"
check "b refuses it at once" jqt '.__type == "UnrecognizedClientException"' "$tmp/b3.json"
refused=""
for _ in $(seq 1 50); do
  call "$port_a" "$bob_id" "$bob_secret" RekognitionService.ListCollections '{}' >"$tmp/a3.json"
  if jq -e '.__type == "UnrecognizedClientException"' "$tmp/a3.json" >/dev/null; then
    refused=1
    break
  fi
  sleep 0.1
done
check "a refuses it too" test -n "$refused"
"$candor" keys delete --store "$uri" CKIAOLDKEY 2>/dev/null
check "keys delete --store of a missing key fails" \
  bash -c "! '$candor' keys delete --store '$uri' CKIAOLDKEY 2>/dev/null"
refused=""
for _ in $(seq 1 50); do
  call "$port_b" CKIAOLDKEY oldsecret RekognitionService.ListCollections '{}' >"$tmp/o2.json"
  if jq -e '.__type == "UnrecognizedClientException"' "$tmp/o2.json" >/dev/null; then
    refused=1
    break
  fi
  sleep 0.1
done
check "a key deleted by the CLI is refused by the nodes" test -n "$refused"

# A video job: started on A, answered by B.
video='{"Video":{"S3Object":{"Bucket":"videos","Name":"hamilton.mp4"}},"ClientRequestToken":"t1"}'
call "$port_a" "$admin_id" "$admin_secret" RekognitionService.StartFaceDetection "$video" \
  >"$tmp/job.json"
job=$(jq -r .JobId "$tmp/job.json")
check "a starts a job" test -n "$job" -a "$job" != null
call "$port_b" "$admin_id" "$admin_secret" RekognitionService.StartFaceDetection "$video" \
  >"$tmp/job2.json"
check "its token on b names a's job" jqt --arg j "$job" '.JobId == $j' "$tmp/job2.json"
for _ in $(seq 1 600); do
  call "$port_b" "$admin_id" "$admin_secret" RekognitionService.GetFaceDetection \
    "{\"JobId\":\"$job\"}" >"$tmp/get.json"
  jq -e '.JobStatus == "IN_PROGRESS"' "$tmp/get.json" >/dev/null || break
  sleep 0.2
done
check "b answers it SUCCEEDED" jqt '.JobStatus == "SUCCEEDED"' "$tmp/get.json"
check "with faces" jqt '(.Faces | length) > 0 and .VideoMetadata.DurationMillis > 0' "$tmp/get.json"
call "$port_a" "$admin_id" "$admin_secret" Candor.ListVideoJobs '{}' >"$tmp/jobs.json"
check "a lists it" jqt --arg j "$job" '[.VideoJobs[].JobId] == [$j]' "$tmp/jobs.json"
check "no video_jobs.db in a node's data directory" test ! -e "$tmp/a/video_jobs.db"

# A stream processor: defined on A, seen and deleted on B.
call "$port_a" "$admin_id" "$admin_secret" RekognitionService.CreateCollection \
  '{"CollectionId":"lobby"}' >/dev/null
sp='{"Name":"cam","Input":{"KinesisVideoStream":{"Arn":"rtsp://127.0.0.1:9/cam"}},
  "Output":{"KinesisDataStream":{"Arn":"http://127.0.0.1:9/events"}},
  "RoleArn":"arn:aws:iam::123456789012:role/candor",
  "Settings":{"FaceSearch":{"CollectionId":"lobby","FaceMatchThreshold":99}}}'
call "$port_a" "$admin_id" "$admin_secret" RekognitionService.CreateStreamProcessor "$sp" \
  >"$tmp/sp.json"
check "a defines a stream processor" jqt '.StreamProcessorArn | endswith("/cam")' "$tmp/sp.json"
call "$port_b" "$admin_id" "$admin_secret" RekognitionService.DescribeStreamProcessor \
  '{"Name":"cam"}' >"$tmp/spd.json"
check "b describes it" jqt '.Status == "STOPPED" and .Input.KinesisVideoStream.Arn == "rtsp://127.0.0.1:9/cam"' \
  "$tmp/spd.json"
call "$port_b" "$admin_id" "$admin_secret" RekognitionService.CreateStreamProcessor "$sp" \
  >"$tmp/sp2.json"
check "b refuses its name again" jqt '.__type == "ResourceInUseException"' "$tmp/sp2.json"
call "$port_b" "$admin_id" "$admin_secret" RekognitionService.DeleteStreamProcessor \
  '{"Name":"cam"}' >/dev/null
call "$port_a" "$admin_id" "$admin_secret" RekognitionService.ListStreamProcessors '{}' \
  >"$tmp/spl.json"
check "a no longer lists it" jqt '.StreamProcessors == []' "$tmp/spl.json"
check "no stream_processors.db in a node's data directory" \
  test ! -e "$tmp/a/stream_processors.db"

echo "cluster_durable_pg_test: $passed passed, $failed failed"
((failed == 0))
