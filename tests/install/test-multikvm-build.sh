#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# multikvm-build (issue 13) below a temporary root (MULTIKVM_BUILD_ROOT) with
# a fake build.sh, apt-get and depmod: argument checks, the exact build.sh
# invocation, the atomic install into updates/multikvm/, depmod and the
# printed modules.conf lines.  The real build runs in the lab.
#
# usage: test-multikvm-build.sh PATH/TO/multikvm-build SRCDIR     (TAP output)
# (the configured script in the build dir, not executable: run with bash)
set -u
B=$1
SRC=$2
T=$(mktemp -d /tmp/mkvm-build-XXXXXX)
trap 'rm -rf "$T"' EXIT

K=6.12.107+deb12-amd64
root=$T/root
mkdir -p "$root/lib/modules/$K/build" "$root/lib/modules/$(uname -r)/build" \
    "$T/sys/kernel/vac/instances/1" "$T/src" "$T/p" "$T/tmp" "$T/bin"
touch "$root/lib/modules/$K/build/Makefile"
echo tarball > "$T/src/linux-source-6.12.tar.xz"
echo deb > "$T/src/linux-source-6.12_6.12.117-1~deb12u1_all.deb"
echo zip > "$T/src/linux-source-6.12.zip"
printf 'foo\n' > "$T/p/fix-foo.patch"
printf 'bar\n' > "$T/p/fix-bar.patch"
printf 'x\n' > "$T/p/bad name.patch"
mkdir -p "$T/p2"; printf 'foo2\n' > "$T/p2/fix-foo.patch"
sha8() { sha256sum "$1" | cut -c1-8; }

# fake build.sh: logs its arguments one per line, builds vac.ko and the
# instance into --out, and the build identity (FAKE_FAIL=1: fails;
# FAKE_NO_BUILD=1: no .build file)
cat > "$T/build.sh" <<EOS
#!/bin/bash
printf '%s\n' "\$@" > "$T/build.log"
out= inst= pp=
while [ \$# -gt 0 ]; do
    case "\$1" in
    --out) out=\$2 ;;
    --instances) inst=\$2 ;;
    --patch) pp="\$pp\${pp:+ }\$(basename "\$2")@\$(sha256sum "\$2" | cut -c1-8)" ;;
    esac
    shift 2
done
echo "kmod: building \$inst"
[ "\${FAKE_FAIL:-0}" = 1 ] && { echo "kmod/build.sh: error: patch does not apply" >&2; exit 1; }
m=kvm_\${inst/:/_}
echo vac > "\$out/vac.ko"
echo "new \$m" > "\$out/\$m.ko"
[ "\${FAKE_NO_BUILD:-0}" = 1 ] && exit 0
printf '%s\n' kvm_version=6.12.117 kvm_source=6.12.117-1~deb12u1 multikvm_version=0.1.0 \
    series=3f2a9c01 "patches=\$pp" kernel=$K > "\$out/\$m.build"
EOS
cat > "$T/apt-get" <<EOS
#!/bin/sh
echo "\$PWD \$*" > "$T/apt.log"
case "\$2" in *=6.12.999-1) echo "E: Version '6.12.999-1' for 'linux-source-6.12' was not found" >&2; exit 100 ;; esac
echo deb > "linux-source-6.12_\${2#*=}_all.deb"
EOS
cat > "$T/depmod" <<EOS
#!/bin/sh
echo "\$*" > "$T/depmod.log"
EOS
# mv logs its arguments: the rename must be within updates/multikvm/
cat > "$T/bin/mv" <<EOS
#!/bin/sh
echo "\$*" >> "$T/mv.log"
exec /bin/mv "\$@"
EOS
chmod +x "$T/apt-get" "$T/depmod" "$T/bin/mv"

export MULTIKVM_BUILD_ROOT=$root MULTIKVM_BUILD_SH=$T/build.sh MULTIKVM_APT_GET=$T/apt-get
export MULTIKVM_DEPMOD=$T/depmod MULTIKVM_SYSFS=$T/sys TMPDIR=$T/tmp PATH=$T/bin:$PATH

