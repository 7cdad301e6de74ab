"""Prepares moto_server for `make dev`: the users table and the SSM parameters the functions read.

Run by tools/dev.sh with the virtualenv's Python (boto3 comes from tools/requirements-dev.txt).
Waits until moto_server answers, then creates

- the DynamoDB table (pk S hash, sk S range, on demand, TTL on `ttl`), as template.yaml does;
- the Secrets Manager secret holding the signing key set: one fresh ES256 key (a JWK set, as the
  rotation function would create) on every run, never printed;
- the String holding that set's public keys, as the rotation function publishes them: what the
  authorizer verifies with (SIGNING_KEYS_PUBLIC_PARAM; token_generator signs with the secret);
- the String holding the access-token lifetime in seconds;
- the String holding the authorizer's route rules, with the value template.yaml gives its
  RouteRulesParameter (so the rules tried locally are the ones deployed).

Safe to run twice against the same server: existing resources are kept, parameters overwritten.
"""

import argparse
import base64
import hashlib
import json
import sys
import time
import urllib.error
import urllib.request

import boto3
import yaml  # PyYAML, installed with moto
from cryptography.hazmat.primitives.asymmetric import ec  # installed with moto


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", default="http://127.0.0.1:5005")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--table", default="users-dev")
    parser.add_argument("--keys-secret", default="/app/dev/auth/signing-keys")
    parser.add_argument("--public-keys-param", default="/app/dev/auth/public-keys")
    parser.add_argument("--ttl-param", default="/app/dev/auth/token/time")
    parser.add_argument("--access-ttl", default="3600", help="access-token lifetime, seconds")
    parser.add_argument("--rules-param", default="/app/dev/auth/route-rules")
    parser.add_argument("--template", default="template.yaml", help="where the route rules come from")
    parser.add_argument("--wait", type=float, default=30.0, help="seconds to wait for moto_server")
    return parser.parse_args()


def wait_for(endpoint: str, timeout: float) -> None:
    """Returns once anything answers HTTP at `endpoint`; exits after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=2):
                return
        except urllib.error.HTTPError:
            return  # an HTTP error status is still an answer
        except (urllib.error.URLError, OSError):
            if time.monotonic() > deadline:
                sys.exit(f"moto_server did not answer at {endpoint} within {timeout:.0f}s")
            time.sleep(0.2)


def create_table(dynamodb, table: str) -> None:
    try:
        dynamodb.create_table(
            TableName=table,
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
    except dynamodb.exceptions.ResourceInUseException:
        pass  # left by an earlier run against the same server
    dynamodb.get_waiter("table_exists").wait(TableName=table)
    dynamodb.update_time_to_live(
        TableName=table,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"},
    )


class _CfnLoader(yaml.SafeLoader):
    """Reads a CloudFormation template: short-form tags (!Ref, !Sub, ...) load as plain values."""


def _untagged(loader, _suffix, node):
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_mapping(node, deep=True)


_CfnLoader.add_multi_constructor("!", _untagged)


def route_rules(template: str) -> str:
    """The Value of the template's RouteRulesParameter, checked to be JSON."""
    with open(template, encoding="utf-8") as file:
        doc = yaml.load(file, Loader=_CfnLoader)
    try:
        value = doc["Resources"]["RouteRulesParameter"]["Properties"]["Value"]
    except (KeyError, TypeError):
        sys.exit(f"{template}: no Resources.RouteRulesParameter.Properties.Value")
    try:
        json.loads(value)
    except (TypeError, ValueError) as err:
        sys.exit(f"{template}: RouteRulesParameter's Value is not JSON: {err}")
    return value


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def es256_key_set() -> str:
    """A JWK set of one new active ES256 key, its kid the RFC 7638 thumbprint."""
    key = ec.generate_private_key(ec.SECP256R1())
    numbers = key.private_numbers()
    x = b64(numbers.public_numbers.x.to_bytes(32, "big"))
    y = b64(numbers.public_numbers.y.to_bytes(32, "big"))
    canonical = json.dumps({"crv": "P-256", "kty": "EC", "x": x, "y": y}, separators=(",", ":"))
    kid = b64(hashlib.sha256(canonical.encode()).digest())
    jwk = {"kty": "EC", "crv": "P-256", "x": x, "y": y,
           "d": b64(numbers.private_value.to_bytes(32, "big")),
           "kid": kid, "alg": "ES256", "use": "sig", "status": "active"}
    return json.dumps({"keys": [jwk]})


def public_key_set(private: str) -> str:
    """The public JWK set of a private one, as auth_core's KeySet::public_jwks writes it."""
    public = ("kty", "crv", "x", "y", "n", "e", "kid", "alg", "use")
    keys = [{name: key[name] for name in public if name in key}
            for key in json.loads(private)["keys"]]
    return json.dumps({"keys": keys})


def put_secret(secrets_client, name: str, value: str) -> None:
    try:
        secrets_client.create_secret(Name=name, SecretString=value)
    except secrets_client.exceptions.ResourceExistsException:
        secrets_client.put_secret_value(SecretId=name, SecretString=value)


def main() -> None:
    args = parse_args()
    rules = route_rules(args.template)
    wait_for(args.endpoint, args.wait)
    session = boto3.session.Session(
        region_name=args.region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    dynamodb = session.client("dynamodb", endpoint_url=args.endpoint)
    ssm = session.client("ssm", endpoint_url=args.endpoint)
    secrets_client = session.client("secretsmanager", endpoint_url=args.endpoint)

    create_table(dynamodb, args.table)
    key_set = es256_key_set()
    put_secret(secrets_client, args.keys_secret, key_set)
    ssm.put_parameter(
        Name=args.public_keys_param,
        Type="String",
        Value=public_key_set(key_set),
        Overwrite=True,
    )
    ssm.put_parameter(
        Name=args.ttl_param,
        Type="String",
        Value=args.access_ttl,
        Overwrite=True,
    )
    ssm.put_parameter(
        Name=args.rules_param,
        Type="String",
        Value=rules,
        Overwrite=True,
    )
    print(f"  table      {args.table} (pk/sk, PAY_PER_REQUEST, TTL on `ttl`)")
    print(f"  secret     {args.keys_secret} (signing key set: a new ES256 key)")
    print(f"  parameter  {args.public_keys_param} (its public key, for the authorizer)")
    print(f"  parameter  {args.ttl_param} = {args.access_ttl}")
    print(f"  parameter  {args.rules_param} (route rules from {args.template})")


if __name__ == "__main__":
    main()
