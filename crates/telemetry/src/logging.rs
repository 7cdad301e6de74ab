//! Installing the JSON log subscriber on stdout, once per cold start.

use tracing_subscriber::filter::LevelFilter;

use crate::level::LevelChoice;
use crate::subscriber::JsonLog;

/// Where lambda_runtime logs each handler error at ERROR (`error!("{error:?}")`), next to its
/// "user handler panicked" line (with `panic = "abort"` the panic hook logs panics instead).
pub const HANDLER_ERROR_TARGET: &str = "lambda_runtime::layers::panic";

/// The logging setup of one function: `Logging::new("authorizer").init()`.
#[derive(Debug, Clone)]
#[must_use = "nothing is logged until `init` is called"]
pub struct Logging {
    service: &'static str,
    silenced: Vec<&'static str>,
}

impl Logging {
    /// JSON lines for `service` (the `service` key of every line).
    pub fn new(service: &'static str) -> Self {
        Self {
            service,
            silenced: Vec::new(),
        }
    }

    /// Drops lambda_runtime's ERROR line per handler error: for a handler whose errors are
    /// answers, not failures (the authorizer's `Unauthorized`), which it logs itself.
    pub fn without_handler_error_lines(self) -> Self {
        self.silence(HANDLER_ERROR_TARGET)
    }

    /// Drops every event from `module` and its submodules.
    pub fn silence(mut self, module: &'static str) -> Self {
        self.silenced.push(module);
        self
    }

    /// The subscriber `init` installs, writing events at `level` to `writer` (tests, benches).
    pub fn subscriber<W>(&self, level: LevelFilter, writer: W) -> JsonLog<W> {
        self.silenced
            .iter()
            .fold(JsonLog::new(self.service, level, writer), |log, module| {
                log.silence(module)
            })
    }

    /// Installs the subscriber on stdout at the level of `LOG_LEVEL` (see [`LevelChoice`]) and a
    /// panic hook that logs the panic at ERROR. An invalid level is reported once, as a WARN line.
    /// Does nothing if a global subscriber is already set.
    pub fn init(self) {
        let choice = LevelChoice::from_lookup(|name| std::env::var(name).ok());
        let subscriber = self.subscriber(choice.level, std::io::stdout);
        if tracing::subscriber::set_global_default(subscriber).is_err() {
            return;
        }
        std::panic::set_hook(Box::new(|info| {
            tracing::error!(panic = %info, "panicked");
        }));
        if let Some(invalid) = choice.invalid {
            tracing::warn!(
                variable = invalid.variable,
                value = %invalid.value,
                "unknown log level, logging at info (use error, warn, info, debug or trace)"
            );
        }
    }
}

/// `Logging::new(service).init()`: JSON lines on stdout at the level of `LOG_LEVEL`.
pub fn init_logging(service: &'static str) {
    Logging::new(service).init();
}
