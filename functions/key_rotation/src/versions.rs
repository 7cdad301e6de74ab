//! The checks every step starts with, on the secret's versions and their staging labels
//! (DescribeSecret's `VersionIdsToStages`).

use std::collections::HashMap;

pub use auth_aws::{AWSCURRENT, AWSPENDING};

use crate::error::RotationError;

/// What the step should do with the version the event names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionState {
    /// The version is already AWSCURRENT: this rotation is over (a retried or late step).
    AlreadyCurrent,
    /// The version is AWSPENDING: run the step.
    Pending,
}

/// The checks of Secrets Manager's rotation template: rotation is enabled, the token is a
/// version of the secret, and that version is AWSCURRENT (nothing left to do) or AWSPENDING.
pub fn check_version(
    rotation_enabled: bool,
    versions: &HashMap<String, Vec<String>>,
    token: &str,
) -> Result<VersionState, RotationError> {
    if !rotation_enabled {
        return Err(RotationError::RotationDisabled);
    }
    let stages = versions
        .get(token)
        .ok_or_else(|| RotationError::UnknownVersion(token.to_owned()))?;
    if stages.iter().any(|stage| stage == AWSCURRENT) {
        Ok(VersionState::AlreadyCurrent)
    } else if stages.iter().any(|stage| stage == AWSPENDING) {
        Ok(VersionState::Pending)
    } else {
        Err(RotationError::NotPending(token.to_owned()))
    }
}

/// The id of the version labelled AWSCURRENT.
pub fn current_version(versions: &HashMap<String, Vec<String>>) -> Option<&str> {
    versions
        .iter()
        .find(|(_, stages)| stages.iter().any(|stage| stage == AWSCURRENT))
        .map(|(id, _)| id.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn versions(pairs: &[(&str, &[&str])]) -> HashMap<String, Vec<String>> {
        pairs
            .iter()
            .map(|(id, stages)| {
                (
                    (*id).to_owned(),
                    stages.iter().map(|s| (*s).to_owned()).collect(),
                )
            })
            .collect()
    }

    #[test]
    fn a_pending_version_is_rotated() {
        let v = versions(&[("v1", &["AWSCURRENT"]), ("v2", &["AWSPENDING"])]);
        assert_eq!(
            check_version(true, &v, "v2").unwrap(),
            VersionState::Pending
        );
        assert_eq!(current_version(&v), Some("v1"));
    }

    #[test]
    fn a_current_version_needs_nothing() {
        let v = versions(&[
            ("v1", &["AWSPREVIOUS"]),
            ("v2", &["AWSCURRENT", "AWSPENDING"]),
        ]);
        assert_eq!(
            check_version(true, &v, "v2").unwrap(),
            VersionState::AlreadyCurrent
        );
    }

    #[test]
    fn rotation_must_be_enabled() {
        let v = versions(&[("v2", &["AWSPENDING"])]);
        assert!(matches!(
            check_version(false, &v, "v2"),
            Err(RotationError::RotationDisabled)
        ));
    }

    #[test]
    fn an_unknown_or_unlabelled_version_is_refused() {
        let v = versions(&[("v1", &["AWSCURRENT"]), ("v0", &["AWSPREVIOUS"])]);
        assert!(matches!(
            check_version(true, &v, "v9"),
            Err(RotationError::UnknownVersion(_))
        ));
        assert!(matches!(
            check_version(true, &v, "v0"),
            Err(RotationError::NotPending(_))
        ));
    }
}
