#!/usr/bin/env bash
# `make dev`: both functions running locally under `cargo lambda watch`, against DynamoDB and SSM
# emulated by moto_server, with the local API Gateway (tools/local-gateway) in front of them:
# the API of template.yaml, authorizer included. Everything it starts runs until Ctrl-C, which
# stops all of it.
#
#   MOTO_PORT             moto_server port on 127.0.0.1          (default 5005)
#   INVOKE_PORT           cargo-lambda invoke/function-URL port  (default 9000)
#   GATEWAY_PORT          the local API Gateway's port           (default 3000)
#   AUTHORIZER_CACHE_TTL  overrides the template's AuthorizerCacheTtl for the gateway (seconds)
#
# The functions' issuer is the stage URL http://127.0.0.1:$GATEWAY_PORT/dev (discovery at
# <issuer>/.well-known/openid-configuration), their audience http://127.0.0.1:$GATEWAY_PORT.
#
# State (logs, pid files, the functions' env file) lives in .dev/; `make clean-dev` removes it.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
venv=$root/.venv
state=$root/.dev

MOTO_PORT=${MOTO_PORT:-5005}
INVOKE_PORT=${INVOKE_PORT:-9000}
GATEWAY_PORT=${GATEWAY_PORT:-3000}
host=127.0.0.1
endpoint=http://$host:$MOTO_PORT

# The template's Environment default, which is also the stage the local gateway serves.
stage=dev
# The issuer is the stage URL, as the template derives it from the deployed API (where /token
# and /.well-known/* live); the audience is the API's base URL. They must differ: the functions
# refuse equal ones at cold start.
gateway_url=http://$host:$GATEWAY_PORT
issuer=$gateway_url/$stage
audience=$gateway_url

table=users-dev
keys_secret=/app/dev/auth/signing-keys
public_keys_param=/app/dev/auth/public-keys
ttl_param=/app/dev/auth/token/time
rules_param=/app/dev/auth/route-rules
gateway_bin=${CARGO_TARGET_DIR:-$root/target}/debug/local-gateway

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
for name in moto watch gateway; do
    pid_file=$state/$name.pid
    if [[ -s $pid_file ]] && kill -0 "$(cat "$pid_file")" 2>/dev/null; then
        die "a previous make dev is still running ($name, pid $(cat "$pid_file")); stop it first, or run \`make clean-dev\` if that process is not ours"
    fi
    rm -f "$pid_file"
done
for port in "$MOTO_PORT" "$INVOKE_PORT" "$GATEWAY_PORT"; do
    if listening "$port"; then
        die "port $port on $host is already in use (set MOTO_PORT / INVOKE_PORT / GATEWAY_PORT)"
    fi
done

moto_pid=
watch_pid=
gateway_pid=
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
    stop_group "$gateway_pid"
    stop_group "$watch_pid"
    stop_group "$moto_pid"
    rm -f "$state/moto.pid" "$state/watch.pid" "$state/gateway.pid"
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
# from the developer's shell may leak in (an inline key set would take precedence over moto's).
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN JWT_SECRET JWT_SECRET_PARAM SIGNING_KEYS \
    SIGNING_KEYS_PARAM SIGNING_KEYS_PUBLIC_PARAM TOKEN_ISSUER_PARAM TOKEN_AUDIENCE_PARAM
export AWS_ENDPOINT_URL=$endpoint AWS_REGION=us-east-1 \
    AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing

say "Starting moto_server on $endpoint (log: .dev/moto.log)"
spawn "$venv/bin/python" tools/moto_server.py --host "$host" --port "$MOTO_PORT" >"$state/moto.log" 2>&1
moto_pid=$spawned
echo "$moto_pid" >"$state/moto.pid"

