#!/usr/bin/env bash
# Three `candor serve --store postgresql://...` processes on one database (a
# private PostgreSQL cluster from tools/pg_test_server.sh), and the CLI with
# --store as a fourth node: what A indexes B, C and the CLI find, what B
# deletes neither A nor C answers with, /metrics shows each node's sync (lag, changes applied,
# reconnects), a node whose listener connection is killed connects again,
# after PostgreSQL restarts the nodes answer their first call and follow
# each other, and the audit chain all of them wrote in PostgreSQL verifies
# (and a tampered row is named).
# Usage: tests/cluster_pg_test.sh path/to/candor
set -uo pipefail
candor=$(realpath "$1")
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/tests/cluster_support.sh"

cluster_pg_start || exit 1
serve a || exit 1
serve b || exit 1
serve c || exit 1
port_a=${node_port[a]}
port_b=${node_port[b]}
port_c=${node_port[c]}

colin0=$(ls "$data/lfw/images/Colin_Powell/"*.jpg | sort | sed -n 1p)
colin1=$(ls "$data/lfw/images/Colin_Powell/"*.jpg | sort | sed -n 2p)

call "$port_a" CreateCollection '{"CollectionId":"people"}' >"$tmp/create.json"
check "create on a" jqt '.StatusCode == 200' "$tmp/create.json"
# b loads the (empty) collection first: it must then follow a's writes.
call "$port_b" SearchFacesByImage "{\"CollectionId\":\"people\",\"Image\":$(image "$colin1")}" \
  >"$tmp/empty.json"
check "b searches the empty collection" jqt '.FaceMatches == []' "$tmp/empty.json"
call "$port_c" SearchFacesByImage "{\"CollectionId\":\"people\",\"Image\":$(image "$colin1")}" \
  >"$tmp/empty_c.json"
check "c searches the empty collection" jqt '.FaceMatches == []' "$tmp/empty_c.json"
call "$port_a" IndexFaces "{\"CollectionId\":\"people\",\"MaxFaces\":1,\"Image\":$(image "$colin0")}" \
  >"$tmp/index.json"
face=$(jq -r '.FaceRecords[0].Face.FaceId' "$tmp/index.json")
check "indexed on a" test -n "$face" -a "$face" != null
call "$port_b" SearchFacesByImage "{\"CollectionId\":\"people\",\"Image\":$(image "$colin1")}" \
  >"$tmp/found.json"
check "b finds a's face at once" jqt --arg f "$face" '[.FaceMatches[].Face.FaceId] == [$f]' \
  "$tmp/found.json"
call "$port_c" SearchFacesByImage "{\"CollectionId\":\"people\",\"Image\":$(image "$colin1")}" \
  >"$tmp/found_c.json"
check "c finds a's face at once" jqt --arg f "$face" '[.FaceMatches[].Face.FaceId] == [$f]' \
  "$tmp/found_c.json"
"$candor" collection --data-dir "$tmp/cli" --store "$db_uri" search people "$colin1" \
  --face-match-threshold 80 >"$tmp/cli.json" 2>"$tmp/cli.err"
# (jq -e passes on empty input: the answer must be there first)
check "the CLI answers" test -s "$tmp/cli.json"
check "the CLI (--store) finds it too" jqt --arg f "$face" \
  '[.FaceMatches[].Face.FaceId] == [$f]' "$tmp/cli.json"

call "$port_b" DeleteFaces "{\"CollectionId\":\"people\",\"FaceIds\":[\"$face\"]}" >"$tmp/del.json"
check "deleted on b" jqt --arg f "$face" '.DeletedFaces == [$f]' "$tmp/del.json"
call "$port_a" SearchFacesByImage "{\"CollectionId\":\"people\",\"Image\":$(image "$colin1")}" \
  >"$tmp/gone.json"
check "a no longer answers with it" jqt '.FaceMatches == []' "$tmp/gone.json"
call "$port_c" SearchFacesByImage "{\"CollectionId\":\"people\",\"Image\":$(image "$colin1")}" \
  >"$tmp/gone_c.json"
