//! Where the daemon reads the time of day (Unix seconds) that it hands to the core as `now`.
//!
//! The system clock in production. Tests run the whole daemon on tokio's clock with time
//! paused (tests/it/daemon.rs), so that reminders, automatic closes and retry schedules come
//! at virtual times, in milliseconds of real time, without a sleep.

use std::time::{SystemTime, UNIX_EPOCH};

/// The source of `now` for the daemon's tasks.
#[derive(Debug, Clone, Copy, Default)]
pub enum Clock {
    /// The system's time of day.
    #[default]
    System,
    /// `at` (Unix seconds) when tokio's clock read `since`, moving as tokio's clock moves
    /// (paused and advanced by a test, or not).
    Tokio {
        at: i64,
        since: tokio::time::Instant,
    },
}

impl Clock {
    /// A clock that reads `at` now and follows tokio's clock from here.
    pub fn tokio_from(at: i64) -> Clock {
        Clock::Tokio {
            at,
            since: tokio::time::Instant::now(),
        }
    }

    /// The time of day in Unix seconds.
    pub fn now_secs(&self) -> i64 {
        match self {
            Clock::System => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0),
            Clock::Tokio { at, since } => at + since.elapsed().as_secs() as i64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_tokio_clock_follows_virtual_time() {
        let c = Clock::tokio_from(1_000);
        assert_eq!(c.now_secs(), 1_000);
        tokio::time::advance(std::time::Duration::from_secs(90)).await;
        assert_eq!(c.now_secs(), 1_090);
        assert!(Clock::System.now_secs() > 1_700_000_000);
    }
}
