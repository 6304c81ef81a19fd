//! Outbound calls to URLs an API caller chose (Bitstride's deployment backends,
//! Bindu's webhooks): which addresses may be reached, and an HTTP client that
//! cannot reach any other.
//!
//! The check and the connection use the same addresses: [`Outbound`]'s client
//! resolves names through [`Guard`], a resolver that refuses a name when any of
//! its addresses is not allowed, so a name cannot be re-pointed at an internal
//! host between the check and the call (DNS rebinding). IP literals, which
//! reqwest connects to without resolving, are checked when the request is made
//! ([`Outbound::request`]). Redirects are not followed and no proxy is used (a
//! proxy would be what is resolved, not the target).
//!
//! [`check_url`] is the same check ahead of time, for the user-facing refusal
//! when a URL is stored.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::special_addresses::{self, Embedding};

/// Which addresses may be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// Public addresses only (the default of every surface).
    Public,
    /// Any address (an operator flag allows private ones).
    Any,
    /// Loopback only (test runs: nothing leaves the machine). Names other than
    /// `localhost` are not looked up at all.
    LoopbackOnly,
}

impl Policy {
    /// Whether `ip` may be reached under this policy.
    pub fn allows(self, ip: IpAddr) -> bool {
        match self {
            Policy::Any => true,
            Policy::LoopbackOnly => is_loopback(ip),
            Policy::Public => special_purpose(ip).is_none(),
        }
    }
}

/// The special-purpose range `ip` is in (or that of the IPv4 address it carries).
pub fn special_purpose(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => special_addresses::special_v4(v4).map(|r| r.name),
        IpAddr::V6(v6) => special_addresses::special_v6(v6),
    }
}

/// Whether a connection to `ip` stays on this machine: `127.0.0.0/8`, `::1`,
/// and IPv4-mapped loopback (`::ffff:127.0.0.1`, which the socket connects to
/// as `127.0.0.1`). Other IPv6 forms that carry `127.x` (IPv4-compatible,
/// NAT64, 6to4) are routed as IPv6 to a translator or relay, so they are not.
fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || matches!(
                    special_addresses::embedded_v4(v6),
                    Some((Embedding::Mapped, v4)) if v4.is_loopback()
                )
        }
    }
}

/// Why a URL may not be called.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// Not an absolute http(s) URL with a host.
    #[error("{0}")]
    NotHttp(String),
    /// The host name does not resolve.
    #[error("{host} does not resolve")]
    Unresolved {
        /// The host name.
        host: String,
    },
    /// The host is, or resolves to, an address the policy refuses.
    #[error("{host} is or resolves to {ip}, {}", refusal(*policy, *ip))]
    Address {
        /// The host of the URL.
        host: String,
        /// The refused address.
        ip: IpAddr,
        /// The policy that refused it.
        policy: Policy,
    },
    /// A name other than `localhost` under [`Policy::LoopbackOnly`] (not looked up).
    #[error("{host} is not looked up: only loopback addresses and localhost are called")]
    NotLoopback {
        /// The host name.
        host: String,
    },
}

fn refusal(policy: Policy, ip: IpAddr) -> String {
    match (policy, special_purpose(ip)) {
        (Policy::LoopbackOnly, _) => "and only loopback addresses are called".into(),
        (_, Some(range)) => format!("a special-purpose address: {range}"),
        (_, None) => "an address that is not called".into(),
    }
}

impl Refused {
    /// Whether the URL itself is unusable (as opposed to its address).
    pub fn is_not_http(&self) -> bool {
        matches!(self, Refused::NotHttp(_))
    }

    /// The refusal behind a failed request of an [`Outbound`] client, if that is why it failed.
    pub fn of(error: &reqwest::Error) -> Option<&Refused> {
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
        while let Some(e) = source {
            if let Some(r) = e.downcast_ref::<Refused>() {
                return Some(r);
            }
            source = e.source();
        }
        None
    }
}

/// The host of an http(s) `url`: an address, or a name to resolve.
enum Host {
    Ip(IpAddr),
    Name(String),
}

