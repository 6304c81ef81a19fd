#!/usr/bin/env bash
# Load run against the release build, on loopback only.
#   bench/load.sh [DURATION] [CONNECTIONS]
# Needs wrk (Debian: apt-get install wrk). Starts its own server on a fresh data directory,
# creates a key and a client, and prints wrk's summary (throughput, latency percentiles) for:
#   Brookmimir GET /credits, POST /query (demo corpus); BitMind GET /health, GET /status with a JWT.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-10s}
CONNECTIONS=${2:-32}
cargo build --release --quiet -p quartet-server
Q=target/release/quartet
DATA=$(mktemp -d)
trap 'kill $SERVER 2>/dev/null; rm -rf "$DATA"' EXIT

KEY=$($Q --data-dir "$DATA" admin brookmimir key create --credits 1000000000 --label load 2>/dev/null)
CLIENT=$($Q --data-dir "$DATA" admin bitmind client create --json)
CLIENT_ID=$(echo "$CLIENT" | sed -E 's/.*"client_id":"([^"]+)".*/\1/')
CLIENT_SECRET=$(echo "$CLIENT" | sed -E 's/.*"client_secret":"([^"]+)".*/\1/')
$Q --data-dir "$DATA" serve --brookmimir-port 3871 --bitmind-port 3872 --log-level error > "$DATA/out" 2> "$DATA/err" &
SERVER=$!
for _ in $(seq 50); do grep -q bitmind "$DATA/out" 2>/dev/null && break; sleep 0.1; done
TOKEN=$(curl -s 127.0.0.1:3872/v1/oauth/token -d grant_type=client_credentials \
  -d client_id="$CLIENT_ID" -d client_secret="$CLIENT_SECRET" | sed -E 's/.*"access_token":"([^"]+)".*/\1/')

run() {
  echo "== $1"
  shift
  wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "$@" | grep -E "Requests/sec|Latency |50%|99%|Non-2xx"
}
run "brookmimir GET /credits" -H "x-api-key: $KEY" http://127.0.0.1:3871/credits
run "brookmimir POST /query" -s bench/query.lua -H "x-api-key: $KEY" http://127.0.0.1:3871/query
run "bitmind GET /health" http://127.0.0.1:3872/health
run "bitmind GET /status (RS256 JWT)" -H "Authorization: Bearer $TOKEN" http://127.0.0.1:3872/status
