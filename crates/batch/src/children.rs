//! How AWS Batch holds fredbatch's array jobs (planned by [`fredbatch_core::backend_jobs`]):
//! an array has 2 to 10,000 children; child `i` runs run number `first + i`, reading `i` from
//! `AWS_BATCH_JOB_ARRAY_INDEX`, and its id is `<parent id>:<i>`, AWS's own form.

use fredbatch_core::BackendJobId;

/// AWS Batch's largest array.
pub const MAX_ARRAY: usize = 10_000;

/// The id of child `index` of the array job `parent`.
pub fn child_id(parent: &str, index: u32) -> BackendJobId {
    BackendJobId(format!("{parent}:{index}"))
}

/// Splits a child id into its parent and index; `None` for a plain job id.
pub fn split_child(id: &str) -> Option<(&str, u32)> {
    let (parent, index) = id.rsplit_once(':')?;
    // Job ids are UUIDs; an ARN also contains ':' but never ends in a bare number after one.
    (!parent.is_empty() && !parent.starts_with("arn:"))
        .then_some(())
        .and_then(|_| index.parse().ok().map(|i| (parent, i)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn child_ids_round_trip() {
        let id = child_id("3f2a-uuid", 9);
        assert_eq!(id.0, "3f2a-uuid:9");
        assert_eq!(split_child(&id.0), Some(("3f2a-uuid", 9)));
        assert_eq!(split_child("3f2a-uuid"), None);
        assert_eq!(
            split_child("arn:aws:batch:us-east-1:1:job/x"),
            None,
            "an ARN is not a child id"
        );
    }
}
