# SPDX-License-Identifier: GPL-2.0-only
"""The kernel cache of scripts/build-kernel.sh: a build directory of its
own (as a second clone has) with the same inputs gets every kernel from
the cache, complete and identical, without running kbuild."""

import filecmp
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import esboot  # noqa: E402

SCRIPT = ROOT / "scripts" / "build-kernel.sh"
FILES = ["vmlinux", "bzImage", "System.map", "config",
         "lx/vmlinux-gdb.py", "lx/scripts/gdb/linux/utils.py"]


def version(path):
    return dict(line.split("=", 1) for line in path.read_text().splitlines()
                if "=" in line and not line.startswith("#"))


def build(name, build_dir, cache):
    """scripts/build-kernel.sh NAME in BUILD_DIR with the kernel cache
    CACHE, never running kbuild (a stale kernel fails at once)."""
    env = dict(os.environ, BUILD=str(build_dir),
               EARLYSLAB_KERNEL_CACHE=str(cache), EARLYSLAB_NO_BUILD="1")
    return subprocess.run(["bash", str(SCRIPT), name], env=env, text=True,
                          capture_output=True, timeout=600)


@pytest.mark.parametrize("kernel", list(esboot.KERNELS))
def test_second_build_dir_uses_the_cache(kernel, tmp_path):
    cfg_dir = esboot.KERNELS[kernel]["dir"]
    series = esboot.KERNELS[kernel]["series"]
    if not (cfg_dir / "VERSION").is_file():
        pytest.fail(f"{cfg_dir}/VERSION missing: run 'make "
                    f"{esboot.KERNELS[kernel]['make']}'", pytrace=False)
    have = version(cfg_dir / "VERSION")
    assert have["name"] == kernel and have["series"] == series, have
    # A cache of one entry, made from the kernel already built.
    cache = tmp_path / "cache"
    entry = cache / have["inputs"]
    entry.mkdir(parents=True)
    subprocess.run(["cp", "-r", f"{cfg_dir}/.", str(entry)], check=True)

    r = build(kernel, tmp_path / "build", cache)
    if "EARLYSLAB_NO_BUILD" in r.stderr:
        pytest.fail(f"{cfg_dir} is not up to date: run 'make "
                    f"{esboot.KERNELS[kernel]['make']}'", pytrace=False)
    assert r.returncode == 0, r.stderr
    assert "from the kernel cache" in r.stdout, r.stdout
    assert not (tmp_path / "build" / "src" / f"linux-{series}").exists(), \
        "a tree was extracted"
    out = tmp_path / "build" / cfg_dir.name
    got = version(out / "VERSION")
    assert got["inputs"] == have["inputs"]
    assert (got["name"], got["series"]) == (kernel, series), got
    assert got["objdir"] == str(out / "lx")
    for f in FILES:
        assert filecmp.cmp(cfg_dir / f, out / f, shallow=False), f

    # up to date now: a second call copies nothing
    r = build(kernel, tmp_path / "build", cache)
    assert r.returncode == 0 and "up to date" in r.stdout, r.stdout



@pytest.mark.parametrize("args, why", [
    (["kasan-6.12"], "kasan.config missing"),
    (["6.12", "kasan"], "kasan.config missing"),
    (["5.10"], "unknown series '5.10'"),
    (["6.1", "tiny"], "usage:"),
])
def test_bad_kernel_is_one_line(args, why, tmp_path):
    """A kernel the tree cannot build is refused before any work, with
    the reason first: here a KASAN kernel of a series (a copy of 6.12)
    that has no kasan.config, an unknown series, an unknown variant."""
    series = tmp_path / "series-6.12"
    subprocess.run(["cp", "-r", str(ROOT / "kernel-patch" / "6.12"),
                    str(series)], check=True)
    (series / "kasan.config").unlink(missing_ok=True)
    env = dict(os.environ, BUILD=str(tmp_path / "build"),
               EARLYSLAB_KERNEL_CACHE=str(tmp_path / "cache"),
               EARLYSLAB_PATCHDIR=str(series), EARLYSLAB_NO_BUILD="1")
    r = subprocess.run(["bash", str(SCRIPT)] + args, env=env, text=True,
                       capture_output=True, timeout=60, check=False)
    assert r.returncode != 0, r.stdout
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and why in lines[0], r.stderr
    assert not (tmp_path / "build" / "src").exists(), r.stdout


