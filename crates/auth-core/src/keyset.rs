//! Signing key sets: a JWK Set (RFC 7517) of private or public keys, one of them active.
//!
//! The stored form is a standard JWK Set with private members (`d`, RSA's CRT values, `k`) plus
//! two members of ours on each key: `status` (`active`, `pending` or `retired`) and, for retired
//! keys, `retired_at` (epoch seconds). Every key needs a `kid` and an `alg`; the algorithm used to
//! verify a token is the one of the key its `kid` names, never the token's own `alg` (RFC 8725
//! §3.1). Pending and retired keys verify and are published, only the active key signs.
//!
//! Supported: ES256 (P-256), EdDSA (Ed25519), RS256 (2048 bits and more) and HS256 (`oct`, at
//! least 32 bytes, never published).

use std::fmt;

use aws_lc_rs::encoding::{AsBigEndian as _, AsDer as _};
use aws_lc_rs::rand::{SecureRandom as _, SystemRandom};
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _,
};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use pkcs1::der::{Decode as _, Encode as _};
use serde_json::{Map, Value, json};

use crate::error::KeyError;
use crate::secret::Secret;

/// At most this many keys in a set (rotation needs three: retired, active, pending).
pub const MAX_KEYS: usize = 16;
/// RSA moduli shorter than this are refused (RFC 7518 §3.3 says 2048 at least).
const MIN_RSA_BITS: usize = 2048;
const MAX_KID_CHARS: usize = 128;

/// The algorithms a key may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyAlgorithm {
    /// HMAC SHA-256 with a shared secret (`oct`).
    HS256,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
    /// ECDSA P-256 with SHA-256.
    ES256,
    /// Ed25519.
    EdDSA,
}

impl KeyAlgorithm {
    /// Parses a JOSE `alg` name.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "HS256" => Some(Self::HS256),
            "RS256" => Some(Self::RS256),
            "ES256" => Some(Self::ES256),
            "EdDSA" => Some(Self::EdDSA),
            _ => None,
        }
    }

    /// The JOSE `alg` name.
    pub fn name(self) -> &'static str {
        match self {
            Self::HS256 => "HS256",
            Self::RS256 => "RS256",
            Self::ES256 => "ES256",
            Self::EdDSA => "EdDSA",
        }
    }

    /// The jsonwebtoken algorithm.
    pub fn jwt(self) -> Algorithm {
        match self {
            Self::HS256 => Algorithm::HS256,
            Self::RS256 => Algorithm::RS256,
            Self::ES256 => Algorithm::ES256,
            Self::EdDSA => Algorithm::EdDSA,
        }
    }

    /// Whether the key is asymmetric, so its public half can be published.
    pub fn is_public_key(self) -> bool {
        self != Self::HS256
    }
}

/// Where a key is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyStatus {
    /// Signs new tokens; exactly one per set.
    Active,
    /// Published and verifying, not yet signing (becomes active at the next rotation).
    Pending,
    /// No longer signs; verifies until the tokens it signed have expired.
    Retired,
}

impl KeyStatus {
    /// Parses the `status` member.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "active" => Some(Self::Active),
            "pending" => Some(Self::Pending),
            "retired" => Some(Self::Retired),
            _ => None,
        }
    }

    /// The `status` member.
    pub fn name(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Pending => "pending",
            Self::Retired => "retired",
        }
    }
}

/// One key of a set, ready to verify and (when it has private material) to sign.
pub struct Key {
    kid: Option<String>,
    alg: KeyAlgorithm,
    status: KeyStatus,
    decoding: DecodingKey,
    encoding: Option<EncodingKey>,
    /// The public JWK (asymmetric keys only), as published.
    public_jwk: Option<Map<String, Value>>,
}

impl Key {
    /// The key id; `None` only for the legacy `JWT_SECRET` key.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The key's algorithm: the only one a token verified with it may use.
    pub fn algorithm(&self) -> KeyAlgorithm {
        self.alg
    }

    /// Active, pending or retired.
    pub fn status(&self) -> KeyStatus {
        self.status
    }

    /// The key that checks signatures.
    pub fn decoding_key(&self) -> &DecodingKey {
        &self.decoding
    }

    /// The key that signs, when the set holds the private half.
    pub fn encoding_key(&self) -> Option<&EncodingKey> {
        self.encoding.as_ref()
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("status", &self.status)
            .field("private", &self.encoding.is_some())
            .finish()
    }
}

