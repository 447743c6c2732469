# SPDX-License-Identifier: GPL-2.0-only
"""gdb commands for the kernel's early slab trace; see gdb/earlyslab.py.

Importing the package needs no gdb (kbuild and libes also serve plain
Python); register() and shutdown() do.
"""

_commands = []


def register():
    """Register the commands and the cache invalidation handlers."""
    from . import commands, target  # pylint: disable=import-outside-toplevel
    shutdown()
    target.gen.connect()
    _commands.extend(commands.register())


def shutdown():
    """Undo register(): breakpoints, handlers, the library handle."""
    # pylint: disable=import-outside-toplevel
    from . import breaks, engine, target
    breaks.shutdown()
    target.gen.disconnect()
    engine.engine.close()
    del _commands[:]


__all__ = ["register", "shutdown"]
