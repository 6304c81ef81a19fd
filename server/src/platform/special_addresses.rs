//! The special-purpose address ranges the outbound guard refuses by default,
//! written as data, and the IPv4 addresses some IPv6 addresses carry inside.
//!
//! The tables follow the IANA IPv4 Special-Purpose Address Registry (its
//! entries up to RFC 8190) and the IANA IPv6 Special-Purpose Address
//! Registry as of its 2025 entries (RFC 9602 `5f00::/16`, RFC 9637 `3fff::/20`,
//! RFC 9665 `2001:1::3`, RFC 9780 `100:0:0:1::/64`), written from memory on a
//! machine without access to iana.org. Added to them: ranges that are never a
//! public unicast destination (IPv4 and IPv6 multicast, the deprecated
//! site-local and IPv4-compatible IPv6 ranges). Every range here is refused
//! wholesale, including those the registries mark "globally reachable"
//! (anycast services, AS112, NAT64): a webhook or a deployment backend has no
//! business there. IPv6 space outside them that IANA has not allocated
//! (outside `2000::/3`) is not listed: it is not routed on the Internet.

use std::net::{Ipv4Addr, Ipv6Addr};

use ipnet::{Ipv4Net, Ipv6Net};

/// One special-purpose range and what it is for (shown in refusals).
#[derive(Debug, Clone, Copy)]
pub struct Range<N> {
    /// The prefix.
    pub net: N,
    /// The registry's name of it (or why it is listed).
    pub name: &'static str,
}

const fn v4(a: u8, b: u8, c: u8, d: u8, len: u8, name: &'static str) -> Range<Ipv4Net> {
    Range {
        net: Ipv4Net::new_assert(Ipv4Addr::new(a, b, c, d), len),
        name,
    }
}

const fn v6(s: [u16; 8], len: u8, name: &'static str) -> Range<Ipv6Net> {
    Range {
        net: Ipv6Net::new_assert(
            Ipv6Addr::new(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]),
            len,
        ),
        name,
    }
}

/// IPv4 special-purpose ranges (more specific entries of the registry that
/// fall inside a listed range, such as `192.0.0.8/32`, are covered by it).
pub const IPV4: &[Range<Ipv4Net>] = &[
    v4(0, 0, 0, 0, 8, "\"this network\" (RFC 791)"),
    v4(10, 0, 0, 0, 8, "private use (RFC 1918)"),
    v4(100, 64, 0, 0, 10, "shared address space (RFC 6598)"),
    v4(127, 0, 0, 0, 8, "loopback (RFC 1122)"),
    v4(169, 254, 0, 0, 16, "link local (RFC 3927)"),
    v4(172, 16, 0, 0, 12, "private use (RFC 1918)"),
    v4(192, 0, 0, 0, 24, "IETF protocol assignments (RFC 6890)"),
    v4(192, 0, 2, 0, 24, "documentation, TEST-NET-1 (RFC 5737)"),
    v4(192, 31, 196, 0, 24, "AS112-v4 (RFC 7535)"),
    v4(192, 52, 193, 0, 24, "AMT (RFC 7450)"),
    v4(
        192,
        88,
        99,
        0,
        24,
        "deprecated 6to4 relay anycast (RFC 7526)",
    ),
    v4(192, 168, 0, 0, 16, "private use (RFC 1918)"),
    v4(
        192,
        175,
        48,
        0,
        24,
        "direct delegation AS112 service (RFC 7534)",
    ),
    v4(198, 18, 0, 0, 15, "benchmarking (RFC 2544)"),
    v4(198, 51, 100, 0, 24, "documentation, TEST-NET-2 (RFC 5737)"),
    v4(203, 0, 113, 0, 24, "documentation, TEST-NET-3 (RFC 5737)"),
    v4(224, 0, 0, 0, 4, "multicast (RFC 5771)"),
    v4(240, 0, 0, 0, 4, "reserved (RFC 1112)"),
    v4(255, 255, 255, 255, 32, "limited broadcast (RFC 919)"),
];

/// The NAT64 well-known prefix.
const NAT64: Range<Ipv6Net> = v6(
    [0x64, 0xff9b, 0, 0, 0, 0, 0, 0],
    96,
    "IPv4/IPv6 translation (RFC 6052)",
);

/// The NAT64 local-use prefix.
const NAT64_LOCAL: Range<Ipv6Net> = v6(
    [0x64, 0xff9b, 1, 0, 0, 0, 0, 0],
    48,
    "local-use IPv4/IPv6 translation (RFC 8215)",
);

