#!/usr/bin/env bash
# Bindu load run against the release build, on loopback only, echo agent, no authentication.
#   bench/bindu.sh [--database-url URL] [DURATION] [CONNECTIONS]
# Needs wrk and python3. Prints:
#   message/send (blocking) until `completed`: req/s, p50, p99;
#   tasks/get of one task: req/s, p50, p99;
#   message/stream: time to the first event and to the final one (200 sequential streams).
set -euo pipefail
cd "$(dirname "$0")/.."
DB_ARGS=()
if [ "${1:-}" = "--database-url" ]; then
  DB_ARGS=(--database-url "$2")
  shift 2
fi
DURATION=${1:-10s}
CONNECTIONS=${2:-16}
cargo build --release --quiet -p quartet-server
Q=target/release/quartet
[ -n "${CARGO_TARGET_DIR:-}" ] && Q="$CARGO_TARGET_DIR/release/quartet"
DATA=$(mktemp -d)
trap 'kill $SERVER 2>/dev/null; rm -rf "$DATA"' EXIT
# The binary itself in the background (not a function's subshell), so that the trap stops it.
"$Q" --data-dir "$DATA" "${DB_ARGS[@]}" serve --surface bindu --port bindu=0 --bindu-auth off \
  --log-level error > "$DATA/out" 2> "$DATA/err" &
SERVER=$!
for _ in $(seq 100); do grep -q listening "$DATA/out" 2>/dev/null && break; sleep 0.1; done
URL=$(sed -nE 's/^quartet: bindu listening on (.*)$/\1/p' "$DATA/out")/
[ "$URL" != / ] || { cat "$DATA/err" >&2; exit 1; }
echo "storage: ${DB_ARGS[1]:-sqlite in $DATA}"
run() {
  echo "== $1"
  shift
  wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "$@" | grep -E "Requests/sec|Latency |50%|99%|Non-2xx"
}
run "message/send, blocking, until completed (echo agent)" -s bench/bindu-send.lua "$URL"
TASK_ID=$(curl -s "$URL" -d '{"jsonrpc":"2.0","id":1,"method":"message/send","params":{"message":{"messageId":"get-1","role":"user","parts":[{"kind":"text","text":"x"}]},"configuration":{"blocking":true}}}' \
  | sed -E 's/.*"result":\{"id":"([^"]+)".*/\1/')
export TASK_ID
run "tasks/get" -s bench/bindu-get.lua "$URL"
echo "== message/stream"
python3 bench/bindu-stream.py "$URL" 200
