#!/usr/bin/env bash
# Formatting check (run by scripts/test.sh): every C++ file in the tree must
# be as clang-format 14 leaves it with the repo's .clang-format (Google
# style). To fix: scripts/check-format.sh --fix
set -euo pipefail
cd "$(dirname "$0")/.."
cf=$(command -v clang-format-14 || command -v clang-format)
mapfile -t files < <(git ls-files --cached --others --exclude-standard '*.h' '*.cc')
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if [ "${1:-}" = --fix ]; then
  "$cf" -i "${files[@]}"
  exit 0
fi
if ! "$cf" --dry-run --Werror "${files[@]}" 2>"$log"; then
  grep -oE '^[^: ]+\.(h|cc):[0-9]+' "$log" | sort -u | head -20 >&2
  echo "format check: files above differ from clang-format's output;" \
       "run scripts/check-format.sh --fix" >&2
  exit 1
fi
echo "format check: ${#files[@]} files as clang-format leaves them"
