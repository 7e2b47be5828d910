//! The seed story told by three sites, each a real HTTP server on its own loopback address
//! (stories count sites by host), with a feed on the first whose items the test chooses:
//! the seed article, two rewrites of it, a later order and a cancellation.

use std::sync::{Arc, Mutex};

use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use super::{read_fixture, SEED_PATH};

pub const ASIA_PATH: &str = "/2023/11/10/baidu-huawei";
pub const LEDGER_PATH: &str = "/trade/baidu-huawei-ascend";
pub const LATER_PATH: &str = "/news/2024/11/20/baidu-orders-ascend-910c";
pub const CANCEL_PATH: &str = "/news/2023/12/05/baidu-cancels-huawei-order";

/// One feed item: title, link and RSS date.
#[derive(Clone)]
pub struct Item {
    title: &'static str,
    link: String,
    date: &'static str,
}

/// The feed, served from whatever items the test puts in at the moment.
#[derive(Clone, Default)]
struct Feed(Arc<Mutex<Vec<Item>>>);

impl Respond for Feed {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let items: String = self
            .0
            .lock()
            .unwrap()
            .iter()
            .map(|i| {
                format!(
                    "<item><title>{}</title><link>{}</link><guid>{}</guid><pubDate>{}</pubDate></item>",
                    i.title, i.link, i.link, i.date
                )
            })
            .collect();
        ResponseTemplate::new(200).set_body_raw(
            format!(
                "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Wire</title>\
                 <link>http://127.0.0.1/</link><description>d</description>{items}</channel></rss>"
            ),
            "application/rss+xml",
        )
    }
}

/// A site on its own loopback address: the test counts sites by host.
async fn site(ip: &str, pages: &[(&str, &str)]) -> MockServer {
    let listener = std::net::TcpListener::bind((ip, 0)).unwrap();
    let server = MockServer::builder().listener(listener).start().await;
    for (route, fixture) in pages {
        Mock::given(method("GET"))
            .and(path(*route))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_raw(read_fixture(fixture), "text/html; charset=utf-8"),
            )
            .mount(&server)
            .await;
    }
    server
}

pub struct World {
    pub main: MockServer,
    _asia: MockServer,
    _ledger: MockServer,
    feed: Feed,
    pub items: Vec<Item>,
}

impl World {
    /// Three sites; the feed on the first starts empty. `items` holds: the seed, the yuan
    /// rewrite, the rounded rewrite, the order a year later, and the cancellation of the
    /// seed's order (2023-12-05).
    pub async fn new() -> World {
        let main = site(
            "127.0.0.1",
            &[
                (SEED_PATH, "seed/baidu-huawei-ascend.html"),
                (LATER_PATH, "stories/chipwire-baidu-huawei-2024.html"),
                (CANCEL_PATH, "stories/techbrief-baidu-cancels.html"),
            ],
        )
        .await;
        let asia = site(
            "127.0.0.2",
            &[(ASIA_PATH, "stories/asiachips-baidu-huawei.html")],
        )
        .await;
        let ledger = site(
            "127.0.0.3",
            &[(LEDGER_PATH, "stories/siliconledger-baidu-huawei.html")],
        )
        .await;
        let feed = Feed::default();
        Mock::given(method("GET"))
            .and(path("/feed.xml"))
            .respond_with(feed.clone())
            .mount(&main)
            .await;
        let items = vec![
            Item {
                title: "Baidu turns to Huawei for AI chips after US export ban",
                link: format!("{}{SEED_PATH}", main.uri()),
                date: "Thu, 09 Nov 2023 07:11:00 GMT",
            },
            Item {
                title: "Baidu buys Huawei AI chips as U.S. curbs bite",
                link: format!("{}{ASIA_PATH}", asia.uri()),
                date: "Fri, 10 Nov 2023 03:20:00 GMT",
            },
            Item {
                title: "Baidu places Huawei order for Ascend chips",
                link: format!("{}{LEDGER_PATH}", ledger.uri()),
                date: "Mon, 13 Nov 2023 14:05:00 GMT",
            },
            Item {
                title: "Baidu orders 5,000 Ascend 910C chips from Huawei",
                link: format!("{}{LATER_PATH}", main.uri()),
                date: "Wed, 20 Nov 2024 08:45:00 GMT",
            },
            Item {
                title: "Baidu cancels Huawei chip order",
                link: format!("{}{CANCEL_PATH}", main.uri()),
                date: "Tue, 05 Dec 2023 09:30:00 GMT",
            },
        ];
        World {
            main,
            _asia: asia,
            _ledger: ledger,
            feed,
            items,
        }
    }

    pub fn serve(&self, indexes: &[usize]) {
        *self.feed.0.lock().unwrap() = indexes.iter().map(|&i| self.items[i].clone()).collect();
    }

    pub fn feed_url(&self) -> String {
        format!("{}/feed.xml", self.main.uri())
    }
}
