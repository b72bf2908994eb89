#!/usr/bin/env bash
#
# readme_examples: the curl + jq examples of README.md, run as written, in
# order, against a fresh daemon, then the cluster examples against a fresh
# 3-node cluster.
#
# An example is a ```sh block right after a line "<!-- example -->". Each
# block runs in its own `bash` with `set -euo pipefail`, with B set to the
# test daemon (the README's http://127.0.0.1:8420 is replaced by it), so
# blocks share the namespace but no shell variables. A block must exit 0
# and write nothing on stderr. Lines "# => TEXT" after a command give the
# output that the commands since the previous "# =>" lines must print, one
# "# =>" line per output line, compared exactly.
#
# A cluster example is a ```sh block right after a line
# "<!-- cluster-example -->". Those run after the single-node examples, in
# the same way, against three nodes started with cluster_lib.sh: B1, B2
# and B3 are the nodes' URLs, and the README's http://127.0.0.1:8410,
# :8420 and :8430 (what `make run-cluster` prints) are replaced by them.
#
# The suite also checks that the examples cover every operation and that
# no ```sh block that talks to $B (or $B1...) is left unmarked (and so
# untested).
#
# SPDX-License-Identifier: MIT

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/cluster_lib.sh
. "$(dirname "$0")/cluster_lib.sh"

README=${README:-$E2E_ROOT/README.md}
README_B=http://127.0.0.1:8420
# The nodes of `make run-cluster`, as the cluster examples name them.
README_B1=http://127.0.0.1:8410
README_B2=http://127.0.0.1:8420
README_B3=http://127.0.0.1:8430
BLOCK_TIMEOUT=${BLOCK_TIMEOUT:-60} # seconds for one block
WORK=$E2E_TMP/readme

# extract: writes each block marked "example" of README.md to $WORK/NNN.sh
# and each block marked "cluster-example" to $WORK/cNNN.sh, with its first
# line number in $WORK/NNN.line or $WORK/cNNN.line; prints "unmarked
# LINE" for a ```sh block that uses $B (or $B1...) without a marker and
# "orphan LINE" for a marker that is not followed by a ```sh block.
extract() {
    awk -v dir="$WORK" '
        inblock && /^```[ \t]*$/ {
            if (marked) close(file)
            else if (uses_b) print "unmarked " start
            inblock = 0
            next
        }
        inblock {
            if (marked) print > file
            else if (/\$B|\$\{B\}/) uses_b = 1
            next
        }
        /^<!-- example -->[ \t]*$/ { armed = NR; kind = ""; next }
        /^<!-- cluster-example -->[ \t]*$/ { armed = NR; kind = "c"; next }
        /^```sh[ \t]*$/ {
            inblock = 1
            marked = armed > 0
            start = NR
            uses_b = 0
            armed = 0
            if (marked) {
                id = kind == "c" ? sprintf("c%03d", ++nc) : sprintf("%03d", ++n)
                file = sprintf("%s/%s.sh", dir, id)
                printf "" > file
                line = sprintf("%s/%s.line", dir, id)
                printf "%d\n", NR + 1 > line
                close(line)
            }
            next
        }
        # Blank lines may sit between a marker and its fence; anything else
        # orphans the marker.
        armed && !/^[ \t]*$/ { print "orphan " armed; armed = 0 }
        END { if (armed) print "orphan " armed }
    ' "$README"
}

