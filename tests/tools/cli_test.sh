#!/usr/bin/env bash
# End-to-end tests of the `evlog` command-line tool: every command, its
# output (tables and JSON), exit codes and one-line errors, and reading a
# store that another process holds. Usage: cli_test.sh PATH_TO_EVLOG
# (registered with ctest in tools/CMakeLists.txt).
set -uo pipefail
EVLOG=${1:?usage: cli_test.sh PATH_TO_EVLOG}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/evlog-cli-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
export EVLOG_DIR=$TMP/store
failures=0
small=(--config segment_bytes=65536 --config max_record_bytes=4096)

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
# expect CODE DESCRIPTION -- CMD...: runs CMD, checks its exit code; its
# stdout is left in $TMP/out and stderr in $TMP/err.
expect() {
  local code=$1 what=$2; shift 3
  "$@" >"$TMP/out" 2>"$TMP/err"
  local got=$?
  if [ "$got" != "$code" ]; then
    fail "$what: exit $got, want $code"; sed 's/^/  | /' "$TMP/out" "$TMP/err"
  fi
}
contains() {  # contains FILE TEXT DESCRIPTION
  grep -qF -- "$2" "$1" || { fail "$3: no '$2' in:"; sed 's/^/  | /' "$1"; }
}
lines() {  # lines FILE N DESCRIPTION
  local n; n=$(wc -l <"$1")
  [ "$n" = "$2" ] || { fail "$3: $n lines, want $2"; sed 's/^/  | /' "$1"; }
}

# ---- usage and errors -------------------------------------------------------
expect 0 "help" -- "$EVLOG" --help
contains "$TMP/out" "topic create" "help lists commands"
expect 0 "version" -- "$EVLOG" --version
expect 2 "unknown command" -- "$EVLOG" frobnicate
contains "$TMP/err" 'evlog: unknown command "frobnicate"' "unknown command message"
expect 2 "unknown flag" -- "$EVLOG" topics --bogus
expect 1 "missing store" -- "$EVLOG" topics
contains "$TMP/err" "no evlog store" "missing store message"
lines "$TMP/err" 1 "errors are one line"

# ---- topics -------------------------------------------------------------------
expect 0 "create" -- "$EVLOG" topic create orders --partitions 3 "${small[@]}"
contains "$TMP/out" "created topic orders with 3 partitions" "create output"
expect 1 "create twice" -- "$EVLOG" topic create orders --partitions 3
contains "$TMP/err" "orders" "create twice names the topic"
expect 2 "create without partitions" -- "$EVLOG" topic create x
expect 1 "bad config" -- "$EVLOG" topic create x --partitions 1 --config nope=1
expect 1 "bad name" -- "$EVLOG" topic create 'bad/name' --partitions 1
expect 0 "create single" -- "$EVLOG" topic create events --partitions 1 "${small[@]}" --config durability=every_append
expect 0 "topics" -- "$EVLOG" topics
contains "$TMP/out" "orders  3" "topics table"
contains "$TMP/out" "every_append" "topics shows durability"
expect 0 "topics json" -- "$EVLOG" topics --json
contains "$TMP/out" '{"topic":"events","partitions":1' "topics json"
expect 0 "alter" -- "$EVLOG" topic alter orders --partitions 4
expect 1 "alter down" -- "$EVLOG" topic alter orders --partitions 2
expect 0 "alter config" -- "$EVLOG" topic alter events --config retention.ms=3600000 --config max.message.bytes=2048
contains "$TMP/out" "retention.ms = 3600000" "alter config output"
expect 0 "describe altered" -- "$EVLOG" topic describe events --json
contains "$TMP/out" '"retention_ms":"3600000"' "alter persisted"
expect 1 "alter bad value" -- "$EVLOG" topic alter events --config retention.ms=soon
contains "$TMP/err" "retention.ms" "alter error names the key"
expect 0 "alter reset" -- "$EVLOG" topic alter events --delete-config retention.ms
contains "$TMP/out" "retention.ms = 604800000 (default)" "alter reset output"
expect 2 "alter nothing" -- "$EVLOG" topic alter events
expect 0 "partitions" -- "$EVLOG" topic partitions orders
lines "$TMP/out" 5 "topic partitions: header + 4"

# ---- produce / consume ----------------------------------------------------------
seq 1 300 | sed 's/^/k/; s/$/=v/' >"$TMP/in"  # "k1=v" .. "k300=v" (key k1, value v)
expect 0 "produce" -- bash -c "\"$EVLOG\" produce orders --key-separator = --header src=test --acks <\"$TMP/in\""
lines "$TMP/out" 300 "one ack per record"
expect 0 "produce to partition" -- bash -c "printf 'a\nb\nc\n' | \"$EVLOG\" produce events --partition 0 --sync --acks --json"
contains "$TMP/out" '{"partition":0,"offset":2' "json acks"
expect 1 "produce unknown topic" -- bash -c "echo x | \"$EVLOG\" produce nope"
contains "$TMP/err" "nope" "unknown topic named"
expect 1 "produce bad partition" -- bash -c "echo x | \"$EVLOG\" produce events --partition 9"

