#!/usr/bin/env bash
#
# run.sh: the test runner of `make test` (after the Makefile has built the
# asan unit tests and stress test, the tsan stress test and the release
# daemon).
#
#   tests/run.sh                 everything: unit, stress, lint, e2e
#   tests/run.sh unit            the cmocka unit tests (build/asan), those
#                                that make print-unit-tests lists
#   tests/run.sh stress          the stress test under ASan and TSan
#   tests/run.sh lint            the OpenAPI lint and the C lint (make
#                                lint-openapi, make lint-c: clang-format,
#                                cppcheck and the checks of STYLE.md)
#   tests/run.sh e2e [NAME...]   the end-to-end suites tests/e2e/NAME.sh
#                                (all of them when no NAME is given)
#
# Each step runs with a time limit and its output is shown as it comes.
# The output ends with a summary: the cmocka summary of each unit test
# binary, the result of each stress run, the lint and each e2e suite, a
# line counting every result (each cmocka test, stress run, lint and e2e
# check once; a step that dies without saying what failed counts as one
# failure), and last the line "N passed, M failed" of the end-to-end
# suites' checks. The exit status is nonzero when anything failed. The daemon logs and the output of a
# failing e2e suite are kept in tests/artifacts/<suite>/.
#
# Environment: E2E_TIMEOUT (seconds per e2e suite, default 240),
# STRESS_SECONDS (default 8), STRESS_THREADS (default 8).
#
# SPDX-License-Identifier: MIT

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

# The unit tests are listed once, in the Makefile's UNIT_TESTS.
UNIT_TESTS=()
ASAN_DIR=build/asan
TSAN_DIR=build/tsan
RELEASE_DIR=build/release
ARTIFACTS=$ROOT/tests/artifacts
E2E_TIMEOUT=${E2E_TIMEOUT:-240}
UNIT_TIMEOUT=${UNIT_TIMEOUT:-120}
STRESS_SECONDS=${STRESS_SECONDS:-8}
STRESS_THREADS=${STRESS_THREADS:-8}
STRESS_TIMEOUT=$((STRESS_SECONDS + 150))
LINT_TIMEOUT=${LINT_TIMEOUT:-300}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

PASS=0 # every counted result: cmocka tests, stress runs, lint, e2e checks
FAIL=0
E2E_PASS=0 # the checks of the end-to-end suites: the last line
E2E_FAIL=0
SUMMARY=()
WORK=$(mktemp -d "${TMPDIR:-/tmp}/banyan-run.XXXXXX")
CHILD=""
TAILER=""

