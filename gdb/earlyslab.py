# SPDX-License-Identifier: GPL-2.0-only
"""earlyslab gdb commands: `source gdb/earlyslab.py` in a gdb session on a
kernel built with CONFIG_EARLY_SLAB_TRACE (see docs/gdb.md).

Registers the prefix command `earlyslab` (help earlyslab). Sourcing the file
again reloads the commands. The code lives in the earlyslab_gdb package
beside this file.
"""

import importlib
import os
import sys

# Not __file__: when this file is sourced from another sourced script,
# __file__ is still the outer script's name.
_dir = os.path.dirname(os.path.realpath(sys._getframe().f_code.co_filename))
if _dir not in sys.path:
    sys.path.insert(0, _dir)

if "earlyslab_gdb" in sys.modules:
    sys.modules["earlyslab_gdb"].shutdown()
    for _name in sorted((n for n in sys.modules
                         if n.startswith("earlyslab_gdb.")), reverse=True):
        del sys.modules[_name]
    del sys.modules["earlyslab_gdb"]

importlib.import_module("earlyslab_gdb").register()
del _dir
