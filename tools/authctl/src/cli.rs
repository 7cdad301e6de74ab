//! The command line: subcommands, options and the checks on their values (clap's builder API).

use std::path::PathBuf;

use clap::{Arg, ArgMatches, Command, value_parser};

use crate::Failure;

/// Longest client id the token endpoint accepts (functions/token_generator/src/clients.rs).
const MAX_CLIENT_ID_CHARS: usize = 128;
/// Most scopes the token endpoint reads in one `scope` value.
const MAX_SCOPES: usize = 64;

/// The whole command line.
pub fn command() -> Command {
    let alg = Arg::new("alg")
        .long("alg")
        .value_name("ALG")
        .value_parser(["ES256", "EdDSA", "RS256", "HS256"])
        .default_value("ES256")
        .help("Algorithm of the new key");
    let set = Arg::new("set")
        .value_name("FILE")
        .value_parser(value_parser!(PathBuf))
        .help("The key set (a JWK set with private members); standard input when omitted");
    let table = Arg::new("table")
        .long("table")
        .value_name("TABLE")
        .env("USERS_TABLE")
        .required(true)
        .help("The DynamoDB table (the stack's UsersTableName output)");
    let username = Arg::new("username")
        .long("username")
        .value_name("USERNAME")
        .required(true)
        .help("The registered user");
    Command::new("authctl")
        .about("Administration of the JWT auth stack: signing keys, OAuth clients, user accounts")
        .long_about(
            "Administration of the JWT auth stack: signing keys, OAuth clients, user accounts.\n\n\
             `keys` commands read and write key sets on standard input and output and talk to \
             nothing. `client` and `user` commands use the standard AWS SDK environment \
             (AWS_PROFILE, AWS_REGION, credentials; AWS_ENDPOINT_URL for an emulator such as \
             moto_server).",
        )
        .version(env!("CARGO_PKG_VERSION"))
        .subcommand_required(true)
        .arg_required_else_help(true)
        .subcommand(
            Command::new("keys")
                .about("Signing key sets (JWK sets): create, rotate by hand, publish")
                .subcommand_required(true)
                .arg_required_else_help(true)
                .subcommand(
                    Command::new("generate")
                        .about("Print a new key set of one active key")
                        .arg(alg.clone()),
                )
                .subcommand(
                    Command::new("add")
                        .about("Add a pending key: published and verifying, not signing yet")
                        .arg(alg)
                        .arg(set.clone()),
                )
                .subcommand(
                    Command::new("promote")
                        .about("Make the pending key active and retire the active one")
                        .arg(set.clone()),
                )
                .subcommand(
                    Command::new("prune")
                        .about("Remove the keys retired SECONDS ago or earlier")
                        .arg(
                            Arg::new("retire-after")
                                .long("retire-after")
                                .value_name("SECONDS")
                                .value_parser(value_parser!(u64))
                                .help(
                                    "Keep retired keys this long: at least the longest token \
                                     lifetime, the refresh family's [default: 2678400, 31 days, \
                                     as the rotation Lambda]",
                                ),
                        )
                        .arg(set.clone()),
                )
                .subcommand(
                    Command::new("public")
                        .about("Print the public JWKS of a key set (what /.well-known/jwks.json serves)")
                        .arg(set),
                ),
        )
        .subcommand(
            Command::new("client")
                .about("OAuth clients of the client_credentials grant")
                .subcommand_required(true)
                .arg_required_else_help(true)
                .subcommand(
                    Command::new("create")
                        .about("Register a client and print its secret, once")
                        .arg(table.clone())
                        .arg(
                            Arg::new("id")
                                .long("id")
                                .value_name("CLIENT_ID")
                                .value_parser(parse_client_id)
                                .required(true)
                                .help("The client id (1 to 128 printable ASCII characters)"),
                        )
                        .arg(
                            Arg::new("scopes")
                                .long("scopes")
                                .value_name("SCOPES")
                                .value_parser(parse_scopes)
                                .required(true)
                                .help("Space-separated scopes the client may be granted"),
                        )
                        .arg(
                            Arg::new("name")
                                .long("name")
                                .value_name("NAME")
                                .help("A human-readable name (default: the id)"),
                        ),
                ),
        )
        .subcommand(
            Command::new("user")
                .about("User accounts")
                .subcommand_required(true)
                .arg_required_else_help(true)
                .subcommand(
                    Command::new("roles")
                        .about(
                            "Replace a user's roles (ROLE_SCOPES maps roles to scopes); refreshes \
                             narrow to them from now on",
                        )
                        .arg(table.clone())
                        .arg(username.clone())
                        .arg(
                            Arg::new("roles")
                                .long("roles")
                                .value_name("ROLES")
                                .value_parser(parse_roles)
                                .required(true)
                                .help("Comma-separated roles, e.g. \"admin,user\" (\"\" for none)"),
                        ),
                )
                .subcommands(account_commands(&table, &username)),
        )
}