# shellcheck disable=SC2317 # called by the trap
cleanup() {
    if [[ -n "$CHILD" ]]; then
        kill -TERM "$CHILD" 2>/dev/null || true
        wait "$CHILD" 2>/dev/null || true
    fi
    if [[ -n "$TAILER" ]]; then
        kill "$TAILER" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'echo "run.sh: interrupted" >&2; exit 130' INT
trap 'echo "run.sh: terminated" >&2; exit 143' TERM

banner() {
    printf '\n==== %s ====\n' "$*"
}

summary() {
    SUMMARY+=("$*")
}

# run_bounded SECONDS OUT CMD...: runs CMD with a time limit, its output
# (stdout and stderr) in OUT and on our stdout as it comes. Sets RC (124
# when the time ran out).
RC=0
run_bounded() {
    local secs=$1 out=$2
    shift 2
    : >"$out"
    timeout -k 10 "$secs" "$@" >"$out" 2>&1 </dev/null &
    CHILD=$!
    tail -s 0.2 -n +1 -f --pid="$CHILD" "$out" 2>/dev/null &
    TAILER=$!
    RC=0
    wait "$CHILD" || RC=$?
    CHILD=""
    wait "$TAILER" 2>/dev/null || true
    TAILER=""
}

# ---- unit tests ---------------------------------------------------------------

run_unit() {
    local t bin out passed failed line names list
    if ! list=$(make -s --no-print-directory -C "$ROOT" print-unit-tests) ||
        [[ -z "$list" ]]; then
        echo "run.sh: make print-unit-tests gave no list of unit tests"
        FAIL=$((FAIL + 1))
        summary "unit: FAILED (no list from make print-unit-tests)"
        return
    fi
    read -r -a UNIT_TESTS <<<"$list"
    for t in "${UNIT_TESTS[@]}"; do
        bin=$ASAN_DIR/tests/unit/$t
        banner "unit: $t (ASan+UBSan)"
        if [[ ! -x "$bin" ]]; then
            echo "$bin is missing: make MODE=asan test-unit-bins"
            FAIL=$((FAIL + 1))
            summary "unit $t: MISSING ($bin)"
            continue
        fi
        out=$WORK/unit-$t.out
        run_bounded "$UNIT_TIMEOUT" "$out" "$bin"
        passed=$(sed -n 's/^\[  PASSED  \] \([0-9][0-9]*\) test.*/\1/p' "$out" | tail -n 1)
        failed=$(sed -n 's/^\[  FAILED  \] \([0-9][0-9]*\) test.*/\1/p' "$out" | tail -n 1)
        passed=${passed:-0}
        failed=${failed:-0}
        PASS=$((PASS + passed))
        FAIL=$((FAIL + failed))
        # The cmocka summary lines: the count run, passed and failed.
        line=$({ grep -E '^\[(==========|  PASSED  |  FAILED  )\] [0-9]+ test' "$out" || true; } |
            sed 's/, listed below:$/:/' | tr '\n' ' ' | sed 's/ *$//')
        names=$(sed -n 's/^\[  FAILED  \] \([A-Za-z_][A-Za-z0-9_]*\)$/\1/p' "$out" |
            awk '!seen[$0]++' | tr '\n' ' ' | sed 's/ *$//')
        if [[ -n "$names" ]]; then
            line="$line $names"
        fi
        if [[ "$RC" != 0 && "$failed" == 0 ]]; then
            FAIL=$((FAIL + 1))
            summary "unit $t: FAILED, exit $RC${line:+ after: $line}$([[ $RC == 124 ]] && echo ' (timed out)')"
        elif [[ "$RC" != 0 ]]; then
            summary "unit $t: $line (exit $RC)"
        else
            summary "unit $t: ${line:-no cmocka summary}"
        fi
    done
}

# ---- stress -------------------------------------------------------------------

# stress_one LABEL BIN [ENV...]
stress_one() {
    local label=$1 bin=$2 out last
    shift 2
    banner "stress: $label ($bin --seconds $STRESS_SECONDS --threads $STRESS_THREADS)"
    if [[ ! -x "$bin" ]]; then
        echo "$bin is missing: make MODE=${label} stress-bin"
        FAIL=$((FAIL + 1))
        summary "stress $label: MISSING ($bin)"
        return
    fi
    out=$WORK/stress-$label.out
    run_bounded "$STRESS_TIMEOUT" "$out" env "$@" "$bin" --seconds "$STRESS_SECONDS" \
        --threads "$STRESS_THREADS"
    last=$(grep -v '^[[:space:]]*$' "$out" | tail -n 1 | cut -c1-160)
    if [[ "$RC" == 0 ]]; then
        PASS=$((PASS + 1))
        summary "stress $label: ok ($last)"
    else
        FAIL=$((FAIL + 1))
        summary "stress $label: FAILED, exit $RC$([[ $RC == 124 ]] && echo ' (timed out)') ($last)"
    fi
}

run_stress() {
    stress_one asan "$ASAN_DIR/tests/stress/stress_ns"
    stress_one tsan "$TSAN_DIR/tests/stress/stress_ns" \
        "TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1 second_deadlock_stack=1}"
}

# ---- OpenAPI lint ---------------------------------------------------------------

run_lint() {
    local out=$WORK/lint.out
    banner "lint: openapi.yaml (make lint-openapi)"
    if [[ ! -f openapi.yaml ]]; then
        echo "openapi.yaml is missing"
        FAIL=$((FAIL + 1))
        summary "lint openapi: FAILED (openapi.yaml is missing)"
        return
    fi
    run_bounded "$LINT_TIMEOUT" "$out" make --no-print-directory lint-openapi
    if [[ "$RC" == 0 ]]; then
        PASS=$((PASS + 1))
        summary "lint openapi: ok"
    else
        FAIL=$((FAIL + 1))
        summary "lint openapi: FAILED, exit $RC$([[ $RC == 124 ]] && echo ' (timed out)')"
    fi
    banner "lint: C sources (make lint-c: banned calls, foreign headers, headers alone, symbols, clang-format, cppcheck)"
    run_bounded "$LINT_TIMEOUT" "$WORK/lint-c.out" make --no-print-directory lint-c
    if [[ "$RC" == 0 ]]; then
        PASS=$((PASS + 1))
        summary "lint c: ok"
    else
        FAIL=$((FAIL + 1))
        summary "lint c: FAILED, exit $RC$([[ $RC == 124 ]] && echo ' (timed out)')"
    fi
}

# ---- end-to-end -----------------------------------------------------------------

# Kill the daemons a suite left behind (it was killed before its trap
# ran); only the pids it recorded, and only if they are still banyand.
reap_leftovers() {
    local pids=$1/pids pid
    [[ -f "$pids" ]] || return 0
    while read -r pid; do
        if [[ -r /proc/$pid/comm ]] && [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == banyand ]]; then
            echo "run.sh: killing daemon $pid left behind"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    done <"$pids"
}

