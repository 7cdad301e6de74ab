#!/usr/bin/env bash
# Smoke test of a deployed stack: the public keys are served, a user gets an access token, the
# protected route answers 200 with it and 401 without it. Run by `make smoke ENV=<env>` and by
# .github/workflows/deploy.yml after every deploy.
#
# Usage: tools/smoke_test.sh <dev|staging|prod>
#
# Needs curl, python3 and the AWS CLI with credentials for the stack's account and region. The
# URLs come from the stack's outputs (stack jwt-auth-<env>, or STACK_NAME).
#
# The account: with SMOKE_USERNAME and SMOKE_PASSWORD set (e.g. GitHub environment secrets for
# prod), that existing user logs in; otherwise a throwaway user `smoke-<random>` is registered.
# Either way the session is logged out at the end.
set -euo pipefail

env_name=${1:-}
case "$env_name" in
dev | staging | prod) ;;
*)
  echo "usage: $0 <dev|staging|prod>" >&2
  exit 2
  ;;
esac
stack=${STACK_NAME:-jwt-auth-$env_name}
# 5xx answers are retried up to ATTEMPTS times, 5 seconds apart (see retried).
attempts=${ATTEMPTS:-12}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# json_field <file> <field>: a top-level field of a JSON document, empty when absent.
json_field() {
  python3 -c 'import json, sys
try:
    value = json.load(open(sys.argv[1])).get(sys.argv[2], "")
except (ValueError, AttributeError):
    value = ""
print(value if isinstance(value, str) else json.dumps(value))' "$1" "$2"
}

# request <name> <curl args...>: the HTTP status; the body is in $work/<name>.
request() {
  local name=$1
  shift
  curl -sS --max-time 30 -o "$work/$name" -w '%{http_code}' "$@"
}

# retried <name> <curl args...>: request, retried while the answer is a 5xx. Right after a first
# deploy the first rotation may still be writing the signing key, and until it has, the
# functions cannot start (API Gateway answers 502/500).
retried() {
  local status attempt
  for ((attempt = 1; ; attempt++)); do
    status=$(request "$@")
    if [[ $status != 5* || $attempt -ge $attempts ]]; then
      echo "$status"
      return
    fi
    echo "...  $1: $status, retrying in 5 s ($attempt/$attempts)" >&2
    sleep 5
  done
}

# expect <what> <expected status> <status> <body file>
expect() {
  if [[ $3 == "$2" ]]; then
    echo "ok   $1: $3"
  else
    echo "body: $(head -c 500 "$4")" >&2
    fail "$1: expected $2, got $3"
  fi
}

echo "--- stack $stack"
aws cloudformation describe-stacks --stack-name "$stack" \
  --query 'Stacks[0].Outputs' --output json >"$work/outputs.json"
output() {
  python3 -c 'import json, sys
outputs = {o["OutputKey"]: o["OutputValue"] for o in json.load(open(sys.argv[1])) or []}
print(outputs.get(sys.argv[2], ""))' "$work/outputs.json" "$1"
}
api_url=$(output ApiUrl)
token_url=$(output TokenUrl)
jwks_url=$(output JwksUrl)
me_url=$(output MeUrl)
for name in api_url token_url jwks_url me_url; do
  [[ -n ${!name} ]] || fail "stack $stack has no output for $name"
done
api_url=${api_url%/}
echo "API  $api_url"

status=$(retried jwks "$jwks_url")
expect "GET /.well-known/jwks.json" 200 "$status" "$work/jwks"

if [[ -n ${SMOKE_USERNAME:-} && -n ${SMOKE_PASSWORD:-} ]]; then
  username=$SMOKE_USERNAME
  password=$SMOKE_PASSWORD
  echo "user $username (SMOKE_USERNAME)"
else
  username="smoke-$(python3 -c 'import secrets; print(secrets.token_hex(8))')"
  password=$(python3 -c 'import secrets; print(secrets.token_urlsafe(24))')
  python3 -c 'import json, sys; print(json.dumps({"username": sys.argv[1], "password": sys.argv[2]}))' \
    "$username" "$password" >"$work/credentials.json"
  status=$(retried register -X POST "$api_url/auth/register" \
    -H 'content-type: application/json' --data-binary @"$work/credentials.json")
  expect "POST /auth/register ($username)" 201 "$status" "$work/register"
fi

# The password grant, as a form body (RFC 6749 §4.3).
status=$(retried token -X POST "$token_url" \
  --data-urlencode grant_type=password \
  --data-urlencode "username=$username" \
  --data-urlencode "password=$password")
expect "POST /token (grant_type=password)" 200 "$status" "$work/token"
access=$(json_field "$work/token" access_token)
[[ -n $access ]] || fail "POST /token: no access_token in the response"

status=$(request me-anonymous "$me_url")
expect "GET /me without a token" 401 "$status" "$work/me-anonymous"

status=$(request me -H "authorization: Bearer $access" "$me_url")
expect "GET /me with the token" 200 "$status" "$work/me"

status=$(request logout -X POST "$api_url/auth/logout" -H "authorization: Bearer $access")
expect "POST /auth/logout" 200 "$status" "$work/logout"

echo "--- smoke test of $stack passed"
