# SPDX-License-Identifier: GPL-2.0-or-later
# TAP helpers of the shell tests (tests/unit/test-cli.sh, test-hook.sh,
# tests/install/test-multikvm-build.sh); T (a temporary directory) must be
# set before the first check.  A test may define before_check, run before
# each check.  End with: echo "1..$n"; [ "$failed" = 0 ]
n=0 failed=0

# skip_unless_root WHY: not root, the whole test is skipped (plan 1..0)
skip_unless_root() {
    [ "$(id -u)" = 0 ] && return 0
    echo "1..0 # SKIP $(basename "$0") needs root ($1)"
    exit 0
}

# check NAME EXPECTED_RC COMMAND... ; output in $T/out, stderr in $T/err
check() {
    local name=$1 want=$2; shift 2
    n=$((n + 1))
    if declare -F before_check >/dev/null; then before_check; fi
    "$@" > "$T/out" 2> "$T/err"
    local rc=$?
    if [ "$rc" != "$want" ]; then
        echo "not ok $n - $name (exit $rc, want $want)"; sed 's/^/#   /' "$T/out" "$T/err"
        failed=$((failed + 1)); return 1
    fi
    echo "ok $n - $name"
}
# expect PATTERN FILE: grep -E in out/err of the last check
expect() {
    n=$((n + 1))
    if grep -qE -- "$1" "$T/$2"; then echo "ok $n - $2 has '$1'"
    else echo "not ok $n - $2 lacks '$1'"; sed 's/^/#   /' "$T/$2"; failed=$((failed + 1)); fi
}
# ok NAME COMMAND...: COMMAND succeeds (out/err of the last check shown if not)
ok() {
    local name=$1; shift
    n=$((n + 1))
    if "$@"; then echo "ok $n - $name"; else
        echo "not ok $n - $name"; sed 's/^/#   /' "$T/out" "$T/err"; failed=$((failed + 1)); fi
}
