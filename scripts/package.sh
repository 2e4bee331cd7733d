#!/usr/bin/env bash
# Builds cncert-feed for one target and packs the release archive, as the release workflow does
# (.github/workflows/release.yml); CI runs it with --no-build so these steps cannot rot.
#
#   scripts/package.sh [--no-build] [--profile NAME] TARGET VERSION OUTDIR
#   scripts/package.sh --sums-only OUTDIR
#
# TARGET is a Rust target triple (built with --target, binary in target/TRIPLE/PROFILE/) or
# `host` (built without --target, binary in target/PROFILE/; the archive is named with the host's
# triple). VERSION is the release's version (1.2.3; a leading v is dropped). The archive,
# OUTDIR/cncert-feed-VERSION-TRIPLE.tar.gz (.zip for Windows), holds one directory of that name
# with the binary, README.md, CHANGELOG.md, config.yaml and LICENSE* when present. Beside it:
# ARCHIVE.sha256, and OUTDIR/SHA256SUMS over every archive in OUTDIR (sha256sum -c format).
#
#   --no-build      pack the binary that is there (CI: the debug build `cargo test` made)
#   --profile NAME  cargo profile (default release; dev means target/.../debug)
#   --sums-only     check each ARCHIVE.sha256 in OUTDIR against its archive, then write SHA256SUMS
#
# Then it checks what it made: the sums, the archive's file list, and, when the target is the
# host's or has a cargo runner (CARGO_TARGET_<TRIPLE>_RUNNER), that the packed binary runs, says
# `cncert-feed VERSION` (for a VERSION that starts with a digit) and accepts the packed
# config.yaml (`check`). Needs bash (3.2 is enough), tar, gzip, sha256sum or shasum, and zip or
# python for a .zip.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
NAME="cncert-feed"

die() { echo "package: $*" >&2; exit 1; }
usage() { sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

sha256() { # the hex digest of one file
  if command -v sha256sum >/dev/null 2>&1; then
    local sum
    sum="$(sha256sum "$1")"
    sum="${sum%% *}"
    echo "${sum#\\}" # a leading backslash marks an escaped file name
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | cut -d' ' -f1
  else
    die "neither sha256sum nor shasum is installed"
  fi
}

archives_in() { # the archive file names in directory $1, sorted
  (cd "$1" && for f in "$NAME"-*.tar.gz "$NAME"-*.zip; do [ -f "$f" ] && echo "$f"; done | LC_ALL=C sort)
}

# Writes DIR/SHA256SUMS (`HASH  FILE`, two spaces) over every archive in DIR, then checks it.
write_sums() {
  local dir="$1" f sums=""
  for f in $(archives_in "$dir"); do
    sums="$sums$(sha256 "$dir/$f")  $f"$'\n'
  done
  [ -n "$sums" ] || die "no $NAME-*.tar.gz or $NAME-*.zip in $dir"
  printf '%s' "$sums" >"$dir/SHA256SUMS"
  check_sums "$dir"
}

# Every line of DIR/SHA256SUMS matches its file (also where sha256sum -c is missing: macOS).
check_sums() {
  local dir="$1" hash file n=0
  while read -r hash file; do
    file="${file#\*}"
    [ -f "$dir/$file" ] || die "SHA256SUMS names $file, which is not in $dir"
    [ "$(sha256 "$dir/$file")" = "$hash" ] || die "SHA-256 of $dir/$file does not match SHA256SUMS"
    n=$((n + 1))
  done <"$dir/SHA256SUMS"
  [ "$n" -gt 0 ] || die "$dir/SHA256SUMS is empty"
  echo "package: $dir/SHA256SUMS: $n archive(s), every sum checked"
}

run_python() { # a Python that works (Windows may have a python3 that only points to the Store)
  local p
  for p in python3 python; do
    if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import zipfile' >/dev/null 2>&1; then
      command "$p" "$@"
      return
    fi
  done
  die "no working python3 or python"
}

make_zip() { # make_zip OUT.zip DIR (run in DIR's parent); Git Bash on Windows has no zip
  if command -v zip >/dev/null 2>&1; then
    zip -q -r -X "$1" "$2"
  else
    run_python -m zipfile -c "$1" "$2"
  fi
}

list_zip() { # the member names of a .zip, one a line
  run_python -c 'import sys, zipfile; print("\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))' "$1"
}

BUILD=1
PROFILE="release"
SUMS_ONLY=0
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) BUILD=0; shift ;;
    --profile) PROFILE="${2:?--profile needs a name}"; shift 2 ;;
    --sums-only) SUMS_ONLY=1; shift ;;
    -h|--help) usage ;;
    --) shift; break ;;
    -*) echo "package: unknown option $1" >&2; usage ;;
    *) break ;;
  esac
