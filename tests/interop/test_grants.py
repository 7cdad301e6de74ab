"""The token endpoint through authlib's requests client: the password grant of a public client,
refresh with rotation and reuse detection, refresh done by the session itself when the access
token has expired, and the client_credentials grant with both ways of client authentication."""

import time

import pytest
import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session

from conftest import PASSWORD, PUBLIC_CLIENT_ID, TIMEOUT


def test_the_password_grant_returns_a_bearer_token_pair(signed_in):
    assert signed_in["token_type"].lower() == "bearer"
    assert signed_in["access_token"]
    assert signed_in["refresh_token"]
    assert signed_in["expires_in"] > 0
    assert signed_in["expires_at"] > time.time()


def test_the_password_grant_narrows_the_scope_to_the_one_asked_for(
    public_session, metadata, user, user_scope, verify
):
    asked = user_scope.split()[0]
    token = public_session.fetch_token(
        metadata["token_endpoint"], username=user, password=PASSWORD, scope=asked
    )
    assert token["scope"] == asked
    assert verify(token["access_token"])["scope"] == asked


def test_a_wrong_password_is_invalid_grant(public_session, metadata, user):
    with pytest.raises(OAuthError) as refused:
        public_session.fetch_token(
            metadata["token_endpoint"], username=user, password="not the password"
        )
    assert refused.value.error == "invalid_grant"


def test_refresh_gives_a_new_pair_and_a_new_refresh_token(
    public_session, metadata, signed_in, user, verify
):
    refreshed = public_session.refresh_token(
        metadata["token_endpoint"], refresh_token=signed_in["refresh_token"]
    )
    assert refreshed["refresh_token"] != signed_in["refresh_token"]
    assert refreshed["access_token"] != signed_in["access_token"]
    assert verify(refreshed["access_token"])["sub"] == user


def test_a_refresh_token_used_again_after_rotation_is_invalid_grant_and_ends_the_family(
    public_session, metadata, signed_in
):
    endpoint = metadata["token_endpoint"]
    rotated = public_session.refresh_token(endpoint, refresh_token=signed_in["refresh_token"])

    with pytest.raises(OAuthError) as replayed:
        public_session.refresh_token(endpoint, refresh_token=signed_in["refresh_token"])
    assert replayed.value.error == "invalid_grant"

    # RFC 9700 §4.14.2: the reuse revokes the family, so the newest token is refused too.
    with pytest.raises(OAuthError) as after:
        public_session.refresh_token(endpoint, refresh_token=rotated["refresh_token"])
    assert after.value.error == "invalid_grant"


def test_the_protected_route_is_401_without_a_token(issuer):
    response = requests.get(f"{issuer}/me", timeout=TIMEOUT)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_the_protected_route_answers_a_session_holding_the_access_token(
    issuer, signed_in, user
):
    with OAuth2Session(
        client_id=PUBLIC_CLIENT_ID, token=signed_in, default_timeout=TIMEOUT
    ) as session:
        response = session.get(f"{issuer}/me")
    assert response.status_code == 200, response.text
    assert response.json() == {"principalId": user, "sub": user}


def test_an_expired_access_token_is_refreshed_by_the_session_before_the_request(
    metadata, issuer, signed_in, user
):
    updates = []

    def update_token(token, refresh_token=None, access_token=None):
        updates.append((dict(token), refresh_token))

    expired = dict(signed_in, expires_at=int(time.time()) - 1)
    with OAuth2Session(
        client_id=PUBLIC_CLIENT_ID,
        token_endpoint_auth_method="none",
        token=expired,
        token_endpoint=metadata["token_endpoint"],
        update_token=update_token,
        default_timeout=TIMEOUT,
    ) as session:
        response = session.get(f"{issuer}/me")

    assert response.status_code == 200, response.text
    assert response.json()["sub"] == user
    [(new, spent)] = updates
    assert spent == signed_in["refresh_token"]
    assert new["refresh_token"] != signed_in["refresh_token"]
    assert new["access_token"] != signed_in["access_token"]
    assert response.request.headers["authorization"] == f"Bearer {new['access_token']}"


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_a_confidential_client_gets_an_access_token_for_itself(
    confidential_session, metadata, confidential_client, verify, method
):
    client_id, _, scope = confidential_client
    token = confidential_session(method).fetch_token(
        metadata["token_endpoint"], grant_type="client_credentials", scope=scope
    )
    assert token["token_type"].lower() == "bearer"
    # RFC 6749 §4.4.3: no refresh token for client credentials.
    assert "refresh_token" not in token
    claims = verify(token["access_token"])
    assert claims["sub"] == client_id
    assert claims["client_id"] == client_id
    assert set(claims["scope"].split()) == set(scope.split())


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_a_wrong_client_secret_is_invalid_client(metadata, confidential_client, method):
    client_id, _, _ = confidential_client
    with OAuth2Session(
        client_id=client_id,
        client_secret="not-the-secret",
        token_endpoint_auth_method=method,
        default_timeout=TIMEOUT,
    ) as session:
        with pytest.raises(OAuthError) as refused:
            session.fetch_token(metadata["token_endpoint"], grant_type="client_credentials")
    assert refused.value.error == "invalid_client"
