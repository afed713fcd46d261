//! The store's files are the daemon's alone (SPEC §4): directories 0700, files 0600, whatever
//! the umask the process was started with. The gateway gives explicit modes to what it
//! creates ([`private_dir`], [`private_file`]); [`make_private`] tightens what others created
//! (sled's files) and stores an older version left more open.

use std::fs;
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// The mode of every directory of the store.
pub(crate) const DIR_MODE: u32 = 0o700;
/// The mode of every file of the store.
pub(crate) const FILE_MODE: u32 = 0o600;

/// Creates `dir` (and its missing parents) with mode 0700.
pub(crate) fn private_dir(dir: &Path) -> io::Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(DIR_MODE)
        .create(dir)
}

/// Creates or truncates a file that only its owner may read and write.
pub(crate) fn private_file(path: &Path) -> io::Result<fs::File> {
    let f = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(FILE_MODE)
        .open(path)?;
    // A file left by an earlier run keeps its mode on open: set it.
    f.set_permissions(fs::Permissions::from_mode(FILE_MODE))?;
    Ok(f)
}

/// Makes `dir` and everything under it private: directories 0700, files 0600. Symbolic
/// links are neither followed nor changed.
pub(crate) fn make_private(dir: &Path) -> io::Result<()> {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(p) = stack.pop() {
        let meta = fs::symlink_metadata(&p)?;
        if meta.file_type().is_symlink() {
            continue;
        }
        let want = if meta.is_dir() { DIR_MODE } else { FILE_MODE };
        if meta.permissions().mode() & 0o7777 != want {
            fs::set_permissions(&p, fs::Permissions::from_mode(want))?;
        }
        if meta.is_dir() {
            for entry in fs::read_dir(&p)? {
                stack.push(entry?.path());
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(p: &Path) -> u32 {
        fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_loose_tree_is_tightened_and_new_files_are_private() {
        let tmp = tempfile::tempdir().unwrap();
        let store = tmp.path().join("store");
        private_dir(&store.join("attachments/ab")).unwrap();
        assert_eq!(mode(&store), 0o700);
        assert_eq!(mode(&store.join("attachments/ab")), 0o700);
        let f = store.join("attachments/ab/file");
        drop(private_file(&f).unwrap());
        assert_eq!(mode(&f), 0o600);

        fs::set_permissions(&store, fs::Permissions::from_mode(0o755)).unwrap();
        fs::set_permissions(&f, fs::Permissions::from_mode(0o644)).unwrap();
        fs::write(store.join("db"), b"x").unwrap();
        fs::set_permissions(store.join("db"), fs::Permissions::from_mode(0o666)).unwrap();
        make_private(&store).unwrap();
        for (p, m) in [
            (store.clone(), 0o700),
            (store.join("attachments"), 0o700),
            (f.clone(), 0o600),
            (store.join("db"), 0o600),
        ] {
            assert_eq!(mode(&p), m, "{}", p.display());
        }
        fs::set_permissions(&f, fs::Permissions::from_mode(0o644)).unwrap();
        drop(private_file(&f).unwrap());
        assert_eq!(mode(&f), 0o600, "an existing file is made private too");
    }
}
