//! A typed CloudFormation template: parameters, conditions, resources and outputs, each kept
//! in the order it was added, so the JSON written is the same on every run (stable key order,
//! two-space indentation, a final newline) and reads top-down like the stack it describes.
//!
//! Resource properties are JSON built with [`serde_json::json!`] and the intrinsic functions in
//! [`func`]: CloudFormation's resource schemas are large and open-ended, and cfn-lint checks
//! them against AWS's own specification far better than hand-written types would.

use serde::Serialize;
use serde::ser::SerializeMap;
use serde_json::Value;

/// Named entries kept in insertion order; a name appears at most once.
#[derive(Clone, Debug, PartialEq)]
pub struct Entries<T>(Vec<(String, T)>);

impl<T> Default for Entries<T> {
    fn default() -> Self {
        Entries(Vec::new())
    }
}

impl<T> Entries<T> {
    /// Adds an entry. Two entries of one name are a bug in the stack's builder.
    pub fn add(&mut self, name: &str, value: T) {
        assert!(self.get(name).is_none(), "`{name}` is defined twice");
        self.0.push((name.to_owned(), value));
    }

    pub fn get(&self, name: &str) -> Option<&T> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &T)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v))
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(n, _)| n.as_str())
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<T: Serialize> Serialize for Entries<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in &self.0 {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Template {
    #[serde(rename = "AWSTemplateFormatVersion")]
    pub format_version: &'static str,
    pub description: String,
    #[serde(skip_serializing_if = "Value::is_null")]
    pub metadata: Value,
    #[serde(skip_serializing_if = "Entries::is_empty")]
    pub parameters: Entries<Parameter>,
    #[serde(skip_serializing_if = "Entries::is_empty")]
    pub conditions: Entries<Value>,
    pub resources: Entries<Resource>,
    #[serde(skip_serializing_if = "Entries::is_empty")]
    pub outputs: Entries<Output>,
}

impl Template {
    pub fn new(description: &str) -> Template {
        Template {
            format_version: "2010-09-09",
            description: description.to_owned(),
            ..Template::default()
        }
    }

    /// The template as CloudFormation reads it, byte for byte the same on every run.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("a template always serializes");
        text.push('\n');
        text
    }
}

/// A stack parameter: its type and the constraints CloudFormation checks at deploy time.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Parameter {
    #[serde(rename = "Type")]
    pub kind: String,
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowed_values: Vec<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_pattern: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_value: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_value: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub constraint_description: Option<String>,
}

impl Parameter {
    pub fn of_type(kind: &str, description: &str) -> Parameter {
        Parameter {
            kind: kind.to_owned(),
            description: description.to_owned(),
            ..Parameter::default()
        }
    }

    pub fn string(description: &str) -> Parameter {
        Parameter::of_type("String", description)
    }

    pub fn number(description: &str) -> Parameter {
        Parameter::of_type("Number", description)
    }

    pub fn with_default(mut self, value: impl Into<Value>) -> Parameter {
        self.default = Some(value.into());
        self
    }

    pub fn allowed<V: Into<Value>>(mut self, values: impl IntoIterator<Item = V>) -> Parameter {
        self.allowed_values = values.into_iter().map(Into::into).collect();
        self
    }

    /// A regular expression the value must match, and what to tell someone whose value does not.
    pub fn pattern(mut self, pattern: &str, explanation: &str) -> Parameter {
        self.allowed_pattern = Some(pattern.to_owned());
        self.constraint_description = Some(explanation.to_owned());
        self
    }

    pub fn range(mut self, min: i64, max: i64) -> Parameter {
        self.min_value = Some(min);
        self.max_value = Some(max);
        self
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Resource {
    #[serde(rename = "Type")]
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
    #[serde(skip_serializing_if = "Value::is_null")]
    pub metadata: Value,
    pub properties: Value,
}

impl Resource {
    pub fn new(kind: &str, properties: Value) -> Resource {
        Resource {
            kind: kind.to_owned(),
            condition: None,
            depends_on: Vec::new(),
            metadata: Value::Null,
            properties,
        }
    }

    /// Created only when `condition` holds.
    pub fn when(mut self, condition: &str) -> Resource {
        self.condition = Some(condition.to_owned());
        self
    }

    /// Checks that do not apply to this resource, and why: read by checkov (`checkov.skip`).
    pub fn skip_checks(mut self, checks: &[(&str, &str)]) -> Resource {
        let skips: Vec<Value> = checks
            .iter()
            .map(|(id, why)| serde_json::json!({ "id": id, "comment": why }))
            .collect();
        self.metadata = serde_json::json!({ "checkov": { "skip": skips } });
        self
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Output {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    pub description: String,
    pub value: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub export: Option<Value>,
}

impl Output {
    /// An output exported as `<stack name>-<export>`, for other stacks to import.
    pub fn exported(description: &str, value: Value, export: &str) -> Output {
        Output {
            condition: None,
            description: description.to_owned(),
            value,
            export: Some(
                serde_json::json!({ "Name": func::sub(&format!("${{AWS::StackName}}-{export}")) }),
            ),
        }
    }
}

impl Output {
    /// Given only when `condition` holds (its resources exist).
    pub fn when(mut self, condition: &str) -> Output {
        self.condition = Some(condition.to_owned());
        self
    }
}

/// CloudFormation's intrinsic functions.
pub mod func {
    use serde_json::{Value, json};

    pub fn reference(name: &str) -> Value {
        json!({ "Ref": name })
    }

    pub fn get_att(resource: &str, attribute: &str) -> Value {
        json!({ "Fn::GetAtt": [resource, attribute] })
    }

    pub fn sub(text: &str) -> Value {
        json!({ "Fn::Sub": text })
    }

    pub fn join(delimiter: &str, parts: Vec<Value>) -> Value {
        json!({ "Fn::Join": [delimiter, parts] })
    }

    pub fn select(index: u32, list: Value) -> Value {
        json!({ "Fn::Select": [index.to_string(), list] })
    }

    pub fn split(delimiter: &str, text: Value) -> Value {
        json!({ "Fn::Split": [delimiter, text] })
    }

    pub fn if_(condition: &str, then: Value, otherwise: Value) -> Value {
        json!({ "Fn::If": [condition, then, otherwise] })
    }

    pub fn equals(a: Value, b: Value) -> Value {
        json!({ "Fn::Equals": [a, b] })
    }

    pub fn not(condition: Value) -> Value {
        json!({ "Fn::Not": [condition] })
    }

    /// Leaves a property out (inside `Fn::If`).
    pub fn no_value() -> Value {
        reference("AWS::NoValue")
    }
}

#[cfg(test)]
mod tests;
