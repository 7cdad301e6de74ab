//! Whose a token is: a token issued to a confidential client belongs to that client, which must
//! authenticate to refresh it (RFC 6749 §6), revoke it (RFC 7009 §2.1) or learn it is active;
//! tokens of the public client (users signing in without client authentication) belong to
//! whoever holds them.

/// What the caller is to a token issued to some client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ownership {
    /// The token is the caller's to use: the public client's, or the authenticated caller's.
    Owner,
    /// The token is a confidential client's and the caller did not authenticate (answered
    /// `invalid_client`, 401, RFC 6749 §5.2).
    Unauthenticated,
    /// The caller authenticated as another client.
    OtherClient,
}

impl Ownership {
    /// The relation of a caller authenticated as `caller` (`None`: no client authentication)
    /// to a token issued to `issued_to`, where `public_client` is the id user sign-ins without
    /// a client get.
    pub fn of(issued_to: &str, public_client: &str, caller: Option<&str>) -> Self {
        match caller {
            _ if issued_to == public_client => Self::Owner,
            Some(caller) if caller == issued_to => Self::Owner,
            Some(_) => Self::OtherClient,
            None => Self::Unauthenticated,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_tokens_belong_to_whoever_holds_them() {
        for caller in [None, Some("svc"), Some("public")] {
            assert_eq!(Ownership::of("public", "public", caller), Ownership::Owner);
        }
    }

    #[test]
    fn a_confidential_clients_token_needs_that_client() {
        assert_eq!(
            Ownership::of("svc", "public", Some("svc")),
            Ownership::Owner
        );
        assert_eq!(
            Ownership::of("svc", "public", None),
            Ownership::Unauthenticated
        );
        assert_eq!(
            Ownership::of("svc", "public", Some("other")),
            Ownership::OtherClient
        );
        // The public client's id is no credential for a confidential client's token.
        assert_eq!(
            Ownership::of("svc", "public", Some("public")),
            Ownership::OtherClient
        );
    }
}
