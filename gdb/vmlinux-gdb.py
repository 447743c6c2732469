# SPDX-License-Identifier: GPL-2.0-only
"""Auto-load hook: the kernel's lx- commands plus the earlyslab commands.

gdb auto-loads FILE-gdb.py next to an objfile FILE. Link this file as
vmlinux-gdb.py beside a vmlinux that has none (build/kernel-6.12/vmlinux, a
copied kernel), allow the directory, and `gdb vmlinux` gets both:

    ln -s /path/to/earlyslab/gdb/vmlinux-gdb.py build/kernel-6.12/vmlinux-gdb.py
    echo 'add-auto-load-safe-path /path/to/earlyslab/build/kernel' >> ~/.gdbinit

The kernel's own scripts (CONFIG_GDB_SCRIPTS: the vmlinux-gdb.py of the
kernel build directory) are sourced first when found: through
$EARLYSLAB_KERNEL_OBJDIR, or the objdir= line of a VERSION file beside the
vmlinux (written by scripts/build-kernel.sh). Both sets of commands live side
by side: lx-* and earlyslab *.
"""

import os
import sys

import gdb  # pylint: disable=import-error

# The code's own file name: __file__ is not reset for nested scripts.
_SELF = os.path.realpath(sys._getframe().f_code.co_filename)
_HERE = os.path.dirname(_SELF)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from earlyslab_gdb import kbuild  # noqa: E402  pylint: disable=wrong-import-position


def _lx_loaded():
    try:
        gdb.execute("help lx-dmesg", to_string=True)
        return True
    except gdb.error:
        return False


def _source_as_main(script):
    """Source a script that finds its modules through __file__ (the
    kernel's vmlinux-gdb.py): Python sets __file__ only when it is unset."""
    main = sys.modules["__main__"]
    had = "__file__" in main.__dict__
    old = main.__dict__.pop("__file__", None)
    try:
        gdb.execute("source %s" % script)
    except gdb.error as e:
        gdb.write("earlyslab: %s: %s\n" % (script, e))
    finally:
        if had:
            main.__file__ = old


def _load():
    obj = gdb.current_objfile()
    vmlinux = obj.filename if obj is not None else \
        gdb.current_progspace().filename
    if not _lx_loaded():
        for d in kbuild.objdirs(vmlinux):
            script = os.path.join(d, kbuild.LX_SCRIPT)
            if os.path.isfile(script) and os.path.realpath(script) != _SELF:
                _source_as_main(script)
                break
    gdb.execute("source %s" % os.path.join(_HERE, "earlyslab.py"))


_load()
