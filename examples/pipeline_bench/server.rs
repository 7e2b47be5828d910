//! The corpus over real HTTP/1.1 on 127.0.0.1 (hyper): `/feeds/<n>.xml`, `/news/<n>` and
//! `/robots.txt`, each with an `ETag` and a `Last-Modified`, answered with 304 when the
//! client's `If-None-Match` or `If-Modified-Since` matches, and gzip-compressed when the
//! client accepts it. Bodies are compressed once at start-up (as a static server with
//! precompressed files would serve them), so serving costs little CPU next to the pass.

use std::convert::Infallible;
use std::io::Write;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::corpus::Shape;

const LAST_MODIFIED: &str = "Tue, 31 Dec 2024 12:00:00 GMT";
const ROBOTS: &str = "User-agent: *\nDisallow: /private/\n";

/// One resource as served: its gzip body and its validator.
struct Resource {
    gzip: Bytes,
    etag: String,
}

/// Everything the server answers with, built before it starts listening.
pub struct Site {
    shape: Shape,
    base: String,
    feeds: Vec<Resource>,
    pages: Vec<Resource>,
    /// Bytes of the pages before compression.
    pub page_bytes: Vec<usize>,
}

impl Site {
    /// Builds and compresses every feed and page (on all cores).
    pub fn build(shape: Shape, base: &str) -> Site {
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        let pages: Vec<(Resource, usize)> = parallel(shape.pages, threads, |page| {
            let html = shape.page_html(page, base);
            (resource(html.as_bytes(), page as u64), html.len())
        });
        let feeds = parallel(shape.feeds, threads, |feed| {
            resource(shape.feed_xml(feed, base).as_bytes(), 1 << 32 | feed as u64)
        });
        let (pages, page_bytes) = pages.into_iter().unzip();
        Site {
            shape,
            base: base.to_string(),
            feeds,
            pages,
            page_bytes,
        }
    }

    fn respond(&self, request: &Request<Incoming>) -> Response<Full<Bytes>> {
        let path = request.uri().path();
        let found = if let Some(n) = path.strip_prefix("/news/") {
            n.parse::<usize>()
                .ok()
                .and_then(|n| self.pages.get(n).map(|r| (r, n, false)))
        } else if let Some(n) = path
            .strip_prefix("/feeds/")
            .and_then(|p| p.strip_suffix(".xml"))
        {
            n.parse::<usize>()
                .ok()
                .and_then(|n| self.feeds.get(n).map(|r| (r, n, true)))
        } else if path == "/robots.txt" {
            return plain(StatusCode::OK, ROBOTS);
        } else {
            None
        };
        let Some((resource, index, is_feed)) = found else {
            return plain(StatusCode::NOT_FOUND, "not found\n");
        };
        let headers = request.headers();
        let unchanged = headers
            .get(header::IF_NONE_MATCH)
            .is_some_and(|v| v.as_bytes() == resource.etag.as_bytes())
            || headers
                .get(header::IF_MODIFIED_SINCE)
                .is_some_and(|v| v.as_bytes() == LAST_MODIFIED.as_bytes());
        let mut response = Response::builder()
            .header(header::ETAG, resource.etag.as_str())
            .header(header::LAST_MODIFIED, LAST_MODIFIED)
            .header(header::VARY, "Accept-Encoding");
        if unchanged {
            return response
                .status(StatusCode::NOT_MODIFIED)
                .body(Full::new(Bytes::new()))
                .unwrap_or_default();
        }
        let content_type = if is_feed {
            if index % 2 == 1 {
                "application/atom+xml; charset=utf-8"
            } else {
                "application/rss+xml; charset=utf-8"
            }
        } else {
            "text/html; charset=utf-8"
        };
        response = response.header(header::CONTENT_TYPE, content_type);
        let gzip = headers
            .get(header::ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("gzip"));
        let body = if gzip {
            response = response.header(header::CONTENT_ENCODING, "gzip");
            resource.gzip.clone()
        } else if is_feed {
            Bytes::from(self.shape.feed_xml(index, &self.base))
        } else {
            Bytes::from(self.shape.page_html(index, &self.base))
        };
        response.body(Full::new(body)).unwrap_or_default()
    }
}

fn plain(status: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    response
}

fn resource(body: &[u8], salt: u64) -> Resource {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let _ = encoder.write_all(body);
    let gzip = encoder.finish().unwrap_or_default();
    Resource {
        gzip: Bytes::from(gzip),
        etag: format!(
            "\"{:016x}-{}\"",
            salt.wrapping_mul(0x9E37_79B9_7F4A_7C15),
            body.len()
        ),
    }
}

/// `make(i)` for `i` in `0..n`, spread over `threads` threads, in order.
fn parallel<T: Send>(n: usize, threads: usize, make: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let chunk = n.div_ceil(threads.max(1)).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..n)
            .step_by(chunk)
            .map(|start| {
                let make = &make;
                scope.spawn(move || {
                    (start..(start + chunk).min(n))
                        .map(make)
                        .collect::<Vec<T>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

/// Serves `site` on `listener` until the runtime is dropped.
pub async fn serve(listener: TcpListener, site: Arc<Site>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let site = Arc::clone(&site);
        tokio::spawn(async move {
            let service = service_fn(move |request: Request<Incoming>| {
                let response = site.respond(&request);
                async move { Ok::<_, Infallible>(response) }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
