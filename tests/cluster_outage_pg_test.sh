#!/usr/bin/env bash
# PostgreSQL restarts during traffic. Three `candor serve --store
# postgresql://...` nodes on one database; a writer (IndexFaces) and a
# searcher on each record every answer; PostgreSQL stops (fast shutdown:
# every session is cut), stays down 3 s, and starts again on the same data
# directory and port, while the nodes are not touched. Meanwhile two more
# searchers on c ask for a collection that c never loaded. Every answer is a
# 200 that is right (a search finds the face indexed before; an acknowledged
# IndexFaces is committed) or a ThrottlingException, the type every AWS SDK
# retries, whose message does not say where the database is; after PostgreSQL is
# back each node answers by itself (no restart), keeps answering, and every
# acknowledged face is on every node once.
# Usage: tests/cluster_outage_pg_test.sh path/to/candor
set -uo pipefail
candor=$(realpath "$1")
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/tests/cluster_support.sh"
client() {  # client COMMAND LOG ARGS...: tests/cluster_client.py on this cluster
  python3 "$root/tests/cluster_client.py" "$1" --ports "$tmp" --log "$2" \
    --images "$tmp/images" "${@:3}"
}

cluster_pg_start || exit 1
for n in a b c; do serve "$n" || exit 1; done

photo() { ls "$data/lfw/images/$1/"*.jpg | sort | sed -n "$2p"; }
for p in George_W_Bush Donald_Rumsfeld Gerhard_Schroeder Ariel_Sharon; do photo "$p" 1; done \
  >"$tmp/images"
check "four LFW photos" test "$(wc -l <"$tmp/images")" = 4

# index PORT COLLECTION PHOTO: the FaceId.
index() {
  call "$1" IndexFaces "{\"CollectionId\":\"$2\",\"MaxFaces\":1,\"Image\":$(image "$3")}" |
    jq -r '.FaceRecords[0].Face.FaceId'
}
for c in people cold; do
  call "${node_port[a]}" CreateCollection "{\"CollectionId\":\"$c\"}" >"$tmp/create.json"
  check "create $c" jqt '.StatusCode == 200' "$tmp/create.json"
done
colin=$(index "${node_port[a]}" people "$(photo Colin_Powell 1)")
blair=$(index "${node_port[b]}" cold "$(photo Tony_Blair 1)")
check "the faces to find" test "${#colin}" = 36 -a "${#blair}" = 36
call "${node_port[b]}" SearchFacesByImage \
  "{\"CollectionId\":\"cold\",\"Image\":$(image "$(photo Tony_Blair 1)")}" >"$tmp/blair.json"
check "b finds the cold face" jqt --arg f "$blair" '[.FaceMatches[].Face.FaceId] == [$f]' \
  "$tmp/blair.json"

# answers_ok LOG NODE OP: how many 200s the node gave for OP so far.
answers_ok() { grep -c "\"node\": \"$2\", \"op\": \"$3\", \"http\": 200" "$1"; }
# wait_ok LOG NODE OP N: until N of them (at most 60 s).
wait_ok() {
  for _ in $(seq 1 600); do
    (($(answers_ok "$@") >= $4)) && return 0
    sleep 0.1
  done
  echo "$2 answered $3 with 200 only $(answers_ok "$@") times, not $4" >&2
  return 1
}

: >"$tmp/load.jsonl"
: >"$tmp/cold.jsonl"
client load "$tmp/load.jsonl" --stop "$tmp/stop" --writers a b c --searchers a b c \
  --search "people:$(photo Colin_Powell 2):$colin" &
pids+=($!)
for n in a b c; do
  check "$n indexes" wait_ok "$tmp/load.jsonl" "$n" IndexFaces 2
  check "$n searches" wait_ok "$tmp/load.jsonl" "$n" SearchFacesByImage 2
done

"$root/tools/pg_test_server.sh" stop "$pgdir" >/dev/null
client load "$tmp/cold.jsonl" --stop "$tmp/stop" --searchers c c \
  --search "cold:$(photo Tony_Blair 1):$blair" &
pids+=($!)
sleep 3
"$root/tools/pg_test_server.sh" start "$pgdir" "$(cat "$pgdir/port")" >/dev/null
back=$(date +%s.%N)
echo "PostgreSQL is back"
# Each node answers again by itself, then keeps answering for a second.
for n in a b c; do
  for op in IndexFaces SearchFacesByImage; do
    n0=$(grep -c "\"node\": \"$n\", \"op\": \"$op\", \"http\": 200" "$tmp/load.jsonl")
    check "$n answers $op again" wait_ok "$tmp/load.jsonl" "$n" "$op" $((n0 + 1))
  done
done
check "c finds the cold collection's face" wait_ok "$tmp/cold.jsonl" c SearchFacesByImage 1
sleep 1
touch "$tmp/stop"
for p in "${pids[@]}"; do wait "$p"; done

# No answer names the database: its URI, its host's port, its socket's path.
pg_port=$(cat "$pgdir/port")
secrets=(--secret "$db_uri" "postgresql://" ":$pg_port" "port $pg_port" "$pgdir")
check "every answer right or ThrottlingException" \
  client answers "$tmp/load.jsonl" --allow ThrottlingException --back-at "$back" "${secrets[@]}"
check "the cold collection: right or ThrottlingException" \
  client answers "$tmp/cold.jsonl" --allow ThrottlingException --back-at "$back" "${secrets[@]}"
check "c was refused on the cold collection while PostgreSQL was down" \
  grep -q '"type": "ThrottlingException"' "$tmp/cold.jsonl"
check "every acknowledged face on every node, once" client store "$tmp/load.jsonl" --nodes a b c
for n in a b c; do
  for _ in $(seq 1 100); do  # it tries once a second
    [[ $(metric "${node_port[$n]}" candor_store_sync_reconnects_total) == 1 ]] && break
    sleep 0.1
  done
  check "$n's listener reconnected" \
    test "$(metric "${node_port[$n]}" candor_store_sync_reconnects_total)" = 1
  check "$n did not reload" \
    test "$(metric "${node_port[$n]}" candor_store_sync_full_rebuilds_total)" = 0
done

echo "cluster_outage_pg_test: $passed passed, $failed failed"
((failed == 0))
