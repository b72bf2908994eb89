#!/usr/bin/env bash
#
# check-includes: each foreign library's header appears only in the module
# that wraps it (STYLE.md §0.2 and §1): the rest of banyan calls that
# module, so a library can be changed or faked in one place.
#
#   scripts/check-includes.sh   (from anywhere; reads src/ and api/)
#
# A table row: the header, then the files that may include it (shell
# patterns, relative to the repository). Parts of a split module match by
# pattern (repl_*.c, codec_*.c). Adding a library? Add its row. The
# LAYERS table below names project headers some files must not include.
#
# SPDX-License-Identifier: MIT

set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

RULES=(
    "microhttpd.h api/http_server.c"
    "jansson.h api/codec.c api/codec_*.c api/codec_*.h"
    "sqlite3.h src/db.c src/db_*.c"
    "raft.h src/fsm.c src/repl.c src/repl_*.c src/repl_*.h"
    "raft/uv.h src/repl.c src/repl_*.c src/repl_*.h"
    "raft/fixture.h"
    "uv.h src/repl.c src/repl_*.c src/repl_*.h"
    "ini.h src/config.c"
    "curl/curl.h src/httpc.c"
    "systemd/sd-daemon.h src/notify.c"
)

bad=0
for rule in "${RULES[@]}"; do
    read -r -a words <<<"$rule"
    header=${words[0]}
    allowed=("${words[@]:1}")
    while IFS=: read -r file line _; do
        ok=false
        for pat in "${allowed[@]}"; do
            # shellcheck disable=SC2053 # a pattern on purpose
            if [[ "$file" == $pat ]]; then
                ok=true
                break
            fi
        done
        if ! $ok; then
            echo "check-includes: $file:$line includes <$header>, which only" \
                "${allowed[*]:-no file in src/ or api/} may include"
            bad=$((bad + 1))
        fi
    done < <(grep -nE "^[[:space:]]*#[[:space:]]*include[[:space:]]*<$header>" \
        src/*.[ch] api/*.[ch] 2>/dev/null || true)
done

# Layering: the codec translates structs to JSON and back and knows no
# engine module; the SQLite tier knows the mount table's data, not the
# table. A row: the files, then the project headers they must not include.
LAYERS=(
    "api/codec*.[ch]: db.h mount.h usync.h repl.h ns.h store.h mount_io.h"
    "src/db.c: mount.h"
)
for rule in "${LAYERS[@]}"; do
    files=${rule%%:*}
    read -r -a banned <<<"${rule#*:}"
    for h in "${banned[@]}"; do
        # shellcheck disable=SC2086 # the file pattern expands on purpose
        while IFS=: read -r file line _; do
            echo "check-includes: $file:$line includes $h, which it must" \
                "not (a layer below or beside it)"
            bad=$((bad + 1))
        done < <(grep -HnE "^[[:space:]]*#[[:space:]]*include[[:space:]]*\"(\.\./src/)?$h\"" \
            $files 2>/dev/null || true)
    done
done
# No include cycles between modules (issue 9): a module is a file's name
# without .c/.h and without the _int of a private header, so the parts of
# a split module (repl.c, repl_lease.c, repl_int.h) may include one another
# through their private header but no two modules include each other, even
# through others. tsort names the loop it finds.
module() {
    local m=${1##*/}
    m=${m%.[ch]}
    printf '%s' "${m%_int}"
}
edges=$(for f in src/*.[ch] api/*.[ch]; do
    from=$(module "$f")
    { grep -hoE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[^"]+"' "$f" ||
        true; } |
        sed -E 's/.*"([^"]+)"/\1/' | while read -r inc; do
        to=$(module "$inc")
        [[ "$to" == "$from" ]] || printf '%s %s\n' "$from" "$to"
    done
done)
if ! loop=$(printf '%s\n' "$edges" | tsort 2>&1 >/dev/null) || [[ -n "$loop" ]]; then
    echo "check-includes: an include cycle between modules:"
    printf '%s\n' "$loop" | sed 's/^tsort: /  /'
    bad=$((bad + 1))
fi

if ((bad > 0)); then
    echo "check-includes: $bad include(s) out of place"
    exit 1
fi
echo "check-includes: ok"
