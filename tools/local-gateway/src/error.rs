//! The crate's one error type: a template the gateway cannot understand, a bad command line, or
//! an invocation that never produced an answer.

use std::path::PathBuf;

/// What went wrong, phrased for the developer running `make dev`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The template file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The template is not YAML.
    #[error("{path} is not valid YAML: {message}")]
    Yaml {
        /// The file.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
    /// The template is YAML but says something the gateway cannot use; `at` names where.
    #[error("template.yaml, {at}: {message}")]
    Template {
        /// A path into the template, e.g. `Resources.AuthApi.Properties.Auth`.
        at: String,
        /// What is wrong there.
        message: String,
    },
    /// A command-line argument or parameter override.
    #[error("{0}")]
    Usage(String),
    /// The listening socket.
    #[error("cannot listen on {address}: {source}")]
    Listen {
        /// The address asked for.
        address: String,
        /// Why.
        source: std::io::Error,
    },
    /// Invoking a function failed before it could answer (connection refused, timeout, an
    /// unknown function, a body that is not JSON).
    #[error("invoking {function}: {message}")]
    Invoke {
        /// The function's name.
        function: String,
        /// What happened.
        message: String,
    },
}

impl Error {
    pub(crate) fn template(at: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Template {
            at: at.into(),
            message: message.into(),
        }
    }

    pub(crate) fn invoke(function: &str, message: impl Into<String>) -> Self {
        Self::Invoke {
            function: function.to_owned(),
            message: message.into(),
        }
    }
}
