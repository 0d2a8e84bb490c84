use std::io::Write;

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::*;
use crate::{PackLimits, pack_model_dir};

/// Writes an archive with raw entry names, as a hostile tool could.
fn archive_with(dir: &Path, entries: &[(&str, &[u8])]) -> PathBuf {
    let path = dir.join("hostile.zip");
    let mut zip = ZipWriter::new(File::create(&path).unwrap());
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    for (name, data) in entries {
        zip.start_file(*name, options).unwrap();
        zip.write_all(data).unwrap();
    }
    zip.finish().unwrap();
    path
}

fn extract_into(
    dir: &Path,
    archive: &Path,
    limits: ExtractLimits,
) -> Result<Extracted, InputsError> {
    let dest = dir.join("workspace");
    std::fs::create_dir(&dest).unwrap();
    extract_archive(archive, &dest, limits)
}

#[test]
fn a_packed_model_extracts_to_the_same_files() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model");
    std::fs::create_dir_all(model.join("include")).unwrap();
    std::fs::write(model.join("main.fred"), "use FRED::Influenza\ndays = 10\n").unwrap();
    std::fs::write(model.join("include/extra.fred"), "x = 1\n").unwrap();
    let archive = dir.path().join("inputs.zip");
    let packed = pack_model_dir(&model, "main.fred", &archive, PackLimits::default()).unwrap();
    assert_eq!(packed.files, 2);
    let extracted = extract_into(dir.path(), &archive, ExtractLimits::default()).unwrap();
    assert_eq!(extracted.files, 2);
    assert_eq!(extracted.bytes, packed.bytes);
    let ws = dir.path().join("workspace");
    assert_eq!(
        std::fs::read_to_string(ws.join("main.fred")).unwrap(),
        "use FRED::Influenza\ndays = 10\n"
    );
    assert_eq!(
        std::fs::read_to_string(ws.join("include/extra.fred")).unwrap(),
        "x = 1\n"
    );
}

#[test]
fn entries_that_escape_the_workspace_are_refused() {
    for name in [
        "../evil.txt",
        "a/../../evil.txt",
        "/etc/evil.txt",
        "\\evil.txt",
        "C:/evil.txt",
        "a/./../../evil.txt",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let archive = archive_with(
            dir.path(),
            &[("main.fred", b"days = 1\n"), (name, b"pwned")],
        );
        let error = extract_into(dir.path(), &archive, ExtractLimits::default()).unwrap_err();
        assert!(
            matches!(error, InputsError::UnsafeEntry { .. }),
            "{name}: {error}"
        );
        assert!(!dir.path().join("evil.txt").exists(), "{name} escaped");
    }
}

#[test]
fn links_in_archives_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("link.zip");
    let mut zip = ZipWriter::new(File::create(&path).unwrap());
    zip.add_symlink("passwd", "/etc/passwd", SimpleFileOptions::default())
        .unwrap();
    zip.finish().unwrap();
    let error = extract_into(dir.path(), &path, ExtractLimits::default()).unwrap_err();
    assert!(
        matches!(
            error,
            InputsError::UnsafeEntry {
                why: "it is a link",
                ..
            }
        ),
        "{error}"
    );
    assert!(std::fs::symlink_metadata(dir.path().join("workspace/passwd")).is_err());
}

#[test]
fn archives_that_expand_beyond_the_limit_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let zeros = vec![0u8; 1 << 20];
    let archive = archive_with(dir.path(), &[("a.bin", &zeros), ("b.bin", &zeros)]);
    let limits = ExtractLimits {
        max_bytes: (1 << 20) + 10,
        max_entries: 10,
    };
    let error = extract_into(dir.path(), &archive, limits).unwrap_err();
    assert!(matches!(error, InputsError::TooLarge { .. }), "{error}");
    let many = archive_with(dir.path(), &[("a", b"1"), ("b", b"2"), ("c", b"3")]);
    let dest = dir.path().join("ws2");
    std::fs::create_dir(&dest).unwrap();
    let error = extract_archive(
        &many,
        &dest,
        ExtractLimits {
            max_bytes: 100,
            max_entries: 2,
        },
    )
    .unwrap_err();
    assert!(
        matches!(error, InputsError::TooManyEntries { limit: 2 }),
        "{error}"
    );
}

#[test]
fn duplicate_entries_cannot_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dup.zip");
    // The zip writer refuses duplicates, so build two archives' worth of names differently:
    // a file and then a directory-prefixed twin that normalises to the same path.
    let archive = archive_with(
        dir.path(),
        &[("main.fred", b"days = 1\n"), ("./main.fred", b"evil")],
    );
    std::fs::rename(&archive, &path).unwrap();
    let error = extract_into(dir.path(), &path, ExtractLimits::default()).unwrap_err();
    assert!(
        matches!(
            error,
            InputsError::UnsafeEntry {
                why: "it appears twice",
                ..
            }
        ),
        "{error}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("workspace/main.fred")).unwrap(),
        "days = 1\n"
    );
}

