#!/usr/bin/env bash
# tools/cluster.sh as a new user runs it: start a two-node cluster, use it
# with the AWS CLI and the key it printed (indexed on node 1, found on node
# 2), PostgreSQL asks for its password, stop, start again (the same key and
# the same faces), stop.
# Usage: tests/cluster_script_test.sh path/to/candor
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
data="${CANDOR_DATA:-$root/../shared/data}"
export CANDOR_BINARY=$(realpath "$1")
export CANDOR_CLUSTER_DIR=$(mktemp -d /tmp/candor-cluster-script-XXXXXX)
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# Two consecutive free ports for the nodes.
for _ in $(seq 1 20); do
  p=$(free_port)
  if python3 -c "import socket,sys; s = socket.socket(); s.bind(('127.0.0.1', $p + 1))" 2>/dev/null; then
    break
  fi
done
export CANDOR_CLUSTER_PORT=$p CANDOR_CLUSTER_PG_PORT=$(free_port)
cleanup() {
  "$root/tools/cluster.sh" stop >/dev/null 2>&1
  rm -rf "$CANDOR_CLUSTER_DIR"
}
trap cleanup EXIT
source "$(dirname "${BASH_SOURCE[0]}")/check.sh"
out=$CANDOR_CLUSTER_DIR/out

"$root/tools/cluster.sh" start 2 >"$out.start" 2>&1
check "start succeeds" test $? -eq 0
check "it prints the AWS CLI line of each node" grep -q \
  "node 2: aws rekognition list-collections --endpoint-url http://127.0.0.1:$((p + 1))" "$out.start"
eval "$(sed -n 's/^ *export AWS_ACCESS_KEY_ID=/export AWS_ACCESS_KEY_ID=/p' "$out.start")"
check "it prints the new key once" test -n "${AWS_ACCESS_KEY_ID:-}"
export AWS_DEFAULT_REGION=us-east-1
node1=http://127.0.0.1:$p
node2=http://127.0.0.1:$((p + 1))
colin0=$(ls "$data/lfw/images/Colin_Powell/"*.jpg | sort | sed -n 1p)
colin1=$(ls "$data/lfw/images/Colin_Powell/"*.jpg | sort | sed -n 2p)

aws rekognition create-collection --collection-id people --endpoint-url "$node1" >/dev/null
check "create on node 1" test $? -eq 0
face=$(aws rekognition index-faces --collection-id people --external-image-id colin \
  --image-bytes "fileb://$colin0" --endpoint-url "$node1" --query 'FaceRecords[0].Face.FaceId' \
  --output text)
check "index on node 1" test -n "$face" -a "$face" != None
found() {  # found NODE: the ExternalImageId of node's best match for colin1
  aws rekognition search-faces-by-image --collection-id people --image-bytes "fileb://$colin1" \
    --endpoint-url "$1" --query 'FaceMatches[0].Face.FaceId' --output text
}
check "node 2 finds it" test "$(found "$node2")" = "$face"
"$root/tools/cluster.sh" status >"$out.status"
check "status: both nodes up, none behind" test \
  "$(grep -c 'changes behind: 0' "$out.status")" = 2
pg_uri="postgresql://candor@127.0.0.1:$CANDOR_CLUSTER_PG_PORT/candor"
PGPASSWORD=wrong psql "$pg_uri" -tAc 'SELECT 1' >/dev/null 2>&1
check "PostgreSQL refuses a wrong password" test $? -ne 0
PGPASSWORD=$(cat "$CANDOR_CLUSTER_DIR/pg-password") psql "$pg_uri" -tAc 'SELECT 1' \
  >"$out.psql" 2>&1
check "and takes the cluster's" grep -qx 1 "$out.psql"

"$root/tools/cluster.sh" stop >/dev/null
"$root/tools/cluster.sh" status >"$out.stopped"
check "stop stops every node and PostgreSQL" test \
  "$(grep -c 'stopped' "$out.stopped")" = 3
"$root/tools/cluster.sh" start 2 >"$out.again" 2>&1
check "start again succeeds" test $? -eq 0
check "without a new key" grep -q "access keys in" "$out.again"
check "node 2 still finds the face" test "$(found "$node2")" = "$face"

echo "$passed passed, $failed failed"
((failed == 0))
