#!/usr/bin/env bash
# fuzz/run.sh TARGET... — runs each built libFuzzer target (build/fuzz/<target>) in turn, one
# process on one core, for $FUZZ_SECONDS seconds (default 60), and prints one line per target:
# executions, executions per second, coverage (cov: edges, ft: features) and the result.
# Stops with exit status 1 at the first target that crashes, leaks, hits undefined behaviour or
# times out, after printing where its input and log are. Called by `make fuzz` (fuzz/fuzz.mk).
#
# Corpora: the committed seeds fuzz/corpus/<target>/ are copied into the scratch corpus
# build/fuzz/corpus/<target>/, which libFuzzer grows; the seeds are never written. The scratch
# corpus is kept between runs, so later runs start from what earlier ones found
# (rm -rf build/fuzz/corpus to start over). Extra libFuzzer flags come from $FUZZ_FLAGS.
set -u
secs=${FUZZ_SECONDS:-60}
root=build/fuzz
mkdir -p "$root/logs"

status=0
for t in "$@"; do
    bin=$root/$t
    if [ ! -x "$bin" ]; then
        echo "fuzz $t: $bin is not built (make fuzz-build)" >&2
        exit 1
    fi
    corpus=$root/corpus/$t
    artifacts=$root/artifacts/$t/
    log=$root/logs/$t.log
    mkdir -p "$corpus" "$artifacts"
    if [ -d "fuzz/corpus/$t" ]; then
        cp -p fuzz/corpus/"$t"/* "$corpus"/ 2>/dev/null
    fi
    # Inputs up to 8 KiB by default; the chunked decoder's 4 KiB line limit and the policy's
    # 20 KiB normalized-size limit need longer ones to be reached at all.
    case $t in
    chunked) max_len=12288 ;;
    policy | iampol) max_len=24576 ;;
    *) max_len=8192 ;;
    esac
    dict=()
    if [ -f "fuzz/dict/$t.dict" ]; then
        dict=(-dict="fuzz/dict/$t.dict")
    fi
    # A target's temporary store (harness.h) goes under build/: a crash exits without cleaning
    # it up, so each run starts by removing what the last one left.
    tmp=$root/tmp/$t
    rm -rf "$tmp"
    mkdir -p "$tmp"
    # -timeout: an input that takes 25 s is a hang, reported like a crash. Leaks are checked per
    # input (LeakSanitizer) and undefined behaviour aborts (-fno-sanitize-recover).
    # shellcheck disable=SC2086
    TMPDIR=$tmp ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
        "$bin" -max_total_time="$secs" -print_final_stats=1 -timeout=25 -rss_limit_mb=2048 \
        -max_len="$max_len" \
        -artifact_prefix="$artifacts" "${dict[@]}" ${FUZZ_FLAGS:-} "$corpus" >"$log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    units=$(find "$corpus" -type f | wc -l)
    if [ "$rc" -eq 0 ]; then
        printf 'fuzz %-8s PASS  %5ss  %10s execs  %7s exec/s  cov %5s  ft %6s  corpus %s\n' \
            "$t" "$secs" "${runs:-?}" "${speed:-?}" "${cov:-?}" "${ft:-?}" "$units"
    else
        input=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
        printf 'fuzz %-8s FAIL  (exit %s) after %s execs; input: %s; log: %s\n' \
            "$t" "$rc" "${runs:-?}" "${input:-none}" "$log"
        grep -E 'ERROR|SUMMARY|invariant failed|runtime error' "$log" | head -n 5 | sed 's/^/    /'
        status=1
        break
    fi
done
exit $status
