#!/usr/bin/env bash
# Prints the CHANGELOG.md section of one version: the lines under `## [X.Y.Z]` (a date or other
# text may follow the bracket) up to the next `## ` heading or the link definitions at the end,
# without the heading and without blank lines around it. The release notes of a tag.
#
#   scripts/changelog-section.sh VERSION [CHANGELOG]     (VERSION: 1.2.3, v1.2.3 or Unreleased)
#
# Exit 1, with the reason on stderr, when the section is absent or has nothing in it: a release
# must not go out with empty notes. `Unreleased` is accepted for dry runs.
set -euo pipefail
if [ $# -lt 1 ] || [ $# -gt 2 ] || [ -z "$1" ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
  sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
VERSION="${1#v}"
case "$VERSION" in [uU]nreleased) VERSION="Unreleased" ;; esac
FILE="${2:-$(cd "$(dirname "$0")/.." && pwd)/CHANGELOG.md}"
if [ ! -f "$FILE" ]; then
  echo "changelog-section: $FILE not found" >&2
  exit 1
fi

# awk (POSIX, so macOS's too): prints the section; exit 3 when the heading is not there.
set +e
SECTION="$(awk -v want="## [$VERSION]" '
  BEGIN { found = 0; inside = 0 }
  {
    sub(/\r$/, "")
    if (index($0, "## ") == 1) {
      if (inside) { exit }
      if (index($0, want) == 1) { found = 1; inside = 1; next }
    }
    if (inside && $0 ~ /^\[[^]]+\]: /) { exit }
    if (inside) { print }
  }
  END { if (!found) exit 3 }
' "$FILE")"
status=$?
set -e
if [ "$status" -eq 3 ]; then
  echo "changelog-section: no \"## [$VERSION]\" section in $FILE; add one before tagging v$VERSION" >&2
  exit 1
elif [ "$status" -ne 0 ]; then
  echo "changelog-section: awk failed on $FILE (exit $status)" >&2
  exit 1
fi
# Blank lines at both ends go ($(...) already took the trailing ones).
SECTION="$(printf '%s\n' "$SECTION" | awk 'NF { started = 1 } started')"
if [ -z "$(printf '%s' "$SECTION" | tr -d '[:space:]')" ]; then
  echo "changelog-section: the \"## [$VERSION]\" section of $FILE is empty" >&2
  exit 1
fi
printf '%s\n' "$SECTION"
