#!/usr/bin/env bash
# kill -9 of a node during a write loop loses no acknowledged face. Three
# `candor serve --store postgresql://...` nodes on one database; four
# writers (IndexFaces: two on a, one on b, one on c) and a searcher on b
# record every answer; a is killed with SIGKILL while they write, b and c
# go on, a starts again on its data directory. Then every FaceId any node
# acknowledged with a 200 is listed on a, b and c, no FaceId twice, each
# node's index finds exactly the listed faces, b and c never answered with
# an error, and every face has its IndexFaces record in an audit log (a's
# calls that committed without one are recovered when a starts) that
# verifies.
# Usage: tests/cluster_kill_pg_test.sh path/to/candor
set -uo pipefail
candor=$(realpath "$1")
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/tests/cluster_support.sh"
client() {  # client COMMAND ARGS...: tests/cluster_client.py on this cluster
  python3 "$root/tests/cluster_client.py" "$1" --ports "$tmp" --log "$tmp/answers.jsonl" \
    --images "$tmp/images" "${@:2}"
}

cluster_pg_start || exit 1
for n in a b c; do serve "$n" || exit 1; done

# Six photos of six people: two photos of one person are never as alike as
# one photo with itself (the `store` check searches at 99%).
for p in Colin_Powell George_W_Bush Tony_Blair Donald_Rumsfeld Gerhard_Schroeder Ariel_Sharon; do
  ls "$data/lfw/images/$p/"*.jpg | sort | head -n 1
done >"$tmp/images"
check "six LFW photos" test "$(wc -l <"$tmp/images")" = 6

call "${node_port[a]}" CreateCollection '{"CollectionId":"people"}' >"$tmp/create.json"
check "create on a" jqt '.StatusCode == 200' "$tmp/create.json"

# acked NODE: how many IndexFaces the node has acknowledged so far.
acked() { grep -c "\"node\": \"$1\", \"op\": \"IndexFaces\", \"http\": 200" "$tmp/answers.jsonl"; }
# wait_acked NODE N: until the node has acknowledged N (at most 60 s).
wait_acked() {
  for _ in $(seq 1 600); do
    (($(acked "$1") >= $2)) && return 0
    sleep 0.1
  done
  echo "node $1 acknowledged only $(acked "$1") of $2 writes" >&2
  return 1
}
: >"$tmp/answers.jsonl"
client load --stop "$tmp/stop" --writers a a b c --searchers b \
  --search "people:$(sed -n 2p "$tmp/images"):" &
pids+=($!)
wait_acked a 6
kill_node a
echo "killed a after it acknowledged $(acked a) faces"
b_at_kill=$(acked b)
c_at_kill=$(acked c)
check "b writes on" wait_acked b $((b_at_kill + 3))
check "c writes on" wait_acked c $((c_at_kill + 3))
a_before=$(acked a)
check "a starts again" serve a
check "a writes again" wait_acked a $((a_before + 3))
touch "$tmp/stop"
wait "${pids[-1]}"

check "no error but a's refused connections" client answers --may-be-down a
check "every acknowledged face on every node, once" client store --nodes a b c
check "every face audited, every log verifies" client audit --nodes a b c
grep -h "audit records of" "$tmp/a.log"
check "a started cleanly" test "$(grep -c -i "error\|fail" "$tmp/a.log")" = 0

echo "cluster_kill_pg_test: $passed passed, $failed failed"
((failed == 0))
