//! `local-gateway`: the development API Gateway that `make dev` runs in front of
//! `cargo lambda watch`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Arg, ArgAction, ArgMatches, Command, value_parser};
use local_gateway::api::{Api, AuthorizerKind, Integration};
use local_gateway::cfn::{DEFAULT_API_ID, Identity};
use local_gateway::template::{self, LoadOptions};
use local_gateway::{Error, Gateway, HttpInvoker, server};
use tokio::net::TcpListener;

/// The command line (clap's builder API, as tools/authctl).
fn command() -> Command {
    Command::new("local-gateway")
        .about(
            "Serves the REST API declared in template.yaml, with its Lambda authorizer, invoking \
             the functions through a Lambda Invoke endpoint (cargo lambda watch)",
        )
        .after_help("RUST_LOG sets the log filter (default: info).")
        // As before clap: a flag given twice keeps its last value (--parameter accumulates).
        .args_override_self(true)
        .arg(
            Arg::new("template")
                .long("template")
                .value_name("FILE")
                .value_parser(value_parser!(PathBuf))
                .default_value("template.yaml")
                .help("The SAM template"),
        )
        .arg(
            Arg::new("listen")
                .long("listen")
                .value_name("ADDR:PORT")
                .default_value("127.0.0.1:3000")
                .help("Where to listen"),
        )
        .arg(
            Arg::new("invoke-url")
                .long("invoke-url")
                .value_name("URL")
                .default_value("http://127.0.0.1:9000")
                .help("The Lambda Invoke endpoint"),
        )
        .arg(
            Arg::new("parameter")
                .long("parameter")
                .value_name("Name=Value")
                .value_parser(parse_parameter)
                .action(ArgAction::Append)
                .help(
                    "A template parameter override, repeatable (e.g. --parameter \
                     AuthorizerCacheTtl=0)",
                ),
        )
        .arg(
            Arg::new("api")
                .long("api")
                .value_name("LogicalId")
                .help("The AWS::Serverless::Api to serve, if the template has several"),
        )
        .arg(
            Arg::new("api-id")
                .long("api-id")
                .value_name("ID")
                .default_value(DEFAULT_API_ID)
                .help("The API id in method ARNs and events"),
        )
        .arg(
            Arg::new("invoke-timeout")
                .long("invoke-timeout")
                .value_name("SECS")
                .value_parser(value_parser!(u64))
                .default_value("300")
                .help(
                    "How long to wait for a function (cargo lambda watch compiles a function on \
                     its first invocation)",
                ),
        )
}

/// `Name=Value`, split at the first `=`.
fn parse_parameter(value: &str) -> Result<(String, String), String> {
    value
        .split_once('=')
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .ok_or_else(|| "expected Name=Value".to_owned())
}

#[derive(Debug)]
struct Args {
    template: PathBuf,
    listen: String,
    invoke_url: String,
    options: LoadOptions,
    invoke_timeout: Duration,
}

impl Args {
    /// What the command line asks for.
    fn from_matches(matches: &ArgMatches) -> Result<Self, Error> {
        let mut options = LoadOptions {
            parameters: matches
                .get_many::<(String, String)>("parameter")
                .into_iter()
                .flatten()
                .cloned()
                .collect(),
            api: matches.get_one::<String>("api").cloned(),
            ..LoadOptions::default()
        };
        options.identity.api_id = defaulted(matches, "api-id")?;
        Ok(Self {
            template: defaulted(matches, "template")?,
            listen: defaulted(matches, "listen")?,
            invoke_url: defaulted(matches, "invoke-url")?,
            options,
            invoke_timeout: Duration::from_secs(defaulted(matches, "invoke-timeout")?),
        })
    }
}

/// The value of an option that has a default: a `None` here is a mistake in [`command`],
/// reported as a usage error rather than a panic.
fn defaulted<T: Clone + Send + Sync + 'static>(matches: &ArgMatches, id: &str) -> Result<T, Error> {
    matches
        .get_one::<T>(id)
        .cloned()
        .ok_or_else(|| Error::Usage(format!("--{id} has no value")))
}

