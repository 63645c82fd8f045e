//! The client address of a webhook request, and when `X-Forwarded-For` is
//! believed.
//!
//! The socket peer is the client unless the peer is a trusted proxy
//! (`ingest.trusted_proxies`). Then `X-Forwarded-For` is read from the
//! right, the end each proxy appends to, skipping trusted proxies: the
//! first address that is not one is the client. Everything left of it was
//! written by that client and may be forged, so the left-most entry is
//! never believed just for being first. If every entry is a trusted proxy
//! the left-most one is taken (the request started inside the trusted
//! network); an entry that is not an address stops the walk, and the last
//! trusted hop before it is taken.

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;
use ipnet::IpNet;

/// The header proxies append the address they received from.
const FORWARDED_FOR: &str = "x-forwarded-for";

/// The client address of a request from `peer` with `headers`.
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let peer = peer.to_canonical();
    if !is_trusted(peer, trusted) {
        return peer;
    }
    let mut client = peer;
    // Header lines in order, each a comma-separated list; walk them all
    // from the right.
    let lines: Vec<&str> = headers
        .get_all(FORWARDED_FOR)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .collect();
    for entry in lines.iter().rev().flat_map(|line| line.rsplit(',')) {
        let entry = entry.trim();
        if entry.is_empty() {
            continue;
        }
        let Some(address) = parse_entry(entry) else {
            return client;
        };
        client = address;
        if !is_trusted(address, trusted) {
            return address;
        }
    }
    client
}

fn is_trusted(address: IpAddr, trusted: &[IpNet]) -> bool {
    trusted.iter().any(|net| net.contains(&address))
}

/// An address as proxies write it: `203.0.113.7`, `203.0.113.7:4711`,
/// `2001:db8::1` or `[2001:db8::1]:4711`.
fn parse_entry(entry: &str) -> Option<IpAddr> {
    entry
        .parse::<IpAddr>()
        .or_else(|_| entry.parse::<SocketAddr>().map(|socket| socket.ip()))
        .or_else(|_| {
            entry
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<IpAddr>()
        })
        .ok()
        .map(|address| address.to_canonical())
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("ip")
    }

    fn headers(lines: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for line in lines {
            headers.append(FORWARDED_FOR, HeaderValue::from_str(line).expect("value"));
        }
        headers
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let trusted = ["10.0.0.0/8".parse().expect("net")];
        let claimed = headers(&["1.2.3.4"]);
        assert_eq!(
            client_address(ip("203.0.113.9"), &claimed, &trusted),
            ip("203.0.113.9")
        );
        assert_eq!(
            client_address(ip("203.0.113.9"), &claimed, &[]),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn the_right_most_untrusted_entry_wins() {
        let trusted: Vec<IpNet> = vec![
            "10.0.0.0/8".parse().expect("net"),
            "::1/128".parse().expect("net"),
        ];
        // The client forged `6.6.6.6`; the proxy chain appended the rest.
        let forwarded = headers(&["6.6.6.6, 198.51.100.7", "10.1.1.1"]);
        assert_eq!(
            client_address(ip("10.0.0.1"), &forwarded, &trusted),
            ip("198.51.100.7")
        );
        assert_eq!(
            client_address(ip("::1"), &headers(&["[2001:db8::5]:443"]), &trusted),
            ip("2001:db8::5")
        );
        assert_eq!(
            client_address(ip("10.0.0.1"), &headers(&["198.51.100.7:5000"]), &trusted),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn all_trusted_missing_or_garbage_fall_back_sensibly() {
        let trusted = vec!["10.0.0.0/8".parse().expect("net")];
        assert_eq!(
            client_address(ip("10.0.0.1"), &headers(&["10.2.2.2, 10.3.3.3"]), &trusted),
            ip("10.2.2.2")
        );
        assert_eq!(
            client_address(ip("10.0.0.1"), &HeaderMap::new(), &trusted),
            ip("10.0.0.1")
        );
        assert_eq!(
            client_address(
                ip("10.0.0.1"),
                &headers(&["1.1.1.1, garbage, 10.9.9.9"]),
                &trusted
            ),
            ip("10.9.9.9")
        );
    }

    #[test]
    fn mapped_ipv4_peers_match_ipv4_networks() {
        let trusted = vec!["127.0.0.1/32".parse().expect("net")];
        assert_eq!(
            client_address(ip("::ffff:127.0.0.1"), &headers(&["2001:db8::7"]), &trusted),
            ip("2001:db8::7")
        );
    }
}
