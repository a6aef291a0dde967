# SPDX-License-Identifier: GPL-2.0-or-later
# integration-smoke and integration-confinement (the attacker's view) for
# real, in the lab (tests/lab/integration-lib.sh).
# lab: modules=kvm-amd
# lab: hostroot=yes
# lab: timeout=1200
. /lab/lib.sh
. "$LAB_TOP/tests/lab/integration-lib.sh"
lab_integration integration-smoke integration-confinement