fn describe(api: &Api, identity: &Identity) {
    tracing::info!(
        "API {} stage {} (api id {}, account {}, {})",
        api.name,
        api.stage,
        identity.api_id,
        identity.account,
        identity.region
    );
    for resource in &api.resources {
        for (verb, method) in &resource.methods {
            let target = match &method.integration {
                Integration::Lambda { function } => format!("Lambda {function}"),
                Integration::Mock(_) => "MOCK".to_owned(),
                Integration::Unsupported(kind) => format!("{kind} (not emulated)"),
            };
            let auth = method
                .authorizer
                .as_deref()
                .map(|a| format!(" [{a}]"))
                .unwrap_or_default();
            tracing::info!("  {verb:<7} {:<22} -> {target}{auth}", resource.path);
        }
    }
    let mut authorizers: Vec<_> = api.authorizers.values().collect();
    authorizers.sort_by(|a, b| a.name.cmp(&b.name));
    for authorizer in authorizers {
        let kind = match &authorizer.kind {
            AuthorizerKind::Token { header, validation } => format!(
                "TOKEN from header {header}{}",
                if validation.is_some() {
                    ", with a validation expression"
                } else {
                    ""
                }
            ),
            AuthorizerKind::Request { sources } => {
                format!("REQUEST from {sources:?}")
            }
        };
        tracing::info!(
            "  authorizer {} -> Lambda {}: {kind}; cache TTL {} s",
            authorizer.name,
            authorizer.function,
            authorizer.ttl.as_secs()
        );
    }
}

async fn run(args: Args) -> Result<(), Error> {
    let (_, api) = template::load(&args.template, &args.options)?;
    describe(&api, &args.options.identity);
    let listener = TcpListener::bind(&args.listen)
        .await
        .map_err(|source| Error::Listen {
            address: args.listen.clone(),
            source,
        })?;
    let invoker = HttpInvoker::new(&args.invoke_url, args.invoke_timeout);
    let gateway = Arc::new(Gateway::new(api, args.options.identity.clone(), invoker));
    tracing::info!(
        "local API Gateway on http://{} (functions invoked through {})",
        args.listen,
        args.invoke_url
    );
    server::serve(listener, gateway).await;
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_target(false)
        .init();
    // clap prints its own usage errors and exits with status 2 (`--help`: 0).
    let args = match Args::from_matches(&command().get_matches()) {
        Ok(args) => args,
        Err(err) => {
            eprintln!("local-gateway: {err}");
            return ExitCode::from(2);
        }
    };
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("local-gateway: {err}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Args, clap::Error> {
        let matches = command()
            .try_get_matches_from(std::iter::once("local-gateway").chain(args.iter().copied()))?;
        Ok(Args::from_matches(&matches).unwrap())
    }

    #[test]
    fn the_command_line_definition_is_consistent() {
        command().debug_assert();
    }

    #[test]
    fn no_arguments_give_the_defaults() {
        let args = parse(&[]).unwrap();
        assert_eq!(args.template, PathBuf::from("template.yaml"));
        assert_eq!(args.listen, "127.0.0.1:3000");
        assert_eq!(args.invoke_url, "http://127.0.0.1:9000");
        assert_eq!(args.invoke_timeout, Duration::from_secs(300));
        assert!(args.options.parameters.is_empty());
        assert_eq!(args.options.api, None);
        assert_eq!(args.options.identity, Identity::default());
    }

    #[test]
    fn the_dev_script_command_line_is_understood() {
        let args = parse(&[
            "--template",
            "t.yaml",
            "--listen",
            "127.0.0.1:4000",
            "--invoke-url",
            "http://127.0.0.1:9100",
            "--parameter",
            "AuthorizerCacheTtl=0",
            "--parameter",
            "Issuer=https://x/a=b",
        ])
        .unwrap();
        assert_eq!(args.template, PathBuf::from("t.yaml"));
        assert_eq!(args.listen, "127.0.0.1:4000");
        assert_eq!(args.invoke_url, "http://127.0.0.1:9100");
        assert_eq!(
            args.options.parameters,
            [
                ("AuthorizerCacheTtl".to_owned(), "0".to_owned()),
                ("Issuer".to_owned(), "https://x/a=b".to_owned())
            ]
        );
    }

    #[test]
    fn api_id_and_timeout_are_read() {
        let args = parse(&[
            "--api",
            "AuthApi",
            "--api-id",
            "abc123",
            "--invoke-timeout",
            "5",
        ])
        .unwrap();
        assert_eq!(args.options.api.as_deref(), Some("AuthApi"));
        assert_eq!(args.options.identity.api_id, "abc123");
        assert_eq!(args.invoke_timeout, Duration::from_secs(5));
    }

    #[test]
    fn a_repeated_option_keeps_its_last_value() {
        let args = parse(&["--listen", "127.0.0.1:1", "--listen", "127.0.0.1:2"]).unwrap();
        assert_eq!(args.listen, "127.0.0.1:2");
    }

    #[test]
    fn bad_command_lines_are_refused() {
        for bad in [
            &["--parameter", "NoEquals"][..],
            &["--invoke-timeout", "soon"],
            &["--listen"],
            &["--unknown", "x"],
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn help_is_not_an_error() {
        let err = parse(&["--help"]).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::DisplayHelp);
        assert_eq!(
            parse(&["-h"]).unwrap_err().kind(),
            clap::error::ErrorKind::DisplayHelp
        );
    }
}
