# SPDX-License-Identifier: GPL-2.0-or-later
# Harness self-test: a scenario without stages= announces a crash into a
# next stage and panics (sysrq c). No stage follows, so the panic is not
# expected: the lab must report CRASH.
. /lab/lib.sh
lab_stage_announce crash
echo c >/proc/sysrq-trigger
