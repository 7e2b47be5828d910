//! gzip response bodies. chipwatch asks for gzip itself (`Accept-Encoding: gzip`, see
//! `fetch::fetcher_client`) and inflates a gzip body once it has been read in full,
//! instead of letting the HTTP client inflate it a few kilobytes at a time: an article
//! page is one gzip member, which libdeflate inflates in one call at about twice the
//! speed of streaming zlib, and inflating was the largest cost of a pass outside the
//! stages. The cap still counts inflated bytes, so a small gzip bomb fails at the cap.
//!
//! What takes the one-call path is exact: a single member whose trailer (CRC-32 and size)
//! is the body's last eight bytes and whose size is within the cap. Anything else
//! (several members, bytes after the member, a size over the cap or a corrupt stream)
//! goes through flate2's streaming decoder, which reads several members, stops at the cap
//! and reports what is wrong.

use std::io::Read;

use flate2::read::MultiGzDecoder;
use reqwest::header::{self, HeaderMap};

use super::FetchError;

/// Whether the response body is gzip (`Content-Encoding: gzip` or `x-gzip`), the one
/// coding chipwatch asks for; any other is left as sent, as the client did before.
pub(super) fn is_gzip(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            let v = v.trim();
            v.eq_ignore_ascii_case("gzip") || v.eq_ignore_ascii_case("x-gzip")
        })
}

/// How many compressed bytes are read before inflating a body capped at `cap` inflated
/// bytes: deflate adds at most a few bytes per 64 KB block to data it cannot compress,
/// so anything beyond this slack inflates past the cap.
pub(super) fn compressed_cap(cap: u64) -> u64 {
    cap.saturating_add(cap / 64).saturating_add(64 * 1024)
}

/// Inflates a whole gzip body; more than `cap` inflated bytes fails as too large.
pub(super) fn inflate(body: &[u8], url: &str, cap: u64) -> Result<Vec<u8>, FetchError> {
    if body.is_empty() {
        return Ok(Vec::new());
    }
    if let Some(inflated) = inflate_one_member(body, cap) {
        return Ok(inflated);
    }
    let mut inflated = Vec::new();
    // One byte over the cap says "too large" without inflating the rest of a bomb.
    MultiGzDecoder::new(body)
        .take(cap.saturating_add(1))
        .read_to_end(&mut inflated)
        .map_err(|e| FetchError::Transport {
            url: url.to_string(),
            message: format!("error decoding response body: {e}"),
            // As the client counted a body it could not decode: the transfer may have
            // been cut short.
            transient: true,
        })?;
    if inflated.len() as u64 > cap {
        return Err(FetchError::TooLarge {
            url: url.to_string(),
            limit: cap,
        });
    }
    Ok(inflated)
}

/// Inflates the prefix of a gzip body that a reader capped at `cap` bytes keeps (for
/// robots.txt): at most `cap` inflated bytes, and a body cut short by the compressed cap
/// (`cut`) ends where its data does. A corrupt body that was not cut is an error.
pub(super) fn inflate_prefix(
    body: &[u8],
    url: &str,
    cap: u64,
    cut: bool,
) -> Result<Vec<u8>, FetchError> {
    let mut inflated = Vec::new();
    let read = MultiGzDecoder::new(body)
        .take(cap)
        .read_to_end(&mut inflated);
    match read {
        Err(e) if !cut => Err(FetchError::Transport {
            url: url.to_string(),
            message: format!("error decoding response body: {e}"),
            transient: true,
        }),
        _ => Ok(inflated),
    }
}

