//! Deploying with the AWS CLI instead of Sceptre (`aws cloudformation create-stack --parameters
//! file://config/<env>/batch-infrastructure-params.json`): its parameter files are generated
//! from the Sceptre files and kept in step with them.

use std::path::Path;

use fredbatch_infra::project::Project;
use fredbatch_infra::stacks::Environment;

#[test]
fn the_aws_cli_parameter_files_match_the_sceptre_files() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../infrastructure");
    let project = Project::load(&root).unwrap();
    let bless = std::env::var_os("FREDBATCH_BLESS").is_some();
    for env in Environment::ALL {
        let stack = project
            .stack(&format!("{env}/batch-infrastructure.yaml"))
            .unwrap();
        let generated = project.cli_parameters(stack);
        let file = root.join(format!("config/{env}/batch-infrastructure-params.json"));
        if bless {
            std::fs::write(&file, &generated).unwrap();
            continue;
        }
        let committed = std::fs::read_to_string(&file).unwrap_or_default();
        assert!(
            committed == generated,
            "{} is out of step with the Sceptre file; regenerate it with \
             `FREDBATCH_BLESS=1 cargo test -p fredbatch-infra --test parameters`",
            file.display()
        );
        let parsed: serde_json::Value = serde_json::from_str(&committed).unwrap();
        let keys: Vec<&str> = parsed
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["ParameterKey"].as_str().unwrap())
            .collect();
        for key in [
            "VpcId",
            "SubnetIds",
            "ECRRepositoryUri",
            "DatabaseSecretArn",
        ] {
            assert!(keys.contains(&key), "{env}: {key} missing from {keys:?}");
        }
        assert!(committed.contains("$FREDBATCH_VPC_ID"));
    }
}
