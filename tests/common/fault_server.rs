//! A small HTTP/1.1 server on 127.0.0.1 where every endpoint shares one host and port,
//! and each path answers from a script: the n-th request gets the n-th reply (the last
//! one repeats). Replies may be pages, error statuses with `Retry-After`, or a reset
//! connection, which wiremock cannot do. Every request is recorded with its time.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One scripted answer.
#[derive(Clone, Debug)]
pub enum Reply {
    /// 200 with this content type and body.
    Ok(&'static str, String),
    /// This status, with a `Retry-After` value when given.
    Status(u16, Option<&'static str>),
    /// The connection is reset before any response.
    Reset,
}

impl Reply {
    pub fn html(body: impl Into<String>) -> Reply {
        Reply::Ok("text/html; charset=utf-8", body.into())
    }

    pub fn rss(body: impl Into<String>) -> Reply {
        Reply::Ok("application/rss+xml; charset=utf-8", body.into())
    }
}

type Routes = Arc<Mutex<HashMap<String, Vec<Reply>>>>;
type Hits = Arc<Mutex<HashMap<String, Vec<Instant>>>>;

pub struct FaultServer {
    pub addr: SocketAddr,
    routes: Routes,
    hits: Hits,
}

impl FaultServer {
    pub async fn start() -> FaultServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let routes: Routes = Arc::default();
        let hits: Hits = Arc::default();
        let (r, h) = (Arc::clone(&routes), Arc::clone(&hits));
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let (routes, hits) = (Arc::clone(&r), Arc::clone(&h));
                tokio::spawn(async move { serve(socket, &routes, &hits).await });
            }
        });
        FaultServer { addr, routes, hits }
    }

    /// `http://127.0.0.1:PORT`
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base())
    }

    /// Scripts `path` (replacing any earlier script and its position).
    pub fn route(&self, path: &str, replies: Vec<Reply>) {
        assert!(!replies.is_empty());
        self.routes
            .lock()
            .unwrap()
            .insert(path.to_string(), replies);
    }

    /// How many requests `path` got.
    pub fn hits(&self, path: &str) -> usize {
        self.hits.lock().unwrap().get(path).map_or(0, Vec::len)
    }

    /// When `path` was requested.
    pub fn hit_times(&self, path: &str) -> Vec<Instant> {
        self.hits
            .lock()
            .unwrap()
            .get(path)
            .cloned()
            .unwrap_or_default()
    }

    /// Every request, all paths together.
    pub fn total_hits(&self) -> usize {
        self.hits.lock().unwrap().values().map(Vec::len).sum()
    }
}

async fn serve(mut socket: tokio::net::TcpStream, routes: &Routes, hits: &Hits) {
    let mut request = Vec::new();
    let mut buf = [0u8; 2048];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") && request.len() < 65_536 {
        match socket.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&request);
    let path = text.split_whitespace().nth(1).unwrap_or("/").to_string();
    let seen = {
        let mut hits = hits.lock().unwrap();
        let times = hits.entry(path.clone()).or_default();
        times.push(Instant::now());
        times.len()
    };
    let reply = routes
        .lock()
        .unwrap()
        .get(&path)
        .map(|replies| replies[(seen - 1).min(replies.len() - 1)].clone());
    let (status, content_type, body, retry_after) = match reply {
        None => (404, "text/plain", String::new(), None),
        Some(Reply::Ok(content_type, body)) => (200, content_type, body, None),
        Some(Reply::Status(status, retry_after)) => {
            (status, "text/plain", String::new(), retry_after)
        }
        Some(Reply::Reset) => {
            // Linger 0: closing sends RST, as a crashing server or a middlebox does.
            let _ = socket.set_zero_linger();
            drop(socket);
            return;
        }
    };
    let mut head = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    if let Some(wait) = retry_after {
        head.push_str(&format!("retry-after: {wait}\r\n"));
    }
    head.push_str("\r\n");
    let _ = socket.write_all(head.as_bytes()).await;
    let _ = socket.write_all(body.as_bytes()).await;
    let _ = socket.shutdown().await;
}

/// An RSS feed of `(link, title, description)` items.
pub fn rss(items: &[(String, &str, &str)]) -> String {
    let mut feed =
        String::from("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>T</title>");
    for (link, title, description) in items {
        feed.push_str(&format!(
            "<item><title>{title}</title><link>{link}</link><description>{description}</description></item>"
        ));
    }
    feed.push_str("</channel></rss>");
    feed
}
