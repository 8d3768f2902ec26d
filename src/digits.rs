//! Numbers to a few significant digits, one rule for everything that rounds them: the values a
//! search draws, the numbers a snapshot keeps, the ticks a figure prints.

/// `x` rounded to `digits` significant digits, as printed (0.3, not 0.30000000000000004).
pub fn round_significant(x: f64, digits: i32) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let text = format!("{:.*e}", (digits - 1).max(0) as usize, x);
    text.parse().unwrap_or(x)
}

#[cfg(test)]
mod tests {
    use super::round_significant;

    #[test]
    fn rounds_to_significant_digits() {
        assert_eq!(round_significant(1.234567, 4), 1.235);
        assert_eq!(round_significant(-1.23456e-7, 4), -1.235e-7);
        assert_eq!(round_significant(0.0, 4), 0.0);
        assert_eq!(round_significant(0.29999, 2), 0.3);
        assert_eq!(round_significant(f64::INFINITY, 2), f64::INFINITY);
    }
}