/// The one-call path (see the module documentation); `None` sends the body to the
/// streaming decoder.
fn inflate_one_member(body: &[u8], cap: u64) -> Option<Vec<u8>> {
    // A gzip member is at least a 10-byte header and an 8-byte trailer.
    let trailer: [u8; 8] = body
        .len()
        .checked_sub(8)
        .filter(|at| *at >= 10)
        .and_then(|at| body.get(at..))?
        .try_into()
        .ok()?;
    let crc = u32::from_le_bytes([trailer[0], trailer[1], trailer[2], trailer[3]]);
    let size = u32::from_le_bytes([trailer[4], trailer[5], trailer[6], trailer[7]]);
    // The size is the body's own claim (modulo 4 GiB): it sizes the buffer only, and a
    // member that inflates to more does not fit and goes the streaming way.
    if u64::from(size) > cap {
        return None;
    }
    let mut inflated = vec![0; usize::try_from(size).ok()?];
    let written = libdeflater::Decompressor::new()
        .gzip_decompress(body, &mut inflated)
        .ok()?;
    // libdeflate checked the first member against its own trailer and ignores what
    // follows it; the body is that one member only if its last eight bytes say the same.
    // (Several members pass this only if the first and the last inflate to the same bytes.)
    if written != inflated.len() || libdeflater::crc32(&inflated) != crc {
        return None;
    }
    Some(inflated)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::io::Write;

    use super::*;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    fn page(n: usize) -> Vec<u8> {
        (0..n)
            .map(|i| format!("<p>paragraph {i} of a page, {} wafers</p>\n", i * 7 % 13))
            .collect::<String>()
            .into_bytes()
    }

    #[test]
    fn one_member_inflates_in_one_call() {
        let data = page(2_000);
        let body = gzip(&data);
        assert_eq!(inflate_one_member(&body, 10_000_000), Some(data.clone()));
        assert_eq!(inflate(&body, "u", 10_000_000).unwrap(), data);
    }

    #[test]
    fn several_members_and_trailing_bytes_take_the_streaming_path() {
        let (first, second) = (page(300), page(500));
        let mut body = gzip(&first);
        body.extend(gzip(&second));
        assert_eq!(inflate_one_member(&body, 10_000_000), None);
        assert_eq!(
            inflate(&body, "u", 10_000_000).unwrap(),
            [first.clone(), second].concat()
        );
        // Same size, different bytes: the CRC tells them apart.
        let same_size = page(300)
            .iter()
            .map(|b| b.to_ascii_uppercase())
            .collect::<Vec<_>>();
        let mut body = gzip(&first);
        body.extend(gzip(&same_size));
        assert_eq!(inflate_one_member(&body, 10_000_000), None);
        assert_eq!(
            inflate(&body, "u", 10_000_000).unwrap(),
            [first.clone(), same_size].concat()
        );
        // Bytes after the member are an error, as they were.
        let mut body = gzip(&first);
        body.extend(b"garbage after the member");
        assert_eq!(inflate_one_member(&body, 10_000_000), None);
        assert!(inflate(&body, "u", 10_000_000).is_err());
    }

    #[test]
    fn the_cap_counts_inflated_bytes() {
        let data = vec![b' '; 4_000_000];
        let body = gzip(&data);
        assert!(body.len() < 100_000);
        let err = inflate(&body, "u", 1_000_000).unwrap_err();
        assert_eq!(err.class(), "too_large");
        assert_eq!(inflate(&body, "u", 4_000_000).unwrap(), data);
        // A trailer that lies about the size: too small a buffer, then the stream decides.
        let mut lying = body.clone();
        let at = lying.len() - 4;
        lying[at..].copy_from_slice(&10u32.to_le_bytes());
        assert_eq!(inflate_one_member(&lying, 1_000_000), None);
        assert_eq!(
            inflate(&lying, "u", 1_000_000).unwrap_err().class(),
            "too_large"
        );
    }

    #[test]
    fn corrupt_or_cut_bodies_are_errors_and_empty_is_empty() {
        let body = gzip(&page(2_000));
        let cut = &body[..body.len() / 2];
        assert_eq!(
            inflate(cut, "u", 10_000_000).unwrap_err().class(),
            "network"
        );
        let mut flipped = body.clone();
        let mid = flipped.len() / 2;
        flipped[mid] ^= 0x55;
        assert!(inflate(&flipped, "u", 10_000_000).is_err());
        assert_eq!(inflate(b"", "u", 10).unwrap(), Vec::<u8>::new());
        assert_eq!(
            inflate(b"not gzip at all", "u", 100).unwrap_err().class(),
            "network"
        );
    }

    #[test]
    fn a_prefix_stops_at_the_cap_and_at_a_cut() {
        let data = page(2_000);
        let body = gzip(&data);
        assert_eq!(
            inflate_prefix(&body, "u", 1_000, false).unwrap(),
            data[..1_000]
        );
        let cut = &body[..body.len() / 2];
        let prefix = inflate_prefix(cut, "u", 10_000_000, true).unwrap();
        assert!(!prefix.is_empty() && data.starts_with(&prefix));
        assert!(inflate_prefix(cut, "u", 10_000_000, false).is_err());
    }

    #[test]
    fn only_gzip_is_inflated() {
        let mut headers = HeaderMap::new();
        assert!(!is_gzip(&headers));
        headers.insert(header::CONTENT_ENCODING, " GZIP ".parse().unwrap());
        assert!(is_gzip(&headers));
        headers.insert(header::CONTENT_ENCODING, "x-gzip".parse().unwrap());
        assert!(is_gzip(&headers));
        headers.insert(header::CONTENT_ENCODING, "br".parse().unwrap());
        assert!(!is_gzip(&headers));
    }
}
