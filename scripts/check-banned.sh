#!/usr/bin/env bash
#
# check-banned: refuses the C library functions that STYLE.md §8 bans,
# because they write past a buffer or parse without an error check:
# sprintf vsprintf strcpy strcat strncat gets strtok atoi atol. Use
# snprintf, a bounded memcpy, and strtoul/strtoull with an end check
# (curl's checksrc).
#
#   scripts/check-banned.sh FILE...
#
# In src/ and api/, abort() is refused too, outside the two modules whose
# job it is (invariant.c, mem.c): a node that stops says why, with
# bn_panic() (STYLE.md 4).
#
# Comments and string literals do not count.
#
# SPDX-License-Identifier: MIT

set -euo pipefail

if [[ $# -eq 0 ]]; then
    echo "usage: scripts/check-banned.sh FILE..." >&2
    exit 2
fi

# Blank out comments and literals (keeping line numbers), then look for a
# call of a banned name.
perl -0777 -ne '
    my $src = $_;
    $src =~ s{(/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"|'"'"'(?:\\.|[^'"'"'\\\n])*'"'"')}{
        my $m = $1; $m =~ s/[^\n]/ /g; $m }gse;
    my $line = 1;
    for my $l (split /\n/, $src, -1) {
        while ($l =~ /\b(sprintf|vsprintf|strcpy|strcat|strncat|gets|strtok|atoi|atol)\s*\(/g) {
            print "$ARGV:$line: $1() is banned (STYLE.md 8)\n";
            $main::bad++;
        }
        if ($ARGV =~ m{^(src|api)/} &&
            $ARGV !~ m{^src/(invariant|mem)\.c$} &&
            $l =~ /\babort\s*\(/) {
            print "$ARGV:$line: abort() without a word: use bn_panic() (STYLE.md 4)\n";
            $main::bad++;
        }
        $line++;
    }
    END { exit($main::bad ? 1 : 0) }
' "$@" || {
    echo "check-banned: use snprintf, memcpy with a size, strtoul/strtoull" \
        "with an end check, bn_panic"
    exit 1
}
echo "check-banned: ok"
