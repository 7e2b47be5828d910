//! The run lock: an exclusive advisory lock on `<database>.lock`, held by every command
//! that writes in bulk (`run`, `watch`, `reprocess`, `db prune`) for as long as it works.
//! The kernel drops the lock when the holding process exits or is killed, so a lock left
//! by a crash or a SIGKILL never blocks the next run; the lock file itself stays (it is
//! empty of meaning apart from the holder's pid, written for the error message).

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::StoreError;

/// An acquired run lock; dropping it releases the lock.
#[derive(Debug)]
pub struct RunLock {
    _file: File,
    path: PathBuf,
}

impl RunLock {
    /// The lock file that belongs to the database at `db_path`.
    pub fn path_for(db_path: &Path) -> PathBuf {
        let mut name = db_path.as_os_str().to_owned();
        name.push(".lock");
        PathBuf::from(name)
    }

    /// Takes the lock of the database at `db_path` without waiting. Another live holder
    /// gives [`StoreError::LockHeld`] (exit code 3 on the command line).
    pub fn acquire(db_path: &Path) -> Result<RunLock, StoreError> {
        let path = Self::path_for(db_path);
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| StoreError::CreateDir {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        let lock_err = |source| StoreError::Lock {
            path: path.clone(),
            source,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(lock_err)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                // The holder wrote its pid; a partial read only makes the message vaguer.
                let mut holder = String::new();
                let _ = file.take(32).read_to_string(&mut holder);
                let holder = holder.trim().parse::<u32>().ok();
                return Err(StoreError::LockHeld { path, holder });
            }
            Err(TryLockError::Error(source)) => return Err(lock_err(source)),
        }
        // Holding the lock: record who holds it, for the next one's error message.
        file.set_len(0).map_err(lock_err)?;
        file.seek(SeekFrom::Start(0)).map_err(lock_err)?;
        writeln!(file, "{}", std::process::id()).map_err(lock_err)?;
        Ok(RunLock { _file: file, path })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("data/chipwatch.db");
        let first = RunLock::acquire(&db).unwrap();
        assert_eq!(first.path(), dir.path().join("data/chipwatch.db.lock"));
        match RunLock::acquire(&db) {
            Err(StoreError::LockHeld { holder, path }) => {
                assert_eq!(holder, Some(std::process::id()));
                assert_eq!(path, first.path());
            }
            other => panic!("expected LockHeld, got {other:?}"),
        }
        drop(first);
        RunLock::acquire(&db).unwrap();
    }
}
