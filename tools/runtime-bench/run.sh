#!/usr/bin/env bash
# Whole-binary benchmark: builds the authorizer and the bench tools (release), runs both
# baselines and the authorizer on several events under runtime-bench's loopback Runtime API,
# then prints a summary table with CPU ratios to the baselines. See README.md beside this file.
#
# Every case runs ROUNDS times, the rounds interleaved, and the summary keeps each case's round
# with the least CPU: other work on the machine (a build, tests) only ever adds to a figure.
#
# The authorizer runs get --shutdown: it ends on SIGTERM, as Lambda ends an instance that has an
# extension, writes the metrics it holds, and the log bytes and metrics counted are those of its
# whole life (the `proc B` and `counted` columns). The last round also runs the authorizer paced,
# 1,000 invocations in PACE_SECS, allowed and denied: the log bytes per invocation of a real
# minute of traffic.
#
# Knobs (environment): INVOCATIONS (10000), WARMUP (1000), COLD_STARTS (20), ROUNDS (3),
# GROWTH (100000 extra invocations for the memory-growth check, last round only; 0 skips it),
# PACE_SECS (60; 0 skips the paced runs), RESULTS (where the RESULT lines are collected).
set -euo pipefail

cd "$(dirname "$0")/../.."

INVOCATIONS=${INVOCATIONS:-10000}
WARMUP=${WARMUP:-1000}
COLD_STARTS=${COLD_STARTS:-20}
ROUNDS=${ROUNDS:-3}
GROWTH=${GROWTH:-100000}
PACE_SECS=${PACE_SECS:-60}
BIN=${CARGO_TARGET_DIR:-target}/release
RESULTS=${RESULTS:-$BIN/runtime-bench-results.txt}

cargo build --release -p authorizer -p runtime-bench

# A bench-only secret, 40 bytes (the authorizer requires at least 32).
SECRET=runtime-bench-secret-0123456789abcdefghi
TOKEN=$("$BIN/mint-token" "$SECRET")
EXPIRED=$("$BIN/mint-token" "$SECRET" --expired)
EVENTS=events/authorizer
# One key set per asymmetric algorithm, and a token signed with it.
KEYS=$(mktemp -d)
trap 'rm -rf "$KEYS"' EXIT
declare -A ASYM_TOKEN
for alg in ES256 EdDSA RS256; do
    ASYM_TOKEN[$alg]=$("$BIN/mint-token" --alg "$alg" --keys-out "$KEYS/$alg.json")
done

bench() {
    "$BIN/runtime-bench" --invocations "$INVOCATIONS" --warmup "$WARMUP" \
        --cold-starts "$COLD_STARTS" "$@" | tee -a "$RESULTS"
    echo
}

: >"$RESULTS"
for round in $(seq "$ROUNDS"); do
    echo "---- round $round of $ROUNDS"
    growth=()
    [[ $round == "$ROUNDS" && $GROWTH != 0 ]] && growth=(--growth-check "$GROWTH")

    # The baselines get the same event as the authorizer's TOKEN case: the same bytes move.
    bench --label baseline-blocking --binary "$BIN/baseline-blocking" \
        --event "$EVENTS/rest-token.json" --token "$TOKEN" --expect response
    bench --label baseline-runtime --binary "$BIN/baseline-runtime" \
        --event "$EVENTS/rest-token.json" --token "$TOKEN" --expect response

    for event in rest-token rest-request http-api-v2; do
        extra=()
        [[ $event == rest-token ]] && extra=("${growth[@]}")
        bench --label "authorizer:$event" --binary "$BIN/authorizer" --env "JWT_SECRET=$SECRET" --env "TOKEN_AUDIENCE=https://api.example.test" \
            --event "$EVENTS/$event.json" --token "$TOKEN" --expect response --shutdown "${extra[@]}"
    done
    # The asymmetric algorithms, each with its own key set (SIGNING_KEYS), the same event. The
    # token cache is off: this is the cost of verifying every call.
    for alg in ES256 EdDSA RS256; do
        extra=()
        [[ $alg == ES256 ]] && extra=("${growth[@]}")
        bench --label "authorizer:rest-token-$alg" --binary "$BIN/authorizer" \
            --env "SIGNING_KEYS=$(cat "$KEYS/$alg.json")" --env "TOKEN_AUDIENCE=https://api.example.test" \
            --env TOKEN_CACHE_ENTRIES=0 --event "$EVENTS/rest-token.json" --token "${ASYM_TOKEN[$alg]}" \
            --expect response --shutdown "${extra[@]}"
    done
    # A denial: API Gateway's 401 is the error "Unauthorized", and the reason is logged.
    bench --label authorizer:rest-token-expired --binary "$BIN/authorizer" \
        --env "JWT_SECRET=$SECRET" --env "TOKEN_AUDIENCE=https://api.example.test" --event "$EVENTS/rest-token.json" --token "$EXPIRED" \
        --expect error --shutdown "${growth[@]}"
done

# A minute of traffic at 1,000 invocations, allowed and denied: what the log costs.
if [[ $PACE_SECS != 0 ]]; then
    for paced in allowed denied; do
        token=$TOKEN expect=response
        [[ $paced == denied ]] && token=$EXPIRED expect=error
        "$BIN/runtime-bench" --invocations 1000 --warmup 0 --cold-starts 0 --pace-secs "$PACE_SECS" \
            --label "authorizer:paced-$paced" --binary "$BIN/authorizer" --env "JWT_SECRET=$SECRET" \
            --env "TOKEN_AUDIENCE=https://api.example.test" --event "$EVENTS/rest-token.json" \
            --token "$token" --expect "$expect" --shutdown | tee -a "$RESULTS"
        echo
    done
fi

echo "Summary: $INVOCATIONS invocations after $WARMUP warm-up, least-CPU round of $ROUNDS;" \
    "RESULT lines in $RESULTS"
"$BIN/runtime-bench" --summary "$RESULTS"
