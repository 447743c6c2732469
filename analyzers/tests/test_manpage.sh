#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# earlyslab(8) covers every command and every long option the code
# knows: the getopt_long tables of the command line and of the commands,
# and the input options.
#
#   test_manpage.sh SRCDIR
set -u
src=$1
man=$src/earlyslab.8
[ -f "$man" ] || { echo "analyzers: $man missing" >&2; exit 1; }

opts=$(cat "$src"/earlyslab.c "$src"/libearlyslab/*.c |
	grep -oE '\{ "(--)?[a-z][a-z-]*", *((no|required|optional)_argument|[0-9] \})' |
	sed -E 's/^\{ "(--)?([a-z-]*)".*/\2/' | sort -u)
cmds=$(sed -nE 's/^\t\.name = "([a-z]+)",$/\1/p' "$src"/libearlyslab/cmd_*.c |
	sort -u)
[ -n "$opts" ] && [ -n "$cmds" ] ||
	{ echo "analyzers: no options or commands found in $src" >&2; exit 1; }

missing=
for o in $opts; do
	# roff writes --type as \-\-type
	grep -q -- "\\\\-\\\\-$o\\b" "$man" || missing="$missing --$o"
done
for c in $cmds; do
	grep -q "^\\.B $c\\b" "$man" || missing="$missing command:$c"
done
if [ -n "$missing" ]; then
	echo "analyzers: earlyslab.8 does not mention:$missing" >&2
	exit 1
fi
echo "== analyzers: earlyslab.8 covers $(echo "$opts" | wc -l) long options and $(echo "$cmds" | wc -l) commands"
