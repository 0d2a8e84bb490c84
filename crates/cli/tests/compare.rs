//! `fredbatch compare`: a sweep's configurations against a baseline, paired by replicate.

mod common;

use common::{Sandbox, text};

#[test]
fn configurations_are_compared_with_the_baseline_on_paired_replicates() {
    let sandbox = Sandbox::new();
    let model = sandbox.tiny_model();
    let run = sandbox.run(&[
        "run",
        model.to_str().unwrap(),
        "--runs",
        "4",
        "--sweep",
        "INF.transmissibility=0.5,3",
    ]);
    assert!(run.status.success(), "{}", text(&run.stderr));

    let compared = sandbox.json(&["compare", "1"]);
    assert_eq!(compared["baseline"], 1);
    let higher = &compared["configs"][0];
    assert_eq!(higher["config"], 2);
    assert_eq!(higher["pairs"], 4, "{compared}");
    let [low, median, high] = [0, 1, 2].map(|i| higher["attack_rate"][i].as_f64().unwrap());
    assert!(low <= median && median <= high, "{higher}");
    assert!(
        median > 0.0,
        "six times the transmissibility infects more: {higher}"
    );

    let reversed = sandbox.json(&["compare", "1", "--baseline", "2"]);
    assert!(reversed["configs"][0]["attack_rate"][1].as_f64().unwrap() < 0.0);
    let shown = text(&sandbox.run(&["compare", "1"]).stdout);
    assert!(shown.contains("Compared with configuration 1"), "{shown}");
    assert!(shown.contains("pts"), "{shown}");

    let out_of_range = sandbox.run(&["compare", "1", "--baseline", "5"]);
    assert!(!out_of_range.status.success());
    assert!(
        text(&out_of_range.stderr).contains("--baseline 5: the job's configurations are 1 to 2"),
        "{}",
        text(&out_of_range.stderr)
    );
}