expect 0 "consume all" -- "$EVLOG" consume orders
lines "$TMP/out" 300 "consume returns every record"
expect 0 "consume count" -- "$EVLOG" consume events --count 2 --format '%o:%s'
[ "$(cat "$TMP/out")" = $'0:a\n1:b' ] || fail "consume --format: $(cat "$TMP/out")"
expect 0 "consume from offset" -- "$EVLOG" consume events --from 2 --format '%s'
[ "$(cat "$TMP/out")" = "c" ] || fail "consume --from 2"
expect 0 "consume relative" -- "$EVLOG" consume events --from -1 --format '%s'
[ "$(cat "$TMP/out")" = "c" ] || fail "consume --from -1"
expect 0 "consume from end" -- "$EVLOG" consume events --from end
lines "$TMP/out" 0 "consume --from end"
expect 0 "consume time" -- "$EVLOG" consume events --from @0 --format '%s'
lines "$TMP/out" 3 "consume --from @0"
expect 0 "consume json" -- "$EVLOG" consume orders --count 1 --json
contains "$TMP/out" '"headers":[{"key":"src","value":"test"}]' "json headers"
contains "$TMP/out" '"key":"k' "json key"
expect 0 "consume headers" -- "$EVLOG" consume orders --count 1 --format '%k %h %S'
contains "$TMP/out" " src=test 1" "format %h %S"
expect 2 "bad format" -- "$EVLOG" consume orders --format '%q'
# Keys and values that are not UTF-8 stay valid JSON: base64 + "_encoding".
expect 0 "create bin" -- "$EVLOG" topic create bin --partitions 1 "${small[@]}"
expect 0 "produce binary" -- bash -c "printf 'k\\377=v\\376\\n' | \"$EVLOG\" produce bin --key-separator ="
expect 0 "consume binary json" -- "$EVLOG" consume bin --json
contains "$TMP/out" '"key":"a/8=","key_encoding":"base64","value":"dv4=","value_encoding":"base64"' "binary json"
if command -v python3 >/dev/null; then
  python3 -c 'import json,sys; json.load(sys.stdin)' <"$TMP/out" || fail "binary json is not valid JSON"
fi
# CLI11: per-command help, short flags, one-line usage errors.
expect 0 "command help" -- "$EVLOG" consume --help
contains "$TMP/out" "-f,--follow" "consume --help lists -f"
expect 0 "short flags" -- "$EVLOG" consume events -p 0 -n 1 -j
contains "$TMP/out" '"offset":0' "short flags work"
expect 2 "not an integer" -- "$EVLOG" consume events --count many
lines "$TMP/err" 1 "usage errors are one line"

# ---- groups ------------------------------------------------------------------------
expect 0 "consume group" -- "$EVLOG" consume orders --group g1 --count 100 --format '%o'
lines "$TMP/out" 100 "group consume count"
expect 0 "groups" -- "$EVLOG" groups
contains "$TMP/out" "g1" "groups lists g1"
expect 0 "group describe" -- "$EVLOG" group describe g1 --json
contains "$TMP/out" '"committed":' "committed offsets after 100 records"
expect 0 "group resumes" -- "$EVLOG" consume orders --group g1
lines "$TMP/out" 200 "group resumes at committed offsets"
expect 0 "reset dry run" -- "$EVLOG" group reset g1 --topic orders --to-earliest
contains "$TMP/out" "dry run" "dry run says so"
expect 0 "group still caught up" -- "$EVLOG" group describe g1 --json
contains "$TMP/out" '"lag":0' "dry run changed nothing"
expect 0 "reset execute" -- "$EVLOG" group reset g1 --topic orders --shift-by -5 --execute
expect 0 "after reset" -- "$EVLOG" group describe g1 --json
contains "$TMP/out" '"lag":' "describe after reset"
expect 2 "reset two modes" -- "$EVLOG" group reset g1 --topic orders --to-earliest --to-latest
expect 0 "group delete" -- "$EVLOG" group delete g1
expect 1 "group gone" -- "$EVLOG" group describe g1

