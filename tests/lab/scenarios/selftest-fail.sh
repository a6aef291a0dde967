# SPDX-License-Identifier: GPL-2.0-or-later
# Harness self-test: a scenario whose check fails must be reported as FAIL.
. /lab/lib.sh
check "a check that cannot hold" test -e /nonexistent
