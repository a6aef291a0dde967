#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Install test (issue 8): `meson install --destdir TMP` from the build dir,
# then check the installed tree, file modes, that the udev rule, systemd unit,
# modprobe.d file and AppArmor drop-ins parse with the host's tools, and that
# multikvm-load loads in order and reports failures (with a fake modprobe).
#
# usage: test-install.py MESON BUILD_DIR        (TAP output)

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile

meson, build = sys.argv[1], sys.argv[2]
n = 0
failed = 0


def ok(cond, what, detail=''):
    global n, failed
    n += 1
    print(('ok %d - %s' if cond else 'not ok %d - %s') % (n, what))
    if not cond:
        failed += 1
        for line in str(detail).rstrip().splitlines():
            print('#   ' + line)
    return cond


def skip(what, why):
    global n
    n += 1
    print('ok %d - %s # SKIP %s' % (n, what, why))


def run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, **kw)


def introspect(what):
    r = run([meson, 'introspect', what, build])
    if r.returncode != 0:
        sys.exit('Bail out! meson introspect %s: %s' % (what, r.stderr))
    return json.loads(r.stdout)


opts = {o['name']: o['value'] for o in introspect('--buildoptions')}
prefix = opts['prefix']


def absdir(name):
    return os.path.join(prefix, opts[name])


bindir, sbindir = absdir('bindir'), absdir('sbindir')
sysconfdir, datadir = absdir('sysconfdir'), absdir('datadir')
libexecdir = absdir('libexecdir')
hooksdir = opts.get('libvirt_hooks_dir', '/etc/libvirt/hooks/qemu.d')
installed = introspect('--installed')

tmp = tempfile.mkdtemp(prefix='multikvm-install-')
dest = os.path.join(tmp, 'root')


def D(path):
    return dest + path


r = run([meson, 'install', '-C', build, '--no-rebuild', '--quiet', '--destdir', dest])
if not ok(r.returncode == 0, 'meson install --destdir', r.stdout + r.stderr):
    print('1..%d' % n)
    sys.exit(1)

# --- every installed file exists, with the right mode ----------------------
exec_dirs = {bindir, sbindir, libexecdir, hooksdir.rstrip('/')}
files = []
for src, path in installed.items():
    if os.path.isdir(D(path)):
        for root, _, names in os.walk(D(path)):
            files += [os.path.join(root, x)[len(dest):] for x in names]
    else:
        files.append(path)


def target(p):
    """the file p stands for in DESTDIR: symlinks (the hook) point at /usr/..."""
    t = D(p)
    if os.path.islink(t):
        link = os.readlink(t)
        t = D(link) if os.path.isabs(link) else os.path.join(os.path.dirname(t), link)
    return t


missing = [p for p in files if not os.path.exists(target(p))]
ok(not missing, 'all %d installed files exist under DESTDIR' % len(files),
   '\n'.join(missing))
bad = []
for p in files:
    if not os.path.exists(target(p)):
        continue
    mode = stat.S_IMODE(os.stat(target(p)).st_mode)
    want = 0o755 if (os.path.dirname(p) in exec_dirs or p.endswith('.sh')) else 0o644
    if p.startswith(prefix + '/src/multikvm-') and '/kmod/' in p:
        want = mode if mode in (0o644, 0o755) else 0o644   # kmod/ keeps its modes
    if mode != want:
        bad.append('%s: %o, want %o' % (p, mode, want))
ok(not bad, 'modes: programs and hook 0755, everything else 0644', '\n'.join(bad))

# --- dist pieces are where the host looks for them ------------------------
udevdir = None
unit = None
for p in files:
    if p.endswith('/rules.d/60-multikvm.rules'):
        udevdir = os.path.dirname(os.path.dirname(p))
    if p.endswith('/multikvm-modules.service'):
        unit = p
