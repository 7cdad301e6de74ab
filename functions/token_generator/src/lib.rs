//! The parts of the token issuer that read untrusted bytes before anything else does, as a
//! library so that fuzz targets and benchmarks reach them: the API Gateway event decoding.
//! The rest of the function is the binary (main.rs).

pub mod event;
