use super::*;

#[tokio::test]
async fn files_round_trip_through_a_local_location() {
    let root = tempfile::tempdir().unwrap();
    let storage = Storage::open(root.path().join("results").to_str().unwrap()).unwrap();
    let source = root.path().join("big.bin");
    let data: Vec<u8> = (0..(PART_SIZE * 2 + 123))
        .map(|i| (i % 251) as u8)
        .collect();
    std::fs::write(&source, &data).unwrap();
    assert_eq!(
        storage
            .put_file("results/1/2/out.bin", &source)
            .await
            .unwrap(),
        data.len() as u64
    );
    storage
        .put_bytes("results/1/2/small.txt", "hello")
        .await
        .unwrap();
    let listed = storage.list("results/1").await.unwrap();
    assert_eq!(
        listed,
        vec![
            StoredObject {
                key: "results/1/2/out.bin".into(),
                size: data.len() as u64
            },
            StoredObject {
                key: "results/1/2/small.txt".into(),
                size: 5
            },
        ]
    );
    let copy = root.path().join("copy/out.bin");
    storage
        .get_file("results/1/2/out.bin", &copy)
        .await
        .unwrap();
    assert_eq!(std::fs::read(&copy).unwrap(), data);
    assert_eq!(
        storage.get_bytes("results/1/2/small.txt").await.unwrap(),
        "hello"
    );
    storage.delete_prefix("results/1").await.unwrap();
    assert!(storage.list("results").await.unwrap().is_empty());
}

#[tokio::test]
async fn missing_keys_and_unknown_schemes_say_what_is_wrong() {
    let root = tempfile::tempdir().unwrap();
    let storage = Storage::local(root.path()).unwrap();
    let error = storage.get_bytes("jobs/9/job_input.zip").await.unwrap_err();
    assert!(matches!(error, StorageError::NotFound { .. }), "{error}");
    assert!(error.to_string().contains("jobs/9/job_input.zip"));
    let error = Storage::open("ftp://host/x").unwrap_err();
    assert!(error.to_string().contains("not a storage location"));
}
