//! A job definition the SDK cannot read (as moto's or an old Batch's answer can be): the error
//! says so in one short line, never with the raw HTTP response.

use fredbatch_batch::definition::{lookup, unreadable_warning};
use serde_json::json;

use crate::support::moto::{Setup, clients, moto_url};
use crate::support::proxy::{Action, Proxy};

#[tokio::test]
async fn an_unparseable_definition_is_one_line_that_says_what_could_not_be_read() {
    let setup = Setup::create().await;
    let padding = "raw-answer-".repeat(500);
    let proxy = Proxy::with_rule(&moto_url(), {
        let padding = padding.clone();
        Box::new(move |seen, _| match seen.operation.as_str() {
            "DescribeJobDefinitions" => {
                let padding = padding.clone();
                Action::Rewrite(Box::new(move |answer| {
                    answer["jobDefinitions"][0]["revision"] = json!("not a number");
                    answer["jobDefinitions"][0]["schedulingPriority"] = json!(padding);
                }))
            }
            _ => Action::Forward,
        })
    })
    .await;
    let batch = clients(&proxy.url).await.batch;

    let error = lookup(&batch, &setup.definition_arn).await.unwrap_err();
    let warning = unreadable_warning(&setup.definition_arn, &error);

    let prefix = format!(
        "cannot read job definition {}: the response could not be parsed (",
        setup.definition_arn
    );
    assert!(warning.starts_with(&prefix), "{warning}");
    assert!(warning.ends_with("); assuming it has no tags"), "{warning}");
    assert!(!warning.contains('\n'), "one line: {warning}");
    assert!(
        !warning.contains("raw-answer") && warning.len() < prefix.len() + 300,
        "no raw response in: {warning}"
    );
}
