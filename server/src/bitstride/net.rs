//! Outbound calls to addresses an API caller chose (deployment backends,
//! reward services): which addresses are allowed, and the HTTP client.
//!
//! By default only public addresses are reached: a URL whose host resolves to
//! a private, loopback, link-local, unspecified or otherwise special address is
//! refused, at creation and again before every call (so DNS cannot be changed
//! to point at an internal host later). `--bitstride-allow-private-backends`
//! lifts that; `--bitstride-loopback-backends-only` (test runs) allows loopback
//! and nothing else.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Which addresses may be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// Public addresses only (the default).
    Public,
    /// Any address.
    Any,
    /// Loopback only.
    LoopbackOnly,
}

/// The HTTP client for backends: no proxy, no redirects (a redirect could lead
/// to an address the policy refuses), rustls.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(64)
        .build()
        .expect("an HTTP client with static settings always builds")
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || o[0] == 0
        || (o[0] == 100 && (o[1] & 0xc0) == 64) // 100.64.0.0/10 shared address space
        || (o[0] == 198 && (o[1] & 0xfe) == 18) // 198.18.0.0/15 benchmarking
        || o[0] >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let s = ip.segments();
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00 // unique local
        || (s[0] & 0xffc0) == 0xfe80 // link-local
        || s[0] == 0x2001 && s[1] == 0x0db8) // documentation
}

/// Whether `ip` may be reached under `policy`.
pub fn allowed(ip: IpAddr, policy: Policy) -> bool {
    match policy {
        Policy::Any => true,
        Policy::LoopbackOnly => ip.is_loopback(),
        Policy::Public => match ip {
            IpAddr::V4(v4) => is_public_v4(v4),
            IpAddr::V6(v6) => is_public_v6(v6),
        },
    }
}

/// Why a URL may not be called.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// Not an absolute http(s) URL with a host.
    #[error("not an http(s) URL")]
    NotHttp,
    /// Resolves to an address the policy refuses (or does not resolve).
    #[error("the address is not allowed")]
    Address,
}

/// Checks that every address `url` resolves to is allowed.
pub async fn check_url(url: &str, policy: Policy) -> Result<url::Url, Refused> {
    let parsed = url::Url::parse(url).map_err(|_| Refused::NotHttp)?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(Refused::NotHttp);
    }
    let host = parsed.host_str().ok_or(Refused::NotHttp)?.to_owned();
    let port = parsed.port_or_known_default().ok_or(Refused::NotHttp)?;
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let addrs: Vec<IpAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![ip],
        Err(_) => {
            if policy == Policy::LoopbackOnly && host != "localhost" {
                // Never resolve names in test runs: nothing leaves the machine.
                return Err(Refused::Address);
            }
            tokio::net::lookup_host((host.as_str(), port))
                .await
                .map_err(|_| Refused::Address)?
                .map(|a| a.ip())
                .collect()
        }
    };
    if addrs.is_empty() || !addrs.iter().all(|ip| allowed(*ip, policy)) {
        return Err(Refused::Address);
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_addresses_are_refused_by_default() {
        for ip in [
            "10.0.3.17",
            "127.0.0.1",
            "169.254.169.254",
            "192.168.1.1",
            "::1",
            "fe80::1",
            "0.0.0.0",
            "::ffff:10.0.0.1",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(!allowed(ip, Policy::Public), "{ip}");
        }
        assert!(allowed("93.184.216.34".parse().unwrap(), Policy::Public));
        assert!(allowed("127.0.0.1".parse().unwrap(), Policy::LoopbackOnly));
        assert!(!allowed(
            "93.184.216.34".parse().unwrap(),
            Policy::LoopbackOnly
        ));
    }
}
