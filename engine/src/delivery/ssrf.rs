//! The SSRF guard: deliveries may only reach public addresses, unless the
//! operator allows a network explicitly (`delivery.allow_private_networks`).
//!
//! Every address is checked — literal hosts before sending, names after
//! resolution (the resolver below hands the HTTP client only checked
//! addresses, so what was checked is what is connected to). Redirects are
//! never followed and proxy settings from the environment are ignored.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// A destination address that policy refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "refused to connect to {address} ({reason}); allow it with delivery.allow_private_networks if intended"
)]
pub struct Refused {
    /// The address.
    pub address: IpAddr,
    /// Which range it is in.
    pub reason: &'static str,
}

/// Which addresses deliveries may reach.
#[derive(Debug, Clone, Default)]
pub struct AddressPolicy {
    allowed: Vec<IpNet>,
}

impl AddressPolicy {
    /// Public addresses plus the `allowed` networks.
    pub fn new(allowed: Vec<IpNet>) -> Self {
        Self { allowed }
    }

    /// Whether `address` may be connected to.
    pub fn check(&self, address: IpAddr) -> Result<(), Refused> {
        if self.allowed.iter().any(|net| net.contains(&address)) {
            return Ok(());
        }
        match refused_range(address) {
            Some(reason) => Err(Refused { address, reason }),
            None => Ok(()),
        }
    }

    /// Checks a URL whose host is an IP literal (in any spelling the URL
    /// parser normalises: decimal, hex, octal, IPv6). Names are checked at
    /// resolution.
    pub fn check_url(&self, url: &Url) -> Result<(), Refused> {
        match url.host() {
            Some(url::Host::Ipv4(v4)) => self.check(IpAddr::V4(v4)),
            Some(url::Host::Ipv6(v6)) => self.check(IpAddr::V6(v6)),
            _ => Ok(()),
        }
    }
}

/// The range `address` falls in, if it is not a public unicast address.
pub fn refused_range(address: IpAddr) -> Option<&'static str> {
    match address {
        IpAddr::V4(v4) => refused_v4(v4),
        IpAddr::V6(v6) => refused_v6(v6),
    }
}

const V4_RANGES: [(Ipv4Addr, u8, &str); 16] = [
    (Ipv4Addr::new(0, 0, 0, 0), 8, "\"this\" network"),
    (Ipv4Addr::new(10, 0, 0, 0), 8, "private"),
    (Ipv4Addr::new(100, 64, 0, 0), 10, "carrier-grade NAT"),
    (Ipv4Addr::new(127, 0, 0, 0), 8, "loopback"),
    (Ipv4Addr::new(169, 254, 0, 0), 16, "link-local (cloud metadata)"),
    (Ipv4Addr::new(172, 16, 0, 0), 12, "private"),
    (Ipv4Addr::new(192, 0, 0, 0), 24, "IETF protocol assignments"),
    (Ipv4Addr::new(192, 0, 2, 0), 24, "documentation"),
    (Ipv4Addr::new(192, 31, 196, 0), 24, "AS112"),
    (Ipv4Addr::new(192, 52, 193, 0), 24, "AMT"),
    (Ipv4Addr::new(192, 88, 99, 0), 24, "6to4 relay"),
    (Ipv4Addr::new(192, 168, 0, 0), 16, "private"),
    (Ipv4Addr::new(198, 18, 0, 0), 15, "benchmarking"),
    (Ipv4Addr::new(198, 51, 100, 0), 24, "documentation"),
    (Ipv4Addr::new(203, 0, 113, 0), 24, "documentation"),
    (Ipv4Addr::new(224, 0, 0, 0), 3, "multicast or reserved"),
];

fn refused_v4(address: Ipv4Addr) -> Option<&'static str> {
    V4_RANGES
        .iter()
        .find(|(network, prefix, _)| Ipv4Net::new(*network, *prefix).is_ok_and(|net| net.contains(&address)))
        .map(|(_, _, reason)| *reason)
}