/// IPv6 special-purpose ranges (entries inside `2001::/23`, such as Teredo
/// `2001::/32`, ORCHIDv2 or the anycast addresses, are covered by it: Teredo
/// is refused entirely rather than unwrapped).
pub const IPV6: &[Range<Ipv6Net>] = &[
    v6([0, 0, 0, 0, 0, 0, 0, 0], 128, "unspecified (RFC 4291)"),
    v6([0, 0, 0, 0, 0, 0, 0, 1], 128, "loopback (RFC 4291)"),
    v6(
        [0, 0, 0, 0, 0, 0, 0, 0],
        96,
        "deprecated IPv4-compatible (RFC 4291)",
    ),
    v6([0, 0, 0, 0, 0, 0xffff, 0, 0], 96, "IPv4-mapped (RFC 4291)"),
    NAT64,
    NAT64_LOCAL,
    v6([0x100, 0, 0, 0, 0, 0, 0, 0], 64, "discard-only (RFC 6666)"),
    v6(
        [0x100, 0, 0, 1, 0, 0, 0, 0],
        64,
        "dummy IPv6 prefix (RFC 9780)",
    ),
    v6(
        [0x2001, 0, 0, 0, 0, 0, 0, 0],
        23,
        "IETF protocol assignments, Teredo included (RFC 2928, RFC 4380)",
    ),
    v6(
        [0x2001, 0xdb8, 0, 0, 0, 0, 0, 0],
        32,
        "documentation (RFC 3849)",
    ),
    v6([0x2002, 0, 0, 0, 0, 0, 0, 0], 16, "6to4 (RFC 3056)"),
    v6(
        [0x2620, 0x4f, 0x8000, 0, 0, 0, 0, 0],
        48,
        "direct delegation AS112 service (RFC 7534)",
    ),
    v6(
        [0x3fff, 0, 0, 0, 0, 0, 0, 0],
        20,
        "documentation (RFC 9637)",
    ),
    v6(
        [0x5f00, 0, 0, 0, 0, 0, 0, 0],
        16,
        "segment routing SIDs (RFC 9602)",
    ),
    v6([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7, "unique local (RFC 4193)"),
    v6(
        [0xfe80, 0, 0, 0, 0, 0, 0, 0],
        10,
        "link-local unicast (RFC 4291)",
    ),
    v6(
        [0xfec0, 0, 0, 0, 0, 0, 0, 0],
        10,
        "deprecated site-local (RFC 3879)",
    ),
    v6([0xff00, 0, 0, 0, 0, 0, 0, 0], 8, "multicast (RFC 4291)"),
];

/// How an IPv6 address carries an IPv4 address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Embedding {
    /// `::ffff:a.b.c.d`: a socket connecting to it reaches the IPv4 address itself.
    Mapped,
    /// `::a.b.c.d` (deprecated): routed as IPv6, not to the IPv4 host.
    Compatible,
    /// `64:ff9b::a.b.c.d` or `64:ff9b:1::/48` (last 32 bits): a NAT64 translator reaches it.
    Nat64,
    /// `2002:aabb:ccdd::/48`: a 6to4 relay reaches it.
    SixToFour,
}

/// The IPv4 address inside `ip`, and how it is carried, if it carries one.
pub fn embedded_v4(ip: Ipv6Addr) -> Option<(Embedding, Ipv4Addr)> {
    let s = ip.segments();
    let last = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    let in_range = |r: &Range<Ipv6Net>| r.net.contains(&ip);
    // The local-use prefix may be cut at any RFC 6052 length; the last 32 bits
    // (its /96 form) are read, and the whole /48 is refused whatever they hold.
    if s[..5] == [0; 5] && s[5] == 0xffff {
        Some((Embedding::Mapped, last))
    } else if s[..6] == [0; 6] && !(s[6] == 0 && s[7] <= 1) {
        // `::` and `::1` are not IPv4-compatible addresses.
        Some((Embedding::Compatible, last))
    } else if in_range(&NAT64) || in_range(&NAT64_LOCAL) {
        Some((Embedding::Nat64, last))
    } else if s[0] == 0x2002 {
        Some((
            Embedding::SixToFour,
            Ipv4Addr::new((s[1] >> 8) as u8, s[1] as u8, (s[2] >> 8) as u8, s[2] as u8),
        ))
    } else {
        None
    }
}

/// The special-purpose IPv4 range `ip` is in, if any.
pub fn special_v4(ip: Ipv4Addr) -> Option<&'static Range<Ipv4Net>> {
    IPV4.iter().find(|r| r.net.contains(&ip))
}

