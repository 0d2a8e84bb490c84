//! What `fredbatch serve` does when it cannot supervise: a server whose store lock another
//! process took over stops at once and exits non-zero naming the new holder; a job whose
//! inputs cannot be checked says why in the server's log and in its runs' status reason.

mod common;

use std::time::Duration;

use common::serve::{add_user, api_job, serve};
use common::{Sandbox, runs, wait_for};
use fredbatch_store::{LockHolder, Store};

/// Whether the server said a line containing `text` on stderr.
fn said(server: &common::serve::Server, text: &str) -> bool {
    server
        .said
        .lock()
        .unwrap()
        .iter()
        .any(|line| line.contains(text))
}

#[test]
fn a_server_whose_lock_is_taken_over_stops_and_exits_non_zero_naming_the_holder() {
    let sandbox = Sandbox::new();
    let mut server = serve(&sandbox, &[]);
    // Another process takes the lock over (as one would from a holder it found gone).
    let intruder = LockHolder {
        holder: "intruder".into(),
        host: "elsewhere.example".into(),
        pid: 4242,
        listen: "10.9.8.7:8787".into(),
    };
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let store = Store::open(&Store::sqlite_url(&sandbox.home()))
            .await
            .unwrap();
        store
            .acquire_server_lock(
                "serve",
                &intruder,
                chrono::Duration::seconds(30),
                |_| true,
                chrono::Utc::now(),
            )
            .await
            .expect("taking the lock over");
        store.close().await;
    });
    let exit = wait_for(
        "the server to stop after losing its lock",
        Duration::from_secs(30),
        || server.child.try_wait().unwrap(),
    );
    assert!(!exit.success(), "a server that lost its lock exited {exit}");
    wait_for(
        "the server to name the new holder",
        Duration::from_secs(10),
        || {
            said(
            &server,
            "took over this store's lock: pid 4242 on elsewhere.example, listening on 10.9.8.7:8787",
        )
        .then_some(())
        },
    );
}

#[test]
fn a_job_whose_inputs_cannot_be_checked_says_why_in_the_log_and_in_its_runs() {
    let sandbox = Sandbox::new();
    // Where uploaded archives are checked is a file: no check can be made there.
    let checks = sandbox.home().join("server/checks");
    std::fs::create_dir_all(checks.parent().unwrap()).unwrap();
    std::fs::write(&checks, "not a folder").unwrap();
    let token = add_user(&sandbox, "alice");
    let server = serve(&sandbox, &[]);
    let job = api_job(&server, &token, &["stuck"], &[1, 2], true);
    let why = format!(
        "cannot use the scratch folder {} to check inputs",
        checks.display()
    );
    let reasons = wait_for(
        "the runs to say why they wait",
        Duration::from_secs(30),
        || {
            let status = sandbox.json(&["status", &job.to_string()]);
            let runs = runs(&status);
            runs.iter()
                .all(|(_, _, reason)| reason.contains(&why))
                .then_some(runs)
        },
    );
    assert!(
        reasons.iter().all(|(status, _, _)| status == "QUEUED"),
        "the runs wait, they are not failed: {reasons:?}"
    );
    wait_for("the log to say why", Duration::from_secs(10), || {
        said(&server, &why).then_some(())
    });
}