. "$SRC/tests/tap.sh"
before_check() { rm -f "$T/build.log" "$T/apt.log" "$T/depmod.log" "$T/mv.log"; }
# refused NAME PATTERN ARGS...: exit 2, one prefixed line matching PATTERN, nothing run
refused() {
    local name=$1 pat=$2; shift 2
    check "refused: $name" 2 bash "$B" "$@" || return
    ok "  one line 'multikvm-build: ...$pat'" \
        sh -c '[ "$(wc -l < "$1")" = 1 ] && grep -qE -- "^multikvm-build: .*$2" "$1"' _ "$T/err" "$pat"
    ok "  nothing run or installed" sh -c '[ ! -e "$1/build.log" ] && [ ! -e "$1/apt.log" ] &&
        [ ! -e "$1/depmod.log" ] && [ ! -d "$2" ]' _ "$T" "$root/lib/modules/$K/updates"
}

src=$T/src/linux-source-6.12.tar.xz
base=(--vendor amd --kernel "$K" --source "$src")
refused "no arguments" "--vendor amd\|intel is required"
refused "unknown option" "unknown argument '--frob'" "${base[@]}" --id 2 --frob
refused "vendor arm" "--vendor is 'arm'" --vendor arm --id 2 --kernel "$K" --source "$src"
refused "no id" "--id N is required" "${base[@]}"
refused "empty id" "--id N is required" "${base[@]}" --id ""
for bad in 0 1000 01 abc -1 2x " 2" 2/; do
    refused "id '$bad'" "--id '$bad' is not an instance id \(1 to 999" "${base[@]}" --id "$bad"
done
refused "--id without value" "--id needs a value" "${base[@]}" --id
refused "id 1 is loaded" "instance 1 is loaded .*multikvm retire 1 --wait" "${base[@]}" --id 1
refused "no source" "--source FILE or --version DEBVERSION is required" --vendor amd --id 2 --kernel "$K"
refused "source and version" "exclude each other" "${base[@]}" --id 2 --version 6.12.117-1
refused "source missing" "--source '$T/src/nope.tar.xz': no such readable file" \
    --vendor amd --id 2 --kernel "$K" --source "$T/src/nope.tar.xz"
refused "source .zip" "neither a linux-source-6.12 .deb" \
    --vendor amd --id 2 --kernel "$K" --source "$T/src/linux-source-6.12.zip"
refused "version with ;" "--version '6.12;reboot' is not a Debian version" \
    --vendor amd --id 2 --kernel "$K" --version "6.12;reboot"
refused "version not starting with a digit" "--version 'v6' is not a Debian version" \
    --vendor amd --id 2 --kernel "$K" --version v6
refused "patch missing" "--patch '$T/p/nope.patch': no such readable file" \
    "${base[@]}" --id 2 --patch "$T/p/nope.patch"
refused "patch name with a space" "its name may only have" "${base[@]}" --id 2 --patch "$T/p/bad name.patch"
refused "two patches of one name" "a patch named fix-foo.patch is already given" \
    "${base[@]}" --id 2 --patch "$T/p/fix-foo.patch" --patch "$T/p2/fix-foo.patch"
refused "kernel ../x" "--kernel '../x' is not a kernel release" --vendor amd --id 2 --kernel ../x --source "$src"
refused "kernel without headers" "no kernel headers in $root/lib/modules/6.12.999/build: apt install linux-headers-6.12.999" \
    --vendor amd --id 2 --kernel 6.12.999 --source "$src"

# --dry-run: says what it would do, does nothing
check "--dry-run" 0 bash "$B" "${base[@]}" --id 2 --patch "$T/p/fix-foo.patch" --dry-run
ok "  would run build.sh" grep -qF -- "would run: bash $T/build.sh --kernel-build $root/lib/modules/$K/build --source $src --patch $T/p/fix-foo.patch --instances amd:2 --out TMP --work TMP/work" "$T/err"
ok "  would install and run depmod" grep -qF "would install TMP/kvm_amd_2.ko as $root/lib/modules/$K/updates/multikvm/kvm_amd_2.ko, then run: $T/depmod -b $root $K" "$T/err"
ok "  nothing run or installed" sh -c '[ ! -e "$1/build.log" ] && [ ! -e "$1/depmod.log" ] && [ ! -d "$2" ]' _ "$T" "$root/lib/modules/$K/updates"