modprobe_conf = [p for p in files if p.endswith('/modprobe.d/multikvm.conf')]
tmpfiles_conf = [p for p in files if p.endswith('/tmpfiles.d/multikvm.conf')]
aa = os.path.join(sysconfdir, 'apparmor.d')
version = run([meson, 'introspect', '--projectinfo', build]).stdout
version = json.loads(version)['version']
expect = [
    (udevdir or '?') + '/rules.d/60-multikvm.rules',
    (modprobe_conf or ['?'])[0],
    (tmpfiles_conf or ['?'])[0],
    aa + '/abstractions/libvirt-qemu.d/multikvm',
    aa + '/local/usr.sbin.libvirtd.d/multikvm',
    unit or '?',
    sbindir + '/multikvm-load',
    sbindir + '/multikvm-build',
    sysconfdir + '/multikvm/multikvm.conf',
    sysconfdir + '/multikvm/modules.conf',
    datadir + '/multikvm/examples/modules.conf',
    datadir + '/multikvm/examples/multikvm.conf',
    prefix + '/src/multikvm-%s/dkms.conf' % version,
    prefix + '/src/multikvm-%s/Makefile' % version,
]
miss = [p for p in expect if not os.path.isfile(D(p))]
ok(not miss, 'host integration files installed (%d)' % len(expect), '\n'.join(miss))
if prefix == '/usr':
    ok(udevdir in ('/lib/udev', '/usr/lib/udev'), 'udev rule in the system udev dir',
       udevdir)
    ok(modprobe_conf == ['/usr/lib/modprobe.d/multikvm.conf'],
       'modprobe.d file in /usr/lib/modprobe.d', modprobe_conf)
    ok(sysconfdir == '/etc', 'sysconfdir is /etc with prefix /usr', sysconfdir)
else:
    ok(udevdir == prefix + '/lib/udev', 'udev rule below the prefix', udevdir)

# --- udev rule --------------------------------------------------------------
rule = D((udevdir or '') + '/rules.d/60-multikvm.rules')
text = open(rule).read() if os.path.exists(rule) else ''
ok('KERNEL=="kvm[0-9]*", GROUP="kvm", MODE="0660"' in text, 'udev rule matches kvm[0-9]*')
tok = re.compile(r'^[A-Z_]+(\{[^}]*\})?\s*(==|!=|=|\+=|-=|:=)\s*"[^"]*"$')
badlines = [line for line in text.splitlines()
            if line.strip() and not line.startswith('#')
            and not all(tok.match(t.strip()) for t in line.split(','))]
ok(not badlines, 'udev rule lines are KEY<op>"value" lists', '\n'.join(badlines))
udevadm = shutil.which('udevadm')
if udevadm and run([udevadm, 'verify', '--help']).returncode == 0:
    r = run([udevadm, 'verify', '--no-summary', rule])
    ok(r.returncode == 0, 'udevadm verify 60-multikvm.rules', r.stdout + r.stderr)
else:
    skip('udevadm verify 60-multikvm.rules', 'udevadm with verify (systemd >= 253) not installed')

# --- modprobe.d -------------------------------------------------------------
mp = D((modprobe_conf or ['?'])[0])
modprobe = shutil.which('modprobe') or '/usr/sbin/modprobe'
r = run([modprobe, '-C', mp, '--showconfig'])
cfg = r.stdout
ok(r.returncode == 0 and all(('blacklist %s' % m) in cfg and ('install %s ' % m) in cfg
                             for m in ('kvm', 'kvm_amd', 'kvm_intel')),
   'modprobe --showconfig: blacklist + install guard for kvm, kvm_amd, kvm_intel',
   r.stderr + cfg[:2000])
guard = [line for line in open(mp) if line.startswith('install kvm_amd ')]
if ok(len(guard) == 1, 'one install guard for kvm_amd'):
    r = run(['sh', '-c', guard[0].split(' ', 2)[2]])
    ok(r.returncode != 0 and 'stock kvm_amd is disabled' in r.stderr and
       'multikvm.conf' in r.stderr,
       'kvm_amd guard fails and says why and where to undo', r.stderr)

# --- tmpfiles.d: /run/multikvm -------------------------------------------
stf = shutil.which('systemd-tmpfiles')
if stf and tmpfiles_conf:
    troot = os.path.join(tmp, 'tmpfiles-root')
    os.makedirs(troot + '/run')
    r = run([stf, '--create', '--root=' + troot, D(tmpfiles_conf[0])])
    st = os.stat(troot + '/run/multikvm') if os.path.isdir(troot + '/run/multikvm') else None
    ok(r.returncode == 0 and st is not None and stat.S_IMODE(st.st_mode) == 0o755 and
       st.st_uid == 0 and os.path.isdir(troot + '/run/multikvm/domains'),
       'systemd-tmpfiles --create makes /run/multikvm (and domains/) root 0755',
       r.stdout + r.stderr)
