//! `authctl`: the administration CLI of the stack. Signing key sets (generate, add a pending key,
//! promote, prune, publish), OAuth clients (register, printing the secret once) and user accounts
//! (roles, sign-out, disable, enable, delete).
//!
//! Results go to standard output as JSON, messages to standard error. Exit status: 0 done,
//! 1 failed, 2 bad command line. Nothing secret is ever printed on standard error; the only
//! secrets on standard output are the private key sets `keys` writes and a new client's secret.

mod cli;
mod clients;
mod keys;
mod users;

use std::fmt;
use std::io::Write as _;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use auth_aws::{Store, StoreError};
use auth_core::{DEFAULT_RETIRE_AFTER_SECS, KeyAlgorithm};
use clap::ArgMatches;
use serde_json::Value;

/// Why a command did not complete.
#[derive(Debug)]
pub enum Failure {
    /// The command line asks for something that cannot be done (exit status 2).
    Usage(String),
    /// The command was right but failed (exit status 1).
    Failed(String),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Usage(message) | Self::Failed(message) => f.write_str(message),
        }
    }
}

impl Failure {
    fn exit_code(&self) -> ExitCode {
        match self {
            Self::Usage(_) => ExitCode::from(2),
            Self::Failed(_) => ExitCode::FAILURE,
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    // clap prints its own usage errors and exits with status 2 (`--help`: 0).
    let matches = cli::command().get_matches();
    let result = match run(&matches).await {
        Ok(output) => print(&output),
        Err(failure) => Err(failure),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("authctl: {failure}");
            failure.exit_code()
        }
    }
}

async fn run(matches: &ArgMatches) -> Result<Value, Failure> {
    match matches.subcommand() {
        Some(("keys", keys)) => run_keys(keys),
        Some(("client", client)) => match client.subcommand() {
            Some(("create", args)) => {
                let (store, table) = store(args).await?;
                let id: String = cli::required(args, "id")?;
                let new = clients::NewClient {
                    name: args.get_one::<String>("name").unwrap_or(&id).clone(),
                    scopes: cli::required(args, "scopes")?,
                    id,
                };
                let created = clients::create(&store, &table, &new).await?;
                eprintln!(
                    "authctl: client {:?} registered in {table}. Keep its client_secret now: \
                     only an argon2id hash of it is stored, so it cannot be shown again.",
                    new.id
                );
                Ok(created)
            }
            other => Err(unknown(other)),
        },
        Some(("user", user)) => match user.subcommand() {
            Some(("roles", args)) => {
                let (store, table) = store(args).await?;
                let username: String = cli::required(args, "username")?;
                let roles: Vec<String> = cli::required(args, "roles")?;
                users::set_roles(&store, &table, &username, &roles).await
            }
            Some((name, args)) if users::AccountAction::parse(name).is_some() => {
                let action = users::AccountAction::parse(name).ok_or_else(|| unknown(None))?;
                let (store, table) = store(args).await?;
                let username: String = cli::required(args, "username")?;
                users::account(&store, &table, &username, action, now()).await
            }
            other => Err(unknown(other)),
        },
        other => Err(unknown(other)),
    }
}

fn run_keys(matches: &ArgMatches) -> Result<Value, Failure> {
    let (name, args) = matches.subcommand().ok_or_else(|| unknown(None))?;
    let alg = || -> Result<KeyAlgorithm, Failure> {
        let name: String = cli::required(args, "alg")?;
        KeyAlgorithm::parse(&name)
            .ok_or_else(|| Failure::Usage(format!("unsupported algorithm {name:?}")))
    };
    let input = || keys::read_set(args.get_one("set").map(std::path::PathBuf::as_path));
    match name {
        "generate" => keys::generate(alg()?),
        "add" => keys::add(&input()?, alg()?, now()),
        "promote" => keys::promote(&input()?, now()),
        "prune" => {
            let retire_after = args
                .get_one::<u64>("retire-after")
                .copied()
                .unwrap_or(DEFAULT_RETIRE_AFTER_SECS);
            let (set, removed) = keys::prune(&input()?, retire_after, now())?;
            if removed == 0 {
                eprintln!(
                    "authctl: no key was retired {retire_after} seconds ago or earlier; the set \
                     is unchanged"
                );
            }
            Ok(set)
        }
        "public" => keys::public(&input()?),
        other => Err(unknown(Some((other, args)))),
    }
}

/// A subcommand clap let through that [`run`] does not know: a mistake in [`cli::command`].
fn unknown(subcommand: Option<(&str, &ArgMatches)>) -> Failure {
    match subcommand.map(|(name, _)| name) {
        Some(name) => Failure::Usage(format!("unknown command {name:?}; see authctl --help")),
        None => Failure::Usage("a command is required; see authctl --help".to_owned()),
    }
}

/// The store over `--table` (and the table's name), through the standard SDK environment.
async fn store(args: &ArgMatches) -> Result<(Store, String), Failure> {
    let table: String = cli::required(args, "table")?;
    if table.trim().is_empty() {
        return Err(Failure::Usage(
            "--table (or USERS_TABLE) is empty".to_owned(),
        ));
    }
    let sdk = auth_aws::sdk_config().await;
    if sdk.region().is_none() {
        return Err(Failure::Failed(
            "no AWS region: set AWS_REGION (or a profile with a region)".to_owned(),
        ));
    }
    Ok((Store::new(&sdk, &table), table))
}

/// A failed store call, told without the SDK's debug dump: `what` failed, and why.
pub fn store_failure(what: &str, table: &str, err: &StoreError) -> Failure {
    let message = err.to_string();
    if message.contains("ResourceNotFoundException") {
        return Failure::Failed(format!(
            "{what}: there is no table {table} (check --table, the region and the account)"
        ));
    }
    // The SDK's message is its error chain, then " (<Debug of the error>)": the chain says it.
    let concise = [
        "ServiceError",
        "DispatchFailure",
        "TimeoutError",
        "ResponseError",
    ]
    .iter()
    .filter_map(|variant| message.find(&format!(" ({variant}(")))
    .min()
    .and_then(|end| message.get(..end))
    .unwrap_or(&message);
    Failure::Failed(format!("{what}: {concise}"))
}

/// Epoch seconds.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// Writes the result as pretty JSON; a closed pipe is a failure, not a panic.
fn print(output: &Value) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(output)
        .map_err(|err| Failure::Failed(format!("cannot format the result: {err}")))?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{text}")
        .and_then(|()| stdout.flush())
        .map_err(|err| Failure::Failed(format!("cannot write the result: {err}")))
}
