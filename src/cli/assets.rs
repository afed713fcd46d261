//! `ticket-gateway assets DIR`: the man pages and shell completions, generated from the
//! CLI definition itself (clap_mangen, clap_complete), so that they describe the binary
//! they ship with. `scripts/package` runs it on the binary it packages. The command is
//! parsed apart from [`Cli`], so that the pages and completions do not list it.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use clap::{CommandFactory as _, Parser, Subcommand};
use clap_complete::Shell;

use super::Cli;

/// The packaging command line: `ticket-gateway assets DIR`.
#[derive(Parser, Debug)]
#[command(name = "ticket-gateway")]
pub struct Assets {
    #[command(subcommand)]
    command: AssetsCommand,
}

#[derive(Subcommand, Debug)]
enum AssetsCommand {
    /// Writes the man pages and shell completions into DIR.
    Assets { dir: PathBuf },
}

impl Assets {
    /// The directory, when the command line is `assets DIR`; `None` for every other.
    pub fn requested() -> Option<PathBuf> {
        let AssetsCommand::Assets { dir } = Assets::try_parse().ok()?.command;
        Some(dir)
    }

    pub fn write(dir: &Path) -> Result<()> {
        write(dir)
    }
}

/// Writes `DIR/man/ticket-gateway.1` (and a page per command, `ticket-gateway-run.1` …) and
/// `DIR/completions/` for bash, zsh and fish.
pub(super) fn write(dir: &Path) -> Result<()> {
    let cmd = Cli::command();
    let man = dir.join("man");
    let completions = dir.join("completions");
    for d in [&man, &completions] {
        std::fs::create_dir_all(d).with_context(|| format!("cannot create {}", d.display()))?;
    }
    clap_mangen::generate_to(cmd.clone(), &man)
        .with_context(|| format!("cannot write the man pages to {}", man.display()))?;
    for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
        clap_complete::generate_to(shell, &mut cmd.clone(), "ticket-gateway", &completions)
            .with_context(|| format!("cannot write the {shell} completion"))?;
    }
    super::print(&format!(
        "man pages in {}, completions in {}\n",
        man.display(),
        completions.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn man_pages_and_completions_cover_every_visible_command() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path()).unwrap();
        let page = std::fs::read_to_string(dir.path().join("man/ticket-gateway.1")).unwrap();
        assert!(page.starts_with(".ie \\n(.g .ds Aq"), "roff: {page}");
        for command in ["run", "check", "ingest", "tickets", "show", "outbox"] {
            assert!(page.contains(command), "{command} missing from the page");
            assert!(dir
                .path()
                .join(format!("man/ticket-gateway-{command}.1"))
                .is_file());
        }
        assert!(page.contains("TICKET_GATEWAY_CONFIG"), "{page}");
        assert!(!page.contains("assets"), "the hidden command stays hidden");
        let bash =
            std::fs::read_to_string(dir.path().join("completions/ticket-gateway.bash")).unwrap();
        assert!(
            bash.contains("tickets") && !bash.contains("assets"),
            "{bash}"
        );
        assert!(dir.path().join("completions/_ticket-gateway").is_file());
        assert!(dir.path().join("completions/ticket-gateway.fish").is_file());
    }
}