else:
    skip('systemd-tmpfiles --create', 'systemd-tmpfiles not installed')

# --- systemd unit -----------------------------------------------------------
unit_text = open(D(unit)).read() if unit else ''
ok('ExecStart=%s/multikvm-load\n' % sbindir in unit_text,
   'unit runs the installed multikvm-load', unit_text)
sa = shutil.which('systemd-analyze')
if sa and unit:
    # the unit as installed, with ExecStart pointing into DESTDIR
    vdir = os.path.join(tmp, 'unit')
    os.makedirs(vdir)
    with open(os.path.join(vdir, 'multikvm-modules.service'), 'w') as f:
        f.write(unit_text.replace('ExecStart=' + sbindir, 'ExecStart=' + D(sbindir)))
    r = run([sa, 'verify', os.path.join(vdir, 'multikvm-modules.service')])
    ok(r.returncode == 0, 'systemd-analyze verify multikvm-modules.service',
       r.stdout + r.stderr)
else:
    skip('systemd-analyze verify', 'systemd-analyze not installed')

# multikvm-reconcile.service: reconcile once each time libvirt starts
runit = [p for p in files if p.endswith('/multikvm-reconcile.service')]
rtext = open(D(runit[0])).read() if runit else ''
ok(runit and os.path.dirname(runit[0]) == os.path.dirname(unit or ''),
   'multikvm-reconcile.service installed beside multikvm-modules.service', runit)
ok('ExecStart=%s/multikvm reconcile\nExecStart=%s/multikvm annotate\n' % (bindir, bindir)
   in rtext and
   re.search(r'^After=.*libvirtd\.service', rtext, re.M) and
   re.search(r'^PartOf=libvirtd\.service virtqemud\.service$', rtext, re.M) and
   re.search(r'^WantedBy=libvirtd\.service virtqemud\.service$', rtext, re.M),
   'reconcile unit: runs the installed multikvm reconcile, then annotate, after libvirtd, '
   'part of it',
   rtext)
if sa and runit:
    vdir = os.path.join(tmp, 'unit-reconcile')
    os.makedirs(vdir)
    with open(os.path.join(vdir, 'multikvm-reconcile.service'), 'w') as f:
        f.write(rtext.replace('ExecStart=' + bindir, 'ExecStart=' + D(bindir)))
    # Documentation=man:multikvm(8): verify runs man, which finds the installed page
    r = run([sa, 'verify', os.path.join(vdir, 'multikvm-reconcile.service')],
            env=dict(os.environ, MANPATH=D(absdir('mandir'))))
    ok(r.returncode == 0 and not r.stderr.strip(),
       'systemd-analyze verify multikvm-reconcile.service', r.stdout + r.stderr)
else:
    skip('systemd-analyze verify multikvm-reconcile.service', 'systemd-analyze not installed')

# --- AppArmor ---------------------------------------------------------------
qemu_abs = open(D(aa + '/abstractions/libvirt-qemu.d/multikvm')).read()
libvirtd_dropin = open(D(aa + '/local/usr.sbin.libvirtd.d/multikvm')).read()
ok('/dev/kvm[0-9]* rw,' in qemu_abs and ('%s/multikvm-qemu mrix,' % bindir) in qemu_abs,
   'qemu abstraction: /dev/kvm[0-9]* rw and the wrapper mrix in bindir', qemu_abs)
ok(('%s/multikvm-qemu PUx,' % bindir) in libvirtd_dropin and
   ('%s/multikvm-hook rmix,' % libexecdir) in libvirtd_dropin,
   'libvirtd drop-in: exec of the wrapper in bindir and of the hook in libexecdir',
   libvirtd_dropin)
parser = shutil.which('apparmor_parser') or (
    '/usr/sbin/apparmor_parser' if os.path.exists('/usr/sbin/apparmor_parser') else None)
if not ok(parser is not None, 'apparmor_parser available (package apparmor; scripts/setup)'):
    pass
