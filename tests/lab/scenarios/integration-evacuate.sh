# SPDX-License-Identifier: GPL-2.0-or-later
# integration-evacuate (multikvm evacuate's real save and restore: guests
# move off an instance and keep counting, an unsaveable one is refused and
# keeps running) for real, in the lab (tests/lab/integration-lib.sh):
# 573 s measured under TCG on a loaded machine.
# lab: modules=kvm-amd
# lab: hostroot=yes
# lab: timeout=1500
. /lab/lib.sh
. "$LAB_TOP/tests/lab/integration-lib.sh"
lab_integration integration-evacuate
