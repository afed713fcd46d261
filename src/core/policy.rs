//! The configuration the core needs, in the core's own terms ([`Policy`]): built from the
//! validated config by the binary, read by every decision.

use super::fields::{Fields, Severity, TicketType};
use super::sla::SlaTimes;
use super::{Lang, TicketId};

/// What to do with a customer's reply to a closed ticket (`gateway.closed_reply`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClosedReply {
    Comment,
    NewTicket,
}

/// How staff mail is authenticated (`staff.authentication`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffAuth {
    None,
    Dkim,
    Dmarc,
}

/// The configuration the core needs, in the core's own terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// The gateway's own address, lower case.
    pub gateway_address: String,
    pub tag_prefix: String,
    pub default_language: Lang,
    pub closed_reply: ClosedReply,
    pub staff_addresses: Vec<String>,
    pub staff_domains: Vec<String>,
    pub staff_notify: Vec<String>,
    /// Customer mail on an owned ticket goes to `staff_notify` too (`staff.notify_all`).
    pub notify_all: bool,
    pub staff_auth: StaffAuth,
    pub authserv_ids: Vec<String>,
    /// Timers, in seconds.
    pub waiting_reminder: i64,
    pub waiting_autoclose: i64,
    pub resolved_autoclose: i64,
    /// Bytes of attachments one notice carries as files (`gateway.forward_attachments_max`);
    /// the others are listed only.
    pub forward_attachments_max: u64,
    /// Other addresses that deliver into the gateway's mailbox (`gateway.aliases`), lower case.
    pub aliases: Vec<String>,
    /// Automatic answers to one address, and mails from one sender before staff get a
    /// summary instead, in an hour (`gateway.max_replies_per_hour`).
    pub max_replies_per_hour: u32,
    /// Seconds a hard-bounced address gets no mail (`gateway.hard_bounce_pause`).
    pub hard_bounce_pause: i64,
    /// A new ticket's type and severity when the customer says none (`[fields]`).
    pub default_type: TicketType,
    pub default_severity: Severity,
    /// Service levels per severity (`[sla]`); a severity not listed has none.
    pub sla: Vec<(Severity, SlaTimes)>,
}

impl Policy {
    pub(crate) fn is_staff_address(&self, addr: &str) -> bool {
        self.staff_addresses.iter().any(|a| a == addr)
            || addr
                .rsplit_once('@')
                .is_some_and(|(_, d)| self.staff_domains.iter().any(|s| s == d))
    }

    /// The gateway's own address, an alias, or a plus-address of either (`support+billing@`):
    /// never a participant, never a recipient, and mail from it is the gateway's own.
    pub(crate) fn is_gateway_address(&self, addr: &str) -> bool {
        let addr = addr.trim().to_ascii_lowercase();
        let base = match addr.rsplit_once('@') {
            Some((local, domain)) => match local.split_once('+') {
                Some((local, _)) => format!("{local}@{domain}"),
                None => addr.clone(),
            },
            None => return false,
        };
        std::iter::once(&self.gateway_address)
            .chain(&self.aliases)
            .any(|a| *a == addr || *a == base)
    }

    /// The fields of a new ticket before the customer's field lines are read.
    pub fn default_fields(&self) -> Fields {
        Fields::defaults(self.default_type, self.default_severity)
    }

    pub fn tag(&self, id: TicketId) -> String {
        id.tag(&self.tag_prefix)
    }

    /// A policy for unit tests: gateway `support@gateway.test`, staff `staff@gateway.test`.
    pub fn for_tests() -> Policy {
        Policy {
            gateway_address: "support@gateway.test".into(),
            tag_prefix: "SUP".into(),
            default_language: Lang::En,
            closed_reply: ClosedReply::Comment,
            staff_addresses: vec!["staff@gateway.test".into()],
            staff_domains: vec![],
            staff_notify: vec!["team@gateway.test".into()],
            notify_all: false,
            staff_auth: StaffAuth::None,
            authserv_ids: vec![],
            waiting_reminder: 3 * 86400,
            waiting_autoclose: 14 * 86400,
            resolved_autoclose: 7 * 86400,
            forward_attachments_max: 10 * 1024 * 1024,
            aliases: vec!["help@gateway.test".into()],
            max_replies_per_hour: 5,
            hard_bounce_pause: 86_400,
            default_type: TicketType::Question,
            default_severity: Severity::Major,
            sla: vec![],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gateway_address_its_aliases_and_their_plus_addresses_are_its_own() {
        let p = Policy::for_tests();
        for own in [
            "support@gateway.test",
            "Support@Gateway.test",
            "support+billing@gateway.test",
            "help@gateway.test",
            "help+x+y@gateway.test",
        ] {
            assert!(p.is_gateway_address(own), "{own}");
        }
        for other in [
            "support@other.test",
            "supporter@gateway.test",
            "staff@gateway.test",
            "support",
            "",
        ] {
            assert!(!p.is_gateway_address(other), "{other}");
        }
    }
}
