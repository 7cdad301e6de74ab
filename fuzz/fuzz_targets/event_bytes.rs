//! Fuzzes the authorizer from raw event bytes to response bytes, with route rules, every token
//! source and both HTTP API answer modes. Run: see docs/authorizer.md (Fuzzing).
#![no_main]

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use auth_aws::{Config, ConfigLoader};
use libfuzzer_sys::fuzz_target;

fn configs() -> &'static [Arc<Config>] {
    static CONFIGS: OnceLock<Vec<Arc<Config>>> = OnceLock::new();
    CONFIGS.get_or_init(|| {
        ["simple", "iam"]
            .into_iter()
            .map(|mode| {
                let vars: HashMap<&str, &str> = HashMap::from([
                    ("JWT_SECRET", "fuzz-secret-0123456789abcdef-0123456789"),
                    ("TOKEN_AUDIENCE", "https://api.example.test"),
                    ("AUTHORIZER_RESPONSE", mode),
                    ("TOKEN_SOURCES", "header:authorization,header:x-access-token,query:token,cookie:access_token"),
                    ("ROUTE_RULES", r#"{"rules": [{"route": "GET /health", "public": true}, {"route": "ANY /admin/*", "all_of": ["admin"]}, {"route": "$connect", "authenticated": true}]}"#),
                    ("CONTEXT_CLAIMS", "email,groups"),
                ]);
                let runtime = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
                let loader = runtime
                    .block_on(ConfigLoader::from_lookup(|k| vars.get(k).map(|v| (*v).to_owned()), None))
                    .expect("config");
                loader.config()
            })
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    for config in configs() {
        let _ = authorizer::handle_bytes(config, data);
    }
});
