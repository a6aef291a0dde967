#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# multikvm evacuate: running domains leave an instance now (save to tmpfs,
# restore elsewhere) and keep their state; an unsaveable one is refused and
# keeps running; --max-pause-ms refuses before pausing; one run at a time.
. "$MKVM_LIB"
write_policy

# evac_xml NAME MIB [METADATA] [EXTRA DEVICES]: the tick payload, its serial
# log appended to (a restarted guest would print "start" again).
evac_xml() {
	domain_xml "$1" "$MKVM_WRAPPER" "${3:-}" | sed -e "s|<memory unit='MiB'>16<|<memory unit='MiB'>$2<|" \
		-e "s|\.serial'/>|.serial' append='on'/>|" -e "s|</devices>|${4:-}</devices>|"
}
evac_define() {
	evac_xml "$@" > "$MKVM_T/$1.xml"
	virsh -q define "$MKVM_T/$1.xml" >/dev/null
}
last_tick() { python3 "$MKVM_TICKS" last "$MKVM_T/$1.serial"; }
# wait_ticks NAME N: the guest printed tick N (or later), within 60 s
wait_ticks() {
	for _ in $(seq 600); do
		[ "$(last_tick "$1")" -ge "$2" ] && return 0
		sleep 0.1
	done
	echo "#   $1: tick $2 not reached (last $(last_tick "$1"))"
	return 1
}
# one_run NAME: the serial log holds one boot ("start" once) and its ticks
# never go back: the guest was not restarted.
one_run() {
	local f=$MKVM_T/$1.serial
	[ "$(grep -c 'multikvm payload: start' "$f")" = 1 ] ||
		{ echo "#   $1 booted $(grep -c 'multikvm payload: start' "$f") times"; return 1; }
	# (complete lines only: the guest may be writing the last one)
	awk '/^multikvm payload: tick [0-9]+ tsc=[0-9a-f]+$/ && length($5) == 20 {
		n = $4 + 0; if (n <= last) { print "#   tick " n " after " last; bad = 1 } last = n }
	     END { exit bad }' "$f"
}
json_get() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }
# holders N: domains whose QEMU holds kvmN
holders() {
	local d
	for d in $(virsh -q list --name); do
		dom_kvm_nodes "$d" | grep -qx "$MKVM_DEV/kvm$1" && echo "$d"
	done
	return 0
}

MKVM_TICKS=$(dirname "$MKVM_LIB")/../e2e/ticks.py
# e1 pinned to 7, e2 placed there by the policy (7 is the least-loaded
# lowest id), e3 pinned to 7 with an ivshmem peer, which libvirt refuses
# to save (QEMU blocks migration of a peer).
evac_define e1 32 "$(meta "instance='7'")"
evac_define e2 64
evac_define e3 16 "$(meta "instance='7'")" \
	"<shmem name='evac-peer' role='peer'><model type='ivshmem-plain'/><size unit='M'>1</size></shmem>"
for d in e2 e1 e3; do check "start $d" virsh -q start $d; done
for d in e1 e2 e3; do check "$d on kvm7" on_node $d 7; done
for d in e1 e2 e3; do check "$d ticks" wait_ticks $d 3; done

# Another evacuation holds the lock: refused at once, nothing touched.
out=$(flock "$RUNDIR/evacuate.lock" "$MKVM_CLI" evacuate 7 2>&1) && rc=0 || rc=$?
echo "#   $out"
check "a second evacuate is refused (exit 4)" test "$rc" = 4
check "... saying another one runs" sh -c 'printf "%s\n" "$1" | grep -q "another .multikvm evacuate. is running"' - "$out"
check "... and 7 is not drained by it" sh -c "! '$MKVM_CLI' status | grep -q 'instance 7 draining'"

# --max-pause-ms below the prior's estimate: each domain refused before it
# is paused.
out=$("$MKVM_CLI" evacuate 7 --max-pause-ms 1 2>&1) && rc=0 || rc=$?
printf '#   %s\n' "$out"
check "max-pause 1 ms: exit 4 (refused)" test "$rc" = 4
check "... one refusal line per domain" test "$(printf '%s\n' "$out" | grep -c "refused, left running on instance 7: .*exceeds --max-pause-ms 1")" = 3

