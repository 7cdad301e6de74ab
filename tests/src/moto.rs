//! moto_server, started once per test process on a free 127.0.0.1 port, and the environment that
//! points a function's AWS SDK at it.
//!
//! The server is a child process reading its standard input: when the test process exits, the
//! pipe closes and the server stops, so nothing is left behind even when a test panics.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};

use crate::workspace_root;

/// A running moto_server.
pub struct Moto {
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
    _child: Mutex<(Child, ChildStdin)>,
}

/// The moto_server of this test process, started on first use.
pub fn moto() -> &'static Moto {
    static MOTO: OnceLock<Moto> = OnceLock::new();
    MOTO.get_or_init(start)
}

fn python() -> String {
    if let Ok(python) = std::env::var("MOTO_PYTHON") {
        return python;
    }
    let venv = workspace_root().join(".venv/bin/python");
    if venv.exists() {
        venv.display().to_string()
    } else {
        "python3".to_owned()
    }
}

fn start() -> Moto {
    let script = workspace_root().join("tools/moto_server.py");
    let mut child = Command::new(python())
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("cannot start moto_server (run `make test`, which installs it into .venv)");
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let port: u16 = line
        .trim()
        .strip_prefix("PORT ")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("moto harness did not report a port: {line:?}"));
    let stdin = child.stdin.take().unwrap();
    Moto {
        endpoint: format!("http://127.0.0.1:{port}"),
        _child: Mutex::new((child, stdin)),
    }
}

/// The variables that point a function's AWS SDK at the shared moto_server.
pub fn aws_env() -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL", moto().endpoint.clone()),
        ("AWS_ACCESS_KEY_ID", "testing".into()),
        ("AWS_SECRET_ACCESS_KEY", "testing".into()),
    ]
}
