"""Discovery: a client that knows only the issuer URL finds the server metadata (RFC 8414) at
every URL it may try, and the metadata passes authlib's validation.

Not tested: the document is not yet an OpenID Provider document (no authorization_endpoint,
userinfo or id_token metadata), so authlib's `OpenIDProviderMetadata(doc).validate()` is expected
to refuse it even where it is served at /.well-known/openid-configuration.
"""

import requests
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata, get_well_known_url

from conftest import TIMEOUT


def fetch(url):
    response = requests.get(url, timeout=TIMEOUT)
    assert response.status_code == 200, f"{url}: {response.status_code} {response.text}"
    assert response.headers["content-type"].startswith("application/json"), url
    return response.json()


def test_the_rfc8414_path_insertion_url_authlib_derives_answers_the_same_document(
    issuer, metadata
):
    # RFC 8414 §3.1: /.well-known/oauth-authorization-server inserted before the issuer's path.
    url = get_well_known_url(issuer, external=True)
    assert url.endswith("/.well-known/oauth-authorization-server/dev")
    assert fetch(url) == metadata


def test_openid_configuration_answers_the_same_document(issuer, metadata):
    assert fetch(f"{issuer}/.well-known/openid-configuration") == metadata


def test_the_metadata_names_the_issuer_the_client_was_given(issuer, metadata):
    assert metadata["issuer"] == issuer


def test_every_endpoint_is_under_the_issuer(issuer, metadata):
    assert metadata["token_endpoint"] == f"{issuer}/token"
    assert metadata["jwks_uri"] == f"{issuer}/.well-known/jwks.json"
    assert metadata["revocation_endpoint"].startswith(f"{issuer}/")
    assert metadata["introspection_endpoint"].startswith(f"{issuer}/")


def test_the_metadata_passes_authlib_validation(metadata):
    # authlib refuses http endpoints except on loopback addresses such as 127.0.0.1.
    AuthorizationServerMetadata(metadata).validate()


def test_the_metadata_advertises_the_grants_and_client_authentication_in_use(metadata):
    assert {"password", "refresh_token", "client_credentials"} <= set(
        metadata["grant_types_supported"]
    )
    assert {"client_secret_basic", "client_secret_post", "none"} <= set(
        metadata["token_endpoint_auth_methods_supported"]
    )
    assert metadata["response_types_supported"]


def test_the_metadata_lists_the_scopes_users_are_granted(metadata, user_scope):
    assert set(user_scope.split()) <= set(metadata["scopes_supported"])


def test_the_jwks_publishes_public_es256_keys_only(metadata):
    keys = fetch(metadata["jwks_uri"])["keys"]
    assert keys
    for key in keys:
        assert key["kty"] == "EC" and key["crv"] == "P-256", key
        assert key["kid"], key
        assert "d" not in key, "a private key is published"
