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
    /// The prefix of the tickets this policy's queue opens.
    pub tag_prefix: String,
    /// Every queue's prefix with its slot ([`TicketId::slot`]), the store's registry: a tag
    /// of any of them finds its ticket, and a ticket's tag shows its own queue's prefix.
    pub prefixes: Vec<(u32, String)>,
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

    /// A ticket's tag, with its own queue's prefix (this policy's when the slot is unknown).
    pub fn tag(&self, id: TicketId) -> String {
        id.tag(self.prefix_of(id))
    }

    /// The prefix of a ticket's queue.
    pub fn prefix_of(&self, id: TicketId) -> &str {
        self.prefixes
            .iter()
            .find(|(slot, _)| *slot == id.slot())
            .map_or(self.tag_prefix.as_str(), |(_, p)| p.as_str())
    }

    /// Every prefix a tag may carry: this queue's and those of the registry.
    fn all_prefixes(&self) -> impl Iterator<Item = (Option<u32>, &str)> {
        let own = (!self.prefixes.iter().any(|(_, p)| *p == self.tag_prefix))
            .then_some((None, self.tag_prefix.as_str()));
        own.into_iter().chain(
            self.prefixes
                .iter()
                .map(|(slot, p)| (Some(*slot), p.as_str())),
        )
    }

    /// The ticket the first tag of any queue in `subject` names (SPEC §3.1, §5.4): a
    /// reply to `[SUP-3]` finds SUP-3 whichever queue's mailbox it arrives in.
    pub fn ticket_in_subject(&self, subject: &str) -> Option<TicketId> {
        self.all_prefixes()
            .filter_map(|(slot, p)| {
                let n = super::classify::tag_in_subject(subject, p)
                    .filter(|n| n >> TicketId::NUMBER_BITS == 0)?;
                let pos = subject
                    .to_ascii_lowercase()
                    .find(&format!("[{}-{n}]", p.to_ascii_lowercase()))?;
                Some((pos, TicketId::new(slot.unwrap_or(0), n)))
            })
            .min_by_key(|(pos, _)| *pos)
            .map(|(_, id)| id)
    }

    /// `SUP-3` (any queue's prefix, any case) or `3` (the first queue's) as a ticket id.
    pub fn parse_tag(&self, s: &str) -> Option<TicketId> {
        let s = s.trim();
        if let Ok(n) = s.parse::<u64>() {
            return Some(TicketId(n));
        }
        let (prefix, n) = s.rsplit_once('-')?;
        let n = n
            .parse::<u64>()
            .ok()
            .filter(|n| n >> TicketId::NUMBER_BITS == 0)?;
        self.all_prefixes()
            .find(|(_, p)| p.eq_ignore_ascii_case(prefix))
            .map(|(slot, _)| TicketId::new(slot.unwrap_or(0), n))
    }

    /// A subject without the tags of any queue (a new ticket's summary).
    pub(crate) fn remove_tags(&self, subject: &str) -> String {
        self.all_prefixes().fold(subject.to_string(), |s, (_, p)| {
            super::classify::remove_tags(&s, p)
        })
    }

    /// A policy for unit tests: gateway `support@gateway.test`, staff `staff@gateway.test`.
    pub fn for_tests() -> Policy {
        Policy {
            gateway_address: "support@gateway.test".into(),
            tag_prefix: "SUP".into(),
            prefixes: vec![(0, "SUP".into())],
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

    #[test]
    fn a_tag_of_any_queue_names_its_ticket_and_shows_its_own_prefix() {
        let p = Policy {
            tag_prefix: "BIL".into(),
            prefixes: vec![(0, "SUP".into()), (1, "BIL".into())],
            ..Policy::for_tests()
        };
        let sup3 = TicketId::new(0, 3);
        let bil1 = TicketId::new(1, 1);
        assert_eq!(p.ticket_in_subject("Re: [SUP-3] printer"), Some(sup3));
        assert_eq!(p.ticket_in_subject("RE: [bil-1] invoice"), Some(bil1));
        // The first tag in the subject counts, whatever the order of the queues.
        assert_eq!(p.ticket_in_subject("[BIL-1] about [SUP-3]"), Some(bil1));
        assert_eq!(p.ticket_in_subject("[SUP-3] about [BIL-1]"), Some(sup3));
        assert_eq!(p.ticket_in_subject("[XYZ-3] hello"), None);
        assert_eq!((p.tag(sup3), p.tag(bil1)), ("SUP-3".into(), "BIL-1".into()));
        assert_eq!(p.parse_tag("bil-1"), Some(bil1));
        assert_eq!(p.parse_tag("SUP-3"), Some(sup3));
        assert_eq!(p.parse_tag("3"), Some(sup3));
        assert_eq!(p.parse_tag("ABC-3"), None);
        assert_eq!(p.remove_tags("Re: [SUP-3] [BIL-1] x"), "Re: x");
    }
}
