#!/usr/bin/env bash
#
# check-symbols: every global symbol that the objects of the libraries
# define carries its module's prefix (STYLE.md §2; SQLite's checksymbols).
#
#   scripts/check-symbols.sh build/release/libbanyan.a build/release/libbanyan_api.a
#
# The module of an object is its file name: ns.o exports ns_*; a part of a
# split module (x_part.o) may also export x_* (repl_lease.o: repl_*;
# ufs_local.o: ufs_*); the modules used everywhere (BN_MODULES) export
# bn_*; main.o exports main. Symbols that the compiler or a sanitizer makes (__odr_asan.*, ...)
# do not count. scripts/symbols.allow lists exceptions, one "module symbol"
# a line, each with a comment saying why and until when.
#
# SPDX-License-Identifier: MIT

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ALLOW=$ROOT/scripts/symbols.allow
BN_MODULES=" errcode mem invariant clock "

if [[ $# -eq 0 ]]; then
    echo "usage: scripts/check-symbols.sh LIB.a|OBJ.o..." >&2
    exit 2
fi

allowed=""
if [[ -f "$ALLOW" ]]; then
    allowed=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$ALLOW" | awk '{print $1 " " $2}')
fi

bad=0
# nm -A: "lib.a:member.o:0000 T name" or "dir/obj.o:0000 T name".
while read -r where type sym; do
    obj=${where%:*}
    obj=${obj##*:}
    obj=${obj##*/}
    mod=${obj%.o}
    case "$sym" in
    __odr_asan.* | __asan_* | __tsan_* | __ubsan_* | __sancov_* | _GLOBAL_*)
        continue
        ;;
    esac
    if [[ "$sym" == "${mod}_"* || "$sym" == "${mod%%_*}_"* ]]; then
        continue
    fi
    if [[ "$mod" == main && "$sym" == main ]]; then
        continue
    fi
    if [[ "$BN_MODULES" == *" $mod "* && "$sym" == bn_* ]]; then
        continue
    fi
    if [[ -n "$allowed" ]] && grep -qxF "$mod $sym" <<<"$allowed"; then
        continue
    fi
    echo "check-symbols: $obj exports $sym ($type) without the prefix ${mod}_"
    bad=$((bad + 1))
done < <(nm -A -g --defined-only "$@" 2>/dev/null | awk 'NF >= 3 {print $1, $(NF-1), $NF}')

if ((bad > 0)); then
    echo "check-symbols: $bad symbol(s) without their module's prefix" \
        "(rename them, make them static, or see scripts/symbols.allow)"
    exit 1
fi
echo "check-symbols: ok"
