#!/usr/bin/env bash
# Brookmimir and BitMind at production scale, next to their baselines, in one run.
#
#   bench/scale.sh [--quartet PATH] [--docs N] [--duration 10s] [--connections 32] [--imports 20]
#
# Builds the release binaries (quartet, and the baselines in bench/: a bare hyper
# hello-world server, a dropshot hello-world server configured as quartet's
# surfaces are, and tantivy called directly), generates a deterministic corpus
# of N documents (default 100,000; `quartet admin brookmimir documents generate`),
# imports it into a fresh SQLite data directory and measures, with
# `wrk -t2 -cC -dD --latency` on loopback:
#   hyper hello-world, dropshot hello-world, BitMind GET /health, GET /status
#   with an RS256 JWT;
#   Brookmimir POST /query `match content:contract` and the same with a
#   `range published_at` filter, each next to tantivy direct on the same corpus;
#   all of these twice: as the issue measured them (wrk and the server share
#   every core; direct searches on 2 threads), and with one core each (the server
#   and every baseline on core 0, direct on 1 thread there, wrk -t1 on core 1),
#   where wrk's own work is not taken from the server's share;
#   start-up (launch -> port open) with the corpus, for each surface;
#   a fixed-count run: a key with 20,000 credits under full load, then
#   credits used vs 200 answers;
#   queries under load (25 s) while 1, then 1,000 documents are imported (worst
#   latency, and how soon each import is searchable);
#   the server's RSS over 20 (--imports, at least 11) imports of 1,000 documents;
#   how soon a revoked client's token is refused by /status.
# KEEP=1 keeps the work directory (corpus, data, server logs).
# --quartet PATH measures another quartet binary (an older build, say); the
# corpus generator and the baselines always come from this tree. Needs wrk and curl;
# nothing leaves the machine, nothing is downloaded beyond cargo's own crates.
set -euo pipefail
cd "$(dirname "$0")/.."

QUARTET="" DOCS=100000 DURATION=10s CONNECTIONS=32 IMPORTS=20
while [ $# -gt 0 ]; do
  case "$1" in
    --quartet) QUARTET=$2; shift 2 ;;
    --docs) DOCS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    --imports) IMPORTS=$2; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

