//! Every environment variable the functions read is in docs/configuration.md, every variable that
//! page lists for a function is read by it, and every variable template.yaml gives a function is
//! one the code reads: a new setting cannot ship undocumented, nor a documented one rot.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeSet;

use local_gateway::template::{self, LoadOptions};
use test_support::workspace_root;

/// The files that read the functions' settings (their code before the unit tests).
const SETTINGS_SOURCES: [&str; 6] = [
    "crates/auth-aws/src/config.rs",
    "crates/telemetry/src/flush.rs",
    "crates/telemetry/src/names.rs",
    "crates/telemetry/src/level.rs",
    "functions/key_rotation/src/config.rs",
    "functions/authorizer/src/checks.rs",
];

/// Read by the AWS SDK or the Lambda runtime rather than by our settings code.
const READ_BY_THE_PLATFORM: [&str; 2] = ["AWS_REGION", "AWS_ENDPOINT_URL"];

fn read(relative: &str) -> String {
    std::fs::read_to_string(workspace_root().join(relative)).unwrap()
}

/// The `"UPPER_SNAKE"` string literals of a settings file, outside its unit tests.
fn variables_read() -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for file in SETTINGS_SOURCES {
        let text = read(file);
        let code = text.split("\n#[cfg(test)]\nmod tests").next().unwrap();
        for literal in code.split('"').skip(1).step_by(2) {
            let is_name = literal.len() > 2
                && literal.starts_with(|c: char| c.is_ascii_uppercase())
                && literal
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
            if is_name {
                names.insert(literal.to_owned());
            }
        }
    }
    names
}

/// The backticked names in the first column of the tables of `section` (a `## ` heading).
fn documented_in(page: &str, section: &str) -> BTreeSet<String> {
    let start = page
        .find(&format!("\n## {section}"))
        .unwrap_or_else(|| panic!("no section {section:?} in docs/configuration.md"));
    let body = &page[start + 1..];
    let body = &body[..body[3..].find("\n## ").map_or(body.len(), |end| end + 3)];
    body.lines()
        .filter_map(|line| line.strip_prefix("| "))
        .filter_map(|line| line.split(" |").next())
        .flat_map(|cell| cell.split('`').skip(1).step_by(2).map(str::to_owned))
        .filter(|name| name.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
        .collect()
}

#[test]
fn every_variable_the_functions_read_is_documented() {
    let page = read("docs/configuration.md");
    let missing: Vec<String> = variables_read()
        .into_iter()
        .filter(|name| !page.contains(&format!("`{name}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "read by the code, not in docs/configuration.md: {missing:?}"
    );
}

#[test]
fn every_documented_function_variable_is_read() {
    let page = read("docs/configuration.md");
    let read = variables_read();
    let mut documented = documented_in(&page, "`token_generator` and the authorizer");
    documented.extend(documented_in(&page, "`key_rotation`"));
    assert!(
        documented.len() > 40,
        "the tables were not found: {documented:?}"
    );
    let unread: Vec<&String> = documented
        .iter()
        .filter(|name| !read.contains(*name) && !READ_BY_THE_PLATFORM.contains(&name.as_str()))
        .collect();
    assert!(
        unread.is_empty(),
        "in docs/configuration.md, read by no code: {unread:?}"
    );
}

#[test]
fn every_variable_the_template_sets_is_read() {
    let (stack, _) = template::load(
        &workspace_root().join("template.yaml"),
        &LoadOptions::default(),
    )
    .unwrap();
    let read = variables_read();
    let mut set = BTreeSet::new();
    let globals = &stack.doc["Globals"]["Function"]["Environment"]["Variables"];
    set.extend(
        globals
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, _)| k.clone()),
    );
    for (_, resource) in stack.doc["Resources"].as_object().unwrap() {
        if resource["Type"] == "AWS::Serverless::Function" {
            let variables = &resource["Properties"]["Environment"]["Variables"];
            set.extend(
                variables
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(k, _)| k.clone()),
            );
        }
    }
    assert!(
        set.contains("USERS_TABLE") && set.contains("ENVIRONMENT"),
        "{set:?}"
    );
    let unread: Vec<&String> = set.iter().filter(|name| !read.contains(*name)).collect();
    assert!(
        unread.is_empty(),
        "set by template.yaml, read by no code: {unread:?}"
    );
}
