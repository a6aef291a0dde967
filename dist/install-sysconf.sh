#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# meson install script: put the example configuration files into
# SYSCONFDIR/multikvm/ unless the operator already has them (never overwrite
# an edited file), and on a live install (no DESTDIR) hook our AppArmor
# drop-in directory into libvirtd's local profile.
#
# usage: install-sysconf.sh EXAMPLES_DIR SYSCONFDIR APPARMOR_DIR
set -eu
examples=$1
sysconfdir=$2
aadir=$3
dest=${DESTDIR:-}

mkdir -p "$dest$sysconfdir/multikvm"
for f in multikvm.conf modules.conf; do
	target="$dest$sysconfdir/multikvm/$f"
	if [ -e "$target" ]; then
		echo "multikvm: keeping existing $sysconfdir/multikvm/$f (example in $examples/$f)"
	else
		install -m 0644 "$dest$examples/$f" "$target"
		echo "Installing $examples/$f to $sysconfdir/multikvm/$f"
	fi
done

line='include if exists <local/usr.sbin.libvirtd.d>'
local_profile="$aadir/local/usr.sbin.libvirtd"
if [ -n "$dest" ]; then
	echo "multikvm: DESTDIR install: add '$line' to $local_profile on the target host"
elif [ -d "$aadir/local" ] && ! grep -qsF "$line" "$local_profile"; then
	printf '# multikvm: exec of multikvm-qemu and multikvm-hook, in local/usr.sbin.libvirtd.d/multikvm\n%s\n' "$line" >> "$local_profile"
	echo "multikvm: added '$line' to $local_profile (reload: apparmor_parser -r $aadir/usr.sbin.libvirtd)"
fi
