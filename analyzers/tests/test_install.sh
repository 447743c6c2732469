#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# What make install put under DESTDIR works: the command on a generated
# trace, the man page, completion and gdb files in place (the gdb package
# told where the library is), and a program built against the installed
# header with pkg-config, linked to the shared and to the static library.
#
#   test_install.sh SCRATCH DESTDIR PREFIX GEN_TRACE
set -u
tmp=$1 root=$2 prefix=$3 gen=$4
p=$root$prefix
CC=${CC:-cc}

die() {
	echo "analyzers: installed tree: $*" >&2
	exit 1
}

"$gen" 200 "$tmp/t.bin" || die "cannot generate a trace"
LD_LIBRARY_PATH=$p/lib "$p/bin/earlyslab" --raw "$tmp/t.bin" status \
	> "$tmp/status.out" || die "earlyslab status failed"
grep -q '^slots         200: 200 committed' "$tmp/status.out" ||
	die "earlyslab status: unexpected output"
LD_LIBRARY_PATH=$p/lib "$p/bin/earlyslab" --raw "$tmp/t.bin" check \
	> /dev/null
[ $? -eq 1 ] || die "earlyslab check: want exit 1 on a trace with errors"
for f in share/man/man8/earlyslab.8 share/bash-completion/completions/earlyslab \
	share/earlyslab/gdb/earlyslab.py share/earlyslab/gdb/earlyslab_gdb/libes.py \
	include/earlyslab.h lib/libearlyslab.a lib/pkgconfig/earlyslab.pc; do
	[ -f "$p/$f" ] || die "$f missing"
done
grep -qx "LIBEARLYSLAB = \"$prefix/lib/libearlyslab.so\"" \
	"$p/share/earlyslab/gdb/earlyslab_gdb/install_paths.py" ||
	die "the gdb package does not know where the library is"

cat > "$tmp/prog.c" <<'PROG'
#include <earlyslab.h>

int main(int argc, char **argv)
{
	struct es_trace *t = es_trace_new();
	struct es_stats *s = es_stats_new();
	struct es_count n = { 0 };
	int r = argc < 2 || es_load_raw(t, argv[1]) || es_stats_run(s, t) ||
		es_stats_total(s, ES_SS_EVENTS, &n);

	printf("%d %llu\n", es_api_version() == ES_API_VERSION,
	       (unsigned long long)n.count);
	es_stats_free(s);
	es_trace_free(t);
	return r;
}
PROG
pc() {
	PKG_CONFIG_PATH=$p/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$root \
		pkg-config "$@" earlyslab
}
flags=$(pc --cflags --libs) || die "pkg-config --cflags --libs earlyslab failed"
# shellcheck disable=SC2086
$CC -std=c11 -Wall -Wextra -Werror -o "$tmp/prog" "$tmp/prog.c" $flags ||
	die "a program does not build with: $flags"
[ "$(LD_LIBRARY_PATH=$p/lib "$tmp/prog" "$tmp/t.bin")" = "1 200" ] ||
	die "the program linked to libearlyslab.so gives a wrong answer"
sflags="$(pc --static --cflags) $p/lib/libearlyslab.a $(pc --static --libs-only-l | sed 's/-learlyslab//')"
# shellcheck disable=SC2086
$CC -std=c11 -Wall -Wextra -Werror -o "$tmp/prog-static" "$tmp/prog.c" $sflags ||
	die "a program does not build statically with: $sflags"
[ "$("$tmp/prog-static" "$tmp/t.bin")" = "1 200" ] ||
	die "the program linked to libearlyslab.a gives a wrong answer"
echo "== analyzers: make install DESTDIR=... gives a working command, library, header and earlyslab.pc"
