//! `example-service`: a small resource server validating bearer tokens with jsonwebtoken 12
//! against a jwt-harness policy file and a JWK Set URL, the reference service of the README's
//! "Five steps against the example service" and one of `cargo xtask gateways`' HTTP targets
//! (`fixtures/backends/example-service.toml`).
//!
//! ```sh
//! example-service --port 8080 --policy fixtures/policies/rs256.toml \
//!     --jwks http://127.0.0.1:8089/.well-known/jwks.json [--key-cache-s 5]
//! ```
//!
//! It listens on 127.0.0.1 only. Every path needs a token ([`service`]); the keys are fetched
//! from `--jwks` on first use and kept `--key-cache-s` seconds ([`keys`]); what a token must
//! satisfy comes from the policy file ([`policy`]). One line per request and per key fetch goes
//! to standard error, never a token. Exit codes: 2 for a bad flag or policy file (one line), 1
//! when the port cannot be bound.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod keys;
mod policy;
mod service;

use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// The command line.
#[derive(Parser)]
#[command(
    name = "example-service",
    version,
    about = "A reference resource server for jwt-harness: axum + jsonwebtoken on 127.0.0.1"
)]
struct Args {
    /// The TCP port to listen on (127.0.0.1 only).
    #[arg(long)]
    port: u16,
    /// The jwt-harness policy file to enforce (algorithms, issuer, audience, leeway, required
    /// claims).
    #[arg(long)]
    policy: PathBuf,
    /// The JWK Set URL the keys come from (fetched on first use).
    #[arg(long)]
    jwks: String,
    /// Seconds a fetched JWK Set is kept before it is fetched again.
    #[arg(long, default_value_t = 5)]
    key_cache_s: u64,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let app = match setup(&args) {
        Ok(app) => app,
        Err(e) => {
            eprintln!("example-service: error: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("example-service: error: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(serve(args.port, app)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("example-service: error: {e}");
            ExitCode::from(1)
        }
    }
}

/// The policy and the key source, checked before anything listens.
fn setup(args: &Args) -> Result<Arc<service::App>, String> {
    let policy = policy::Policy::load(&args.policy)?;
    let keys = keys::KeySource::new(&args.jwks, Duration::from_secs(args.key_cache_s))?;
    Ok(Arc::new(service::App { policy, keys }))
}

/// Listens on 127.0.0.1:`port` until the process is stopped.
async fn serve(port: u16, app: Arc<service::App>) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| format!("cannot listen on 127.0.0.1:{port}: {e}"))?;
    eprintln!(
        "example-service: listening on http://127.0.0.1:{port}/ (algorithms {:?}, keys from {})",
        app.policy.algorithms,
        app.keys.url()
    );
    axum::serve(listener, service::router(app))
        .await
        .map_err(|e| format!("the server stopped: {e}"))
}
