#!/usr/bin/env bash
# Runs one real client's scenario against a live `candor serve` on loopback.
#
# Usage: tests/clients/run_client.sh CLIENT [path/to/candor]
#   CLIENT: boto3 | aws_cli | js | accountability | candor_fields | candor_fields_js |
#           conformance
#   candor: the binary (default: $CANDOR_BIN, else build/candor of this tree)
#
# Starts the server on a free port with a fresh data directory and a
# credentials file of one principal, exports the endpoint and the keys, runs
# the scenario, then stops the server with SIGTERM and checks that it exits 0.
# The exit code is the scenario's, or 1 when the server misbehaved or the
# client is not installed (tools/setup.sh installs all three).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
client=${1:?usage: run_client.sh boto3|aws_cli|js|accountability|candor_fields|candor_fields_js|conformance [path/to/candor]}
candor=${2:-${CANDOR_BIN:-$root/build/candor}}
data=${CANDOR_DATA:-$root/../shared/data}

case $client in
  boto3) scenario=(python3 "$here/boto3_scenario.py") ;;
  aws_cli) scenario=(bash "$here/aws_cli_scenario.sh") ;;
  js) scenario=(node "$here/js/scenario.mjs") ;;
  accountability) scenario=(python3 "$here/accountability_scenario.py") ;;
  candor_fields) scenario=(python3 "$here/candor_fields_scenario.py") ;;
  candor_fields_js) scenario=(node "$here/js/candor_fields.mjs") ;;
  # The binary too: it starts a second server with --s3-root for video jobs.
  conformance) scenario=(python3 "$here/conformance_scenario.py" "$candor") ;;
  *) echo "run_client.sh: unknown client '$client' (boto3, aws_cli, js, accountability," \
    "candor_fields, candor_fields_js or conformance)" >&2; exit 2 ;;
esac
# A client that is not installed fails the test: a skipped client test would
# pass without checking anything.
skip() {
  echo "run_client.sh: FAILED: $* (tools/setup.sh installs it)" >&2
  exit 1
}
case $client in
  boto3 | accountability)
    python3 -c 'import boto3' 2>/dev/null || skip "boto3 is not installed for python3" ;;
  aws_cli) command -v aws >/dev/null || skip "the AWS CLI (aws) is not installed" ;;
  conformance)
    python3 -c 'import botocore' 2>/dev/null || skip "botocore is not installed for python3"
    command -v ffmpeg >/dev/null || skip "ffmpeg is not installed"
    ;;
  candor_fields)
    python3 -c 'import boto3' 2>/dev/null || skip "boto3 is not installed for python3"
    command -v aws >/dev/null || skip "the AWS CLI (aws) is not installed"
    ;;
  js | candor_fields_js)
    command -v npm >/dev/null || skip "npm is not installed"
    node -e 'process.exit(+process.versions.node.split(".")[0] >= 18 ? 0 : 1)' 2>/dev/null ||
      skip "Node.js 18 or newer is needed by the pinned @aws-sdk/client-rekognition"
    ;;
esac
if [[ ! -x $candor ]]; then
  echo "run_client.sh: no candor binary at $candor (build first, or pass its path)" >&2
  exit 2
fi
if [[ ! -d $data/lfw/images ]]; then
  echo "run_client.sh: no LFW images in $data (set CANDOR_DATA)" >&2
  exit 2
fi
candor=$(realpath "$candor")
data=$(realpath "$data")

tmp=$(mktemp -d "${TMPDIR:-/tmp}/candor-client-$client.XXXXXX")
# Starts and stops the server; removes $tmp at exit.
# shellcheck source=tests/live_server.sh
source "$here/../live_server.sh"

# The JS SDK is installed from the committed lock file on first use.
if [[ $client == js || $client == candor_fields_js ]]; then
  bash "$here/js/install.sh" || exit 1
fi

# One principal with random keys (40-character secret, as AWS's).
python3 - "$tmp/credentials" <<'EOF' || exit 1
import os, secrets, string, sys
key_id = "CKIA" + "".join(secrets.choice(string.ascii_uppercase + "234567") for _ in range(16))
secret = "".join(secrets.choice(string.ascii_letters + string.digits + "+/") for _ in range(40))
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
with os.fdopen(fd, "w") as f:
    f.write(f"[client-test]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n"
            "role = admin,enroller,searcher,analyst,auditor\n")
EOF

live_server_start --credentials "$tmp/credentials" --data-dir "$tmp/data" \
  --access-log "$tmp/access.log" || exit 1
echo "run_client.sh: candor serve (pid $server_pid) on port $port; running $client"

# Only this environment reaches the client: no profile, config or proxy of
# the user's may interfere.
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN \
  AWS_ENDPOINT_URL AWS_ENDPOINT_URL_REKOGNITION AWS_ROLE_ARN AWS_WEB_IDENTITY_TOKEN_FILE
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
AWS_ACCESS_KEY_ID=$(sed -n 's/^aws_access_key_id = //p' "$tmp/credentials")
AWS_SECRET_ACCESS_KEY=$(sed -n 's/^aws_secret_access_key = //p' "$tmp/credentials")
export AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1  # the JS SDK reads AWS_REGION
export AWS_CONFIG_FILE=$tmp/no-aws-config AWS_SHARED_CREDENTIALS_FILE=$tmp/no-aws-credentials
export AWS_EC2_METADATA_DISABLED=true
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
export CANDOR_ENDPOINT=http://127.0.0.1:$port
export CANDOR_DATA=$data
export CANDOR_CLIENT_TMP=$tmp

started=$SECONDS
"${scenario[@]}"
status=$?
echo "run_client.sh: $client scenario exited $status after $((SECONDS - started))s"

live_server_stop || exit 1
if ((status != 0)); then
  show_server_log
  exit "$status"
fi

# The errors the scenario saw were the server's, not the client's own
# validation: each is in the access log as the outcome of a request. (The
# candor_fields scenarios read successful answers only and provoke none.)
[[ $client == candor_fields* ]] || python3 - "$tmp/access.log" "$client" <<'EOF' || exit 1
import json, sys
expected = {"ResourceAlreadyExistsException", "ResourceNotFoundException",
            "InvalidParameterException", "InvalidImageFormatException",
            "InvalidSignatureException", "UnrecognizedClientException"}
if sys.argv[2] == "accountability":
    expected = {"AccessDeniedException", "UnrecognizedClientException"}
with open(sys.argv[1]) as log:
    outcomes = {json.loads(line)["outcome"] for line in log if line.strip()}
missing = sorted(expected - outcomes)
if missing:
    sys.exit(f"run_client.sh: the access log has no request answered {', '.join(missing)}")
print(f"run_client.sh: the access log shows the server answered all {len(expected)} error types")
EOF

# Everything the scenario did is in an audit log whose chain verifies.
if ! "$candor" audit verify --data-dir "$tmp/data"; then
  echo "run_client.sh: the audit log does not verify after the scenario" >&2
  exit 1
fi
exit 0