# compile BLOCK: turns $WORK/NNN.sh into $WORK/NNN.run, a script that
# writes the output of step K to $STEP_DIR/K.out, and $WORK/NNN.K.expect
# for each step that has "# =>" lines (with $WORK/NNN.K.line, the README
# line of its first "# =>"). The README's addresses become the test's:
# http://127.0.0.1:8420 becomes $B in a single-node block ($WORK/NNN.sh);
# :8410, :8420 and :8430 become $B1, $B2 and $B3 in a cluster block
# ($WORK/cNNN.sh).
compile() {
    local base=${1%.sh} first
    local -a subst
    first=$(cat "$base.line")
    if [[ "$(basename "$base")" == c* ]]; then
        subst=(-e "s|$README_B1|$B1|g" -e "s|$README_B2|$B2|g"
            -e "s|$README_B3|$B3|g")
    else
        subst=(-e "s|$README_B|$B|g")
    fi
    sed "${subst[@]}" "$1" | awk -v base="$base" -v first="$first" '
        # ":" keeps a step of only comments a valid group.
        function open_step() {
            k++
            printf "{\n:\n" >> run
            opened = 1
        }
        function close_step() {
            printf "} >\"$STEP_DIR/%d.out\"\n", k >> run
            opened = 0
        }
        BEGIN {
            run = base ".run"
            printf "set -euo pipefail\n" > run
            k = 0
            opened = 0
            expecting = 0
        }
        /^[ \t]*# =>/ {
            if (!opened) {
                # Expected output with no command before it: an error of
                # the README that the runner reports.
                open_step()
                printf "printf \"README line %d: # => without a command\\n\" >&2\n", first + NR - 1 >> run
                printf "exit 2\n" >> run
            }
            if (!expecting) {
                expecting = 1
                printf "%d\n", first + NR - 1 > (base "." k ".line")
                close(base "." k ".line")
            }
            line = $0
            sub(/^[ \t]*# =>[ ]?/, "", line)
            print line > (base "." k ".expect")
            next
        }
        {
            if (expecting) {
                close(base "." k ".expect")
                close_step()
                expecting = 0
            }
            if (!opened) {
                open_step()
            }
            print >> run
        }
        END {
            if (opened) {
                close_step()
            }
            if (expecting) {
                close(base "." k ".expect")
            }
        }
    '
}

# run_block BLOCK: runs one compiled block and checks it.
run_block() {
    local base=${1%.sh} line name rc exp k want got eline
    line=$(cat "$base.line")
    name="README.md:$line"
    STEP_DIR=$base.steps
    mkdir -p "$STEP_DIR"
    export STEP_DIR B B1 B2 B3
    rc=0
    timeout "$BLOCK_TIMEOUT" bash "$base.run" 2>"$base.err" || rc=$?
    if [[ $rc -eq 0 && ! -s "$base.err" ]]; then
        ok "$name: example runs (exit 0, nothing on stderr)"
    else
        {
            printf '# exit status %s; stderr:\n' "$rc"
            cat "$base.err"
            printf '# block:\n'
            cat "$1"
        } >"$base.why"
        not_ok "$name: example runs (exit 0, nothing on stderr)" "$base.why"
    fi
    for exp in "$base".*.expect; do
        [[ -e "$exp" ]] || continue
        k=${exp#"$base".}
        k=${k%.expect}
        eline=$(cat "$base.$k.line")
        want=$(cat "$exp")
        if [[ -f "$STEP_DIR/$k.out" ]]; then
            got=$(cat "$STEP_DIR/$k.out")
        else
            got="(the step did not run)"
        fi
        check_eq "README.md:$eline: output is as shown" "$want" "$got"
    done
}

# ---- the README's examples ------------------------------------------------

[[ -r "$README" ]] || {
    echo "Bail out! $README is missing" >&2
    exit 1
}
mkdir -p "$WORK"

problems=$(extract)
while read -r kind where; do
    [[ -n "$kind" ]] || continue
    case $kind in
    orphan) not_ok "README.md:$where: <!-- example --> (or <!-- cluster-example -->) is followed by a \`\`\`sh block" ;;
    unmarked) not_ok "README.md:$where: a \`\`\`sh block that uses \$B is marked <!-- example --> (or <!-- cluster-example -->)" ;;
    esac
done <<<"$problems"