# the test hooks are ignored without MULTIKVM_BUILD_ROOT: the installed build.sh
check "--help" 0 bash "$B" --help
ok "  names the test's build.sh" grep -qx "builds with $T/build.sh; see multikvm-build(8)" "$T/out"
check "--help without MULTIKVM_BUILD_ROOT" 0 env -u MULTIKVM_BUILD_ROOT bash "$B" --help
ok "  the hooks are ignored: the installed build.sh" grep -qE "^builds with /.*/src/multikvm-[^/]+/kmod/build.sh;" "$T/out"

# a build from the tarball with two hotfix patches
d=$root/lib/modules/$K/updates/multikvm
mkdir -p "$d" "$T/old"
echo "old kvm_amd_2" > "$d/kvm_amd_2.ko"
ln "$d/kvm_amd_2.ko" "$T/old/kvm_amd_2.ko"      # the file a running reader has open
check "build amd 2 from the tarball with two patches" 0 bash "$B" "${base[@]}" --id 2 \
    --patch "$T/p/fix-foo.patch" --patch "$T/p/fix-bar.patch"
tmpdir=$(sed -n '/^--out$/{n;p}' "$T/build.log")
cat > "$T/want" <<EOS
--kernel-build
$root/lib/modules/$K/build
--source
$src
--patch
$T/p/fix-foo.patch
--patch
$T/p/fix-bar.patch
--instances
amd:2
--out
$tmpdir
--work
$tmpdir/work
EOS
ok "  build.sh invocation" diff -u "$T/want" "$T/build.log"
ok "  in a temporary directory below TMPDIR" sh -c 'case "$1" in "$2"/multikvm-build.*) exit 0;; esac; exit 1' _ "$tmpdir" "$T/tmp"
ok "  temporary directory removed" sh -c '[ ! -e "$1" ] && [ -z "$(ls -A "$2")" ]' _ "$tmpdir" "$T/tmp"
ok "  installed the new module, mode 0644" sh -c '[ "$(cat "$1")" = "new kvm_amd_2" ] && [ "$(stat -c %a "$1")" = 644 ]' _ "$d/kvm_amd_2.ko"
ok "  only the instance (no vac.ko, no temporary file)" sh -c '[ "$(ls -A "$1")" = kvm_amd_2.ko ]' _ "$d"
ok "  renamed over the old file (its other link keeps the old module)" \
    sh -c '[ "$(cat "$1")" = "old kvm_amd_2" ] && [ "$(stat -c %i "$1")" != "$(stat -c %i "$2")" ]' _ "$T/old/kvm_amd_2.ko" "$d/kvm_amd_2.ko"
ok "  renamed from a temporary name in updates/multikvm/" sh -c '
    case "$(cat "$1")" in "-f -- $2/.kvm_amd_2.ko."[0-9]*" $2/kvm_amd_2.ko") exit 0 ;; esac; exit 1' _ "$T/mv.log" "$d"
ok "  depmod -b ROOT $K" grep -qxF -- "-b $root $K" "$T/depmod.log"
printf '# kvm_amd_2: KVM 6.12.117 (6.12.117-1~deb12u1) + fix-foo.patch@%s + fix-bar.patch@%s, multikvm 0.1.0 series 3f2a9c01, kernel %s\nkvm_amd_2\n' \
    "$(sha8 "$T/p/fix-foo.patch")" "$(sha8 "$T/p/fix-bar.patch")" "$K" > "$T/want"
ok "  stdout: the modules.conf lines" diff -u "$T/want" "$T/out"
ok "  build output on stderr" grep -qx "kmod: building amd:2" "$T/err"
ok "  says what it installed" grep -qx "multikvm-build: installed /lib/modules/$K/updates/multikvm/kvm_amd_2.ko" "$T/err"
ok "  stdout parses as modules.conf (multikvm-load --check)" sh -c '
    sed "s|@sysconfdir@|/etc|g; s|@datadir@|/usr/share|g" "$1/dist/multikvm-load.in" > "$2/load"
    r=$(MULTIKVM_MODULES_CONF=$3 sh "$2/load" --check) || exit 1; echo "# $r"' _ "$SRC" "$T" "$T/out"

# --version: apt-get download into the temporary directory; default kernel uname -r
U=$(uname -r)
check "build intel 3 from --version (kernel uname -r)" 0 bash "$B" --vendor intel --id 3 --version 6.12.117-1~deb12u1
tmpdir=$(sed -n '/^--out$/{n;p}' "$T/build.log")
ok "  apt-get download linux-source-6.12=VERSION in the temporary directory" \
    grep -qxF "$tmpdir download linux-source-6.12=6.12.117-1~deb12u1" "$T/apt.log"
