#!/usr/bin/env bash
# `make dev`: both functions running locally under `cargo lambda watch`, against DynamoDB and SSM
# emulated by moto_server. Everything it starts runs until Ctrl-C, which stops all of it.
#
#   MOTO_PORT    moto_server port on 127.0.0.1          (default 5005)
#   INVOKE_PORT  cargo-lambda invoke/function-URL port  (default 9000)
#
# State (logs, pid files, the functions' env file) lives in .dev/; `make clean-dev` removes it.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
venv=$root/.venv
state=$root/.dev

MOTO_PORT=${MOTO_PORT:-5005}
INVOKE_PORT=${INVOKE_PORT:-9000}
host=127.0.0.1
endpoint=http://$host:$MOTO_PORT

table=users-dev
secret_param=/app/dev/auth/jwt-secret
ttl_param=/app/dev/auth/token/time

if [[ -t 1 ]]; then
    say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
else
    say() { printf '==> %s\n' "$*"; }
fi
die() { printf 'make dev: %s\n' "$*" >&2; exit 1; }

for tool in moto_server cargo-lambda python; do
    [[ -x $venv/bin/$tool ]] || die "$venv/bin/$tool is missing; run \`make dev\` (it installs .venv)"
done
command -v cargo >/dev/null || die "cargo is not on PATH"

listening() { (exec 3<>"/dev/tcp/$host/$1") 2>/dev/null; }

mkdir -p "$state"
for name in moto watch; do
    pid_file=$state/$name.pid
    if [[ -s $pid_file ]] && kill -0 "$(cat "$pid_file")" 2>/dev/null; then
        die "a previous make dev is still running ($name, pid $(cat "$pid_file")); stop it first, or run \`make clean-dev\` if that process is not ours"
    fi
    rm -f "$pid_file"
done
for port in "$MOTO_PORT" "$INVOKE_PORT"; do
    if listening "$port"; then
        die "port $port on $host is already in use (set MOTO_PORT / INVOKE_PORT)"
    fi
done

moto_pid=
watch_pid=
# Starts a command in the background in a process group of its own (job control on just for the
# fork), so that stopping it also stops what it spawned: cargo-lambda runs cargo and the functions.
spawn() {
    set -m
    "$@" </dev/null &
    spawned=$!
    set +m
}
stop_group() {
    [[ -n $1 ]] || return 0
    kill -TERM -- "-$1" 2>/dev/null || return 0
    for _ in {1..100}; do
        kill -0 -- "-$1" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -KILL -- "-$1" 2>/dev/null || true
}
stop_all() {
    set +e
    trap - INT TERM EXIT
    stop_group "$watch_pid"
    stop_group "$moto_pid"
    rm -f "$state/moto.pid" "$state/watch.pid"
}
on_signal() {
    echo
    say "Stopping"
    stop_all
    exit 130
}
trap stop_all EXIT
trap on_signal INT TERM

# The functions and the setup script talk to moto only: no profile, session or inline secret
# from the developer's shell may leak in (an inline JWT_SECRET would take precedence over SSM).
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN JWT_SECRET
export AWS_ENDPOINT_URL=$endpoint AWS_REGION=us-east-1 \
    AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing

say "Starting moto_server on $endpoint (log: .dev/moto.log)"
spawn "$venv/bin/moto_server" -H "$host" -p "$MOTO_PORT" >"$state/moto.log" 2>&1
moto_pid=$spawned
echo "$moto_pid" >"$state/moto.pid"

say "Creating the table and SSM parameters"
if ! "$venv/bin/python" tools/dev_setup.py --endpoint "$endpoint" --table "$table" \
    --secret-param "$secret_param" --ttl-param "$ttl_param" --access-ttl 3600; then
    tail -n 20 "$state/moto.log" >&2 || true
    die "could not prepare moto_server"
fi