/// A parsed key set. Its `Debug` prints kids and algorithms, never key material.
#[derive(Debug)]
pub struct KeySet {
    keys: Vec<Key>,
}

impl KeySet {
    /// Parses a JWK Set document: `{"keys": [...]}` with a `kid` and an `alg` on every key.
    ///
    /// When no key says `status`, the first key is active and the others verify only.
    pub fn from_json(text: &str) -> Result<Self, KeyError> {
        let doc: Value = serde_json::from_str(text).map_err(|_| KeyError::NotAKeySet)?;
        let list = doc
            .get("keys")
            .and_then(Value::as_array)
            .ok_or(KeyError::NotAKeySet)?;
        if list.is_empty() {
            return Err(KeyError::Empty);
        }
        if list.len() > MAX_KEYS {
            return Err(KeyError::TooManyKeys(list.len()));
        }
        let any_status = list.iter().any(|k| k.get("status").is_some());
        let mut keys = Vec::with_capacity(list.len());
        for (index, value) in list.iter().enumerate() {
            let jwk = value.as_object().ok_or(KeyError::NotAKeySet)?;
            let default_status = if !any_status && index == 0 {
                KeyStatus::Active
            } else {
                KeyStatus::Retired
            };
            let key = parse_key(jwk, default_status)?;
            if keys.iter().any(|k: &Key| k.kid == key.kid) {
                return Err(KeyError::DuplicateKid(key.kid.unwrap_or_default()));
            }
            keys.push(key);
        }
        let active = keys
            .iter()
            .filter(|k| k.status == KeyStatus::Active)
            .count();
        if active != 1 {
            return Err(KeyError::ActiveCount(active));
        }
        Ok(Self { keys })
    }

    /// The legacy single HS256 key from `JWT_SECRET`: no `kid`, active.
    pub fn from_secret(secret: &Secret) -> Self {
        Self {
            keys: vec![Key {
                kid: None,
                alg: KeyAlgorithm::HS256,
                status: KeyStatus::Active,
                decoding: secret.decoding_key(),
                encoding: Some(secret.encoding_key()),
                public_jwk: None,
            }],
        }
    }

    /// Adds the legacy `JWT_SECRET` key as a verify-only key (migration from HS256: old tokens,
    /// which carry no `kid`, keep verifying while new ones are signed by the set's active key).
    pub fn with_legacy_secret(mut self, secret: &Secret) -> Self {
        self.keys.retain(|k| k.kid.is_some());
        self.keys.push(Key {
            kid: None,
            alg: KeyAlgorithm::HS256,
            status: KeyStatus::Retired,
            decoding: secret.decoding_key(),
            encoding: None,
            public_jwk: None,
        });
        self
    }

    /// The key that signs.
    pub fn active(&self) -> Option<&Key> {
        self.keys.iter().find(|k| k.status == KeyStatus::Active)
    }

    /// The key a token's `kid` names (`None`: the legacy key without a kid).
    pub fn find(&self, kid: Option<&str>) -> Option<&Key> {
        self.keys.iter().find(|k| k.kid.as_deref() == kid)
    }

    /// Every key, in set order.
    pub fn keys(&self) -> &[Key] {
        &self.keys
    }

    /// The public JWK Set to publish at `/.well-known/jwks.json`: asymmetric keys only, public
    /// members only, whatever their status (pending keys are published before they sign).
    pub fn public_jwks(&self) -> Value {
        let keys: Vec<Value> = self
            .keys
            .iter()
            .filter_map(|k| k.public_jwk.clone().map(Value::Object))
            .collect();
        json!({ "keys": keys })
    }
}

fn member<'a>(jwk: &'a Map<String, Value>, name: &'static str) -> Result<&'a str, KeyError> {
    jwk.get(name)
        .and_then(Value::as_str)
        .ok_or(KeyError::MissingMember(name))
}

fn bytes(jwk: &Map<String, Value>, name: &'static str) -> Result<Vec<u8>, KeyError> {
    URL_SAFE_NO_PAD
        .decode(member(jwk, name)?)
        .map_err(|_| KeyError::BadMember(name))
}

fn optional_bytes(
    jwk: &Map<String, Value>,
    name: &'static str,
) -> Result<Option<Vec<u8>>, KeyError> {
    match jwk.get(name) {
        None => Ok(None),
        Some(_) => bytes(jwk, name).map(Some),
    }
}

