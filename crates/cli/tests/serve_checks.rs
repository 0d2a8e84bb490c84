//! Inputs checks of different users run side by side in `fredbatch serve`: one user whose
//! checks take long (here FRED's check mode, held by the test until it opens a gate) holds up
//! neither another user's job nor more than their own share of the server's checks.

mod common;

use std::path::Path;
use std::time::Duration;

use common::serve::{Server, add_user, api_job_with_model, run_statuses, serve};
use common::{FAKE_FRED_WAITS, Sandbox, TINY_MODEL, wait_for};

/// The line that marks a model whose check the fake FRED holds.
const HELD: &str = "# hold this check\n";

/// How many of one user's checks run at once (`serve`'s per-user bound).
const CHECKS_PER_USER: usize = 2;

/// Alice's jobs: more than the server's checks at once (4), so were her checks bounded only by
/// the server's bound, they would take every slot.
const ALICES_JOBS: u64 = 5;

/// A FRED that is the demo engine, except that checking a model marked [`HELD`] first leaves
/// a file in `started` and then waits until `gate` exists.
fn fred_holding_marked_checks(sandbox: &Sandbox, started: &Path, gate: &Path) -> String {
    std::fs::create_dir_all(started).unwrap();
    let home = sandbox.fred_script(&format!(
        "{FAKE_FRED_WAITS}\
         if [ \"$7\" = \"-c\" ] && grep -q '{held}' \"$2\"; then\n\
             touch {started}/$$\n\
             await_file {gate}\n\
         fi\n\
         exec {fredbatch} demo-fred \"$@\"",
        held = HELD.trim(),
        started = started.display(),
        gate = gate.display(),
        fredbatch = env!("CARGO_BIN_EXE_fredbatch"),
    ));
    home.display().to_string()
}

fn all_are(server: &Server, token: &str, job: i64, status: &str) -> bool {
    let statuses = run_statuses(server, token, job);
    !statuses.is_empty() && statuses.iter().all(|s| s == status)
}

/// Alice's five jobs have checks that do not end until the test says so; Bob's small job,
/// registered after them, is checked and runs to DONE meanwhile. Only two of Alice's checks
/// ever run at once, and once her checks end her jobs run too, each checked once.
#[test]
fn one_users_slow_checks_hold_up_no_other_users_job() {
    let sandbox = Sandbox::new();
    let (started, gate) = (sandbox.path().join("checks"), sandbox.path().join("gate"));
    let fred_home = fred_holding_marked_checks(&sandbox, &started, &gate);
    let alice = add_user(&sandbox, "alice");
    let bob = add_user(&sandbox, "bob");
    let server = serve(&sandbox, &[("FRED_HOME", fred_home)]);
    let slow_model = format!("{TINY_MODEL}{HELD}");
    let alices: Vec<i64> = (0..ALICES_JOBS)
        .map(|n| api_job_with_model(&server, &alice, &["slow"], &[n + 1], &slow_model))
        .collect();
    let checks_started = || std::fs::read_dir(&started).unwrap().count();
    wait_for(
        "alice's checks to be under way",
        Duration::from_secs(60),
        || (checks_started() >= CHECKS_PER_USER).then_some(()),
    );

    let bobs = api_job_with_model(&server, &bob, &["small"], &[1, 2], TINY_MODEL);
    wait_for("bob's job to be DONE", Duration::from_secs(90), || {
        all_are(&server, &bob, bobs, "DONE").then_some(())
    });
    // Alice's checks are still held: none of her runs could start, and no more of her checks
    // than her share ever started.
    assert!(!gate.exists());
    for job in &alices {
        assert!(all_are(&server, &alice, *job, "QUEUED"), "job {job}");
    }
    assert_eq!(checks_started(), CHECKS_PER_USER, "alice's checks at once");

    std::fs::write(&gate, "").unwrap();
    for job in alices {
        wait_for(
            &format!("alice's job {job} to be DONE"),
            Duration::from_secs(90),
            || all_are(&server, &alice, job, "DONE").then_some(()),
        );
    }
    assert_eq!(
        checks_started() as u64,
        ALICES_JOBS,
        "each of alice's models checked once"
    );
}
