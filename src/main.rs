use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = gpmb::cli::Cli::parse();
    gpmb::cli::init_tracing();
    match gpmb::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
