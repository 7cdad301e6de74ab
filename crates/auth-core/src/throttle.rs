//! Request throttles: how many times one source address may do something (register a user) in
//! a window. A fixed window: it opens with the first counted request, and when it is full, requests
//! are refused until it closes (`Retry-After`). Requests are counted before the work they ask for.

/// `REGISTER_IP_LIMIT` registrations per source address per `REGISTER_WINDOW_SECONDS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// Requests per window and source address; 0 turns the throttle off. Default 10.
    pub limit: u64,
    /// The window, seconds. Default 3600 (an hour).
    pub window_secs: u64,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        Self {
            limit: 10,
            window_secs: 3_600,
        }
    }
}

/// One window's count as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WindowCount {
    /// Requests counted in the window.
    pub count: u64,
    /// When the window opened, epoch seconds.
    pub opened_at: u64,
}

/// What [`ThrottlePolicy::admit`] decides for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Counted; the window becomes `next`.
    Admitted {
        /// The window with this request counted.
        next: WindowCount,
    },
    /// The window is full: refused for `retry_after` seconds (at least 1).
    Refused {
        /// Seconds until the window closes.
        retry_after: u64,
    },
}

impl ThrottlePolicy {
    /// Whether the throttle counts anything.
    pub fn is_enabled(&self) -> bool {
        self.limit > 0
    }

    /// Whether `window` is still open at `now`.
    pub fn is_open(&self, window: &WindowCount, now: u64) -> bool {
        window.opened_at > now.saturating_sub(self.window_secs)
    }

    /// Counts a request against `current` (`None`: no window yet): a closed window opens again
    /// at one, a full open one refuses.
    pub fn admit(&self, current: Option<&WindowCount>, now: u64) -> Admission {
        match current.filter(|window| self.is_open(window, now)) {
            Some(window) if window.count >= self.limit => Admission::Refused {
                retry_after: window
                    .opened_at
                    .saturating_add(self.window_secs)
                    .saturating_sub(now)
                    .max(1),
            },
            Some(window) => Admission::Admitted {
                next: WindowCount {
                    count: window.count.saturating_add(1),
                    opened_at: window.opened_at,
                },
            },
            None => Admission::Admitted {
                next: WindowCount {
                    count: 1,
                    opened_at: now,
                },
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_window_refuses_until_it_closes() {
        let policy = ThrottlePolicy {
            limit: 2,
            window_secs: 100,
        };
        let Admission::Admitted { next: first } = policy.admit(None, 1_000) else {
            panic!("the first request is admitted");
        };
        let Admission::Admitted { next: second } = policy.admit(Some(&first), 1_010) else {
            panic!("the second request is admitted");
        };
        assert_eq!(
            second,
            WindowCount {
                count: 2,
                opened_at: 1_000
            }
        );
        assert_eq!(
            policy.admit(Some(&second), 1_060),
            Admission::Refused { retry_after: 40 }
        );
        assert_eq!(
            policy.admit(Some(&second), 1_100),
            Admission::Admitted {
                next: WindowCount {
                    count: 1,
                    opened_at: 1_100
                }
            },
            "a closed window opens again"
        );
    }

    #[test]
    fn the_defaults_are_ten_an_hour_and_zero_turns_it_off() {
        assert_eq!(ThrottlePolicy::default().limit, 10);
        assert_eq!(ThrottlePolicy::default().window_secs, 3_600);
        assert!(
            !ThrottlePolicy {
                limit: 0,
                window_secs: 1
            }
            .is_enabled()
        );
    }
}
