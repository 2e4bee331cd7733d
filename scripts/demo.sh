#!/usr/bin/env bash
# An offline demo: serves the repository's own fixtures (a copy of the WeChat account and of
# CNCERT's website, tests/fixtures/) on loopback, runs `build` against them and prints where to
# open the page and the feeds. No network; needs python3 and `cargo build --release` first.
#
#   scripts/demo.sh [--out DIR]      (default: a new temporary directory)
#
# CNCERT_FEED=path/to/cncert-feed runs another build of the binary.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="${CNCERT_FEED:-$ROOT/target/release/cncert-feed}"
OUT=""
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT="${2:?--out needs a directory}"; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "demo: unknown argument $1 (scripts/demo.sh [--out DIR])" >&2; exit 2 ;;
  esac
done
if [ ! -x "$BIN" ]; then
  echo "demo: $BIN not found; run \`cargo build --release\` first" >&2
  exit 2
fi
[ -n "$OUT" ] || OUT="$(mktemp -d "${TMPDIR:-/tmp}/cncert-feed-demo.XXXXXX")"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/cncert-feed-demo-servers.XXXXXX")"

PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

# Starts the fixture server of tests/fixtures/$1 on a free loopback port; prints its origin.
serve() {
  local log="$WORK/$1.out"
  python3 "$ROOT/benches/fixture_server.py" "$ROOT/tests/fixtures/$1" --port 0 >"$log" 2>&1 &
  PIDS+=("$!")
  for _ in $(seq 100); do
    if grep -q '^listening on ' "$log"; then
      sed -n 's/^listening on //p' "$log" | head -n 1
      return 0
    fi
    sleep 0.1
  done
  echo "demo: the fixture server for $1 did not start:" >&2
  cat "$log" >&2
  return 1
}
WECHAT="$(serve wechat-site)"
WEBSITE="$(serve cert-site)"

# The shipped config without the politeness delays and retry waits (these servers are local).
sed -e 's/delay_ms: [0-9]*/delay_ms: 0/' -e 's/retry_wait_ms: [0-9]*/retry_wait_ms: 1/' \
  "$ROOT/config.yaml" >"$WORK/config.yaml"

# The start URLs of the fixture account (tests/fixtures/wechat-site/expected.json).
STARTS=()
while IFS= read -r url; do STARTS+=(--start "$url"); done < <(
  python3 -c 'import json,sys; [print(u) for u in json.load(open(sys.argv[1]))["start_urls"]]' \
    "$ROOT/tests/fixtures/wechat-site/expected.json"
)

echo "demo: serving the fixtures at $WECHAT (mp.weixin.qq.com) and $WEBSITE (www.cert.org.cn)"
code=0
"$BIN" --config "$WORK/config.yaml" build \
  --base-url "mp.weixin.qq.com=$WECHAT" --base-url "www.cert.org.cn=$WEBSITE" \
  "${STARTS[@]}" --backfill --no-ocr \
   --data "$OUT/data" --out "$OUT/public" || code=$?
if [ "$code" -ne 0 ]; then
  echo "demo: build exited $code (see above)" >&2
  exit "$code"
fi

cat <<EOF

demo: done (the fixtures hold a few broken files on purpose, hence the "failed" lines above). Open the page in a browser:
  $OUT/public/index.html
The feeds (one folder per series):
$(cd "$OUT/public" && find . -name 'rss.xml' -o -name 'atom.xml' -o -name 'feed.json' -o -name 'feeds.opml' | sort | sed "s|^\.|  $OUT/public|")
The archive the feeds were rendered from: $OUT/data
EOF
