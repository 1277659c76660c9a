//! Failed-login throttling, per user name and per client address, with exponential backoff.
//! Five misses in a row on a name are free (typos); from the sixth, the name is locked for
//! 2, 4, 8 … seconds up to 15 minutes, during which even the right password is refused, so
//! guessing costs time. An address gets 50 free misses (a whole office may sit behind one)
//! before the same backoff. A success clears the name's and the address's count.
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

const FREE_FAILURES_PER_USER: u32 = 5;
const FREE_FAILURES_PER_ADDRESS: u32 = 50;
const MAX_LOCK: Duration = Duration::from_mins(15);
/// Entries kept at most; beyond it the stalest go, so a flood of names cannot grow memory.
const MAX_ENTRIES: usize = 20_000;
/// A count is forgotten after this long without a failure.
const FORGET_AFTER: Duration = Duration::from_hours(1);

#[derive(Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
    locked_until: Option<Instant>,
}

/// The throttle's state, shared by every request of the process.
#[derive(Clone, Default)]
pub struct LoginThrottle {
    inner: Arc<Mutex<HashMap<String, Failures>>>,
}

/// What a failure did to the keys it touched.
pub struct Verdict {
    /// The lock that started with this failure (for the audit), if any.
    pub locked_for: Option<Duration>,
}

impl LoginThrottle {
    /// Seconds left on the longest lock among `keys`, if any is locked now.
    pub fn locked(&self, keys: &[String]) -> Option<u64> {
        let map = self.inner.lock().ok()?;
        let now = Instant::now();
        keys.iter()
            .filter_map(|k| map.get(k)?.locked_until)
            .filter(|until| *until > now)
            .map(|until| (until - now).as_secs().max(1))
            .max()
    }

    /// Counts a failure against every key.
    pub fn failed(&self, keys: &[String]) -> Verdict {
        let Ok(mut map) = self.inner.lock() else {
            return Verdict { locked_for: None };
        };
        let now = Instant::now();
        if map.len() + keys.len() > MAX_ENTRIES {
            map.retain(|_, f| now.duration_since(f.last) < FORGET_AFTER);
            if map.len() + keys.len() > MAX_ENTRIES {
                // Still full of fresh entries: drop the oldest half.
                let mut ages: Vec<Instant> = map.values().map(|f| f.last).collect();
                ages.sort_unstable();
                let cut = ages[ages.len() / 2];
                map.retain(|_, f| f.last > cut);
            }
        }
        let mut locked_for = None;
        for key in keys {
            let entry = map.entry(key.clone()).or_insert(Failures {
                count: 0,
                last: now,
                locked_until: None,
            });
            if now.duration_since(entry.last) > FORGET_AFTER {
                entry.count = 0;
            }
            entry.count += 1;
            entry.last = now;
            let free = if key.starts_with("addr:") {
                FREE_FAILURES_PER_ADDRESS
            } else {
                FREE_FAILURES_PER_USER
            };
            if entry.count > free {
                let exponent = (entry.count - free).min(10);
                let lock = Duration::from_secs(1 << exponent).min(MAX_LOCK);
                entry.locked_until = Some(now + lock);
                locked_for = locked_for.max(Some(lock));
            }
        }
        Verdict { locked_for }
    }

    /// A success clears the keys.
    pub fn succeeded(&self, keys: &[String]) {
        if let Ok(mut map) = self.inner.lock() {
            for key in keys {
                map.remove(key);
            }
        }
    }
}

/// The keys a login attempt counts against: the (case-folded) user name and the address.
pub fn keys(username: &str, addr: Option<IpAddr>) -> Vec<String> {
    let mut keys = vec![format!("user:{}", username.trim().to_lowercase())];
    if let Some(addr) = addr {
        keys.push(format!("addr:{addr}"));
    }
    keys
}

/// The client's address as the socket saw it (None when the server runs without it, as in
/// tests that call the router directly).
pub struct ClientAddr(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_misses_are_free_then_the_lock_doubles() {
        let t = LoginThrottle::default();
        let k = keys("Leader", None);
        for _ in 0..5 {
            assert!(t.failed(&k).locked_for.is_none());
            assert_eq!(t.locked(&k), None);
        }
        assert_eq!(t.failed(&k).locked_for, Some(Duration::from_secs(2)));
        assert!(
            t.locked(&keys("leader", None)).is_some(),
            "names are case-folded"
        );
        assert_eq!(t.failed(&k).locked_for, Some(Duration::from_secs(4)));
        t.succeeded(&k);
        assert_eq!(t.locked(&k), None);
    }

    #[test]
    fn fifty_misses_on_different_names_lock_the_address_and_no_other() {
        let t = LoginThrottle::default();
        let here: IpAddr = [192, 0, 2, 7].into();
        let there: IpAddr = [198, 51, 100, 9].into();
        for i in 0..FREE_FAILURES_PER_ADDRESS {
            let k = keys(&format!("guess{i}"), Some(here));
            assert!(t.failed(&k).locked_for.is_none(), "miss {i} is free");
            assert_eq!(t.locked(&k), None);
        }
        // The 51st miss, on yet another name, locks the address for 2 s.
        let k = keys("guess-last", Some(here));
        assert_eq!(t.failed(&k).locked_for, Some(Duration::from_secs(2)));
        // Every name from that address is refused now, a real one included.
        let real = keys("admin", Some(here));
        assert!(t.locked(&real).is_some_and(|s| (1..=2).contains(&s)));
        // The same name from another address is not.
        assert_eq!(t.locked(&keys("admin", Some(there))), None);
        assert_eq!(t.locked(&keys("guess-last", Some(there))), None);
        // No single name reached its own limit: the lock is the address's.
        assert_eq!(t.locked(&keys("guess-last", None)), None);
    }

    #[test]
    fn a_flood_of_names_stays_bounded() {
        let t = LoginThrottle::default();
        for i in 0..(MAX_ENTRIES + 500) {
            t.failed(&keys(&format!("u{i}"), None));
        }
        assert!(t.inner.lock().unwrap().len() <= MAX_ENTRIES);
    }
}
