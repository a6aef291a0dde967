# SPDX-License-Identifier: GPL-2.0-or-later
# integration-nova (placement by Nova flavor, refusals counted, multikvm
# export before and after) for real, in the lab
# (tests/lab/integration-lib.sh): 327 s measured under TCG.
# lab: modules=kvm-amd
# lab: hostroot=yes
# lab: timeout=1500
. /lab/lib.sh
. "$LAB_TOP/tests/lab/integration-lib.sh"
lab_integration integration-nova
