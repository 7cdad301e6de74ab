//! Fuzzes the token issuer's event decoding from raw event bytes to response bytes: the API
//! Gateway event (REST and HTTP API) made an HTTP request and a response encoded back, where
//! lambda_http's own conversion panics on hostile events. Run: see docs/authorizer.md (Fuzzing).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = token_generator::event::round_trip(data);
});
