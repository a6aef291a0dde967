# SPDX-License-Identifier: GPL-2.0-or-later
#
# Run /lab/scenario.sh, dump the kernel log and report the result with the
# run's unique marker ($LAB_MARKER), then power off.  Started by /init.
marker=$LAB_MARKER
bb=/lab/busybox
echo "$marker: BEGIN $(uname -r) cpus=$(grep -c ^processor /proc/cpuinfo) stage=$LAB_STAGE"
cd /lab && $bb sh /lab/scenario.sh
rc=$?
cd /
# Give background kernel work (deferred frees, workqueues) a moment to
# report anything before the log is taken.
$bb sleep 0.2
echo "$marker: DMESG-BEGIN"
$bb dmesg
echo "$marker: DMESG-END"
echo "$marker: RESULT $rc"
$bb sync
$bb poweroff -f