else:
    # 1. a small profile that includes both drop-ins
    small = os.path.join(tmp, 'multikvm-test-profile')
    with open(small, 'w') as f:
        f.write('#include <tunables/global>\n'
                'profile multikvm-test-qemu {\n'
                '  #include <abstractions/base>\n'
                '  include <abstractions/libvirt-qemu.d/multikvm>\n'
                '}\n'
                'profile multikvm-test-libvirtd {\n'
                '  #include <abstractions/base>\n'
                '  include <local/usr.sbin.libvirtd.d/multikvm>\n'
                '}\n')
    r = run([parser, '-Q', '-K', '-I', D(aa), '-I', '/etc/apparmor.d', small])
    ok(r.returncode == 0, 'apparmor_parser -Q -K: small profiles including each drop-in',
       r.stdout + r.stderr)
    # 2. libvirt's real profiles with our drop-ins in place
    sys_aa = '/etc/apparmor.d'
    if (os.path.isfile(sys_aa + '/usr.sbin.libvirtd') and
            os.path.isfile(sys_aa + '/abstractions/libvirt-qemu') and
            os.path.isfile(sys_aa + '/libvirt/TEMPLATE.qemu')):
        tree = os.path.join(tmp, 'apparmor.d')
        shutil.copytree(sys_aa, tree, symlinks=True)
        shutil.copytree(D(aa), tree, dirs_exist_ok=True)
        with open(tree + '/local/usr.sbin.libvirtd', 'a') as f:
            f.write('include if exists <local/usr.sbin.libvirtd.d>\n')
        dom = os.path.join(tmp, 'libvirt-domain')
        with open(dom, 'w') as f:
            f.write(open(tree + '/libvirt/TEMPLATE.qemu').read().replace(
                'LIBVIRT_TEMPLATE', 'libvirt-00000000-0000-4000-8000-000000000000'))
        for name, prof in (('usr.sbin.libvirtd', tree + '/usr.sbin.libvirtd'),
                           ('libvirt domain profile (TEMPLATE.qemu)', dom)):
            r = run([parser, '-Q', '-K', '-b', tree, '-I', tree, prof])
            ok(r.returncode == 0, 'apparmor_parser -Q -K: %s with multikvm drop-ins' % name,
               r.stdout + r.stderr)
            r = run([parser, '-p', '-b', tree, '-I', tree, prof])
            ok('multikvm-qemu' in r.stdout, '%s really includes the drop-in' % name,
               r.stderr)
    else:
        skip('apparmor_parser on libvirt profiles', 'libvirt AppArmor profiles not installed')

# --- installed programs ignore the test overrides -------------------------
# Only the test build of libmultikvm reads MULTIKVM_* (mkvm_test_getenv()).
# The installed hook, run for "started" of a domain whose record exists only
# under an overriding MULTIKVM_RUNDIR, must look in /run/multikvm (and not
# find it: a read, nothing is written) and never read the overriding policy.
ovr = os.path.join(tmp, 'overrides')
os.makedirs(ovr + '/run/domains')
uuid = '5e1f0c3a-9d2b-4c7e-8a61-%012x' % (os.getpid() & 0xffffffffffff)
with open(ovr + '/run/domains/%s.json' % uuid, 'w') as f:
    json.dump({'uuid': uuid, 'name': 'ovr', 'instance': 1, 'device': '/dev/kvm1',
               'profile': None, 'reason': 'test', 'created': 1, 'updated': 1, 'pid': 0}, f)
ovr_env = dict(os.environ, MULTIKVM_RUNDIR=ovr + '/run', MULTIKVM_POLICY=ovr + '/policy.xml',
               MULTIKVM_SYSFS=ovr + '/sys', MULTIKVM_PROC=ovr + '/proc',
               MULTIKVM_LIBVIRT_RUNDIR=ovr + '/libvirt', MULTIKVM_CONF=ovr + '/conf',
               MULTIKVM_HOSTROOT=ovr, MULTIKVM_MODPROBE=ovr + '/modprobe')
dom_xml = "<domain type='kvm'><name>ovr</name><uuid>%s</uuid></domain>" % uuid
r = run([D(libexecdir + '/multikvm-hook'), 'ovr', 'started', 'begin', '-'],
        input=dom_xml, env=ovr_env)
