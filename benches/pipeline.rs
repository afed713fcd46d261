//! The mail-handling entry point on one core: parse → classify → extract → decide, over the
//! fixture corpus `tests/data/**/*.eml` (SPEC §6, issue 6). Criterion reports mails/second
//! ("elem/s"): one iteration handles every mail of the group once.
//!
//! `cargo bench --bench pipeline` (scripts/bench runs it and records the figure in
//! docs/benchmarks.md). Under `cargo test` each benchmark runs once, as a smoke test.
//!
//! No store, no templates, no I/O: this is the CPU cost per mail that the daemon adds on top
//! of IMAP, sled and SMTP.

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ticket_gateway::core::classify;
use ticket_gateway::core::keyword::extract_keywords;
use ticket_gateway::core::workflow::{decide, Context};
use ticket_gateway::core::{Policy, TicketId};
use ticket_gateway::mime;

/// Every `.eml` under `dir`, recursively, sorted by path.
fn emls(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else if p.extension().is_some_and(|x| x == "eml") {
                let raw = std::fs::read(&p).expect("a fixture mail is readable");
                out.push((p, raw));
            }
        }
    }
    out.sort();
    out
}

/// One mail through the entry point; returns something the optimiser cannot drop.
fn handle(raw: &[u8], policy: &Policy) -> usize {
    let parsed = match mime::parse(raw) {
        Ok(p) => p,
        // Broken mail is data: the daemon quarantines it, which costs this much.
        Err(e) => return e.reason().len(),
    };
    let mail = parsed.mail;
    let tag = classify::tag_in_subject(&mail.subject, &policy.tag_prefix);
    let refs = classify::reference_ids(&mail);
    let automated = classify::automated_rule(&mail);
    let commands = extract_keywords(&mail.subject, &mail.reply_text);
    let ctx = Context::new(policy, 1_700_000_000, TicketId(42));
    let outcome = decide(None, &mail, &ctx);
    outcome.effects.len()
        + outcome.decision.len()
        + tag.unwrap_or(0) as usize
        + refs.len()
        + automated.map_or(0, |r| r.len())
        + commands.keywords.len()
        + parsed.attachments.len()
}

fn pipeline(c: &mut Criterion) {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let all = emls(&data);
    assert!(!all.is_empty(), "no fixture mail under {}", data.display());
    let policy = Policy::for_tests();

    let mut groups: Vec<(String, Vec<&[u8]>)> = vec![(
        "all".into(),
        all.iter().map(|(_, r)| r.as_slice()).collect(),
    )];
    let mut dirs: Vec<String> = all
        .iter()
        .filter_map(|(p, _)| {
            let rel = p.strip_prefix(&data).ok()?;
            Some(rel.iter().next()?.to_string_lossy().into_owned())
        })
        .filter(|d| !d.ends_with(".eml"))
        .collect();
    dirs.dedup();
    for d in dirs {
        let mails = all
            .iter()
            .filter(|(p, _)| p.starts_with(data.join(&d)))
            .map(|(_, r)| r.as_slice())
            .collect();
        groups.push((d, mails));
    }

    let mut g = c.benchmark_group("pipeline");
    for (name, mails) in &groups {
        g.throughput(Throughput::Elements(mails.len() as u64));
        g.bench_function(format!("{name} ({} mails)", mails.len()), |b| {
            b.iter(|| {
                mails
                    .iter()
                    .map(|raw| handle(black_box(raw), &policy))
                    .sum::<usize>()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, pipeline);
criterion_main!(benches);
