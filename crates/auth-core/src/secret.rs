//! The HS256 signing secret and the jsonwebtoken keys derived from it.

use std::fmt;

use jsonwebtoken::{DecodingKey, EncodingKey};

use crate::error::KeyError;

/// RFC 7518 §3.2: an HS256 key must be at least as long as the hash output (256 bits).
const MIN_SECRET_BYTES: usize = 32;

/// The HS256 signing secret. Its `Debug` never prints the value.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// Accepts a secret of at least 32 bytes.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Result<Self, KeyError> {
        let bytes = bytes.into();
        if bytes.len() < MIN_SECRET_BYTES {
            return Err(KeyError::TooShort {
                actual: bytes.len(),
                required: MIN_SECRET_BYTES,
            });
        }
        Ok(Self(bytes))
    }

    pub(crate) fn encoding_key(&self) -> EncodingKey {
        EncodingKey::from_secret(&self.0)
    }

    pub(crate) fn decoding_key(&self) -> DecodingKey {
        DecodingKey::from_secret(&self.0)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_secret_is_refused() {
        let err = Secret::new(vec![b'x'; 31]).unwrap_err();
        assert!(matches!(
            err,
            KeyError::TooShort {
                actual: 31,
                required: 32
            }
        ));
    }

    #[test]
    fn debug_does_not_print_the_secret() {
        let secret = Secret::new("a-very-long-secret-value-for-tests-0123456789").unwrap();
        assert!(!format!("{secret:?}").contains("very-long"));
    }
}
