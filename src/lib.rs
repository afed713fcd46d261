#![forbid(unsafe_code)]
//! ticket-gateway: a support desk over plain email.

pub mod admin;
pub mod cli;
pub mod compose;
pub mod config;
pub mod core;
pub mod daemon;
pub mod imap;
pub mod mime;
pub mod pipeline;
pub mod smtp;
pub mod store;
pub mod telemetry;
pub mod templates;
pub mod tls;