say "Creating the table and SSM parameters"
if ! "$venv/bin/python" tools/dev_setup.py --endpoint "$endpoint" --table "$table" \
    --keys-secret "$keys_secret" --public-keys-param "$public_keys_param" \
    --ttl-param "$ttl_param" --access-ttl 3600 \
    --rules-param "$rules_param" --template template.yaml; then
    tail -n 20 "$state/moto.log" >&2 || true
    die "could not prepare moto_server"
fi

cat >"$state/functions.env" <<EOF
AWS_ENDPOINT_URL=$endpoint
AWS_REGION=us-east-1
AWS_ACCESS_KEY_ID=testing
AWS_SECRET_ACCESS_KEY=testing
SIGNING_KEYS_SECRET_ID=$keys_secret
SIGNING_KEYS_PUBLIC_PARAM=$public_keys_param
ACCESS_TOKEN_TTL_PARAM=$ttl_param
USERS_TABLE=$table
ROUTE_RULES_PARAM=$rules_param
TOKEN_ISSUER=$issuer
TOKEN_AUDIENCE=$audience
LOG_LEVEL=info
EOF

# cargo lambda watch compiles a function on its first invocation, with `cargo run --bin <name>`.
# Building each binary the same way now keeps the first request from waiting on the compiler.
say "Building the functions and the local API Gateway"
cargo build --bin token_generator
cargo build --bin authorizer
cargo build -p local-gateway

# The walkthrough, printed and also saved as .dev/try-it.sh (`bash .dev/try-it.sh` runs it all).
read -r -d '' try_it <<'EOF' || true
ISSUER=@ISSUER@
BASE=$ISSUER
USER_JSON='{"username":"alice","password":"correct horse battery staple"}'
field() { python3 -c "import json, sys; print(json.load(sys.stdin)['$1'])"; }

# discovery: the server metadata at the issuer (RFC 8414), where the endpoints come from
METADATA=$(curl -s "$ISSUER/.well-known/openid-configuration")
echo "$METADATA"; TOKEN_ENDPOINT=$(echo "$METADATA" | field token_endpoint); JWKS_URI=$(echo "$METADATA" | field jwks_uri)

# the same metadata at RFC 8414's URL for this issuer (its path after the well-known segment)
curl -s -w '\n' "@ROOT@/.well-known/oauth-authorization-server/@STAGE@"

# register: 201 {"message":"registered","username":"alice"} (409 user_exists on a second run)
curl -si -w '\n' -X POST "$BASE/auth/register" -H 'content-type: application/json' -d "$USER_JSON"

# log in: 200 {"access_token":...,"token_type":"Bearer","expires_in":3600,"refresh_token":...}
TOKENS=$(curl -s -X POST "$BASE/auth/login" -H 'content-type: application/json' -d "$USER_JSON")
echo "$TOKENS"; ACCESS=$(echo "$TOKENS" | field access_token); REFRESH=$(echo "$TOKENS" | field refresh_token)

# the protected route without a token: 401 {"message":"Unauthorized"}, from the gateway itself
curl -si -w '\n' "$BASE/me"

# with the token: 200 {"principalId": "alice", "sub": "alice"}; the authorizer is called
curl -si -w '\n' "$BASE/me" -H "authorization: Bearer $ACCESS"

# an admin route, same token: 403 with WWW-Authenticate: Bearer error="insufficient_scope",
# decided by the policy cached for this token (no `admin` scope)
curl -si -w '\n' "$BASE/admin/users" -H "authorization: Bearer $ACCESS"

# refresh at the discovered token endpoint (a form body this time): 200 with a new pair; the
# old refresh token (an opaque string) is now spent
TOKENS=$(curl -s -X POST "$TOKEN_ENDPOINT" -d grant_type=refresh_token -d "refresh_token=$REFRESH")
echo "$TOKENS"; OLD_REFRESH=$REFRESH; REFRESH=$(echo "$TOKENS" | field refresh_token)

# the public keys that verify the access tokens, at the discovered jwks_uri
curl -s -w '\n' "$JWKS_URI"