cat >"$state/functions.env" <<EOF
AWS_ENDPOINT_URL=$endpoint
AWS_REGION=us-east-1
AWS_ACCESS_KEY_ID=testing
AWS_SECRET_ACCESS_KEY=testing
JWT_SECRET_PARAM=$secret_param
ACCESS_TOKEN_TTL_PARAM=$ttl_param
USERS_TABLE=$table
RUST_LOG=info
EOF

# cargo lambda watch compiles a function on its first invocation, with `cargo run --bin <name>`.
# Building each binary the same way now keeps the first request from waiting on the compiler.
say "Building the functions"
cargo build --bin token_generator
cargo build --bin authorizer

# The walkthrough, printed and also saved as .dev/try-it.sh (`bash .dev/try-it.sh` runs it all).
read -r -d '' try_it <<'EOF' || true
BASE=http://@HOST@:@PORT@/lambda-url/token_generator
USER_JSON='{"username":"alice","password":"correct horse battery staple"}'
field() { python3 -c "import json, sys; print(json.load(sys.stdin)['$1'])"; }

# register: 201 {"message":"registered","username":"alice"}
curl -si -w '\n' -X POST "$BASE/auth/register" -H 'content-type: application/json' -d "$USER_JSON"

# log in: 200 {"access_token":...,"token_type":"Bearer","expires_in":3600,"refresh_token":...}
TOKENS=$(curl -s -X POST "$BASE/auth/login" -H 'content-type: application/json' -d "$USER_JSON")
echo "$TOKENS"; ACCESS=$(echo "$TOKENS" | field access_token); REFRESH=$(echo "$TOKENS" | field refresh_token)

# refresh (a form body this time): 200 with a new pair; the old refresh token is now spent
TOKENS=$(curl -s -X POST "$BASE/token" -d grant_type=refresh_token -d "refresh_token=$REFRESH")
echo "$TOKENS"; REFRESH=$(echo "$TOKENS" | field refresh_token)

# the authorizer, given the sample REST TOKEN event with the access token patched in: Allow
sed "s/REPLACE_WITH_ACCESS_TOKEN/$ACCESS/" events/authorizer/rest-token.json > .dev/rest-token.json
.venv/bin/cargo-lambda lambda invoke authorizer --invoke-address @HOST@ --invoke-port @PORT@ \
  --data-file .dev/rest-token.json

# log out: 200 {"message":"logged out"}
curl -si -w '\n' -X POST "$BASE/auth/logout" -H "authorization: Bearer $ACCESS"

# every refresh token issued before the logout is refused: 400 {"error":"invalid_grant",...}
curl -si -w '\n' -X POST "$BASE/token" -d grant_type=refresh_token -d "refresh_token=$REFRESH"

# health: 200 {"status":"ok"}
curl -si -w '\n' "$BASE/health"
EOF
try_it=${try_it//@HOST@/$host}
try_it=${try_it//@PORT@/$INVOKE_PORT}
printf '#!/usr/bin/env bash\n# Written by tools/dev.sh; run from the repository root.\nset -eu\n\n%s\n' \
    "$try_it" >"$state/try-it.sh"

echo
say "Try it from another terminal, in $root (or run: bash .dev/try-it.sh)"
echo
printf '%s\n' "$try_it" | sed 's/^./    &/'
echo
echo "Function logs follow. Ctrl-C stops cargo lambda watch and moto_server."
echo

# --disable-cors: the function answers preflights and sets CORS headers itself, as in AWS.
say "Starting cargo lambda watch on http://$host:$INVOKE_PORT"
spawn "$venv/bin/cargo-lambda" lambda watch \
    --invoke-address "$host" --invoke-port "$INVOKE_PORT" --disable-cors \
    --env-file "$state/functions.env"
watch_pid=$spawned
echo "$watch_pid" >"$state/watch.pid"

# Runs until Ctrl-C, or until moto_server or watch exits on its own (then the other is stopped).
while kill -0 "$moto_pid" 2>/dev/null && kill -0 "$watch_pid" 2>/dev/null; do
    sleep 1
done
say "moto_server or cargo lambda watch exited; stopping the other"
exit 1
