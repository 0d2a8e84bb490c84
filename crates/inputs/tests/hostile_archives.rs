//! Property tests: whatever an archive holds, extraction writes nothing outside the workspace,
//! refuses an entry that climbs out, refuses what is not an archive as unreadable, and never
//! panics. A failing case is saved under `proptest-regressions/` and replayed first from then
//! on: commit it, and add the archive to the corpus (`tests/corpus/`).

use std::fs::File;
use std::io::Write;
use std::path::Path;

use fredbatch_inputs::{ExtractLimits, InputsError, extract_archive};
use proptest::prelude::*;
use zip::ZipWriter;
use zip::write::SimpleFileOptions;

/// Entry names built from the pieces attackers use.
fn entry_name() -> impl Strategy<Value = String> {
    let part = prop_oneof![
        Just("..".to_owned()),
        Just(".".to_owned()),
        Just("".to_owned()),
        Just("C:".to_owned()),
        Just("\\..".to_owned()),
        "[a-z]{1,6}",
        "[a-z]{1,3}\\.fred",
    ];
    (any::<bool>(), prop::collection::vec(part, 1..5)).prop_map(|(absolute, parts)| {
        let joined = parts.join("/");
        if absolute {
            format!("/{joined}")
        } else {
            joined
        }
    })
}

fn write_archive(path: &Path, entries: &[(String, Vec<u8>)]) -> bool {
    let mut zip = ZipWriter::new(File::create(path).unwrap());
    for (name, data) in entries {
        if zip
            .start_file(name.as_str(), SimpleFileOptions::default())
            .is_err()
            || zip.write_all(data).is_err()
        {
            return false;
        }
    }
    zip.finish().is_ok()
}

/// Whether an entry name has a `..` part (either separator), which must never be extracted.
fn climbs_out(name: &str) -> bool {
    name.split(['/', '\\']).any(|part| part == "..")
}

/// A small valid archive: a main program beside an included file.
fn valid_archive() -> Vec<u8> {
    let mut zip = ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, text) in [
        ("main.fred", "include params.fred\n"),
        ("params.fred", "days = 10\n"),
    ] {
        zip.start_file(name, SimpleFileOptions::default()).unwrap();
        zip.write_all(text.repeat(20).as_bytes()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// Extracts `bytes` as an archive into a fresh workspace beside it: the outcome and every
/// file written anywhere in the folder other than the archive itself.
fn extract_bytes(bytes: &[u8]) -> (Result<(), InputsError>, Vec<std::path::PathBuf>) {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("junk.zip");
    std::fs::write(&archive, bytes).unwrap();
    let workspace = dir.path().join("ws");
    std::fs::create_dir(&workspace).unwrap();
    let result = extract_archive(&archive, &workspace, ExtractLimits::default()).map(|_| ());
    let written = files_below(dir.path())
        .into_iter()
        .filter(|file| *file != archive)
        .collect();
    (result, written)
}

/// Every file below `dir`, as paths.
fn files_below(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(files_below(&path));
        } else {
            found.push(path);
        }
    }
    found
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn nothing_lands_outside_the_workspace(entries in prop::collection::vec((entry_name(), prop::collection::vec(any::<u8>(), 0..64)), 1..6)) {
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("archive.zip");
        prop_assume!(write_archive(&archive, &entries));
        let workspace = dir.path().join("deep/workspace");
        std::fs::create_dir_all(&workspace).unwrap();
        let limits = ExtractLimits { max_bytes: 1 << 20, max_entries: 100 };
        let result = extract_archive(&archive, &workspace, limits);
        for file in files_below(dir.path()) {
            prop_assert!(file == archive || file.starts_with(&workspace), "{} escaped", file.display());
        }
        // Whatever else is wrong with it, an archive with a climbing entry is never accepted.
        if entries.iter().any(|(name, _)| climbs_out(name)) {
            prop_assert!(result.is_err(), "{entries:?} was extracted: {result:?}");
        }
    }

    #[test]
    fn arbitrary_bytes_are_refused_without_panicking(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let (result, written) = extract_bytes(&bytes);
        prop_assert!(
            matches!(result, Err(InputsError::CorruptArchive(_))),
            "not refused as unreadable: {result:?}"
        );
        prop_assert!(written.is_empty(), "written: {written:?}");
    }

    #[test]
    fn a_truncated_archive_is_refused_without_panicking(cut in any::<prop::sample::Index>()) {
        let whole = valid_archive();
        let (result, written) = extract_bytes(&whole[..cut.index(whole.len())]);
        prop_assert!(
            matches!(result, Err(InputsError::CorruptArchive(_))),
            "not refused as unreadable: {result:?}"
        );
        prop_assert!(written.is_empty(), "written: {written:?}");
    }
}

#[test]
fn the_valid_archive_of_the_truncation_test_extracts() {
    let (result, written) = extract_bytes(&valid_archive());
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(written.len(), 2, "{written:?}");
}
