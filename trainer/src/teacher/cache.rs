//! The teacher cache: a table parsed once, stored as a bincode header plus raw little-endian
//! f32 rows, memory-mapped on later runs. A cache file is keyed by the source's path, size and
//! modification time, the format and `--max-words`; a stale or damaged one is rebuilt.

use super::{Format, Storage, Table, Teacher};
use memmap2::Mmap;
use serde::{Deserialize, Serialize};
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 8] = b"SUBLEXT\x01";
const VERSION: u32 = 1;
/// Vector data starts at a multiple of this, so it can be read in place as f32.
const ALIGN: usize = 64;

#[derive(Serialize, Deserialize, PartialEq, Debug, Clone)]
struct Source {
    path: String,
    len: u64,
    mtime_ns: u128,
    format: String,
    max_words: u64,
}

#[derive(Serialize, Deserialize)]
struct Header {
    version: u32,
    source: Source,
    dim: u64,
    words: Vec<String>,
}

pub(crate) struct CacheKey {
    file: PathBuf,
    source: Source,
}

impl CacheKey {
    pub fn new(
        dir: &Path,
        source: &Path,
        format: Format,
        max_words: usize,
    ) -> std::io::Result<Self> {
        let canonical = source.canonicalize()?;
        let meta = std::fs::metadata(&canonical)?;
        let mtime_ns = meta
            .modified()?
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let source = Source {
            path: canonical.to_string_lossy().into_owned(),
            len: meta.len(),
            mtime_ns,
            format: format!("{format:?}"),
            max_words: max_words as u64,
        };
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        (
            &source.path,
            source.len,
            source.mtime_ns,
            &source.format,
            source.max_words,
        )
            .hash(&mut hasher);
        let stem = canonical
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
        let file = dir.join(format!("{stem}-{:016x}.sxt", hasher.finish()));
        Ok(CacheKey { file, source })
    }

    pub fn path(&self) -> &Path {
        &self.file
    }

    /// The cached teacher, or `None` when there is no usable cache (a damaged one is reported).
    pub fn load(&self, name: &str) -> Option<Teacher> {
        let file = std::fs::File::open(&self.file).ok()?;
        // SAFETY: the cache is written once by rename and never modified in place.
        let map = unsafe { Mmap::map(&file) }.ok()?;
        match self.open(map, name) {
            Ok(t) => Some(t),
            Err(why) => {
                log::warn!("ignoring teacher cache {}: {why}", self.file.display());
                None
            }
        }
    }

    fn open(&self, map: Mmap, name: &str) -> Result<Teacher, String> {
        if map.len() < 16 || &map[..8] != MAGIC {
            return Err("not a sublex teacher cache".into());
        }
        let header_len = u64::from_le_bytes(map[8..16].try_into().unwrap()) as usize;
        let header_end = 16usize
            .checked_add(header_len)
            .filter(|&e| e <= map.len())
            .ok_or("truncated header")?;
        let (header, _): (Header, usize) =
            bincode::serde::decode_from_slice(&map[16..header_end], bincode::config::standard())
                .map_err(|e| format!("bad header: {e}"))?;
        if header.version != VERSION || header.source != self.source {
            return Err("made from another version of the source".into());
        }
        let offset = header_end.next_multiple_of(ALIGN);
        let dim = header.dim as usize;
        let needed = header
            .words
            .len()
            .checked_mul(dim * 4)
            .and_then(|n| n.checked_add(offset));
        if needed != Some(map.len()) {
            return Err(format!("{} bytes, expected {needed:?}", map.len()));
        }
        if cfg!(target_endian = "big") || (map.as_ptr() as usize + offset) % 4 != 0 {
            return Err("cannot be mapped in place on this machine".into());
        }
        Ok(Teacher {
            name: name.to_string(),
            words: header.words,
            dim,
            storage: Storage::Mapped { map, offset },
        })
    }

    /// Writes the cache atomically (temporary file, then rename).
    pub fn store(&self, table: &Table) -> std::io::Result<()> {
        let header = Header {
            version: VERSION,
            source: self.source.clone(),
            dim: table.dim as u64,
            words: table.words.clone(),
        };
        let header = bincode::serde::encode_to_vec(&header, bincode::config::standard())
            .map_err(std::io::Error::other)?;
        let dir = self.file.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)?;
        let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
        {
            let mut out = std::io::BufWriter::new(tmp.as_file_mut());
            out.write_all(MAGIC)?;
            out.write_all(&(header.len() as u64).to_le_bytes())?;
            out.write_all(&header)?;
            let end = 16 + header.len();
            out.write_all(&vec![0u8; end.next_multiple_of(ALIGN) - end])?;
            for v in &table.values {
                out.write_all(&v.to_le_bytes())?;
            }
            out.flush()?;
        }
        tmp.persist(&self.file).map_err(|e| e.error)?;
        Ok(())
    }
}