run_e2e_one() {
    local script=$1 name tmpd out ok notok dest f
    name=$(basename "$script" .sh)
    banner "e2e: $name"
    tmpd=$WORK/e2e-$name
    mkdir -p "$tmpd"
    rm -rf "${ARTIFACTS:?}/$name"
    out=$WORK/e2e-$name.out
    run_bounded "$E2E_TIMEOUT" "$out" env E2E_TMPDIR="$tmpd" E2E_ARTIFACTS="$ARTIFACTS" \
        BANYAND="$ROOT/$RELEASE_DIR/banyand" bash "$script"
    reap_leftovers "$tmpd"
    ok=$(grep -c '^ok - ' "$out" || true)
    notok=$(grep -c '^not ok - ' "$out" || true)
    PASS=$((PASS + ok))
    FAIL=$((FAIL + notok))
    E2E_PASS=$((E2E_PASS + ok))
    E2E_FAIL=$((E2E_FAIL + notok))
    if [[ "$RC" == 0 && "$notok" == 0 ]]; then
        summary "e2e $name: $ok passed, 0 failed"
    else
        if [[ "$notok" == 0 ]]; then
            FAIL=$((FAIL + 1)) # it died without saying which check failed
            E2E_FAIL=$((E2E_FAIL + 1))
        fi
        summary "e2e $name: $ok passed, $notok failed, exit $RC$([[ $RC == 124 ]] && echo " (timed out after ${E2E_TIMEOUT}s)")"
        dest=$ARTIFACTS/$name
        mkdir -p "$dest"
        cp "$out" "$dest/output.txt"
        for f in "$tmpd"/daemon-*.log; do
            [[ -f "$f" ]] || continue
            cp -f "$f" "$dest/"
            # The suite's own trap prints the tails; do it when it could not.
            if ! grep -q "last lines of $(basename "$f")" "$out"; then
                echo "---- last lines of $(basename "$f") (kept in $dest) ----"
                tail -n 20 "$f"
            fi
        done
        echo "run.sh: $name failed; its output and daemon logs are in $dest"
    fi
    rm -rf "$tmpd"
}

run_e2e() {
    local scripts=() s n
    if [[ ! -x "$RELEASE_DIR/banyand" ]]; then
        echo "$RELEASE_DIR/banyand is missing: make MODE=release all"
        FAIL=$((FAIL + 1))
        summary "e2e: FAILED ($RELEASE_DIR/banyand is missing)"
        return
    fi
    if [[ $# -gt 0 ]]; then
        for n in "$@"; do
            s=tests/e2e/${n%.sh}.sh
            if [[ ! -f "$s" || "$n" == lib || "$n" == lib.sh ]]; then
                echo "run.sh: no e2e suite $n" >&2
                FAIL=$((FAIL + 1))
                summary "e2e $n: FAILED (no such suite)"
                continue
            fi
            scripts+=("$s")
        done
    else
        for s in tests/e2e/*.sh; do
            [[ "$(basename "$s")" == *lib.sh ]] && continue
            scripts+=("$s")
        done
    fi
    for s in "${scripts[@]}"; do
        run_e2e_one "$s"
    done
}

# ---- main -----------------------------------------------------------------------

mode=${1:-all}
if [[ $# -gt 0 ]]; then
    shift
fi
start=$SECONDS
case "$mode" in
all)
    run_unit
    run_stress
    run_lint
    run_e2e
    ;;
unit) run_unit ;;
stress) run_stress ;;
lint) run_lint ;;
e2e) run_e2e "$@" ;;
-h | --help)
    sed -n '3,27p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
*)
    echo "usage: tests/run.sh [all|unit|stress|lint|e2e [SUITE...]]" >&2
    exit 2
    ;;
esac

banner "summary ($((SECONDS - start)) s)"
for line in "${SUMMARY[@]}"; do
    echo "$line"
done
echo "all steps (unit tests, stress runs, lint, e2e checks): $PASS passed, $FAIL failed"
echo "$E2E_PASS passed, $E2E_FAIL failed"
if ((FAIL > 0)); then
    exit 1
fi
exit 0
