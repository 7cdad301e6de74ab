//! Secrets Manager rotation function of the signing key set (the secret that
//! `SIGNING_KEYS_SECRET_ID` names): a JWK Set whose keys are `active` (signs; exactly one),
//! `pending` (published and verifying, not signing yet) or `retired` (verifying until every token
//! it signed has expired).
//!
//! Secrets Manager runs the four steps of a rotation with the id of a new version, which it has
//! labelled AWSPENDING (`ClientRequestToken`):
//!
//! - **createSecret** reads the AWSCURRENT key set and writes the next one as the AWSPENDING
//!   version: retired keys older than `KEY_RETIRE_AFTER_SECONDS` are dropped, the pending key
//!   becomes active, the active key retires (`retired_at`), and a new pending key of
//!   `KEY_ALGORITHM` is added (`auth_core::rotate_key_set`);
//! - **setSecret** has nothing to do: the key set lives in this secret only;
//! - **testSecret** signs a token with the pending set and verifies it with the pending set and
//!   with the current one, and verifies a token of the current signing key with the pending set;
//! - **finishSecret** moves AWSCURRENT to the new version (and AWSPREVIOUS to the old one).
//!
//! createSecret and finishSecret also publish the new set's public keys to the SSM parameter
//! `SIGNING_KEYS_PUBLIC_PARAM` names (publish.rs), which the authorizer verifies with. Every AWS
//! call goes through auth-aws: `KeySetSecret` (the secret's versions, values and labels) and
//! `PublicKeysParameter`; the steps here decide which call, when and in what order.
//!
//! **Why the new key waits a rotation before it signs.** Rotation may only write the AWSPENDING
//! version; running functions keep the AWSCURRENT set they read for up to `SSM_CACHE_TTL`
//! (300 s), and clients cache the JWKS. A key made active in the same rotation that creates it
//! would sign tokens that those verifiers refuse until they re-read the set. So each rotation
//! promotes the key that the *previous* rotation added as pending: by then every verifier has
//! known it for a whole rotation period. The first rotation of an empty secret (`{"keys":[]}`,
//! or any value that holds no key set) makes its key active at once: nothing can have been signed
//! before it. So the second rotation adds the first pending key, and the third is the first to
//! change the signing key.
//!
//! Every step is idempotent, as Secrets Manager retries failed steps: createSecret does nothing
//! when the AWSPENDING version already has a value, testSecret only reads, and every step returns
//! at once when the version is already AWSCURRENT. Key material is never logged: only `kid`s.

mod config;
mod error;
mod event;
mod pending_set;
mod publish;
mod steps;
mod versions;

pub use config::{
    MIN_RETIRE_AFTER_SECS, PUBLIC_KEYS_VARIABLE, public_keys_param, settings_from_env,
    settings_from_lookup,
};
pub use error::{ConfigError, RotationError};
pub use event::{Outcome, RotationEvent, Step, StepOutcome};
pub use pending_set::{check_pending, key_list};
pub use steps::handle;
pub use versions::{AWSCURRENT, AWSPENDING, VersionState, check_version, current_version};