done

if [ "$SUMS_ONLY" -eq 1 ]; then
  [ $# -eq 1 ] || usage
  OUT="$1"
  [ -d "$OUT" ] || die "$OUT is not a directory"
  for f in $(archives_in "$OUT"); do
    [ -f "$OUT/$f.sha256" ] || die "$OUT/$f has no $f.sha256 beside it (made by package.sh?)"
    want="$(cut -d' ' -f1 <"$OUT/$f.sha256")"
    [ "$(sha256 "$OUT/$f")" = "$want" ] || die "$OUT/$f changed since it was packed (SHA-256 differs from $f.sha256)"
  done
  write_sums "$OUT"
  exit 0
fi

[ $# -eq 3 ] || usage
TARGET="$1"
VERSION="${2#v}"
OUT="$3"
[ -n "$VERSION" ] || die "VERSION is empty"
case "$VERSION" in *[!A-Za-z0-9.+_-]*) die "VERSION $VERSION: only letters, digits and . + _ - please" ;; esac
command -v cargo >/dev/null 2>&1 || die "cargo is not installed"
HOST="$(rustc -vV | sed -n 's/^host: //p')"
[ -n "$HOST" ] || die "could not learn the host's target triple from rustc -vV"

PROFILE_DIR="$PROFILE"
[ "$PROFILE" = "dev" ] && PROFILE_DIR="debug"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
if [ "$TARGET" = "host" ]; then
  TRIPLE="$HOST"
  BIN_DIR="$TARGET_DIR/$PROFILE_DIR"
  TARGET_ARGS=()
else
  TRIPLE="$TARGET"
  BIN_DIR="$TARGET_DIR/$TRIPLE/$PROFILE_DIR"
  TARGET_ARGS=(--target "$TRIPLE")
fi
EXE=""
case "$TRIPLE" in *windows*) EXE=".exe" ;; esac
BIN="$BIN_DIR/$NAME$EXE"

if [ "$BUILD" -eq 1 ]; then
  echo "package: cargo build --profile $PROFILE --locked ${TARGET_ARGS[*]:-} --bin $NAME"
  (cd "$ROOT" && cargo build --profile "$PROFILE" --locked ${TARGET_ARGS[@]+"${TARGET_ARGS[@]}"} --bin "$NAME")
fi
[ -f "$BIN" ] || die "$BIN not found (build it first, or leave out --no-build)"

STEM="$NAME-$VERSION-$TRIPLE"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
STAGE="$(mktemp -d "${TMPDIR:-/tmp}/package.XXXXXX")"
trap 'rm -rf "$STAGE"' EXIT
mkdir "$STAGE/$STEM"
cp "$BIN" "$STAGE/$STEM/"
chmod 755 "$STAGE/$STEM/$NAME$EXE"
FILES=("$NAME$EXE")
for f in README.md CHANGELOG.md config.yaml; do
  [ -f "$ROOT/$f" ] || die "$ROOT/$f is missing; every archive carries it"
  cp "$ROOT/$f" "$STAGE/$STEM/"
  FILES+=("$f")
