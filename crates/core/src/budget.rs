//! A job's budget: what its runs may cost in all, in dollars at AWS prices (`--budget`) or in
//! CPU-hours reserved (`--budget-cpu-hours`, for Slurm and this machine).
//!
//! Terms:
//! - **spent**: what the job's ended attempts cost (every attempt counts, interrupted and
//!   failed ones too: they were paid for);
//! - **committed**: what its running attempts will cost if they run as long as its measured
//!   runs did (their expected cost);
//! - a run **starts** only while spent + committed + its own expected cost stays within the
//!   budget; runs that cannot end CANCELLED with the reason [`BUDGET_REACHED`].

use std::fmt;

use serde::{Deserialize, Serialize};

/// The status reason of runs a budget kept from starting.
pub const BUDGET_REACHED: &str = "budget reached";

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Budget {
    /// US dollars at AWS prices (Spot for a Spot queue).
    Usd(f64),
    /// CPU-hours reserved: vCPUs x wall hours of every attempt.
    CpuHours(f64),
}

/// A budget that could not hold anything, naming its flag.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum BudgetError {
    #[error("--budget must be a positive amount of US dollars, not {0}")]
    Usd(f64),
    #[error("--budget-cpu-hours must be a positive number of CPU-hours, not {0}")]
    CpuHours(f64),
}

impl Budget {
    /// The budget `--budget` or `--budget-cpu-hours` sets, refused when not positive.
    pub fn checked(self) -> Result<Budget, BudgetError> {
        match self {
            Budget::Usd(usd) if !(usd > 0.0 && usd.is_finite()) => Err(BudgetError::Usd(usd)),
            Budget::CpuHours(h) if !(h > 0.0 && h.is_finite()) => Err(BudgetError::CpuHours(h)),
            ok => Ok(ok),
        }
    }

    /// The limit, in its own unit.
    pub fn limit(&self) -> f64 {
        match *self {
            Budget::Usd(limit) | Budget::CpuHours(limit) => limit,
        }
    }

    /// How many more runs, each expected to cost `per_run`, may start when `spent` and
    /// `committed` are already taken (all in the budget's unit). An unknown cost per run
    /// (nothing measured yet) lets one run start at a time while anything is left.
    pub fn runs_that_fit(&self, spent: f64, committed: f64, per_run: Option<f64>) -> u64 {
        let left = self.limit() - spent - committed;
        match per_run {
            _ if left <= 0.0 => 0,
            Some(cost) if cost > 0.0 => (left / cost).floor() as u64,
            _ => 1,
        }
    }
}

impl fmt::Display for Budget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Budget::Usd(usd) => write!(f, "${usd:.2}"),
            Budget::CpuHours(hours) => write!(f, "{hours} CPU-hours"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_positive_budgets_are_taken() {
        assert_eq!(Budget::Usd(5.0).checked(), Ok(Budget::Usd(5.0)));
        assert_eq!(Budget::Usd(0.0).checked(), Err(BudgetError::Usd(0.0)));
        assert!(Budget::CpuHours(-1.0).checked().is_err());
        assert!(Budget::CpuHours(f64::NAN).checked().is_err());
        assert!(
            BudgetError::CpuHours(0.0)
                .to_string()
                .contains("--budget-cpu-hours")
        );
    }

    #[test]
    fn runs_start_while_what_is_spent_and_running_leaves_room() {
        let budget = Budget::CpuHours(10.0);
        assert_eq!(budget.runs_that_fit(0.0, 0.0, Some(1.0)), 10);
        assert_eq!(budget.runs_that_fit(4.0, 3.5, Some(1.0)), 2);
        assert_eq!(budget.runs_that_fit(9.5, 0.0, Some(1.0)), 0);
        assert_eq!(budget.runs_that_fit(10.0, 0.0, None), 0, "nothing left");
        assert_eq!(
            budget.runs_that_fit(2.0, 0.0, None),
            1,
            "one at a time until measured"
        );
    }

    #[test]
    fn budgets_read_back_from_json() {
        let text = serde_json::to_string(&Budget::Usd(2.5)).unwrap();
        assert_eq!(text, r#"{"usd":2.5}"#);
        assert_eq!(
            serde_json::from_str::<Budget>(&text).unwrap(),
            Budget::Usd(2.5)
        );
        assert_eq!(Budget::CpuHours(0.5).to_string(), "0.5 CPU-hours");
    }
}
