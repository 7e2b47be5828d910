//! The one response wrapper: what chipwatch reads from a response's headers (validators,
//! charset, `Retry-After`) and the body read under its byte cap. A gzip body is read in
//! full and then inflated (see [`super::gzip`]); the cap counts inflated bytes, so a small
//! gzip bomb is cut off at the cap like any other oversized body.

use std::time::{Duration, SystemTime};

use reqwest::header::{self, HeaderMap};

use super::gzip;
use super::{FetchError, Validators};

pub(super) fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

pub(super) fn validators_of(headers: &HeaderMap, fallback: &Validators) -> Validators {
    Validators {
        etag: header_str(headers, header::ETAG).or_else(|| fallback.etag.clone()),
        last_modified: header_str(headers, header::LAST_MODIFIED)
            .or_else(|| fallback.last_modified.clone()),
    }
}

/// `text/html; charset="ISO-8859-1"` → `ISO-8859-1`.
pub(super) fn charset_of(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|param| {
        let (key, value) = param.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches('"').trim().to_string())
            .filter(|v| !v.is_empty())
    })
}

/// The longest pause a server can ask for. Beyond a week the ask is noise (or hostile:
/// `Retry-After: 99999999999999999999` would overflow every clock it is added to).
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(7 * 24 * 3600);

/// `Retry-After` as a wait from `now`: delay-seconds (`120`) or an HTTP date
/// (`Wed, 21 Oct 2015 07:28:00 GMT`); a date in the past means "now". Capped at
/// [`MAX_RETRY_AFTER`].
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    let wait = if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // All digits but too long for u64 is still "a very long time".
        Duration::from_secs(value.parse::<u64>().unwrap_or(u64::MAX))
    } else {
        let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
        let when = SystemTime::UNIX_EPOCH
            .checked_add(Duration::from_secs(u64::try_from(when.timestamp()).ok()?))?;
        when.duration_since(now).unwrap_or(Duration::ZERO)
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

/// Reads the body, failing as soon as it passes `cap` (inflated, for a gzip body).
pub(super) async fn read_capped(
    response: &mut reqwest::Response,
    url: &str,
    cap: u64,
) -> Result<Vec<u8>, FetchError> {
    let gzip = gzip::is_gzip(response.headers());
    let wire_cap = if gzip { gzip::compressed_cap(cap) } else { cap };
    let too_large = || FetchError::TooLarge {
        url: url.to_string(),
        limit: cap,
    };
    if response.content_length().is_some_and(|len| len > wire_cap) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| FetchError::from_reqwest(url, e))?
    {
        if body.len() as u64 + chunk.len() as u64 > wire_cap {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    if gzip {
        return gzip::inflate(&body, url, cap);
    }
    Ok(body)
}

/// Reads at most `cap` bytes of the body (inflated, for a gzip body) and stops there
/// without error: robots.txt parsers must read at least 500 KiB (RFC 9309) and may ignore
/// the rest. A line cut at the cap is dropped.
pub(super) async fn read_prefix(
    response: &mut reqwest::Response,
    url: &str,
    cap: u64,
) -> Result<Vec<u8>, FetchError> {
    let gzip = gzip::is_gzip(response.headers());
    let wire_cap = if gzip { gzip::compressed_cap(cap) } else { cap };
    let wire_cap = usize::try_from(wire_cap).unwrap_or(usize::MAX);
    let mut body = Vec::new();
    let mut cut = false;
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| FetchError::from_reqwest(url, e))?
    {
        let room = wire_cap - body.len();
        if chunk.len() >= room {
            body.extend_from_slice(&chunk[..room]);
            cut = true;
            break;
        }
        body.extend_from_slice(&chunk);
    }
    if gzip {
        body = gzip::inflate_prefix(&body, url, cap, cut)?;
        cut = cut || body.len() as u64 >= cap;
    }
    if cut {
        let whole_lines = body
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |at| at + 1);
        body.truncate(whole_lines);
    }
    Ok(body)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn charset_comes_from_the_content_type() {
        assert_eq!(
            charset_of("text/html; charset=\"ISO-8859-1\"").as_deref(),
            Some("ISO-8859-1")
        );
        assert_eq!(
            charset_of("text/html;Charset=utf-8").as_deref(),
            Some("utf-8")
        );
        assert_eq!(charset_of("text/html"), None);
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_000); // 2015-10-21T07:20:00Z
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
            Some(Duration::from_secs(480))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-5", now), None);
        for huge in [
            "9999999999999999999",
            "99999999999999999999999",
            "Fri, 31 Dec 9999 23:59:59 GMT",
        ] {
            assert_eq!(
                parse_retry_after(huge, now),
                Some(MAX_RETRY_AFTER),
                "{huge}"
            );
        }
    }
}
