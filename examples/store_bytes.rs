//! Bench helper (docs/benchmarks.md): where the bytes of a sled store are. Opens the store
//! (nothing else may hold it) and prints one JSON line: the files on disk, and per tree the
//! keys and the bytes of their keys and values as they are now (the live bytes), against
//! which the file's size is sled's overhead. For ticket records, the share of their
//! events. Not part of the product.
//!
//! ```text
//! cargo run --release --example store_bytes -- STORE_DIR
//! ```

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: store_bytes STORE_DIR");
        return ExitCode::from(2);
    };
    match run(Path::new(&dir)) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("store_bytes: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Bytes of every file under `dir`, by its first path component.
fn files(dir: &Path, out: &mut serde_json::Map<String, serde_json::Value>) -> std::io::Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let bytes = if entry.file_type()?.is_dir() {
            files(&entry.path(), &mut serde_json::Map::new())?
        } else {
            entry.metadata()?.len()
        };
        out.insert(
            entry.file_name().to_string_lossy().into_owned(),
            bytes.into(),
        );
        total += bytes;
    }
    Ok(total)
}

fn run(dir: &Path) -> Result<String, String> {
    let mut on_disk = serde_json::Map::new();
    let total = files(dir, &mut on_disk).map_err(|e| e.to_string())?;
    let db = sled::Config::new()
        .path(dir)
        .open()
        .map_err(|e| e.to_string())?;
    let mut trees = serde_json::Map::new();
    let mut live = 0u64;
    for name in db.tree_names() {
        let tree = db.open_tree(&name).map_err(|e| e.to_string())?;
        let (mut keys, mut kb, mut vb, mut events) = (0u64, 0u64, 0u64, 0u64);
        for kv in tree.iter() {
            let (k, v) = kv.map_err(|e| e.to_string())?;
            keys += 1;
            kb += k.len() as u64;
            vb += v.len() as u64;
            if &*name == b"tickets" {
                let json = v
                    .iter()
                    .position(|b| *b == b'{')
                    .map_or(&v[..], |i| &v[i..]);
                if let Ok(serde_json::Value::Object(m)) = serde_json::from_slice(json) {
                    if let Some(e) = m.get("events") {
                        events += serde_json::to_vec(e).map_or(0, |e| e.len() as u64);
                    }
                }
            }
        }
        live += kb + vb;
        let mut t = serde_json::json!({"keys": keys, "key_bytes": kb, "value_bytes": vb});
        if events > 0 {
            t["event_bytes"] = events.into();
        }
        trees.insert(String::from_utf8_lossy(&name).into_owned(), t);
    }
    Ok(serde_json::json!({
        "files_bytes": total,
        "files": on_disk,
        "live_bytes": live,
        "trees": trees,
    })
    .to_string())
}
