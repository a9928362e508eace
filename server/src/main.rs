use std::process::ExitCode;

fn main() -> ExitCode {
    server::init_tracing();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("pruuf: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let args: Vec<String> = std::env::args().collect();
    let command = args.get(1).cloned();
    let outcome = runtime.block_on(async {
        match command.as_deref() {
            None | Some("serve") => server::serve().await,
            Some("migrate") => server::migrate_only().await,
            Some("dead-letters") => server::dead_letters(&args[2..]).await,
            Some("admin") => server::admin::command(&args[2..]).await,
            Some("audit") => server::admin::audit(&args[2..]).await,
            Some(other) => {
                eprintln!(
                    "pruuf: unknown command `{other}`; use `serve` (default), `migrate`, `dead-letters`, `admin` or `audit`"
                );
                std::process::exit(2);
            }
        }
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pruuf: {e}");
            ExitCode::FAILURE
        }
    }
}
