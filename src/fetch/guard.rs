//! The SSRF guard: article links come from untrusted feeds, so they may only reach public
//! addresses unless the operator allowed otherwise. The check runs inside the DNS resolver
//! the HTTP client uses, so it sees the addresses actually connected to (after every
//! redirect, and with no window for a second, different DNS answer); IP-literal URLs, which
//! skip the resolver, are checked by [`check_url`].

/// Ends every refusal message. Refusals from the resolver reach the caller inside a
/// reqwest connect error, and this text is how `FetchError` recognises them there.
pub(crate) const REFUSAL: &str = "a private, loopback or link-local address";

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::Url;

use crate::config::{parse_allow_entry, PrivateAccess};

/// True for addresses a public web page has no business pointing at.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_private_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private_v4(v4);
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (first & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (first & 0xffc0) == 0xfec0 // site-local (deprecated) fec0::/10
                || (v6.segments()[0] == 0x64 && v6.segments()[1] == 0xff9b) // NAT64 64:ff9b::/96 may reach IPv4 privates
                || (first == 0x2002) // 6to4 embeds an IPv4 address
        }
    }
}

fn is_private_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT 100.64/10
        || (a == 192 && b == 0 && ip.octets()[2] == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking 198.18/15
        || a >= 240 // reserved
}

/// The operator's exceptions to the guard.
#[derive(Debug, Clone)]
pub struct Guard {
    access: PrivateAccess,
}

impl Guard {
    pub fn new(access: PrivateAccess) -> Guard {
        Guard { access }
    }

    fn host_allowed(&self, host: &str, port: Option<u16>) -> bool {
        match &self.access {
            PrivateAccess::AllowAll => true,
            PrivateAccess::Deny => false,
            PrivateAccess::AllowList(entries) => entries.iter().any(|entry| {
                let Some((h, p)) = parse_allow_entry(entry) else {
                    return false;
                };
                h.eq_ignore_ascii_case(host) && (p.is_none() || port.is_none() || p == port)
            }),
        }
    }

    /// Whether the allow list names this host only with other ports. The resolver cannot
    /// see ports, so such a URL is refused up front instead of slipping through it.
    fn host_allowed_on_other_ports_only(&self, host: &str, port: Option<u16>) -> bool {
        let PrivateAccess::AllowList(entries) = &self.access else {
            return false;
        };
        let mut named = entries
            .iter()
            .filter_map(|e| parse_allow_entry(e))
            .filter(|(h, _)| h.eq_ignore_ascii_case(host))
            .peekable();
        named.peek().is_some() && named.all(|(_, p)| p.is_some() && p != port)
    }

    /// Checks the parts of a URL that need no DNS: scheme, and IP-literal hosts.
    pub fn check_url(&self, url: &Url) -> Result<(), String> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("scheme {} is not http(s)", url.scheme()));
        }
        let host = url.host_str().ok_or("the URL has no host")?;
        let port = url.port_or_known_default();
        let literal = match url.host() {
            Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
            _ => None,
        };
        if let Some(ip) = literal {
            if is_private(ip) && !self.host_allowed(host.trim_matches(['[', ']']), port) {
                return Err(format!("{ip} is {REFUSAL}"));
            }
        }
        if host.eq_ignore_ascii_case("localhost") && !self.host_allowed(host, port) {
            return Err("localhost is a loopback address".into());
        }
        if literal.is_none() && self.host_allowed_on_other_ports_only(host, port) {
            return Err(format!(
                "{host} is allowed by allow_private_addresses only on other ports"
            ));
        }
        Ok(())
    }

    /// Resolves the URL's host here and refuses it when any answer is private. Used when
    /// a proxy is configured: the proxy, not us, connects to the target, so the resolver
    /// below never sees its addresses; refusing on any private answer leaves a rebinding
    /// name no address to slip through.
    pub async fn check_resolved(&self, url: &Url) -> Result<(), String> {
        self.check_url(url)?;
        let host = url.host_str().ok_or("the URL has no host")?;
        let port = url.port_or_known_default();
        if matches!(url.host(), Some(url::Host::Ipv4(_) | url::Host::Ipv6(_)))
            || self.host_allowed(host, port)
        {
            return Ok(());
        }
        let addrs = tokio::net::lookup_host((host, port.unwrap_or(80)))
            .await
            .map_err(|e| format!("cannot resolve {host}: {e}"))?;
        refuse_any_private(host, addrs)
    }

    /// A resolver for the HTTP client that drops every private answer.
    pub fn resolver(self: &Arc<Self>) -> Arc<GuardedResolver> {
        Arc::new(GuardedResolver {
            guard: Arc::clone(self),
        })
    }
}

