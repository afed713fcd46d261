//! The one integration-test binary (ripgrep style): `cargo test --test it`.

mod imap;
mod chaos;
mod conversations;
mod live;
mod operate;
mod reliability;
mod support;
mod tidy;
mod workflow;
mod charsets;
mod replies;
