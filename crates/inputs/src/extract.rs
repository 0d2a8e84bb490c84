//! Extracting an inputs archive into a fresh workspace, refusing anything unsafe.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek};
use std::path::{Component, Path, PathBuf};

use zip::ZipArchive;

use crate::{InputsError, io_error};

/// Bounds on what an archive may expand to.
#[derive(Clone, Copy, Debug)]
pub struct ExtractLimits {
    pub max_bytes: u64,
    pub max_entries: usize,
}

impl Default for ExtractLimits {
    fn default() -> Self {
        ExtractLimits {
            max_bytes: 2 << 30,
            max_entries: 10_000,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Extracted {
    pub files: usize,
    pub bytes: u64,
}

/// Unix file-type bits of a zip entry's external attributes, to recognise links.
const S_IFMT: u32 = 0o170_000;
const S_IFLNK: u32 = 0o120_000;

/// Extracts `archive` into `dest` (which should be a new, empty directory). On error, what was
/// extracted so far is inside `dest` only; the caller discards `dest`.
pub fn extract_archive(
    archive: &Path,
    dest: &Path,
    limits: ExtractLimits,
) -> Result<Extracted, InputsError> {
    let mut file = File::open(archive).map_err(io_error(archive))?;
    // Judged from the end record before the listing is read: reading a listing of a million
    // entries costs hundreds of megabytes however small the archive.
    let declared = end_record(&mut file)?;
    if declared.entries > limits.max_entries as u64 {
        return Err(InputsError::TooManyEntries {
            limit: limits.max_entries,
        });
    }
    let listing_limit = limits.max_entries as u64 * MAX_RECORD_LEN;
    if declared.directory_len > listing_limit {
        return Err(InputsError::CorruptArchive(format!(
            "its listing takes {} bytes, more than {listing_limit} for {} entries",
            declared.directory_len, limits.max_entries
        )));
    }
    let mut zip = ZipArchive::new(file).map_err(|e| InputsError::CorruptArchive(e.to_string()))?;
    if zip.len() > limits.max_entries {
        return Err(InputsError::TooManyEntries {
            limit: limits.max_entries,
        });
    }
    // The sizes the listing declares, judged before anything is written; what is written is
    // then held to each entry's declared size, so no archive writes past the limit.
    let mut declared_bytes = 0u64;
    for index in 0..zip.len() {
        let entry = zip
            .by_index_raw(index)
            .map_err(|e| InputsError::CorruptArchive(e.to_string()))?;
        declared_bytes = declared_bytes.saturating_add(entry.size());
    }
    if declared_bytes > limits.max_bytes {
        return Err(InputsError::TooLarge {
            limit: limits.max_bytes,
        });
    }
    if let Some(name) = repeated_name(archive, zip.central_directory_start(), zip.len())? {
        return Err(InputsError::UnsafeEntry {
            entry: name,
            why: "it appears twice",
        });
    }
    let mut extracted = Extracted { files: 0, bytes: 0 };
    for index in 0..zip.len() {
        let mut entry = zip
            .by_index(index)
            .map_err(|e| InputsError::CorruptArchive(e.to_string()))?;
        let name = entry.name().to_owned();
        if entry
            .unix_mode()
            .is_some_and(|mode| mode & S_IFMT == S_IFLNK)
        {
            return Err(InputsError::UnsafeEntry {
                entry: name,
                why: "it is a link",
            });
        }
        let relative = safe_relative_path(&name)?;
        let target = dest.join(&relative);
        // Errors name the entry: where it was being written is the server's business.
        let entry_error = |source| InputsError::Entry {
            entry: name.clone(),
            source,
        };
        if entry.is_dir() {
            std::fs::create_dir_all(&target).map_err(entry_error)?;
            continue;
        }
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(entry_error)?;
        }
        // create_new: a second entry with the same name cannot overwrite the first.
        let mut out = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&target)
            .map_err(|e| {
                if e.kind() == io::ErrorKind::AlreadyExists {
                    InputsError::UnsafeEntry {
                        entry: name.clone(),
                        why: "it appears twice",
                    }
                } else {
                    entry_error(e)
                }
            })?;
        // Count what is actually written: the header's size is the archive's claim, not a fact,
        // so an entry is cut one byte past its declared size (or the limit) and refused.
        let declared_size = entry.size();
        let remaining = (limits.max_bytes - extracted.bytes).min(declared_size);
        let written = io::copy(&mut (&mut entry).take(remaining + 1), &mut out).map_err(|e| {
            if e.kind() == io::ErrorKind::InvalidData || e.kind() == io::ErrorKind::UnexpectedEof {
                InputsError::CorruptArchive(format!("entry `{name}`: {e}"))
            } else {
                entry_error(e)
            }
        })?;
        if written > declared_size {
            return Err(InputsError::CorruptArchive(format!(
                "entry `{name}` expands past the {declared_size} bytes it declares"
            )));
        }
        if written > remaining {
            return Err(InputsError::TooLarge {
                limit: limits.max_bytes,
            });
        }
        extracted.bytes += written;
        extracted.files += 1;
    }
    Ok(extracted)
}

/// The most a listing's record may take on average: its fixed part and a generous name, extra
/// field and comment (FRED models' file names are short).
const MAX_RECORD_LEN: u64 = CENTRAL_RECORD_LEN as u64 + 1024;

/// What an archive's end record declares of its listing.
struct EndRecord {
    entries: u64,
    directory_len: u64,
}

const END_RECORD: [u8; 4] = *b"PK\x05\x06";
const END_RECORD_LEN: usize = 22;
const ZIP64_LOCATOR: [u8; 4] = *b"PK\x06\x07";
const ZIP64_LOCATOR_LEN: usize = 20;
const ZIP64_END_RECORD: [u8; 4] = *b"PK\x06\x06";

/// Reads the end of central directory record (the zip64 one when the classic one defers to
/// it): at most 64 KiB of comment plus the records, whatever the archive's size.
fn end_record(file: &mut File) -> Result<EndRecord, InputsError> {
    let corrupt = |why: &str| InputsError::CorruptArchive(format!("end record: {why}"));
    let io = |e: io::Error| InputsError::CorruptArchive(format!("end record: {e}"));
    let len = file.seek(io::SeekFrom::End(0)).map_err(io)?;
    let tail_len = len.min((END_RECORD_LEN + usize::from(u16::MAX)) as u64);
    let tail_start = len - tail_len;
    file.seek(io::SeekFrom::Start(tail_start)).map_err(io)?;
    let mut tail = vec![0u8; tail_len as usize];
    file.read_exact(&mut tail).map_err(io)?;
    let at = (0..=tail.len().saturating_sub(END_RECORD_LEN))
        .rev()
        .find(|&at| tail.len() >= END_RECORD_LEN && tail[at..at + 4] == END_RECORD)
        .ok_or_else(|| corrupt("not a zip archive (no end record)"))?;
    let record = &tail[at..at + END_RECORD_LEN];
    let u16_at = |i: usize| u16::from_le_bytes([record[i], record[i + 1]]);
    let u32_at = |i: usize| u32::from_le_bytes(record[i..i + 4].try_into().expect("4 bytes"));
    let (entries, directory_len) = (u16_at(10), u32_at(12));
    if entries != u16::MAX && directory_len != u32::MAX {
        return Ok(EndRecord {
            entries: u64::from(entries),
            directory_len: u64::from(directory_len),
        });
    }
    // Zip64: the locator just before the end record says where the zip64 end record is.
    let locator_at = (tail_start + at as u64)
        .checked_sub(ZIP64_LOCATOR_LEN as u64)
        .ok_or_else(|| corrupt("zip64 locator missing"))?;
    let mut locator = [0u8; ZIP64_LOCATOR_LEN];
    file.seek(io::SeekFrom::Start(locator_at)).map_err(io)?;
    file.read_exact(&mut locator).map_err(io)?;
    if locator[..4] != ZIP64_LOCATOR {
        return Err(corrupt("zip64 locator missing"));
    }
    let record_at = u64::from_le_bytes(locator[8..16].try_into().expect("8 bytes"));
    let mut record = [0u8; 56];
    file.seek(io::SeekFrom::Start(record_at)).map_err(io)?;
    file.read_exact(&mut record).map_err(io)?;
    if record[..4] != ZIP64_END_RECORD {
        return Err(corrupt("zip64 end record missing"));
    }
    let u64_at = |i: usize| u64::from_le_bytes(record[i..i + 8].try_into().expect("8 bytes"));
    Ok(EndRecord {
        entries: u64_at(32),
        directory_len: u64_at(40),
    })
}

/// Signature of a central directory record, and the record's fixed part.
const CENTRAL_RECORD: [u8; 4] = *b"PK\x01\x02";
const CENTRAL_RECORD_LEN: usize = 46;

/// The first name listed twice in the central directory starting at `start`, if any.
///
/// The zip crate keys entries by name, so of two entries with one name it shows only the last
/// (zip2 issue #841): a listing by another tool and what is extracted would differ. `listed` is
/// how many distinct names it found; the walk stops one record past that.
fn repeated_name(archive: &Path, start: u64, listed: usize) -> Result<Option<String>, InputsError> {
    let corrupt = |e: io::Error| InputsError::CorruptArchive(format!("central directory: {e}"));
    let mut reader = io::BufReader::new(File::open(archive).map_err(io_error(archive))?);
    reader.seek(io::SeekFrom::Start(start)).map_err(corrupt)?;
    let mut seen = std::collections::HashSet::with_capacity(listed);
    for _ in 0..=listed {
        let mut record = [0u8; CENTRAL_RECORD_LEN];
        match reader.read_exact(&mut record) {
            Ok(()) if record[..4] == CENTRAL_RECORD => {}
            // The end of central directory record, or the end of the file.
            Ok(()) => return Ok(None),
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => return Err(corrupt(e)),
        }
        let field = |at: usize| u16::from_le_bytes([record[at], record[at + 1]]);
        let (name_len, extra_len, comment_len) = (field(28), field(30), field(32));
        let mut name = vec![0u8; usize::from(name_len)];
        reader.read_exact(&mut name).map_err(corrupt)?;
        reader
            .seek_relative(i64::from(extra_len) + i64::from(comment_len))
            .map_err(corrupt)?;
        if seen.contains(&name) {
            return Ok(Some(String::from_utf8_lossy(&name).into_owned()));
        }
        seen.insert(name);
    }
    Ok(None)
}

/// The entry's path if it stays inside the destination: relative, no `..`, no root or prefix.
fn safe_relative_path(name: &str) -> Result<PathBuf, InputsError> {
    let unsafe_entry = |why| InputsError::UnsafeEntry {
        entry: name.to_owned(),
        why,
    };
    if name.is_empty() || name.contains('\0') {
        return Err(unsafe_entry("its name is empty or has a NUL byte"));
    }
    if name.starts_with('/') || name.starts_with('\\') || name.contains(':') {
        return Err(unsafe_entry("it is an absolute path"));
    }
    let mut path = PathBuf::new();
    for component in Path::new(&name.replace('\\', "/")).components() {
        match component {
            Component::Normal(part) => path.push(part),
            Component::CurDir => {}
            Component::ParentDir => return Err(unsafe_entry("it climbs out with `..`")),
            Component::RootDir | Component::Prefix(_) => {
                return Err(unsafe_entry("it is an absolute path"));
            }
        }
    }
    if path.as_os_str().is_empty() {
        return Err(unsafe_entry("its name is empty"));
    }
    Ok(path)
}

#[cfg(test)]
#[path = "extract_tests.rs"]
mod tests;
