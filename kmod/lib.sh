# SPDX-License-Identifier: GPL-2.0-or-later
#
# kmod/lib.sh — the series and the source, for kmod/build.sh and
# kmod/devtree.sh (sourced; $kmod is the kmod/ directory).

# mkvm_series: the patch names of kmod/series, in order.
mkvm_series() {
	grep -v -e '^#' -e '^[[:space:]]*$' "$kmod/series"
}

# mkvm_patch_for NAME SUBLEVEL: the file of patch NAME for KVM 6.12.SUBLEVEL.
# kmod/patches/NAME is written against the newest supported release;
# kmod/patches/6.12.N/NAME is NAME as it applies to releases up to 6.12.N,
# down to the next older variant.  A release takes the variant of the
# oldest 6.12.N >= itself, else the main patch.
mkvm_patch_for() {
	local name=$1 sub=$2 d dsub best=
	for d in "$kmod"/patches/6.12.*/; do
		[ -f "$d$name" ] || continue
		d=${d%/}
		dsub=${d##*.}
		if [ "$dsub" -ge "$sub" ] && { [ -z "$best" ] || [ "$dsub" -lt "${best##*.}" ]; }; then
			best=$d
		fi
	done
	echo "${best:-$kmod/patches}/$name"
}

# mkvm_kvm_paths: what an instance takes from a source tree (kmod/kvm-paths).
mkvm_kvm_paths() {
	grep -v -e '^#' -e '^[[:space:]]*$' "$kmod/kvm-paths"
}

# mkvm_source_tar FILE: the linux-source-6.12 tarball of FILE (.deb or
# .tar.xz) on stdout.
mkvm_source_tar() {
	case "$1" in
	*.deb) dpkg-deb --fsys-tarfile "$1" | tar -xO ./usr/src/linux-source-6.12.tar.xz ;;
	*) cat "$1" ;;
	esac
}

# mkvm_extract FILE DIR: KVM of source FILE into DIR (kmod/kvm-paths).
mkvm_extract() {
	local paths
	mapfile -t paths < <(mkvm_kvm_paths)
	mkvm_source_tar "$1" | tar -xJ -C "$2" --strip-components=1 \
		"${paths[@]/#/linux-source-6.12/}"
}

# mkvm_sublevel DIR: N of the 6.12.N tree in DIR.
mkvm_sublevel() {
	sed -n 's/^SUBLEVEL = //p' "$1/Makefile"
}