def test_option_that_does_not_stick_stops_the_build(tmp_path):
    """The 6.12 fragment without its '# CONFIG_SLUB_TINY is not set':
    tinyconfig's SLUB_TINY stays, SLUB_DEBUG cannot be had with it, and
    the build stops at the configuration with one line naming both. The
    build directory is a new one that shares the series' patched tree."""
    # the series' tree, brought up to date: kernels from the cache leave
    # a tree of an older series where it was
    r = subprocess.run(["bash", str(SCRIPT), "6.12", "--tree"], text=True,
                       capture_output=True, timeout=600, check=False)
    if r.returncode:
        pytest.fail(f"no 6.12 tree: {r.stderr}", pytrace=False)
    tree = Path(r.stdout.splitlines()[-1])
    series = tmp_path / "series-6.12"
    subprocess.run(["cp", "-r", str(ROOT / "kernel-patch" / "6.12"),
                    str(series)], check=True)
    frag = series / "earlyslab.config"
    text = frag.read_text()
    assert "# CONFIG_SLUB_TINY is not set\n" in text
    frag.write_text(text.replace("# CONFIG_SLUB_TINY is not set\n", ""))
    build_dir = tmp_path / "build"
    (build_dir / "src").mkdir(parents=True)
    (build_dir / "src" / "linux-6.12").symlink_to(tree)
    env = dict(os.environ, BUILD=str(build_dir), EARLYSLAB_PATCHDIR=str(series),
               EARLYSLAB_KERNEL_CACHE="")
    r = subprocess.run(["bash", str(SCRIPT), "6.12"], env=env, text=True,
                       capture_output=True, timeout=600, check=False)
    assert r.returncode != 0, r.stdout
    assert "extracting" not in r.stdout, "the shared tree was not used"
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    assert "config mismatch" in lines[0], lines[0]
    assert "CONFIG_SLUB_TINY=n wanted, got y" in lines[0], lines[0]
    assert "CONFIG_SLUB_DEBUG=y wanted, got n" in lines[0], lines[0]
    assert not (build_dir / "kernel-6.12").exists()


def test_later_fragment_overrides_an_earlier_one(tmp_path):
    """merge_config.sh lets a later fragment override an earlier one, so
    the configuration check wants the last value given: debug.config
    setting CONFIG_NR_CPUS=16 over earlyslab.config's 64 is verified, not
    a mismatch. EARLYSLAB_CONFIG_ONLY=1 stops after the check."""
    tree = esboot.BUILD / "src" / "linux-6.12"
    if not (tree / ".earlyslab-tree").is_file():
        pytest.fail(f"{tree} missing: run 'make kernel'", pytrace=False)
    series = tmp_path / "series-6.12"
    subprocess.run(["cp", "-r", str(ROOT / "kernel-patch" / "6.12"),
                    str(series)], check=True)
    assert "CONFIG_NR_CPUS=64\n" in (series / "earlyslab.config").read_text()
    with open(series / "debug.config", "a") as f:
        f.write("CONFIG_NR_CPUS=16\n")
    build_dir = tmp_path / "build"
    (build_dir / "src").mkdir(parents=True)
    (build_dir / "src" / "linux-6.12").symlink_to(tree)
    env = dict(os.environ, BUILD=str(build_dir), EARLYSLAB_PATCHDIR=str(series),
               EARLYSLAB_KERNEL_CACHE="", EARLYSLAB_CONFIG_ONLY="1")
    r = subprocess.run(["bash", str(SCRIPT), "6.12", "debug"], env=env,
                       text=True, capture_output=True, timeout=600,
                       check=False)
    assert r.returncode == 0, r.stderr
    assert "config verified" in r.stdout, r.stdout
    config = (build_dir / "kernel-debug-6.12-obj" / ".config").read_text()
    assert "CONFIG_NR_CPUS=16\n" in config
    assert not (build_dir / "kernel-debug-6.12").exists()
