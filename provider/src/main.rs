//! The provider binary: Terraform starts it; `--debug` serves it for a debugger or a shell.

use std::process::ExitCode;

use dbre_provider::plugin::{self, Mode};
use dbre_provider::resources::DbreProvider;
use dbre_provider::tf::ProviderService;

fn main() -> ExitCode {
    let mut mode = Mode::Managed;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--debug" | "-debug" => mode = Mode::Debug,
            "--version" | "-version" => {
                println!("terraform-provider-dbre {}", env!("CARGO_PKG_VERSION"));
                return ExitCode::SUCCESS;
            }
            "--help" | "-h" => {
                println!(
                    "terraform-provider-dbre {}\n\nA Terraform provider; Terraform runs it.\n\n\
                     Options:\n  --debug    serve for a debugger and print TF_REATTACH_PROVIDERS\n  \
                     --version  print the version",
                    env!("CARGO_PKG_VERSION")
                );
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("terraform-provider-dbre: unknown argument {other:?} (try --help)");
                return ExitCode::from(2);
            }
        }
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("terraform-provider-dbre: starting the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(plugin::serve(ProviderService::new(DbreProvider), mode))
}
