#!/usr/bin/env bash
# How long a key change made through one node of a cluster takes to reach
# another (server/key_ring.h): two `candor serve --store` nodes on a private
# PostgreSQL (tools/pg_test_server.sh); ROUNDS times, a key is created
# through node A and used at once on node B (the unknown key id makes B read
# the keys: counted as the first call's success), then deleted through B and
# node A is called every 10 ms until it refuses the key. Prints each
# round's milliseconds from the delete's answer to A's first refusal.
# Usage: bench/keys_propagation.sh path/to/candor [ROUNDS]
set -uo pipefail
candor=$(realpath "$1")
rounds=${2:-10}
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d /tmp/candor-keys-bench-XXXXXX)
pgdir=$(mktemp -d /tmp/candor-pg-XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  "$root/tools/pg_test_server.sh" stop "$pgdir" >/dev/null 2>&1
  rm -rf "$tmp" "$pgdir"
}
trap cleanup EXIT
uri=$(CANDOR_PG_STOP_WITH_PID=$$ "$root/tools/pg_test_server.sh" start "$pgdir") || exit 1
key=$("$candor" keys create --store "$uri" --principal admin --role admin,searcher 2>/dev/null)
id=$(sed -n 's/^aws_access_key_id = //p' <<<"$key")
secret=$(sed -n 's/^aws_secret_access_key = //p' <<<"$key")
for n in a b; do
  mkdir -p "$tmp/$n"
  "$candor" serve --data-dir "$tmp/$n" --store "$uri" --listen 127.0.0.1:0 \
    --port-file "$tmp/$n.port" 2>"$tmp/$n.log" &
  pids+=($!)
done
for n in a b; do
  for _ in $(seq 1 600); do [[ -s $tmp/$n.port ]] && break; sleep 0.1; done
done
call() {
  curl -s -X POST "http://127.0.0.1:$1/" --aws-sigv4 "aws:amz:us-east-1:rekognition" \
    --user "$2:$3" -H "X-Amz-Target: $4" -H "Content-Type: application/x-amz-json-1.1" \
    --data-binary "$5"
}
a=$(cat "$tmp/a.port") b=$(cat "$tmp/b.port")
now_ms() { date +%s%3N; }
first_ok=0
for r in $(seq 1 "$rounds"); do
  made=$(call "$a" "$id" "$secret" Candor.CreateAccessKey "{\"Principal\":\"u$r\",\"Roles\":[\"searcher\"]}")
  uid=$(jq -r .AccessKeyId <<<"$made") usecret=$(jq -r .SecretAccessKey <<<"$made")
  call "$b" "$uid" "$usecret" RekognitionService.ListCollections '{}' | grep -q CollectionIds &&
    first_ok=$((first_ok + 1))
  call "$b" "$id" "$secret" Candor.DeleteAccessKey "{\"AccessKeyId\":\"$uid\"}" >/dev/null
  t0=$(now_ms)
  while ! call "$a" "$uid" "$usecret" RekognitionService.ListCollections '{}' |
    grep -q UnrecognizedClientException; do
    sleep 0.01
  done
  echo "round $r: deleted on B, refused by A after $(($(now_ms) - t0)) ms"
  sleep 0.$((RANDOM % 10))  # rounds fall at different points of A's second
done
echo "a key created on A signed on B at its first call in $first_ok of $rounds rounds"
