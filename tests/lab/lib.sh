# SPDX-License-Identifier: GPL-2.0-or-later
#
# Helpers for lab scenarios (sourced by /init inside the lab guest and by
# every scenario).  A scenario is a busybox sh script; it fails by exiting
# non-zero.  Kernel log, markers and verdicts are the harness's business.

LAB_MODDIR=/lib/modules/$(uname -r)
# LAB_TOP, LAB_BUILD_DIR, LAB_KMOD_DIR: host paths of the repository, the
# build directory and our modules (reachable under $LAB_ROOT after lab_hostroot)
# LAB_MACHINE: qemu (the SVM lab) or bochs (the VMX lab)
[ -f /lab/env ] && . /lab/env

# step "text": a readable step line in the console output
step() {
	echo "== $*"
}

# die "text": fail the scenario with one line
die() {
	echo "FAIL: $*"
	exit 1
}

# check "description" command...: run a command, fail the scenario if it fails
check() {
	local what=$1
	shift
	if "$@"; then
		echo "ok: $what"
	else
		die "$what (command: $*)"
	fi
}

# expect_fail "description" command...: the command must fail
expect_fail() {
	local what=$1
	shift
	if "$@"; then
		die "$what: command unexpectedly succeeded (command: $*)"
	else
		echo "ok: $what"
	fi
}

# lab_load MODULE [PARAM=VALUE...]: load a module and its dependencies
lab_load() {
	modprobe "$@" || die "cannot load module $1"
}

# lab_unload MODULE: remove a module
lab_unload() {
	rmmod "$1" || die "cannot remove module $1"
}

# lab_mount_hostroot DIR: mount the host's root (9p, read-only) with a tmpfs
# overlay at DIR, with proc, sys, dev, run, cgroup2 and this kernel's
# modules inside, and copy /lab there.  /init then makes DIR the root.
lab_mount_hostroot() {
	local root=$1 m
	for m in netfs 9pnet 9pnet_virtio 9p overlay; do
		modprobe "$m" || die "cannot load $m for the host root"
	done
	mkdir -p /mnt/lower /mnt/rw "$root"
	mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose \
		hostroot /mnt/lower || die "cannot mount the host root over 9p"
	mount -t tmpfs -o size=1G tmpfs /mnt/rw
	mkdir -p /mnt/rw/upper /mnt/rw/work
	mount -t overlay overlay \
		-o lowerdir=/mnt/lower,upperdir=/mnt/rw/upper,workdir=/mnt/rw/work \
		"$root" || die "cannot mount the overlay on the host root"
	mount -t proc proc "$root/proc"
	mount -t sysfs sysfs "$root/sys"
	mount -t devtmpfs devtmpfs "$root/dev"
	mkdir -p "$root/dev/pts" "$root/dev/shm"
	mount -t devpts devpts "$root/dev/pts"
	mount -t tmpfs tmpfs "$root/dev/shm"
	mount -t tmpfs tmpfs "$root/run"
	# /tmp stays the host's (through the overlay): a checkout may live there.
	mount -t cgroup2 cgroup2 "$root/sys/fs/cgroup" 2>/dev/null
	mount -t debugfs debugfs "$root/sys/kernel/debug" 2>/dev/null
	mkdir -p "$root$LAB_MODDIR"
	mount --bind "$LAB_MODDIR" "$root$LAB_MODDIR"
	rm -rf "$root/lab"
	cp -a /lab "$root/lab"
}

# Under Bochs (the VMX lab) the kernel boots at loglevel=1 (serial output is
# slow there); /init (PID 1) lets warnings reach the console live from now
# on.  The whole kernel log is still judged at the end, as in the SVM lab
# (Debian's 6.12.117 boots without WARNs on corei7_skylake_x, 1 or 2 CPUs).
# Bochs's UART also sends at a real 115200 baud (in virtual time), so the
# last 4 KiB written to the console (the end of the log dump and the result
# line) may still be queued when run.sh powers off: /lab/busybox, which
# run.sh uses, becomes a wrapper that drains the console first (stty sets
# the unchanged terminal modes with TCSADRAIN, which waits for the UART).
if [ $$ = 1 ] && [ "$LAB_MACHINE" = bochs ]; then
	echo 5 >/proc/sys/kernel/printk
	if [ ! -e /lab/busybox.real ]; then
		mv /lab/busybox /lab/busybox.real
		cat >/lab/busybox <<-'WRAP'
		#!/lab/busybox.real sh
		if [ "$1" = poweroff ]; then
			/lab/busybox.real stty -F /dev/console "$(/lab/busybox.real stty -F /dev/console -g)"
		fi
		exec /lab/busybox.real "$@"
		WRAP
		chmod 755 /lab/busybox
	fi
fi

