# SPDX-License-Identifier: GPL-2.0-only
"""gdb commands for the kernel's early slab trace; see gdb/earlyslab.py."""

import gdb  # pylint: disable=import-error

from . import breaks
from . import commands
from . import engine
from . import target

_commands = []


def register():
    """Register the commands and the cache invalidation handlers."""
    shutdown()
    target.gen.connect()
    _commands.extend(commands.register())


def shutdown():
    """Undo register(): breakpoints, handlers, the library handle."""
    breaks.shutdown()
    target.gen.disconnect()
    target.drop_cache()
    engine.engine.close()
    del _commands[:]


__all__ = ["register", "shutdown", "gdb"]