/// `user signout|disable|enable|delete`: each takes the table and the user name.
fn account_commands(table: &Arg, username: &Arg) -> Vec<Command> {
    [
        (
            "signout",
            "End every session of the user: revoke all refresh-token families and record a \
             logout (with REVOCATION_CHECK its access tokens are refused too)",
        ),
        (
            "disable",
            "Disable the account: no sign-in and no refresh until `user enable`; its sessions \
             end as with `user signout`",
        ),
        (
            "enable",
            "Enable a disabled account again (its ended sessions stay ended)",
        ),
        (
            "delete",
            "Delete the account: password hash, roles and refresh-token families are removed, \
             its sessions end; the name stays taken and can never be registered again",
        ),
    ]
    .into_iter()
    .map(|(name, about)| {
        Command::new(name)
            .about(about)
            .arg(table.clone())
            .arg(username.clone())
    })
    .collect()
}

/// A required argument's value. clap has already refused a command line without it, so a
/// `None` here is a mistake in [`command`], reported as a usage error rather than a panic.
pub fn required<T: Clone + Send + Sync + 'static>(
    matches: &ArgMatches,
    id: &str,
) -> Result<T, Failure> {
    matches
        .get_one::<T>(id)
        .cloned()
        .ok_or_else(|| Failure::Usage(format!("--{id} is required")))
}

/// The token endpoint's rule for client ids, so every registered client can authenticate.
fn parse_client_id(value: &str) -> Result<String, String> {
    let chars = value.chars().count();
    if (1..=MAX_CLIENT_ID_CHARS).contains(&chars) && value.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(value.to_owned())
    } else {
        Err(format!(
            "1 to {MAX_CLIENT_ID_CHARS} printable ASCII characters, no spaces"
        ))
    }
}

/// Space-separated scope tokens of the characters RFC 6749 §3.3 allows; duplicates dropped.
fn parse_scopes(value: &str) -> Result<Vec<String>, String> {
    let mut scopes: Vec<String> = Vec::new();
    for token in value.split_ascii_whitespace() {
        let valid = token
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b));
        if !valid {
            return Err(format!(
                "{token:?} is not a scope (RFC 6749 §3.3: printable ASCII except '\"' and '\\')"
            ));
        }
        if !scopes.iter().any(|s| s == token) {
            scopes.push(token.to_owned());
        }
    }
    if scopes.len() > MAX_SCOPES {
        return Err(format!("at most {MAX_SCOPES} scopes"));
    }
    Ok(scopes)
}

/// Comma-separated role names, as `DEFAULT_ROLES` is written; blanks dropped, duplicates too.
fn parse_roles(value: &str) -> Result<Vec<String>, String> {
    let mut roles: Vec<String> = Vec::new();
    for role in value.split(',').map(str::trim).filter(|r| !r.is_empty()) {
        if role.chars().any(char::is_control) {
            return Err(format!("{role:?} has control characters"));
        }
        if !roles.iter().any(|r| r == role) {
            roles.push(role.to_owned());
        }
    }
    Ok(roles)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_definition_is_consistent() {
        command().debug_assert();
    }

    #[test]
    fn the_prune_help_names_auth_cores_default_retention() {
        let mut command = command();
        let prune = command
            .find_subcommand_mut("keys")
            .and_then(|keys| keys.find_subcommand_mut("prune"))
            .unwrap();
        let help = prune.render_help().to_string();
        let default = auth_core::DEFAULT_RETIRE_AFTER_SECS.to_string();
        assert!(help.contains(&format!("default: {default}")), "{help}");
    }

    #[test]
    fn scopes_are_space_separated_rfc6749_tokens() {
        assert_eq!(
            parse_scopes(" orders:read  orders:write orders:read").unwrap(),
            ["orders:read", "orders:write"]
        );
        assert!(parse_scopes("a\"b").is_err());
        assert!(parse_scopes("a\\b").is_err());
        assert!(parse_scopes("").unwrap().is_empty());
    }

    #[test]
    fn roles_are_comma_separated() {
        assert_eq!(
            parse_roles("admin, user,,admin").unwrap(),
            ["admin", "user"]
        );
        assert!(parse_roles("").unwrap().is_empty());
        assert!(parse_roles("ad\tmin").is_err());
    }

    #[test]
    fn client_ids_follow_the_token_endpoint() {
        assert!(parse_client_id("billing-service").is_ok());
        assert!(parse_client_id("").is_err());
        assert!(parse_client_id("two words").is_err());
        assert!(parse_client_id(&"x".repeat(129)).is_err());
    }
}
