//! Invariants checked on the source text (rust-analyzer style tidy tests).

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            out.extend(rust_files(&p));
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
    out
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The core does no I/O, reads no clock, and imports nothing of the crate outside `core`.
#[test]
fn core_is_pure() {
    let files = rust_files(&root().join("src/core"));
    assert!(files.len() >= 8, "core files found: {files:?}");
    let forbidden = [
        "tokio",
        "sled",
        "lettre",
        "async_imap",
        "std::fs",
        "std::net",
        "std::env",
        "SystemTime::now",
        "Instant::now",
        "Utc::now",
        "getrandom",
        "rand::",
    ];
    let mut problems = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for word in forbidden {
                if code.contains(word) {
                    problems.push(format!(
                        "{}:{}: `{word}` in core: {line}",
                        f.display(),
                        n + 1
                    ));
                }
            }
            if code.contains("crate::") && !code.contains("crate::core") {
                problems.push(format!(
                    "{}:{}: core imports outside core: {line}",
                    f.display(),
                    n + 1
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Only `store` knows sled; only `imap` knows async-imap.
#[test]
fn adapters_keep_their_libraries() {
    let mut problems = Vec::new();
    for f in rust_files(&root().join("src")) {
        let rel = f.strip_prefix(root()).unwrap().display().to_string();
        let text = std::fs::read_to_string(&f).unwrap();
        if text.contains("sled::") && !rel.starts_with("src/store/") {
            problems.push(format!("{rel} uses sled"));
        }
        if text.contains("async_imap") && !rel.starts_with("src/imap/") {
            problems.push(format!("{rel} uses async_imap"));
        }
    }
    assert!(problems.is_empty(), "{problems:?}");
}

/// The arrows between the outer modules point one way: the binary's side (`cli`, `main`) uses
/// the daemon and the admin endpoint, never the reverse; the read side (`views`) and the
/// pipeline use neither. A module listed here must not name the modules after it.
#[test]
fn module_dependencies_point_one_way() {
    let rules: &[(&str, &[&str])] = &[
        ("src/admin.rs", &["crate::cli", "crate::daemon"]),
        (
            "src/views.rs",
            &[
                "crate::cli",
                "crate::admin",
                "crate::daemon",
                "crate::pipeline",
            ],
        ),
        (
            "src/pipeline.rs",
            &["crate::cli", "crate::admin", "crate::daemon", "crate::web"],
        ),
        // The page server reads through the gateway and the links; nothing it serves
        // reaches back into the daemon or the CLI.
        ("src/web", &["crate::cli", "crate::admin", "crate::daemon"]),
        (
            "src/links.rs",
            &[
                "crate::cli",
                "crate::admin",
                "crate::daemon",
                "crate::pipeline",
                "crate::web",
            ],
        ),
        (
            "src/store",
            &[
                "crate::cli",
                "crate::admin",
                "crate::daemon",
                "crate::pipeline",
            ],
        ),
    ];
    let mut problems = Vec::new();
    for f in rust_files(&root().join("src")) {
        let rel = f.strip_prefix(root()).unwrap().display().to_string();
        let text = std::fs::read_to_string(&f).unwrap();
        // Tests may reach anywhere; the rule is about production code.
        let text = text.split("\n#[cfg(test)]\nmod tests").next().unwrap_or("");
        for (module, forbidden) in rules {
            if !rel.starts_with(module) {
                continue;
            }
            for name in *forbidden {
                if text.contains(name) {
                    problems.push(format!("{rel} names {name}"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{problems:?}");
}

/// One owner of durability: only `Gateway::flush` flushes the store, after syncing the
/// directories of new attachment files. A store flushed from anywhere else could make a
/// commit durable that names a file a crash could still take back.
#[test]
fn only_the_gateway_flushes_the_store() {
    let mut problems = Vec::new();
    for f in rust_files(&root().join("src")) {
        let rel = f.strip_prefix(root()).unwrap().display().to_string();
        if rel.starts_with("src/store") {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        let text = text.split("\n#[cfg(test)]\nmod tests").next().unwrap_or("");
        let allowed = usize::from(rel == "src/pipeline.rs");
        let found = text.matches("store.flush()").count();
        if found > allowed {
            problems.push(format!("{rel} flushes the store itself ({found} times)"));
        }
    }
    assert!(problems.is_empty(), "{problems:?}");
}

/// A file is one job its name says: none holds more than 1,000 lines of production code
/// (the lines before its inline `#[cfg(test)] mod … {`; a `#[cfg(test)]` on a one-line item,
/// such as `mod contract;`, does not end the count).
#[test]
fn no_production_file_over_a_thousand_lines() {
    let mut big = Vec::new();
    for f in rust_files(&root().join("src")) {
        let text = std::fs::read_to_string(&f).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let production = lines
            .windows(2)
            .position(|w| {
                w[0].starts_with("#[cfg(test)]")
                    && w[1].starts_with("mod ")
                    && w[1].trim_end().ends_with('{')
            })
            .unwrap_or(lines.len());
        if production > 1000 {
            big.push(format!("{}: {production}", f.display()));
        }
    }
    assert!(big.is_empty(), "production lines over 1,000: {big:?}");
}

/// The annotated example config has every key of SPEC §5.2 and parses.
#[test]
fn example_config_has_every_key() {
    let text = std::fs::read_to_string(root().join("config/gateway.toml")).unwrap();
    let value: toml::Value = toml::from_str(&text).unwrap();
    let spec: &[(&str, &[&str])] = &[
        (
            "gateway",
            &[
                "address",
                "name",
                "tag_prefix",
                "default_language",
                "store",
                "templates",
                "max_message_size",
                "max_replies_per_hour",
                "forward_attachments_max",
                "closed_reply",
            ],
        ),
        (
            "imap",
            &[
                "host",
                "port",
                "tls",
                "ca_file",
                "username",
                "password_file",
                "mailbox",
                "processed_mailbox",
                "quarantine_mailbox",
                "idle",
                "poll_interval",
                "auth",
            ],
        ),
        (
            "smtp",
            &[
                "host",
                "port",
                "tls",
                "ca_file",
                "username",
                "password_file",
                "give_up_after",
                "auth",
            ],
        ),
        (
            "oauth2",
            &[
                "token_url",
                "client_id",
                "client_secret_file",
                "refresh_token_file",
                "scope",
            ],
        ),
        (
            "staff",
            &[
                "addresses",
                "domains",
                "notify",
                "authentication",
                "authserv_ids",
            ],
        ),
        (
            "timers",
            &[
                "waiting_reminder",
                "waiting_autoclose",
                "resolved_autoclose",
            ],
        ),
        ("admin", &["listen"]),
        ("web", &["listen", "base_url", "key_file"]),
    ];
    for (section, keys) in spec {
        for key in *keys {
            assert!(
                value.get(section).and_then(|s| s.get(key)).is_some(),
                "config/gateway.toml lacks {section}.{key}"
            );
        }
    }
    // With its paths and password swapped for real ones, it validates.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pw"), "x").unwrap();
    let text = text
        .replace(
            "/usr/share/ticket-gateway/templates",
            &root().join("templates").display().to_string(),
        )
        .replace(
            "/run/credentials/ticket-gateway.service/imap-password",
            "pw",
        )
        .replace(
            "/run/credentials/ticket-gateway.service/smtp-password",
            "pw",
        );
    let path = dir.path().join("gateway.toml");
    std::fs::write(&path, &text).unwrap();
    ticket_gateway::config::Config::load(&path).unwrap_or_else(|e| panic!("{e}"));
    // Its commented [[queues]] example, uncommented, validates and adds the queue.
    let (head, queue) = text
        .split_once("\n# [[queues]]\n")
        .expect("a [[queues]] example");
    let queue: String = queue
        .lines()
        .map(|l| l.strip_prefix("# ").or(l.strip_prefix('#')).unwrap_or(l))
        .map(|l| format!("{l}\n"))
        .collect();
    let queue = queue.replace("/run/credentials/ticket-gateway.service/billing-", "");
    std::fs::write(dir.path().join("imap-password"), "x").unwrap();
    std::fs::write(dir.path().join("smtp-password"), "x").unwrap();
    std::fs::write(&path, format!("{head}\n[[queues]]\n{queue}")).unwrap();
    let c = ticket_gateway::config::Config::load(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.tag_prefixes(), ["SUP", "BIL"]);
    assert_eq!(c.queue(1).gateway.address, "billing@example.com");
}

/// Every notice has an English and a French template, and both load; so does the ticket
/// page (SPEC §3.10).
#[test]
fn templates_load_in_both_languages() {
    for lang in ["en", "fr"] {
        let p = root().join("templates").join(lang).join("page/ticket.html");
        assert!(p.is_file(), "missing {}", p.display());
    }
    ticket_gateway::web::page::Pages::load(&root().join("templates")).unwrap_or_else(|e| {
        panic!(
            "{}",
            e.iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        )
    });
    use ticket_gateway::core::NoticeKind;
    for kind in NoticeKind::ALL {
        for lang in ["en", "fr"] {
            let p = root()
                .join("templates")
                .join(lang)
                .join(format!("{}.txt", kind.as_str()));
            assert!(p.is_file(), "missing {}", p.display());
        }
    }
    ticket_gateway::templates::Templates::load(&root().join("templates"), "Support", "SUP")
        .unwrap_or_else(|e| {
            panic!(
                "{}",
                e.iter()
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
                    .join("\n")
            )
        });
}
