use super::*;
use fredbatch_core::{JobId, RetryStrategy};

fn job() -> JobSpec {
    JobSpec {
        job_id: JobId(7),
        resources: Resources {
            vcpus: 2,
            memory_mb: 3000,
        },
        retry: RetryStrategy::interruptions_only(3, "Host slurm*"),
        attempt_timeout: Duration::from_secs(61),
    }
}

#[test]
fn jobs_of_another_store_are_not_ours() {
    assert!(belongs_to(Some("fredbatch:attempts=3,store=ab12"), "ab12"));
    assert!(!belongs_to(Some("fredbatch:attempts=3,store=ffff"), "ab12"));
    assert!(belongs_to(Some("fredbatch:attempts=3"), "ab12"));
    assert!(belongs_to(None, "ab12"));
    assert!(belongs_to(Some("someone else's"), "ab12"));
}

#[test]
fn the_comment_round_trips() {
    let recorded = Recorded::of(&job());
    assert_eq!(recorded.minutes, 2, "61 s is rounded up to 2 minutes");
    assert_eq!(Recorded::parse(&recorded.comment()), Some(recorded));
    assert_eq!(Recorded::parse("someone else's comment"), None);
    assert_eq!(minutes(Duration::from_secs(5)), 1);
    assert_eq!(minutes(Duration::from_secs(4 * 3600)), 240);
}

#[test]
fn an_array_submission() {
    let mut config = SlurmConfig::new("/opt/fred batch", "/shared/logs");
    config.partition = Some("short".into());
    config.export = Export::Only(vec!["PATH".into(), "FREDBATCH_NOT_SET_ANYWHERE".into()]);
    config.env = vec![("DATABASE_URL".into(), "postgres://db/x".into())];
    config.extra_args = vec!["--constraint=avx2".into()];
    let s = submission(
        &config,
        "fred-job-7-runs-1-3",
        &Shape::Array { tasks: 3 },
        &Recorded::of(&job()),
        &WorkerCommand::array_task(JobId(7), 1),
    );
    for expected in [
        "--parsable",
        "--job-name=fred-job-7-runs-1-3",
        "--no-requeue",
        "--cpus-per-task=2",
        "--mem=3000M",
        "--time=2",
        "--array=0-2",
        "--output=/shared/logs/%A_%a.attempt-1.log",
        "--partition=short",
        "--export=DATABASE_URL,PATH",
        "--constraint=avx2",
    ] {
        assert!(
            s.args.iter().any(|a| a == expected),
            "{expected} in {:?}",
            s.args
        );
    }
    assert!(
        s.script
            .contains("exec '/opt/fred batch' 'worker' '--job-id' '7' '--array-first-run' '1'\n"),
        "{}",
        s.script
    );
    assert!(
        s.script
            .contains("FREDBATCH_BACKEND_JOB_ID=${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}")
    );
    assert_eq!(s.env, config.env);
}

#[test]
fn a_retry_is_a_one_task_array_writing_its_own_attempt_log() {
    let config = SlurmConfig::new("fredbatch", "/logs");
    let s = submission(
        &config,
        "fred-job-7-run-3-attempt-2",
        &Shape::Retry {
            of: "12_2".into(),
            attempt: 2,
        },
        &Recorded::of(&job()),
        &WorkerCommand::array_task(JobId(7), 3),
    );
    assert!(s.args.contains(&"--array=0-0".to_owned()));
    assert!(
        s.args.contains(&"--export=ALL".to_owned()),
        "Slurm's default, explicitly"
    );
    assert!(
        s.args
            .contains(&"--output=/logs/12_2.attempt-2.log".to_owned())
    );
    assert!(s.script.contains("FREDBATCH_BACKEND_JOB_ID='12_2'"));
    assert!(s.script.contains("FREDBATCH_ATTEMPT=2"));
}
