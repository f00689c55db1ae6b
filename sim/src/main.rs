//! The `tasklane-sim` binary: parses the command line, starts the server and prints
//! `tasklane-sim listening on http://ADDR` as its first stdout line.

use tasklane_sim::{config::USAGE, Config, ConfigError};

#[tokio::main]
async fn main() {
    let cfg = match Config::from_args(std::env::args().skip(1)) {
        Ok(c) => c,
        Err(ConfigError::Help) => {
            print!("{USAGE}");
            return;
        }
        Err(e) => {
            eprintln!("tasklane-sim: {e} [{}]", e.code());
            std::process::exit(2);
        }
    };
    let sim = match tasklane_sim::start(cfg).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("tasklane-sim: cannot listen: {e}");
            std::process::exit(1);
        }
    };
    // Rust's stdout is line-buffered, so this line reaches a pipe at once.
    println!("tasklane-sim listening on {}", sim.url());
    std::future::pending::<()>().await;
}
