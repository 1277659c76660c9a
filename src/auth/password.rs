//! Password hashing (argon2id, PHC strings) and opaque random tokens stored as SHA-256.
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing password: {e}"))
}

pub fn verify_password(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A fresh secret with `prefix`, e.g. `gpmb_…` for API tokens: 256 random bits, URL-safe.
pub fn new_secret(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// Secrets are high-entropy, so a fast hash is enough to keep stolen rows useless.
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_round_trip_and_wrong_password() -> anyhow::Result<()> {
        let h = hash_password("demo")?;
        assert!(h.starts_with("$argon2"));
        assert!(verify_password("demo", &h));
        assert!(!verify_password("Demo", &h));
        assert!(!verify_password("demo", "not a hash"));
        Ok(())
    }

    #[test]
    fn secrets_are_unique_and_hashed() {
        let a = new_secret("gpmb_");
        let b = new_secret("gpmb_");
        assert_ne!(a, b);
        assert!(a.starts_with("gpmb_") && a.len() > 40);
        assert_eq!(secret_hash(&a).len(), 64);
        assert_ne!(secret_hash(&a), secret_hash(&b));
    }
}
