//! Property tests of the run-config parser: `--param KEY=VALUE` never panics, and whatever it
//! accepts becomes exactly one program line that FRED reads back as the same key and value.

use fredbatch_core::params::ParamOverride;
use fredbatch_core::program::prepare_program;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn accepted_overrides_are_single_lines_that_round_trip(text in "\\PC{0,40}|[a-zA-Z_.]{1,12}=[^\\n]{0,20}|.{0,3}\\n.{0,3}=.{0,5}") {
        if let Ok(param) = text.parse::<ParamOverride>() {
            let line = param.to_string();
            prop_assert!(!line.contains('\n') && !line.contains('\r'));
            let again: ParamOverride = line.replacen(" = ", "=", 1).parse().unwrap();
            prop_assert_eq!(again, param.clone());
            let program = prepare_program("days = 100\n", std::slice::from_ref(&param));
            let last = program.lines().rfind(|l| !l.is_empty()).unwrap();
            prop_assert_eq!(last, line.as_str());
        }
    }
}
