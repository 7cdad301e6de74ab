//! Password hashing with argon2id, and the password policy for registration.

use argon2::password_hash::SaltString;
use argon2::{Argon2, PasswordHash, PasswordHasher as _, PasswordVerifier as _};

use crate::error::PasswordError;

/// NIST SP 800-63B §5.1.1.2: at least 8 characters.
const MIN_PASSWORD_CHARS: usize = 8;
/// Long enough for any passphrase, short enough that nobody hashes megabytes.
const MAX_PASSWORD_CHARS: usize = 256;

/// A well-formed argon2id hash (same parameters as new hashes) that matches no password: verifying
/// against it when the user does not exist makes "unknown user" cost what "wrong password" costs.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$ZHVtbXktc2FsdC1mb3ItdGltaW5n$AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";

/// The most common passwords of at least 8 characters (exact, case-insensitive match).
const COMMON_PASSWORDS: &[&str] = &[
    "password",
    "password1",
    "12345678",
    "123456789",
    "1234567890",
    "qwertyuiop",
    "qwerty123",
    "iloveyou",
    "sunshine",
    "princess",
    "football",
    "baseball",
    "welcome1",
    "abc12345",
    "abcd1234",
    "passw0rd",
    "p@ssw0rd",
    "letmein1",
    "trustno1",
    "11111111",
    "00000000",
    "87654321",
    "qwerty12",
    "1q2w3e4r",
    "zaq12wsx",
    "asdfghjk",
    "changeme",
];

/// Hashes and verifies passwords with argon2id (19 MiB, t=2, p=1: the OWASP recommendation).
#[derive(Clone, Default)]
pub struct PasswordHasher {
    argon: Argon2<'static>,
}

impl PasswordHasher {
    /// A hasher with the default argon2id parameters.
    pub fn new() -> Self {
        Self::default()
    }

    /// A PHC string (`$argon2id$v=19$...`) for the password, with a fresh random salt.
    pub fn hash(&self, password: &str) -> Result<String, PasswordError> {
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).map_err(|_| PasswordError::Hashing)?;
        let salt = SaltString::encode_b64(&salt).map_err(|_| PasswordError::Hashing)?;
        let hash = self
            .argon
            .hash_password(password.as_bytes(), &salt)
            .map_err(|_| PasswordError::Hashing)?;
        Ok(hash.to_string())
    }

    /// Whether `password` matches `stored`. With no stored hash (unknown user) a dummy hash is
    /// verified instead, so both failures take the same time; the answer is then always false.
    pub fn verify(&self, password: &str, stored: Option<&str>) -> bool {
        let (phc, known) = match stored {
            Some(phc) => (phc, true),
            None => (DUMMY_HASH, false),
        };
        let Ok(parsed) = PasswordHash::new(phc) else {
            return false;
        };
        let matches = self
            .argon
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        matches && known
    }
}

/// Refuses passwords that are too short, too long, the username, one repeated character, or among
/// the most common passwords (NIST SP 800-63B: length and a blocklist, no composition rules).
pub fn check_password_policy(username: &str, password: &str) -> Result<(), PasswordError> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(PasswordError::TooShort(MIN_PASSWORD_CHARS));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(PasswordError::TooLong(MAX_PASSWORD_CHARS));
    }
    let lower = password.to_lowercase();
    let mut distinct = password.chars();
    let first = distinct.next();
    if distinct.all(|c| Some(c) == first)
        || lower == username.to_lowercase()
        || COMMON_PASSWORDS.contains(&lower.as_str())
    {
        return Err(PasswordError::Guessable);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_then_verify_round_trips() {
        let hasher = PasswordHasher::new();
        let hash = hasher.hash("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(hasher.verify("correct horse battery", Some(&hash)));
        assert!(!hasher.verify("wrong horse battery", Some(&hash)));
    }

    #[test]
    fn unknown_user_never_verifies() {
        let hasher = PasswordHasher::new();
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
        assert!(!hasher.verify("anything", None));
    }

    #[test]
    fn corrupt_stored_hash_does_not_verify() {
        assert!(!PasswordHasher::new().verify("anything", Some("not-a-hash")));
    }

    #[test]
    fn weak_passwords_are_refused() {
        assert_eq!(
            check_password_policy("alice", "short"),
            Err(PasswordError::TooShort(8))
        );
        assert_eq!(
            check_password_policy("alice", "Password"),
            Err(PasswordError::Guessable)
        );
        assert_eq!(
            check_password_policy("alice", "aaaaaaaaaa"),
            Err(PasswordError::Guessable)
        );
        assert_eq!(
            check_password_policy("alice12345", "ALICE12345"),
            Err(PasswordError::Guessable)
        );
        assert!(matches!(
            check_password_policy("alice", &"x1".repeat(200)),
            Err(PasswordError::TooLong(_))
        ));
        assert!(check_password_policy("alice", "correct horse battery").is_ok());
    }
}
