//! The one integration-test binary (ripgrep style): `cargo test --test it`.

mod imap;
mod live;
mod tidy;
mod workflow;
mod support;
