//! Starting the built functions configured as the stack runs them on the shared moto_server: the
//! AWS SDK pointed at it and, for the functions over a users table, the table and a key set.

use crate::moto::aws_env;
use crate::runtime_api::Function;

/// `name` started with `env` (owned values, as the harness builds them).
pub fn start(name: &str, env: &[(&str, String)]) -> Function {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    Function::start(name, &env)
}

/// `name` with its AWS SDK on moto_server, and `extra`.
pub fn on_moto(name: &str, extra: &[(&str, &str)]) -> Function {
    let mut env = aws_env();
    env.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
    start(name, &env)
}

/// The environment of a function over `table` on moto_server with the key set `keys`
/// (`SIGNING_KEYS`), then `extra`.
pub fn table_env<'a>(table: &str, keys: &str, extra: &[(&'a str, &str)]) -> Vec<(&'a str, String)> {
    let mut env = aws_env();
    env.push(("USERS_TABLE", table.to_owned()));
    env.push(("SIGNING_KEYS", keys.to_owned()));
    env.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
    env
}

/// `name` over `table` on moto_server with the key set `keys`, and `extra`.
pub fn on_table(name: &str, table: &str, keys: &str, extra: &[(&str, &str)]) -> Function {
    start(name, &table_env(table, keys, extra))
}
