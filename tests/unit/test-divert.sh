#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# multikvm divert on|off|status below a fake root (MULTIKVM_HOSTROOT: dpkg's
# tools run with --root there): idempotent, off restores the original file
# (the same inode, byte for byte), one-line refusals (not from a package,
# diverted by someone else), and an interrupted on/off ("half") is finished
# or undone by running the command again.  The real host's dpkg database
# and /usr/bin are never touched.
# Usage: test-divert.sh PATH/TO/multikvm-testing
set -u
M=$1
. "$(dirname "$0")/../tap.sh"
if ! command -v dpkg-divert >/dev/null; then
	echo "1..0 # SKIP no dpkg-divert"; exit 0
fi
T=$(mktemp -d /tmp/mkvm-divert-XXXXXX)
trap 'rm -rf "$T"' EXIT
R=$T/root
export MULTIKVM_HOSTROOT=$R MULTIKVM_WRAPPER=$T/w/multikvm-qemu
mkdir -p "$R/usr/bin" "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" "$T/w"
printf '#!/bin/sh\necho the real QEMU; exit 0\n' > "$R/usr/bin/qemu-system-x86_64"
head -c 4096 /dev/urandom >> "$R/usr/bin/qemu-system-x86_64"
chmod 0755 "$R/usr/bin/qemu-system-x86_64"
touch -d 2020-01-02 "$R/usr/bin/qemu-system-x86_64"
printf '#!/bin/sh\necho the wrapper\n' > "$T/w/multikvm-qemu"; chmod 0755 "$T/w/multikvm-qemu"
cat > "$R/var/lib/dpkg/status" <<'ST'
Package: qemu-system-x86
Status: install ok installed
Maintainer: Debian QEMU Team <pkg-qemu-devel@lists.alioth.debian.org>
Architecture: amd64
Version: 1:10.0.2
Description: QEMU full system emulation binaries (x86)

ST
echo /usr/bin/qemu-system-x86_64 > "$R/var/lib/dpkg/info/qemu-system-x86.list"
host_before=$(sha256sum /var/lib/dpkg/diversions 2>/dev/null; ls -li /usr/bin/qemu-system-x86_64* 2>/dev/null)
orig=$(stat -c '%i %s %a %Y' "$R/usr/bin/qemu-system-x86_64"; sha256sum < "$R/usr/bin/qemu-system-x86_64")
state() { stat -c '%i %s %a %Y' "$R/usr/bin/qemu-system-x86_64"; sha256sum < "$R/usr/bin/qemu-system-x86_64"; }
diversions() { dpkg-divert --root="$R" --list 2>/dev/null; }

check "status: off" 0 "$M" divert status
expect "^divert: off$" out
check "on" 0 "$M" divert on
expect "^divert: on: /usr/bin/qemu-system-x86_64 is now $T/w/multikvm-qemu" out
ok "stock path is a symlink to the wrapper" test "$(readlink "$R/usr/bin/qemu-system-x86_64")" = "$T/w/multikvm-qemu"
ok "stock name runs the wrapper" test "$("$R/usr/bin/qemu-system-x86_64")" = "the wrapper"
ok "QEMU.real is the original file" test "$(stat -c '%i %s %a %Y' "$R/usr/bin/qemu-system-x86_64.real"; sha256sum < "$R/usr/bin/qemu-system-x86_64.real")" = "$orig"
ok "dpkg diverts it, locally, to QEMU.real" test "$(diversions)" = "local diversion of /usr/bin/qemu-system-x86_64 to /usr/bin/qemu-system-x86_64.real"
check "status: on" 0 "$M" divert status
expect "^divert: on$" out
expect "/usr/bin/qemu-system-x86_64: the wrapper" out
check "on again: nothing to do" 0 "$M" divert on
expect "^divert: already on" out
ok "... one diversion" test "$(diversions | wc -l)" = 1
check "off" 0 "$M" divert off
ok "off restores the original file (inode, size, mode, mtime, bytes)" test "$(state)" = "$orig"
ok "no QEMU.real left" test ! -e "$R/usr/bin/qemu-system-x86_64.real"
ok "no diversion left" test -z "$(diversions)"
check "off again: nothing to do" 0 "$M" divert off
expect "^divert: already off$" out
ok "... still the original" test "$(state)" = "$orig"