# ---- describe, stats, dump, verify ---------------------------------------------------
expect 0 "describe" -- "$EVLOG" topic describe orders
contains "$TMP/out" "DURABLE_END" "describe table"
expect 0 "describe json" -- "$EVLOG" topic describe events --json
contains "$TMP/out" '"end_offset":3' "describe json end offset"
expect 0 "stats" -- "$EVLOG" stats --json
contains "$TMP/out" '"records":304' "stats total records (303 + bin's 1)"
seq 1 2000 | "$EVLOG" produce events >/dev/null || fail "produce many"
part=$(ls -d "$EVLOG_DIR"/topics/events.*/0)
[ "$(ls "$part"/*.log | wc -l)" -gt 1 ] || fail "segments rolled"
expect 0 "dump dir" -- "$EVLOG" dump "$part"
contains "$TMP/out" "valid" "dump shows checksums"
expect 0 "dump segment payload" -- "$EVLOG" dump "$part/00000000000000000000.log" --print-payload
contains "$TMP/out" 'value "a"' "dump payload"
expect 0 "dump index" -- "$EVLOG" dump "$part/00000000000000000000.index" --json
contains "$TMP/out" '"base_offset":0' "dump index json"
expect 0 "verify clean" -- "$EVLOG" verify
contains "$TMP/out" "no problems found" "verify clean"

# ---- a store held by another process -------------------------------------------------
# This shell takes the store's lock (flock, as evlog does) on fd 9.
exec 9>>"$EVLOG_DIR/LOCK"
flock -n 9 || fail "take the lock"
expect 0 "read while held" -- "$EVLOG" consume events --count 1
expect 1 "write while held" -- bash -c "echo x | \"$EVLOG\" produce events"
contains "$TMP/err" "is in use by another process" "held store message"
# consume --follow tails the topic while someone else appends.
exec 9>&-  # release it
# No sleeps: the follower starts at an explicit offset (the current end of
# partition 0), so it cannot miss records produced before it is up, and its
# output is read through a FIFO, which blocks until the lines arrive.
end0=$("$EVLOG" consume events --partition 0 --format '%o\n' | wc -l)
mkfifo "$TMP/follow.fifo"
"$EVLOG" consume events --partition 0 --from "$end0" --follow --format '%s\n' \
  >"$TMP/follow.fifo" 2>"$TMP/follow.err" &
follower=$!
exec 8<"$TMP/follow.fifo"
printf 'live1\nlive2\n' | "$EVLOG" produce events --partition 0 || fail "produce while following"
got=""
for _ in 1 2; do
  IFS= read -r -t 120 line <&8 || fail "follow: no line ($(cat "$TMP/follow.err"))"
  got+="$line;"
done
kill -INT "$follower"; wait "$follower" || true
exec 8<&-
[ "$got" = "live1;live2;" ] || fail "follow: $got"

# ---- verify finds damage; --repair fixes what recovery can ----------------------------
last=$(ls "$part"/*.log | tail -1)
printf 'garbage' | dd of="$last" bs=1 seek=60000 conv=notrunc 2>/dev/null
rm -f "$part/00000000000000000000.index"
expect 1 "verify damaged" -- "$EVLOG" verify
contains "$TMP/out" "repairable" "verify reports repairable problems"
contains "$TMP/err" "problem(s) found" "verify error line"
expect 0 "verify repair" -- "$EVLOG" verify --repair
contains "$TMP/out" "repaired" "repair reports what it did"
expect 0 "verify after repair" -- "$EVLOG" verify
first=$(ls "$part"/*.log | head -1)
printf 'X' | dd of="$first" bs=1 seek=200 conv=notrunc 2>/dev/null
expect 1 "verify corrupt" -- "$EVLOG" verify --json
contains "$TMP/out" '"repairable":false' "corruption is not repairable"

# ---- delete-records and pattern subscriptions ---------------------------------------------
expect 0 "delete-records" -- "$EVLOG" topic delete-records events --before end --json
contains "$TMP/out" '"start_offset":' "delete-records reports the new start"
start=$("$EVLOG" topic describe events --json | grep -o '"start_offset":[0-9]*' | head -1 | cut -d: -f2)
[ "${start:-0}" -gt 0 ] || fail "delete-records advanced the log start ($start)"
expect 1 "delete-records past end" -- "$EVLOG" topic delete-records events --before 999999
expect 0 "consume pattern" -- "$EVLOG" consume 'ord.*' --pattern --group gp --format '%t\n'
contains "$TMP/out" "orders" "pattern subscription reads orders"
expect 2 "pattern without group" -- "$EVLOG" consume 'ord.*' --pattern

# ---- delete ------------------------------------------------------------------------------
expect 0 "delete" -- "$EVLOG" topic delete orders
expect 1 "describe deleted" -- "$EVLOG" topic describe orders

if [ "$failures" -gt 0 ]; then echo "$failures failure(s)"; exit 1; fi
echo "cli_test: all passed"
