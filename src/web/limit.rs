//! The page server's rate limit: a token bucket per client (SPEC §3.10). A client is an IPv4
//! address, or an IPv6 /64 (one host usually holds a whole /64, so counting its addresses
//! one by one would let it through untouched). The table of clients is bounded: when it is
//! full, the client seen longest ago is forgotten.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Instant;

/// How many requests a client may make: `burst` at once, then `per_minute`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub burst: u32,
    pub per_minute: f64,
}

/// Who a request is counted against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Client([u8; 16]);

impl Client {
    pub fn of(ip: IpAddr) -> Client {
        match ip {
            IpAddr::V4(v4) => Client(v4.to_ipv6_mapped().octets()),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Client(v4.to_ipv6_mapped().octets()),
                None => {
                    let mut o = v6.octets();
                    o[8..].fill(0);
                    Client(o)
                }
            },
        }
    }
}

struct Bucket {
    tokens: f64,
    last: Instant,
}

/// The buckets of every client seen lately.
pub struct Limiter {
    rate: Rate,
    max_clients: usize,
    buckets: HashMap<Client, Bucket>,
}

impl Limiter {
    pub fn new(rate: Rate, max_clients: usize) -> Limiter {
        Limiter {
            rate,
            max_clients: max_clients.max(1),
            buckets: HashMap::new(),
        }
    }

    /// Counts one request of `client` at `now`: false when it is over its rate.
    pub fn allow(&mut self, client: Client, now: Instant) -> bool {
        let rate = self.rate;
        let level = |b: &Bucket| {
            let secs = now.saturating_duration_since(b.last).as_secs_f64();
            (b.tokens + secs * rate.per_minute / 60.0).min(rate.burst as f64)
        };
        if !self.buckets.contains_key(&client) && self.buckets.len() >= self.max_clients {
            // Full buckets tell nothing: forget them first, else the oldest client.
            self.buckets.retain(|_, b| level(b) < rate.burst as f64);
            if self.buckets.len() >= self.max_clients {
                if let Some(oldest) = self
                    .buckets
                    .iter()
                    .min_by_key(|(_, b)| b.last)
                    .map(|(c, _)| *c)
                {
                    self.buckets.remove(&oldest);
                }
            }
        }
        let b = self.buckets.entry(client).or_insert(Bucket {
            tokens: rate.burst as f64,
            last: now,
        });
        b.tokens = level(b);
        b.last = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn ip(s: &str) -> Client {
        Client::of(s.parse().unwrap())
    }

    #[test]
    fn a_client_gets_its_burst_then_its_rate() {
        let mut l = Limiter::new(
            Rate {
                burst: 3,
                per_minute: 6.0,
            },
            100,
        );
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(l.allow(ip("192.0.2.1"), t0));
        }
        assert!(!l.allow(ip("192.0.2.1"), t0));
        assert!(
            l.allow(ip("192.0.2.2"), t0),
            "another client has its own bucket"
        );
        // 6 a minute: one more every 10 s.
        assert!(!l.allow(ip("192.0.2.1"), t0 + Duration::from_secs(9)));
        // Two more have come by 20 s, and no third.
        assert!(l.allow(ip("192.0.2.1"), t0 + Duration::from_secs(20)));
        assert!(l.allow(ip("192.0.2.1"), t0 + Duration::from_secs(20)));
        assert!(!l.allow(ip("192.0.2.1"), t0 + Duration::from_secs(20)));
    }

    #[test]
    fn an_ipv6_host_is_its_64_and_a_mapped_ipv4_is_the_ipv4() {
        assert_eq!(ip("2001:db8:1:2::1"), ip("2001:db8:1:2:ffff::7"));
        assert_ne!(ip("2001:db8:1:2::1"), ip("2001:db8:1:3::1"));
        assert_eq!(ip("::ffff:192.0.2.1"), ip("192.0.2.1"));
    }

    #[test]
    fn the_table_of_clients_stays_bounded() {
        let mut l = Limiter::new(
            Rate {
                burst: 1,
                per_minute: 1.0,
            },
            2,
        );
        let t0 = Instant::now();
        assert!(l.allow(ip("192.0.2.1"), t0));
        assert!(l.allow(ip("192.0.2.2"), t0 + Duration::from_millis(1)));
        assert!(l.allow(ip("192.0.2.3"), t0 + Duration::from_millis(2)));
        assert_eq!(l.buckets.len(), 2);
        assert!(!l.buckets.contains_key(&ip("192.0.2.1")), "the oldest went");
        assert!(!l.allow(ip("192.0.2.3"), t0 + Duration::from_millis(3)));
    }
}
