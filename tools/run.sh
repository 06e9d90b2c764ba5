#!/usr/bin/env bash
# The main job: set up, then serve Amazon Rekognition's JSON API on the
# embedded SQLite store in ./candor-data (or $CANDOR_DATA_DIR), on
# 127.0.0.1:8080 (or $CANDOR_LISTEN). The first run creates an access key for
# principal "admin" and prints it once. Extra arguments go to `candor serve`
# (see `build/candor serve --help`); Ctrl-C or SIGTERM stops it gracefully.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
tools/setup.sh
export PATH="$root/.venv/bin:$PATH"  # the pinned Python clients (tools/setup.sh)
data_dir="${CANDOR_DATA_DIR:-$root/candor-data}"
listen="${CANDOR_LISTEN:-127.0.0.1:8080}"
mkdir -p "$data_dir"
chmod 700 "$data_dir"
credentials="$data_dir/credentials"
if [[ ! -s "$credentials" ]]; then
  key=$(./build/candor keys create --credentials "$credentials" --principal admin \
    --role admin,enroller,searcher,analyst,auditor)
  id=$(sed -n 's/^aws_access_key_id = //p' <<<"$key")
  secret=$(sed -n 's/^aws_secret_access_key = //p' <<<"$key")
  cat <<MSG
run.sh: created an access key for principal "admin" in $credentials (mode 0600).
Point any AWS SDK or the AWS CLI at the service with it, for example:
  export AWS_ACCESS_KEY_ID=$id AWS_SECRET_ACCESS_KEY=$secret AWS_DEFAULT_REGION=us-east-1
  aws rekognition list-collections --endpoint-url http://$listen
MSG
fi
echo "run.sh: the operator console is at http://$listen/console/ (sign in with an access key)"
exec ./build/candor serve --listen "$listen" --data-dir "$data_dir" --credentials "$credentials" "$@"
