"""Access tokens through PyJWT, as a resource server would check them: the key found by `kid` at
the discovered jwks_uri (PyJWKClient), ES256, issuer and audience; refresh tokens are opaque."""

import jwt
import pytest

from conftest import PUBLIC_CLIENT_ID


def test_an_access_token_verifies_with_the_published_key_issuer_and_audience(
    signed_in, verify, issuer, audience, user
):
    claims = verify(signed_in["access_token"])
    assert claims["iss"] == issuer
    assert claims["aud"] == audience
    assert claims["sub"] == user


def test_an_access_token_is_an_es256_at_jwt_naming_a_published_key(
    signed_in, jwks_client
):
    header = jwt.get_unverified_header(signed_in["access_token"])
    assert header["alg"] == "ES256"
    # RFC 9068 §2.1.
    assert header["typ"] == "at+jwt"
    assert header["kid"] in {key.key_id for key in jwks_client.get_signing_keys()}


def test_a_user_access_token_carries_the_public_client_and_the_users_scope(
    signed_in, verify, user_scope
):
    claims = verify(signed_in["access_token"])
    assert claims["client_id"] == PUBLIC_CLIENT_ID
    assert set(claims["scope"].split()) == set(user_scope.split())
    assert claims["exp"] - claims["iat"] == signed_in["expires_in"]
    assert claims["jti"]


def test_each_access_token_has_its_own_jti(public_session, metadata, signed_in, verify):
    refreshed = public_session.refresh_token(
        metadata["token_endpoint"], refresh_token=signed_in["refresh_token"]
    )
    first = verify(signed_in["access_token"])["jti"]
    assert verify(refreshed["access_token"])["jti"] != first


def test_an_access_token_for_another_audience_is_refused(signed_in, jwks_client, issuer):
    token = signed_in["access_token"]
    key = jwks_client.get_signing_key_from_jwt(token)
    with pytest.raises(jwt.InvalidAudienceError):
        jwt.decode(
            token,
            key.key,
            algorithms=["ES256"],
            audience="https://elsewhere.example",
            issuer=issuer,
        )


def test_a_refresh_token_is_opaque_so_pyjwkclient_finds_no_key_for_it(
    signed_in, jwks_client
):
    with pytest.raises((jwt.exceptions.DecodeError, jwt.exceptions.PyJWKClientError)):
        jwks_client.get_signing_key_from_jwt(signed_in["refresh_token"])


def test_a_refresh_token_does_not_verify_as_a_jwt(signed_in, jwks_client, issuer, audience):
    key = jwks_client.get_signing_keys()[0]
    with pytest.raises(jwt.exceptions.DecodeError):
        jwt.decode(
            signed_in["refresh_token"],
            key.key,
            algorithms=["ES256"],
            audience=audience,
            issuer=issuer,
        )
