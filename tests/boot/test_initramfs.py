# SPDX-License-Identifier: GPL-2.0-only
"""scripts/mkinitramfs.sh with a stand-in busybox: what it checks of the
busybox it is given, and the archive it makes."""

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
SCRIPT = ROOT / "scripts" / "mkinitramfs.sh"


def fake_busybox(path, applets, more=()):
    """A shell script that lists @applets as `busybox --list` does, then,
    a second later, @more."""
    text = "#!/bin/sh\n[ \"$1\" = --list ] || exit 1\n"
    text += "".join("echo %s\n" % a for a in applets)
    if more:
        text += "sleep 1\n" + "".join("echo %s\n" % a for a in more)
    path.write_text(text)
    path.chmod(0o755)
    return path


def run(tmp_path, busybox):
    env = dict(os.environ, BUILD=str(tmp_path / "build"),
               BUSYBOX=str(busybox))
    return subprocess.run(["bash", str(SCRIPT)], env=env, text=True,
                          capture_output=True, timeout=120, check=False)


def test_poweroff_listed_early(tmp_path):
    """poweroff comes first and the list goes on later: the check must
    read the whole list, not take the writer's SIGPIPE (grep -q is done
    at the first match) for a missing applet. Real busyboxes lost that
    race about one time in fifty."""
    more = ["applet%02d" % i for i in range(50)]
    r = run(tmp_path, fake_busybox(tmp_path / "busybox", ["poweroff", "sh"],
                                   more))
    assert r.returncode == 0, r.stderr
    assert "built" in r.stdout
    out = tmp_path / "build" / "initramfs.cpio.gz"
    listing = subprocess.run(f"gzip -dc {out} | cpio -t --quiet",
                             shell=True, text=True, capture_output=True,
                             check=True).stdout.split()
    for name in ("init", "bin/busybox", "bin/poweroff", "bin/applet49"):
        assert name in listing, listing


def test_no_poweroff(tmp_path):
    r = run(tmp_path, fake_busybox(tmp_path / "busybox", ["sh", "ls"]))
    assert r.returncode != 0
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and "has no poweroff applet" in lines[0], r.stderr
    assert not (tmp_path / "build" / "initramfs.cpio.gz").exists()
