//! Files only their owner can read. The store holds the key that signs upload and download
//! URLs, and storage holds every user's models and results: on a shared machine, anyone who
//! reads them can forge a URL for another user's results or read them directly.

use std::fs::{DirBuilder, OpenOptions};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::Context as _;

/// The bits that let others than the owner in.
const OTHERS: u32 = 0o077;

/// From now on this process and what it starts create files 0600 and folders 0700.
pub fn owner_only_from_now_on() {
    nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(OTHERS));
}

/// Creates `dir` (and its parents) 0700 when it does not exist.
pub fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("cannot create fredbatch's folder {}", dir.display()))
}

/// Creates `file` empty and 0600 when it does not exist, so what fills it later (SQLite, which
/// gives its journal files the database's mode) never exists readable by others.
pub fn create_private_file(file: &Path) -> anyhow::Result<()> {
    match OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(file)
    {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(error) => Err(error).with_context(|| format!("cannot create {}", file.display())),
    }
}

/// Those of `files` that exist and that others than their owner may read or write.
pub fn readable_by_others(files: &[PathBuf]) -> Vec<(PathBuf, u32)> {
    files
        .iter()
        .filter_map(|file| {
            let mode = std::fs::metadata(file).ok()?.permissions().mode() & 0o777;
            (mode & OTHERS != 0).then(|| (file.clone(), mode))
        })
        .collect()
}

/// Refuses when others may read the store's files, naming the command that fixes it.
pub fn refuse_shared_store(database: &Path) -> anyhow::Result<()> {
    let mut files = vec![database.to_owned()];
    for suffix in ["-wal", "-shm"] {
        let mut name = database.as_os_str().to_owned();
        name.push(suffix);
        files.push(PathBuf::from(name));
    }
    let shared = readable_by_others(&files);
    if shared.is_empty() {
        return Ok(());
    }
    let listed: Vec<String> = shared
        .iter()
        .map(|(file, mode)| format!("{} (mode {mode:o})", file.display()))
        .collect();
    let paths: Vec<String> = shared
        .iter()
        .map(|(file, _)| file.display().to_string())
        .collect();
    anyhow::bail!(
        "the store can be read by other users of this machine: {}. It holds the key that signs \
         upload and download URLs; make it yours only with `chmod 600 {}` and start again",
        listed.join(", "),
        paths.join(" ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_others_can_read_is_refused_naming_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("fredbatch.db");
        create_private_file(&db).unwrap();
        assert_eq!(
            std::fs::metadata(&db).unwrap().permissions().mode() & 0o777,
            0o600
        );
        refuse_shared_store(&db).unwrap();
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
        let refused = refuse_shared_store(&db).unwrap_err().to_string();
        assert!(
            refused.contains(&format!("chmod 600 {}", db.display())),
            "{refused}"
        );
        assert!(refused.contains("mode 644"), "{refused}");
    }
}