shopt -s nullglob
blocks=("$WORK"/[0-9][0-9][0-9].sh)
cblocks=("$WORK"/c[0-9][0-9][0-9].sh)
shopt -u nullglob
if ((${#blocks[@]} == 0)); then
    not_ok "README.md has marked examples"
    finish
fi
ok "README.md has ${#blocks[@]} marked examples"
if ((${#cblocks[@]} == 0)); then
    not_ok "README.md has marked cluster examples"
else
    ok "README.md has ${#cblocks[@]} marked cluster examples"
fi

# covers FILE: each line "WHAT|PATTERN" of stdin is a check that some
# example in FILE matches the extended regex PATTERN.
covers() {
    local file=$1 what pattern
    while IFS='|' read -r what pattern; do
        if grep -Eq -- "$pattern" "$file"; then
            ok "README shows $what"
        else
            not_ok "README shows $what (no example matches /$pattern/)"
        fi
    done
}

# Every operation of the API has an example.
all=$E2E_TMP/readme-all.sh
cat "${blocks[@]}" >"$all"
covers "$all" <<'EOF'
healthz|\$B/healthz
readyz|\$B/readyz
mkdir|-X PUT .*"type":"directory"|-d '\{"type":"directory"\}'
recursive mkdir|"recursive":true|\?recursive=true
create file|"type":"file"
stat|curl -s \$B/api/v1/paths/[^ ]+ \| jq
list|[?&]list
paging with after|after=
patch attributes|-X PATCH
If-Match|If-Match: 
rename|/rename
delete|-X DELETE
recursive delete|-X DELETE "?\$B[^ ]*\?recursive=true
an error|\.code|"code"
mount|-X POST \$B/api/v1/mounts
list mounts|curl -s \$B/api/v1/mounts jq|curl -s \$B/api/v1/mounts [^-]
sync|/sync\?recursive=true|\?sync=always
write_type|write_type=cache_only
unmount|-X DELETE \$B/api/v1/mounts/
EOF

# And every cluster operation.
call=$E2E_TMP/readme-cluster.sh
cat "${cblocks[@]}" /dev/null >"$call"
covers "$call" <<'EOF'
readyz on every node|\$b/readyz
cluster view|curl -s \$B[123]/api/v1/cluster \| jq
the 307 and its Location|%header\{location\}
the 307 with curl -si|curl -si 
a write through a follower with curl -L|curl -s -L -X PUT \$F/
linearizable read through a follower|curl -s -L \$F/api/v1/paths/
consistency=stale|consistency=stale
checksum|/api/v1/cluster/checksum
Idempotency-Key|Idempotency-Key: 
Idempotent-Replayed|%header\{idempotent-replayed\}
transfer|-X POST [^ ]+/api/v1/cluster/transfer
nodes role change|-X PATCH [^ ]+/api/v1/cluster/nodes/[0-9]+
EOF

daemon_start

for block in "${blocks[@]}"; do
    compile "$block"
    run_block "$block"
done

daemon_stop

# ---- the cluster examples -------------------------------------------------

if ((${#cblocks[@]} > 0)); then
    cluster_init 3
    cluster_start
    B1=$(url 1)
    B2=$(url 2)
    B3=$(url 3)
    B=""
    # As a moment after `make run-cluster`: the followers know the leader,
    # so every node's /readyz is 200.
    deadline=$((SECONDS + READY_TIMEOUT))
    for n in 1 2 3; do
        while [[ "$(status_of --max-time 2 "$(url "$n")/readyz")" != 200 ]] &&
            ((SECONDS < deadline)); do
            sleep 0.1
        done
    done
    check_eq "every node is ready" "200 200 200" \
        "$(status_of "$B1/readyz") $(status_of "$B2/readyz") $(status_of "$B3/readyz")"
    for block in "${cblocks[@]}"; do
        compile "$block"
        run_block "$block"
    done
    for n in 1 2 3; do
        node_stop "$n"
    done
fi
finish
