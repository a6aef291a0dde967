# SPDX-License-Identifier: GPL-2.0-or-later
# integration-divert (domains with the stock <emulator> placed through
# `multikvm divert`) for real, in the lab (tests/lab/integration-lib.sh):
# 4 to 9 minutes under TCG (255 s and 517 s measured, the latter beside
# another lab).
# lab: modules=kvm-amd
# lab: hostroot=yes
# lab: timeout=1500
. /lab/lib.sh
. "$LAB_TOP/tests/lab/integration-lib.sh"
lab_integration integration-divert
