//! `local-gateway`: the development API Gateway that `make dev` runs in front of
//! `cargo lambda watch`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use local_gateway::api::{Api, AuthorizerKind, Integration};
use local_gateway::cfn::Identity;
use local_gateway::template::{self, LoadOptions};
use local_gateway::{Error, Gateway, HttpInvoker, server};
use tokio::net::TcpListener;

const USAGE: &str = "\
Usage: local-gateway [options]

Serves the REST API declared in template.yaml, with its Lambda authorizer, invoking the
functions through a Lambda Invoke endpoint (cargo lambda watch).

Options:
  --template <file>        the SAM template (default: template.yaml)
  --listen <addr:port>     where to listen (default: 127.0.0.1:3000)
  --invoke-url <url>       the Lambda Invoke endpoint (default: http://127.0.0.1:9000)
  --parameter <Name=Value> a template parameter override, repeatable
                           (e.g. --parameter AuthorizerCacheTtl=0)
  --api <LogicalId>        the AWS::Serverless::Api to serve, if the template has several
  --api-id <id>            the API id in method ARNs and events (default: local0000a)
  --invoke-timeout <secs>  how long to wait for a function (default: 300; cargo lambda
                           watch compiles a function on its first invocation)
  -h, --help               this text

RUST_LOG sets the log filter (default: info).";

#[derive(Debug)]
struct Args {
    template: PathBuf,
    listen: String,
    invoke_url: String,
    options: LoadOptions,
    invoke_timeout: Duration,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Option<Args>, Error> {
    let mut parsed = Args {
        template: PathBuf::from("template.yaml"),
        listen: "127.0.0.1:3000".to_owned(),
        invoke_url: "http://127.0.0.1:9000".to_owned(),
        options: LoadOptions::default(),
        invoke_timeout: Duration::from_secs(300),
    };
    while let Some(flag) = args.next() {
        if flag == "-h" || flag == "--help" {
            return Ok(None);
        }
        let value = args
            .next()
            .ok_or_else(|| Error::Usage(format!("{flag} needs a value\n\n{USAGE}")))?;
        match flag.as_str() {
            "--template" => parsed.template = PathBuf::from(value),
            "--listen" => parsed.listen = value,
            "--invoke-url" => parsed.invoke_url = value,
            "--api" => parsed.options.api = Some(value),
            "--api-id" => parsed.options.identity.api_id = value,
            "--parameter" => {
                let (name, value) = value.split_once('=').ok_or_else(|| {
                    Error::Usage(format!("--parameter {value}: expected Name=Value"))
                })?;
                parsed
                    .options
                    .parameters
                    .push((name.to_owned(), value.to_owned()));
            }
            "--invoke-timeout" => {
                let secs = value.parse().map_err(|_| {
                    Error::Usage(format!("--invoke-timeout {value}: expected seconds"))
                })?;
                parsed.invoke_timeout = Duration::from_secs(secs);
            }
            other => return Err(Error::Usage(format!("unknown option {other}\n\n{USAGE}"))),
        }
    }
    Ok(Some(parsed))
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
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
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
