#!/usr/bin/env bash
# Load run against the release build, on loopback only.
#   bench/load.sh [--database-url URL] [DURATION] [CONNECTIONS]
# Needs wrk (Debian: apt-get install wrk). Starts its own server on a fresh data directory
# (and, with --database-url, on that PostgreSQL database, which should be empty), creates a key
# and a client, and prints wrk's summary (throughput, latency percentiles) for:
#   Brookmimir GET /credits, POST /query (demo corpus, one credit each: req/s = credits/s);
#   BitMind GET /health, GET /status with a JWT.
set -euo pipefail
cd "$(dirname "$0")/.."
DB_ARGS=()
if [ "${1:-}" = "--database-url" ]; then
  DB_ARGS=(--database-url "$2")
  shift 2
fi
DURATION=${1:-10s}
CONNECTIONS=${2:-32}
cargo build --release --quiet -p quartet-server
Q=target/release/quartet
DATA=$(mktemp -d)
trap 'kill $SERVER 2>/dev/null; rm -rf "$DATA"' EXIT
q() { $Q --data-dir "$DATA" "${DB_ARGS[@]}" "$@"; }

KEY=$(q admin brookmimir key create --credits 1000000000 --label load 2>/dev/null)
CLIENT=$(q admin bitmind client create --json)
CLIENT_ID=$(echo "$CLIENT" | sed -E 's/.*"client_id":"([^"]+)".*/\1/')
CLIENT_SECRET=$(echo "$CLIENT" | sed -E 's/.*"client_secret":"([^"]+)".*/\1/')
# The binary itself in the background (not a function's subshell), so that the trap stops it.
"$Q" --data-dir "$DATA" "${DB_ARGS[@]}" serve --port brookmimir=0 --port bitmind=0 --port bindu=0 \
  --log-level error > "$DATA/out" 2> "$DATA/err" &
SERVER=$!
for _ in $(seq 100); do grep -q "bitmind listening" "$DATA/out" 2>/dev/null && grep -q "brookmimir listening" "$DATA/out" && break; sleep 0.1; done
BMM=$(sed -nE 's/^quartet: brookmimir listening on (.*)$/\1/p' "$DATA/out")
BM=$(sed -nE 's/^quartet: bitmind listening on (.*)$/\1/p' "$DATA/out")
[ -n "$BMM" ] && [ -n "$BM" ] || { cat "$DATA/err" >&2; exit 1; }
TOKEN=$(curl -s "$BM/v1/oauth/token" -d grant_type=client_credentials \
  -d client_id="$CLIENT_ID" -d client_secret="$CLIENT_SECRET" | sed -E 's/.*"access_token":"([^"]+)".*/\1/')

echo "storage: ${DB_ARGS[1]:-sqlite in $DATA}"
run() {
  echo "== $1"
  shift
  wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "$@" | grep -E "Requests/sec|Latency |50%|99%|Non-2xx"
}
run "brookmimir GET /credits" -H "x-api-key: $KEY" $BMM/credits
run "brookmimir POST /query (one credit each)" -s bench/query.lua -H "x-api-key: $KEY" $BMM/query
run "bitmind GET /health" $BM/health
run "bitmind GET /status (RS256 JWT)" -H "Authorization: Bearer $TOKEN" $BM/status
echo "== credits used: $((1000000000 - $(q admin brookmimir key list --json | sed -nE 's/.*"credits": ([0-9]+).*/\1/p' | head -1)))"