ok(r.returncode == 1 and '/run/multikvm/domains/%s.json' % uuid in r.stderr and
   ovr not in r.stderr,
   'installed multikvm-hook ignores MULTIKVM_RUNDIR/POLICY/...: looks in /run/multikvm',
   'exit %d: %s' % (r.returncode, r.stderr))
r = run([D(bindir + '/multikvm'), 'status'], env=ovr_env)
ok(ovr not in r.stdout + r.stderr,
   'installed multikvm ignores MULTIKVM_POLICY/SYSFS/...', r.stdout + r.stderr)

# --- DKMS source tree -------------------------------------------------------
dkms = D(prefix + '/src/multikvm-%s' % version)
dkms_conf = open(dkms + '/dkms.conf').read() if os.path.exists(dkms + '/dkms.conf') else ''
built = re.findall(r'^BUILT_MODULE_NAME\[\d+\]="([^"]+)"', dkms_conf, re.M)
r = run(['make', '-n', '-C', dkms, 'KERNELVER=6.12.95+deb12-amd64', 'KDIR=/nonexistent'])
m = re.search(r"kmod/build.sh --kernel-build '/nonexistent' "
              r"--source '/usr/src/linux-source-6.12.tar.xz' --out '([^']+)'.*"
              r"--instances '([^']*)'", r.stdout, re.S)
ok(m is not None and m.group(1) == dkms + '/out',
   'DKMS make wrapper calls kmod/build.sh with the headers, linux-source-X.Y and out/',
   r.stdout + r.stderr)
inst = ['vac'] + ['kvm_%s_%s' % tuple(i.split(':')) for i in (m.group(2).split() if m else [])]
ok(('PACKAGE_VERSION="%s"' % version) in dkms_conf and built == inst,
   'dkms.conf BUILT_MODULE_NAME[] (%s) match the instances the wrapper builds'
   % ' '.join(built), '%s != %s' % (built, inst))
if os.path.exists(os.path.join(os.path.dirname(os.path.dirname(sys.argv[0])), '..',
                               'kmod', 'build.sh')):
    ok(os.path.isfile(dkms + '/kmod/build.sh') and
       not os.path.exists(dkms + '/kmod/meson.build'),
       'DKMS tree carries kmod/ (build.sh, without meson.build)')
mb = D(sbindir + '/multikvm-build')
m = re.search(r'^build_sh=(\S+)$', open(mb).read() if os.path.exists(mb) else '', re.M)
ok(m is not None and m.group(1) == prefix + '/src/multikvm-%s/kmod/build.sh' % version and
   os.path.isfile(D(m.group(1))),
   'multikvm-build runs the DKMS tree\'s kmod/build.sh', m.group(1) if m else 'no build_sh=')
stamp = open(dkms + '/meson.build').read() if os.path.exists(dkms + '/meson.build') else ''
ok(re.search(r"^ *version: *'%s'" % re.escape(version), stamp, re.M) is not None,
   'DKMS tree has the version stamp kmod/build.sh reads from <top>/meson.build', stamp)

# --- multikvm-load ----------------------------------------------------------
load = D(sbindir + '/multikvm-load')
fake = os.path.join(tmp, 'fake')
os.makedirs(fake + '/sys/module/irqbypass')
log = fake + '/log'
with open(fake + '/modprobe', 'w') as f:
    f.write('#!/bin/sh\necho "modprobe $*" >> %s\n'
            'case "$1" in kvm_amd_2) echo "modprobe: ERROR: could not insert '
            "'kvm_amd_2': Device or resource busy\" >&2; exit 1;; esac\n" % log)
with open(fake + '/insmod', 'w') as f:
    f.write('#!/bin/sh\necho "insmod $*" >> %s\n' % log)
os.chmod(fake + '/modprobe', 0o755)
os.chmod(fake + '/insmod', 0o755)
conf = fake + '/modules.conf'


def loader(text, *args):
    with open(conf, 'w') as f:
        f.write(text)
    if os.path.exists(log):
        os.unlink(log)
    env = dict(os.environ, MULTIKVM_MODULES_CONF=conf, MULTIKVM_SYSFS=fake + '/sys',
               MULTIKVM_MODPROBE=fake + '/modprobe', MULTIKVM_INSMOD=fake + '/insmod')
    r = run([load] + list(args), env=env)
    calls = open(log).read().splitlines() if os.path.exists(log) else []
    return r, calls