const V6_RANGES: [(Ipv6Addr, u8, &str); 17] = [
    (Ipv6Addr::UNSPECIFIED, 128, "unspecified"),
    (Ipv6Addr::LOCALHOST, 128, "loopback"),
    (Ipv6Addr::new(0, 0, 0, 0, 0, 0xffff, 0, 0), 96, "IPv4-mapped"),
    (Ipv6Addr::new(0, 0, 0, 0, 0, 0, 0, 0), 96, "IPv4-compatible"),
    (Ipv6Addr::new(0, 0, 0, 0, 0xffff, 0, 0, 0), 96, "IPv4-translated"),
    (Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0), 96, "NAT64"),
    (Ipv6Addr::new(0x64, 0xff9b, 1, 0, 0, 0, 0, 0), 48, "local NAT64"),
    (Ipv6Addr::new(0x100, 0, 0, 0, 0, 0, 0, 0), 64, "discard"),
    (
        Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0),
        23,
        "IETF protocol assignments (incl. Teredo)",
    ),
    (
        Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0),
        32,
        "documentation",
    ),
    (Ipv6Addr::new(0x2002, 0, 0, 0, 0, 0, 0, 0), 16, "6to4"),
    (Ipv6Addr::new(0x3fff, 0, 0, 0, 0, 0, 0, 0), 20, "documentation"),
    (Ipv6Addr::new(0x5f00, 0, 0, 0, 0, 0, 0, 0), 16, "segment routing"),
    (Ipv6Addr::new(0xfc00, 0, 0, 0, 0, 0, 0, 0), 7, "unique local"),
    (Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0), 10, "link-local"),
    (Ipv6Addr::new(0xfec0, 0, 0, 0, 0, 0, 0, 0), 10, "site-local"),
    (Ipv6Addr::new(0xff00, 0, 0, 0, 0, 0, 0, 0), 8, "multicast"),
];

fn refused_v6(address: Ipv6Addr) -> Option<&'static str> {
    V6_RANGES
        .iter()
        .find(|(network, prefix, _)| Ipv6Net::new(*network, *prefix).is_ok_and(|net| net.contains(&address)))
        .map(|(_, _, reason)| *reason)
}

/// A DNS resolver that returns only addresses the policy accepts, so the
/// HTTP client connects to exactly what was checked. The operator's
/// outbound proxy, if any, is the one name resolved without the check
/// (it is usually internal, and it is configuration, not user input).
pub struct GuardedResolver {
    policy: Arc<AddressPolicy>,
    proxy_host: Option<String>,
}

