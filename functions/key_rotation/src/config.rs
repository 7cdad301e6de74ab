//! The rotation settings, from the environment, read once per cold start.

use auth_core::{DEFAULT_RETIRE_AFTER_SECS, KeyAlgorithm, RotationSettings};

use crate::error::ConfigError;

/// The shortest `KEY_RETIRE_AFTER_SECONDS` accepted: an hour. Anything that short is only for
/// trying rotation out; deployed, it must cover the longest token lifetime (31 days by default).
pub const MIN_RETIRE_AFTER_SECS: u64 = 3600;

/// `KEY_ALGORITHM` (ES256, EdDSA or RS256; default ES256) and `KEY_RETIRE_AFTER_SECONDS`
/// (default 2678400, at least [`MIN_RETIRE_AFTER_SECS`]); an empty variable counts as unset.
pub fn settings_from_lookup(
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<RotationSettings, ConfigError> {
    let var = |name: &str| {
        lookup(name)
            .map(|value| value.trim().to_owned())
            .filter(|value| !value.is_empty())
    };
    let algorithm = match var("KEY_ALGORITHM") {
        None => KeyAlgorithm::ES256,
        Some(name) => match KeyAlgorithm::parse(&name) {
            Some(KeyAlgorithm::HS256) => return Err(ConfigError::SharedSecret),
            Some(alg) => alg,
            None => return Err(ConfigError::UnknownAlgorithm(name)),
        },
    };
    let retire_after_secs = match var("KEY_RETIRE_AFTER_SECONDS") {
        None => DEFAULT_RETIRE_AFTER_SECS,
        Some(text) => text
            .parse::<u64>()
            .map_err(|_| ConfigError::BadRetireAfter(text))?,
    };
    if retire_after_secs < MIN_RETIRE_AFTER_SECS {
        return Err(ConfigError::RetireAfterTooShort {
            actual: retire_after_secs,
            minimum: MIN_RETIRE_AFTER_SECS,
        });
    }
    Ok(RotationSettings {
        algorithm,
        retire_after_secs,
    })
}

/// The variable naming the SSM parameter the public keys are published to.
pub const PUBLIC_KEYS_VARIABLE: &str = "SIGNING_KEYS_PUBLIC_PARAM";

/// `SIGNING_KEYS_PUBLIC_PARAM`, the SSM String parameter createSecret and finishSecret publish
/// the public keys to; `None` (unset or empty): nothing is published.
pub fn public_keys_param(lookup: impl Fn(&str) -> Option<String>) -> Option<String> {
    lookup(PUBLIC_KEYS_VARIABLE)
        .map(|value| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

/// [`settings_from_lookup`] on the process environment.
pub fn settings_from_env() -> Result<RotationSettings, ConfigError> {
    settings_from_lookup(|name| std::env::var(name).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Result<RotationSettings, ConfigError> {
        settings_from_lookup(|name| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        })
    }

    #[test]
    fn defaults_are_es256_and_31_days() {
        assert_eq!(settings(&[]).unwrap(), RotationSettings::default());
        assert_eq!(
            settings(&[("KEY_ALGORITHM", ""), ("KEY_RETIRE_AFTER_SECONDS", " ")]).unwrap(),
            RotationSettings::default()
        );
        assert_eq!(RotationSettings::default().retire_after_secs, 2_678_400);
    }

    #[test]
    fn publishable_algorithms_are_accepted() {
        for (name, alg) in [
            ("ES256", KeyAlgorithm::ES256),
            ("EdDSA", KeyAlgorithm::EdDSA),
            ("RS256", KeyAlgorithm::RS256),
        ] {
            assert_eq!(settings(&[("KEY_ALGORITHM", name)]).unwrap().algorithm, alg);
        }
    }

    #[test]
    fn hs256_and_unknown_algorithms_are_refused() {
        assert_eq!(
            settings(&[("KEY_ALGORITHM", "HS256")]),
            Err(ConfigError::SharedSecret)
        );
        assert_eq!(
            settings(&[("KEY_ALGORITHM", "es256")]),
            Err(ConfigError::UnknownAlgorithm("es256".into()))
        );
    }

    #[test]
    fn retire_after_must_be_a_number_of_at_least_an_hour() {
        assert_eq!(
            settings(&[("KEY_RETIRE_AFTER_SECONDS", "3600")])
                .unwrap()
                .retire_after_secs,
            3600
        );
        assert_eq!(
            settings(&[("KEY_RETIRE_AFTER_SECONDS", "3599")]),
            Err(ConfigError::RetireAfterTooShort {
                actual: 3599,
                minimum: 3600
            })
        );
        assert_eq!(
            settings(&[("KEY_RETIRE_AFTER_SECONDS", "31d")]),
            Err(ConfigError::BadRetireAfter("31d".into()))
        );
    }
}