ok "  build.sh got the downloaded .deb and uname -r's headers" sh -c '
    [ "$(sed -n "/^--source$/{n;p}" "$1")" = "$2/linux-source-6.12_6.12.117-1~deb12u1_all.deb" ] &&
    [ "$(sed -n "/^--kernel-build$/{n;p}" "$1")" = "$3" ]' _ "$T/build.log" "$tmpdir" "$root/lib/modules/$U/build"
ok "  installed for uname -r" test -f "$root/lib/modules/$U/updates/multikvm/kvm_intel_3.ko"
ok "  depmod uname -r" grep -qxF -- "-b $root $U" "$T/depmod.log"
ok "  prints kvm_intel_3" sh -c '[ "$(tail -1 "$1")" = kvm_intel_3 ] && grep -q "^# kvm_intel_3: KVM 6.12.117 (6.12.117-1~deb12u1), multikvm" "$1"' _ "$T/out"

check "--version apt-get fails" 1 bash "$B" --vendor amd --id 4 --kernel "$K" --version 6.12.999-1
ok "  one line, no build" sh -c 'tail -1 "$1" | grep -q "^multikvm-build: apt-get download linux-source-6.12=6.12.999-1 failed" &&
    [ ! -e "$2/build.log" ] && [ -z "$(ls -A "$2/tmp")" ]' _ "$T/err" "$T"

# a failing build keeps its directory and installs nothing
check "build.sh fails" 1 env FAKE_FAIL=1 bash "$B" "${base[@]}" --id 5
tmpdir=$(sed -n '/^--out$/{n;p}' "$T/build.log")
ok "  says so, keeps the temporary directory" sh -c 'tail -1 "$1" | grep -qF "multikvm-build: $2 failed (exit 1); its log and work tree are kept in $3" && [ -d "$3" ]' \
    _ "$T/err" "$T/build.sh" "$tmpdir"
ok "  nothing installed, no depmod" sh -c '[ ! -e "$1/kvm_amd_5.ko" ] && [ ! -e "$2/depmod.log" ]' _ "$d" "$T"
rm -rf "$tmpdir"

# --force: replace the module file of a loaded instance
check "--force for loaded instance 1" 0 bash "$B" "${base[@]}" --id 1 --force
ok "  installed kvm_amd_1" test -f "$d/kvm_amd_1.ko"

# another kvm_amd_6.ko for that kernel (DKMS): the line names the path
mkdir -p "$root/lib/modules/$K/updates/dkms"
echo dkms > "$root/lib/modules/$K/updates/dkms/kvm_amd_6.ko.xz"
check "DKMS has kvm_amd_6 too" 0 bash "$B" "${base[@]}" --id 6
ok "  prints the path" sh -c '[ "$(tail -1 "$1")" = "/lib/modules/$2/updates/multikvm/kvm_amd_6.ko" ]' _ "$T/out" "$K"
ok "  warns about the other module" grep -qF "multikvm-build: warning: /lib/modules/$K/updates/dkms/kvm_amd_6.ko.xz also exists" "$T/err"

# a build.sh that writes no identity: installed, identity unknown
check "no .build file" 0 env FAKE_NO_BUILD=1 bash "$B" "${base[@]}" --id 7
ok "  warns, comment with unknowns" sh -c 'grep -q "warning: .*wrote no kvm_amd_7.build" "$2" &&
    [ "$(head -1 "$1")" = "# kvm_amd_7: KVM ?, multikvm ? series ?, kernel $3" ]' _ "$T/out" "$T/err" "$K"

if command -v shellcheck >/dev/null; then
    check "shellcheck multikvm-build" 0 shellcheck "$B"
else
    n=$((n + 1)); echo "ok $n - shellcheck multikvm-build # SKIP shellcheck not installed"
fi
if command -v man >/dev/null; then
    check "man page renders without warnings" 0 sh -c \
        "MANWIDTH=80 man --warnings -l '$SRC/dist/multikvm-build.8' 2>&1 >/dev/null | grep . && exit 1 || exit 0"
fi

echo "1..$n"
[ "$failed" = 0 ]
