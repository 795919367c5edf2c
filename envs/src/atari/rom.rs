//! Where the ROMs are, and checking a ROM file before ALE opens it.
//!
//! The folder is the `[env]` option `rom_dir`, else the environment variable
//! `MGRL_ATARI_ROMS`, else `~/.cache/mgrl/atari-roms` (where `scripts/fetch-atari-roms.sh`
//! puts them). A ROM is `<game>.bin` there, and must be the ROM of that game that ships with
//! `ale-py` 0.12.1 (its MD5 is checked): ALE 0.6 exits the process on a file it cannot use,
//! and picks a game's settings by file name, so any other file would crash or mislead.

use super::games::Game;
use md5::{Digest, Md5};
use std::path::{Path, PathBuf};

/// The environment variable that names the ROM folder.
pub const ROMS_VAR: &str = "MGRL_ATARI_ROMS";

/// What to do when the ROMs are missing, for error messages.
pub const HOW_TO_FETCH: &str = "fetch them with `scripts/fetch-atari-roms.sh [FOLDER]` (it unpacks the ROMs of the \
     pinned ale-py wheel from PyPI) and name the folder in `MGRL_ATARI_ROMS` or `[env] rom_dir`";

/// The largest ROM file read (the 57 games' are 2–16 KiB; Atari cartridges reach 64 KiB).
const MAX_ROM_BYTES: u64 = 512 * 1024;

/// Why a ROM cannot be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RomError {
    #[error("the ROM folder {} (from {origin}) does not exist; {HOW_TO_FETCH}", dir.display())]
    NoFolder { dir: PathBuf, origin: String },

    #[error("no ROM folder: `[env] rom_dir` and `MGRL_ATARI_ROMS` are unset and {} does not exist; {HOW_TO_FETCH}", default.display())]
    NoDefaultFolder { default: PathBuf },

    #[error("{} is missing (the ROM of `{game}`); {HOW_TO_FETCH}", path.display())]
    Missing { path: PathBuf, game: String },

    #[error("{} cannot be read: {message}", path.display())]
    Unreadable { path: PathBuf, message: String },

    #[error(
        "{} is not the ROM of `{game}` that mgrl knows ({found}; expected MD5 {expected}): \
         ALE 0.6 would crash or play it wrongly; {HOW_TO_FETCH}",
        path.display()
    )]
    NotTheRom { path: PathBuf, game: String, found: String, expected: String },
}

/// A ROM file checked to be the known ROM of its game.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rom {
    pub path: PathBuf,
    pub game: &'static Game,
}

/// The ROM folder chosen from the option, the environment variable or the default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RomDir {
    pub dir: PathBuf,
}

impl RomDir {
    /// The folder from `rom_dir` (the `[env]` option), else `MGRL_ATARI_ROMS`, else the default;
    /// an error if it does not exist.
    pub fn locate(rom_dir: Option<&Path>) -> Result<RomDir, RomError> {
        let var = std::env::var_os(ROMS_VAR).filter(|v| !v.is_empty());
        let (dir, origin) = match (rom_dir, var) {
            (Some(dir), _) => (dir.to_path_buf(), "`[env] rom_dir`".to_string()),
            (None, Some(var)) => (PathBuf::from(var), format!("`{ROMS_VAR}`")),
            (None, None) => {
                let default = default_dir();
                return if default.is_dir() {
                    Ok(RomDir { dir: default })
                } else {
                    Err(RomError::NoDefaultFolder { default })
                };
            }
        };
        if dir.is_dir() {
            Ok(RomDir { dir })
        } else {
            Err(RomError::NoFolder { dir, origin })
        }
    }

    /// `<game>.bin` in this folder, once its MD5 is checked.
    pub fn find(&self, game: &'static Game) -> Result<Rom, RomError> {
        let path = self.dir.join(format!("{}.bin", game.name));
        check_rom(&path, game)?;
        Ok(Rom { path, game })
    }
}

/// Where `scripts/fetch-atari-roms.sh` puts the ROMs by default.
pub fn default_dir() -> PathBuf {
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
    home.join(".cache").join("mgrl").join("atari-roms")
}

/// Checks that `path` is `game`'s known ROM: it exists, is small, and has its MD5.
pub fn check_rom(path: &Path, game: &Game) -> Result<(), RomError> {
    let unreadable = |e: std::io::Error| RomError::Unreadable { path: path.to_path_buf(), message: e.to_string() };
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(RomError::Missing { path: path.to_path_buf(), game: game.name.into() })
        }
        Err(e) => return Err(unreadable(e)),
    };
    let not_the_rom = |found: String| RomError::NotTheRom {
        path: path.to_path_buf(),
        game: game.name.into(),
        found,
        expected: game.md5.into(),
    };
    if !meta.is_file() {
        return Err(not_the_rom("not a file".into()));
    }
    if meta.len() > MAX_ROM_BYTES {
        return Err(not_the_rom(format!("{} bytes, larger than any Atari 2600 cartridge", meta.len())));
    }
    let bytes = std::fs::read(path).map_err(unreadable)?;
    let md5 = md5_hex(&bytes);
    if md5 != game.md5 {
        return Err(not_the_rom(format!("{} bytes with MD5 {md5}", bytes.len())));
    }
    Ok(())
}

/// The MD5 of `bytes` in lowercase hex.
pub fn md5_hex(bytes: &[u8]) -> String {
    Md5::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::atari::games;

    #[test]
    fn md5_of_known_input() {
        assert_eq!(md5_hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(md5_hex(b"abc"), "900150983cd24fb0d6963f7d28e17f72");
    }

    #[test]
    fn random_bytes_named_as_a_rom_are_refused_before_ale_sees_them() {
        let dir = tempfile::tempdir().unwrap();
        let bytes: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        std::fs::write(dir.path().join("pong.bin"), bytes).unwrap();
        let pong = games::find("pong").unwrap();
        let err = RomDir::locate(Some(dir.path())).unwrap().find(pong).unwrap_err();
        assert!(matches!(err, RomError::NotTheRom { .. }), "{err}");
        let message = err.to_string();
        assert!(message.contains("4096 bytes with MD5") && message.contains("fetch-atari-roms.sh"), "{message}");
    }

    #[test]
    fn a_missing_rom_and_a_missing_folder_say_how_to_fetch_them() {
        let dir = tempfile::tempdir().unwrap();
        let pong = games::find("pong").unwrap();
        let err = RomDir::locate(Some(dir.path())).unwrap().find(pong).unwrap_err();
        assert!(matches!(err, RomError::Missing { .. }) && err.to_string().contains("pong.bin is missing"), "{err}");
        let gone = dir.path().join("nowhere");
        let err = RomDir::locate(Some(&gone)).unwrap_err();
        assert!(err.to_string().contains("does not exist") && err.to_string().contains("MGRL_ATARI_ROMS"), "{err}");
    }

    #[test]
    fn a_folder_in_place_of_a_rom_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("pong.bin")).unwrap();
        let err = check_rom(&dir.path().join("pong.bin"), games::find("pong").unwrap()).unwrap_err();
        assert!(err.to_string().contains("not a file"), "{err}");
    }
}
