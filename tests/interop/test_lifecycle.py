"""Introspection (RFC 7662) and revocation (RFC 7009) through authlib's requests client, at the
endpoints the metadata names."""

import pytest
from authlib.integrations.base_client import OAuthError

from conftest import PUBLIC_CLIENT_ID


def introspect(session, metadata, token, hint):
    response = session.introspect_token(
        metadata["introspection_endpoint"], token=token, token_type_hint=hint
    )
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_introspection_says_an_access_token_is_an_active_bearer_token(
    confidential_session, metadata, signed_in, user, method
):
    session = confidential_session(method)
    answer = introspect(session, metadata, signed_in["access_token"], "access_token")
    assert answer["active"] is True
    assert answer["token_type"] == "Bearer"
    assert answer["sub"] == user
    assert answer["client_id"] == PUBLIC_CLIENT_ID


def test_introspection_says_a_refresh_token_is_active_without_a_token_type(
    confidential_session, metadata, signed_in, user
):
    session = confidential_session("client_secret_basic")
    answer = introspect(session, metadata, signed_in["refresh_token"], "refresh_token")
    assert answer["active"] is True
    assert answer["sub"] == user
    # RFC 7662 §2.2's token_type is the type of an access token (RFC 6749 §7.1).
    assert "token_type" not in answer


def test_introspection_needs_client_authentication(public_session, metadata, signed_in):
    response = public_session.introspect_token(
        metadata["introspection_endpoint"], token=signed_in["access_token"]
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_a_revoked_refresh_token_is_inactive_and_refreshes_nothing(
    public_session, confidential_session, metadata, signed_in
):
    refresh = signed_in["refresh_token"]
    response = public_session.revoke_token(
        metadata["revocation_endpoint"], token=refresh, token_type_hint="refresh_token"
    )
    assert response.status_code == 200, response.text

    session = confidential_session("client_secret_basic")
    assert introspect(session, metadata, refresh, "refresh_token") == {"active": False}
    with pytest.raises(OAuthError) as refused:
        public_session.refresh_token(metadata["token_endpoint"], refresh_token=refresh)
    assert refused.value.error == "invalid_grant"


def test_a_revoked_access_token_is_inactive(
    public_session, confidential_session, metadata, signed_in
):
    access = signed_in["access_token"]
    response = public_session.revoke_token(
        metadata["revocation_endpoint"], token=access, token_type_hint="access_token"
    )
    assert response.status_code == 200, response.text

    session = confidential_session("client_secret_post")
    assert introspect(session, metadata, access, "access_token") == {"active": False}


def test_revoking_a_token_that_is_not_ours_is_still_200(public_session, metadata):
    response = public_session.revoke_token(
        metadata["revocation_endpoint"], token="not-a-token-of-this-server"
    )
    assert response.status_code == 200
