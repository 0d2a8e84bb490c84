//! `fredbatch infra`: the AWS Batch stack as code (owned by the infrastructure work).

/// Generate, validate and deploy the AWS Batch stack and the stacks it depends on.
#[derive(clap::Args, Debug)]
pub struct InfraArgs {}

pub async fn run(
    _args: InfraArgs,
    _ctx: &crate::Context,
) -> anyhow::Result<std::process::ExitCode> {
    anyhow::bail!("`fredbatch infra` is not available in this build yet")
}
