#!/usr/bin/env bash
# Two `candor serve --store postgresql://...` processes on one database (a
# private PostgreSQL cluster from tools/pg_test_server.sh), and the CLI with
# --store as a third node: what one indexes the others find, what one deletes
# none answers with, /metrics shows each node's sync (lag, changes applied,
# reconnects), a node whose listener connection is killed connects again,
# and after PostgreSQL restarts the nodes answer their first call and follow
# each other.
# Usage: tests/cluster_pg_test.sh path/to/candor
set -uo pipefail
candor=$(realpath "$1")
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/tests/cluster_support.sh"

cluster_pg_start || exit 1
serve a || exit 1
serve b || exit 1
port_a=${node_port[a]}
port_b=${node_port[b]}

colin0=$(ls "$data/lfw/images/Colin_Powell/"*.jpg | sort | sed -n 1p)
colin1=$(ls "$data/lfw/images/Colin_Powell/"*.jpg | sort | sed -n 2p)

call "$port_a" CreateCollection '{"CollectionId":"people"}' >"$tmp/create.json"
check "create on a" jqt '.StatusCode == 200' "$tmp/create.json"
# b loads the (empty) collection first: it must then follow a's writes.
call "$port_b" SearchFacesByImage "{\"CollectionId\":\"people\",\"Image\":$(image "$colin1")}" \
  >"$tmp/empty.json"
check "b searches the empty collection" jqt '.FaceMatches == []' "$tmp/empty.json"
call "$port_a" IndexFaces "{\"CollectionId\":\"people\",\"MaxFaces\":1,\"Image\":$(image "$colin0")}" \
  >"$tmp/index.json"
face=$(jq -r '.FaceRecords[0].Face.FaceId' "$tmp/index.json")
check "indexed on a" test -n "$face" -a "$face" != null
call "$port_b" SearchFacesByImage "{\"CollectionId\":\"people\",\"Image\":$(image "$colin1")}" \
  >"$tmp/found.json"
check "b finds a's face at once" jqt --arg f "$face" '[.FaceMatches[].Face.FaceId] == [$f]' \
  "$tmp/found.json"
"$candor" collection --data-dir "$tmp/cli" --store "$db_uri" search --collection people \
  --face-match-threshold 80 "$colin1" >"$tmp/cli.json" 2>"$tmp/cli.err"
check "the CLI (--store) finds it too" jqt --arg f "$face" \
  '[.FaceMatches[].Face.FaceId] == [$f]' "$tmp/cli.json"

call "$port_b" DeleteFaces "{\"CollectionId\":\"people\",\"FaceIds\":[\"$face\"]}" >"$tmp/del.json"
check "deleted on b" jqt --arg f "$face" '.DeletedFaces == [$f]' "$tmp/del.json"
call "$port_a" SearchFacesByImage "{\"CollectionId\":\"people\",\"Image\":$(image "$colin1")}" \
  >"$tmp/gone.json"
check "a no longer answers with it" jqt '.FaceMatches == []' "$tmp/gone.json"

check "b's lag is 0" test "$(metric "$port_b" candor_store_sync_lag_changes)" = 0
check "b applied changes" test "$(metric "$port_b" candor_store_sync_changes_applied_total)" -gt 0
check "b has made store round trips" \
  test "$(metric "$port_b" candor_store_sync_store_calls_total)" -gt 0
check "no reconnect yet" test "$(metric "$port_a" candor_store_sync_reconnects_total)" = 0

psql -q "$db_uri" -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
  WHERE application_name = 'candor-listener'" >/dev/null
for _ in $(seq 1 100); do
  [[ $(metric "$port_a" candor_store_sync_reconnects_total) == 1 &&
    $(metric "$port_b" candor_store_sync_reconnects_total) == 1 ]] && break
  sleep 0.1
done
check "a reconnected" test "$(metric "$port_a" candor_store_sync_reconnects_total)" = 1
check "b reconnected" test "$(metric "$port_b" candor_store_sync_reconnects_total)" = 1
check "no full rebuild" test "$(metric "$port_b" candor_store_sync_full_rebuilds_total)" = 0

# PostgreSQL restarts while the nodes are idle: the first call of each
# finds that its sessions were closed before it uses them, connects again,
# and is answered (no ThrottlingException once the server is back).
cluster_pg_restart
bush=$(ls "$data/lfw/images/George_W_Bush/"*.jpg | sort | sed -n 1p)
bush1=$(ls "$data/lfw/images/George_W_Bush/"*.jpg | sort | sed -n 2p)
call "$port_a" IndexFaces "{\"CollectionId\":\"people\",\"MaxFaces\":1,\"Image\":$(image "$bush")}" \
  >"$tmp/index2.json"
face2=$(jq -r '.FaceRecords[0].Face.FaceId' "$tmp/index2.json")
check "a indexes at once after the restart" test -n "$face2" -a "$face2" != null
call "$port_b" SearchFacesByImage "{\"CollectionId\":\"people\",\"Image\":$(image "$bush1")}" \
  >"$tmp/found2.json"
check "b finds it" jqt --arg f "$face2" '[.FaceMatches[].Face.FaceId] == [$f]' "$tmp/found2.json"
for _ in $(seq 1 100); do
  [[ $(metric "$port_b" candor_store_sync_reconnects_total) == 2 ]] && break
  sleep 0.1
done
check "b's listener reconnected" test "$(metric "$port_b" candor_store_sync_reconnects_total)" = 2
check "still no full rebuild" test "$(metric "$port_b" candor_store_sync_full_rebuilds_total)" = 0

echo "cluster_pg_test: $passed passed, $failed failed"
((failed == 0))