fn parse(url: &str) -> Result<(url::Url, Host), Refused> {
    let parsed = url::Url::parse(url)
        .map_err(|e| Refused::NotHttp(format!("{url:?} is not a URL ({e})")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(Refused::NotHttp(format!(
            "{url:?} is not an http or https URL"
        )));
    }
    let host = match parsed.host() {
        Some(url::Host::Ipv4(ip)) => Host::Ip(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => Host::Ip(IpAddr::V6(ip)),
        Some(url::Host::Domain(name)) => Host::Name(name.to_owned()),
        None => return Err(Refused::NotHttp(format!("{url:?} has no host"))),
    };
    Ok((parsed, host))
}

fn check_ip(host: &str, ip: IpAddr, policy: Policy) -> Result<(), Refused> {
    if policy.allows(ip) {
        Ok(())
    } else {
        Err(Refused::Address {
            host: host.to_owned(),
            ip,
            policy,
        })
    }
}

/// Resolves `name` and checks every address it has under `policy`.
async fn resolve(name: &str, policy: Policy) -> Result<Vec<SocketAddr>, Refused> {
    let bare = name.trim_end_matches('.');
    if policy == Policy::LoopbackOnly && !bare.eq_ignore_ascii_case("localhost") {
        return Err(Refused::NotLoopback {
            host: name.to_owned(),
        });
    }
    let unresolved = || Refused::Unresolved {
        host: name.to_owned(),
    };
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((bare, 0))
        .await
        .map_err(|_| unresolved())?
        .collect();
    if addrs.is_empty() {
        return Err(unresolved());
    }
    for a in &addrs {
        check_ip(name, a.ip(), policy)?;
    }
    Ok(addrs)
}

/// Checks `url` ahead of a call: an http(s) URL whose host is, or resolves only
/// to, addresses `policy` allows.
pub async fn check_url(url: &str, policy: Policy) -> Result<url::Url, Refused> {
    let (parsed, host) = parse(url)?;
    match host {
        Host::Ip(ip) => check_ip(&ip.to_string(), ip, policy)?,
        Host::Name(name) => {
            resolve(&name, policy).await?;
        }
    }
    Ok(parsed)
}

/// The resolver of [`Outbound`] clients: names resolve only when every address
/// they have is allowed.
#[derive(Debug, Clone, Copy)]
pub struct Guard(pub Policy);

impl Resolve for Guard {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.0;
        Box::pin(async move {
            let addrs = resolve(name.as_str(), policy).await?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// An HTTP client that connects only to addresses its policy allows.
#[derive(Debug, Clone)]
pub struct Outbound {
    client: reqwest::Client,
    policy: Policy,
}

impl Outbound {
    /// A client built from `builder` (timeouts, pool sizes …), with the guard
    /// as its resolver, no proxy and no redirects.
    pub fn new(policy: Policy, builder: reqwest::ClientBuilder) -> Result<Self, reqwest::Error> {
        let client = builder
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(Arc::new(Guard(policy)))
            .build()?;
        Ok(Self { client, policy })
    }

    /// The policy this client enforces.
    pub fn policy(&self) -> Policy {
        self.policy
    }

    /// A request to `url`, refused at once when it is not http(s) or its host is
    /// an address the policy refuses (names are checked when they are resolved).
    pub fn request(
        &self,
        method: reqwest::Method,
        url: &str,
    ) -> Result<reqwest::RequestBuilder, Refused> {
        let (parsed, host) = parse(url)?;
        if let Host::Ip(ip) = host {
            check_ip(&ip.to_string(), ip, self.policy)?;
        }
        Ok(self.client.request(method, parsed))
    }

    /// A GET of `url` (see [`Outbound::request`]).
    pub fn get(&self, url: &str) -> Result<reqwest::RequestBuilder, Refused> {
        self.request(reqwest::Method::GET, url)
    }

    /// A POST to `url` (see [`Outbound::request`]).
    pub fn post(&self, url: &str) -> Result<reqwest::RequestBuilder, Refused> {
        self.request(reqwest::Method::POST, url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_addresses_are_refused_by_default() {
        for ip in [
            "10.0.3.17",
            "10.1.2.3",
            "127.0.0.1",
            "169.254.169.254",
            "172.16.5.4",
            "192.168.1.1",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:10.0.0.1",
            "::ffff:127.0.0.1",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(!Policy::Public.allows(ip), "{ip}");
            assert!(Policy::Any.allows(ip), "{ip}");
        }
        for ip in ["93.184.216.34", "2606:4700::1111", "8.8.8.8"] {
            assert!(Policy::Public.allows(ip.parse().unwrap()), "{ip}");
        }
        assert!(Policy::LoopbackOnly.allows("127.0.0.1".parse().unwrap()));
        assert!(Policy::LoopbackOnly.allows("::1".parse().unwrap()));
        assert!(!Policy::LoopbackOnly.allows("93.184.216.34".parse().unwrap()));
    }

    #[test]
    fn ipv6_forms_of_ipv4_addresses_get_the_answer_of_where_they_lead() {
        let ip = |s: &str| -> IpAddr { s.parse().unwrap() };
        // Every IPv6 form that carries 127.0.0.1, 10.0.0.1 or even a public
        // address is refused under the default policy.
        for s in [
            "::ffff:127.0.0.1",
            "::127.0.0.1",
            "64:ff9b::7f00:1",
            "64:ff9b:1::7f00:1",
            "2002:7f00:1::",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
            "2002:a00:1::1",
            "64:ff9b::808:808",
            "2002:808:808::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2", // Teredo
            "::ffff:192.0.0.170",
        ] {
            assert!(!Policy::Public.allows(ip(s)), "{s}");
            assert!(Policy::Any.allows(ip(s)), "{s}");
        }
        // Loopback only: the IPv4-mapped form is 127.0.0.1 itself (the socket
        // connects to it as IPv4); the translated and relayed forms leave the machine.
        assert!(Policy::LoopbackOnly.allows(ip("::ffff:127.0.0.1")));
        assert!(Policy::LoopbackOnly.allows(ip("::ffff:127.8.9.10")));
        for s in [
            "::127.0.0.1",
            "64:ff9b::7f00:1",
            "64:ff9b:1::7f00:1",
            "2002:7f00:1::",
            "::ffff:10.0.0.1",
            "::2",
        ] {
            assert!(!Policy::LoopbackOnly.allows(ip(s)), "{s}");
        }
    }

    #[test]
    fn a_refusal_names_the_range() {
        let refused = check_ip("h", "64:ff9b::7f00:1".parse().unwrap(), Policy::Public)
            .unwrap_err()
            .to_string();
        assert!(refused.contains("RFC 6052"), "{refused}");
        let refused = check_ip("h", "8.8.8.8".parse().unwrap(), Policy::LoopbackOnly)
            .unwrap_err()
            .to_string();
        assert!(refused.contains("only loopback"), "{refused}");
    }

    #[tokio::test]
    async fn urls_are_checked_by_scheme_host_and_address() {
        let refused = |r: Result<url::Url, Refused>| r.unwrap_err();
        assert!(refused(check_url("ftp://example.com/", Policy::Any).await).is_not_http());
        assert!(refused(check_url("not a url", Policy::Any).await).is_not_http());
        for url in [
            "http://127.0.0.1:9/",
            "http://[::1]/",
            "http://2130706433/", // 127.0.0.1 written as one number
            "http://localhost:9/",
        ] {
            assert!(
                matches!(
                    refused(check_url(url, Policy::Public).await),
                    Refused::Address { .. }
                ),
                "{url}"
            );
        }
        assert!(check_url("http://localhost:9/", Policy::LoopbackOnly)
            .await
            .is_ok());
        assert!(matches!(
            refused(check_url("http://example.com/", Policy::LoopbackOnly).await),
            Refused::NotLoopback { .. }
        ));
        assert!(check_url("http://10.0.0.8/", Policy::Any).await.is_ok());
    }

    /// A loopback listener that counts the connections it accepts.
    async fn listener() -> (u16, Arc<std::sync::atomic::AtomicUsize>) {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let count = accepted.clone();
        tokio::spawn(async move {
            use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
            while let Ok((mut s, _)) = l.accept().await {
                count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && s.read(&mut byte).await.unwrap_or(0) == 1 {
                    head.push(byte[0]);
                }
                let _ = s
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                    .await;
            }
        });
        (port, accepted)
    }

    #[tokio::test]
    async fn a_name_that_resolves_to_loopback_is_refused_when_connecting() {
        let (port, accepted) = listener().await;
        let public = Outbound::new(Policy::Public, reqwest::Client::builder()).unwrap();
        // The name passes the request-time check (it is not an address) and is
        // refused by the resolver the connection uses.
        let sent = public
            .get(&format!("http://localhost:{port}/"))
            .unwrap()
            .send()
            .await
            .unwrap_err();
        assert!(
            matches!(Refused::of(&sent), Some(Refused::Address { .. })),
            "{sent:?}"
        );
        // An address literal is refused before anything is sent.
        assert!(matches!(
            public.get(&format!("http://127.0.0.1:{port}/")),
            Err(Refused::Address { .. })
        ));
        assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 0);
        // The same name under the loopback policy connects.
        let loopback = Outbound::new(Policy::LoopbackOnly, reqwest::Client::builder()).unwrap();
        let ok = loopback
            .get(&format!("http://localhost:{port}/"))
            .unwrap()
            .send()
            .await
            .unwrap();
        assert_eq!(ok.status(), 200);
        assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 1);
    }
}