fn parse_key(jwk: &Map<String, Value>, default_status: KeyStatus) -> Result<Key, KeyError> {
    let kid = member(jwk, "kid")?;
    if kid.is_empty() || kid.chars().count() > MAX_KID_CHARS || kid.chars().any(|c| c.is_control())
    {
        return Err(KeyError::BadMember("kid"));
    }
    let alg = KeyAlgorithm::parse(member(jwk, "alg")?)
        .ok_or_else(|| KeyError::UnsupportedAlgorithm(kid.to_owned()))?;
    if let Some(usage) = jwk.get("use")
        && usage.as_str() != Some("sig")
    {
        return Err(KeyError::BadMember("use"));
    }
    let status = match jwk.get("status") {
        None => default_status,
        Some(v) => v
            .as_str()
            .and_then(KeyStatus::parse)
            .ok_or(KeyError::BadMember("status"))?,
    };
    let kty = member(jwk, "kty")?;
    let (decoding, encoding, public) = match (alg, kty) {
        (KeyAlgorithm::HS256, "oct") => {
            let secret = Secret::new(bytes(jwk, "k")?)?;
            (secret.decoding_key(), Some(secret.encoding_key()), None)
        }
        (KeyAlgorithm::ES256, "EC") => ec_key(jwk)?,
        (KeyAlgorithm::EdDSA, "OKP") => ed_key(jwk)?,
        (KeyAlgorithm::RS256, "RSA") => rsa_key(jwk)?,
        _ => return Err(KeyError::BadMember("kty")),
    };
    let public_jwk = public.map(|mut members| {
        members.insert("kid".into(), kid.into());
        members.insert("alg".into(), alg.name().into());
        members.insert("use".into(), "sig".into());
        members
    });
    Ok(Key {
        kid: Some(kid.to_owned()),
        alg,
        status,
        decoding,
        encoding,
        public_jwk,
    })
}

type Parsed = (DecodingKey, Option<EncodingKey>, Option<Map<String, Value>>);

fn public_members(pairs: &[(&str, &str)]) -> Map<String, Value> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), Value::String((*v).to_owned())))
        .collect()
}

fn ec_key(jwk: &Map<String, Value>) -> Result<Parsed, KeyError> {
    if member(jwk, "crv")? != "P-256" {
        return Err(KeyError::BadMember("crv"));
    }
    let x = bytes(jwk, "x")?;
    let y = bytes(jwk, "y")?;
    if x.len() != 32 || y.len() != 32 {
        return Err(KeyError::BadMember("x"));
    }
    let mut point = Vec::with_capacity(65);
    point.push(0x04);
    point.extend_from_slice(&x);
    point.extend_from_slice(&y);
    // Checks the point is on the curve (jsonwebtoken would only find out at the first verify).
    aws_lc_rs::signature::ParsedPublicKey::new(
        &aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED,
        &point,
    )
    .map_err(|_| KeyError::BadMember("x"))?;
    let encoding = match optional_bytes(jwk, "d")? {
        None => None,
        Some(d) => {
            let pair = EcdsaKeyPair::from_private_key_and_public_key(
                &ECDSA_P256_SHA256_FIXED_SIGNING,
                &d,
                &point,
            )
            .map_err(|_| KeyError::BadMember("d"))?;
            let der = pair.to_pkcs8v1().map_err(|_| KeyError::BadMember("d"))?;
            Some(EncodingKey::from_ec_der(der.as_ref()))
        }
    };
    let (xs, ys) = (member(jwk, "x")?, member(jwk, "y")?);
    let decoding = DecodingKey::from_ec_components(xs, ys).map_err(|_| KeyError::BadMember("x"))?;
    let public = public_members(&[("kty", "EC"), ("crv", "P-256"), ("x", xs), ("y", ys)]);
    Ok((decoding, encoding, Some(public)))
}

fn ed_key(jwk: &Map<String, Value>) -> Result<Parsed, KeyError> {
    if member(jwk, "crv")? != "Ed25519" {
        return Err(KeyError::BadMember("crv"));
    }
    let x = bytes(jwk, "x")?;
    if x.len() != 32 {
        return Err(KeyError::BadMember("x"));
    }
    let encoding = match optional_bytes(jwk, "d")? {
        None => None,
        Some(d) => {
            let pair = Ed25519KeyPair::from_seed_and_public_key(&d, &x)
                .map_err(|_| KeyError::BadMember("d"))?;
            let der = pair.to_pkcs8().map_err(|_| KeyError::BadMember("d"))?;
            Some(EncodingKey::from_ed_der(der.as_ref()))
        }
    };
    let xs = member(jwk, "x")?;
    let decoding = DecodingKey::from_ed_components(xs).map_err(|_| KeyError::BadMember("x"))?;
    let public = public_members(&[("kty", "OKP"), ("crv", "Ed25519"), ("x", xs)]);
    Ok((decoding, encoding, Some(public)))
}