/// The special-purpose IPv6 range `ip` is in, or else that of the IPv4 address it carries.
pub fn special_v6(ip: Ipv6Addr) -> Option<&'static str> {
    if let Some(r) = IPV6.iter().find(|r| r.net.contains(&ip)) {
        return Some(r.name);
    }
    embedded_v4(ip).and_then(|(_, v4)| special_v4(v4).map(|r| r.name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::IpAddr;

    /// The registries' ranges written out again (independently of the tables
    /// above), with whether the address just below the first and just above the
    /// last is public (`false` where a neighbouring range starts or ends there).
    const V4: &[(&str, bool, bool)] = &[
        ("0.0.0.0/8", false, true),
        ("10.0.0.0/8", true, true),
        ("100.64.0.0/10", true, true),
        ("127.0.0.0/8", true, true),
        ("169.254.0.0/16", true, true),
        ("172.16.0.0/12", true, true),
        ("192.0.0.0/24", true, true),
        ("192.0.2.0/24", true, true),
        ("192.31.196.0/24", true, true),
        ("192.52.193.0/24", true, true),
        ("192.88.99.0/24", true, true),
        ("192.168.0.0/16", true, true),
        ("192.175.48.0/24", true, true),
        ("198.18.0.0/15", true, true),
        ("198.51.100.0/24", true, true),
        ("203.0.113.0/24", true, true),
        ("224.0.0.0/4", true, false),
        ("240.0.0.0/4", false, false),
        ("255.255.255.255/32", false, false),
    ];

    const V6: &[(&str, bool, bool)] = &[
        ("::/128", false, false),
        ("::1/128", false, false),
        ("::/96", false, true),
        ("::ffff:0:0/96", true, true),
        ("64:ff9b::/96", true, true),
        ("64:ff9b:1::/48", true, true),
        ("100::/64", true, false),
        ("100:0:0:1::/64", false, true),
        ("2001::/23", true, true),
        ("2001::/32", true, false),
        ("2001:db8::/32", true, true),
        ("2002::/16", true, true),
        ("2620:4f:8000::/48", true, true),
        ("3fff::/20", true, true),
        ("5f00::/16", true, true),
        ("fc00::/7", true, true),
        ("fe80::/10", true, false),
        ("fec0::/10", false, false),
        ("ff00::/8", false, false),
    ];

    fn public(ip: IpAddr) -> bool {
        match ip {
            IpAddr::V4(v4) => special_v4(v4).is_none(),
            IpAddr::V6(v6) => special_v6(v6).is_none(),
        }
    }

    #[test]
    fn every_ipv4_range_is_refused_from_first_to_last_and_its_neighbours_are_not() {
        for &(cidr, below, above) in V4 {
            let net: Ipv4Net = cidr.parse().unwrap();
            let (first, last) = (u32::from(net.network()), u32::from(net.broadcast()));
            for a in [first, first + (last - first) / 2, last] {
                assert!(
                    !public(Ipv4Addr::from(a).into()),
                    "{cidr}: {}",
                    Ipv4Addr::from(a)
                );
            }
            if let Some(b) = first.checked_sub(1) {
                assert_eq!(public(Ipv4Addr::from(b).into()), below, "below {cidr}");
            }
            if let Some(a) = last.checked_add(1) {
                assert_eq!(public(Ipv4Addr::from(a).into()), above, "above {cidr}");
            }
        }
    }

    #[test]
    fn every_ipv6_range_is_refused_from_first_to_last_and_its_neighbours_are_not() {
        for &(cidr, below, above) in V6 {
            let net: Ipv6Net = cidr.parse().unwrap();
            let (first, last) = (u128::from(net.network()), u128::from(net.broadcast()));
            for a in [first, first + (last - first) / 2, last] {
                assert!(
                    !public(Ipv6Addr::from(a).into()),
                    "{cidr}: {}",
                    Ipv6Addr::from(a)
                );
            }
            if let Some(b) = first.checked_sub(1) {
                assert_eq!(public(Ipv6Addr::from(b).into()), below, "below {cidr}");
            }
            if let Some(a) = last.checked_add(1) {
                assert_eq!(public(Ipv6Addr::from(a).into()), above, "above {cidr}");
            }
        }
        for ip in [
            "8.8.8.8",
            "93.184.216.34",
            "2606:4700::1111",
            "2a00:1450::1",
        ] {
            assert!(public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn embedded_ipv4_addresses_are_unwrapped() {
        let cases = [
            ("::ffff:127.0.0.1", Embedding::Mapped, "127.0.0.1"),
            ("::127.0.0.1", Embedding::Compatible, "127.0.0.1"),
            ("::8.8.8.8", Embedding::Compatible, "8.8.8.8"),
            ("64:ff9b::7f00:1", Embedding::Nat64, "127.0.0.1"),
            ("64:ff9b:1::a00:1", Embedding::Nat64, "10.0.0.1"),
            ("2002:7f00:1::", Embedding::SixToFour, "127.0.0.1"),
            ("2002:c0a8:101:5::9", Embedding::SixToFour, "192.168.1.1"),
        ];
        for (v6, how, v4) in cases {
            let v6: Ipv6Addr = v6.parse().unwrap();
            assert_eq!(embedded_v4(v6), Some((how, v4.parse().unwrap())), "{v6}");
        }
        for v6 in ["::", "::1", "2606:4700::1111", "2001::1"] {
            assert_eq!(embedded_v4(v6.parse().unwrap()), None, "{v6}");
        }
    }
}