# lab_devno NODE: "major:minor" of a char device, in decimal (as vac's sysfs)
lab_devno() {
	set -- $(stat -c '%t %T' "$1")
	printf '%d:%d' "0x$1" "0x$2"
}

# lab_wait_vms ID N: wait up to 20 s until vac counts N VMs on instance ID
lab_wait_vms() {
	local i=0
	while [ "$(cat /sys/kernel/vac/instances/$1/vms)" != "$2" ]; do
		i=$((i + 1))
		[ $i -lt 200 ] || return 1
		sleep 0.1
	done
}

# lab_vm_report: for every VM of every KVM (stock and instances), its exit
# counters sampled twice a second apart, then 0.2 s of kvm_exit events: a
# guest that runs without progress shows exits racing with io_exits flat; a
# kvm_exit RIP in the lab kernel's own text (0xffff...) means the emulator
# put the host's state into the guest's VMCB (docs/lab.md, the vCPU 0 race).
lab_vm_report() {
	local t d s l ev tr=/sys/kernel/tracing
	for t in 1 2; do
		for d in /sys/kernel/debug/kvm*/*-*; do
			[ -d "$d" ] || continue
			l="vm $d (sample $t):"
			for s in exits io_exits halt_exits irq_exits pf_taken pf_fixed pf_emulate; do
				[ -r "$d/$s" ] && l="$l $s=$(cat "$d/$s")"
			done
			echo "$l"
		done
		[ $t = 2 ] || sleep 1
	done
	[ -d $tr/events ] || mount -t tracefs none $tr 2>/dev/null || return 0
	echo >$tr/trace
	for t in 1 0; do
		for ev in $tr/events/kvm*/kvm_exit; do
			[ -d "$ev" ] && echo $t >"$ev/enable"
		done
		echo $t >$tr/tracing_on
		[ $t = 0 ] || sleep 0.2
	done
	grep -m 8 kvm_exit $tr/trace
	echo >$tr/trace
}

# lab_tlb_check_clean: vac's TLB tag check (debug builds, docs/lab.md) saw
# the guests' entries and no tag passing between vCPUs without a flush
# (which was a WARN already); says so when vac is not a debug build.
lab_tlb_check_clean() {
	local t=/sys/kernel/debug/vac/tlb_check
	if [ ! -r $t ]; then
		echo "vac has no TLB tag check (not a debug build: -Dkmod_debug_tlb=false)"
		return 0
	fi
	echo "vac's TLB tag check: $(tr '\n' ' ' <$t)"
	check "vac's TLB tag check saw the guests' entries" test "$(sed -n 's/^runs //p' $t)" -gt 1000
	check "...and no tag passed between vCPUs without a flush" test "$(sed -n 's/^violations //p' $t)" = 0
}

# lab_powerbutton_in SECONDS: the harness presses the ACPI power button
# SECONDS s from now (QEMU with `# lab: powerbutton=yes`, which sets
# LAB_POWERBUTTON=yes; needs the button module), e.g. to wake the lab from
# s2idle, which QEMU's RTC alarm cannot (it only wakes a machine in S3).
lab_powerbutton_in() {
	[ "$LAB_POWERBUTTON" = yes ] || die "lab_powerbutton_in: the scenario needs '# lab: powerbutton=yes' (QEMU only)"
	echo "$LAB_MARKER: POWERBUTTON $1"
}