fn rsa_key(jwk: &Map<String, Value>) -> Result<Parsed, KeyError> {
    let n = bytes(jwk, "n")?;
    let e = bytes(jwk, "e")?;
    let modulus = n.strip_prefix(&[0u8][..]).unwrap_or(&n);
    if modulus.len() * 8 < MIN_RSA_BITS {
        return Err(KeyError::RsaTooShort(modulus.len() * 8));
    }
    let encoding = match optional_bytes(jwk, "d")? {
        None => None,
        Some(d) => Some(rsa_private(jwk, &n, &e, &d)?),
    };
    let (ns, es) = (member(jwk, "n")?, member(jwk, "e")?);
    let decoding =
        DecodingKey::from_rsa_components(ns, es).map_err(|_| KeyError::BadMember("n"))?;
    let public = public_members(&[("kty", "RSA"), ("n", ns), ("e", es)]);
    Ok((decoding, encoding, Some(public)))
}

fn uint<'a>(b: &'a [u8], name: &'static str) -> Result<pkcs1::UintRef<'a>, KeyError> {
    pkcs1::UintRef::new(b).map_err(|_| KeyError::BadMember(name))
}

/// A private RSA JWK as PKCS#1 DER, checked by aws-lc (which validates the CRT values).
fn rsa_private(
    jwk: &Map<String, Value>,
    n: &[u8],
    e: &[u8],
    d: &[u8],
) -> Result<EncodingKey, KeyError> {
    let p = bytes(jwk, "p")?;
    let q = bytes(jwk, "q")?;
    let dp = bytes(jwk, "dp")?;
    let dq = bytes(jwk, "dq")?;
    let qi = bytes(jwk, "qi")?;
    let key = pkcs1::RsaPrivateKey {
        modulus: uint(n, "n")?,
        public_exponent: uint(e, "e")?,
        private_exponent: uint(d, "d")?,
        prime1: uint(&p, "p")?,
        prime2: uint(&q, "q")?,
        exponent1: uint(&dp, "dp")?,
        exponent2: uint(&dq, "dq")?,
        coefficient: uint(&qi, "qi")?,
        other_prime_infos: None,
    };
    let der = key.to_der().map_err(|_| KeyError::BadMember("d"))?;
    aws_lc_rs::rsa::KeyPair::from_der(&der).map_err(|_| KeyError::BadMember("d"))?;
    Ok(EncodingKey::from_rsa_der(&der))
}

/// Generates a new private JWK with `status` set, its `kid` being the RFC 7638 thumbprint
/// (asymmetric keys) or 16 random bytes (HS256).
pub fn generate_jwk(alg: KeyAlgorithm, status: KeyStatus) -> Result<Value, KeyError> {
    let fail = |_| KeyError::Generate;
    let mut jwk = match alg {
        KeyAlgorithm::ES256 => {
            let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).map_err(fail)?;
            let d = pair.private_key().as_be_bytes().map_err(fail)?;
            let point = pair.public_key().as_ref();
            let (x, y) = (point.get(1..33), point.get(33..65));
            let (Some(x), Some(y)) = (x, y) else {
                return Err(KeyError::Generate);
            };
            json!({"kty": "EC", "crv": "P-256", "x": b64(x), "y": b64(y),
                   "d": b64(d.as_ref())})
        }
        KeyAlgorithm::EdDSA => {
            let pair = Ed25519KeyPair::generate().map_err(fail)?;
            let seed = pair.seed().map_err(fail)?;
            let seed_der = seed.as_be_bytes().map_err(fail)?;
            json!({"kty": "OKP", "crv": "Ed25519", "x": b64(pair.public_key().as_ref()),
                   "d": b64(seed_der.as_ref())})
        }
        KeyAlgorithm::RS256 => {
            let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
                .map_err(fail)?;
            let pkcs8_der = pair.as_der().map_err(fail)?;
            let info = pkcs8::PrivateKeyInfo::from_der(pkcs8_der.as_ref())
                .map_err(|_| KeyError::Generate)?;
            let key =
                pkcs1::RsaPrivateKey::from_der(info.private_key).map_err(|_| KeyError::Generate)?;
            let int = |u: pkcs1::UintRef<'_>| b64(u.as_bytes());
            json!({"kty": "RSA", "n": int(key.modulus), "e": int(key.public_exponent),
                   "d": int(key.private_exponent), "p": int(key.prime1), "q": int(key.prime2),
                   "dp": int(key.exponent1), "dq": int(key.exponent2), "qi": int(key.coefficient)})
        }
        KeyAlgorithm::HS256 => {
            let mut k = [0u8; 64];
            SystemRandom::new().fill(&mut k).map_err(fail)?;
            json!({"kty": "oct", "k": b64(&k)})
        }
    };
    let kid = match alg {
        KeyAlgorithm::HS256 => {
            let mut id = [0u8; 16];
            SystemRandom::new().fill(&mut id).map_err(fail)?;
            b64(&id)
        }
        _ => thumbprint(&jwk)?,
    };
    if let Some(members) = jwk.as_object_mut() {
        members.insert("kid".into(), kid.into());
        members.insert("alg".into(), alg.name().into());
        members.insert("use".into(), "sig".into());
        members.insert("status".into(), status.name().into());
    }
    Ok(jwk)
}