impl GuardedResolver {
    /// A resolver enforcing `policy`, except for `proxy_host`.
    pub fn new(policy: Arc<AddressPolicy>, proxy_host: Option<String>) -> Self {
        Self { policy, proxy_host }
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = Arc::clone(&self.policy);
        let is_proxy = self.proxy_host.as_deref() == Some(name.as_str());
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let allowed = if is_proxy {
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect()
            } else {
                resolve_checked(&policy, &host).await?
            };
            let addrs: Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

/// Resolves `host` and keeps the addresses `policy` accepts; an error
/// (a [`Refused`] when every address was refused) when none is left.
pub async fn resolve_checked(
    policy: &AddressPolicy,
    host: &str,
) -> Result<Vec<SocketAddr>, Box<dyn std::error::Error + Send + Sync>> {
    let resolved: Vec<SocketAddr> = tokio::net::lookup_host((host, 0)).await?.collect();
    let mut first_refusal = None;
    let allowed: Vec<SocketAddr> = resolved
        .into_iter()
        .filter(|addr| match policy.check(addr.ip()) {
            Ok(()) => true,
            Err(refused) => {
                first_refusal.get_or_insert(refused);
                false
            }
        })
        .collect();
    if allowed.is_empty() {
        return Err(match first_refusal {
            Some(refused) => Box::new(refused),
            None => format!("`{host}` resolved to no addresses").into(),
        });
    }
    Ok(allowed)
}

/// The [`Refused`] somewhere in `error`'s source chain, if any.
pub fn find_refusal<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a Refused> {
    let mut current = Some(error);
    while let Some(error) = current {
        if let Some(refused) = error.downcast_ref::<Refused>() {
            return Some(refused);
        }
        current = error.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(text: &str) -> bool {
        refused_range(text.parse().expect("address")).is_some()
    }

    #[test]
    fn internal_ipv4_ranges_are_refused() {
        for address in [
            "0.0.0.0",
            "10.1.2.3",
            "100.64.0.1",
            "127.0.0.1",
            "127.255.255.254",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "192.31.196.1",
            "192.52.193.1",
            "192.88.99.1",
            "192.168.1.1",
            "198.18.0.1",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
        ] {
            assert!(refused(address), "{address} should be refused");
        }
        for address in ["8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "203.0.114.1"] {
            assert!(!refused(address), "{address} should be allowed");
        }
    }

    /// Every refused range, at both ends, names its reason; the addresses
    /// just outside a range are public unless another range holds them.
    #[test]
    fn every_refused_range_is_refused_from_end_to_end() {
        for (network, prefix, reason) in V4_RANGES {
            let net = Ipv4Net::new(network, prefix).expect("range");
            for inside in [net.network(), net.broadcast()] {
                assert_eq!(
                    refused_range(IpAddr::V4(inside)),
                    Some(reason),
                    "{inside} in {net}"
                );
            }
            let before = u32::from(net.network()).checked_sub(1).map(Ipv4Addr::from);
            let after = u32::from(net.broadcast()).checked_add(1).map(Ipv4Addr::from);
            for outside in before.into_iter().chain(after) {
                let other = V4_RANGES
                    .iter()
                    .any(|(n, p, _)| Ipv4Net::new(*n, *p).is_ok_and(|o| o.contains(&outside)));
                assert_eq!(refused_v4(outside).is_some(), other, "{outside} next to {net}");
            }
        }
        // Nested IPv6 ranges (documentation inside 2001::/23, IPv4-
        // compatible around `::`) name whichever is listed first.
        for (network, prefix, _) in V6_RANGES {
            let net = Ipv6Net::new(network, prefix).expect("range");
            for inside in [net.network(), net.broadcast()] {
                assert!(refused_range(IpAddr::V6(inside)).is_some(), "{inside} in {net}");
            }
        }
    }

    /// IPv6 spellings that carry an IPv4 address inside: mapped,
    /// compatible, translated (SIIT), 6to4, NAT64 (well-known and local
    /// prefixes) and Teredo. All are refused whatever the IPv4 inside,
    /// because a relay or the host's own stack may deliver them to it.
    #[test]
    fn every_ipv6_form_embedding_ipv4_is_refused() {
        let embedded = [
            "127.0.0.1",
            "10.0.0.1",
            "169.254.169.254",
            "192.168.0.1",
            "8.8.8.8",
        ];
        for v4 in embedded {
            let v4: Ipv4Addr = v4.parse().expect("v4");
            let [a, b, c, d] = v4.octets();
            let hi = u16::from_be_bytes([a, b]);
            let lo = u16::from_be_bytes([c, d]);
            let forms = [
                ("mapped", v4.to_ipv6_mapped()),
                ("compatible", Ipv6Addr::new(0, 0, 0, 0, 0, 0, hi, lo)),
                ("translated", Ipv6Addr::new(0, 0, 0, 0, 0xffff, 0, hi, lo)),
                ("6to4", Ipv6Addr::new(0x2002, hi, lo, 0, 0, 0, 0, 1)),
                ("NAT64", Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, hi, lo)),
                ("local NAT64", Ipv6Addr::new(0x64, 0xff9b, 1, 0, 0, 0, hi, lo)),
                // Teredo: server and obfuscated client address inside 2001:0::/32.
                ("Teredo", Ipv6Addr::new(0x2001, 0, hi, lo, 0, 0, !hi, !lo)),
            ];
            for (form, address) in forms {
                assert!(
                    refused_range(IpAddr::V6(address)).is_some(),
                    "{form} {address} ({v4})"
                );
                let url = Url::parse(&format!("http://[{address}]/")).expect("url");
                assert!(AddressPolicy::default().check_url(&url).is_err(), "{form} {url}");
            }
        }
    }

    #[test]
    fn ipv6_forms_embedding_ipv4_and_internal_ranges_are_refused() {
        for address in [
            "::",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:8.8.8.8",
            "::127.0.0.1",
            "::ffff:0:7f00:1",
            "64:ff9b::7f00:1",
            "64:ff9b:1::a00:1",
            "2002:7f00:1::",
            "2001:0:4136:e378::1",
            "2001:db8::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
            "100::1",
        ] {
            assert!(refused(address), "{address} should be refused");
        }
        for address in ["2606:4700:4700::1111", "2a00:1450:4001::200e"] {
            assert!(!refused(address), "{address} should be allowed");
        }
    }

    #[test]
    fn odd_spellings_of_loopback_in_urls_are_refused() {
        let policy = AddressPolicy::default();
        for url in [
            "http://127.0.0.1/",
            "http://2130706433/",
            "http://0x7f000001/",
            "http://0177.0.0.1/",
            "http://127.1/",
            "http://0/",
            "http://[::1]/",
            "http://[::ffff:7f00:1]/",
        ] {
            let url = Url::parse(url).expect("url");
            assert!(policy.check_url(&url).is_err(), "{url} should be refused");
        }
    }

    #[test]
    fn the_allowlist_is_the_only_way_through() {
        let policy = AddressPolicy::new(vec!["127.0.0.1/32".parse().expect("net")]);
        assert!(policy.check("127.0.0.1".parse().expect("ip")).is_ok());
        assert!(policy.check("127.0.0.2".parse().expect("ip")).is_err());
        assert!(policy.check("10.0.0.1".parse().expect("ip")).is_err());
    }

    #[tokio::test]
    async fn names_resolving_to_internal_addresses_are_refused() {
        let resolver = GuardedResolver::new(Arc::new(AddressPolicy::default()), None);
        let name: Name = "localhost".parse().expect("name");
        let error = resolver.resolve(name).await.err().expect("refused");
        assert!(find_refusal(error.as_ref()).is_some(), "{error}");
    }
}
