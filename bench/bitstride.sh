#!/usr/bin/env bash
# Bitstride benchmark against the release build, on loopback only.
#   bench/bitstride.sh [DURATION] [CONNECTIONS]
# Needs wrk (Debian: apt-get install wrk), curl and python3. Starts a minimal OpenAI-compatible
# backend (server/examples/bench_backend.rs) and a Bitstride server on a fresh data directory, and
# prints, in one run:
#   - chat completions through the gateway vs the backend directly: throughput at CONNECTIONS
#     connections, and p50 latency at one connection (the difference is what the gateway adds:
#     authentication, deployment lookup, limits, forwarding, usage recording);
#   - POST /v1/auth/login p50 at one connection (Argon2id verification plus a session);
#   - the wall time of a reference fine-tuning job on the demo dataset
#     (server/data/bitstride-demo.jsonl, 200 rows, 3 epochs), from creation to `succeeded`.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-10s}
CONNECTIONS=${2:-32}
cargo build --release --quiet -p quartet-server --bin quartet --example bench_backend
T=${CARGO_TARGET_DIR:-target}/release
DATA=$(mktemp -d)
SERVER=
BACKEND=
trap '[ -n "$SERVER" ] && kill $SERVER 2>/dev/null; [ -n "$BACKEND" ] && kill $BACKEND 2>/dev/null; rm -rf "$DATA"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
BP=$(free_port)
GP=$(free_port)
"$T/examples/bench_backend" "127.0.0.1:$BP" > "$DATA/backend" &
BACKEND=$!
"$T/quartet" --data-dir "$DATA" serve --surface bitstride --port "bitstride=$GP" --log-level error \
  --bitstride-allow-private-backends --bitstride-loopback-backends-only \
  --bitstride-rate-limit-per-minute 100000000 > "$DATA/out" 2> "$DATA/err" &
SERVER=$!
for _ in $(seq 100); do grep -q listening "$DATA/out" 2>/dev/null && break; sleep 0.1; done
G=http://127.0.0.1:$GP
json() { python3 -c "import sys,json; print(json.load(sys.stdin)$1)"; }
post() { curl -sf "$G$1" -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d "$2"; }
TOKEN=$(curl -sf "$G/v1/auth/register" -H 'content-type: application/json' \
  -d '{"email":"bench@example.com","password":"correct horse battery"}' | json '["access_token"]')
KEY=$(post /v1/api_keys '{"name":"bench","scopes":["read","write","inference"]}' | json '["key"]')
post /v1/deployments "{\"name\":\"bench\",\"subdomain\":\"bench\",\"endpoint\":\"http://127.0.0.1:$BP\",\"backend_type\":\"vllm\",\"protocol\":\"openai\",\"concurrency_limit\":10000}" > /dev/null
sleep 1.5

echo "storage: sqlite in $DATA; $(nproc) CPUs; wrk -d$DURATION (2 threads, 1 for one connection)"
run() {
  local label=$1 threads=$2
  shift 2
  echo "== $label"
  wrk -t"$threads" -d"$DURATION" --latency "$@" | grep -E "^Requests/sec|50%|99%|Non-2xx|Socket errors"
}
run "backend directly, $CONNECTIONS connections" 2 -c"$CONNECTIONS" -s bench/chat.lua "http://127.0.0.1:$BP/v1/chat/completions"
run "through the gateway, $CONNECTIONS connections" 2 -c"$CONNECTIONS" -s bench/chat.lua -H "Authorization: Bearer $KEY" "$G/v1/chat/completions"
run "backend directly, 1 connection" 1 -c1 -s bench/chat.lua "http://127.0.0.1:$BP/v1/chat/completions"
run "through the gateway, 1 connection" 1 -c1 -s bench/chat.lua -H "Authorization: Bearer $KEY" "$G/v1/chat/completions"
run "POST /v1/auth/login, 1 connection" 1 -c1 -s bench/login.lua "$G/v1/auth/login"

echo "== reference fine-tuning job on the demo dataset"
DS=$(post /v1/datasets '{"name":"demo","purpose":"fine_tuning"}' | json '["id"]')
curl -sf "$G/v1/datasets/$DS/upload" -H "authorization: Bearer $TOKEN" --data-binary @server/data/bitstride-demo.jsonl > /dev/null
curl -sf -X POST "$G/v1/datasets/$DS/validate" -H "authorization: Bearer $TOKEN" > /dev/null
python3 - "$G" "$TOKEN" "$DS" <<'PY'
import json, sys, time, urllib.request
base, token, ds = sys.argv[1:4]
def call(method, path, body=None):
    req = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body else None,
                                 headers={"authorization": f"Bearer {token}", "content-type": "application/json"})
    return json.load(urllib.request.urlopen(req))
start = time.monotonic()
job = call("POST", "/v1/fine_tuning/jobs", {"base_model": "bitstride-char-tiny", "training_dataset_id": ds})
while job["status"] not in ("succeeded", "failed", "cancelled"):
    time.sleep(0.02)
    job = call("GET", f"/v1/fine_tuning/jobs/{job['id']}")
wall = time.monotonic() - start
events = call("GET", f"/v1/fine_tuning/jobs/{job['id']}/events?limit=100")["data"]
losses = [e["data"]["train_loss"] for e in reversed(events) if e.get("data") and "train_loss" in e["data"]]
print(f"{job['status']} in {wall:.2f} s: {len(losses)} steps, {job.get('trained_tokens')} tokens, "
      f"loss {losses[0]:.3f} -> {losses[-1]:.3f}")
PY