cargo build --release --quiet -p quartet-server
cargo build --release --quiet --manifest-path bench/Cargo.toml
BIN=${CARGO_TARGET_DIR:-target}/release
BENCH_BIN=${CARGO_TARGET_DIR:-bench/target}/release
GEN=$BIN/quartet
Q=${QUARTET:-$GEN}
BMM="" BM=""
WORK=$(mktemp -d)
DATA=$WORK/data
SERVER="" HELLO_PID=""
cleanup() {
  [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null
  [ -n "$HELLO_PID" ] && kill "$HELLO_PID" 2>/dev/null
  wait 2>/dev/null
  if [ -n "${KEEP:-}" ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
q() { "$Q" --data-dir "$DATA" "$@"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
declare -A R

MATCH='{"query":{"match":{"content":"contract"}}}'
RANGE='{"query":{"bool":{"must":{"match":{"content":"contract"}},"filter":{"range":{"published_at":{"gte":"2024-01-01"}}}}}}'

echo "quartet under test: $Q"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo)"
echo "load before: $(uptime)"

# --- corpus -------------------------------------------------------------------
t=$(now_ms)
"$GEN" admin brookmimir documents generate --count "$DOCS" --seed 1 > "$WORK/corpus.jsonl"
echo "corpus: $DOCS documents, $(du -m "$WORK/corpus.jsonl" | cut -f1) MB, generated in $(($(now_ms) - t)) ms"
t=$(now_ms)
q admin brookmimir documents import "$WORK/corpus.jsonl" > /dev/null 2>&1
echo "import into SQLite: $(($(now_ms) - t)) ms"
KEY=$(q admin brookmimir key create --credits 1000000000 --label bench 2>/dev/null)
CLIENT=$(q admin bitmind client create --json)
CLIENT_ID=$(sed -E 's/.*"client_id":"([^"]+)".*/\1/' <<<"$CLIENT")
CLIENT_SECRET=$(sed -E 's/.*"client_secret":"([^"]+)".*/\1/' <<<"$CLIENT")

# --- start-up -----------------------------------------------------------------
# Starts the server on free ports; sets BMM and BM to its ports, and UP_BMM and
# UP_BM to the ms from launch until each surface said it listens (right after
# binding its port).
start() {
  local began bmm="" bm="" line
  : > "$WORK/out"
  began=$(now_ms)
  "$Q" --data-dir "$DATA" serve --port brookmimir=0 --port bitmind=0 --log-level error \
    > "$WORK/out" 2>> "$WORK/err" &
  SERVER=$!
  for _ in $(seq 24000); do
    if [ -z "$bmm" ] && line=$(grep -m1 'brookmimir listening' "$WORK/out"); then
      bmm=$(($(now_ms) - began)) BMM=${line##*:}
    fi
    if [ -z "$bm" ] && line=$(grep -m1 'bitmind listening' "$WORK/out"); then
      bm=$(($(now_ms) - began)) BM=${line##*:}
    fi
    [ -n "$bmm" ] && [ -n "$bm" ] && break
    kill -0 "$SERVER" 2>/dev/null || { echo "the server exited:" >&2; tail -5 "$WORK/err" >&2; exit 1; }
    sleep 0.005
  done
  UP_BMM=$bmm UP_BM=$bm
}
stop() { kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=""; }

start
first_bmm=$UP_BMM
echo "first start (no index yet): brookmimir ${UP_BMM} ms, bitmind ${UP_BM} ms"
stop
start
echo "start-up with the corpus: brookmimir ${UP_BMM} ms, bitmind ${UP_BM} ms"
R[startup]="brookmimir ${UP_BMM} ms, bitmind ${UP_BM} ms (first start, building the index: ${first_bmm} ms)"
PID=$SERVER

TOKEN=$(curl -s 127.0.0.1:$BM/v1/oauth/token -d grant_type=client_credentials \
  -d client_id="$CLIENT_ID" -d client_secret="$CLIENT_SECRET" | sed -E 's/.*"access_token":"([^"]+)".*/\1/')

# --- throughput ---------------------------------------------------------------
# run NAME PID WRK-ARGS...: one wrk run ($WRK) against the server PID; keeps
# "req/s|p50|p99|max|non-2xx|server CPU µs per request" in R[NAME]. The CPU time
# the server spent per answer depends less on what else runs on the machine than
# throughput does. $PIN runs the servers (empty: free to use every core).
WRK="wrk -t2" PIN=""
run() {
  local name=$1 pid=$2 out t0 t1
  shift 2
  t0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  out=$($WRK -c"$CONNECTIONS" -d"$DURATION" --latency "$@")
  t1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  local rps p50 p99 max bad n cpu
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  max=$(awk '$1 == "Latency" {print $4}' <<<"$out")
  bad=$(awk '/Non-2xx/ {print $5}' <<<"$out")
  n=$(awk '/requests in/ {print $1}' <<<"$out")
  cpu=$(awk -v t="$((t1 - t0))" -v n="$n" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", t * 1e6 / hz / n }')
  R[$name]="$rps|$p50|$p99|$max|${bad:-0}|$cpu"
  printf '%-10s %10s req/s  p50 %-8s p99 %-8s max %-8s non-2xx %-6s server CPU %s µs/req\n' \
    "$name" "$rps" "$p50" "$p99" "$max" "${bad:-0}" "$cpu"
}
rps() { cut -d'|' -f1 <<<"${R[$1]}"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }

# baseline NAME BINARY: runs wrk against a baseline server on a free port.
baseline() {
  $PIN "$2" 0 > "$WORK/$1" &
  HELLO_PID=$!
  until grep -q listening "$WORK/$1"; do sleep 0.01; done
  run "$1" "$HELLO_PID" "http://127.0.0.1:$(sed -E 's/.*:([0-9]+)$/\1/' "$WORK/$1")/"
  kill $HELLO_PID; wait $HELLO_PID 2>/dev/null || true; HELLO_PID=""
}
# throughput SUFFIX: every throughput run, kept as R[hello$SUFFIX] and so on.
throughput() {
  baseline "hello$1" "$BENCH_BIN/bench-hello"
  baseline "dropshot$1" "$BENCH_BIN/bench-dropshot-hello"
  run "health$1" $PID http://127.0.0.1:$BM/health
  run "status$1" $PID -H "Authorization: Bearer $TOKEN" http://127.0.0.1:$BM/status
  BODY=$MATCH run "match$1" $PID -s bench/post.lua -H "x-api-key: $KEY" http://127.0.0.1:$BMM/query
  BODY=$RANGE run "range$1" $PID -s bench/post.lua -H "x-api-key: $KEY" http://127.0.0.1:$BMM/query
}
throughput ""
CORES=$(nproc)
if [ "$CORES" -ge 2 ]; then
  echo "one core each: the servers on core 0, wrk -t1 on core 1"
  taskset -a -p -c 0 "$PID" > /dev/null
  WRK="taskset -c 1 wrk -t1" PIN="taskset -c 0"
  throughput 1
  taskset -a -p -c "0-$((CORES - 1))" "$PID" > /dev/null
  WRK="wrk -t2" PIN=""
fi

# --- credits: a fixed-count run -----------------------------------------------
FIXED=20000
FKEY=$(q admin brookmimir key create --credits $FIXED --label fixed 2>/dev/null)
answers=$(BODY=$MATCH wrk -t2 -c"$CONNECTIONS" -d10s -s bench/count.lua -H "x-api-key: $FKEY" \
  http://127.0.0.1:$BMM/query | grep '^answers:')
ok=$(awk '{print $2}' <<<"$answers")
left=$(curl -s 127.0.0.1:$BMM/credits -H "x-api-key: $FKEY" | sed -nE 's/.*"current_balance":([0-9]+).*/\1/p')
used=$((FIXED - ${left:-0}))
echo "fixed-count run: $answers; credits used $used of $FIXED"
R[fixed]="$used credits used, $ok answers 200 ($([ "$used" = "$ok" ] && echo equal || echo DIFFERENT))"

# --- tantivy direct -----------------------------------------------------------
stop
# direct SUFFIX [taskset -c N] THREADS: tantivy direct, kept as R[direct_match$SUFFIX] and so on.
direct() {
  local suffix=$1 out
  shift
  out=$("${@:1:$#-1}" "$BENCH_BIN/bench-direct" "$WORK/corpus.jsonl" "${DURATION%s}" "${!#}" "$MATCH" "$RANGE")
  echo "$out"
  R[direct_match$suffix]=$(sed -n '2p' <<<"$out" | awk '{print $1}')
  R[direct_match_1p$suffix]=$(sed -n '3p' <<<"$out" | awk '{print $1}')
  R[direct_range$suffix]=$(sed -n '5p' <<<"$out" | awk '{print $1}')
  R[direct_range_1p$suffix]=$(sed -n '6p' <<<"$out" | awk '{print $1}')
}
direct "" 2
[ "$CORES" -ge 2 ] && direct 1 taskset -c 0 1
start
PID=$SERVER

# --- imports under load -------------------------------------------------------
# visible ID: how long until a query finds document ID (ms; "never" after 120 s).
visible() {
  local began
  began=$(now_ms)
  until curl -s 127.0.0.1:$BMM/query -H "x-api-key: $KEY" -H 'content-type: application/json' \
      -d "{\"query\":{\"ids\":{\"values\":[\"$1\"]}}}" | grep -q '"value":1'; do
    if [ $(($(now_ms) - began)) -gt 120000 ]; then echo never; return; fi
    sleep 0.01
  done
  echo $(($(now_ms) - began))
}
"$GEN" admin brookmimir documents generate --count 1 --seed 99 --first-id 9000001 > "$WORK/one.jsonl"
"$GEN" admin brookmimir documents generate --count 1000 --seed 98 --first-id 9100001 > "$WORK/thousand.jsonl"
BODY=$MATCH wrk -t2 -c"$CONNECTIONS" -d25s --timeout 60s --latency -s bench/post.lua -H "x-api-key: $KEY" \
  http://127.0.0.1:$BMM/query > "$WORK/under-import" &
WRK=$!
sleep 3
q admin brookmimir documents import "$WORK/one.jsonl" > /dev/null 2>&1
visible DOC-9000001 > "$WORK/vis1" &
V1=$!
sleep 9
q admin brookmimir documents import "$WORK/thousand.jsonl" > /dev/null 2>&1
visible DOC-9101000 > "$WORK/vis1000" &
V2=$!
wait $WRK $V1 $V2
vis1=$(cat "$WORK/vis1") vis1000=$(cat "$WORK/vis1000")
under=$(cat "$WORK/under-import")
umax=$(awk '$1 == "Latency" {print $4}' <<<"$under")
up99=$(awk '$1 == "99%" {print $2}' <<<"$under")
urps=$(awk '/^Requests\/sec/ {print $2}' <<<"$under")
uerr=$(grep -E 'Socket errors|Non-2xx' <<<"$under" | tr -s ' ' | paste -sd';' || true)
echo "queries while importing 1 then 1,000 documents: $urps req/s, p99 $up99, worst $umax;" \
  "searchable after ${vis1} ms (1) and ${vis1000} ms (1,000) ${uerr}"
R[import]="worst query $umax (p99 $up99); searchable after ${vis1} ms / ${vis1000} ms"

# --- memory over imports ------------------------------------------------------
rss() { awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$PID/status"; }
anon() { awk '/RssAnon/ {printf "%.0f", $2 / 1024}' "/proc/$PID/status"; }
series="$(rss)" anons="$(anon)"
for i in $(seq "$IMPORTS"); do
  first=$((9200001 + i * 500))
  "$GEN" admin brookmimir documents generate --count 1000 --seed $((100 + i)) --first-id $first > "$WORK/batch.jsonl"
  q admin brookmimir documents import "$WORK/batch.jsonl" > /dev/null 2>&1
  visible "DOC-$((first + 999))" > /dev/null
  series="$series $(rss)" anons="$anons $(anon)"
done
echo "RSS (MB) before and after each of $IMPORTS imports of 1,000 documents: $series"
echo "  of which anonymous (heap) memory: $anons; the rest is the index's files, mapped"
# summary SERIES: the memory before the imports, after the first, and the lowest
# and highest after imports 2-10 and after imports 11-N (MB): flat means the
# second range is no higher than the first.
summary() {
  awk 'function range(a, b,   i, lo, hi) { lo = $a; hi = $a
         for (i = a; i <= b; i++) { if ($i < lo) lo = $i; if ($i > hi) hi = $i }
         return lo "-" hi }
       { printf "before %s, after the 1st import %s, after imports 2-10 %s, after 11-%d %s", $1, $2, range(3, 11), NF - 1, range(12, NF) }' <<<"$1"
}
R[rss]="RSS $(summary "$series") MB; heap $(summary "$anons") MB"

# --- revocation ---------------------------------------------------------------
REVOKED=$(q admin bitmind client create --json)
RID=$(sed -E 's/.*"client_id":"([^"]+)".*/\1/' <<<"$REVOKED")
RSECRET=$(sed -E 's/.*"client_secret":"([^"]+)".*/\1/' <<<"$REVOKED")
RTOKEN=$(curl -s 127.0.0.1:$BM/v1/oauth/token -d grant_type=client_credentials \
  -d client_id="$RID" -d client_secret="$RSECRET" | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
curl -s -o /dev/null 127.0.0.1:$BM/status -H "Authorization: Bearer $RTOKEN"
q admin bitmind client revoke "$RID" > /dev/null
began=$(now_ms)
until [ "$(curl -s -o /dev/null -w '%{http_code}' 127.0.0.1:$BM/status -H "Authorization: Bearer $RTOKEN")" = 401 ]; do
  sleep 0.01
done
R[revocation]="refused $(($(now_ms) - began)) ms after \`client revoke\` returned"
echo "revoked client: ${R[revocation]}"
stop

echo "load after: $(uptime)"
echo
cell() { IFS='|' read -r r p50 p99 max bad cpu <<<"${R[$1]}"; echo "$r req/s, p50 $p50, p99 $p99, server CPU $cpu µs/req"; }
# rows SUFFIX: the throughput rows of one way of running (R[health$SUFFIX] and so on).
rows() {
  local s=$1
  echo "| BitMind \`GET /health\` | $(cell health$s) | hyper hello-world $(rps hello$s) ($(ratio "$(rps health$s)" "$(rps hello$s)")×); dropshot hello-world $(rps dropshot$s) ($(ratio "$(rps health$s)" "$(rps dropshot$s)")×) |"
  echo "| BitMind \`GET /status\`, RS256 JWT | $(cell status$s) ($(ratio "$(rps status$s)" "$(rps health$s)")× of \`/health\`) | — |"
  echo "| Brookmimir \`POST /query\`, \`match content:contract\`, $DOCS docs | $(cell match$s) | tantivy direct, the server's plan ${R[direct_match$s]} q/s ($(ratio "$(rps match$s)" "${R[direct_match$s]}")×); one scoring pass ${R[direct_match_1p$s]} q/s ($(ratio "$(rps match$s)" "${R[direct_match_1p$s]}")×) |"
  echo "| same + \`range published_at\` filter | $(cell range$s) | tantivy direct, the server's plan ${R[direct_range$s]} q/s ($(ratio "$(rps range$s)" "${R[direct_range$s]}")×); one scoring pass ${R[direct_range_1p$s]} q/s ($(ratio "$(rps range$s)" "${R[direct_range_1p$s]}")×) |"
}
echo "| measure | result | baseline |"
echo "|---|---|---|"
rows ""
echo "| start-up with $DOCS docs (launch → port open) | ${R[startup]} | — |"
echo "| import of 1 (then 1,000) documents into a running server, under load | ${R[import]} | — |"
echo "| memory over $IMPORTS imports of 1,000 documents | ${R[rss]} | — |"
echo "| credits, fixed-count run ($FIXED credits) | ${R[fixed]} | — |"
echo "| revoked client's token on \`/status\` | ${R[revocation]} | — |"
if [ "$CORES" -ge 2 ]; then
  echo
  echo "One core each (the servers and tantivy direct, 1 thread, on core 0; wrk -t1 on core 1):"
  echo
  echo "| measure | result | baseline |"
  echo "|---|---|---|"
  rows 1
fi
