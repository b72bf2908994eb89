#!/usr/bin/env bash
#
# check-headers: every header compiles on its own, and twice in a row (it
# includes what it uses and has its include guard; STYLE.md §3).
#
#   CC=cc CFLAGS="..." scripts/check-headers.sh HEADER...
#
# CFLAGS are the build's flags (the Makefile passes its own, without the
# dependency-file options).
#
# SPDX-License-Identifier: MIT

set -euo pipefail

CC=${CC:-cc}
read -r -a flags <<<"${CFLAGS:-}"
bad=0

if [[ $# -eq 0 ]]; then
    echo "usage: scripts/check-headers.sh HEADER..." >&2
    exit 2
fi

for h in "$@"; do
    if ! out=$(printf '#include "%s"\n#include "%s"\n' "$h" "$h" |
        "$CC" "${flags[@]}" -fsyntax-only -x c - 2>&1); then
        echo "check-headers: $h does not compile on its own:"
        printf '%s\n' "$out" | head -n 20
        bad=$((bad + 1))
    fi
done
if ((bad > 0)); then
    echo "check-headers: $bad header(s) do not compile alone"
    exit 1
fi
echo "check-headers: ok ($# headers)"
