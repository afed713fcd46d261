#![forbid(unsafe_code)]
//! ticket-gateway: a support desk over plain email.
//!
//! The daemon watches one support mailbox over IMAP, turns each mail into a new ticket or a
//! reply on an existing one, moves tickets through the support workflow, and answers with
//! templated status mail over SMTP. Tickets live in an embedded store (sled).
//!
//! The shape is a pure core that decides ([`core`]: given a ticket, a mail and the policy it
//! returns the new ticket, the mails to send and the reasons) and thin adapters that do:
//! [`mime`] parses, [`templates`] and [`compose`] write mail, [`store`] keeps it, [`imap`] and
//! [`smtp`] talk to the servers, with a password or an OAuth2 token from [`oauth2`]. [`pipeline`] takes one mail from bytes to a durable commit;
//! [`daemon`] runs the ingest, outbox and timer tasks; [`admin`] serves `/healthz`, `/metrics`
//! and the CLI's API; [`telemetry`] holds metrics, health and systemd notifications.
//!
//! # Invariants
//! - `core` does no I/O, reads no clock and makes no random numbers (a tidy test checks it).
//! - Only `store` knows sled; only `imap` knows async-imap.
//! - A mail's effects and its dedupe keys are committed together, and flushed, before the mail
//!   is moved on the server or any of its mail is sent.
//! - Every outgoing mail has its Message-ID before it is sent; a retry sends the same bytes.
//! - The gateway never sends to `Reply-To`, and never deletes or expunges a mail it has not
//!   fully processed.

pub mod admin;
pub mod cli;
pub mod clock;
pub mod compose;
pub mod config;
pub mod core;
pub mod daemon;
pub mod dedupe;
pub mod imap;
pub mod links;
pub mod mime;
pub mod oauth2;
pub mod pipeline;
pub mod queue;
pub mod smtp;
pub mod store;
pub mod telemetry;
pub mod templates;
pub mod tls;
pub mod views;
pub mod web;
