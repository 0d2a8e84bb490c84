use super::*;
use serde_json::json;

#[test]
fn output_keeps_the_order_entries_were_added_in_and_ends_with_a_newline() {
    let mut template = Template::new("t");
    template
        .parameters
        .add("Zeta", Parameter::string("last letter").with_default("z"));
    template
        .parameters
        .add("Alpha", Parameter::number("first letter").range(1, 3));
    template.resources.add(
        "Queue",
        Resource::new("AWS::Batch::JobQueue", json!({ "Priority": 1 })),
    );
    let text = template.to_json();
    assert!(text.ends_with("}\n"));
    assert!(text.find("\"Zeta\"").unwrap() < text.find("\"Alpha\"").unwrap());
    assert!(!text.contains("Conditions"), "empty sections are left out");
    assert_eq!(text, template.clone().to_json(), "the same every time");
    let parsed: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(parsed["Parameters"]["Alpha"]["MinValue"], 1);
    assert_eq!(parsed["AWSTemplateFormatVersion"], "2010-09-09");
}

#[test]
#[should_panic(expected = "`Queue` is defined twice")]
fn a_name_defined_twice_is_a_bug() {
    let mut resources = Entries::default();
    resources.add("Queue", 1);
    resources.add("Queue", 2);
}

#[test]
fn exports_are_named_after_the_stack() {
    let output = Output::exported("d", func::reference("Queue"), "JobQueueArn");
    assert_eq!(
        serde_json::to_value(&output).unwrap()["Export"]["Name"],
        json!({ "Fn::Sub": "${AWS::StackName}-JobQueueArn" })
    );
}
