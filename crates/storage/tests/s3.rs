//! Storage on S3, against the moto server the test command starts (FREDBATCH_TEST_MOTO_URL).

use fredbatch_storage::{Storage, StorageError, UrlMethod};
use fredbatch_testkit::{aws_env, create_bucket, fake_authorization, moto_request};

/// The object's ETag: S3 gives an object uploaded in N parts an ETag ending in `-N`.
fn etag(bucket: &str, key: &str) -> String {
    let response = moto_request(
        "HEAD",
        &format!("/{bucket}/{key}"),
        &[("Authorization", &fake_authorization("s3"))],
        "",
    );
    assert!(
        response.starts_with("HTTP/1.1 200"),
        "HEAD {key}: {response}"
    );
    response
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("etag")
                .then(|| value.trim().trim_matches('"').to_owned())
        })
        .unwrap_or_else(|| panic!("no ETag for {key}: {response}"))
}

/// Points the AWS environment at the emulator. Every test sets the same values, before any
/// storage is built.
fn s3_env() {
    for (name, value) in aws_env() {
        unsafe_env(name, &value);
    }
}

fn unsafe_env(name: &str, value: &str) {
    if std::env::var(name).as_deref() != Ok(value) {
        // SAFETY: nextest runs each test in its own process, and this runs before any thread
        // of ours reads the environment.
        #[allow(unsafe_code)]
        unsafe {
            std::env::set_var(name, value)
        };
    }
}

#[tokio::test]
async fn large_files_go_to_s3_in_parts_and_small_ones_in_one_request() {
    s3_env();
    let bucket = create_bucket("results");
    let storage = Storage::open(&format!("s3://{bucket}/team-a")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("big.bin");
    // Larger than one part, so the upload is a real multipart upload.
    let data: Vec<u8> = (0..(9 * 1024 * 1024 + 17))
        .map(|i| (i % 253) as u8)
        .collect();
    std::fs::write(&source, &data).unwrap();
    assert_eq!(
        storage
            .put_file("job-1/run-1/attempt-1/out.bin", &source)
            .await
            .unwrap(),
        data.len() as u64
    );
    let small = dir.path().join("out.csv");
    std::fs::write(&small, "Day,C\n0,1\n").unwrap();
    assert_eq!(
        storage
            .put_file("job-1/run-1/attempt-1/out.csv", &small)
            .await
            .unwrap(),
        10
    );
    let listed = storage.list("job-1/run-1").await.unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].key, "job-1/run-1/attempt-1/out.bin");
    assert_eq!(listed[0].size, data.len() as u64);
    assert_eq!(listed[1].size, 10);
    let parts = |key: &str| etag(&bucket, &format!("team-a/job-1/run-1/attempt-1/{key}"));
    assert!(parts("out.bin").ends_with("-2"), "{}", parts("out.bin"));
    assert!(
        !parts("out.csv").contains('-'),
        "one request: {}",
        parts("out.csv")
    );
    let copy = dir.path().join("copy.bin");
    storage
        .get_file("job-1/run-1/attempt-1/out.bin", &copy)
        .await
        .unwrap();
    assert_eq!(std::fs::read(&copy).unwrap(), data);
    assert_eq!(
        storage.describe("job-1/x"),
        format!("s3://{bucket}/team-a/job-1/x")
    );
}

#[tokio::test]
async fn a_missing_key_names_what_is_missing() {
    s3_env();
    let bucket = create_bucket("uploads");
    let storage = Storage::open(&format!("s3://{bucket}")).unwrap();
    let error = storage.get_bytes("job-9/job_input.zip").await.unwrap_err();
    assert!(matches!(error, StorageError::NotFound { .. }), "{error}");
    assert!(error.to_string().contains("job-9/job_input.zip"));
}

#[tokio::test]
async fn presigned_urls_let_a_client_without_credentials_put_and_get_one_object() {
    s3_env();
    let bucket = create_bucket("presigned");
    let storage = Storage::open(&format!("s3://{bucket}/uploads")).unwrap();
    let expiry = std::time::Duration::from_secs(600);
    let put = storage
        .presigned_url(UrlMethod::Put, "jobs/1/job_input.zip", expiry)
        .await
        .expect("S3 signs URLs")
        .unwrap();
    assert!(
        put.contains(&format!("/{bucket}/uploads/jobs/1/job_input.zip?")),
        "{put}"
    );
    assert!(
        put.contains("X-Amz-Expires=600") && put.contains("X-Amz-Signature="),
        "{put}"
    );
    // The client sends the bytes with no credentials of its own: the URL is the authority.
    let path = &put[put.find(&format!("/{bucket}/")).unwrap()..];
    let answer = moto_request("PUT", path, &[], "the archive");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert_eq!(
        storage.get_bytes("jobs/1/job_input.zip").await.unwrap(),
        "the archive"
    );
    assert!(storage.exists("jobs/1/job_input.zip").await.unwrap());
    assert!(!storage.exists("jobs/1/other.zip").await.unwrap());
    let get = storage
        .presigned_url(UrlMethod::Get, "jobs/1/job_input.zip", expiry)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(get, put, "a URL is bound to its method");
    let path = &get[get.find(&format!("/{bucket}/")).unwrap()..];
    let answer = moto_request("GET", path, &[], "");
    assert!(
        answer.starts_with("HTTP/1.1 200") && answer.ends_with("the archive"),
        "{answer}"
    );
    // A local folder signs nothing: the server serves those URLs itself.
    let local = tempfile::tempdir().unwrap();
    assert!(
        Storage::local(local.path())
            .unwrap()
            .presigned_url(UrlMethod::Get, "x", expiry)
            .await
            .is_none()
    );
}
