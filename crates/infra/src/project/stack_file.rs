//! Reading the project's YAML files the way Sceptre reads them: `template` (or the older
//! `template_path`), `dependencies`, `parameters` with the `!stack_output` and
//! `!environment_variable` resolvers, and `stack_tags`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_norway::Value;

use super::{ParameterValue, ProjectError, StackConfig};

pub(super) fn read_yaml(path: &Path) -> Result<Value, ProjectError> {
    let text = std::fs::read_to_string(path).map_err(|e| ProjectError::Read {
        path: path.to_owned(),
        message: e.to_string(),
    })?;
    serde_norway::from_str(&text).map_err(|e| ProjectError::Malformed {
        path: path.to_owned(),
        message: e.to_string(),
    })
}

pub(super) fn yaml_files(dir: &Path) -> Result<Vec<PathBuf>, ProjectError> {
    let unreadable = |e: std::io::Error| ProjectError::Read {
        path: dir.to_owned(),
        message: e.to_string(),
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(unreadable)? {
        let path = entry.map_err(unreadable)?.path();
        if path.is_dir() {
            files.extend(yaml_files(&path)?);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

pub(super) fn parse_stack(path: &str, yaml: &Value) -> Result<StackConfig, String> {
    let template = match yaml.get("template") {
        Some(Value::Mapping(template)) => template
            .get("path")
            .and_then(Value::as_str)
            .map(str::to_owned),
        _ => yaml
            .get("template_path")
            .and_then(Value::as_str)
            .map(str::to_owned),
    }
    .ok_or("no template (give `template: {path: ..., type: file}`)")?;
    let mut dependencies: BTreeSet<String> = match yaml.get("dependencies") {
        None => BTreeSet::new(),
        Some(Value::Sequence(list)) => list
            .iter()
            .map(|d| {
                d.as_str()
                    .map(str::to_owned)
                    .ok_or("dependencies must be stack paths")
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err("dependencies must be a list of stack paths".into()),
    };
    let mut parameters = BTreeMap::new();
    if let Some(map) = yaml.get("parameters") {
        let Value::Mapping(map) = map else {
            return Err("parameters must be a mapping".into());
        };
        for (key, value) in map {
            let key = key
                .as_str()
                .ok_or("parameter names must be text")?
                .to_owned();
            let value = parameter(value).map_err(|e| format!("parameter {key}: {e}"))?;
            if let ParameterValue::StackOutput { stack, .. } = &value {
                dependencies.insert(stack.clone());
            }
            parameters.insert(key, value);
        }
    }
    let tags = match yaml.get("stack_tags") {
        Some(Value::Mapping(map)) => map
            .iter()
            .filter_map(|(k, v)| Some((k.as_str()?.to_owned(), scalar(v)?)))
            .collect(),
        _ => BTreeMap::new(),
    };
    Ok(StackConfig {
        path: path.to_owned(),
        template,
        parameters,
        dependencies,
        tags,
    })
}

fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn parameter(value: &Value) -> Result<ParameterValue, String> {
    if let Value::Tagged(tagged) = value {
        let argument = tagged
            .value
            .as_str()
            .ok_or_else(|| format!("{} needs a text argument", tagged.tag))?;
        return match tagged.tag.to_string().as_str() {
            "!stack_output" => {
                let (stack, output) = argument
                    .split_once("::")
                    .ok_or("!stack_output takes STACK_PATH::OUTPUT")?;
                Ok(ParameterValue::StackOutput {
                    stack: stack.to_owned(),
                    output: output.to_owned(),
                })
            }
            "!environment_variable" => Ok(ParameterValue::EnvironmentVariable(argument.to_owned())),
            other => Err(format!("unsupported resolver {other}")),
        };
    }
    scalar(value)
        .map(ParameterValue::Text)
        .ok_or_else(|| "must be text, a number, !stack_output or !environment_variable".into())
}

#[cfg(test)]
mod tests {
    use super::super::Project;
    use super::*;
    use crate::stacks::Environment;

    #[test]
    fn malformed_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("config/dev")).unwrap();
        std::fs::write(
            dir.path().join("config/config.yaml"),
            "project_code: p\nregion: us-east-1\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("config/dev/a.yaml"),
            "template: [unclosed\n",
        )
        .unwrap();
        let error = Project::load(dir.path()).unwrap_err();
        assert!(
            matches!(&error, ProjectError::Malformed { path, .. } if path.ends_with("dev/a.yaml")),
            "{error}"
        );
        std::fs::write(
            dir.path().join("config/dev/a.yaml"),
            "template:\n  path: a.json\ndependencies: [dev/b.yaml]\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("config/dev/b.yaml"),
            "template:\n  path: b.json\nparameters:\n  X: !stack_output dev/a.yaml::Out\n",
        )
        .unwrap();
        let project = Project::load(dir.path()).unwrap();
        assert!(matches!(
            project.deployment_order(Environment::Dev),
            Err(ProjectError::Cycle(_))
        ));
    }
}