# Long-running checked guests (kvmtest -t ... -p S), given as PID:LOG words:
# lab_guests_progress WHEN PID:LOG...: each is alive and prints a new
# progress line, within 120 s
lab_guests_progress() {
	local when=$1 g f before i
	shift
	for g in "$@"; do
		f=${g#*:}
		before=$(grep -c progress $f)
		i=0
		while [ "$(grep -c progress $f)" = "$before" ]; do
			kill -0 ${g%%:*} 2>/dev/null || { cat $f; die "$when: guest $f stopped"; }
			i=$((i + 1))
			[ $i -le 1200 ] || die "$when: guest $f made no progress for 120 s"
			sleep 0.1
		done
	done
	echo "ok: $when: every guest makes progress"
}

# lab_guests_end PID:LOG...: stop each (SIGTERM ends kvmtest after the
# current batch, checked); each must pass every check and report its total
lab_guests_end() {
	local g f r
	for g in "$@"; do
		kill -TERM ${g%%:*}
	done
	for g in "$@"; do
		f=${g#*:}
		if wait ${g%%:*}; then r=0; else r=$?; fi
		tail -n 1 $f
		check "guest $f passed every check" test $r = 0
		check "...and reported its total" grep -q "PASS .* exits in .* batches" $f
	done
}

# lab_vms_everywhere NCPU DEVICE...: a fresh VM with 1000 checked exits on
# each device on each of CPUs 0..NCPU-1
lab_vms_everywhere() {
	local ncpu=$1 c dev
	shift
	c=0
	while [ $c -lt $ncpu ]; do
		for dev in "$@"; do
			check "$dev on CPU $c: 1000 checked exits" kvmtest -q -n 1000 -c $c $dev
		done
		c=$((c + 1))
	done
}

# lab_rdmsr CPU MSR: the MSR's value on CPU, 16 hex digits (/dev/cpu/N/msr)
lab_rdmsr() {
	[ -c /dev/cpu/$1/msr ] || modprobe msr || die "cannot load the msr module"
	dd if=/dev/cpu/$1/msr bs=8 count=1 skip=$(($2)) iflag=skip_bytes 2>/dev/null |
		od -An -tx8 | tr -d ' \n'
}

# Scenarios of several stages (# lab: stages=N): each stage but the last
# ends with lab_next_stage; the next boot runs the same scenario with
# LAB_STAGE one higher (docs/lab.md).

# lab_next_cmdline [PREFIX...]: this kernel's command line for the next
# stage, without the parameters starting with PREFIX
lab_next_cmdline() {
	local p d out=
	for p in $(cat /proc/cmdline); do
		for d in mkvm.stage= "$@"; do
			case $p in "$d"*) continue 2 ;; esac
		done
		out="$out$p "
	done
	echo "${out}mkvm.stage=$((LAB_STAGE + 1))"
}

# lab_load_crash_kernel: load this lab kernel and the first stage's
# initramfs as the crash kernel, on one CPU (# lab: kexec=yes and
# cmdline=crashkernel=SIZE)
lab_load_crash_kernel() {
	[ -r /lab/kexec/vmlinuz ] ||
		die "no kernel to kexec into (# lab: kexec=yes; the first stage has it)"
	kexec -p /lab/kexec/vmlinuz --initrd=/lab/kexec/initrd.cpio \
		--append="$(lab_next_cmdline crashkernel=) nr_cpus=1" ||
		die "cannot load the crash kernel (crashkernel= on the command line?)"
	check "the crash kernel is loaded" test "$(cat /sys/kernel/kexec_crash_loaded)" = 1
}

# lab_load_kexec_kernel: load this lab kernel and the first stage's
# initramfs for kexec -e into the next stage (# lab: kexec=yes).  A scenario
# calls it early when the system will be busy at the end: under Bochs,
# kexec -l of the ~70 MB initramfs with four guests running did not finish
# in 10 minutes.
lab_load_kexec_kernel() {
	[ -r /lab/kexec/vmlinuz ] ||
		die "no kernel to kexec into (# lab: kexec=yes; the first stage has it)"
	kexec -l /lab/kexec/vmlinuz --initrd=/lab/kexec/initrd.cpio \
		--append="$(lab_next_cmdline)" || die "kexec -l failed"
	check "the next stage's kernel is loaded" test "$(cat /sys/kernel/kexec_loaded)" = 1
}

# lab_stage_announce HOW [TEXT...]: tell the harness this stage ends by HOW
# (reboot, kexec or crash) and that each TEXT must reach the console before
# the next stage begins; dump the kernel log to be judged, and send every
# later kernel message (the shutdown's) to the console.
lab_stage_announce() {
	local how=$1 t
	shift
	for t in "$@"; do
		echo "$LAB_MARKER: EXPECT $t"
	done
	echo "$LAB_MARKER: NEXT-STAGE $((LAB_STAGE + 1)) $how"
	sleep 0.2
	echo "$LAB_MARKER: DMESG-BEGIN"
	dmesg
	echo "$LAB_MARKER: DMESG-END"
	# Under Bochs the UART sends in (virtual) real time: let it drain
	# before a kexec resets it (stty sets the same modes with TCSADRAIN).
	stty -F /dev/console "$(stty -F /dev/console -g)"
	echo 8 >/proc/sys/kernel/printk
}

# lab_next_stage HOW [TEXT...]: end this stage by HOW and boot the next:
#   reboot  reboot -f; the harness boots the next stage (QEMU lab only)
#   kexec   kexec -e into the lab kernel and initramfs (kexec=yes)
#   crash   panic (sysrq c) into the crash kernel (lab_load_crash_kernel,
#           done here if not yet)
# Each TEXT must be on the console between this and the next stage.
lab_next_stage() {
	local how=$1
	[ $((LAB_STAGE + 1)) -le "${LAB_STAGES:-1}" ] ||
		die "lab_next_stage: stage $LAB_STAGE is the last (# lab: stages=${LAB_STAGES:-1})"
	case $how in
	reboot)
		[ "$LAB_MACHINE" = qemu ] ||
			die "lab_next_stage reboot: only the QEMU lab boots a next stage after a reboot"
		;;
	kexec)
		[ "$(cat /sys/kernel/kexec_loaded)" = 1 ] || lab_load_kexec_kernel
		;;
	crash)
		[ "$(cat /sys/kernel/kexec_crash_loaded)" = 1 ] || lab_load_crash_kernel
		;;
	*)
		die "lab_next_stage: unknown way '$how' (reboot, kexec or crash)"
		;;
	esac
	lab_stage_announce "$@"
	case $how in
	reboot) reboot -f ;;
	kexec) kexec -e ;;
	crash) echo c >/proc/sysrq-trigger ;;
	esac
	die "lab_next_stage $how: the system is still running"
}

