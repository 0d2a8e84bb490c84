//! `fredbatch serve`'s files are its owner's only: the store (it holds the URL signing key),
//! storage and everything its workers write; a store others can read is refused.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use common::serve::{add_user, api_job, run_statuses, serve};
use common::{Sandbox, text, wait_for};

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .unwrap()
        .permissions()
        .mode()
        & 0o777
}

/// Every file and folder under `dir` that others than its owner may use.
fn shared_under(dir: &Path) -> Vec<String> {
    let mut shared = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(path) = pending.pop() {
        let metadata = std::fs::symlink_metadata(&path).unwrap();
        if metadata.file_type().is_symlink() {
            continue;
        }
        if mode(&path) & 0o077 != 0 {
            shared.push(format!("{} {:o}", path.display(), mode(&path)));
        }
        if metadata.is_dir() {
            pending.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        }
    }
    shared
}

#[test]
fn the_store_storage_and_workers_files_are_the_owners_only() {
    let sandbox = Sandbox::new();
    let alice = add_user(&sandbox, "alice");
    let database = sandbox.home().join("fredbatch.db");
    assert_eq!(mode(&sandbox.home()), 0o700);
    assert_eq!(mode(&database), 0o600);

    let server = serve(&sandbox, &[]);
    let job = api_job(&server, &alice, &["private"], &[1, 2], true);
    wait_for("the runs to finish", Duration::from_secs(120), || {
        (run_statuses(&server, &alice, job) == ["DONE", "DONE"]).then_some(())
    });
    assert!(sandbox.home().join("results").is_dir());
    let shared = shared_under(&sandbox.home());
    assert!(shared.is_empty(), "readable by others: {shared:#?}");
}

#[test]
fn a_store_others_can_read_is_refused_naming_the_fix() {
    let sandbox = Sandbox::new();
    add_user(&sandbox, "alice");
    let database = sandbox.home().join("fredbatch.db");
    std::fs::set_permissions(&database, std::fs::Permissions::from_mode(0o644)).unwrap();
    let output = sandbox.run(&["serve", "--listen", "127.0.0.1:0"]);
    let said = text(&output.stderr);
    assert!(!output.status.success(), "{said}");
    assert!(
        said.contains(&format!("chmod 600 {}", database.display())),
        "{said}"
    );
    // Fixed as told, it starts.
    std::fs::set_permissions(&database, std::fs::Permissions::from_mode(0o600)).unwrap();
    serve(&sandbox, &[]);
}