#[test]
fn corrupt_or_missing_archives_say_so() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.zip");
    std::fs::write(&junk, b"this is not a zip archive").unwrap();
    let error = extract_into(dir.path(), &junk, ExtractLimits::default()).unwrap_err();
    assert!(matches!(error, InputsError::CorruptArchive(_)), "{error}");
    let dest = dir.path().join("ws-missing");
    std::fs::create_dir(&dest).unwrap();
    let error = extract_archive(
        &dir.path().join("absent.zip"),
        &dest,
        ExtractLimits::default(),
    )
    .unwrap_err();
    assert!(matches!(error, InputsError::Io { .. }), "{error}");
}

#[test]
fn packing_checks_the_model_directory() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("x.zip");
    let missing = pack_model_dir(
        &dir.path().join("nope"),
        "main.fred",
        &archive,
        PackLimits::default(),
    );
    assert!(matches!(missing, Err(InputsError::NoModelDir(_))));
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    assert!(matches!(
        pack_model_dir(&empty, "main.fred", &archive, PackLimits::default()),
        Err(InputsError::EmptyModelDir(_))
    ));
    std::fs::write(empty.join("other.fred"), "days = 1").unwrap();
    let no_main = pack_model_dir(&empty, "main.fred", &archive, PackLimits::default()).unwrap_err();
    assert!(no_main.to_string().contains("--program"), "{no_main}");
    std::os::unix::fs::symlink("/etc/passwd", empty.join("main.fred")).unwrap();
    assert!(matches!(
        pack_model_dir(&empty, "main.fred", &archive, PackLimits::default()),
        Err(InputsError::LinkInModel(_))
    ));
    std::fs::remove_file(empty.join("main.fred")).unwrap();
    std::fs::write(empty.join("main.fred"), vec![b'#'; 2000]).unwrap();
    let limits = PackLimits {
        max_bytes: 1000,
        max_files: 10,
    };
    assert!(matches!(
        pack_model_dir(&empty, "main.fred", &archive, limits),
        Err(InputsError::ModelTooLarge { .. })
    ));
}

#[test]
fn two_entries_with_one_name_are_refused_not_collapsed() {
    let dir = tempfile::tempdir().unwrap();
    // The zip writer refuses a repeated name, so rename the second entry in the bytes.
    let archive = archive_with(
        dir.path(),
        &[("main.fred", b"days = 1\n"), ("main.frex", b"evil")],
    );
    let mut bytes = std::fs::read(&archive).unwrap();
    for at in 0..bytes.len() - 8 {
        if &bytes[at..at + 9] == b"main.frex" {
            bytes[at + 8] = b'd';
        }
    }
    std::fs::write(&archive, bytes).unwrap();
    let error = extract_into(dir.path(), &archive, ExtractLimits::default()).unwrap_err();
    assert!(
        matches!(
            &error,
            InputsError::UnsafeEntry { entry, why: "it appears twice" } if entry == "main.fred"
        ),
        "{error}"
    );
    assert!(
        !dir.path().join("workspace/main.fred").exists(),
        "refused before anything was written"
    );
}

#[test]
fn an_entry_that_cannot_be_written_is_named_and_the_workspace_is_not() {
    let dir = tempfile::tempdir().unwrap();
    // `a` is a file, so `a/b` has no folder to go to.
    let archive = archive_with(dir.path(), &[("a", b"x"), ("a/b", b"y")]);
    let error = extract_into(dir.path(), &archive, ExtractLimits::default()).unwrap_err();
    let text = error.to_string();
    assert!(matches!(error, InputsError::Entry { .. }), "{text}");
    assert!(text.contains("`a/b`"), "{text}");
    assert!(!text.contains(&dir.path().display().to_string()), "{text}");
}

/// An archive whose end record claims 60,000 entries and no listing: refused on the claim,
/// before any listing is read.
#[test]
fn the_entry_count_is_judged_from_the_end_record() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("claims.zip");
    let mut end = Vec::new();
    end.extend_from_slice(b"PK\x05\x06");
    end.extend_from_slice(&[0, 0, 0, 0]);
    end.extend_from_slice(&60_000u16.to_le_bytes());
    end.extend_from_slice(&60_000u16.to_le_bytes());
    end.extend_from_slice(&0u32.to_le_bytes());
    end.extend_from_slice(&0u32.to_le_bytes());
    end.extend_from_slice(&0u16.to_le_bytes());
    std::fs::write(&archive, end).unwrap();
    let error = extract_into(dir.path(), &archive, ExtractLimits::default()).unwrap_err();
    assert!(
        matches!(error, InputsError::TooManyEntries { limit: 10_000 }),
        "{error}"
    );
}

/// A zip bomb (100 MB of zeros in about 100 KB) is refused on its declared size, before a
/// byte of it is written.
#[test]
fn a_zip_bomb_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let zeros = vec![0u8; 100 << 20];
    let archive = archive_with(dir.path(), &[("main.fred", b"x"), ("bomb", &zeros)]);
    assert!(std::fs::metadata(&archive).unwrap().len() < 1 << 20);
    let limits = ExtractLimits {
        max_bytes: 10 << 20,
        max_entries: 10,
    };
    let error = extract_into(dir.path(), &archive, limits).unwrap_err();
    assert!(matches!(error, InputsError::TooLarge { .. }), "{error}");
    let written: Vec<_> = std::fs::read_dir(dir.path().join("workspace"))
        .unwrap()
        .collect();
    assert!(written.is_empty(), "nothing written: {written:?}");
}