sc = shutil.which('shellcheck')
if sc:
    r = run([sc, '-s', 'sh', load])
    ok(r.returncode == 0, 'shellcheck multikvm-load', r.stdout + r.stderr)
else:
    skip('shellcheck multikvm-load', 'shellcheck not installed')
example = open(D(sysconfdir + '/multikvm/modules.conf')).read()
r, calls = loader(example, '--check')
ok(r.returncode == 0 and not calls, 'multikvm-load --check accepts the example modules.conf',
   r.stdout + r.stderr)
r, calls = loader('# c\nvac\n\nkvm_amd_1 nx_huge_pages=force halt_poll_ns=0  # x\n'
                  'irqbypass\n/opt/m/kvm_intel_1.ko\n')
ok(r.returncode == 0 and calls == ['modprobe vac',
                                   'modprobe kvm_amd_1 nx_huge_pages=force halt_poll_ns=0',
                                   'insmod /opt/m/kvm_intel_1.ko'],
   'loads in order with parameters, skips loaded modules, insmod for .ko paths',
   '%s\n%s%s' % (calls, r.stdout, r.stderr))
r, calls = loader('vac\nkvm_amd_1\nkvm_amd_2 x=1\nkvm_amd_3\n')
err = r.stderr.splitlines()
ok(r.returncode == 1 and calls[-1] == 'modprobe kvm_amd_3' and
   any(line.startswith('multikvm-load: %s:3: loading kvm_amd_2 failed: modprobe: ERROR'
                       % conf) for line in err),
   'a failing instance: one line naming file:line and the error, the rest still load, exit 1',
   '%s\n%s' % (calls, r.stderr))
print('# ' + '\n# '.join(err))
r, calls = loader('vac\nkvm_amd_1 =3\n')
ok(r.returncode == 2 and not calls and ':2: bad parameter' in r.stderr,
   'a bad line: nothing loaded, exit 2', r.stderr)
os.unlink(conf)
r = run([load], env=dict(os.environ, MULTIKVM_MODULES_CONF=conf))
ok(r.returncode == 2 and 'cannot read' in r.stderr, 'missing modules.conf: exit 2', r.stderr)

# --- reinstall keeps an edited configuration --------------------------------
edited = D(sysconfdir + '/multikvm/modules.conf')
with open(edited, 'a') as f:
    f.write('kvm_amd_3\n')
r = run([meson, 'install', '-C', build, '--no-rebuild', '--quiet', '--destdir', dest])
ok(r.returncode == 0 and open(edited).read().endswith('kvm_amd_3\n'),
   'meson install again keeps an edited %s/multikvm/modules.conf' % sysconfdir,
   r.stdout + r.stderr)

# --- live install hooks the drop-in dir into libvirtd's local profile ------
script = os.path.join(os.path.dirname(os.path.abspath(sys.argv[0])), '..', '..', 'dist',
                      'install-sysconf.sh')
live = os.path.join(tmp, 'live')
os.makedirs(live + '/ex')
os.makedirs(live + '/etc/apparmor.d/local')
for f in ('multikvm.conf', 'modules.conf'):
    shutil.copy(D(datadir + '/multikvm/examples/' + f), live + '/ex/' + f)
with open(live + '/etc/apparmor.d/local/usr.sbin.libvirtd', 'w') as f:
    f.write('# Site-specific additions and overrides for usr.sbin.libvirtd\n')
env = {k: v for k, v in os.environ.items() if k != 'DESTDIR'}
for _ in range(2):
    r = run(['sh', script, live + '/ex', live + '/etc', live + '/etc/apparmor.d'], env=env)
lp = open(live + '/etc/apparmor.d/local/usr.sbin.libvirtd').read()
ok(r.returncode == 0 and lp.startswith('# Site-specific') and
   lp.count('include if exists <local/usr.sbin.libvirtd.d>\n') == 1 and
   os.path.isfile(live + '/etc/multikvm/modules.conf'),
   'live install appends the include to local/usr.sbin.libvirtd once (run twice)',
   lp + r.stdout + r.stderr)

shutil.rmtree(tmp)
print('1..%d' % n)
sys.exit(1 if failed else 0)
