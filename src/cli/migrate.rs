//! `migrate --to URL` (SPEC §5.5): the config's sled store copied into an empty PostgreSQL
//! database (`store::copy`), then what was copied and what to change in the config.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{bail, Context as _, Result};

use super::{load_config, print};
use crate::store::{copy_to_postgres, CopyReport, DatabaseUrl, SledStore, StoreError};

pub(super) async fn migrate(path: &Path, to: &str) -> Result<()> {
    let config = load_config(path)?;
    if let Some(url) = &config.gateway.database {
        bail!(
            "the store of {} is already PostgreSQL ({url}): migrate copies a sled store",
            path.display()
        );
    }
    let url = DatabaseUrl::parse(to).map_err(|e| anyhow::anyhow!("--to: {e}"))?;
    let dir = config.gateway.store.clone();
    if !dir.join("db").exists() {
        bail!(
            "no sled store in {} (gateway.store of {}): nothing to migrate",
            dir.display(),
            path.display()
        );
    }
    let (from, report) = {
        let dir = dir.clone();
        let url = url.clone();
        tokio::task::spawn_blocking(move || -> Result<(String, CopyReport)> {
            // sled's lock: the daemon must not change the store while it is copied.
            let sled = SledStore::open(&dir).map_err(|e| match e {
                StoreError::Locked { path } => anyhow::anyhow!(
                    "the sled store {path} is in use (is the daemon running? stop it first: \
                     systemctl stop ticket-gateway)"
                ),
                e => anyhow::Error::new(e),
            })?;
            let report = copy_to_postgres(&sled, &url)?;
            Ok((dir.display().to_string(), report))
        })
        .await
        .context("the copy stopped")??
    };
    print(&summary(&from, &url, &report, path, to))
}

/// What was copied, and the config lines to change.
fn summary(from: &str, url: &DatabaseUrl, report: &CopyReport, config: &Path, to: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Copied the sled store {from} into {url} in {:.1} s; every count verified:",
        report.elapsed.as_secs_f64()
    );
    let _ = writeln!(out, "  {:<20} {:>10} {:>10}", "", "sled", "PostgreSQL");
    for (what, sled, pg) in &report.rows {
        let _ = writeln!(out, "  {what:<20} {sled:>10} {pg:>10}");
    }
    let hidden = url.to_string() != to;
    let _ = write!(
        out,
        "\nAttachment files are not in the database: they stay under {from}/attachments, \
         as does the page links' key (web.key, unless web.key_file names another file).\n\
         \nTo run on PostgreSQL, set in the [gateway] section of {}:\n\
         \n  store = \"{url}\"\n  state_dir = \"{from}\"\n\n",
        config.display(),
    );
    if hidden {
        let _ = writeln!(
            out,
            "with the password of --to where *** stands. state_dir keeps the attachments, the \
             page links' key and the admin endpoint's file."
        );
    } else {
        let _ = writeln!(
            out,
            "state_dir keeps the attachments, the page links' key and the admin endpoint's file."
        );
    }
    let _ = writeln!(
        out,
        "Then start the daemon. The sled files in {from} are left as they were: keep them \
         until the daemon runs well on PostgreSQL (do not start it on sled again: mail \
         processed since would be missing there)."
    );
    out
}
