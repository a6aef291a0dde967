# SPDX-License-Identifier: GPL-2.0-or-later
# Harness self-test: a scenario that never finishes must be reported as
# TIMEOUT once its time limit is reached.
# lab: timeout=15
sleep 1000