done
for f in "$ROOT"/LICENSE*; do
  [ -f "$f" ] || continue
  cp "$f" "$STAGE/$STEM/"
  FILES+=("$(basename "$f")")
done

# Packed in the staging directory and checked there; only a good archive goes to OUTDIR.
if [ -n "$EXE" ]; then
  ARCHIVE="$STEM.zip"
  (cd "$STAGE" && make_zip "$ARCHIVE" "$STEM")
  LISTING="$(list_zip "$STAGE/$ARCHIVE")"
else
  ARCHIVE="$STEM.tar.gz"
  TAR_OWNER=()
  if tar --version 2>/dev/null | grep -q 'GNU tar'; then TAR_OWNER=(--owner=0 --group=0 --numeric-owner); fi
  (cd "$STAGE" && tar ${TAR_OWNER[@]+"${TAR_OWNER[@]}"} -czf "$ARCHIVE" "$STEM")
  LISTING="$(tar -tzf "$STAGE/$ARCHIVE")"
fi

# The archive holds STEM/FILE for each file and nothing else (STEM/ itself may be listed or not).
want="$(for f in "${FILES[@]}"; do echo "$STEM/$f"; done | LC_ALL=C sort)"
got="$(printf '%s\n' "$LISTING" | sed 's#^\./##' | grep -v -x -e '' -e "$STEM/" | LC_ALL=C sort || true)"
if [ "$got" != "$want" ]; then
  printf 'package: %s does not hold what it should.\n--- expected\n%s\n--- found\n%s\n' "$ARCHIVE" "$want" "$got" >&2
  exit 1
fi

# The packed binary runs and knows its version: on the host's own target, or through the target's
# cargo runner (CARGO_TARGET_<TRIPLE>_RUNNER, e.g. "qemu-aarch64 -L /usr/aarch64-linux-gnu").
RUNNER_VAR="CARGO_TARGET_$(echo "$TRIPLE" | tr 'a-z.-' 'A-Z__')_RUNNER"
RUNNER="$(printenv "$RUNNER_VAR" || true)"
if [ "$TRIPLE" = "$HOST" ] || [ -n "$RUNNER" ]; then
  mkdir "$STAGE/unpacked"
  if [ -n "$EXE" ]; then
    (cd "$STAGE/unpacked" && run_python -m zipfile -e "$STAGE/$ARCHIVE" .)
  else
    tar -xzf "$STAGE/$ARCHIVE" -C "$STAGE/unpacked"
  fi
  # $RUNNER is a command line: split into words on purpose.
  # shellcheck disable=SC2086
  said="$(cd "$STAGE/unpacked/$STEM" && $RUNNER "./$NAME$EXE" --version | tr -d '\r')" ||
    die "the packed binary does not run${RUNNER:+ (through $RUNNER)}"
  case "$VERSION" in
    [0-9]*) [ "$said" = "$NAME $VERSION" ] || die "the packed binary says \"$said\", not \"$NAME $VERSION\" (tag and Cargo.toml version differ?)" ;;
  esac
  # shellcheck disable=SC2086
  (cd "$STAGE/unpacked/$STEM" && $RUNNER "./$NAME$EXE" check --quiet --config config.yaml) ||
    die "the packed binary refuses the packed config.yaml"
  echo "package: the packed binary runs${RUNNER:+ (through $RUNNER)}: $said; check --config config.yaml: OK"
else
  echo "package: $TRIPLE is not this host's ($HOST) and $RUNNER_VAR is not set: the packed binary was not run"
fi

rm -f "$OUT/$ARCHIVE"
mv "$STAGE/$ARCHIVE" "$OUT/$ARCHIVE"
printf '%s  %s\n' "$(sha256 "$OUT/$ARCHIVE")" "$ARCHIVE" >"$OUT/$ARCHIVE.sha256"
write_sums "$OUT"
echo "package: $OUT/$ARCHIVE ($(wc -c <"$OUT/$ARCHIVE" | tr -d ' ') bytes): ${FILES[*]}"