# half states: each step of on/off interrupted, then finished or undone
cp -a "$R/usr/bin/qemu-system-x86_64" "$T/orig.copy"
ln "$R/usr/bin/qemu-system-x86_64" "$R/usr/bin/qemu-system-x86_64.real"
check "after on's step 1 (hard link only): status half" 5 "$M" divert status
expect "^divert: half$" out
expect "left by an interrupted" out
check "... off undoes it" 0 "$M" divert off
ok "... the original, no QEMU.real" sh -c "[ \"\$(stat -c '%i %s %a %Y' '$R/usr/bin/qemu-system-x86_64'; sha256sum < '$R/usr/bin/qemu-system-x86_64')\" = '$orig' ] && [ ! -e '$R/usr/bin/qemu-system-x86_64.real' ]"
ln "$R/usr/bin/qemu-system-x86_64" "$R/usr/bin/qemu-system-x86_64.real"
dpkg-divert --root="$R" --quiet --local --no-rename --divert /usr/bin/qemu-system-x86_64.real --add /usr/bin/qemu-system-x86_64
check "after on's step 2 (diverted, stock path still QEMU): status half" 5 "$M" divert status
expect "is not the wrapper yet" out
ok "... and the stock path still runs QEMU" test "$("$R/usr/bin/qemu-system-x86_64" | head -1)" = "the real QEMU"
check "... on finishes it" 0 "$M" divert on
check "... status on" 0 "$M" divert status
check "... off" 0 "$M" divert off
ok "... the original again" test "$(state)" = "$orig"

# refusals: one line, nothing changed
dpkg-divert --root="$R" --quiet --package other --no-rename --divert /usr/bin/qemu-system-x86_64.other --add /usr/bin/qemu-system-x86_64
check "diverted by another package: on refused" 4 "$M" divert on
expect "^multikvm: divert on: /usr/bin/qemu-system-x86_64 is diverted to /usr/bin/qemu-system-x86_64.other by other, not by multikvm; refusing to touch it$" err
ok "... one line" test "$(wc -l < "$T/err")" = 1
check "... off refused too" 4 "$M" divert off
check "... status: foreign" 5 "$M" divert status
expect "^divert: foreign$" out
ok "... the original untouched" test "$(state)" = "$orig"
dpkg-divert --root="$R" --quiet --package other --no-rename --remove /usr/bin/qemu-system-x86_64
mv "$R/var/lib/dpkg/info/qemu-system-x86.list" "$T/list.away"
check "not from a package: on refused" 4 "$M" divert on
expect "^multikvm: divert on: /usr/bin/qemu-system-x86_64 is not installed from a package" err
ok "... one line" test "$(wc -l < "$T/err")" = 1
ok "... nothing changed" sh -c "[ \"\$(stat -c '%i %s %a %Y' '$R/usr/bin/qemu-system-x86_64'; sha256sum < '$R/usr/bin/qemu-system-x86_64')\" = '$orig' ] && [ ! -e '$R/usr/bin/qemu-system-x86_64.real' ] && [ -z \"\$(dpkg-divert --root='$R' --list)\" ]"
mv "$T/list.away" "$R/var/lib/dpkg/info/qemu-system-x86.list"
mv "$T/w/multikvm-qemu" "$T/w.away"
check "wrapper not installed: on refused" 1 "$M" divert on
expect "^multikvm: divert on: the wrapper $T/w/multikvm-qemu is not installed" err
mv "$T/w.away" "$T/w/multikvm-qemu"
check "usage" 2 "$M" divert
expect "^multikvm: usage: multikvm divert on\|off\|status$" err

ok "the host's dpkg diversions and /usr/bin/qemu-system-x86_64* are unchanged" \
	test "$(sha256sum /var/lib/dpkg/diversions 2>/dev/null; ls -li /usr/bin/qemu-system-x86_64* 2>/dev/null)" = "$host_before"
echo "1..$n"
[ "$failed" = 0 ]
