#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The lab: boot Debian's 6.12 kernel under emulation with a busybox
initramfs holding the modules and programs a scenario needs, run the
scenario, and report one verdict.  Two machines:

  qemu   (SVM, the default) QEMU TCG, -cpu EPYC (svm + npt): Debian's QEMU
         rebuilt with the fixes in tests/lab/qemu/ (scripts/setup-qemu),
         else the host's with a warning
  bochs  (VMX, `# lab: machine=bochs` or `vmx=yes`) Bochs with a VMX-capable
         CPU model (default corei7_skylake_x), booted by syslinux from a FAT
         disk image built without root or loop devices (scripts/setup-bochs)

Verdicts:

  PASS     the scenario exited 0 and the kernel log is clean
  FAIL     the scenario exited non-zero, or the kernel log shows a WARN,
           BUG, Oops or call trace
  CRASH    the guest panicked or reset before reporting a result (in a
           scenario of several stages: any panic but the one a crash into
           the next stage announced)
  TIMEOUT  no result within the time limit

Exit status: 0 PASS, 1 FAIL, 2 CRASH, 3 TIMEOUT, 4 harness error.  With
--expect VERDICT the exit status is 0 when that verdict was reached (used to
prove that failures are caught) and 1 otherwise; --expect-log REGEX further
requires a console line matching REGEX (the failure must be the one meant).

