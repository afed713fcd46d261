//! The one integration-test binary (ripgrep style): `cargo test --test it`.

mod chaos;
mod charsets;
mod conversations;
mod customer_view;
mod daemon;
mod failover;
mod fake;
mod first_hour;
mod hostile;
mod imap;
mod live;
mod mail_html;
mod migrate;
mod netcut;
mod oauth2;
mod operate;
mod package;
mod queues;
mod reliability;
mod replies;
mod support;
mod team;
mod tidy;
mod web;
mod workflow;