for d in e1 e2 e3; do check "... $d still on kvm7" on_node $d 7; done
check "... instance 7 is draining (evacuate)" sh -c "'$MKVM_CLI' status | grep -q 'instance 7 draining since .*: evacuate'"

# The evacuation: e1 (pin replaced by the policy's choice) and e2 move, e3
# is refused by libvirt and keeps running.
declare -A before
for d in e1 e2 e3; do before[$d]=$(last_tick $d); done
t0=$(ms)
"$MKVM_CLI" evacuate 7 --json > "$MKVM_T/evac.json" 2> "$MKVM_T/evac.err" && rc=0 || rc=$?
echo "# evacuate took $(( $(ms) - t0 )) ms"
sed 's/^/#   /' "$MKVM_T/evac.json" "$MKVM_T/evac.err"
check "evacuate 7: exit 4 (one refused)" test "$rc" = 4
check "json: 2 moved, 1 refused, 0 failed" test "$(json_get "$MKVM_T/evac.json" '(d["moved"], d["refused"], d["failed"])')" = "(2, 1, 0)"
for d in e1 e2; do
	to=$(json_get "$MKVM_T/evac.json" "[x for x in d['domains'] if x['name'] == '$d'][0]['to']")
	pause=$(json_get "$MKVM_T/evac.json" "[x for x in d['domains'] if x['name'] == '$d'][0]['pause_ms']")
	echo "# $d: to instance $to, paused $pause ms"
	check "$d moved off 7 (to $to)" test "$to" = 8 -o "$to" = 9
	check "$d runs on kvm$to (QEMU's fd and the record)" on_node $d "$to"
	check "$d keeps ticking" wait_ticks $d $((before[$d] + 3))
	check "$d was not restarted (one boot, ticks never go back)" one_run $d
	check "$d's save image is gone" test ! -e "$RUNDIR/evacuate/$(dom_uuid $d).save"
done
check "e1's live pin now names its new instance" sh -c "virsh dumpxml e1 | grep -q \"instance=.$(rec_get e1 instance).\""
msg=$(json_get "$MKVM_T/evac.json" "[x for x in d['domains'] if x['name'] == 'e3'][0]['message']")
echo "# e3: $msg"
check "e3 refused: libvirt cannot save it" sh -c 'printf "%s\n" "$1" | grep -q "^libvirt cannot save it: "' - "$msg"
check "e3 still runs on kvm7" on_node e3 7
check "e3 keeps ticking, same boot" wait_ticks e3 $((before[e3] + 3))
check "e3 one boot" one_run e3
check "only e3 holds kvm7" test "$(holders 7)" = e3

# --to: the last domain leaves and the instance is empty.
check "undrain 7" undrain 7
evac_define e4 16 "$(meta "instance='7'")"
check "start e4" virsh -q start e4
check "e4 on kvm7" on_node e4 7
check "destroy e3" virsh -q destroy e3
b4=$(last_tick e4)
out=$("$MKVM_CLI" evacuate 7 --to 9 2>&1) && rc=0 || rc=$?
printf '#   %s\n' "$out"
check "evacuate 7 --to 9: exit 0" test "$rc" = 0
check "... one line with e4's pause" sh -c 'printf "%s\n" "$1" | grep -Eq "domain .e4. moved from instance 7 to 9: paused [0-9]+ ms \(16 MiB\)"' - "$out"
check "e4 on kvm9" on_node e4 9
check "e4 keeps ticking, same boot" wait_ticks e4 $((b4 + 3))
check "e4 one boot" one_run e4
check "instance 7 is empty: no QEMU holds kvm7" test -z "$(holders 7)"
check "... and no record names it" test "$(for f in "$RUNDIR"/domains/*.json; do rec_get "$(basename "$f" .json)" instance; done | grep -cx 7)" = 0
check "no save image left" sh -c "! ls $RUNDIR/evacuate/ | grep -q ."
for d in e1 e2 e4; do virsh -q destroy $d >/dev/null; done
finish
