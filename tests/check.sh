# Sourced by the shell tests (cli_test.sh, cluster_pg_test.sh): `check NAME
# COMMAND...` runs the command and counts it in $passed or $failed.
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
