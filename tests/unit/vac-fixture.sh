# SPDX-License-Identifier: GPL-2.0-or-later
# The vac fixture of the shell tests that run the hook or the wrapper
# (test-hook.sh, test-wrapper.sh): sourced after T is set; needs root (mknod).
# Instances 1 and 2 (kvm_amd_N, nodes $T/dev/kvmN, 240:N), no default
# instance, a policy with one profile; the MULTIKVM_* overrides point there.
export MULTIKVM_SYSFS=$T/sys MULTIKVM_DEVDIR=$T/dev MULTIKVM_RUNDIR=$T/run
export MULTIKVM_PROC=$T/proc MULTIKVM_POLICY=$T/policy.xml MULTIKVM_CONF=$T/multikvm.conf
export MULTIKVM_LIBVIRT_RUNDIR=$T/libvirt
mkdir -p "$T/dev" "$T/proc" "$T/libvirt"
vac=$T/sys/kernel/vac
mkdir -p "$vac/instances"
echo 1 > "$vac/abi"; echo amd > "$vac/vendor"; echo none > "$vac/default_instance"
for i in 1 2; do
	d=$vac/instances/$i
	mkdir -p "$d"
	echo $i > "$d/id"; echo amd > "$d/vendor"; echo "kvm_amd_$i" > "$d/module"
	echo "kvm$i" > "$d/devname"; echo "240:$i" > "$d/dev"; echo b > "$d/build_id"
	echo "100$i" > "$d/build_time"; echo 5 > "$d/load_time"; echo 0 > "$d/vms"; echo 0 > "$d/vcpus"
	mknod "$T/dev/kvm$i" c 240 $i
done
echo "<policy version='1'><profiles default='std'><profile name='std'/></profiles></policy>" \
	> "$T/policy.xml"