/// RFC 7638 JWK thumbprint (SHA-256, base64url) of an asymmetric JWK's required public members.
pub fn thumbprint(jwk: &Value) -> Result<String, KeyError> {
    let get = |name: &'static str| {
        jwk.get(name)
            .and_then(Value::as_str)
            .ok_or(KeyError::MissingMember(name))
    };
    // Members in lexicographic order, no whitespace (RFC 7638 §3.2).
    let canonical = match get("kty")? {
        "EC" => format!(
            r#"{{"crv":"{}","kty":"EC","x":"{}","y":"{}"}}"#,
            get("crv")?,
            get("x")?,
            get("y")?
        ),
        "OKP" => format!(
            r#"{{"crv":"{}","kty":"OKP","x":"{}"}}"#,
            get("crv")?,
            get("x")?
        ),
        "RSA" => format!(r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#, get("e")?, get("n")?),
        _ => return Err(KeyError::BadMember("kty")),
    };
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, canonical.as_bytes());
    Ok(b64(digest.as_ref()))
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set_of(keys: &[Value]) -> String {
        json!({ "keys": keys }).to_string()
    }

    #[test]
    fn generated_keys_parse_sign_and_verify() {
        for alg in [
            KeyAlgorithm::ES256,
            KeyAlgorithm::EdDSA,
            KeyAlgorithm::RS256,
            KeyAlgorithm::HS256,
        ] {
            let jwk = generate_jwk(alg, KeyStatus::Active).unwrap();
            let set = KeySet::from_json(&set_of(&[jwk])).unwrap();
            let key = set.active().unwrap();
            assert_eq!(key.algorithm(), alg);
            let header = jsonwebtoken::Header::new(alg.jwt());
            let claims = json!({"sub": "a", "exp": 4_000_000_000u64});
            let token =
                jsonwebtoken::encode(&header, &claims, key.encoding_key().unwrap()).unwrap();
            let mut validation = jsonwebtoken::Validation::new(alg.jwt());
            validation.validate_aud = false;
            jsonwebtoken::decode::<Value>(&token, key.decoding_key(), &validation).unwrap();
        }
    }

    #[test]
    fn public_jwks_has_no_private_members_and_no_secrets() {
        let keys: Vec<Value> = [
            KeyAlgorithm::ES256,
            KeyAlgorithm::EdDSA,
            KeyAlgorithm::RS256,
            KeyAlgorithm::HS256,
        ]
        .iter()
        .enumerate()
        .map(|(i, alg)| {
            let status = if i == 0 {
                KeyStatus::Active
            } else {
                KeyStatus::Retired
            };
            generate_jwk(*alg, status).unwrap()
        })
        .collect();
        let set = KeySet::from_json(&set_of(&keys)).unwrap();
        let published = set.public_jwks();
        let list = published["keys"].as_array().unwrap();
        assert_eq!(list.len(), 3, "the HS256 key is never published");
        for key in list {
            for private in ["d", "p", "q", "dp", "dq", "qi", "k", "status"] {
                assert!(key.get(private).is_none(), "{private} published in {key}");
            }
            assert_eq!(key["use"], "sig");
            assert!(key["kid"].as_str().is_some());
        }
        // A published set parses back as a verify-only set.
        let public = KeySet::from_json(&published.to_string()).unwrap();
        assert!(public.keys().iter().all(|k| k.encoding_key().is_none()));
    }

    #[test]
    fn kid_is_the_rfc7638_thumbprint() {
        // RFC 7638 §3.1 example.
        let jwk = json!({"kty": "RSA", "e": "AQAB", "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"});
        assert_eq!(
            thumbprint(&jwk).unwrap(),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    #[test]
    fn one_active_key_is_required() {
        let a = generate_jwk(KeyAlgorithm::ES256, KeyStatus::Active).unwrap();
        let b = generate_jwk(KeyAlgorithm::ES256, KeyStatus::Active).unwrap();
        assert!(matches!(
            KeySet::from_json(&set_of(&[a, b])),
            Err(KeyError::ActiveCount(2))
        ));
        let p = generate_jwk(KeyAlgorithm::ES256, KeyStatus::Pending).unwrap();
        assert!(matches!(
            KeySet::from_json(&set_of(&[p])),
            Err(KeyError::ActiveCount(0))
        ));
    }

    #[test]
    fn without_status_the_first_key_is_active() {
        let mut a = generate_jwk(KeyAlgorithm::ES256, KeyStatus::Active).unwrap();
        let mut b = generate_jwk(KeyAlgorithm::EdDSA, KeyStatus::Active).unwrap();
        a.as_object_mut().unwrap().remove("status");
        b.as_object_mut().unwrap().remove("status");
        let set = KeySet::from_json(&set_of(&[a.clone(), b])).unwrap();
        assert_eq!(set.active().unwrap().kid(), a["kid"].as_str());
        assert_eq!(set.keys()[1].status(), KeyStatus::Retired);
    }

    #[test]
    fn bad_keys_are_refused() {
        let good = generate_jwk(KeyAlgorithm::ES256, KeyStatus::Active).unwrap();
        let patched = |name: &str, value: Value| {
            let mut k = good.clone();
            k[name] = value;
            KeySet::from_json(&set_of(&[k]))
        };
        assert!(patched("alg", json!("none")).is_err());
        assert!(patched("alg", json!("HS256")).is_err(), "alg must fit kty");
        assert!(patched("alg", json!("ES384")).is_err());
        assert!(patched("kid", json!("")).is_err());
        assert!(patched("use", json!("enc")).is_err());
        assert!(patched("crv", json!("P-384")).is_err());
        assert!(patched("status", json!("on")).is_err());
        // A point not on the curve.
        assert!(patched("y", json!(b64(&[7u8; 32]))).is_err());
        // A private key that does not match the public one.
        let other = generate_jwk(KeyAlgorithm::ES256, KeyStatus::Active).unwrap();
        assert!(patched("d", other["d"].clone()).is_err());
        let mut no_kid = good.clone();
        no_kid.as_object_mut().unwrap().remove("kid");
        assert!(KeySet::from_json(&set_of(&[no_kid])).is_err());
        assert!(matches!(
            KeySet::from_json(&set_of(&[good.clone(), good.clone()])),
            Err(KeyError::DuplicateKid(_))
        ));
        assert!(KeySet::from_json("{\"keys\":[]}").is_err());
        assert!(KeySet::from_json("[]").is_err());
        assert!(KeySet::from_json("not json").is_err());
        let short = json!({"kty": "oct", "alg": "HS256", "kid": "h", "k": b64(&[1u8; 31])});
        assert!(KeySet::from_json(&set_of(&[short])).is_err());
    }

    #[test]
    fn short_rsa_keys_are_refused() {
        let jwk = json!({"kty": "RSA", "alg": "RS256", "kid": "r", "e": "AQAB",
                         "n": b64(&[0xc5u8; 128])});
        assert!(matches!(
            KeySet::from_json(&set_of(&[jwk])),
            Err(KeyError::RsaTooShort(1024))
        ));
    }

    #[test]
    fn rsa_private_key_must_match() {
        let a = generate_jwk(KeyAlgorithm::RS256, KeyStatus::Active).unwrap();
        let b = generate_jwk(KeyAlgorithm::RS256, KeyStatus::Active).unwrap();
        let mut mixed = a.clone();
        mixed["d"] = b["d"].clone();
        assert!(KeySet::from_json(&set_of(&[mixed])).is_err());
    }

    #[test]
    fn debug_prints_no_key_material() {
        let jwk = generate_jwk(KeyAlgorithm::HS256, KeyStatus::Active).unwrap();
        let set = KeySet::from_json(&set_of(std::slice::from_ref(&jwk))).unwrap();
        let printed = format!("{set:?}");
        assert!(!printed.contains(jwk["k"].as_str().unwrap()));
        assert!(printed.contains(jwk["kid"].as_str().unwrap()));
    }
}