pub struct GuardedResolver {
    guard: Arc<Guard>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let guard = Arc::clone(&self.guard);
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            // The port is not known here; `check_url` has already refused, before the
            // request and on every redirect, a host the allow list names with other ports.
            if guard.host_allowed(&host, None) || matches!(guard.access, PrivateAccess::AllowAll) {
                return Ok(Box::new(addrs.into_iter()) as Addrs);
            }
            let public: Vec<SocketAddr> = addrs
                .iter()
                .copied()
                .filter(|a| !is_private(a.ip()))
                .collect();
            if public.is_empty() {
                let shown = addrs
                    .first()
                    .map_or_else(|| "no address".to_string(), |a| a.ip().to_string());
                return Err(format!("{host} resolves to {shown}, {REFUSAL}").into());
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

/// A proxied target passes only when none of its addresses is private.
fn refuse_any_private(
    host: &str,
    addrs: impl IntoIterator<Item = SocketAddr>,
) -> Result<(), String> {
    for addr in addrs {
        if is_private(addr.ip()) {
            return Err(format!("{host} resolves to {}, {REFUSAL}", addr.ip()));
        }
    }
    Ok(())
}

/// Both loopback kinds, for tests and the demo server.
pub const LOOPBACK: [IpAddr; 2] = [
    IpAddr::V4(Ipv4Addr::LOCALHOST),
    IpAddr::V6(Ipv6Addr::LOCALHOST),
];

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn private_ranges_are_recognised() {
        let private = [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fc00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
        ];
        for ip in private {
            assert!(is_private(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "93.184.216.34",
            "1.1.1.1",
            "2606:4700:4700::1111",
            "172.32.0.1",
        ] {
            assert!(!is_private(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn literal_and_localhost_urls_are_refused_unless_allowed() {
        let deny = Guard::new(PrivateAccess::Deny);
        for url in [
            "http://127.0.0.1:8080/a",
            "http://[::1]/",
            "http://localhost/",
            "http://169.254.169.254/latest",
            "file:///etc/passwd",
        ] {
            assert!(deny.check_url(&Url::parse(url).unwrap()).is_err(), "{url}");
        }
        assert!(deny
            .check_url(&Url::parse("https://example.com/a").unwrap())
            .is_ok());

        let list = Guard::new(PrivateAccess::AllowList(vec!["127.0.0.1:8080".into()]));
        assert!(list
            .check_url(&Url::parse("http://127.0.0.1:8080/a").unwrap())
            .is_ok());
        assert!(list
            .check_url(&Url::parse("http://127.0.0.1:9090/a").unwrap())
            .is_err());
        let all = Guard::new(PrivateAccess::AllowAll);
        assert!(all
            .check_url(&Url::parse("http://localhost:1/").unwrap())
            .is_ok());
    }

    #[test]
    fn allow_list_ports_hold_for_names_and_ipv6_too() {
        let list = Guard::new(PrivateAccess::AllowList(vec![
            "intranet:8080".into(),
            "[::1]:8443".into(),
            "fd00::7".into(),
        ]));
        let check = |url: &str| list.check_url(&Url::parse(url).unwrap());
        assert!(check("http://intranet:8080/feed").is_ok());
        // The resolver cannot see ports: the other ports of a named host stop here.
        let err = check("http://intranet:22/").unwrap_err();
        assert!(err.contains("other ports"), "{err}");
        assert!(check("http://intranet/").is_err());
        assert!(check("https://[::1]:8443/").is_ok());
        assert!(check("https://[::1]:9000/").is_err());
        assert!(check("http://[fd00::7]:1234/").is_ok(), "no port: any port");
        assert!(check("http://[fd00::8]/").is_err());
        assert!(
            check("https://example.com/").is_ok(),
            "public names are untouched"
        );
    }

    #[tokio::test]
    async fn proxied_targets_are_resolved_and_checked_here() {
        let deny = Guard::new(PrivateAccess::Deny);
        let err = deny
            .check_resolved(&Url::parse("http://localhost:9/x").unwrap())
            .await
            .unwrap_err();
        assert!(err.contains("loopback"), "{err}");
        let list = Guard::new(PrivateAccess::AllowList(vec!["localhost:9".into()]));
        assert!(list
            .check_resolved(&Url::parse("http://localhost:9/x").unwrap())
            .await
            .is_ok());
        // A name with one public and one private answer (rebinding) is refused.
        let mixed: Vec<SocketAddr> = vec![
            "93.184.216.34:80".parse().unwrap(),
            "10.0.0.7:80".parse().unwrap(),
        ];
        let err = refuse_any_private("rebind.example", mixed).unwrap_err();
        assert!(err.contains("10.0.0.7"), "{err}");
        assert!(refuse_any_private("ok.example", ["1.1.1.1:80".parse().unwrap()]).is_ok());
    }

    #[tokio::test]
    async fn resolver_refuses_names_that_resolve_to_loopback() {
        let guard = Arc::new(Guard::new(PrivateAccess::Deny));
        let result = guard.resolver().resolve("localhost".parse().unwrap()).await;
        let err = result.err().unwrap().to_string();
        assert!(err.contains("private, loopback or link-local"), "{err}");
    }
}
