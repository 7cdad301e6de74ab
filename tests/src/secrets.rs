//! The one check that nothing secret reached a function's output: passwords, client secrets,
//! signing keys' private members, tokens (whole, or their signature alone) and argon2 hashes.

use serde_json::Value;

/// Where every argon2id hash (PHC string) starts.
pub const ARGON2_PREFIX: &str = "$argon2id$";

/// The secrets a test handled, each with a label the failure names instead of the value.
#[derive(Debug, Default)]
pub struct Secrets {
    values: Vec<(String, String)>,
}

impl Secrets {
    /// No secrets yet; [`Secrets::assert_absent`] checks for argon2 hashes even then.
    pub fn new() -> Self {
        Self::default()
    }

    /// A secret as it is (a password, a client secret, an HTTP Basic value).
    pub fn add(&mut self, label: &str, value: &str) -> &mut Self {
        if !value.is_empty() {
            self.values.push((label.to_owned(), value.to_owned()));
        }
        self
    }

    /// A token: the whole of it and, for a JWT, its signature alone.
    pub fn add_token(&mut self, label: &str, token: &str) -> &mut Self {
        self.add(label, token);
        if token.matches('.').count() == 2
            && let Some(signature) = token.rsplit('.').next()
        {
            self.add(&format!("{label} (signature)"), signature);
        }
        self
    }

    /// Every private member of a JWK (`d`, and RSA's `p`, `q`, `dp`, `dq`, `qi`) or of each key
    /// of a JWK Set, and an HMAC key's `k`.
    pub fn add_private_jwk(&mut self, label: &str, jwk: &Value) -> &mut Self {
        if let Some(keys) = jwk["keys"].as_array() {
            for key in keys {
                self.add_private_jwk(label, key);
            }
            return self;
        }
        for member in ["d", "p", "q", "dp", "dq", "qi", "k"] {
            if let Some(value) = jwk[member].as_str() {
                self.add(&format!("{label} ({member})"), value);
            }
        }
        self
    }

    /// Panics, naming the secret and the line (with the secret masked), if any line of `logs`
    /// holds one of the secrets or an argon2id hash.
    pub fn assert_absent(&self, logs: &str) {
        for (number, line) in logs.lines().enumerate() {
            for (label, value) in &self.values {
                assert!(
                    !line.contains(value.as_str()),
                    "{label} leaked into the logs, line {}: {}",
                    number + 1,
                    line.replace(value.as_str(), &format!("<{label}>"))
                );
            }
            assert!(
                !line.contains(ARGON2_PREFIX),
                "an argon2id hash leaked into the logs, line {}",
                number + 1
            );
        }
    }
}
