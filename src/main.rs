use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let invocation = match sls_rs::cli::parse(args) {
        Ok(inv) => inv,
        // clap prints usage errors (exit 2) and --help/--version (exit 0) itself.
        Err(e) => e.exit(),
    };
    match sls_rs::commands::run(invocation) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprint!("{}", e.render());
            ExitCode::from(e.exit_code() as u8)
        }
    }
}
