#!/usr/bin/env bash
# same-render.sh — does `render` give byte-identical output at two revisions?
#
# Usage: scripts/same-render.sh OLD_REV [NEW_REV]      (NEW_REV defaults to HEAD)
#
#   scripts/same-render.sh HEAD~1 HEAD
#   scripts/same-render.sh 818452d
#
# What it does:
#   1. Checks out both revisions with `git worktree add --detach` into a temporary directory and builds
#      each one's release binary (`cargo build --release --locked`), sharing one CARGO_TARGET_DIR so the
#      dependencies are compiled once (default: target/same-render/ of this checkout, not target/ itself,
#      so the repository's own target/release/cncert-feed is never replaced by another revision's).
#   2. Seeds an archive offline: serves tests/fixtures/wechat-site and tests/fixtures/cert-site with
#      benches/fixture_server.py on loopback and runs OLD's `build --backfill --no-ocr` against them
#      (`--base-url` for mp.weixin.qq.com and www.cert.org.cn, `--start` from the fixture's
#      expected.json). The config is OLD's config.yaml with every delay_ms set to 0 and retry_wait_ms to
#      10 (politeness only slows the fixtures down; render does not read those fields). OCR is off so the
#      archive does not depend on whether Tesseract is installed.
#   3. Runs `render --data DIR --out OUT` with both binaries on copies of that one archive, and once more
#      with NEW after a pause: if NEW's two renders differ, render output depends on the run (a clock
#      timestamp) and the comparison would mean nothing, so the script says so and stops (exit 2).
#      (As of this script, it does not: the feeds' lastBuildDate/updated come from the archive.)
#   4. `diff -r` of OLD's and NEW's output.
#
# Output and exit status: prints "identical" and exits 0 when the outputs are byte-identical; prints the
# diff and exits 1 when they differ; exits 2 when something could not be set up (a build, the server,
# the seeding, or a run-dependent render).
#
# Environment:
#   CARGO_TARGET_DIR      where both revisions are built (default: <this checkout>/target/same-render)
#   SAME_RENDER_CONFIG    a config.yaml to use instead of OLD's (still with delays set to 0)
#   SAME_RENDER_KEEP=1    keep the temporary directory (archive, outputs, logs) and print its path
#
# Needs: git, cargo, python3, diff. Touches the network only on loopback.

set -euo pipefail

usage() {
    sed -n '2,/^$/p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
}
die() {
    echo "same-render: $*" >&2
    exit 2
}

[[ $# -ge 1 && $# -le 2 && $1 != -h && $1 != --help ]] || usage

root=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
old=$(git -C "$root" rev-parse --verify --quiet "$1^{commit}") || die "'$1' is not a revision"
new=$(git -C "$root" rev-parse --verify --quiet "${2:-HEAD}^{commit}") || die "'${2:-HEAD}' is not a revision"
target_dir=${CARGO_TARGET_DIR:-$root/target/same-render}
server=$root/benches/fixture_server.py
fixtures=$root/tests/fixtures

tmp=$(mktemp -d "${TMPDIR:-/tmp}/same-render.XXXXXX")
pids=()
worktrees=()
cleanup() {
    local pid wt
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for wt in "${worktrees[@]}"; do git -C "$root" worktree remove --force "$wt" 2>/dev/null || true; done
    git -C "$root" worktree prune 2>/dev/null || true
    if [[ ${SAME_RENDER_KEEP:-0} == 1 ]]; then
        echo "same-render: kept $tmp" >&2
    else
        rm -rf "$tmp"
    fi
}
trap cleanup EXIT

# build_rev NAME COMMIT: the release binary of COMMIT, copied to $tmp/NAME.
build_rev() {
    local name=$1 commit=$2 src=$tmp/src-$1
    git -C "$root" worktree add --quiet --detach "$src" "$commit" || die "cannot check out $commit"
    worktrees+=("$src")
    echo "same-render: building $name ($(git -C "$root" log -1 --format='%h %s' "$commit" | cut -c1-72))" >&2
    (cd "$src" && cargo build --quiet --release --locked --bin cncert-feed --target-dir "$target_dir") ||
        die "the build of $name ($commit) failed"
    cp "$target_dir/release/cncert-feed" "$tmp/$name"
}

# serve SITE_DIR: starts the fixture server; its origin is left in $origin.
serve() {
    local log
    log=$tmp/server-$(basename "$1").log
    origin=""
    python3 "$server" "$1" --port 0 >"$log" 2>&1 &
    pids+=($!)
    for _ in $(seq 100); do
        origin=$(grep -o 'http://[^ ]*' "$log" 2>/dev/null || true)
        [[ -n $origin ]] && break
        sleep 0.1
    done
    [[ -n $origin ]] || die "the fixture server for $1 did not start: $(cat "$log")"
}

build_rev old "$old"
build_rev new "$new"

# The config: OLD's (or SAME_RENDER_CONFIG), without politeness delays.
config_src=${SAME_RENDER_CONFIG:-$tmp/src-old/config.yaml}
[[ -f $config_src ]] || die "no config at $config_src"
sed -E 's/^([[:space:]]*delay_ms:)[[:space:]]*[0-9]+/\1 0/; s/^([[:space:]]*retry_wait_ms:)[[:space:]]*[0-9]+/\1 10/' \
    "$config_src" >"$tmp/config.yaml"

# Seed the archive with OLD's build against the fixtures.
serve "$fixtures/wechat-site"
wechat=$origin
serve "$fixtures/cert-site"
cert=$origin
mapfile -t starts < <(python3 -c 'import json,sys; print("\n".join(json.load(open(sys.argv[1]))["start_urls"]))' \
    "$fixtures/wechat-site/expected.json")
seed_args=(--config "$tmp/config.yaml" build --data "$tmp/data" --out "$tmp/seed-out" --backfill --no-ocr
    --delay-ms 0 --base-url "$wechat" --base-url "www.cert.org.cn=$cert")
for s in "${starts[@]}"; do seed_args+=(--start "$s"); done
echo "same-render: seeding the archive with old's build against the fixtures" >&2
# The fixtures include pages that fail on purpose (a deleted article, missing PDFs), so build may
# exit non-zero; what matters is that it archived issues.
"$tmp/old" "${seed_args[@]}" >"$tmp/seed.log" 2>&1 || echo "same-render: seeding build exited $? (see failures it reports; expected with these fixtures)" >&2
issues=$(find "$tmp/data" -name '*.json' 2>/dev/null | wc -l)
[[ $issues -gt 0 ]] || die "seeding archived nothing: $(tail -20 "$tmp/seed.log")"
echo "same-render: archive has $issues JSON files" >&2

# render_with NAME OUT: NAME's render of its own copy of the archive.
render_with() {
    local data=$tmp/data-$2
    cp -a "$tmp/data" "$data"
    "$tmp/$1" --config "$tmp/config.yaml" render --data "$data" --out "$tmp/$2" -q || die "render of $1 failed"
}
render_with old out-old
render_with new out-new
sleep 1.1
render_with new out-new-again
if ! diff -r "$tmp/out-new" "$tmp/out-new-again" >"$tmp/run.diff"; then
    echo "same-render: render output depends on the run (two renders of one archive by new differ):" >&2
    cat "$tmp/run.diff"
    exit 2
fi

echo "same-render: old $(git -C "$root" rev-parse --short "$old") vs new $(git -C "$root" rev-parse --short "$new"): $(find "$tmp/out-old" -type f | wc -l) files" >&2
if diff -r "$tmp/out-old" "$tmp/out-new"; then
    echo "identical"
else
    exit 1
fi
