//! `fredbatch completions SHELL`: tab completion for the commands and their flags.

use std::process::ExitCode;

use clap::CommandFactory;
use clap_complete::Shell;

/// Print a shell completion script, e.g. `fredbatch completions bash > ~/.local/share/bash-completion/completions/fredbatch`.
#[derive(clap::Args, Debug)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    pub shell: Shell,
}

pub fn run(args: CompletionsArgs) -> ExitCode {
    let mut command = crate::Cli::command();
    clap_complete::generate(
        args.shell,
        &mut command,
        "fredbatch",
        &mut std::io::stdout(),
    );
    ExitCode::SUCCESS
}
