//! Amounts of money as people read them, the one way every figure of this project is shown.
//!
//! A run on the demo engine costs under a millionth of a dollar: `$8.198e-7` is exact but
//! unreadable, and `$0.00` is wrong. Amounts of a dollar or more show cents with thousands
//! separators; smaller amounts show three significant digits without trailing zeros (at least
//! the cents); a per-run cost under a cent also reads as what 1,000 runs cost.

/// Significant digits shown for amounts under a dollar.
const SIGNIFICANT_DIGITS: i32 = 3;
/// A per-run cost below this also gets a per-1,000-runs figure.
const TINY_PER_RUN: f64 = 0.01;

/// USD for people: `$0.00`, `$0.00000082`, `$0.0255`, `$0.17`, `$8.20`, `$1,234.57`.
pub fn usd(value: f64) -> String {
    if !value.is_finite() {
        return "-".to_owned();
    }
    let sign = if value < 0.0 { "-" } else { "" };
    let amount = value.abs();
    let decimals = if amount == 0.0 || amount >= 1.0 {
        2
    } else {
        let magnitude = amount.log10().floor() as i32;
        (SIGNIFICANT_DIGITS - 1 - magnitude).max(2) as usize
    };
    let text = format!("{amount:.decimals$}");
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let mut fraction = fraction.trim_end_matches('0').to_owned();
    while fraction.len() < 2 {
        fraction.push('0');
    }
    format!("{sign}${}.{fraction}", thousands(whole))
}

/// A quantity that is not money (CPU-hours) read the same way, without the dollar sign:
/// `0.00`, `0.000123`, `0.42`, `3.50`, `1,234.57`.
pub fn figure(value: f64) -> String {
    let text = usd(value);
    text.replacen('$', "", 1)
}

/// What 1,000 runs cost, e.g. `$0.00082 per 1,000 runs`, when one run costs under a cent (and
/// more than nothing); `None` otherwise, when the per-run figure reads well on its own.
pub fn per_thousand_runs(per_run: f64) -> Option<String> {
    (per_run > 0.0 && per_run < TINY_PER_RUN)
        .then(|| format!("{} per 1,000 runs", usd(per_run * 1000.0)))
}

/// `1234567` as `1,234,567`.
fn thousands(digits: &str) -> String {
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_shows_cents() {
        assert_eq!(usd(0.0), "$0.00");
    }

    #[test]
    fn tiny_amounts_keep_three_significant_digits_without_an_exponent() {
        assert_eq!(usd(8.198e-7), "$0.00000082");
        assert_eq!(usd(1.2345e-6), "$0.00000123");
        assert_eq!(usd(0.001), "$0.001");
        assert_eq!(usd(0.0255), "$0.0255");
    }

    #[test]
    fn cents_show_at_least_two_decimals() {
        assert_eq!(usd(0.17), "$0.17");
        assert_eq!(usd(0.5), "$0.50");
        assert_eq!(usd(0.051), "$0.051");
        assert_eq!(usd(8.2), "$8.20");
    }

    #[test]
    fn thousands_are_separated_and_rounded_to_cents() {
        assert_eq!(usd(1234.567), "$1,234.57");
        assert_eq!(usd(999.999), "$1,000.00");
        assert_eq!(usd(1_234_567.0), "$1,234,567.00");
        assert_eq!(usd(100.0), "$100.00");
    }

    #[test]
    fn negative_and_impossible_amounts() {
        assert_eq!(usd(-1234.5), "-$1,234.50");
        assert_eq!(usd(f64::NAN), "-");
    }

    #[test]
    fn quantities_read_like_amounts() {
        assert_eq!(figure(0.000123456), "0.000123");
        assert_eq!(figure(0.4), "0.40");
        assert_eq!(figure(1234.567), "1,234.57");
        assert_eq!(figure(-0.5), "-0.50");
    }

    #[test]
    fn a_tiny_per_run_cost_also_reads_per_thousand_runs() {
        assert_eq!(
            per_thousand_runs(8.198e-7).as_deref(),
            Some("$0.00082 per 1,000 runs")
        );
        assert_eq!(per_thousand_runs(0.025), None);
        assert_eq!(per_thousand_runs(0.0), None);
    }
}