A scenario is a busybox sh script (tests/lab/scenarios/*.sh) whose header
lines configure the run:

  # lab: modules=kvm-amd vac kvm_amd_1     modules to put in the initramfs
                                           (stock ones from the cached
                                           kernel, with their dependencies;
                                           others from --kmod-dir)
  # lab: hostroot=yes                      share the host's / over 9p
  # lab: smp=2  memory=2G  cpu=EPYC  timeout=300
  # lab: bins=path/to/prog ...             extra programs for /bin
  # lab: machine=bochs  (or vmx=yes)       the VMX lab; cpu= is a Bochs
                                           model, smp defaults to 1 and
                                           memory to 1G there
  # lab: cmdline=PARAM[=VALUE] ...         extra kernel parameters (one per
                                           item), e.g. cmdline=indirect_
                                           target_selection=off: under
                                           Bochs the ITS mitigation WARNs
                                           (CPA W^X) on every module load
                                           with the icelake/tigerlake models
  # lab: icount=SHIFT                      (qemu) -icount shift=SHIFT,sleep=off:
                                           the guest's clock counts executed
                                           instructions (2^SHIFT ns each), as
                                           Bochs's does, so timings measured
                                           inside do not depend on the host's
                                           load; TCG then runs one thread
  # lab: powerbutton=yes                   (qemu) a QMP socket: on a console
                                           line "$LAB_MARKER: POWERBUTTON S"
                                           the harness presses the ACPI power
                                           button S seconds later (lib.sh:
                                           lab_powerbutton_in), e.g. to wake
                                           the lab from s2idle
  # lab: stages=N                          boots of one scenario: each stage
                                           but the last ends with
                                           lab_next_stage reboot|kexec|crash
                                           (lib.sh); see boot()
  # lab: kexec=yes                         /sbin/kexec with its libraries,
                                           and the kernel and this initramfs
                                           (less that payload) in /lab/kexec

The console log of every run is kept in --log-dir; a failed run's log path
is printed.
"""

import argparse
import json
import os
import re
import secrets
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))

VERDICT_CODES = {"PASS": 0, "FAIL": 1, "CRASH": 2, "TIMEOUT": 3}
BAD_LOG = re.compile(
    r"(WARNING: CPU: |WARNING: at |BUG: |kernel BUG|Oops|Call Trace:|general protection fault|"
    r"UBSAN:|KASAN:|------------\[ cut here \]|Kernel panic|"
    r"unreferenced object|list_add corruption|list_del corruption)")
PANIC = re.compile(r"Kernel panic|Oops: ")
KMSG_LINE = re.compile(r"^\[\s*\d+\.\d+\]")
HOSTROOT_MODULES = ["9p", "9pnet_virtio", "overlay"]


class HarnessError(Exception):
    pass


def log(msg):
    print(f"lab: {msg}", flush=True)


def parse_header(path):
    conf = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"#\s*lab:\s*(.*)$", line)
            if not m or re.match(r"(modules|bins)=", m.group(1)):
                continue
            for item in m.group(1).split():
                if "=" not in item:
                    raise HarnessError(f"{path}: bad header item '{item}' (want key=value)")
                k, v = item.split("=", 1)
                conf.setdefault(k, []).append(v)
    # modules= and bins= take space-separated lists spread over items
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"#\s*lab:\s*(modules|bins)=(.*)$", line)
            if m:
                conf[m.group(1)] = m.group(2).split()
    return conf


def kernel_dir(cache):
    cur = os.path.join(cache, "kernel", "cur")
    if not os.path.isfile(os.path.join(cur, ".complete")):
        raise HarnessError(f"no kernel in {cache}/kernel; run scripts/setup first")
    release = open(os.path.join(cur, "release")).read().strip()
    return os.path.realpath(cur), release


def norm(name):
    return name.replace("-", "_")


class ModuleIndex:
    """Stock modules of the cached kernel, by normalised name, with deps."""

    def __init__(self, root, release):
        self.base = os.path.join(root, "root", "lib", "modules", release)
        self.path = {}
        self.deps = {}
        with open(os.path.join(self.base, "modules.dep")) as f:
            for line in f:
                mod, _, deps = line.partition(":")
                name = norm(os.path.basename(mod).split(".ko")[0])
                self.path[name] = mod
                self.deps[name] = [norm(os.path.basename(d).split(".ko")[0])
                                   for d in deps.split()]

    def closure(self, names):
        out, seen = [], set()

        def visit(n):
            if n in seen:
                return
            seen.add(n)
            for d in self.deps.get(n, []):
                visit(d)
            out.append(n)
        for n in names:
            visit(norm(n))
        return out


MODULE_SIG_MAGIC = b"~Module signature appended~\n"


def strip_signature(path):
    """Cut the appended signature off a module: under Bochs checking it is
    about half the time insmod takes, and the lab does not enforce
    signatures (the kernel only taints)."""
    with open(path, "r+b") as f:
        data = f.read()
        if not data.endswith(MODULE_SIG_MAGIC):
            return
        # struct module_signature: algo, hash, id_type, signer_len,
        # key_id_len, pad[3], sig_len (be32); then the magic.
        info = data[-len(MODULE_SIG_MAGIC) - 12:-len(MODULE_SIG_MAGIC)]
        extra = info[3] + info[4] + int.from_bytes(info[8:12], "big")
        f.truncate(len(data) - len(MODULE_SIG_MAGIC) - 12 - extra)


def build_initramfs(work, scenario, conf, args, kroot, release, machine="qemu",
                    icount=None):
    rootfs = os.path.join(work, "rootfs")
    for d in ("bin", "sbin", "etc", "proc", "sys", "dev", "tmp", "run", "lab",
              "mnt", "root", f"lib/modules/{release}/kernel",
              f"lib/modules/{release}/extra"):
        os.makedirs(os.path.join(rootfs, d), exist_ok=True)
    busybox = "/bin/busybox"
    if not os.path.exists(busybox):
        raise HarnessError("no /bin/busybox; install busybox-static (scripts/setup)")
    shutil.copy(busybox, os.path.join(rootfs, "bin", "busybox"))
    os.link(os.path.join(rootfs, "bin", "busybox"), os.path.join(rootfs, "lab", "busybox"))
    shutil.copy(os.path.join(HERE, "init.sh"), os.path.join(rootfs, "init"))
    os.chmod(os.path.join(rootfs, "init"), 0o755)
    shutil.copy(os.path.join(HERE, "lib.sh"), os.path.join(rootfs, "lab", "lib.sh"))
    shutil.copy(os.path.join(HERE, "run.sh"), os.path.join(rootfs, "lab", "run.sh"))
    shutil.copy(scenario, os.path.join(rootfs, "lab", "scenario.sh"))
    # Where the repository and the build are: scenarios find host-built
    # files through the host root (hostroot=yes) at the same paths.
    with open(os.path.join(rootfs, "lab", "env"), "w") as f:
        f.write(f"LAB_TOP={TOP}\nLAB_BUILD_DIR={os.path.abspath(args.build_dir)}\n"
                f"LAB_KMOD_DIR={os.path.abspath(args.kmod_dir)}\n"
                f"LAB_HOSTROOT={conf.get('hostroot', ['no'])[0]}\n"
                f"LAB_MACHINE={machine}\n"
                f"LAB_ICOUNT={icount or ''}\n"
                f"LAB_STAGES={conf.get('stages', ['1'])[0]}\n")
    if conf.get("powerbutton", ["no"])[0] == "yes" and machine == "qemu":
        with open(os.path.join(rootfs, "lab", "env"), "a") as f:
            f.write("LAB_POWERBUTTON=yes\n")
    with open(os.path.join(rootfs, "etc", "passwd"), "w") as f:
        f.write("root:x:0:0:root:/root:/bin/sh\n")
    with open(os.path.join(rootfs, "etc", "group"), "w") as f:
        f.write("root:x:0:\nkvm:x:993:\n")

    # programs
    bins = list(args.bin or []) + conf.get("bins", [])
    for b in bins:
        src = b if os.path.isabs(b) else os.path.join(args.build_dir, b)
        if not os.path.exists(src):
            raise HarnessError(f"program {b} not found at {src} (build it first)")
        os.makedirs(os.path.join(rootfs, "lab", "bin"), exist_ok=True)
        shutil.copy(src, os.path.join(rootfs, "lab", "bin", os.path.basename(src)))

    # modules
    idx = ModuleIndex(kroot, release)
    # A module given by path with --module replaces the scenario's module
    # of the same name (e.g. a vac.ko built otherwise).
    given = {norm(os.path.basename(m).split(".ko")[0]) for m in args.module or []}
    wanted = [m for m in conf.get("modules", []) if norm(m) not in given] + \
        list(args.module or [])
    if conf.get("hostroot", ["no"])[0] == "yes":
        wanted += HOSTROOT_MODULES
    stock = [m for m in wanted if norm(m) in idx.path]
    ours = [m for m in wanted if norm(m) not in idx.path]
    # Stock modules ours depend on (ccp, irqbypass for an instance) come too.
    for m in ours:
        src = m if os.path.isabs(m) else os.path.join(args.kmod_dir, norm(m) + ".ko")
        if os.path.exists(src):
            deps = subprocess.run(["modinfo", "-F", "depends", src], capture_output=True,
                                  text=True).stdout.strip()
            stock += [d for d in deps.split(",") if d and norm(d) in idx.path]
    for name in idx.closure(stock):
        rel = idx.path[name]
        dst = os.path.join(rootfs, "lib", "modules", release, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        src = os.path.join(idx.base, rel)
        if rel.endswith(".xz"):
            with open(dst[:-3], "wb") as out:
                subprocess.run(["xz", "-dc", src], stdout=out, check=True)
        elif rel.endswith(".zst"):
            with open(dst[:-4], "wb") as out:
                subprocess.run(["zstd", "-dcq", src], stdout=out, check=True)
        else:
            shutil.copy(src, dst)
        if machine == "bochs":
            strip_signature(re.sub(r"\.(xz|zst)$", "", dst))
    for m in ours:
        src = m if os.path.isabs(m) else os.path.join(args.kmod_dir, norm(m) + ".ko")
        if not os.path.exists(src):
            raise HarnessError(f"module {m} is neither a stock module nor built at {src}")
        shutil.copy(src, os.path.join(rootfs, "lib", "modules", release, "extra"))
    for f in ("modules.order", "modules.builtin", "modules.builtin.modinfo"):
        p = os.path.join(idx.base, f)
        if os.path.exists(p):
            shutil.copy(p, os.path.join(rootfs, "lib", "modules", release, f))
    subprocess.run(["depmod", "-b", rootfs, release], check=True)

    cpio = os.path.join(work, "initrd.cpio")
    if conf.get("kexec", ["no"])[0] == "yes":
        # kexec and the kernel and initramfs to kexec into: this one, less
        # the payload itself (so the kexec'd stage cannot kexec again).
        add_host_program(rootfs, "kexec", "kexec-tools")
        write_cpio(rootfs, cpio)
        payload = os.path.join(rootfs, "lab", "kexec")
        os.makedirs(payload)
        shutil.copy(os.path.join(kroot, "root", "boot", f"vmlinuz-{release}"),
                    os.path.join(payload, "vmlinuz"))
        os.rename(cpio, os.path.join(payload, "initrd.cpio"))
    write_cpio(rootfs, cpio)
    return cpio


def write_cpio(rootfs, cpio):
    with open(cpio, "wb") as out:
        find = subprocess.Popen(["find", ".", "-print0"], cwd=rootfs, stdout=subprocess.PIPE)
        subprocess.run(["cpio", "--quiet", "-o", "-0", "-H", "newc", "-R", "0:0"],
                       cwd=rootfs, stdin=find.stdout, stdout=out, check=True)
        find.wait()


def add_host_program(rootfs, name, package):
    """The host's program name in /sbin, with the shared libraries it
    needs at the paths ldd names (the loader included)."""
    path = shutil.which(name, path="/usr/sbin:/sbin:/usr/bin:/bin")
    if not path:
        raise HarnessError(f"no {name} on this host; install {package} (scripts/setup)")
    shutil.copy(path, os.path.join(rootfs, "sbin", name))
    out = subprocess.run(["ldd", path], capture_output=True, text=True).stdout
    for lib in re.findall(r"^\s*(?:\S+ => )?(/\S+) \(0x", out, re.M):
        dst = os.path.join(rootfs, lib.lstrip("/"))
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy(lib, dst)


BOCHS_IPS = 200_000_000
BOCHS_BIOS = "/usr/share/bochs/BIOS-bochs-latest"
BOCHS_VGABIOS = "/usr/share/vgabios/vgabios.bin"
# MSRs Debian's kernel reads under Bochs that Bochs does not model: defined
# here so they read as zero instead of logging an error on every access.
BOCHS_MSRS = [
    (0x1d9, "IA32_DEBUGCTL"),
    (0x0e7, "IA32_MPERF, read on every tick"),
    (0x0e8, "IA32_APERF, read on every tick"),
]
# Bochs detects a flat disk's geometry when its size is a whole number of
# 16-head, 63-sector cylinders.
BOCHS_CYLINDER = 16 * 63 * 512


def megabytes(text):
    m = re.fullmatch(r"(\d+)([MG]?)", text.upper())
    if not m:
        raise HarnessError(f"bad memory size '{text}' (want e.g. 1024M or 1G)")
    return int(m.group(1)) * (1024 if m.group(2) == "G" else 1)


def find_qemu(args):
    """Return (path, label) of the SVM lab's QEMU: --qemu, else our cached
    build of Debian's QEMU with tests/lab/qemu/series applied
    (scripts/setup-qemu), else the host's, which races on vCPU 0's state
    and now and then livelocks a nested guest on CPU 0 (see the patch)."""
    if args.qemu:
        return args.qemu, f"QEMU {args.qemu}"
    cur = os.path.join(args.cache_dir, "qemu", "cur")
    if os.path.isfile(os.path.join(cur, ".complete")):
        return os.path.join(cur, "bin", "qemu-system-x86_64"), "QEMU, lab build"
    log("warning: no lab QEMU built by scripts/setup-qemu; using the host's, "
        "whose vCPU 0 race can livelock nested guests on CPU 0")
    return "qemu-system-x86_64", "QEMU qemu-system-x86_64"


def find_bochs(args):
    """Return (path, legacy, models): our cached Bochs 3.0 build, else
    Debian's 2.7 package (legacy: built with the debugger, no display-less
    GUI), and the CPU models it knows."""
    path = args.bochs
    if not path:
        cur = os.path.join(args.cache_dir, "bochs", "cur")
        if os.path.isfile(os.path.join(cur, ".complete")):
            path = os.path.join(cur, "bin", "bochs")
        else:
            path = shutil.which("bochs")
    if not path or not os.path.exists(path):
        raise HarnessError("no Bochs; run scripts/setup-bochs")
    out = subprocess.run([path, "--help", "cpu"], stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True).stdout
    m = re.search(r"Bochs x86 Emulator (\d+)\.(\d+)", out)
    if not m:
        raise HarnessError(f"{path} does not look like Bochs")
    models = re.findall(r"^([a-z][a-z0-9_]+)$",
                        out.split("Supported CPU models:", 1)[-1], re.M)
    return path, int(m.group(1)) < 3, models


def build_disk(work, kernel, cpio, append):
    """An unpartitioned FAT image with syslinux, the kernel and the
    (uncompressed) initramfs, built without root or loop devices."""
    img = os.path.join(work, "disk.img")
    need = os.path.getsize(kernel) + os.path.getsize(cpio) + (4 << 20)
    size = -(-need * 11 // 10 // BOCHS_CYLINDER) * BOCHS_CYLINDER
    with open(img, "wb") as f:
        f.truncate(size)
    cfg = os.path.join(work, "syslinux.cfg")
    with open(cfg, "w") as f:
        f.write("DEFAULT lab\nPROMPT 0\nTIMEOUT 0\nLABEL lab\n"
                f"  KERNEL vmlinuz\n  INITRD initrd\n  APPEND {append}\n")
    env = dict(os.environ, MTOOLS_SKIP_CHECK="1")
    for cmd in (["mkfs.fat", "-g", "16/63", "-n", "MKVMLAB", img],
                ["syslinux", "--install", img],
                ["mcopy", "-i", img, kernel, "::vmlinuz"],
                ["mcopy", "-i", img, cpio, "::initrd"],
                ["mcopy", "-i", img, cfg, "::syslinux.cfg"]):
        try:
            subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE)
        except FileNotFoundError:
            raise HarnessError(f"{cmd[0]} not found; run scripts/setup-bochs")
        except subprocess.CalledProcessError as e:
            raise HarnessError(f"building the boot disk failed: {' '.join(cmd)}: "
                               f"{e.stderr.decode(errors='replace').strip()}")
    return img


def bochs_command(work, args, kernel, cpio, nonce, cpu, smp, mem, extra):
    """Boot disk, bochsrc and command line for one Bochs run."""
    append = (f"console=ttyS0,115200 loglevel=1 nokaslr panic=0 oops=panic "
              f"rdinit=/init cryptomgr.notests tsc_early_khz={BOCHS_IPS // 1000} "
              f"printk.time=1 {extra}mkvm.machine=bochs mkvm.nonce={nonce}")
    disk = build_disk(work, kernel, cpio, append)
    bochs, legacy, models = find_bochs(args)
    if cpu not in models:
        raise HarnessError(f"{bochs} has no CPU model '{cpu}'; VMX-capable ones include "
                           "corei7_skylake_x, corei7_icelake_u, tigerlake")
    msrs = os.path.join(work, "msrs.def")
    with open(msrs, "w") as f:
        for addr, what in BOCHS_MSRS:
            f.write(f"0x{addr:03x} 0 00000000 00000000 00000000 00000000 "
                    f"ffffffff ffffffff  # {what}\n")
    console = os.path.join(work, "console.log")
    rc = os.path.join(work, "bochsrc")
    display = 'rfb, options="timeout=0"' if legacy else "nogui"
    with open(rc, "w") as f:
        f.write(f"""display_library: {display}
romimage: file="{BOCHS_BIOS}"
vgaromimage: file="{BOCHS_VGABIOS}"
cpu: model={cpu}, count={smp}, ips={BOCHS_IPS}, reset_on_triple_fault=0, ignore_bad_msrs=1, msrs="{msrs}"
memory: guest={mem}, host={mem}
pci: enabled=1, chipset=i440fx
ata0-master: type=disk, path="{disk}", mode=flat
boot: disk
clock: sync=none
com1: enabled=1, mode=file, dev="{console}"
mouse: enabled=0
panic: action=fatal
error: action=report
info: action=ignore
debug: action=ignore
log: "{os.path.join(work, 'bochs.log')}"
""")
    cmd = [bochs, "-q", "-f", rc]
    if legacy:
        # Debian's 2.7 is built with the debugger: it waits for a command.
        cont = os.path.join(work, "debugger.rc")
        with open(cont, "w") as f:
            f.write("c\n")
        cmd += ["-rc", cont]
    return cmd, console, ("Bochs 2.7" if legacy else "Bochs")


def run(args):
    scenario = os.path.abspath(args.scenario)
    name = os.path.splitext(os.path.basename(scenario))[0]
    conf = parse_header(scenario)
    kroot, release = kernel_dir(args.cache_dir)
    kernel = os.path.join(kroot, "root", "boot", f"vmlinuz-{release}")
    timeout = float(args.timeout or conf.get("timeout", ["300"])[0])
    machine = args.machine or conf.get("machine", [None])[0]
    if not machine:
        machine = "bochs" if conf.get("vmx", ["no"])[0] == "yes" else "qemu"
    if machine not in ("qemu", "bochs"):
        raise HarnessError(f"{scenario}: unknown machine '{machine}' (qemu or bochs)")
    bochs = machine == "bochs"
    if bochs and conf.get("hostroot", ["no"])[0] == "yes":
        raise HarnessError(f"{scenario}: hostroot=yes needs virtio, which the Bochs lab lacks")
    smp = args.smp or conf.get("smp", ["1" if bochs else "2"])[0]
    if not re.fullmatch(r"[1-9]\d*", smp):
        raise HarnessError(f"{scenario}: bad smp '{smp}' (want a number of CPUs, e.g. smp=2)")
    if conf.get("powerbutton", ["no"])[0] not in ("yes", "no"):
        raise HarnessError(f"{scenario}: bad powerbutton '{conf['powerbutton'][0]}' (want yes or no)")
    mem = conf.get("memory", ["1G" if bochs else "2G"])[0]
    cpu = args.cpu or conf.get("cpu", ["corei7_skylake_x" if bochs else "EPYC"])[0]
    extra = "".join(p + " " for p in conf.get("cmdline", []))
    icount = args.icount or conf.get("icount", [None])[0]
    if icount in ("off", "no"):
        icount = None
    if icount is not None and not re.fullmatch(r"\d+", icount):
        raise HarnessError(f"{scenario}: bad icount '{icount}' (want a shift, e.g. icount=3)")
    if bochs:
        icount = None  # Bochs's clock counts instructions anyway (ips=)
    stages = conf.get("stages", ["1"])[0]
    if not re.fullmatch(r"[1-9]\d*", stages):
        raise HarnessError(f"{scenario}: bad stages '{stages}' (want a count, e.g. stages=2)")
    stages = int(stages)
    os.makedirs(args.log_dir, exist_ok=True)
    logpath = os.path.join(args.log_dir, f"{name}.log")

    t_start = time.monotonic()
    work = tempfile.mkdtemp(prefix=f"lab-{name}-", dir=args.work_dir)
    verdict = None
    qmp = None
    try:
        cpio = build_initramfs(work, scenario, conf, args, kroot, release, machine, icount)
        nonce = secrets.token_hex(8)
        marker = f"MKVM-LAB-{nonce}"
        if bochs:
            cmd, console, emulator = bochs_command(work, args, kernel, cpio, nonce,
                                                   cpu, smp, megabytes(mem), extra)

            def make_cmd(stage):
                if stage != 1:
                    raise HarnessError("a reboot into a next stage needs the QEMU lab "
                                       "(Bochs reboots the same disk)")
                return cmd
        else:
            qemu, emulator = find_qemu(args)
            console = None

            def make_cmd(stage):
                # The stage after a reboot is booted anew with its number
                # on the command line (a kexec puts it there itself).
                append = (f"console=ttyS0 panic=-1 oops=panic rdinit=/init loglevel=6 "
                          f"printk.time=1 {extra}mkvm.nonce={nonce}"
                          + (f" mkvm.stage={stage}" if stage > 1 else ""))
                cmd = [qemu, "-accel", "tcg", "-cpu", cpu, "-smp", smp, "-m", mem,
                       "-kernel", kernel, "-initrd", cpio, "-append", append,
                       "-display", "none", "-serial", "stdio", "-monitor", "none",
                       "-no-reboot", "-nic", "none"]
                if icount is not None:
                    # Instruction counting needs single-threaded TCG: say so,
                    # rather than get it silently.
                    cmd[1:3] = ["-accel", "tcg,thread=single"]
                    cmd += ["-icount", f"shift={icount},sleep=off"]
                if conf.get("hostroot", ["no"])[0] == "yes":
                    cmd += ["-virtfs", "local,path=/,mount_tag=hostroot,"
                            "security_model=none,readonly=on"]
                if qmp:
                    cmd += ["-qmp", f"unix:{qmp},server=on,wait=off"]
                return cmd
            if conf.get("powerbutton", ["no"])[0] == "yes":
                qmp = os.path.join(work, "qmp.sock")
        t_built = time.monotonic()
        if icount is not None:
            emulator += f", icount shift={icount}"
        log(f"{name}: booting {release} ({emulator}, cpu {cpu}, {smp} CPUs, {mem}), "
            f"timeout {timeout:.0f}s" + (f", {stages} stages" if stages > 1 else ""))
        verdict, rc, detail, boot_times = boot(make_cmd, marker, timeout, logpath, args,
                                               console=console, emulator=emulator,
                                               stages=stages, qmp=qmp)
    finally:
        if bochs and verdict != "PASS":
            blog = os.path.join(work, "bochs.log")
            if os.path.exists(blog):
                shutil.copy(blog, os.path.join(args.log_dir, f"{name}.bochs.log"))
        if not args.keep_work:
            shutil.rmtree(work, ignore_errors=True)
    t_end = time.monotonic()
    times = ", ".join([f"initramfs {t_built - t_start:.1f}s"] + boot_times +
                      [f"total {t_end - t_start:.1f}s"])
    if verdict == "PASS":
        log(f"{name}: PASS ({times})")
    else:
        log(f"{name}: {verdict}: {detail} ({times})")
        log(f"{name}: console log kept at {logpath}")
    return verdict


class ConsoleReader:
    """The guest's console: QEMU's stdout (a pipe), or the file Bochs writes
    its COM1 to, followed while the emulator runs."""

    def __init__(self, proc, path=None):
        self.proc = proc
        self.path = path
        self.f = None

    def read(self, wait):
        """Up to 64 KiB of output; None when there is none yet, b"" at the end."""
        if self.path is None:
            r, _, _ = select.select([self.proc.stdout], [], [], wait)
            if not r:
                return None
            return os.read(self.proc.stdout.fileno(), 65536)
        if self.f is None and os.path.exists(self.path):
            self.f = open(self.path, "rb")
        data = self.f.read(65536) if self.f else b""
        if data:
            return data
        if self.proc.poll() is not None:
            return self.f.read() if self.f else b""
        time.sleep(min(wait, 0.05))
        return None

    def close(self):
        if self.f:
            self.f.close()


def qmp_powerbutton(path):
    """Press the machine's ACPI power button through QEMU's QMP socket."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        s.connect(path)
        f = s.makefile("rw")
        f.readline()  # the greeting
        for cmd in ("qmp_capabilities", "system_powerdown"):
            f.write(json.dumps({"execute": cmd}) + "\n")
            f.flush()
            while True:
                reply = json.loads(f.readline())
                if "return" in reply:
                    break
                if "error" in reply:
                    raise HarnessError(f"QMP {cmd}: {reply['error']}")


# How a stage of a multi-stage scenario ends (lab_next_stage in lib.sh),
# and the console line that shows it happened before the next stage begins.
STAGE_SIGNS = {
    "reboot": "reboot: Restarting system",
    "kexec": "kexec_core: Starting new kernel",
    "crash": "Kernel panic - not syncing: sysrq triggered crash",
}


class Stage:
    """One boot of a scenario: its number, times, kernel log dump and how it
    ended (None: by a result, else a key of STAGE_SIGNS)."""

    def __init__(self, number, t_begin):
        self.number = number
        self.t_begin = t_begin
        self.t_end = None
        self.dmesg = []
        self.how = None
        self.expect = []
        self.transition = []    # console lines from NEXT-STAGE to the next BEGIN
        self.allowed = set()    # indices into transition: the expected panic's report


def launch(cmd, console):
    if console is None:
        return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, start_new_session=True)
    with open(os.path.join(os.path.dirname(console), "emulator.out"), "wb") as out:
        return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True,
                                cwd=os.path.dirname(console))


def stop(p):
    if p.poll() is None:
        try:
            os.killpg(p.pid, signal.SIGTERM)
            p.wait(5)
        except (subprocess.TimeoutExpired, ProcessLookupError):
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    else:
        p.wait()


def judge_transition(st):
    """Problems of the way stage st ended: the sign of its end and the
    scenario's EXPECT texts must be on the console between NEXT-STAGE and
    the next stage; any WARN/BUG/oops/panic there fails, except the one
    expected panic of a crash and its own stack dump."""
    errors = []
    text = st.transition
    for want in [STAGE_SIGNS[st.how]] + st.expect:
        if not any(want in l for l in text):
            errors.append(f"stage {st.number} ended by {st.how}, but the console never "
                          f"showed '{want}'")
    bad = [l for i, l in enumerate(text) if i not in st.allowed and BAD_LOG.search(l)]
    return errors, bad


def boot(make_cmd, marker, timeout, logpath, args, console=None, emulator="QEMU",
         stages=1, qmp=None):
    """Run the emulator, stream the console into logpath, return the verdict,
    the exit code, the reason and the times.  make_cmd(stage) is the
    emulator's command line booting that stage; a scenario of several stages
    ends each but the last with lab_next_stage (lib.sh): a reboot ends the
    emulator (-no-reboot) and the next stage is booted anew, a kexec or a
    crash (kexec into the crash kernel) starts it inside the same run."""
    t0 = time.monotonic()
    press_at = None
    panic_at = None
    cmd = make_cmd(1)
    with open(logpath, "wb") as logf:
        logf.write(("# " + " ".join(cmd) + "\n").encode())
        p = launch(cmd, console)
        reader = ConsoleReader(p, console)
        buf = b""
        lines = []
        allowed = set()         # indices into lines: the expected panic's report
        runs = [Stage(0, t0)]   # the stages that began; [0] stands for the boot
        errors = []
        pending_expect = []
        expected_next = 1
        state = "boot"
        result = None
        deadline = t0 + timeout
        timed_out = False
        while True:
            now = time.monotonic()
            left = deadline - now
            if left <= 0:
                timed_out = True
                break
            # A panicked guest may never stop by itself (Bochs, panic=0):
            # keep its last words, then end the run.
            if panic_at is not None and now - panic_at > 3:
                break
            if press_at is not None and now >= press_at:
                press_at = None
                try:
                    qmp_powerbutton(qmp)
                    logf.write(b"# lab: pressed the power button\n")
                except (OSError, ValueError, HarnessError) as e:
                    # the scenario then waits in vain: its verdict says so
                    log(f"cannot press the power button over QMP: {e}")
            chunk = reader.read(min(left, 1.0))
            if chunk is None:
                continue
            if not chunk:
                cur = runs[-1]
                # A reboot ends the emulator (-no-reboot): boot the next stage.
                if (state == "transition" and cur.how == "reboot" and panic_at is None
                        and p.wait() == 0 and STAGE_SIGNS["reboot"] in "\n".join(cur.transition)):
                    reader.close()
                    if console is not None:
                        os.unlink(console)
                    cmd = make_cmd(expected_next)
                    logf.write(("# " + " ".join(cmd) + "\n").encode())
                    p = launch(cmd, console)
                    reader = ConsoleReader(p, console)
                    state = "boot"
                    continue
                break
            logf.write(chunk)
            logf.flush()
            buf += chunk
            while b"\n" in buf:
                raw, buf = buf.split(b"\n", 1)
                line = raw.decode("utf-8", "replace").rstrip("\r")
                lines.append(line)
                cur = runs[-1]
                if line.startswith(marker + ": BEGIN"):
                    m = re.search(r" stage=(\d+)", line)
                    n = int(m.group(1)) if m else 1
                    if n != expected_next:
                        errors.append(f"stage {n} began where stage {expected_next} "
                                      "was expected")
                    runs.append(Stage(n, time.monotonic()))
                    state = "scenario"
                    continue
                if line.startswith(marker + ": DMESG-BEGIN"):
                    state = "dmesg"
                    cur.t_end = time.monotonic()
                    continue
                if line.startswith(marker + ": DMESG-END"):
                    # lab_stage_announce dumps the log after NEXT-STAGE
                    state = "transition" if cur.how else "end"
                    continue
                if line.startswith(marker + ": RESULT "):
                    result = int(line.split()[-1])
                    continue
                if line.startswith(marker + ": POWERBUTTON ") and qmp:
                    press_at = time.monotonic() + float(line.split()[-1])
                    continue
                if line.startswith(marker + ": EXPECT "):
                    pending_expect.append(line[len(marker + ": EXPECT "):])
                    continue
                if line.startswith(marker + ": NEXT-STAGE "):
                    f = line.split()
                    n = int(f[2]) if len(f) > 3 and f[2].isdigit() else None
                    how = f[3] if len(f) > 3 else None
                    if how not in STAGE_SIGNS or n != cur.number + 1:
                        errors.append(f"bad stage announcement: {line}")
                    elif n > stages:
                        # Not a transition: a panic that follows is a crash.
                        errors.append(f"stage {n} announced ({how}), but the scenario "
                                      f"has {stages} stage(s) (# lab: stages=)")
                    else:
                        cur.how, cur.expect = how, pending_expect
                        expected_next = n
                        state = "transition"
                    pending_expect = []
                    continue
                if state == "dmesg":
                    cur.dmesg.append(line)
                if state == "transition":
                    cur.transition.append(line)
                    if (cur.how == "crash" and STAGE_SIGNS["crash"] in line
                            and not cur.allowed):
                        # the expected panic; its stack dump has one call trace
                        cur.allowed.add(len(cur.transition) - 1)
                        allowed.add(len(lines) - 1)
                        continue
                    if (cur.allowed and "Call Trace:" in line
                            and len(cur.allowed) == 1):
                        cur.allowed.add(len(cur.transition) - 1)
                        allowed.add(len(lines) - 1)
                        continue
                # An oops is a crash too (panic_on_oops): with a crash
                # kernel loaded, it kexecs without a "Kernel panic" line.
                if panic_at is None and PANIC.search(line):
                    panic_at = time.monotonic()
                if "---[ end Kernel panic" in line:
                    panic_at = 0.0
                if state == "scenario" and not args.quiet and not KMSG_LINE.match(line):
                    print(line, flush=True)
            if result is not None:
                break
        reader.close()
        stop(p)

    runs = runs[1:]
    times = []
    for i, st in enumerate(runs):
        start = runs[i - 1].t_end if i else t0
        if start is not None:
            times.append(("boot" if not i else runs[i - 1].how) +
                         f" {st.t_begin - start:.1f}s")
        if st.t_end is not None:
            times.append((f"stage {st.number}" if stages > 1 else "scenario") +
                         f" {st.t_end - st.t_begin:.1f}s")
    if not runs:
        times.append(f"boot {time.monotonic() - t0:.1f}s (no stage began)")

    dmesg = [l for st in runs for l in st.dmesg]
    bad = [l for l in dmesg if BAD_LOG.search(l)]
    for st in (st for st in runs[:-1] if st.how):
        errs, tbad = judge_transition(st)
        errors += errs
        bad += tbad
    # Name the warning itself rather than the "cut here" line above it.
    bad.sort(key=lambda l: "cut here" in l)

    crash = [l for i, l in enumerate(lines)
             if i not in allowed and re.search(r"Kernel panic|BUG: |Oops", l)]
    # A panic no stage announced is a crash, even if a crash kernel went
    # on to report a result.
    if crash and (result is None or any(PANIC.search(l) for l in crash)):
        return "CRASH", result, f"guest crashed: {crash[0].strip()}", times
    if result is None:
        if timed_out:
            return "TIMEOUT", None, f"no result within {timeout:.0f}s", times
        why = f"{emulator} exit status {p.returncode}"
        if console is not None:
            why += emulator_panic(os.path.dirname(console))
        if runs and runs[-1].how:
            why += f"; after stage {runs[-1].number} began its {runs[-1].how}"
        return "CRASH", None, f"guest stopped without a result ({why})", times
    if result != 0:
        return "FAIL", result, f"scenario exited {result}", times
    if errors:
        return "FAIL", result, errors[0], times
    if not runs or runs[-1].number != stages:
        last = runs[-1].number if runs else 0
        return "FAIL", result, f"the scenario ended in stage {last} of {stages}", times
    if bad:
        return "FAIL", result, f"kernel log is not clean: {bad[0].strip()}", times
    return "PASS", 0, "", times


def emulator_panic(work):
    """Bochs's own reason for stopping, from its output or its log."""
    for name in ("emulator.out", "bochs.log"):
        try:
            with open(os.path.join(work, name), errors="replace") as f:
                lines = [l.strip() for l in f]
        except OSError:
            continue
        for i, l in enumerate(lines):
            if "exiting with the following message" in l and i + 1 < len(lines):
                return f"; Bochs: {lines[i + 1]}"
        hits = [l for l in lines if re.search(r"\d+p\[|>>PANIC<<", l)]
        if hits:
            return f"; Bochs: {hits[-1]}"
    return ""


def main():
    ap = argparse.ArgumentParser(description="Run a scenario in the lab (SVM: QEMU, VMX: Bochs).")
    ap.add_argument("scenario")
    ap.add_argument("--cache-dir", default=os.environ.get(
        "MULTIKVM_CACHE_DIR", os.path.join(TOP, ".cache")))
    ap.add_argument("--build-dir", default=os.environ.get(
        "MULTIKVM_BUILD_DIR", os.path.join(TOP, "build")),
        help="where relative bins= paths are found")
    ap.add_argument("--kmod-dir", default=None,
                    help="where our modules are (default BUILD/kmod)")
    ap.add_argument("--log-dir", default=None,
                    help="where console logs are kept (default BUILD/lab-logs)")
    ap.add_argument("--work-dir", default=None)
    ap.add_argument("--keep-work", action="store_true")
    ap.add_argument("--bin", action="append", help="extra program for /bin")
    ap.add_argument("--module", action="append", help="extra module")
    ap.add_argument("--cpu", default=None)
    ap.add_argument("--timeout", type=float, default=None)
    ap.add_argument("--smp", default=None, help="CPUs; overrides the scenario's smp=")
    ap.add_argument("--qemu", default=None,
                    help="QEMU binary (default: the cached lab build from "
                    "scripts/setup-qemu, else qemu-system-x86_64)")
    ap.add_argument("--machine", choices=["qemu", "bochs"], default=None,
                    help="override the scenario's machine (qemu: SVM, bochs: VMX)")
    ap.add_argument("--bochs", default=None,
                    help="Bochs binary (default: the cached 3.0 build, else bochs)")
    ap.add_argument("--icount", default=None,
                    help="QEMU instruction counting: a shift (the guest's clock "
                    "advances 2^SHIFT ns per instruction), or off; overrides "
                    "the scenario's icount=")
    ap.add_argument("--quiet", action="store_true", help="do not echo scenario output")
    ap.add_argument("--expect", choices=list(VERDICT_CODES),
                    help="succeed only if this verdict is reached")
    ap.add_argument("--expect-log", default=None, metavar="REGEX",
                    help="with --expect: and only if a console line matches REGEX")
    args = ap.parse_args()
    if args.expect_log and not args.expect:
        ap.error("--expect-log needs --expect")
    args.kmod_dir = args.kmod_dir or os.path.join(args.build_dir, "kmod")
    args.log_dir = args.log_dir or os.path.join(args.build_dir, "lab-logs")
    args.work_dir = args.work_dir or args.build_dir
    os.makedirs(args.work_dir, exist_ok=True)
    try:
        verdict = run(args)
    except HarnessError as e:
        print(f"lab: error: {e}", file=sys.stderr)
        return 4
    if args.expect:
        if verdict != args.expect:
            log(f"expected verdict {args.expect}, got {verdict}")
            return 1
        if args.expect_log:
            name = os.path.splitext(os.path.basename(args.scenario))[0]
            with open(os.path.join(args.log_dir, f"{name}.log"), errors="replace") as f:
                hit = next((l.strip() for l in f if re.search(args.expect_log, l)), None)
            if hit is None:
                log(f"verdict {verdict} as expected, but no console line matches "
                    f"'{args.expect_log}': it failed for another reason")
                return 1
            log(f"expected line: {hit}")
        log(f"expected verdict {args.expect} reached")
        return 0
    return VERDICT_CODES[verdict]


if __name__ == "__main__":
    sys.exit(main())
