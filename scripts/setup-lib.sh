# SPDX-License-Identifier: GPL-2.0-or-later
#
# scripts/setup-lib.sh — apt helpers shared by scripts/setup and the lab's
# emulator builds (setup-bochs, setup-qemu).  Sourced; the caller defines
# say() and die().

export DEBIAN_FRONTEND=noninteractive
DEBIAN_KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

# missing PKG...: print the packages that are not installed, one per line
missing() {
	local p
	for p in "$@"; do
		dpkg-query -W -f '${db:Status-Status}\n' "$p" 2>/dev/null |
			grep -qx installed || printf '%s\n' "$p"
	done
}

# install_missing PKG...: apt-get install what is missing (one update and
# a retry when the lists are stale); nothing with MULTIKVM_SETUP_NO_APT=1
install_missing() {
	local need
	[ "${MULTIKVM_SETUP_NO_APT:-0}" != 1 ] || return 0
	mapfile -t need < <(missing "$@")
	[ ${#need[@]} -gt 0 ] || return 0
	[ "$(id -u)" -eq 0 ] || die "run as root to install ${need[*]}"
	say "installing ${need[*]}"
	apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null ||
		{ apt-get update -qq && apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null; } ||
		die "cannot install ${need[*]}"
}

# fetch_deb_source DIR PACKAGE SUITE...: download the files of PACKAGE's
# newest source in the given suites of deb.debian.org (e.g. "trixie",
# "trixie-updates"; "trixie-security" comes from debian-security) into DIR,
# through a private apt configuration: nothing in the host's apt sources
# changes, and apt verifies the files against the signed indexes.  Fails
# only when the indexes cannot be fetched: the caller checks for the files
# it needs (a .dsc has been seen to 404 while the tarballs came).
fetch_deb_source() {
	local dir=$1 pkg=$2 aptd s r=0
	shift 2
	aptd=$dir/.apt
	rm -rf "$aptd"
	mkdir -p "$aptd/lists/partial" "$aptd/cache/archives/partial" "$aptd/sources.list.d"
	for s in "$@"; do
		case $s in
		*-security) echo "deb-src [signed-by=$DEBIAN_KEYRING] http://deb.debian.org/debian-security $s main" ;;
		*) echo "deb-src [signed-by=$DEBIAN_KEYRING] http://deb.debian.org/debian $s main" ;;
		esac
	done >"$aptd/sources.list"
	local opts=(-o Dir::Etc::sourcelist="$aptd/sources.list"
		-o Dir::Etc::sourceparts="$aptd/sources.list.d"
		-o Dir::State::Lists="$aptd/lists" -o Dir::Cache="$aptd/cache"
		-o APT::Sandbox::User=root -q)
	if apt-get "${opts[@]}" update >/dev/null 2>&1; then
		(cd "$dir" && apt-get "${opts[@]}" source --download-only "$pkg" >/dev/null 2>&1) || true
	else
		r=1
	fi
	rm -rf "$aptd"	# the source indexes (~20 MB) are not needed any more
	return $r
}
