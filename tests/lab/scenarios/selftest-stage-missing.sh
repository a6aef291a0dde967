# SPDX-License-Identifier: GPL-2.0-or-later
# Harness self-test: a scenario of two stages that ends in stage 1 without
# lab_next_stage (exit 0). The lab must report FAIL: stage 2 never ran.
# lab: stages=2
. /lab/lib.sh
echo "stage $LAB_STAGE ends the scenario"
