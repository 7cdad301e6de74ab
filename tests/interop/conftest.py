"""Fixtures of the interop suite: real OAuth 2.0 and JWT client libraries against the whole local
stack (the local API Gateway, the built functions, moto_server).

The stack is started, and these variables set, by tools/local-gateway/tests/interop.rs (run by
`cargo test`, so by `make test`):

  ISSUER         the issuer URL, http://127.0.0.1:<gateway port>/dev; everything else is discovered
  AUDIENCE       the `aud` of access tokens
  CLIENT_ID      a confidential client registered for the client_credentials grant
  CLIENT_SECRET  its secret
  CLIENT_SCOPE   the scopes it may be granted, space separated
  USER_SCOPE     the scopes a newly registered user gets, space separated
"""

import os
import uuid

import jwt
import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session

# Seconds per request: a stuck stack fails one test instead of hanging the run.
TIMEOUT = 10
PASSWORD = "correct horse battery staple"
# The client_id of sign-ins without client authentication (the server's PUBLIC_CLIENT_ID).
PUBLIC_CLIENT_ID = "public"
# What the access tokens of these tests always carry (RFC 9068 §2.2).
REQUIRED_CLAIMS = ["iss", "aud", "sub", "client_id", "iat", "exp", "jti"]


def setting(name):
    value = os.environ.get(name)
    if not value:
        pytest.fail(
            f"{name} is not set: this suite runs under "
            "`cargo test -p local-gateway --test interop`, which starts the stack and sets it",
            pytrace=False,
        )
    return value


@pytest.fixture(scope="session")
def issuer():
    return setting("ISSUER")


@pytest.fixture(scope="session")
def audience():
    return setting("AUDIENCE")


@pytest.fixture(scope="session")
def confidential_client():
    """The confidential client: (client_id, client_secret, scope)."""
    return setting("CLIENT_ID"), setting("CLIENT_SECRET"), setting("CLIENT_SCOPE")


@pytest.fixture(scope="session")
def user_scope():
    return setting("USER_SCOPE")


@pytest.fixture(scope="session")
def metadata(issuer):
    """The authorization server metadata (RFC 8414) under the issuer: every endpoint the tests
    use is taken from it."""
    response = requests.get(f"{issuer}/.well-known/oauth-authorization-server", timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(scope="session")
def jwks_client(metadata):
    return jwt.PyJWKClient(metadata["jwks_uri"], timeout=TIMEOUT)


@pytest.fixture(scope="session")
def verify(jwks_client, issuer, audience):
    """Verifies an access token as a resource server would: the key by `kid` from the
    discovered JWKS, the algorithm fixed, issuer and audience checked. Returns the claims."""

    def verify(token):
        key = jwks_client.get_signing_key_from_jwt(token)
        return jwt.decode(
            token,
            key.key,
            algorithms=["ES256"],
            audience=audience,
            issuer=issuer,
            options={"require": REQUIRED_CLAIMS},
        )

    return verify


@pytest.fixture
def user(issuer):
    """A newly registered user's name (the password is PASSWORD)."""
    username = f"interop-{uuid.uuid4().hex[:16]}@example.com"
    response = requests.post(
        f"{issuer}/auth/register",
        json={"username": username, "password": PASSWORD},
        timeout=TIMEOUT,
    )
    assert response.status_code == 201, response.text
    return username


@pytest.fixture
def public_session(metadata):
    """A public client (no secret), as a browser or mobile app signing users in would be."""
    with OAuth2Session(
        client_id=PUBLIC_CLIENT_ID,
        token_endpoint_auth_method="none",
        revocation_endpoint_auth_method="none",
        token_endpoint=metadata["token_endpoint"],
        default_timeout=TIMEOUT,
    ) as session:
        yield session


@pytest.fixture
def signed_in(public_session, metadata, user):
    """The token response of `user`'s password grant."""
    return public_session.fetch_token(
        metadata["token_endpoint"], username=user, password=PASSWORD
    )


@pytest.fixture
def confidential_session(confidential_client, metadata):
    """Makes sessions of the confidential client, authenticating with the given method."""
    client_id, client_secret, _ = confidential_client
    sessions = []

    def session(method):
        created = OAuth2Session(
            client_id=client_id,
            client_secret=client_secret,
            token_endpoint_auth_method=method,
            revocation_endpoint_auth_method=method,
            token_endpoint=metadata["token_endpoint"],
            default_timeout=TIMEOUT,
        )
        sessions.append(created)
        return created

    yield session
    for created in sessions:
        created.close()