check "nor does c" jqt '.FaceMatches == []' "$tmp/gone_c.json"

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

# The audit log: one chain in PostgreSQL that the three nodes and the CLI
# wrote (no audit.db in a data directory). The nodes stop (each signs a last
# checkpoint with its own key); the chain verifies against the four keys,
# and the store against the chain (a collection inserted with psql is named);
# a verifier trusting only a's names the checkpoints the others signed; an
# edited row is reported with its seq.
for n in a b c; do
  kill -TERM "${node_pid[$n]}" 2>/dev/null
  wait "${node_pid[$n]}" 2>/dev/null
  unset "node_pid[$n]"
done
check "no audit.db in a node's data directory" \
  test ! -e "$tmp/a/audit.db" -a ! -e "$tmp/b/audit.db" -a ! -e "$tmp/c/audit.db" \
  -a ! -e "$tmp/cli/audit.db"
keys=(--key "$tmp/a/audit-signing.key" --key "$tmp/b/audit-signing.key"
  --key "$tmp/c/audit-signing.key" --key "$tmp/cli/audit-signing.key")
"$candor" audit verify --store "$db_uri" "${keys[@]}" >"$tmp/verify.txt" 2>&1
check "the cluster's chain verifies against the nodes' keys" test $? = 0
check "verify says ok" grep -qx ok "$tmp/verify.txt"
check "and checked the store against the log" \
  grep -q "store in PostgreSQL: 1 collections, 1 faces" "$tmp/verify.txt"
psql -q "$db_uri" -c "INSERT INTO collections VALUES ('rogue', 'x', 0)" >/dev/null
"$candor" audit verify --store "$db_uri" "${keys[@]}" >"$tmp/rogue.txt" 2>&1
check "a collection made past the service fails verify" test $? != 0
check "and is named" grep -q "collection rogue: in the store with no audit record" "$tmp/rogue.txt"
psql -q "$db_uri" -c "DELETE FROM collections WHERE collection_id = 'rogue'" >/dev/null
records=$(sed -n 's/.*: \([0-9]*\) records (last seq \([0-9]*\)).*/\1 \2/p' "$tmp/verify.txt")
check "records 1..n, no gap" test -n "$records" -a "${records% *}" = "${records#* }"
check "more than a few records" test "${records% *}" -ge 6
"$candor" audit verify --store "$db_uri" --key "$tmp/a/audit-signing.key" >"$tmp/only_a.txt" 2>&1
check "trusting only a's key fails" test $? != 0
# (the CLI signed a checkpoint when it exited, after its search)
check "and names a checkpoint another key signed" grep -q "not among the trusted keys" \
  "$tmp/only_a.txt"
"$candor" report transparency --store "$db_uri" "${keys[@]}" --from 2020-01-01 \
  --to 2100-01-01 --out "$tmp/report" >/dev/null 2>&1
check "the transparency report reads the cluster's chain" \
  jqt '.AuditChain.Verified and .Totals != null and .LastSeq > 5' "$tmp/report/transparency.json"
"$candor" audit query --store "$db_uri" --operation IndexFaces >"$tmp/query.jsonl" 2>/dev/null
check "both nodes' IndexFaces are in it" test "$(grep -c '"outcome":"ok"' "$tmp/query.jsonl")" -ge 2
"$candor" audit query --store "$db_uri" --next-token bogus >/dev/null 2>"$tmp/token.err"
check "a bad next token is refused" test $? != 0
psql -q "$db_uri" -c "UPDATE audit_events SET event_json = replace(event_json,
  '\"outcome\":\"', '\"outcome\":\"x') WHERE seq = 2" >/dev/null
"$candor" audit verify --store "$db_uri" "${keys[@]}" >"$tmp/tampered.txt" 2>&1
check "a tampered row fails verify" test $? != 0
check "and is named by its seq" grep -q "record 2: its hash does not match" "$tmp/tampered.txt"

echo "cluster_pg_test: $passed passed, $failed failed"
((failed == 0))
