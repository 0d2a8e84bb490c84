//! The corpus of hostile archives (`tests/corpus/`, made by `make_corpus.py`): each one is
//! refused with the reason `expected.tsv` gives, and nothing lands outside the workspace.
//! An archive found by the property tests or in the field joins the corpus with its line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use fredbatch_inputs::{ExtractLimits, extract_archive};

/// The limits `make_corpus.py` builds against.
const LIMITS: ExtractLimits = ExtractLimits {
    max_bytes: 16 << 20,
    max_entries: 100,
};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

fn expectations() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(corpus().join("expected.tsv")).unwrap();
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let (archive, reason) = line
                .split_once('\t')
                .unwrap_or_else(|| panic!("expected.tsv: no tab in `{line}`"));
            (archive.to_owned(), reason.to_owned())
        })
        .collect()
}

fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() && !path.is_symlink() {
            found.extend(files_below(&path));
        } else {
            found.push(path);
        }
    }
    found
}

#[test]
fn every_archive_in_the_corpus_is_refused_for_its_reason() {
    let expected = expectations();
    let archives: Vec<String> = std::fs::read_dir(corpus())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".zip"))
        .collect();
    let mut unlisted: Vec<&String> = archives
        .iter()
        .filter(|a| !expected.contains_key(*a))
        .collect();
    unlisted.sort();
    assert!(
        unlisted.is_empty(),
        "give these a line in expected.tsv: {unlisted:?}"
    );

    for (archive, reason) in &expected {
        let dir = tempfile::tempdir().unwrap();
        let workspace = dir.path().join("deep/workspace");
        std::fs::create_dir_all(&workspace).unwrap();
        let result = extract_archive(&corpus().join(archive), &workspace, LIMITS);
        let error = match result {
            Ok(extracted) => panic!("{archive} was extracted: {extracted:?}"),
            Err(error) => error.to_string(),
        };
        assert!(
            error.contains(reason.as_str()),
            "{archive}: `{error}` does not say `{reason}`"
        );
        let escaped: Vec<PathBuf> = files_below(dir.path())
            .into_iter()
            .filter(|file| !file.starts_with(&workspace))
            .collect();
        assert!(escaped.is_empty(), "{archive} wrote {escaped:?}");
        let written: u64 = files_below(&workspace)
            .iter()
            .filter_map(|file| std::fs::symlink_metadata(file).ok())
            .map(|meta| meta.len())
            .sum();
        assert!(
            written <= LIMITS.max_bytes + 1,
            "{archive} wrote {written} bytes before it was stopped"
        );
    }
    assert!(!Path::new("/tmp/fredbatch-escaped.txt").exists());
}
