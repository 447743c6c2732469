# SPDX-License-Identifier: GPL-2.0-only
"""The kernel build a vmlinux comes from: its VERSION stamp and the
kernel's own gdb scripts (CONFIG_GDB_SCRIPTS).

scripts/build-kernel.sh writes VERSION beside the vmlinux and bzImage it
produces: key=value lines (release=, objdir=, inputs=, ...), '#' starts a
comment. This is the one reader of that file, for the auto-load hook, the
tests, the demo and the bench alike. No gdb import: it also runs outside
gdb.
"""

import os

LX_SCRIPT = "vmlinux-gdb.py"


def read_version(path):
    """{key: value} of a VERSION file (a file or its directory); {} when
    there is none."""
    if os.path.isdir(path):
        path = os.path.join(path, "VERSION")
    out = {}
    try:
        with open(path) as f:
            for line in f:
                line = line.rstrip("\n")
                if "=" in line and not line.lstrip().startswith("#"):
                    k, v = line.split("=", 1)
                    out[k.strip()] = v.strip()
    except OSError:
        pass
    return out


def objdirs(vmlinux=None):
    """Kernel build directories to look for the lx- scripts in:
    $EARLYSLAB_KERNEL_OBJDIR, then the objdir= of the VERSION beside
    @vmlinux (as named, then with symlinks resolved)."""
    dirs = []
    env = os.environ.get("EARLYSLAB_KERNEL_OBJDIR")
    if env:
        dirs.append(env)
    if vmlinux:
        for d in (os.path.dirname(os.path.abspath(vmlinux)),
                  os.path.dirname(os.path.realpath(vmlinux))):
            o = read_version(d).get("objdir")
            if o and o not in dirs:
                dirs.append(o)
    return dirs


def lx_script(vmlinux=None, extra=()):
    """The kernel's vmlinux-gdb.py for @vmlinux, or None: in objdirs(),
    then beside the vmlinux (a kbuild output directory), then in @extra."""
    cands = objdirs(vmlinux)
    if vmlinux:
        cands.append(os.path.dirname(os.path.abspath(vmlinux)))
    cands += list(extra)
    for d in cands:
        p = os.path.join(d, LX_SCRIPT)
        if os.path.isfile(p):
            return p
    return None