# lab_svme CPU: 1 if SVM is on on CPU (EFER.SVME), else 0
lab_svme() {
	local efer
	efer=$(lab_rdmsr "$1" 0xc0000080)
	[ -n "$efer" ] || die "cannot read EFER on CPU$1"
	echo $(((0x$efer >> 12) & 1))
}

# lab_start_guests DEVICE:CPU...: a checked kvmtest guest on each DEVICE,
# pinned to CPU, looping until the system goes down, with a progress line
# a second in /tmp/guest.N (N counts from 1); returns when each has made
# progress
lab_start_guests() {
	local g n=0 i t
	for g in "$@"; do
		n=$((n + 1))
		kvmtest -n 1000 -t 3600 -p 1 -c "${g#*:}" "${g%:*}" >/tmp/guest.$n 2>&1 &
	done
	for i in $(seq $n); do
		t=0
		until grep -q progress /tmp/guest.$i; do
			t=$((t + 1))
			[ $t -lt 600 ] || { cat /tmp/guest.$i; die "guest $i made no progress in 60 s"; }
			sleep 0.1
		done
		echo "ok: guest $i runs: $(tail -n 1 /tmp/guest.$i)"
	done
}

# lab_churn_vms DEVICE CPU: create, run (two checked exits) and close VMs on
# DEVICE in a loop, pinned to CPU, until the system goes down, counting them
# in /tmp/churn; returns after the first.  On an instance loaded with
# enable_virt_at_load=0 and no other VM, each turns its virtualization on
# and off.
lab_churn_vms() {
	local t=0
	: >/tmp/churn
	(while :; do kvmtest -q -n 2 -c "$2" "$1" && echo >>/tmp/churn; done) >/dev/null 2>&1 &
	until [ -s /tmp/churn ]; do
		t=$((t + 1))
		[ $t -lt 600 ] || die "no VM on $1 ran in 60 s"
		sleep 0.1
	done
	echo "ok: VMs come and go on $1"
}

# lab_virt_reusable: this kernel can turn virtualization on again: no KVM
# is loaded yet; SVM: EFER.SVME is clear on every CPU; then stock kvm_amd or
# kvm_intel loads and runs a checked guest on each CPU, and unloads.  (VMX
# left on by the previous kernel leaves nothing to read here: clearing
# CR4.VMXE in VMX operation faults, so kexec or this kernel's boot dies.)
lab_virt_reusable() {
	local c cpus kvm=kvm_intel
	cpus=$(sed -n 's/^processor[^0-9]*//p' /proc/cpuinfo)
	check "no KVM is loaded yet" test ! -e /sys/module/kvm
	if grep -qw svm /proc/cpuinfo; then
		kvm=kvm_amd
		for c in $cpus; do
			check "EFER.SVME is clear on CPU$c" test "$(lab_svme $c)" = 0
		done
	fi
	lab_load $kvm
	for c in $cpus; do
		check "stock $kvm runs a checked guest on CPU$c" kvmtest -q -n 10000 -c $c /dev/kvm
	done
	check "$kvm unloads" rmmod $kvm
}

# lab_define_domain DIR NAME [WISH]: define (virsh) a 16 MiB domain run by
# this build's wrapper (/usr/local/bin/multikvm-qemu) whose guest prints
# progress ticks to DIR/NAME.serial; WISH (e.g. "instance='2'") goes into
# multikvm's <metadata> element.  Hostroot scenarios only.
lab_define_domain() {
	local dir=$1 name=$2 wish=${3:-} meta=
	[ -n "$wish" ] &&
		meta="<metadata><mkvm:kvm xmlns:mkvm='http://multikvm.org/xmlns/libvirt/domain/1.0' $wish/></metadata>"
	cat > $dir/$name.xml <<XML
<domain type='kvm'>
  <name>$name</name>
  $meta
  <memory unit='MiB'>16</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <loader type='rom'>$LAB_BUILD_DIR/tests/payload/payload-tick.bin</loader>
  </os>
  <devices>
    <emulator>/usr/local/bin/multikvm-qemu</emulator>
    <serial type='file'><source path='$dir/$name.serial'/></serial>
  </devices>
</domain>
XML
	virsh -q define $dir/$name.xml >/dev/null || die "virsh define $name"
}
