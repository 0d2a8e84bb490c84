//! Where a job's state may live when its workers run on compute nodes.
//!
//! Every worker opens the store and the storage itself, on whichever node Slurm picked. So:
//! - PostgreSQL, and `s3://` storage, are reachable from any node that has a network route;
//! - a SQLite file, and storage folders, are reachable only if every node mounts the same
//!   filesystem at the same path — something fredbatch cannot see, so the user declares it;
//! - even then, SQLite over a network filesystem such as NFS is unsafe: its locks are not
//!   reliable there, and many workers writing one database file corrupt it.
//!
//! [`check_shared_state`] refuses the unsafe combinations before anything is submitted, saying
//! what to change.

use std::path::{Path, PathBuf};

/// What the user declared about the filesystem the SQLite file and folders are on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SharedFilesystem {
    /// Nothing declared: local paths are taken to be this machine's alone.
    NotDeclared,
    /// Every node mounts these paths; `database_fs` is the SQLite file's filesystem type
    /// (`/proc/mounts`'s third field), when known.
    Declared { database_fs: Option<String> },
}

impl SharedFilesystem {
    /// Declared, with the filesystem type of `database_url`'s file looked up on this machine.
    pub fn declared_for(database_url: &str) -> SharedFilesystem {
        SharedFilesystem::Declared {
            database_fs: sqlite_path(database_url).and_then(|path| filesystem_type(&path)),
        }
    }
}

/// Filesystem types whose locking SQLite cannot rely on.
const NETWORK_FILESYSTEMS: &[&str] = &[
    "nfs",
    "nfs4",
    "cifs",
    "smb3",
    "smbfs",
    "fuse.sshfs",
    "9p",
    "afs",
];

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum UnsafeState {
    #[error(
        "the store is a SQLite file ({path}) on this machine, which Slurm's compute nodes cannot \
         reach: use PostgreSQL (DATABASE_URL=postgres://...), or, if every node mounts this path, \
         declare the shared filesystem"
    )]
    LocalSqlite { path: String },
    #[error(
        "the store is a SQLite file ({path}) on {filesystem}: many workers writing one SQLite \
         file over a network filesystem corrupt it (its locks are unreliable there); use \
         PostgreSQL (DATABASE_URL=postgres://...)"
    )]
    SqliteOnNetworkFilesystem { path: String, filesystem: String },
    #[error("an in-memory SQLite store cannot be shared with workers: use PostgreSQL")]
    MemorySqlite,
    #[error(
        "{what} is a folder ({location}) on this machine, which Slurm's compute nodes cannot \
         reach: use s3://..., or, if every node mounts this path, declare the shared filesystem"
    )]
    LocalFolder {
        what: &'static str,
        location: String,
    },
}

/// Refuses a store or storage the workers on compute nodes could not use safely.
pub fn check_shared_state(
    database_url: &str,
    uploads: &str,
    results: &str,
    shared: &SharedFilesystem,
) -> Result<(), UnsafeState> {
    let declared = matches!(shared, SharedFilesystem::Declared { .. });
    if database_url.starts_with("sqlite:") {
        let Some(path) = sqlite_path(database_url) else {
            return Err(UnsafeState::MemorySqlite);
        };
        let path = path.display().to_string();
        match shared {
            SharedFilesystem::NotDeclared => return Err(UnsafeState::LocalSqlite { path }),
            SharedFilesystem::Declared {
                database_fs: Some(filesystem),
            } if NETWORK_FILESYSTEMS.contains(&filesystem.as_str()) => {
                return Err(UnsafeState::SqliteOnNetworkFilesystem {
                    path,
                    filesystem: filesystem.clone(),
                });
            }
            SharedFilesystem::Declared { .. } => {}
        }
    }
    for (what, location) in [
        ("the uploads storage", uploads),
        ("the results storage", results),
    ] {
        let remote = location.contains("://") && !location.starts_with("file://");
        if !remote && !declared {
            return Err(UnsafeState::LocalFolder {
                what,
                location: location.to_owned(),
            });
        }
    }
    Ok(())
}

/// The file of a `sqlite:` URL; `None` for an in-memory database.
fn sqlite_path(database_url: &str) -> Option<PathBuf> {
    let rest = database_url.strip_prefix("sqlite:")?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let path = rest.split('?').next().unwrap_or("");
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

/// The type of the filesystem holding `path` (its longest mount point in `/proc/mounts`).
pub fn filesystem_type(path: &Path) -> Option<String> {
    let absolute = std::path::absolute(path).ok()?;
    // The file may not exist yet: look at the deepest folder that does.
    let existing = absolute
        .ancestors()
        .find_map(|dir| dir.canonicalize().ok())?;
    let mounts = std::fs::read_to_string("/proc/mounts").ok()?;
    mounts
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let (_, point, kind) = (fields.next()?, fields.next()?, fields.next()?);
            existing
                .starts_with(point)
                .then(|| (point.len(), kind.to_owned()))
        })
        .max_by_key(|(length, _)| *length)
        .map(|(_, kind)| kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    const S3: &str = "s3://bucket/prefix";

    #[test]
    fn postgres_and_s3_are_safe_anywhere() {
        assert_eq!(
            check_shared_state("postgres://db/fred", S3, S3, &SharedFilesystem::NotDeclared),
            Ok(())
        );
    }

    #[test]
    fn local_sqlite_and_folders_are_refused_with_the_fix() {
        let error = check_shared_state(
            "sqlite:///home/me/.fredbatch/fredbatch.db",
            S3,
            S3,
            &SharedFilesystem::NotDeclared,
        )
        .unwrap_err();
        assert!(matches!(error, UnsafeState::LocalSqlite { .. }));
        assert!(error.to_string().contains("postgres://"));
        let error = check_shared_state(
            "postgres://db/fred",
            "/home/me/.fredbatch/uploads",
            S3,
            &SharedFilesystem::NotDeclared,
        )
        .unwrap_err();
        assert!(matches!(
            error,
            UnsafeState::LocalFolder {
                what: "the uploads storage",
                ..
            }
        ));
        assert_eq!(
            check_shared_state("sqlite::memory:", S3, S3, &SharedFilesystem::NotDeclared),
            Err(UnsafeState::MemorySqlite)
        );
    }

    #[test]
    fn a_declared_shared_filesystem_allows_folders_but_never_sqlite_over_nfs() {
        let lustre = SharedFilesystem::Declared {
            database_fs: Some("lustre".into()),
        };
        assert_eq!(
            check_shared_state(
                "sqlite:///shared/f.db",
                "/shared/up",
                "/shared/res",
                &lustre
            ),
            Ok(())
        );
        let nfs = SharedFilesystem::Declared {
            database_fs: Some("nfs4".into()),
        };
        assert!(matches!(
            check_shared_state("sqlite:///shared/f.db", S3, S3, &nfs),
            Err(UnsafeState::SqliteOnNetworkFilesystem { .. })
        ));
        assert_eq!(
            check_shared_state("postgres://db/fred", "/shared/up", "/shared/res", &nfs),
            Ok(()),
            "folders on NFS are fine: each attempt writes its own files"
        );
    }

    #[test]
    fn the_filesystem_of_a_path_is_found_even_before_the_file_exists() {
        let kind = filesystem_type(Path::new("/proc/self/not-there"));
        assert_eq!(kind.as_deref(), Some("proc"));
    }
}
