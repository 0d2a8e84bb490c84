//! Progress of a job on stderr: a live bar on a terminal (counts per status, elapsed, ETA),
//! plain lines otherwise (one when the counts change, at most every few seconds), nothing in
//! JSON mode so scripts read a clean stdout.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use fredbatch_store::StatusCounts;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Plain progress lines are written at most this often.
const PLAIN_EVERY: Duration = Duration::from_secs(5);

pub struct Progress {
    mode: Mode,
    started: Instant,
}

enum Mode {
    Bar(ProgressBar),
    Plain {
        last: Option<(Instant, StatusCounts)>,
    },
    Quiet,
}

impl Progress {
    /// A bar on a terminal, plain lines otherwise, or nothing when `quiet`.
    pub fn new(total: u32, quiet: bool) -> Progress {
        let mode = if quiet {
            Mode::Quiet
        } else if std::io::stderr().is_terminal() {
            let bar =
                ProgressBar::with_draw_target(Some(u64::from(total)), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{elapsed_precise} [{bar:30.cyan/blue}] {pos}/{len} ended  {msg}  ETA {eta}",
                )
                .expect("valid template")
                .progress_chars("=> "),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            Mode::Bar(bar)
        } else {
            Mode::Plain { last: None }
        };
        Progress {
            mode,
            started: Instant::now(),
        }
    }

    pub fn update(&mut self, counts: &StatusCounts) {
        let elapsed = self.started.elapsed();
        match &mut self.mode {
            Mode::Bar(bar) => {
                bar.set_position(u64::from(counts.finished()));
                bar.set_message(counts.summary());
            }
            Mode::Plain { last } => {
                let due = match last {
                    None => true,
                    Some((at, previous)) => {
                        previous != counts
                            && (at.elapsed() >= PLAIN_EVERY || counts.finished() == counts.total())
                    }
                };
                if due {
                    eprintln!(
                        "[{:>5}s] {}/{} ended: {}",
                        elapsed.as_secs(),
                        counts.finished(),
                        counts.total(),
                        counts.summary()
                    );
                    *last = Some((Instant::now(), *counts));
                }
            }
            Mode::Quiet => {}
        }
    }

    /// A message that does not tear the bar.
    pub fn println(&self, message: &str) {
        match &self.mode {
            Mode::Bar(bar) => bar.println(message),
            Mode::Plain { .. } => eprintln!("{message}"),
            Mode::Quiet => {}
        }
    }

    pub fn finish(&self) {
        if let Mode::Bar(bar) = &self.mode {
            bar.finish_and_clear();
        }
    }
}