# refreshing again with the spent token is taken as theft: 400, and the whole family is revoked
curl -s -w '\n' -X POST "$TOKEN_ENDPOINT" -d grant_type=refresh_token -d "refresh_token=$OLD_REFRESH"
curl -s -w '\n' -X POST "$TOKEN_ENDPOINT" -d grant_type=refresh_token -d "refresh_token=$REFRESH"

# sign in again, then log out: 200 {"message":"logged out"}
TOKENS=$(curl -s -X POST "$BASE/auth/login" -H 'content-type: application/json' -d "$USER_JSON")
ACCESS=$(echo "$TOKENS" | field access_token); REFRESH=$(echo "$TOKENS" | field refresh_token)
curl -si -w '\n' -X POST "$BASE/auth/logout" -H "authorization: Bearer $ACCESS"

# every refresh token issued before the logout is refused: 400 {"error":"invalid_grant",...}
curl -si -w '\n' -X POST "$TOKEN_ENDPOINT" -d grant_type=refresh_token -d "refresh_token=$REFRESH"

# the access token stays valid until it expires (keep them short-lived): /me still answers 200
curl -si -w '\n' "$BASE/me" -H "authorization: Bearer $ACCESS"
EOF
try_it=${try_it//@ISSUER@/$issuer}
try_it=${try_it//@ROOT@/$gateway_url}
try_it=${try_it//@STAGE@/$stage}
printf '#!/usr/bin/env bash\n# Written by tools/dev.sh; run from the repository root.\nset -eu\n\n%s\n' \
    "$try_it" >"$state/try-it.sh"

echo
say "Try it from another terminal, in $root (or run: bash .dev/try-it.sh)"
echo
printf '%s\n' "$try_it" | sed 's/^./    &/'
echo
echo "Gateway and function logs follow. Ctrl-C stops the gateway, cargo lambda watch and moto_server."
echo

# --disable-cors: the function answers preflights and sets CORS headers itself, as in AWS.
say "Starting cargo lambda watch on http://$host:$INVOKE_PORT"
spawn "$venv/bin/cargo-lambda" lambda watch \
    --invoke-address "$host" --invoke-port "$INVOKE_PORT" --disable-cors \
    --env-file "$state/functions.env"
watch_pid=$spawned
echo "$watch_pid" >"$state/watch.pid"

# The gateway starts once the invoke endpoint answers.
for _ in {1..600}; do
    listening "$INVOKE_PORT" && break
    kill -0 "$watch_pid" 2>/dev/null || die "cargo lambda watch exited"
    sleep 0.1
done
listening "$INVOKE_PORT" || die "cargo lambda watch is not listening on port $INVOKE_PORT"

gateway_args=(--template template.yaml --listen "$host:$GATEWAY_PORT"
    --invoke-url "http://$host:$INVOKE_PORT")
if [[ -n ${AUTHORIZER_CACHE_TTL:-} ]]; then
    gateway_args+=(--parameter "AuthorizerCacheTtl=$AUTHORIZER_CACHE_TTL")
fi
say "Starting the local API Gateway on http://$host:$GATEWAY_PORT"
spawn "$gateway_bin" "${gateway_args[@]}"
gateway_pid=$spawned
echo "$gateway_pid" >"$state/gateway.pid"
for _ in {1..100}; do
    listening "$GATEWAY_PORT" && break
    kill -0 "$gateway_pid" 2>/dev/null || die "the local API Gateway exited (see above)"
    sleep 0.1
done

# Runs until Ctrl-C, or until one of the three exits on its own (then the others are stopped).
while kill -0 "$moto_pid" 2>/dev/null && kill -0 "$watch_pid" 2>/dev/null \
    && kill -0 "$gateway_pid" 2>/dev/null; do
    sleep 1
done
say "moto_server, cargo lambda watch or the gateway exited; stopping the others"
exit 1
